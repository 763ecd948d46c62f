//! A domain's live accounts as CSV, for the Users screen's download and `vpostmaster export`.
//! Rows are read from the database one at a time and handed on through a bounded channel, so
//! an export holds a few rows in memory whatever the size of the domain.

use futures_util::TryStreamExt;
use sqlx::AnyPool;
use tokio::sync::mpsc;

use super::accounts::USAGE_BYTES;
use super::audit::{self, Action, Actor, Entry};
use super::db::Backend;
use crate::csv;
use crate::error::AppError;

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

/// Rows read ahead of a slow reader; the reading waits when they are all waiting.
const ROWS_AHEAD: usize = 64;

#[derive(sqlx::FromRow)]
struct Account {
    email: String,
    first_name: String,
    last_name: String,
    #[sqlx(try_from = "crate::ssr::db::Flag")]
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

/// The CSV lines (header first) of the live accounts of the domain `domain_id`, in address
/// order, as they are read. A failure arrives as the last item; when the receiver is dropped
/// the reading stops.
pub fn accounts_csv(db: AnyPool, domain_id: i64) -> mpsc::Receiver<Result<String, AppError>> {
    let (out, lines) = mpsc::channel(ROWS_AHEAD);
    tokio::spawn(async move {
        if let Err(error) = send_accounts(&db, domain_id, &out).await {
            tracing::error!(%error, domain_id, "export failed");
            // The reader may have gone already; then nobody needs to hear of it.
            let _ = out.send(Err(error)).await;
        }
    });
    lines
}

async fn send_accounts(
    db: &AnyPool,
    domain_id: i64,
    out: &mpsc::Sender<Result<String, AppError>>,
) -> Result<(), AppError> {
    if out.send(Ok(csv::row(&COLUMNS))).await.is_err() {
        return Ok(());
    }
    let sql = format!(
        "SELECT email, first_name, last_name, active = 1 AS active, quota_mb,
                {USAGE_BYTES} AS usage_bytes, created_at
         FROM mailboxes WHERE domain_id = $1 AND deleted_at IS NULL ORDER BY local_part"
    );
    let mut rows = sqlx::query_as::<_, Account>(&sql).bind(domain_id).fetch(db);
    while let Some(account) = rows.try_next().await? {
        if out.send(Ok(account.to_csv())).await.is_err() {
            break;
        }
    }
    Ok(())
}

/// The file name of an export of `domain` made today (UTC), such as
/// `example.test-accounts-2026-12-02.csv`.
pub async fn file_name(db: &AnyPool, domain: &str) -> Result<String, AppError> {
    let now: String = sqlx::query_scalar(&format!("SELECT {}", Backend::of(db).now()))
        .fetch_one(db)
        .await?;
    let today = now.get(..10).unwrap_or_default();
    Ok(format!("{domain}-accounts-{today}.csv"))
}

/// Notes in the audit log that `actor` took a copy of the domain's list of accounts: it names
/// everyone who has mail there, so who took one, and when, belongs in the domain's activity.
pub async fn record(db: &AnyPool, actor: Actor<'_>, domain: &str) -> Result<(), AppError> {
    let mut conn = db.acquire().await?;
    audit::record(
        &mut conn,
        &Entry::new(actor, Action::MailboxExport, Some(domain), domain),
    )
    .await?;
    Ok(())
}
