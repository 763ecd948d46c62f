//! Rebuild mailbox: repairs an account's Maildir, records what it found, and tells the last
//! rebuild.

use sqlx::AnyPool;

use super::in_scope;
use crate::error::AppError;
use crate::model::rebuild::{RebuildRecord, RebuildReport};
use crate::ssr::access::caller::DomainScope;
use crate::ssr::access::state::AppState;
use crate::ssr::services::routing::no_account;
use crate::ssr::storage::audit::{self, Action, Actor, Entry};
use crate::ssr::storage::mailstore::{self, MailStore};
use crate::validate::Address;

/// Rebuild mailbox, for the server function and the command line alike: rebuilds the Maildir
/// of a live account of the scope's domain (see [`rebuild_account`]), audited as the caller.
pub async fn rebuild(
    state: &AppState,
    scope: &DomainScope,
    email: &str,
) -> Result<RebuildReport, AppError> {
    let address = in_scope(scope, email).ok_or_else(|| no_account(email))?;
    let actor = scope.actor();
    rebuild_account(&state.db, &state.mail, actor, &address).await
}

/// Repairs the live account's Maildir (see [`MailStore::rebuild`]), stores the message count
/// and size it measured, and audits it as `mailbox.rebuild` with the report's counts. Callers
/// go through [`rebuild`].
async fn rebuild_account(
    db: &AnyPool,
    store: &MailStore,
    actor: Actor<'_>,
    email: &str,
) -> Result<RebuildReport, AppError> {
    let address = email.trim().to_lowercase();
    let row: Option<(i64, String)> =
        sqlx::query_as("SELECT id, maildir FROM mailboxes WHERE email = $1 AND deleted_at IS NULL")
            .bind(&address)
            .fetch_optional(db)
            .await?;
    let (id, maildir) = row.ok_or_else(|| no_account(&address))?;
    let domain = Address::domain_of(&address);
    let domain = domain.as_deref();
    let work = {
        let store = store.clone();
        let address = address.clone();
        mailstore::blocking(move || store.rebuild(&maildir, &address)).await?
    };
    let report = match work {
        Ok(report) => report,
        Err(error) => {
            tracing::error!(%error, email = %address, "rebuild failed");
            let entry = Entry {
                outcome: audit::Outcome::Failed,
                ..Entry::new(actor, Action::AccountRebuild, domain, &address)
            };
            let mut conn = db.acquire().await?;
            audit::record(&mut conn, &entry).await?;
            return Err(AppError::Internal);
        }
    };
    let summary = report.summary();
    let mut tx = db.begin().await?;
    sqlx::query("UPDATE mailboxes SET message_count = $1, mailbox_bytes = $2 WHERE id = $3")
        .bind(i64::try_from(report.message_count).unwrap_or(i64::MAX))
        .bind(i64::try_from(report.mailbox_bytes).unwrap_or(i64::MAX))
        .bind(id)
        .execute(&mut *tx)
        .await?;
    let entry = Entry {
        details: &summary,
        ..Entry::new(actor, Action::AccountRebuild, domain, &address)
    };
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    tracing::info!(email = %address, actor = actor.name, %summary, "mailbox rebuilt");
    Ok(report)
}

/// The last rebuild of a live account of the scope's domain, from the audit log.
pub async fn last_rebuild(
    db: &AnyPool,
    scope: &DomainScope,
    email: &str,
) -> Result<Option<RebuildRecord>, AppError> {
    let address = in_scope(scope, email).ok_or_else(|| no_account(email))?;
    Ok(sqlx::query_as(
        "SELECT at, actor, outcome, details AS summary FROM audit_log
         WHERE domain = $1 AND action = $2 AND target = $3 ORDER BY id DESC LIMIT 1",
    )
    .bind(scope.domain())
    .bind(Action::AccountRebuild.as_str())
    .bind(&address)
    .fetch_optional(db)
    .await?)
}
