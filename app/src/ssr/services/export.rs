//! A domain's live accounts as CSV, for the Users screen's download and `vpostmaster export`.
//! Accounts are read a page at a time, in address order, each page when the reader asks for
//! it: an export holds one page in memory and a database connection (on SQLite, a read
//! snapshot) only while a page is read, however slow its reader.

use futures_util::{stream, Stream, StreamExt, TryStreamExt};
use sqlx::AnyPool;

use super::accounts::USAGE_BYTES;
use crate::csv;
use crate::error::AppError;
use crate::ssr::access::caller::DomainScope;
use crate::ssr::storage::audit::{self, Action, Entry};
use crate::ssr::storage::db::Backend;

/// The columns of an export, in order. Never a password or its hash.
pub const COLUMNS: [&str; 7] = [
    "address",
    "first name",
    "last name",
    "status",
    "quota MB",
    "usage bytes",
    "created",
];

/// Accounts read by one query: a page takes a few milliseconds to read.
pub const PAGE_ROWS: usize = 500;

#[derive(sqlx::FromRow)]
struct Account {
    local_part: String,
    email: String,
    first_name: String,
    last_name: String,
    #[sqlx(try_from = "crate::ssr::storage::db::Flag")]
    active: bool,
    quota_mb: i64,
    usage_bytes: Option<i64>,
    created_at: String,
}

impl Account {
    fn to_csv(&self) -> String {
        let status = if self.active { "active" } else { "disabled" };
        let usage = self.usage_bytes.map(|b| b.to_string()).unwrap_or_default();
        csv::row(&[
            self.email.as_str(),
            &self.first_name,
            &self.last_name,
            status,
            &self.quota_mb.to_string(),
            &usage,
            &self.created_at,
        ])
    }
}

/// The CSV text of the live accounts of the scope's domain in address order: the header
/// line, then the lines of each page of accounts as it is read. A failure is the last item.
pub fn accounts_csv(
    db: AnyPool,
    scope: &DomainScope,
) -> impl Stream<Item = Result<String, AppError>> + Send + 'static {
    let domain_id = scope.domain_id();
    let header = stream::once(async { Ok(csv::row(&COLUMNS)) });
    // Each page starts after the last address of the one before: the keyset, not an offset,
    // so a page costs the same at the end of a large domain as at its start.
    let pages = stream::try_unfold(Some(String::new()), move |after| {
        let db = db.clone();
        async move {
            let Some(after) = after else {
                return Ok(None);
            };
            let page = page_after(&db, domain_id, &after).await?;
            let next = match page.last() {
                Some(last) if page.len() == PAGE_ROWS => Some(last.local_part.clone()),
                Some(_) => None,
                None => return Ok(None),
            };
            Ok(Some((page.iter().map(Account::to_csv).collect(), next)))
        }
    });
    header
        .chain(pages)
        .inspect_err(move |error| tracing::error!(%error, domain_id, "export failed"))
}

/// The live accounts of a domain whose local parts come after `after`, at most a page.
async fn page_after(db: &AnyPool, domain_id: i64, after: &str) -> Result<Vec<Account>, AppError> {
    let sql = format!(
        "SELECT local_part, email, first_name, last_name, active = 1 AS active, quota_mb,
                {USAGE_BYTES} AS usage_bytes, created_at
         FROM mailboxes WHERE domain_id = $1 AND deleted_at IS NULL AND local_part > $2
         ORDER BY local_part LIMIT {PAGE_ROWS}"
    );
    Ok(sqlx::query_as::<_, Account>(&sql)
        .bind(domain_id)
        .bind(after)
        .fetch_all(db)
        .await?)
}

/// The file name of an export of the scope's domain made today (UTC), such as
/// `example.test-accounts-2026-12-02.csv`.
pub async fn file_name(db: &AnyPool, scope: &DomainScope) -> Result<String, AppError> {
    let domain = scope.domain();
    let now: String = sqlx::query_scalar(&format!("SELECT {}", Backend::of(db).now()))
        .fetch_one(db)
        .await?;
    let today = now.get(..10).unwrap_or_default();
    Ok(format!("{domain}-accounts-{today}.csv"))
}

/// Notes in the audit log that the caller took a copy of the domain's list of accounts: it
/// names everyone who has mail there, so who took one, and when, belongs in the domain's
/// activity.
pub async fn record(db: &AnyPool, scope: &DomainScope) -> Result<(), AppError> {
    let mut conn = db.acquire().await?;
    let domain = scope.domain();
    audit::record(
        &mut conn,
        &Entry::new(scope.actor(), Action::AccountExport, Some(domain), domain),
    )
    .await?;
    Ok(())
}
