//! Accounts: the Users list, add, edit, password, delete, restore and Rebuild mailbox.

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
    /// `total` is a lower bound: a broad search stopped counting there.
    pub more: bool,
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
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(Some(&domain)).await?;
    let quota_mb = quota_mb
        .filter(|typed| !typed.trim().is_empty())
        .map(|typed| crate::validate::parse_quota_mb(&typed))
        .transpose()
        .map_err(|message| AppError::Invalid(format!("{message}.")))?;
    let state = auth::app_state()?;
    let options = mailboxes::PasteOptions {
        generate_missing: generate.is_some(),
        quota_mb,
    };
    let batch =
        mailboxes::add_from_paste(&state, &scope, &auth::client_addr(), &text, options).await?;
    leptos_axum::redirect(&format!("/users/added?batch={batch}"));
    Ok(())
}

/// How far this session's running add has got: passwords hashed, and in all; nothing when no
/// add runs. The Add accounts page asks while the browser waits for the answer to its post.
#[server]
pub async fn add_progress() -> Result<Option<(usize, usize)>, AppError> {
    use crate::ssr::auth;
    let session = auth::require_session()?;
    Ok(auth::app_state()?.progress.get(&session.key()))
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

/// The accounts of a batch just added, with generated passwords; readable by the session that
/// added them until it is done with them, or for a few minutes.
#[server]
pub async fn added_accounts(batch: String) -> Result<AddedBatch, AppError> {
    use crate::ssr::{auth, mailboxes};
    let session = auth::require_session()?;
    let state = auth::app_state()?;
    mailboxes::added_batch(&state, &session, &batch)
}

/// Forgets a batch just added, generated passwords and all, and goes to Users.
#[server]
pub async fn dismiss_batch(batch: String) -> Result<(), AppError> {
    use crate::ssr::{auth, mailboxes};
    let session = auth::require_session()?;
    let state = auth::app_state()?;
    mailboxes::dismiss_batch(&state, &session, &batch);
    leptos_axum::redirect("/users");
    Ok(())
}

/// One account of a managed domain, for the Edit screen.
#[server]
pub async fn get_mailbox(email: String) -> Result<MailboxDetail, AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(email.rsplit_once('@').map(|(_, domain)| domain)).await?;
    let state = auth::app_state()?;
    mailboxes::detail(&state.db, &scope, &email).await
}

/// Changes an account's names, whether it may log in and its quota in MB (0: no limit), checked
/// by the shared rule. A post without `quota_mb`, or with it empty (the form decodes both as
/// `None`), keeps the quota.
#[server]
pub async fn update_mailbox(
    email: String,
    first_name: String,
    last_name: String,
    active: Option<String>,
    quota_mb: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(email.rsplit_once('@').map(|(_, domain)| domain)).await?;
    let quota_mb = quota_mb
        .map(|typed| crate::validate::parse_quota_mb(&typed))
        .transpose()
        .map_err(|message| AppError::Invalid(format!("{message}.")))?;
    let state = auth::app_state()?;
    let changes = mailboxes::AccountChanges {
        first_name: &first_name,
        last_name: &last_name,
        active: active.is_some(),
        quota_mb,
    };
    mailboxes::update(&state.db, &scope, &auth::client_addr(), &email, changes).await?;
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
    let email = mailboxes::restore(&state, &scope, &auth::client_addr(), id).await?;
    leptos_axum::redirect(&format!(
        "/users/deleted?domain={}&restored={}",
        scope.domain(),
        crate::url::encode_query(&email)
    ));
    Ok(())
}

/// Whether Dovecot was asked to resync the mailbox, and how that went.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub enum Resync {
    /// No `doveadm` or no Dovecot configuration is set up on this server.
    NotConfigured,
    /// `doveadm force-resync` succeeded.
    Done,
    /// `doveadm force-resync` failed; Dovecot resyncs by itself at the next log-in.
    Failed(String),
}

/// What a rebuild found and did. Names are relative to the account's Maildir.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RebuildReport {
    /// Folders that were missing and are created again (`cur`, `.Sent/tmp`).
    pub folders_created: Vec<String>,
    /// Entries handed back to the mail user.
    pub owners_fixed: u64,
    /// Entries whose mode is set back to 0700 (folders) or 0600 (files).
    pub modes_fixed: u64,
    /// Abandoned deliveries removed from `tmp/`.
    pub stale_tmp_removed: Vec<String>,
    /// What was not a message, moved out of `cur/` and `new/`: `from -> to`.
    pub quarantined: Vec<String>,
    /// Dovecot index, cache and lock files removed.
    pub index_files_removed: Vec<String>,
    pub resync: Resync,
    /// What could not be repaired, and why.
    pub problems: Vec<String>,
    /// Messages in all folders after the rebuild.
    pub message_count: u64,
    /// Their size in bytes.
    pub mailbox_bytes: u64,
}

impl RebuildReport {
    /// The report as short sentences, for a screen or a terminal.
    pub fn lines(&self) -> Vec<String> {
        let mut lines = Vec::new();
        let list = |items: &[String]| items.join(", ");
        if !self.folders_created.is_empty() {
            lines.push(format!(
                "Recreated missing folders: {}.",
                list(&self.folders_created)
            ));
        }
        if self.owners_fixed > 0 {
            lines.push(format!(
                "Gave {} files and folders back to the mail user.",
                self.owners_fixed
            ));
        }
        if self.modes_fixed > 0 {
            lines.push(format!(
                "Fixed the permissions of {} files and folders.",
                self.modes_fixed
            ));
        }
        if !self.stale_tmp_removed.is_empty() {
            lines.push(format!(
                "Cleared {} abandoned deliveries older than 36 hours from tmp.",
                self.stale_tmp_removed.len()
            ));
        }
        if !self.quarantined.is_empty() {
            lines.push(format!(
                "Moved {} files that are not messages to a quarantine folder in the mailbox: {}.",
                self.quarantined.len(),
                list(&self.quarantined)
            ));
        }
        if !self.index_files_removed.is_empty() {
            lines.push(format!(
                "Removed {} index, cache and lock files; the mail server rebuilds them.",
                self.index_files_removed.len()
            ));
        }
        lines.push(match &self.resync {
            Resync::NotConfigured => {
                "The mail server will resynchronise the mailbox at the next log-in.".to_owned()
            }
            Resync::Done => "The mail server resynchronised the mailbox.".to_owned(),
            Resync::Failed(why) => format!(
                "The mail server could not resynchronise now ({why}); it will at the next log-in."
            ),
        });
        for problem in &self.problems {
            lines.push(format!("Not repaired: {problem}."));
        }
        lines.push(format!(
            "The mailbox holds {} messages, {} bytes.",
            self.message_count, self.mailbox_bytes
        ));
        lines
    }

    /// One line for the audit log: counts only, no file names.
    pub fn summary(&self) -> String {
        let resync = match &self.resync {
            Resync::NotConfigured => "no resync".to_owned(),
            Resync::Done => "resynced".to_owned(),
            Resync::Failed(why) => format!("resync failed: {why}"),
        };
        format!(
            "{} messages, {} bytes; folders created {}; owners fixed {}; modes fixed {}; \
             tmp cleared {}; quarantined {}; index files removed {}; {resync}; problems {}",
            self.message_count,
            self.mailbox_bytes,
            self.folders_created.len(),
            self.owners_fixed,
            self.modes_fixed,
            self.stale_tmp_removed.len(),
            self.quarantined.len(),
            self.index_files_removed.len(),
            self.problems.len()
        )
    }
}

/// The last rebuild of an account, as the audit log recorded it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ssr", derive(sqlx::FromRow))]
pub struct RebuildRecord {
    /// When, `YYYY-MM-DDTHH:MM:SSZ`.
    pub at: String,
    /// Who: an administrator's address, or "cli".
    pub actor: String,
    /// `ok` or `failed`.
    pub outcome: String,
    /// What it found and did, in counts ([`RebuildReport::summary`]).
    pub summary: String,
}

/// Rebuilds an account's mailbox so that checking mail works again, and reports what it found
/// and did (see [`RebuildReport`]). Mail is never deleted: what is not a message goes to a
/// quarantine folder inside the mailbox.
#[server]
pub async fn rebuild_mailbox(email: String) -> Result<RebuildReport, AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(email.rsplit_once('@').map(|(_, domain)| domain)).await?;
    let state = auth::app_state()?;
    let report = mailboxes::rebuild(&state, &scope, &auth::client_addr(), &email).await?;
    leptos_axum::redirect(&format!(
        "/users/edit?email={}&rebuilt=1",
        crate::url::encode_query(&email)
    ));
    Ok(report)
}

/// The last rebuild of an account, if any: what the page shows after a rebuild was posted,
/// since the report does not travel back with the form's redirect.
#[server]
pub async fn last_rebuild(email: String) -> Result<Option<RebuildRecord>, AppError> {
    use crate::ssr::{auth, mailboxes};
    let scope = auth::require_domain(email.rsplit_once('@').map(|(_, domain)| domain)).await?;
    let state = auth::app_state()?;
    mailboxes::last_rebuild(&state.db, &scope, &email).await
}
