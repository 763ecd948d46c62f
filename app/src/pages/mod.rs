//! One module per screen.

pub mod account;
pub mod log_on;
pub mod not_found;
pub mod users;
