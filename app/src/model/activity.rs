//! The audit log as the Activity screen shows it.

use serde::{Deserialize, Serialize};

/// Entries per page of the Activity screen.
pub const ACTIVITY_PAGE_SIZE: u32 = 50;

/// One entry of the audit log.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct ActivityRow {
    pub at: String,
    pub actor: String,
    pub client_addr: String,
    pub action: String,
    pub target: String,
    pub outcome: String,
    pub details: String,
}

/// One slice of a domain's audit log, newest first: the rows Activity shows as "page N of M".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivitySlice {
    pub domain: String,
    pub rows: Vec<ActivityRow>,
    pub page: u32,
    pub pages: u32,
    /// The action names that the filter offers.
    pub actions: Vec<String>,
}
