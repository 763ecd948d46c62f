//! Maildirs that must go unless an account refers to them. Listing a Maildir here before it
//! can outlive its row (created before the row of a new account commits, or kept after the
//! row of a purged account is gone) lets the start-up reconciliation remove what a crash
//! left behind, instead of reporting it forever.

use sqlx::{AnyConnection, AnyPool};

use super::{blocking, normalise, MailStore};
use crate::error::AppError;
use crate::ssr::storage::db::{Backend, Flag};

/// Lists `maildirs` as to be removed unless a row refers to them.
pub async fn record(conn: &mut AnyConnection, maildirs: &[String]) -> Result<(), AppError> {
    sqlx::query(&format!(
        // `WHERE true`: SQLite would read the upsert's ON as a join's after a bare SELECT.
        "INSERT INTO maildir_removals (maildir) {} WHERE true ON CONFLICT DO NOTHING",
        Backend::of_conn(conn).json_texts("$1")
    ))
    .bind(as_json(maildirs)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Takes `maildirs` off the list: their rows are committed, or their folders removed.
pub async fn clear(conn: &mut AnyConnection, maildirs: &[String]) -> Result<(), AppError> {
    sqlx::query(&format!(
        "DELETE FROM maildir_removals WHERE maildir IN ({})",
        Backend::of_conn(conn).json_texts("$1")
    ))
    .bind(as_json(maildirs)?)
    .execute(&mut *conn)
    .await?;
    Ok(())
}

/// Removes the listed Maildirs that no row refers to, clears the list, and returns the names
/// of those removed. One that cannot be removed stays listed, and is reported as an orphan.
pub(super) async fn finish(db: &AnyPool, store: &MailStore) -> Result<Vec<String>, AppError> {
    let listed: Vec<(String, Flag)> = sqlx::query_as(
        "SELECT maildir, maildir IN (SELECT maildir FROM mailboxes) FROM maildir_removals",
    )
    .fetch_all(db)
    .await?;
    let store = store.clone();
    let (removed, done) = blocking(move || {
        let mut removed = Vec::new();
        let mut done = Vec::new();
        for (maildir, Flag(has_row)) in listed {
            if !has_row {
                match store.remove(&maildir) {
                    Ok(true) => removed.push(normalise(&maildir)),
                    Ok(false) => {}
                    Err(error) => {
                        tracing::error!(%error, %maildir, "cannot remove a Maildir left by a crash");
                        continue;
                    }
                }
            }
            done.push(maildir);
        }
        (removed, done)
    })
    .await?;
    clear(&mut *db.acquire().await?, &done).await?;
    Ok(removed)
}

fn as_json(maildirs: &[String]) -> Result<String, AppError> {
    serde_json::to_string(maildirs).map_err(|error| {
        tracing::error!(%error, "cannot encode Maildir names");
        AppError::Internal
    })
}
