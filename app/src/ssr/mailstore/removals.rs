//! Maildirs that must go unless an account refers to them. Listing a Maildir here before it
//! can outlive its row (created before the row of a new account commits, or kept after the
//! row of a purged account is gone) lets the start-up reconciliation remove what a crash
//! left behind, instead of reporting it forever.

use sqlx::{SqliteExecutor, SqlitePool};

use super::{blocking, normalise, MailStore};
use crate::error::AppError;

/// Lists `maildirs` as to be removed unless a row refers to them.
pub async fn record(db: impl SqliteExecutor<'_>, maildirs: &[String]) -> Result<(), AppError> {
    sqlx::query("INSERT OR IGNORE INTO maildir_removals (maildir) SELECT value FROM json_each(?)")
        .bind(as_json(maildirs)?)
        .execute(db)
        .await?;
    Ok(())
}

/// Takes `maildirs` off the list: their rows are committed, or their folders removed.
pub async fn clear(db: impl SqliteExecutor<'_>, maildirs: &[String]) -> Result<(), AppError> {
    sqlx::query("DELETE FROM maildir_removals WHERE maildir IN (SELECT value FROM json_each(?))")
        .bind(as_json(maildirs)?)
        .execute(db)
        .await?;
    Ok(())
}

/// Removes the listed Maildirs that no row refers to, clears the list, and returns the names
/// of those removed. One that cannot be removed stays listed, and is reported as an orphan.
pub(super) async fn finish(db: &SqlitePool, store: &MailStore) -> Result<Vec<String>, AppError> {
    let listed: Vec<(String, bool)> = sqlx::query_as(
        "SELECT maildir, maildir IN (SELECT maildir FROM mailboxes) FROM maildir_removals",
    )
    .fetch_all(db)
    .await?;
    let store = store.clone();
    let (removed, done) = blocking(move || {
        let mut removed = Vec::new();
        let mut done = Vec::new();
        for (maildir, has_row) in listed {
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
    clear(db, &done).await?;
    Ok(removed)
}

fn as_json(maildirs: &[String]) -> Result<String, AppError> {
    serde_json::to_string(maildirs).map_err(|error| {
        tracing::error!(%error, "cannot encode Maildir names");
        AppError::Internal
    })
}
