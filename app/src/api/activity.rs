//! The Activity screen: a domain's audit log.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

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

/// One page of a domain's audit log, newest first.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ActivityPage {
    pub domain: String,
    pub rows: Vec<ActivityRow>,
    pub page: u32,
    pub pages: u32,
    /// The action names that the filter offers.
    pub actions: Vec<String>,
}

/// A page of a managed domain's audit log, optionally only one action.
#[server]
pub async fn list_activity(
    domain: Option<String>,
    action: Option<String>,
    page: u32,
) -> Result<ActivityPage, AppError> {
    use crate::ssr::{activity, auth};
    let scope = auth::require_domain(domain.as_deref()).await?;
    let state = auth::app_state()?;
    activity::page(
        &state.db,
        &scope,
        action.as_deref().filter(|action| !action.is_empty()),
        page,
    )
    .await
}
