//! Where mail to an address goes, as Postfix's virtual_alias_maps reads it from the database
//! (`deploy/postfix/vpostmaster-aliases.cf.in`): an alias's targets, else a live account's
//! forwarding, else the domain's catch-all. The rules every change to those passes before it
//! is saved: an address is one thing only, and mail never goes round in a loop.

use std::collections::HashMap;

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::validate::{address_taken, describe_loop, find_loop, split_targets, Address};

/// A domain by id and name: what services that change a domain's data act within. The web
/// makes one from the signed-in postmaster's scope, the command line from a name.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Domain {
    pub id: i64,
    pub name: String,
}

impl Domain {
    /// The domain called `name` (any case), or `NotFound`.
    pub async fn named(conn: &mut AnyConnection, name: &str) -> Result<Domain, AppError> {
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

/// The refusal for an address that is not a live account of the domain asked about.
pub fn no_account(email: &str) -> AppError {
    AppError::NotFound(format!("The account {}", email.trim()))
}

/// What a live address of the console already is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Account,
    Alias,
}

/// Whether `address` is a live account or a live alias.
pub async fn holder(conn: &mut AnyConnection, address: &str) -> Result<Option<Holder>, AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 0 FROM mailboxes WHERE email = $1 AND deleted_at IS NULL
         UNION ALL SELECT 1 FROM aliases WHERE address = $1 AND deleted_at IS NULL LIMIT 1",
    )
    .bind(address)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.map(|kind| {
        if kind == 0 {
            Holder::Account
        } else {
            Holder::Alias
        }
    }))
}

/// The refusal for an address that is already taken, naming what holds it.
pub fn taken(address: &str, holder: Holder) -> AppError {
    AppError::Conflict(format!(
        "{}.",
        address_taken(address, holder == Holder::Alias)
    ))
}

/// Every address that passes mail on, and where to: live aliases, and live active accounts
/// of active domains that forward. The catch-all is left out: it only takes addresses that
/// are nothing else, so it cannot lead back to one that is.
pub async fn graph(conn: &mut AnyConnection) -> Result<HashMap<String, Vec<String>>, AppError> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT address, targets FROM aliases WHERE deleted_at IS NULL
         UNION ALL
         SELECT m.email, m.forward_to FROM mailboxes m JOIN domains d ON d.id = m.domain_id
         WHERE m.forward_to <> '' AND m.deleted_at IS NULL AND m.active = 1 AND d.active = 1",
    )
    .fetch_all(&mut *conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(address, targets)| (address, split_targets(&targets)))
        .collect())
}

/// Refuses `targets` for `address` when mail would come back to `address` through what is
/// stored (read in the caller's transaction, so a concurrent change cannot slip between).
pub async fn refuse_loop(
    conn: &mut AnyConnection,
    address: &str,
    targets: &[String],
) -> Result<(), AppError> {
    let graph = graph(conn).await?;
    match find_loop(address, targets, |a| graph.get(a).cloned()) {
        Some(chain) => Err(AppError::Invalid(format!("{}.", describe_loop(&chain)))),
        None => Ok(()),
    }
}
