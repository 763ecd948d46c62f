//! An account's auto-reply: what the postmaster set, and the Sieve script made from it that
//! Dovecot reads through its SQL dict (the `sieve_scripts` view). Every save changes the
//! script's version, so Dovecot compiles the new script at the next message.

pub mod sieve;

use sqlx::{AnyConnection, AnyPool};

use super::routing::no_account;
use crate::error::AppError;
use crate::model::autoreply::AutoReplySettings;
use crate::ssr::access::caller::DomainScope;
use crate::ssr::storage::audit::{self, Action, Entry};
use crate::ssr::storage::domains::Domain;
use crate::validate::check_autoreply;

/// An auto-reply as typed; checked by [`check_autoreply`].
#[derive(Debug, Clone, Copy)]
pub struct ReplyInput<'a> {
    pub subject: &'a str,
    pub text: &'a str,
    /// `YYYY-MM-DD` or empty.
    pub starts_on: &'a str,
    /// `YYYY-MM-DD` or empty.
    pub ends_on: &'a str,
}

/// A live account of `domain`: its id and address in lowercase.
async fn account(
    conn: &mut AnyConnection,
    domain: &Domain,
    email: &str,
) -> Result<(i64, String), AppError> {
    let not_found = || no_account(email);
    let address = domain.address_of(email).ok_or_else(not_found)?;
    let id = sqlx::query_scalar(
        "SELECT id FROM mailboxes WHERE email = $1 AND domain_id = $2 AND deleted_at IS NULL",
    )
    .bind(&address)
    .bind(domain.id)
    .fetch_optional(&mut *conn)
    .await?
    .ok_or_else(not_found)?;
    Ok((id, address))
}

/// The auto-reply of a live account of `domain`: off and empty when none was ever set.
pub async fn get(
    db: &AnyPool,
    scope: &DomainScope,
    email: &str,
) -> Result<AutoReplySettings, AppError> {
    let domain = scope.within();
    let mut conn = db.acquire().await?;
    let (id, _) = account(&mut conn, domain, email).await?;
    let row = sqlx::query_as::<_, AutoReplySettings>(
        "SELECT enabled = 1 AS enabled, subject, body AS text,
                COALESCE(starts_on, '') AS starts_on, COALESCE(ends_on, '') AS ends_on
         FROM autoreplies WHERE mailbox_id = $1",
    )
    .bind(id)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(row.unwrap_or_default())
}

/// Turns on the auto-reply of a live account of `domain` with `input`, checked by the shared
/// rules, audited.
pub async fn set(
    db: &AnyPool,
    scope: &DomainScope,
    email: &str,
    input: ReplyInput<'_>,
) -> Result<(), AppError> {
    let domain = scope.within();
    let reply = check_autoreply(input.subject, input.text, input.starts_on, input.ends_on)
        .map_err(|problems| {
            let lines: Vec<String> = problems.iter().map(|p| format!("{p}.")).collect();
            AppError::Invalid(lines.join("\n"))
        })?;
    let script = sieve::vacation_script(&reply);
    let mut tx = db.begin().await?;
    let (id, address) = account(&mut tx, domain, email).await?;
    sqlx::query(
        "INSERT INTO autoreplies (mailbox_id, enabled, subject, body, starts_on, ends_on, script)
         VALUES ($1, 1, $2, $3, $4, $5, $6)
         ON CONFLICT (mailbox_id) DO UPDATE SET enabled = 1, subject = excluded.subject,
             body = excluded.body, starts_on = excluded.starts_on, ends_on = excluded.ends_on,
             script = excluded.script, version = autoreplies.version + 1",
    )
    .bind(id)
    .bind(&reply.subject)
    .bind(&reply.text)
    .bind(&reply.starts_on)
    .bind(&reply.ends_on)
    .bind(&script)
    .execute(&mut *tx)
    .await?;
    let mut details = "on".to_owned();
    if let Some(day) = &reply.starts_on {
        details.push_str(&format!("; from {day}"));
    }
    if let Some(day) = &reply.ends_on {
        details.push_str(&format!("; until {day}"));
    }
    audited(tx, scope, &address, &details).await
}

/// Turns off the auto-reply of a live account of `domain`, keeping its text for the next
/// time, audited.
pub async fn turn_off(db: &AnyPool, scope: &DomainScope, email: &str) -> Result<(), AppError> {
    let domain = scope.within();
    let mut tx = db.begin().await?;
    let (id, address) = account(&mut tx, domain, email).await?;
    sqlx::query("UPDATE autoreplies SET enabled = 0, version = version + 1 WHERE mailbox_id = $1")
        .bind(id)
        .execute(&mut *tx)
        .await?;
    audited(tx, scope, &address, "off").await
}

/// Audits a change of the auto-reply of `address` in the change's transaction, and commits both.
async fn audited(
    mut tx: sqlx::Transaction<'_, sqlx::Any>,
    scope: &DomainScope,
    address: &str,
    details: &str,
) -> Result<(), AppError> {
    let entry = Entry {
        details,
        ..Entry::new(
            scope.actor(),
            Action::AccountAutoreply,
            Some(scope.domain()),
            address,
        )
    };
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}
