//! Editing an account: the Edit screen's detail, its names, active flag and quota, and its
//! password.

use sqlx::AnyPool;

use super::in_scope;
use super::list::{USAGE_BYTES, USAGE_MESSAGES};
use crate::error::AppError;
use crate::model::accounts::AccountDetail;
use crate::ssr::access::caller::DomainScope;
use crate::ssr::access::state::AppState;
use crate::ssr::services::routing::no_account;
use crate::ssr::storage::audit::{self, Action, Entry};
use crate::ssr::storage::db::{Backend, Flag};
use crate::validate::{
    name_problems, password_problems, Field, FieldProblem, PasswordContext, Rule, PASSWORDS_DIFFER,
};

/// A live account of the scope's domain, for the Edit screen.
pub async fn detail(
    db: &AnyPool,
    scope: &DomainScope,
    email: &str,
) -> Result<AccountDetail, AppError> {
    let address = in_scope(scope, email).ok_or_else(|| no_account(email))?;
    type Row = (
        String,
        String,
        String,
        String,
        Flag,
        String,
        String,
        String,
        Option<i64>,
        Option<i64>,
        i64,
    );
    let row: Option<Row> = sqlx::query_as(&format!(
        "SELECT email, local_part, first_name, last_name, active, created_at, updated_at,
                    password_changed_at, {USAGE_MESSAGES}, {USAGE_BYTES}, quota_mb
             FROM mailboxes WHERE email = $1 AND domain_id = $2 AND deleted_at IS NULL"
    ))
    .bind(&address)
    .bind(scope.domain_id())
    .fetch_optional(db)
    .await?;
    let (
        email,
        username,
        first_name,
        last_name,
        Flag(active),
        created,
        updated,
        changed,
        count,
        bytes,
        quota_mb,
    ) = match row {
        Some(row) => row,
        None => return Err(gone(db, scope, &address).await?),
    };
    Ok(AccountDetail {
        email,
        domain: scope.domain().to_owned(),
        username,
        first_name,
        last_name,
        active,
        created_at: created,
        updated_at: updated,
        password_changed_at: changed,
        message_count: count,
        mailbox_bytes: bytes,
        quota_mb,
    })
}

/// Why a live account `address` was not found: deleted, on the day its latest deletion was
/// made, while it can still be restored; otherwise not there at all.
async fn gone(db: &AnyPool, scope: &DomainScope, address: &str) -> Result<AppError, AppError> {
    let deleted: Option<String> = sqlx::query_scalar(
        "SELECT substr(MAX(deleted_at), 1, 10) FROM mailboxes
         WHERE email = $1 AND domain_id = $2 AND deleted_at IS NOT NULL",
    )
    .bind(address)
    .bind(scope.domain_id())
    .fetch_one(db)
    .await?;
    Ok(match deleted {
        Some(on) => AppError::Deleted(address.to_owned(), on),
        None => no_account(address),
    })
}

/// The first and last name as stored (trimmed), or refused with the rules they break.
fn checked_names(first: &str, last: &str) -> Result<(String, String), AppError> {
    let problems = name_problems(first, Field::FirstName)
        .into_iter()
        .chain(name_problems(last, Field::LastName))
        .map(FieldProblem::of)
        .collect();
    AppError::refuse(problems)?;
    Ok((first.trim().to_owned(), last.trim().to_owned()))
}

/// What Edit changes on an account, as posted.
pub struct AccountChanges<'a> {
    pub first_name: &'a str,
    pub last_name: &'a str,
    pub active: bool,
    /// The new quota in MB (0: no limit), checked by [`crate::validate::parse_quota_mb`]; `None` keeps it.
    pub quota_mb: Option<u32>,
}

/// The audit line of a quota: what the postmaster typed, in words.
fn quota_words(quota_mb: i64) -> String {
    if quota_mb == 0 {
        "quota: no limit".to_owned()
    } else {
        format!("quota: {quota_mb} MB")
    }
}

/// Changes a live account's names, whether it may log in and its quota, audited.
pub async fn update(
    db: &AnyPool,
    scope: &DomainScope,
    email: &str,
    changes: AccountChanges<'_>,
) -> Result<(), AppError> {
    let (first_name, last_name) = checked_names(changes.first_name, changes.last_name)?;
    let address = in_scope(scope, email).ok_or_else(|| no_account(email))?;
    let before: Option<(String, String, i64)> = sqlx::query_as(
        "SELECT first_name, last_name, quota_mb FROM mailboxes
         WHERE email = $1 AND domain_id = $2 AND deleted_at IS NULL",
    )
    .bind(&address)
    .bind(scope.domain_id())
    .fetch_optional(db)
    .await?;
    let (old_first, old_last, old_quota) = before.ok_or_else(|| no_account(&address))?;
    let quota_mb = changes.quota_mb.map_or(old_quota, i64::from);
    let mut details = Vec::new();
    if old_first != first_name {
        details.push("first name changed".to_owned());
    }
    if old_last != last_name {
        details.push("last name changed".to_owned());
    }
    details.push(
        if changes.active {
            "active: yes"
        } else {
            "active: no"
        }
        .to_owned(),
    );
    if quota_mb != old_quota {
        details.push(quota_words(quota_mb));
    }
    let details = details.join("; ");

    let mut tx = db.begin().await?;
    let updated: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE mailboxes SET first_name = $1, last_name = $2, active = $3, quota_mb = $4, updated_at = {now}
         WHERE email = $5 AND domain_id = $6 AND deleted_at IS NULL RETURNING id",
        now = Backend::of(db).now()
    ))
    .bind(&first_name)
    .bind(&last_name)
    .bind(i64::from(changes.active))
    .bind(quota_mb)
    .bind(&address)
    .bind(scope.domain_id())
    .fetch_optional(&mut *tx)
    .await?;
    if updated.is_none() {
        return Err(no_account(&address));
    }
    let actor = scope.actor();
    let entry = Entry {
        details: &details,
        ..Entry::new(actor, Action::AccountUpdate, Some(scope.domain()), &address)
    };
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Sets a live account's password, typed twice and checked by the shared rules, audited.
pub async fn set_password(
    state: &AppState,
    scope: &DomainScope,
    email: &str,
    password: &str,
    password_again: &str,
) -> Result<(), AppError> {
    if password != password_again {
        return Err(AppError::beside(
            Field::PasswordAgain,
            Some(Rule::PasswordsDiffer),
            PASSWORDS_DIFFER,
        ));
    }
    let address = in_scope(scope, email).ok_or_else(|| no_account(email))?;
    let row: Option<(i64, String, String, String)> = sqlx::query_as(
        "SELECT id, local_part, first_name, last_name FROM mailboxes
         WHERE email = $1 AND domain_id = $2 AND deleted_at IS NULL",
    )
    .bind(&address)
    .bind(scope.domain_id())
    .fetch_optional(&state.db)
    .await?;
    let (id, username, first_name, last_name) = row.ok_or_else(|| no_account(&address))?;
    let context = PasswordContext {
        username: &username,
        first_name: &first_name,
        last_name: &last_name,
        domain: scope.domain(),
    };
    let problems = password_problems(password, &context)
        .into_iter()
        .map(|check| FieldProblem::new(Field::Password, Some(check.rule), check.message))
        .collect();
    AppError::refuse(problems)?;
    let hash = scope
        .caller()
        .hasher(&state.hasher)
        .hash(password.to_owned())
        .await?;

    let mut tx = state.db.begin().await?;
    let updated: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE mailboxes SET password_hash = $1, password_changed_at = {now}, updated_at = {now}
         WHERE id = $2 AND deleted_at IS NULL RETURNING id",
        now = Backend::of(&state.db).now()
    ))
    .bind(&hash)
    .bind(id)
    .fetch_optional(&mut *tx)
    .await?;
    if updated.is_none() {
        return Err(no_account(&address));
    }
    let actor = scope.actor();
    audit::record(
        &mut tx,
        &Entry::new(actor, Action::AccountPasswd, Some(scope.domain()), &address),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}
