//! Server functions: the only way the UI reads or changes data. Each authorizes through
//! `ssr::auth` first, then validates with the shared rules, then calls one service.

pub mod account;
pub mod accounts;
pub mod activity;
pub mod aliases;
pub mod auth;
pub mod autoreply;
pub mod forwarding;
pub mod two_factor;
