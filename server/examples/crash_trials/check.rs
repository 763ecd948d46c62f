//! After the kill: start as the server starts (open and migrate the database, reconcile the
//! mail store), then check the database, the Maildirs and that the change is whole or absent.

use std::collections::BTreeSet;
use std::path::Path;

use app::ssr::storage::db;
use app::ssr::storage::mailstore::{self, MailStore, MailUser};
use sqlx::AnyPool;

use crate::operation::{
    message_name, stray_name, Operation, ADDED, DELETED, KEPT, KEPT_MESSAGES, PURGED,
    PURGED_MESSAGES, REBUILT, REBUILT_MESSAGES, RESTORED_MESSAGES, STRAYS,
};

/// What the start after a kill found.
pub struct Verdict {
    /// The change is there (its transaction committed).
    pub committed: bool,
    /// Maildirs the start removed: left by the kill, listed for removal.
    pub removed: usize,
    /// Everything that is wrong; empty when the trial passes.
    pub failures: Vec<String>,
}

pub async fn after_start(operation: Operation, data: &Path) -> Verdict {
    let mut verdict = Verdict {
        committed: false,
        removed: 0,
        failures: Vec::new(),
    };
    let store = MailStore::open(data, MailUser::current()).unwrap();
    let db = match db::open(data, None).await {
        Ok(db) => db,
        Err(error) => {
            verdict
                .failures
                .push(format!("the database does not open: {error}"));
            return verdict;
        }
    };
    let report = mailstore::reconcile(&db, &store).await.unwrap();
    verdict.removed = report.removed.len();
    let integrity: Vec<String> = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_all(&db)
        .await
        .unwrap();
    if integrity != ["ok"] {
        verdict
            .failures
            .push(format!("integrity_check: {integrity:?}"));
    }
    let faults = [
        ("live accounts had no Maildir", &report.created),
        ("Maildirs belong to no account", &report.orphans),
        ("Maildirs could not be reconciled", &report.problems),
    ];
    for (what, list) in faults {
        if let Some(first) = list.first() {
            let more = list.len() - 1;
            verdict
                .failures
                .push(format!("{what}: {first} and {more} more"));
        }
    }
    // Deleted accounts keep their Maildirs too, until the purge: a restore brings them back.
    let maildirs: Vec<String> = sqlx::query_scalar("SELECT maildir FROM mailboxes")
        .fetch_all(&db)
        .await
        .unwrap();
    for maildir in maildirs.iter().filter(|maildir| !store.exists(maildir)) {
        verdict
            .failures
            .push(format!("{maildir} has a row and no Maildir"));
    }
    let sql = Sql(&db);
    match operation {
        Operation::Add => {
            let live = sql.count("SELECT COUNT(*) FROM mailboxes").await;
            verdict.committed = live == ADDED;
            verdict.expect(live == 0 || live == ADDED, || {
                format!("{live} of {ADDED} added")
            });
            let audited = sql.audited("mailbox.add").await;
            verdict.expect(audited == live, || {
                format!("{audited} adds audited, {live} made")
            });
        }
        Operation::Delete => {
            let deleted = sql
                .count("SELECT COUNT(*) FROM mailboxes WHERE deleted_at IS NOT NULL")
                .await;
            verdict.committed = deleted == DELETED;
            verdict.expect(deleted == 0 || deleted == DELETED, || {
                format!("{deleted} of {DELETED} deleted")
            });
            let audited = sql.audited("mailbox.delete").await;
            verdict.expect(audited == deleted, || {
                format!("{audited} deletions audited, {deleted} made")
            });
        }
        Operation::Restore => {
            let live = sql
                .count("SELECT COUNT(*) FROM mailboxes WHERE deleted_at IS NULL")
                .await;
            verdict.committed = live == 1;
            let audited = sql.audited("mailbox.restore").await;
            verdict.expect(audited == live, || format!("{audited} restores audited"));
            messages(&mut verdict, &store, &maildirs[0], RESTORED_MESSAGES);
        }
        Operation::Purge => {
            let rows: Vec<(String, String)> =
                sqlx::query_as("SELECT local_part, maildir FROM mailboxes")
                    .fetch_all(&db)
                    .await
                    .unwrap();
            let expired = rows.iter().filter(|(local, _)| local.starts_with('p'));
            let left = expired.count() as i64;
            verdict.committed = left == 0;
            verdict.expect(left == 0 || left == PURGED, || {
                format!("{left} of {PURGED} expired accounts left")
            });
            let kept = rows.len() as i64 - left;
            verdict.expect(kept == 2 * KEPT, || format!("{kept} accounts kept"));
            let audited = sql.audited("mailbox.purge").await;
            verdict.expect(audited == PURGED - left, || {
                format!("{audited} purges audited, {} made", PURGED - left)
            });
            for (local, maildir) in &rows {
                let expected = if local.starts_with('p') {
                    PURGED_MESSAGES
                } else {
                    KEPT_MESSAGES
                };
                messages(&mut verdict, &store, maildir, expected);
            }
        }
        Operation::Rebuild => {
            verdict.committed = sql.audited("mailbox.rebuild").await == 1;
            let path = store.path_of(&maildirs[0]).unwrap();
            rebuilt(&mut verdict, &path);
        }
    }
    db.close().await;
    verdict
}

impl Verdict {
    fn expect(&mut self, holds: bool, failure: impl FnOnce() -> String) {
        if !holds {
            self.failures.push(failure());
        }
    }
}

struct Sql<'a>(&'a AnyPool);

impl Sql<'_> {
    async fn count(&self, sql: &str) -> i64 {
        sqlx::query_scalar(sql).fetch_one(self.0).await.unwrap()
    }

    /// Audit rows of `action` that succeeded.
    async fn audited(&self, action: &str) -> i64 {
        sqlx::query_scalar("SELECT COUNT(*) FROM audit_log WHERE action = $1 AND outcome = 'ok'")
            .bind(action)
            .fetch_one(self.0)
            .await
            .unwrap()
    }
}

/// The Maildir holds exactly its `expected` messages.
fn messages(verdict: &mut Verdict, store: &MailStore, maildir: &str, expected: u64) {
    match store.measure(maildir) {
        Ok((count, _)) if count == expected => {}
        Ok((count, _)) => verdict
            .failures
            .push(format!("{maildir}: {count} of {expected} messages")),
        Err(error) => verdict.failures.push(format!("{maildir}: {error}")),
    }
}

/// A Maildir with `cur/`, `new/` and `tmp/`, every message in `cur/` under its name, and every
/// stray file either still in `cur/` or in the quarantine.
fn rebuilt(verdict: &mut Verdict, maildir: &Path) {
    for sub in ["cur", "new", "tmp"] {
        verdict.expect(maildir.join(sub).is_dir(), || {
            format!("{REBUILT}: no {sub}/")
        });
    }
    let mut names = BTreeSet::new();
    let mut pending = vec![maildir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        for entry in std::fs::read_dir(&dir).into_iter().flatten().flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if let Some(name) = path.file_name().and_then(|name| name.to_str()) {
                let in_cur = dir == maildir.join("cur");
                names.insert((in_cur, name.to_owned()));
            }
        }
    }
    let lost = (0..REBUILT_MESSAGES as u64)
        .filter(|&n| !names.contains(&(true, message_name(n))))
        .count();
    verdict.expect(lost == 0, || {
        format!("{REBUILT}: {lost} messages not in cur/")
    });
    let strays = (0..STRAYS)
        .filter(|&n| {
            names
                .iter()
                .any(|(_, name)| name.starts_with(&stray_name(n)))
        })
        .count();
    verdict.expect(strays == STRAYS, || {
        format!("{REBUILT}: {} stray files lost", STRAYS - strays)
    });
}
