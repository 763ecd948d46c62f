//! Server-only code: the database, password hashing, the audit log and the services that
//! both the server functions and the operator CLI call.

pub mod activity;
pub mod admins;
pub mod aliases;
pub mod audit;
pub mod auth;
pub mod autoreply;
pub mod batches;
pub mod catch_all;
pub mod clock;
pub mod db;
pub mod domains;
pub mod export;
pub mod forwarding;
pub mod hashing;
pub mod mailboxes;
pub mod mailstore;
pub mod progress;
pub mod refusals;
pub mod reserve;
pub mod retention;
pub mod routing;
pub mod state;
pub mod throttle;
pub mod two_factor;
