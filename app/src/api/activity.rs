//! The Activity screen: a domain's audit log.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::activity::ActivitySlice;

/// A page of a managed domain's audit log, optionally only one action and one account.
#[server]
pub async fn list_activity(
    domain: Option<String>,
    action: Option<String>,
    account: Option<String>,
    page: u32,
) -> Result<ActivitySlice, AppError> {
    use crate::ssr::{access::request, services::activity};
    let scope = request::require_domain(domain.as_deref()).await?;
    let state = request::app_state()?;
    activity::page(
        &state.db,
        &scope,
        action.as_deref().filter(|action| !action.is_empty()),
        account
            .as_deref()
            .filter(|account| !account.trim().is_empty()),
        page,
    )
    .await
}
