//! Pieces used by several screens.

pub mod brand;
pub mod field;
pub mod layout;
pub mod password_checklist;
