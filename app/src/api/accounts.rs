//! Accounts: the Users list, add, edit, password, delete, restore and Rebuild mailbox.

// A server function's arguments are its form's fields, posted side by side: Add one account
// has more than clippy's usual limit, on the server and in the browser's copy the macro makes.
#![allow(clippy::too_many_arguments)]

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::accounts::{AccountDetail, AccountSlice, AddedBatch, DeletedRow};
use crate::model::deleted::DeletedPage;
use crate::model::matches::SearchMatches;
use crate::model::rebuild::{RebuildRecord, RebuildReport};

/// The domains the signed-in administrator manages.
#[server]
pub async fn list_domains() -> Result<Vec<String>, AppError> {
    use crate::ssr::access::{caller, request};
    let admin = request::require_admin()?;
    let state = request::app_state()?;
    Ok(caller::managed_domains(&state.db, &admin)
        .await?
        .into_iter()
        .map(|(_, name)| name)
        .collect())
}

/// A page of a managed domain's accounts matching `search`: the first, or the one after or
/// before an address (see [`crate::model::accounts::PageStart::of`]); `page` is the number the link carried.
#[server]
pub async fn list_accounts(
    domain: Option<String>,
    search: String,
    page: u32,
    after: Option<String>,
    before: Option<String>,
) -> Result<AccountSlice, AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope = request::require_domain(domain.as_deref()).await?;
    let state = request::app_state()?;
    let start = crate::model::accounts::PageStart::of(after, before);
    accounts::list(&state.db, &scope, &search, &start, page).await
}

/// Adds every account of a pasted list in one transaction, or none, with the quota given (the
/// domain's default when empty). The server re-checks every line with the shared rules and the
/// addresses already taken; a refusal names each problem by line (never a password). On
/// success it goes to the result screen of the new batch.
#[server]
pub async fn add_accounts(
    domain: String,
    text: String,
    generate: Option<String>,
    quota_mb: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::accounts};
    let session = request::require_session()?;
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let pasted = accounts::PastedAccounts {
        text: &text,
        generate: generate.is_some(),
        quota_mb: quota_mb.as_deref(),
    };
    let batch = accounts::add_pasted(&state, &scope, &session.key(), pasted).await?;
    leptos_axum::redirect(&crate::routes::Added { batch: &batch }.href());
    Ok(())
}

/// How far this session's running add has got: passwords hashed, and in all; nothing when no
/// add runs. The Add accounts page asks while the browser waits for the answer to its post.
#[server]
pub async fn add_progress() -> Result<Option<(usize, usize)>, AppError> {
    use crate::ssr::access::request;
    let session = request::require_session()?;
    Ok(request::app_state()?.progress.get(&session.key()))
}

/// Adds one account, with a password typed twice or generated (both left empty and
/// `generate` ticked), and a quota or the domain's default. On success it goes to the result
/// screen, which shows a generated password.
#[server]
pub async fn add_account(
    domain: String,
    username: String,
    first_name: String,
    last_name: String,
    password: Option<String>,
    password_again: Option<String>,
    generate: Option<String>,
    quota_mb: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::accounts};
    let session = request::require_session()?;
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let typed = {
        use crate::validate::Field;
        [
            (Field::Username, username.clone()),
            (Field::FirstName, first_name.clone()),
            (Field::LastName, last_name.clone()),
            (Field::Quota, quota_mb.clone().unwrap_or_default()),
            (Field::Generate, generate.clone().unwrap_or_default()),
        ]
    };
    let account = accounts::OneAccount {
        username,
        first_name,
        last_name,
        password: password.unwrap_or_default(),
        password_again: password_again.unwrap_or_default(),
        generate: generate.is_some(),
        quota_mb,
    };
    let key = session.key();
    let slot = state.batches.reserve(&key)?;
    let progress = state.progress.track(&key);
    let batch = accounts::add_one(&state, &scope, account, Some(&progress))
        .await
        .map_err(|error| {
            let typed = typed
                .each_ref()
                .map(|(field, value)| (*field, value.as_str()));
            error.keeping(&typed)
        })?;
    drop(progress);
    let id = slot.fill(batch);
    leptos_axum::redirect(&crate::routes::Added { batch: &id }.href());
    Ok(())
}

/// The accounts of a batch just added, with generated passwords; readable by the session that
/// added them until it is done with them, or for a few minutes.
#[server]
pub async fn added_accounts(batch: String) -> Result<AddedBatch, AppError> {
    use crate::ssr::access::request;
    let session = request::require_session()?;
    let state = request::app_state()?;
    state.batches.get(&session.key(), &batch).ok_or_else(|| {
        AppError::NotFound(
            "The list of new accounts (it is kept for 10 minutes, or until you choose Done)".into(),
        )
    })
}

/// Forgets a batch just added, generated passwords and all, and goes to Users.
#[server]
pub async fn dismiss_batch(batch: String) -> Result<(), AppError> {
    use crate::ssr::access::request;
    let session = request::require_session()?;
    let state = request::app_state()?;
    state.batches.dismiss(&session.key(), &batch);
    leptos_axum::redirect(crate::routes::Users::PATH);
    Ok(())
}

/// One account of a managed domain, for the Edit screen.
#[server]
pub async fn get_account(email: String) -> Result<AccountDetail, AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&email).as_deref()).await?;
    let state = request::app_state()?;
    accounts::detail(&state.db, &scope, &email).await
}

/// Changes an account's names, whether it may log in and its quota in MB (0: no limit), checked
/// by the shared rule. A post without `quota_mb`, or with it empty (the form decodes both as
/// `None`), keeps the quota.
#[server]
pub async fn update_account(
    email: String,
    first_name: String,
    last_name: String,
    active: Option<String>,
    quota_mb: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&email).as_deref()).await?;
    let typed = |error: AppError| {
        use crate::validate::Field;
        let quota = quota_mb.as_deref().unwrap_or_default();
        error.keeping(&[
            (Field::FirstName, &first_name),
            (Field::LastName, &last_name),
            (Field::Active, active.as_deref().unwrap_or_default()),
            (Field::Quota, quota),
        ])
    };
    let quota = quota_mb
        .as_deref()
        .map(crate::validate::parse_quota_mb)
        .transpose()
        .map_err(|message| typed(accounts::quota_refused(message)))?;
    let state = request::app_state()?;
    let changes = accounts::AccountChanges {
        first_name: &first_name,
        last_name: &last_name,
        active: active.is_some(),
        quota_mb: quota,
    };
    accounts::update(&state.db, &scope, &email, changes)
        .await
        .map_err(typed)?;
    leptos_axum::redirect(
        &crate::routes::EditAccount {
            email: &email,
            saved: true,
            ..Default::default()
        }
        .href(),
    );
    Ok(())
}

/// Sets an account's password (typed twice), checked by the shared rules.
#[server]
pub async fn set_account_password(
    email: String,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&email).as_deref()).await?;
    let state = request::app_state()?;
    accounts::set_password(&state, &scope, &email, &password, &password_again).await?;
    leptos_axum::redirect(
        &crate::routes::EditAccount {
            email: &email,
            password: true,
            ..Default::default()
        }
        .href(),
    );
    Ok(())
}

/// Deletes the accounts named, separated by whitespace (they go to "Deleted accounts" until
/// purged). Goes back to the page of Users the delete was asked on: its search `q`, its number,
/// and the address it starts after or ends before.
#[server]
pub async fn delete_accounts(
    domain: String,
    emails: String,
    q: Option<String>,
    page: Option<u32>,
    after: Option<String>,
    before: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let emails: Vec<&str> = emails.split_whitespace().collect();
    let deleted = accounts::delete(&state.db, &scope, &emails).await?;
    leptos_axum::redirect(
        &crate::routes::Users {
            domain: Some(scope.domain()),
            q: q.as_deref(),
            page,
            after: after.as_deref(),
            before: before.as_deref(),
            deleted: Some(deleted),
        }
        .href(),
    );
    Ok(())
}

/// The live accounts of a managed domain that `search` finds now, all counted, the first
/// named: the confirmation of deleting every match of a search.
#[server]
pub async fn matching_accounts(
    domain: Option<String>,
    search: String,
) -> Result<SearchMatches, AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope = request::require_domain(domain.as_deref()).await?;
    let state = request::app_state()?;
    let found = accounts::matching(&state.db, &scope, &search).await?;
    Ok(SearchMatches::of(scope.domain(), found))
}

/// Deletes every live account that `search` finds when the delete is confirmed, as a delete
/// of ticked ones does (they go to "Deleted accounts" until purged). Goes to Users.
#[server]
pub async fn delete_matching_accounts(domain: String, search: String) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let deleted = accounts::delete_matching(&state.db, &scope, &search).await?;
    leptos_axum::redirect(
        &crate::routes::Users {
            domain: Some(scope.domain()),
            deleted: Some(deleted),
            ..Default::default()
        }
        .href(),
    );
    Ok(())
}

/// A page of the deleted accounts of a managed domain that can still be restored, newest first.
#[server]
pub async fn list_deleted(
    domain: Option<String>,
    page: Option<u32>,
) -> Result<DeletedPage<DeletedRow>, AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope = request::require_domain(domain.as_deref()).await?;
    let state = request::app_state()?;
    accounts::deleted(&state.db, &scope, page.unwrap_or(1)).await
}

/// Restores a deleted account, refused clearly when its address was taken again meanwhile.
#[server]
pub async fn restore_account(domain: String, id: i64) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let email = accounts::restore(&state, &scope, id).await?;
    leptos_axum::redirect(
        &crate::routes::DeletedAccounts {
            domain: Some(scope.domain()),
            restored: Some(&email),
            page: None,
        }
        .href(),
    );
    Ok(())
}

/// Rebuilds an account's mailbox so that checking mail works again, and reports what it found
/// and did (see [`RebuildReport`]). Mail is never deleted: what is not a message goes to a
/// quarantine folder inside the mailbox.
#[server]
pub async fn rebuild_account(email: String) -> Result<RebuildReport, AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&email).as_deref()).await?;
    let state = request::app_state()?;
    let report = accounts::rebuild(&state, &scope, &email).await?;
    leptos_axum::redirect(
        &crate::routes::EditAccount {
            email: &email,
            rebuilt: true,
            ..Default::default()
        }
        .href(),
    );
    Ok(report)
}

/// The last rebuild of an account, if any: what the page shows after a rebuild was posted,
/// since the report does not travel back with the form's redirect.
#[server]
pub async fn last_rebuild(email: String) -> Result<Option<RebuildRecord>, AppError> {
    use crate::ssr::{access::request, services::accounts};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&email).as_deref()).await?;
    let state = request::app_state()?;
    accounts::last_rebuild(&state.db, &scope, &email).await
}
