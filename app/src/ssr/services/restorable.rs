//! What deleting an account and deleting an alias share: the rows stay, marked deleted and
//! restorable, until the purge, and each one marked is audited in the same transaction. What
//! differs stays with each service: how an address outside the domain is refused and audited,
//! what a restore must check (an account's limit and mail store, an alias's routes), and what
//! the purge removes besides the rows (an account's Maildir).

use sqlx::AnyConnection;

use crate::error::AppError;
use crate::ssr::storage::audit::{self, Action, Actor, Entry};
use crate::ssr::storage::db::Backend;

/// A kind of row that is deleted to a list of restorable rows rather than at once.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Restorable {
    /// A mail account (the `mailboxes` table).
    Account,
    /// An alias.
    Alias,
}

impl Restorable {
    /// The update that marks one live row of a domain deleted, by its address.
    fn delete_sql(self, backend: Backend) -> String {
        let (table, address) = match self {
            Restorable::Account => ("mailboxes", "email"),
            Restorable::Alias => ("aliases", "address"),
        };
        format!(
            "UPDATE {table} SET deleted_at = {now}, updated_at = {now}
             WHERE {address} = $1 AND domain_id = $2 AND deleted_at IS NULL RETURNING id",
            now = backend.now()
        )
    }

    /// What the audit log calls deleting one.
    fn delete_action(self) -> Action {
        match self {
            Restorable::Account => Action::AccountDelete,
            Restorable::Alias => Action::AliasDelete,
        }
    }
}

/// Where the rows to delete live and who deletes them.
pub struct Deleting<'a> {
    /// The kind of row.
    pub kind: Restorable,
    /// The domain's id and name.
    pub domain: (i64, &'a str),
    /// Who deletes, for the audit log.
    pub actor: Actor<'a>,
}

/// Marks the live rows at `addresses` of the domain deleted, each audited. The first address
/// that is not a live row of the domain (deleted meanwhile, never there) is refused with
/// `missing`, and the caller's transaction is then to be dropped.
pub async fn mark_deleted(
    conn: &mut AnyConnection,
    backend: Backend,
    deleting: &Deleting<'_>,
    addresses: &[String],
    missing: fn(&str) -> AppError,
) -> Result<(), AppError> {
    let sql = deleting.kind.delete_sql(backend);
    let (domain_id, domain) = deleting.domain;
    for address in addresses {
        let deleted: Option<i64> = sqlx::query_scalar(&sql)
            .bind(address)
            .bind(domain_id)
            .fetch_optional(&mut *conn)
            .await?;
        if deleted.is_none() {
            return Err(missing(address));
        }
        let action = deleting.kind.delete_action();
        audit::record(
            conn,
            &Entry::new(deleting.actor, action, Some(domain), address),
        )
        .await?;
    }
    Ok(())
}
