//! Mail accounts of a domain, one module per job: the Users list, adding, editing, deleting
//! (with restore and purge) and Rebuild mailbox. Each change is authorized by the
//! [`DomainScope`] it receives, checked with the shared `validate` rules the browser runs too,
//! and audited in the same transaction. What several jobs share lives here.

use crate::error::AppError;
use crate::ssr::access::caller::DomainScope;
use crate::ssr::storage::domains;

mod add;
mod delete;
mod edit;
mod list;
mod rebuild;

pub use add::{
    add_from_paste, add_one, add_pasted, import, quota_refused, OneAccount, PasteOptions,
    PastedAccounts,
};
pub use delete::{delete, delete_matching, deleted, purge_expired, restore, RETENTION_DAYS};
pub use edit::{detail, set_password, update, AccountChanges};
pub(crate) use list::USAGE_BYTES;
pub use list::{list, matching, SEARCH_FIRST};
pub use rebuild::{last_rebuild, rebuild};

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
    domains::address_in(scope.domain(), email)
}
