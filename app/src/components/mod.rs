//! Pieces used by several screens.

pub mod brand;
pub mod field;
