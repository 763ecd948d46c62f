//! An account's auto-reply as the Edit screen shows it.

use serde::{Deserialize, Serialize};

/// An account's auto-reply as the Edit screen shows it; an empty day is none.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AutoReplySettings {
    #[cfg_attr(feature = "ssr", sqlx(try_from = "crate::ssr::storage::db::Flag"))]
    pub enabled: bool,
    pub subject: String,
    pub text: String,
    /// The first day it answers, `YYYY-MM-DD`, or empty.
    pub starts_on: String,
    /// The last day it answers, `YYYY-MM-DD`, or empty.
    pub ends_on: String,
}
