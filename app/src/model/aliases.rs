//! Aliases as the screens show them.

use serde::{Deserialize, Serialize};

/// An alias as the Aliases list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct AliasRow {
    pub address: String,
    /// Where it delivers, as stored: addresses joined by ", ".
    pub targets: String,
    /// The date of its last change, `YYYY-MM-DD`.
    pub updated: String,
}

/// One slice of the Aliases list: the rows its screen shows as "page N of M".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasSlice {
    pub domain: String,
    pub rows: Vec<AliasRow>,
    /// How many aliases match: all of them, or as many as a search counted when `more`.
    pub total: u64,
    /// Whether a search found more than it counted: the list says "1000+".
    pub more: bool,
    pub page: u32,
    pub pages: u32,
}

/// An alias as the Edit alias screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AliasDetail {
    pub address: String,
    pub domain: String,
    pub targets: Vec<String>,
    pub created_at: String,
    pub updated_at: String,
}

/// A deleted alias as "Deleted aliases" shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct DeletedAlias {
    /// The row's id: several deleted aliases may share an address.
    pub id: i64,
    pub address: String,
    pub targets: String,
    pub deleted_at: String,
    /// Whole days until the purge removes it.
    pub days_left: i64,
}
