//! Deleting accounts to "Deleted accounts", restoring them, and purging them for good with
//! their mail once the retention has passed.

use sqlx::AnyPool;

use super::{in_scope, limit_and_count};
use crate::error::AppError;
use crate::model::accounts::DeletedRow;
use crate::model::deleted::{page_in, DeletedPage, DELETED_PAGE_SIZE};
use crate::ssr::access::caller::{self, Asked, DomainScope};
use crate::ssr::access::state::AppState;
use crate::ssr::services::restorable::{self, Deleting, Restorable};
use crate::ssr::services::routing::{self, live_among, no_account, Holder};
use crate::ssr::storage::audit::{self, Action, Actor, Entry};
use crate::ssr::storage::clock;
use crate::ssr::storage::clock::now;
use crate::ssr::storage::db::Backend;
use crate::ssr::storage::mailstore::{self, removals, MailStore};
use crate::validate::Address;

/// Days a deleted account stays in "Deleted accounts", restorable, before the purge.
pub const RETENTION_DAYS: u32 = 30;

/// Moves live accounts of the domain to "Deleted accounts", all or none, each audited.
/// An address that is not a live account of the domain (deleted meanwhile, never there)
/// answers as not found, naming it; one of another domain is audited as refused too.
pub async fn delete(db: &AnyPool, scope: &DomainScope, emails: &[&str]) -> Result<usize, AppError> {
    if emails.iter().all(|email| email.trim().is_empty()) {
        return Err(AppError::Invalid("Select at least one account.".into()));
    }
    let mut addresses: Vec<String> = Vec::with_capacity(emails.len());
    for email in emails.iter().filter(|email| !email.trim().is_empty()) {
        let Some(address) = in_scope(scope, email) else {
            let target = email.trim().to_lowercase();
            if Address::domain_of(&target).is_some() {
                let details = format!("not an account of {}", scope.domain());
                let own = Some(scope.domain());
                let asked = Asked::Typed(&target);
                caller::record_refusal(db, scope.actor(), own, asked, &details).await?;
            }
            return Err(no_account(&target));
        };
        if !addresses.contains(&address) {
            addresses.push(address);
        }
    }
    let deleting = Deleting {
        kind: Restorable::Account,
        domain: (scope.domain_id(), scope.domain()),
        actor: scope.actor(),
    };
    let mut tx = db.begin().await?;
    restorable::mark_deleted(&mut tx, Backend::of(db), &deleting, &addresses, no_account).await?;
    tx.commit().await?;
    Ok(addresses.len())
}

/// Moves every live account of the domain that `search` finds now to "Deleted accounts",
/// through [`delete`]: all or none, each audited. Nothing matching now answers as not found.
pub async fn delete_matching(
    db: &AnyPool,
    scope: &DomainScope,
    search: &str,
) -> Result<usize, AppError> {
    let found = super::list::matching(db, scope, search).await?;
    if found.is_empty() {
        return Err(AppError::NotFound(format!(
            "An account matching \u{201c}{}\u{201d}",
            search.trim()
        )));
    }
    let found: Vec<&str> = found.iter().map(String::as_str).collect();
    delete(db, scope, &found).await
}

/// A page of the domain's deleted accounts, newest first, with the whole days left before
/// the purge. The count is the one the database keeps.
pub async fn deleted(
    db: &AnyPool,
    scope: &DomainScope,
    page: u32,
) -> Result<DeletedPage<DeletedRow>, AppError> {
    let total: Option<i64> =
        sqlx::query_scalar("SELECT deleted FROM domain_account_counts WHERE domain_id = $1")
            .bind(scope.domain_id())
            .fetch_optional(db)
            .await?;
    let (page, pages) = page_in(total.unwrap_or(0), page);
    let rows: Vec<(i64, String, String, String, String, i64)> = sqlx::query_as(&format!(
        "SELECT id, email, first_name, last_name, deleted_at, {}
         FROM mailboxes WHERE domain_id = $2 AND deleted_at IS NOT NULL
         ORDER BY deleted_at DESC, id DESC LIMIT $3 OFFSET $4",
        Backend::of(db).days_left("$1", "deleted_at")
    ))
    .bind(i64::from(RETENTION_DAYS))
    .bind(scope.domain_id())
    .bind(i64::from(DELETED_PAGE_SIZE))
    .bind(i64::from(page - 1) * i64::from(DELETED_PAGE_SIZE))
    .fetch_all(db)
    .await?;
    let rows = rows
        .into_iter()
        .map(
            |(id, email, first_name, last_name, deleted_at, days_left)| DeletedRow {
                id,
                email,
                first_name,
                last_name,
                deleted_at,
                days_left,
            },
        )
        .collect();
    Ok(DeletedPage {
        domain: scope.domain().to_owned(),
        rows,
        page,
        pages,
    })
}

/// Brings back the deleted account `id` of the domain and returns its address. Refused when
/// a newer live account holds the address, or when the domain is at its account limit. The
/// account finds its Maildir where it was: deletion moved nothing.
pub async fn restore(state: &AppState, scope: &DomainScope, id: i64) -> Result<String, AppError> {
    let db = &state.db;
    let gone = || AppError::NotFound("The deleted account".into());
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT email, domain_id, maildir FROM mailboxes WHERE id = $1 AND deleted_at IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let (email, maildir) = match row {
        None => return Err(gone()),
        Some((_, domain_id, _)) if domain_id != scope.domain_id() => {
            // Another domain's account is not named: the number is all that was asked.
            let details = format!("not an account of {}", scope.domain());
            let (own, asked) = (Some(scope.domain()), Asked::Row("deleted account", id));
            caller::record_refusal(db, scope.actor(), own, asked, &details).await?;
            return Err(gone());
        }
        Some((email, _, maildir)) => (email, maildir),
    };

    let mut tx = db.begin().await?;
    let restored = sqlx::query_scalar::<_, i64>(&format!(
        "UPDATE mailboxes SET deleted_at = NULL, updated_at = {now}
         WHERE id = $1 AND domain_id = $2 AND deleted_at IS NOT NULL RETURNING id",
        now = Backend::of(db).now()
    ))
    .bind(id)
    .bind(scope.domain_id())
    .fetch_optional(&mut *tx)
    .await;
    match restored {
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(AppError::Conflict(format!(
                "{email} is in use by a newer account; delete or rename that one first."
            )));
        }
        Ok(None) => return Err(gone()),
        other => other?,
    };
    let aliased = live_among(&mut tx, std::slice::from_ref(&email)).await?;
    if aliased.get(&email) == Some(&Holder::Alias) {
        return Err(AppError::Conflict(format!(
            "{} Delete the alias first to restore the account.",
            routing::taken(&email, Holder::Alias)
        )));
    }
    let (max, live) = limit_and_count(&mut tx, scope.domain_id()).await?;
    if max > 0 && live > max {
        return Err(AppError::Invalid(format!(
            "The domain {} is limited to {max} accounts and has {}: delete one before restoring \
             {email}.",
            scope.domain(),
            live - 1
        )));
    }
    let actor = scope.actor();
    audit::record(
        &mut tx,
        &Entry::new(actor, Action::AccountRestore, Some(scope.domain()), &email),
    )
    .await?;
    tx.commit().await?;
    // Only a Maildir lost outside the console is missing here; the account gets an empty one.
    let store = state.mail.clone();
    let created = mailstore::blocking(move || store.ensure(&maildir)).await??;
    if !created.is_empty() {
        tracing::warn!(%email, "the restored account's Maildir was missing; created it empty");
    }
    Ok(email)
}

/// Removes for good the accounts deleted more than `retention_days` ago, of every domain,
/// with their Maildirs, and returns their addresses; each is audited as the system's doing.
/// The rows go first, rather than mail removed from an account that still exists; their
/// Maildirs are listed for removal in the same transaction, so that the start-up
/// reconciliation removes those a crash or an error leaves behind.
/// Aliases deleted as long ago go in the same transaction (see [`crate::ssr::services::aliases::purge_expired`]).
/// Nothing is removed while the clock is held (see [`clock`]): the error says how to go on.
pub async fn purge_expired(
    db: &AnyPool,
    store: &MailStore,
    retention_days: u32,
) -> Result<Vec<String>, AppError> {
    clock::check(db, now()).await?.trusted()?;
    let mut tx = db.begin().await?;
    let purged: Vec<(String, String, String)> = sqlx::query_as(&format!(
        "DELETE FROM mailboxes WHERE deleted_at IS NOT NULL AND deleted_at < {}
         RETURNING email, deleted_at, maildir",
        Backend::of(db).seconds_ago("$1")
    ))
    .bind(i64::from(retention_days) * 86_400)
    .fetch_all(&mut *tx)
    .await?;
    for (email, deleted_at, _) in &purged {
        let domain = Address::domain_of(email);
        let details = format!("deleted {deleted_at}");
        let entry = Entry {
            details: &details,
            ..Entry::new(
                Actor::SYSTEM,
                Action::AccountPurge,
                domain.as_deref(),
                email,
            )
        };
        audit::record(&mut tx, &entry).await?;
    }
    let maildirs: Vec<String> = purged
        .iter()
        .map(|(_, _, maildir)| maildir.clone())
        .collect();
    removals::record(&mut tx, &maildirs).await?;
    let aliases = crate::ssr::services::aliases::purge_expired(&mut tx, retention_days).await?;
    tx.commit().await?;
    if !aliases.is_empty() {
        tracing::info!(count = aliases.len(), "purged deleted aliases");
    }
    let store = store.clone();
    let (emails, removed) = blocking_purge(store, purged).await?;
    removals::clear(&mut *db.acquire().await?, &removed).await?;
    Ok(emails)
}

/// Removes the purged accounts' Maildirs; returns their addresses and the Maildirs removed.
async fn blocking_purge(
    store: MailStore,
    purged: Vec<(String, String, String)>,
) -> Result<(Vec<String>, Vec<String>), AppError> {
    mailstore::blocking(move || {
        let mut removed = Vec::new();
        let emails = purged
            .into_iter()
            .map(|(email, _, maildir)| {
                match store.remove(&maildir) {
                    Ok(_) => removed.push(maildir),
                    Err(error) => {
                        tracing::error!(%error, %email, "cannot remove the Maildir of a purged account")
                    }
                }
                email
            })
            .collect();
        (emails, removed)
    })
    .await
}
