//! The services: what a caller does to a domain's data. Each takes its caller explicitly, so
//! the web, the command line and the tests run the same code.

pub mod accounts;
pub mod activity;
pub mod aliases;
pub mod autoreply;
pub mod catch_all;
pub mod export;
pub mod forwarding;
pub mod restorable;
pub mod retention;
pub mod routing;
