//! Accounts as the screens show them: the Users list, the Edit screen, a batch just added
//! and "Deleted accounts".

use serde::{Deserialize, Serialize};

/// Accounts per page of the Users list.
pub const PAGE_SIZE: u32 = 50;

/// An account as the Users list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountRow {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub active: bool,
    /// The creation date, `YYYY-MM-DD`.
    pub created: String,
    /// The mailbox's size in bytes, when known.
    pub mailbox_bytes: Option<i64>,
}

/// Where a page of the Users list starts: at the first account, or next to an address that
/// a link carries (keyset paging, so a deep page costs what the first one does).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum PageStart {
    First,
    /// The accounts after this address (Next).
    After(String),
    /// The accounts before this address (Previous).
    Before(String),
}

impl PageStart {
    /// The start a link's `after=` or `before=` asks for; `after` wins when both are there.
    pub fn of(after: Option<String>, before: Option<String>) -> Self {
        match (after, before) {
            (Some(after), _) if !after.is_empty() => Self::After(after),
            (_, Some(before)) if !before.is_empty() => Self::Before(before),
            _ => Self::First,
        }
    }
}

/// One slice of the Users list: the rows its screen shows as "page N of M".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountSlice {
    pub domain: String,
    pub rows: Vec<AccountRow>,
    pub total: u64,
    /// `total` is a lower bound: a broad search stopped counting there.
    pub more: bool,
    /// The page's number as the links carried it, for "Page N of M" only: the rows come from
    /// the address in the link, not from counting the accounts before it.
    pub page: u32,
    pub pages: u32,
    /// Accounts come before the first row (a Previous link).
    pub has_previous: bool,
    /// Accounts come after the last row (a Next link).
    pub has_next: bool,
}
/// One account of a batch just created; the password only when the console generated it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedAccount {
    pub email: String,
    pub generated_password: Option<String>,
}

/// The accounts a bulk or single add created, as the result screen shows them once.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddedBatch {
    pub domain: String,
    pub accounts: Vec<AddedAccount>,
}

/// An account as the Edit screen shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct AccountDetail {
    pub email: String,
    pub domain: String,
    pub username: String,
    pub first_name: String,
    pub last_name: String,
    pub active: bool,
    pub created_at: String,
    pub updated_at: String,
    pub password_changed_at: String,
    pub message_count: Option<i64>,
    pub mailbox_bytes: Option<i64>,
    /// The quota in MB; 0 is no limit.
    pub quota_mb: i64,
}

/// A deleted account as "Deleted accounts" shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeletedRow {
    /// The row's id: several deleted accounts may share an address.
    pub id: i64,
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub deleted_at: String,
    /// Whole days until the purge removes it with its mail.
    pub days_left: i64,
}
