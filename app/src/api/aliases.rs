//! Aliases: the Aliases list, add one or many, edit targets, delete and restore.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::aliases::{AliasDetail, AliasSlice, DeletedAlias};
use crate::model::deleted::DeletedPage;
use crate::model::matches::SearchMatches;

/// A page of a managed domain's aliases whose address or targets contain `search`.
#[server]
pub async fn list_aliases(
    domain: Option<String>,
    search: String,
    page: u32,
) -> Result<AliasSlice, AppError> {
    use crate::ssr::{access::request, services::aliases};
    let scope = request::require_domain(domain.as_deref()).await?;
    let state = request::app_state()?;
    aliases::list(&state.db, &scope, &search, page).await
}

/// One alias of a managed domain, for the Edit alias screen.
#[server]
pub async fn get_alias(address: String) -> Result<AliasDetail, AppError> {
    use crate::ssr::{access::request, services::aliases};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&address).as_deref()).await?;
    let state = request::app_state()?;
    aliases::detail(&state.db, &scope, &address).await
}

/// Adds one alias: `name` (or a full address of the domain) delivering to `targets`,
/// separated by commas, spaces or lines. Goes to the Aliases list.
#[server]
pub async fn add_alias(domain: String, name: String, targets: String) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::aliases};
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let address = aliases::add(&state.db, &scope, &name, &targets)
        .await
        .map_err(|error| {
            use crate::validate::Field;
            error.keeping(&[(Field::Alias, &name), (Field::Targets, &targets)])
        })?;
    leptos_axum::redirect(
        &crate::routes::Aliases {
            domain: Some(scope.domain()),
            added: Some(&address),
            ..Default::default()
        }
        .href(),
    );
    Ok(())
}

/// Adds every alias of a pasted list (`alias target[,target…]` a line) in one transaction, or
/// none: a refusal names each problem by line. Goes to the Aliases list.
#[server]
pub async fn add_aliases(domain: String, text: String) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::aliases};
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let added = aliases::add_from_paste(&state.db, &scope, &text).await?;
    let list = crate::routes::Aliases {
        domain: Some(scope.domain()),
        added_many: Some(added),
        ..Default::default()
    };
    leptos_axum::redirect(&list.href());
    Ok(())
}

/// Changes where an alias delivers. Comes back to the Edit alias screen.
#[server]
pub async fn update_alias(address: String, targets: String) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::aliases};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&address).as_deref()).await?;
    let state = request::app_state()?;
    aliases::update(&state.db, &scope, &address, &targets)
        .await
        .map_err(|error| error.keeping(&[(crate::validate::Field::Targets, &targets)]))?;
    leptos_axum::redirect(
        &crate::routes::EditAlias {
            address: &address.trim().to_ascii_lowercase(),
            saved: true,
        }
        .href(),
    );
    Ok(())
}

/// Deletes the aliases named, separated by whitespace (they go to "Deleted aliases" until
/// purged). Goes back to the page of Aliases the delete was asked on: its search `q` and number.
#[server]
pub async fn delete_aliases(
    domain: String,
    addresses: String,
    q: Option<String>,
    page: Option<u32>,
) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::aliases};
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let addresses: Vec<&str> = addresses.split_whitespace().collect();
    let deleted = aliases::delete(&state.db, &scope, &addresses).await?;
    leptos_axum::redirect(
        &crate::routes::Aliases {
            domain: Some(scope.domain()),
            q: q.as_deref(),
            page,
            deleted: Some(deleted),
            ..Default::default()
        }
        .href(),
    );
    Ok(())
}

/// The live aliases of a managed domain that `search` finds now, all counted, the first
/// named: the confirmation of deleting every match of a search.
#[server]
pub async fn matching_aliases(
    domain: Option<String>,
    search: String,
) -> Result<SearchMatches, AppError> {
    use crate::ssr::{access::request, services::aliases};
    let scope = request::require_domain(domain.as_deref()).await?;
    let state = request::app_state()?;
    let found = aliases::matching(&state.db, &scope, &search).await?;
    Ok(SearchMatches::of(scope.domain(), found))
}

/// Deletes every live alias that `search` finds when the delete is confirmed, as a delete of
/// ticked ones does (they go to "Deleted aliases" until purged). Goes to Aliases.
#[server]
pub async fn delete_matching_aliases(domain: String, search: String) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::aliases};
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let deleted = aliases::delete_matching(&state.db, &scope, &search).await?;
    leptos_axum::redirect(
        &crate::routes::Aliases {
            domain: Some(scope.domain()),
            deleted: Some(deleted),
            ..Default::default()
        }
        .href(),
    );
    Ok(())
}

/// A page of the deleted aliases of a managed domain that can still be restored, newest first.
#[server]
pub async fn list_deleted_aliases(
    domain: Option<String>,
    page: Option<u32>,
) -> Result<DeletedPage<DeletedAlias>, AppError> {
    use crate::ssr::{access::request, services::aliases};
    let scope = request::require_domain(domain.as_deref()).await?;
    let state = request::app_state()?;
    aliases::deleted(&state.db, &scope, page.unwrap_or(1)).await
}

/// Restores a deleted alias, refused clearly when its address was taken again meanwhile.
#[server]
pub async fn restore_alias(domain: String, id: i64) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::aliases};
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let address = aliases::restore(&state.db, &scope, id).await?;
    leptos_axum::redirect(
        &crate::routes::DeletedAliases {
            domain: Some(scope.domain()),
            restored: Some(&address),
            page: None,
        }
        .href(),
    );
    Ok(())
}
