//! One module per screen.

pub mod log_on;
pub mod not_found;
