//! The storage floor: what keeps the console's data, on disk and in memory. Nothing here knows
//! who asks: no session, no caller.

pub mod audit;
pub mod batches;
pub mod budget;
pub mod clock;
pub mod db;
pub mod domains;
pub mod hashing;
pub mod mailstore;
pub mod progress;
pub mod reserve;
