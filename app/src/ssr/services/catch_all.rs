//! A domain's catch-all: where mail to its addresses that are neither accounts nor aliases
//! goes, instead of being refused. Off by default: spammers guess addresses, and a catch-all
//! accepts every guess.

use sqlx::AnyPool;

use super::routing;
use crate::error::AppError;
use crate::ssr::access::caller::DomainScope;
use crate::ssr::storage::audit::{self, Action, Entry};
use crate::validate::parse_target;

/// The domain's catch-all address, `None` when off.
pub async fn get(db: &AnyPool, scope: &DomainScope) -> Result<Option<String>, AppError> {
    let domain = scope.within();
    let target: String = sqlx::query_scalar("SELECT catch_all FROM domains WHERE id = $1")
        .bind(domain.id)
        .fetch_one(db)
        .await?;
    Ok(Some(target).filter(|target| !target.is_empty()))
}

/// Sends the domain's unknown addresses to `typed`, or turns the catch-all off when it is
/// empty. An address of the domain itself must be a live account or alias: any other would be
/// unknown too, and its mail would come back to the catch-all. Every other domain's address is
/// taken as it is, whether the console holds that domain or not, so that the answer tells
/// nothing of another tenant's addresses. Audited.
pub async fn set(
    db: &AnyPool,
    scope: &DomainScope,
    typed: &str,
) -> Result<Option<String>, AppError> {
    let (domain, actor) = (scope.within(), scope.actor());
    let target = match typed.trim() {
        "" => None,
        typed => {
            Some(parse_target(typed).map_err(|message| AppError::Invalid(format!("{message}.")))?)
        }
    };
    let mut tx = crate::ssr::storage::db::begin_write(db).await?;
    if let Some(target) = &target {
        let ours = domain.address_of(target).is_some();
        if ours && routing::holder(&mut tx, target).await?.is_none() {
            return Err(AppError::Invalid(format!(
                "{target} is neither an account nor an alias, so its mail would have nowhere to go. Add it first, or choose another address."
            )));
        }
    }
    sqlx::query("UPDATE domains SET catch_all = $1 WHERE id = $2")
        .bind(target.as_deref().unwrap_or(""))
        .bind(domain.id)
        .execute(&mut *tx)
        .await?;
    let details = match &target {
        Some(target) => format!("to {target}"),
        None => "off".to_owned(),
    };
    let entry = Entry {
        details: &details,
        ..Entry::new(
            actor,
            Action::DomainCatchAll,
            Some(&domain.name),
            &domain.name,
        )
    };
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(target)
}
