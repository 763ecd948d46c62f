//! The Users list.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// Accounts per page of the Users list.
pub const PAGE_SIZE: u32 = 50;

/// An account as the Users list shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct MailboxRow {
    pub email: String,
    pub first_name: String,
    pub last_name: String,
    pub active: bool,
    /// The creation date, `YYYY-MM-DD`.
    pub created: String,
    /// The mailbox's size in bytes, when known.
    pub mailbox_bytes: Option<i64>,
}

/// One page of the Users list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MailboxPage {
    pub domain: String,
    pub rows: Vec<MailboxRow>,
    pub total: u64,
    pub page: u32,
    pub pages: u32,
}

/// The domains the signed-in administrator manages.
#[server]
pub async fn list_domains() -> Result<Vec<String>, AppError> {
    use crate::ssr::auth;
    let admin = auth::require_admin()?;
    let state = auth::app_state()?;
    Ok(auth::managed_domains(&state.db, &admin)
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect())
}

/// A page of a managed domain's accounts matching `search`.
#[server]
pub async fn list_mailboxes(
    domain: Option<String>,
    search: String,
    page: u32,
) -> Result<MailboxPage, AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(domain.as_deref()).await?;
    let state = auth::app_state()?;
    mailboxes::list(&state.db, &scope, &search, page).await
}
