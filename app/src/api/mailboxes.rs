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
pub struct MailboxDetail {
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

/// Adds every account of a pasted list in one transaction, or none. The server re-checks every
/// line with the shared rules and the addresses already taken; a refusal names each problem by
/// line (never a password). On success it goes to the result screen of the new batch.
#[server]
pub async fn add_accounts(
    domain: String,
    text: String,
    generate: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(Some(&domain)).await?;
    let state = auth::app_state()?;
    let batch = mailboxes::add_from_paste(
        &state,
        &scope,
        &auth::client_addr(),
        &text,
        generate.is_some(),
    )
    .await?;
    leptos_axum::redirect(&format!("/users/added?batch={batch}"));
    Ok(())
}

/// Adds one account. On success it goes to the result screen.
#[server]
pub async fn add_account(
    domain: String,
    username: String,
    first_name: String,
    last_name: String,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(Some(&domain)).await?;
    let state = auth::app_state()?;
    let account = mailboxes::OneAccount {
        username,
        first_name,
        last_name,
        password,
        password_again,
    };
    let batch = mailboxes::add_one(&state, &scope, &auth::client_addr(), account).await?;
    leptos_axum::redirect(&format!("/users/added?batch={batch}"));
    Ok(())
}

/// The accounts of a batch just added, with generated passwords; readable once, by the
/// session that added them.
#[server]
pub async fn added_accounts(batch: String) -> Result<AddedBatch, AppError> {
    use crate::ssr::{auth, mailboxes};
    let session = auth::require_session()?;
    let state = auth::app_state()?;
    mailboxes::take_batch(&state, &session, &batch)
}

/// One account of a managed domain, for the Edit screen.
#[server]
pub async fn get_mailbox(email: String) -> Result<MailboxDetail, AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(email.rsplit_once('@').map(|(_, domain)| domain)).await?;
    let state = auth::app_state()?;
    mailboxes::detail(&state.db, &scope, &email).await
}

/// Changes an account's names and whether it may log in.
#[server]
pub async fn update_mailbox(
    email: String,
    first_name: String,
    last_name: String,
    active: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(email.rsplit_once('@').map(|(_, domain)| domain)).await?;
    let state = auth::app_state()?;
    mailboxes::update(
        &state.db,
        &scope,
        &auth::client_addr(),
        &email,
        &first_name,
        &last_name,
        active.is_some(),
    )
    .await?;
    leptos_axum::redirect(&format!(
        "/users/edit?email={}&saved=1",
        crate::url::encode_query(&email)
    ));
    Ok(())
}

/// Sets an account's password (typed twice), checked by the shared rules.
#[server]
pub async fn set_mailbox_password(
    email: String,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(email.rsplit_once('@').map(|(_, domain)| domain)).await?;
    let state = auth::app_state()?;
    mailboxes::set_password(
        &state,
        &scope,
        &auth::client_addr(),
        &email,
        &password,
        &password_again,
    )
    .await?;
    leptos_axum::redirect(&format!(
        "/users/edit?email={}&password=1",
        crate::url::encode_query(&email)
    ));
    Ok(())
}

/// Deletes the accounts named, separated by whitespace (they go to "Deleted accounts" until
/// purged). Goes to Users.
#[server]
pub async fn delete_mailboxes(domain: String, emails: String) -> Result<(), AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(Some(&domain)).await?;
    let state = auth::app_state()?;
    let emails: Vec<&str> = emails.split_whitespace().collect();
    let deleted = mailboxes::delete(&state.db, &scope, &auth::client_addr(), &emails).await?;
    leptos_axum::redirect(&format!(
        "/users?domain={}&deleted={deleted}",
        scope.domain()
    ));
    Ok(())
}

/// The deleted accounts of a managed domain that can still be restored, newest first.
#[server]
pub async fn list_deleted(domain: Option<String>) -> Result<(String, Vec<DeletedRow>), AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(domain.as_deref()).await?;
    let state = auth::app_state()?;
    Ok((
        scope.domain().to_owned(),
        mailboxes::deleted(&state.db, &scope).await?,
    ))
}

/// Restores a deleted account, refused clearly when its address was taken again meanwhile.
#[server]
pub async fn restore_mailbox(domain: String, id: i64) -> Result<(), AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(Some(&domain)).await?;
    let state = auth::app_state()?;
    let email = mailboxes::restore(&state.db, &scope, &auth::client_addr(), id).await?;
    leptos_axum::redirect(&format!(
        "/users/deleted?domain={}&restored={}",
        scope.domain(),
        crate::url::encode_query(&email)
    ));
    Ok(())
}
