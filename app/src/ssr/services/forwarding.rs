//! An account's forwarding: where its mail goes besides (or instead of) its own mailbox.
//! Postfix reads it at each message through the aliases lookup (see [`super::routing`]).

use sqlx::AnyPool;

use super::routing::{self, no_account};
use crate::error::AppError;
use crate::model::forwarding::Forwarding;
use crate::ssr::access::caller::DomainScope;
use crate::ssr::storage::audit::{self, Action, Entry};
use crate::ssr::storage::db::{Backend, Flag};
use crate::validate::{join_targets, parse_targets, split_targets};

/// A live account's forwarding.
pub async fn get(db: &AnyPool, scope: &DomainScope, email: &str) -> Result<Forwarding, AppError> {
    let domain = scope.within();
    let address = domain.address_of(email).ok_or_else(|| no_account(email))?;
    let (targets, Flag(keep_copy)): (String, Flag) = sqlx::query_as(
        "SELECT forward_to, forward_keep_copy FROM mailboxes
         WHERE email = $1 AND domain_id = $2 AND deleted_at IS NULL",
    )
    .bind(&address)
    .bind(domain.id)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| no_account(&address))?;
    Ok(Forwarding {
        targets: split_targets(&targets),
        keep_copy,
    })
}

/// Forwards a live account's mail to the addresses in `typed` (commas, spaces or lines
/// between them), keeping a copy in its mailbox or not; empty `typed` turns forwarding off.
/// Refused when mail would come back to the account. Audited with the addresses.
pub async fn set(
    db: &AnyPool,
    scope: &DomainScope,
    email: &str,
    typed: &str,
    keep_copy: bool,
) -> Result<Forwarding, AppError> {
    let (domain, actor) = (scope.within(), scope.actor());
    let address = domain.address_of(email).ok_or_else(|| no_account(email))?;
    let targets = if typed.trim().is_empty() {
        Vec::new()
    } else {
        parse_targets(typed).map_err(|message| AppError::Invalid(format!("{message}.")))?
    };
    if targets.contains(&address) {
        return Err(AppError::Invalid(
            "An account cannot forward to itself. To keep its mail as well, tick \u{201c}Keep a copy\u{201d}.".to_owned(),
        ));
    }
    let routes = routing::check_one(db, &domain.name, &address, &targets).await?;
    let mut tx = crate::ssr::storage::db::begin_write(db).await?;
    routes.refuse(&mut tx).await?;
    let stored = join_targets(&targets);
    let keep_copy = keep_copy || targets.is_empty();
    let changed = sqlx::query(&format!(
        "UPDATE mailboxes SET forward_to = $1, forward_keep_copy = $2, updated_at = {}
         WHERE email = $3 AND domain_id = $4 AND deleted_at IS NULL",
        Backend::of(db).now()
    ))
    .bind(&stored)
    .bind(i64::from(keep_copy))
    .bind(&address)
    .bind(domain.id)
    .execute(&mut *tx)
    .await?;
    if changed.rows_affected() == 0 {
        return Err(no_account(&address));
    }
    let details = if targets.is_empty() {
        "forwarding off".to_owned()
    } else if keep_copy {
        format!("to {stored}; keeps a copy")
    } else {
        format!("to {stored}; no copy")
    };
    let entry = Entry {
        details: &details,
        ..Entry::new(actor, Action::AccountForward, Some(&domain.name), &address)
    };
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(Forwarding { targets, keep_copy })
}
