//! The Users list: one page of a domain's accounts, searched and counted in SQL, and the
//! usage figures other screens show too.

use sqlx::SqlitePool;

use crate::error::AppError;
use crate::model::accounts::{AccountPage, AccountRow, PAGE_SIZE};
use crate::ssr::caller::DomainScope;

/// Search matches counted at most; past it the list says "1000+" and pages on, the end unknown:
/// nobody reads a thousand matches, and counting them all costs a scan of the domain.
const MAX_COUNTED: i64 = 1_000;

/// An account's size in bytes: as Dovecot last counted it (`mailbox_usage`, kept by its
/// quota_clone plugin), else as the last Rebuild mailbox measured it.
pub(crate) const USAGE_BYTES: &str =
    "COALESCE((SELECT bytes FROM mailbox_usage u WHERE u.email = mailboxes.email), mailbox_bytes)";
/// An account's message count, from the same sources as [`USAGE_BYTES`].
pub(super) const USAGE_MESSAGES: &str = "COALESCE((SELECT messages FROM mailbox_usage u WHERE u.email = mailboxes.email), message_count)";

/// One page of a domain's live accounts in address order, filtered by a search on the
/// address or the names. Paging and search run in SQL, so a large domain stays fast.
pub async fn list(
    db: &SqlitePool,
    scope: &DomainScope,
    search: &str,
    page: u32,
) -> Result<AccountPage, AppError> {
    let search = search.trim();
    let pattern = format!(
        "%{}%",
        search
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    let filter = "domain_id = ? AND deleted_at IS NULL
         AND (? = '%%' OR local_part LIKE ? ESCAPE '\\' OR first_name LIKE ? ESCAPE '\\' OR last_name LIKE ? ESCAPE '\\')";
    let page_sql = format!(
        "SELECT email, first_name, last_name, active = 1 AS active, substr(created_at, 1, 10) AS created,
                {USAGE_BYTES} AS mailbox_bytes
         FROM mailboxes WHERE {filter} ORDER BY local_part LIMIT ? OFFSET ?"
    );
    let rows_of = |page: u32| {
        sqlx::query_as::<_, AccountRow>(&page_sql)
            .bind(scope.domain_id())
            .bind(pattern.clone())
            .bind(pattern.clone())
            .bind(pattern.clone())
            .bind(pattern.clone())
            .bind(PAGE_SIZE)
            // In 64 bits: any page number times the page size fits.
            .bind(i64::from(page.max(1) - 1) * i64::from(PAGE_SIZE))
            .fetch_all(db)
    };
    let mut page = page.max(1);
    let mut rows = rows_of(page).await?;
    // A short first page is the whole answer: a rare search term costs one scan, not two.
    let (total, more) = if page == 1 && rows.len() < PAGE_SIZE as usize {
        (rows.len() as i64, false)
    } else {
        // A broad search stops counting at the cap, so it never scans the whole domain.
        let cap = if search.is_empty() {
            i64::MAX
        } else {
            MAX_COUNTED
        };
        let counted: i64 = sqlx::query_scalar(&format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM mailboxes WHERE {filter} LIMIT ?)"
        ))
        .bind(scope.domain_id())
        .bind(&pattern)
        .bind(&pattern)
        .bind(&pattern)
        .bind(&pattern)
        .bind(cap.saturating_add(1))
        .fetch_one(db)
        .await?;
        (counted.min(cap), counted > cap)
    };
    let counted_pages = u32::try_from(total.max(1))
        .unwrap_or(u32::MAX)
        .div_ceil(PAGE_SIZE);
    // Past the end (even of an uncounted search): the last page that is known to have rows.
    if page > counted_pages && (!more || rows.is_empty()) {
        page = counted_pages;
        rows = rows_of(page).await?;
    }
    let pages = if more {
        // Past the counted matches a full page promises another.
        counted_pages.max(page.saturating_add(u32::from(rows.len() == PAGE_SIZE as usize)))
    } else {
        counted_pages
    };
    Ok(AccountPage {
        domain: scope.domain().to_owned(),
        rows,
        total: total as u64,
        more,
        page,
        pages,
    })
}
