//! Mail accounts of a domain.

use sqlx::SqlitePool;

use super::auth::DomainScope;
use crate::api::mailboxes::{MailboxPage, MailboxRow, PAGE_SIZE};
use crate::error::AppError;

/// One page of a domain's live accounts in address order, filtered by a search on the
/// address or the names. Paging and search run in SQL, so a large domain stays fast.
pub async fn list(
    db: &SqlitePool,
    scope: &DomainScope,
    search: &str,
    page: u32,
) -> Result<MailboxPage, AppError> {
    let pattern = format!(
        "%{}%",
        search
            .trim()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let filter = "domain_id = ? AND deleted_at IS NULL
         AND (? = '%%' OR local_part LIKE ? ESCAPE '\\' OR first_name LIKE ? ESCAPE '\\' OR last_name LIKE ? ESCAPE '\\')";
    let total: i64 = sqlx::query_scalar(&format!("SELECT COUNT(*) FROM mailboxes WHERE {filter}"))
        .bind(scope.domain_id())
        .bind(&pattern)
        .bind(&pattern)
        .bind(&pattern)
        .bind(&pattern)
        .fetch_one(db)
        .await?;
    let pages = (total.max(1) as u32).div_ceil(PAGE_SIZE);
    let page = page.clamp(1, pages);
    let rows: Vec<MailboxRow> = sqlx::query_as(&format!(
        "SELECT email, first_name, last_name, active = 1 AS active, substr(created_at, 1, 10) AS created, mailbox_bytes
         FROM mailboxes WHERE {filter} ORDER BY local_part LIMIT ? OFFSET ?"
    ))
    .bind(scope.domain_id())
    .bind(&pattern)
    .bind(&pattern)
    .bind(&pattern)
    .bind(&pattern)
    .bind(PAGE_SIZE)
    .bind((page - 1) * PAGE_SIZE)
    .fetch_all(db)
    .await?;
    Ok(MailboxPage {
        domain: scope.domain().to_owned(),
        rows,
        total: total as u64,
        page,
        pages,
    })
}
