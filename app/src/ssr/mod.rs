//! Server-only code: the database, password hashing, the audit log and the services that
//! both the server functions and the operator CLI call.

pub mod accounts;
pub mod activity;
pub mod admins;
pub mod aliases;
pub mod audit;
pub mod auth;
pub mod autoreply;
pub mod batches;
pub mod budget;
pub mod caller;
pub mod catch_all;
pub mod clock;
pub mod code_caps;
pub mod db;
pub mod domains;
pub mod export;
pub mod forwarding;
pub mod hashing;
pub mod mailstore;
pub mod progress;
pub mod refusals;
pub mod request;
pub mod reserve;
pub mod retention;
pub mod routing;
pub mod state;
pub mod throttle;
pub mod two_factor;
