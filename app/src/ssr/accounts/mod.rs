//! Mail accounts of a domain, one module per job: the Users list, adding, editing, deleting
//! (with restore and purge) and Rebuild mailbox. Each change is authorized by the
//! [`DomainScope`] it receives, checked with the shared `validate` rules the browser runs too,
//! and audited in the same transaction. What several jobs share lives here.

use std::collections::HashMap;

use sqlx::AnyConnection;

use super::caller::DomainScope;
use super::db::{Backend, Flag};
use super::routing::{self, Holder};
use crate::error::AppError;

mod add;
mod delete;
mod edit;
mod list;
mod rebuild;

pub use add::{add_from_paste, add_one, import, OneAccount, PasteOptions};
pub use delete::{delete, deleted, purge_expired, restore, RETENTION_DAYS};
pub use edit::{detail, set_password, update, AccountChanges};
pub use list::list;
pub(crate) use list::USAGE_BYTES;
pub use rebuild::{last_rebuild, rebuild};

/// The addresses of `emails` that live accounts or aliases hold, and which; an alias is named
/// where both do (an account written in the caller's transaction, say).
async fn live_among(
    conn: &mut AnyConnection,
    emails: &[String],
) -> Result<HashMap<String, Holder>, AppError> {
    if emails.is_empty() {
        return Ok(HashMap::new());
    }
    let list = serde_json::to_string(emails).map_err(|error| {
        tracing::error!(%error, "cannot encode addresses");
        AppError::Internal
    })?;
    let listed = Backend::of_conn(conn).json_texts("$1");
    let taken: Vec<(String, Flag)> = sqlx::query_as(&format!(
        "SELECT email, 0 FROM mailboxes WHERE deleted_at IS NULL AND email IN ({listed})
         UNION ALL
         SELECT address, 1 FROM aliases WHERE deleted_at IS NULL AND address IN ({listed})"
    ))
    .bind(list)
    .fetch_all(&mut *conn)
    .await?;
    Ok(taken
        .into_iter()
        .map(|(email, Flag(alias))| {
            (
                email,
                if alias {
                    Holder::Alias
                } else {
                    Holder::Account
                },
            )
        })
        .collect())
}

/// The domain's account limit (0: none) and its live accounts.
async fn limit_and_count(
    conn: &mut sqlx::AnyConnection,
    domain_id: i64,
) -> Result<(i64, i64), AppError> {
    Ok(sqlx::query_as(
        "SELECT max_mailboxes,
                (SELECT COUNT(*) FROM mailboxes WHERE domain_id = d.id AND deleted_at IS NULL)
         FROM domains d WHERE id = $1",
    )
    .bind(domain_id)
    .fetch_one(conn)
    .await?)
}

/// `email` trimmed and lowercase, when it is an address of the scope's domain.
fn in_scope(scope: &DomainScope, email: &str) -> Option<String> {
    routing::address_in(scope.domain(), email)
}
