//! One module per screen.

pub mod account;
pub mod activity;
pub mod add_accounts;
pub mod add_aliases;
pub mod add_one;
pub mod added;
pub mod aliases;
pub mod catch_all;
pub mod delete;
pub mod deleted;
pub mod edit;
pub mod edit_alias;
pub mod log_on;
pub mod log_on_code;
pub mod not_found;
pub mod users;
