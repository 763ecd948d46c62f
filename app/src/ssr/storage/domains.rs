//! Domains: the operator creates them; postmasters manage the accounts inside them.

use sqlx::{AnyConnection, AnyPool};

use super::audit::{self, Action, Actor, Entry};
use crate::error::AppError;
use crate::validate::domain::parse_domain;
use crate::validate::Address;

/// A domain by id and name, as services act within it. Outside this crate only a
/// [`crate::ssr::DomainScope`] holds one: proof that its caller may act there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub(crate) id: i64,
    pub(crate) name: String,
}

impl Domain {
    /// The domain called `name` (any case), or `NotFound`.
    pub(crate) async fn named(conn: &mut AnyConnection, name: &str) -> Result<Domain, AppError> {
        let name = name.trim().to_ascii_lowercase();
        let id = sqlx::query_scalar("SELECT id FROM domains WHERE name = $1")
            .bind(&name)
            .fetch_optional(&mut *conn)
            .await?
            .ok_or_else(|| AppError::NotFound(format!("The domain {name}")))?;
        Ok(Domain { id, name })
    }

    /// `address` trimmed and lowercase, when it is an address of this domain.
    pub fn address_of(&self, address: &str) -> Option<String> {
        address_in(&self.name, address)
    }
}

/// `address` trimmed and lowercase, when it is an address of the domain called `name`.
pub fn address_in(name: &str, address: &str) -> Option<String> {
    let address = Address::split(address)?;
    (address.domain == name).then(|| address.to_string())
}

/// Longest description kept for a domain.
const MAX_DESCRIPTION: usize = 200;

/// A domain as the operator lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct DomainSummary {
    pub name: String,
    pub description: String,
    #[sqlx(try_from = "super::db::Flag")]
    pub active: bool,
    pub mailboxes: i64,
    pub created_at: String,
}

/// Creates a domain, audited in the same transaction.
pub async fn add(
    db: &AnyPool,
    name: &str,
    description: &str,
    actor: Actor<'_>,
) -> Result<String, AppError> {
    let name = parse_domain(name).map_err(AppError::Invalid)?;
    if description.chars().count() > MAX_DESCRIPTION || description.chars().any(char::is_control) {
        return Err(AppError::Invalid(format!(
            "The description must be at most {MAX_DESCRIPTION} characters on one line."
        )));
    }
    let mut tx = db.begin().await?;
    let inserted = sqlx::query("INSERT INTO domains (name, description) VALUES ($1, $2)")
        .bind(&name)
        .bind(description)
        .execute(&mut *tx)
        .await;
    if let Err(sqlx::Error::Database(error)) = &inserted {
        if error.is_unique_violation() {
            return Err(AppError::Conflict(format!(
                "The domain {name} already exists."
            )));
        }
    }
    inserted?;
    audit::record(
        &mut tx,
        &Entry::new(actor, Action::DomainAdd, Some(&name), &name),
    )
    .await?;
    tx.commit().await?;
    Ok(name)
}

/// Every domain with its number of live accounts, by name.
pub async fn list(db: &AnyPool) -> Result<Vec<DomainSummary>, AppError> {
    Ok(sqlx::query_as(
        "SELECT d.name, d.description, d.active, d.created_at,
                (SELECT COUNT(*) FROM mailboxes m WHERE m.domain_id = d.id AND m.deleted_at IS NULL) AS mailboxes
         FROM domains d ORDER BY d.name",
    )
    .fetch_all(db)
    .await?)
}

/// The id of the domain called `name`, or `NotFound`.
pub async fn id_of(db: &AnyPool, name: &str) -> Result<i64, AppError> {
    sqlx::query_scalar("SELECT id FROM domains WHERE name = $1")
        .bind(name.to_ascii_lowercase())
        .fetch_optional(db)
        .await?
        .ok_or_else(|| AppError::NotFound(format!("The domain {name}")))
}

/// Disables or enables a domain, audited in the same transaction. A disabled domain's
/// accounts cannot log in to their mail (Dovecot's query requires an active domain); nothing
/// is deleted, and enabling it brings every active account back.
pub async fn set_active(
    db: &AnyPool,
    name: &str,
    active: bool,
    actor: Actor<'_>,
) -> Result<String, AppError> {
    let name = name.to_ascii_lowercase();
    let mut tx = db.begin().await?;
    let changed = sqlx::query("UPDATE domains SET active = $1 WHERE name = $2")
        .bind(i64::from(active))
        .bind(&name)
        .execute(&mut *tx)
        .await?;
    if changed.rows_affected() == 0 {
        return Err(AppError::NotFound(format!("The domain {name}")));
    }
    let action = if active {
        Action::DomainEnable
    } else {
        Action::DomainDisable
    };
    audit::record(&mut tx, &Entry::new(actor, action, Some(&name), &name)).await?;
    tx.commit().await?;
    Ok(name)
}

#[cfg(test)]
mod tests {
    use super::address_in;

    #[test]
    fn an_address_is_of_a_domain_only_exactly() {
        assert_eq!(
            address_in("alpha.test", " Ann@Alpha.TEST ").as_deref(),
            Some("ann@alpha.test")
        );
        assert_eq!(address_in("alpha.test", "ann@beta.test"), None);
        assert_eq!(address_in("alpha.test", "ann@sub.alpha.test"), None);
        assert_eq!(address_in("alpha.test", "alpha.test"), None);
    }
}
