//! One module per screen.

pub mod account;
pub mod activity;
pub mod add_accounts;
pub mod add_one;
pub mod added;
pub mod catch_all;
pub mod delete;
pub mod deleted;
pub mod edit;
pub mod log_on;
pub mod not_found;
pub mod users;
