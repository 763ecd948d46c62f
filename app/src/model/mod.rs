//! The data the screens show, shared by the server functions (`api`), the services (`ssr`)
//! and the browser: plain serializable types, beneath both sides.

pub mod accounts;
pub mod activity;
pub mod aliases;
pub mod autoreply;
pub mod deleted;
pub mod drafts;
pub mod forwarding;
pub mod matches;
pub mod rebuild;
pub mod two_factor;
