//! The five operations and the data directory each trial starts from, made with the services
//! the server uses.

use std::os::unix::fs::PermissionsExt;
use std::path::Path;

use app::ssr::access::admins::{self, Scope};
use app::ssr::storage::audit::Actor;
use app::ssr::storage::hashing::Hasher;
use app::ssr::storage::mailstore::{self, MailStore, MailUser};
use app::ssr::storage::{db, domains};
use sqlx::AnyPool;

pub const DOMAIN: &str = "crash.test";
pub const POSTMASTER: &str = "postmaster@crash.test";
pub const PASSWORD: &str = "Xk4#pq9!zz";
/// Accounts in the pasted list, each with a generated password to hash.
pub const ADDED: i64 = 20;
/// Accounts deleted by one choice of Delete.
pub const DELETED: i64 = 200;
/// Messages in the account that is restored.
pub const RESTORED_MESSAGES: u64 = 50;
/// Accounts past the retention period, each with its messages, that the purge removes.
pub const PURGED: i64 = 40;
pub const PURGED_MESSAGES: u64 = 10;
/// Live accounts, and accounts deleted yesterday, that the purge must leave alone.
pub const KEPT: i64 = 3;
pub const KEPT_MESSAGES: u64 = 5;
/// The mailbox that is rebuilt: its messages, and stray files among them.
pub const REBUILT: &str = "big@crash.test";
pub const REBUILT_MESSAGES: usize = 3000;
pub const STRAYS: usize = 100;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Operation {
    Add,
    Delete,
    Restore,
    Purge,
    Rebuild,
}

impl Operation {
    pub const ALL: [Operation; 5] = [
        Operation::Add,
        Operation::Delete,
        Operation::Restore,
        Operation::Purge,
        Operation::Rebuild,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Operation::Add => "add",
            Operation::Delete => "delete",
            Operation::Restore => "restore",
            Operation::Purge => "purge",
            Operation::Rebuild => "rebuild",
        }
    }

    pub fn parse(name: &str) -> Option<Operation> {
        Operation::ALL.into_iter().find(|op| op.name() == name)
    }

    /// What the child does, for the report.
    pub fn description(self) -> String {
        match self {
            Operation::Add => format!(
                "Add many accounts: a pasted list of {ADDED} usernames with generated \
                 passwords, posted to the server function as the browser does"
            ),
            Operation::Delete => format!(
                "Delete: {DELETED} accounts (with their Maildirs) chosen at once, posted to \
                 the server function"
            ),
            Operation::Restore => format!(
                "Restore: a deleted account with {RESTORED_MESSAGES} messages, posted to the \
                 server function"
            ),
            Operation::Purge => format!(
                "Purge, as the server runs it every hour: {PURGED} accounts deleted 40 days \
                 ago with {PURGED_MESSAGES} messages each, beside {KEPT} live accounts and \
                 {KEPT} deleted yesterday that stay"
            ),
            Operation::Rebuild => format!(
                "Rebuild mailbox, as `vpostmaster mailbox rebuild` runs it: {REBUILT_MESSAGES} \
                 messages with mode 0644, {STRAYS} files that are not mail among them, and \
                 Dovecot index files"
            ),
        }
    }

    /// A data directory with the domain, its postmaster and what the operation works on.
    pub async fn prepare(self, data: &Path) {
        let store = MailStore::open(data, MailUser::current()).unwrap();
        let db = db::open(data, None).await.unwrap();
        domains::add(&db, DOMAIN, "", Actor::CLI).await.unwrap();
        let hasher = Hasher::default();
        let postmaster = Scope::Domain(DOMAIN);
        admins::add(&db, &hasher, POSTMASTER, postmaster, PASSWORD, Actor::CLI)
            .await
            .unwrap();
        let accounts = Accounts {
            db: &db,
            store: &store,
        };
        match self {
            Operation::Add => {}
            Operation::Delete => {
                for n in 0..DELETED {
                    accounts.add(&format!("d{n:03}"), None, 0).await;
                }
            }
            Operation::Restore => {
                accounts.add("gone", Some(1), RESTORED_MESSAGES).await;
            }
            Operation::Purge => {
                for n in 0..PURGED {
                    accounts
                        .add(&format!("p{n:02}"), Some(40), PURGED_MESSAGES)
                        .await;
                }
                for n in 0..KEPT {
                    accounts.add(&format!("live{n}"), None, KEPT_MESSAGES).await;
                    accounts
                        .add(&format!("recent{n}"), Some(1), KEPT_MESSAGES)
                        .await;
                }
            }
            Operation::Rebuild => {
                let local = REBUILT.split('@').next().unwrap_or_default();
                let maildir = accounts.add(local, None, 0).await;
                break_maildir(&store.path_of(&maildir).unwrap());
            }
        }
        db.close().await;
    }
}

struct Accounts<'a> {
    db: &'a AnyPool,
    store: &'a MailStore,
}

impl Accounts<'_> {
    /// An account of the domain, deleted `deleted_days` ago or live, with its Maildir and
    /// `messages` messages in it; returns its `maildir`. Rows are written directly, with the
    /// postmaster's hash: an add of its own is what the add trials are for.
    async fn add(&self, local: &str, deleted_days: Option<u32>, messages: u64) -> String {
        let maildir = mailstore::new_maildir(DOMAIN, local, 1_764_000_000).unwrap();
        let deleted = deleted_days.map(|days| format!("-{days} days"));
        sqlx::query(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, maildir, deleted_at)
             VALUES ((SELECT id FROM domains WHERE name = $1), $2, $2 || '@' || $1,
                     (SELECT password_hash FROM admins), $3,
                     CASE WHEN $4 IS NULL THEN NULL
                          ELSE strftime('%Y-%m-%dT%H:%M:%SZ', 'now', $4) END)",
        )
        .bind(DOMAIN)
        .bind(local)
        .bind(&maildir)
        .bind(deleted)
        .execute(self.db)
        .await
        .unwrap();
        let path = self.store.create(&maildir).unwrap();
        for n in 0..messages {
            std::fs::write(path.join("cur").join(message_name(n)), message(n)).unwrap();
        }
        maildir
    }
}

/// The file name of message `n`, as a delivery names it.
pub fn message_name(n: u64) -> String {
    format!("{}.M{n}P1.crash:2,S", 1_700_000_000 + n)
}

fn message(n: u64) -> String {
    format!(
        "From: sender@example.test\r\nTo: someone@{DOMAIN}\r\nSubject: message {n}\r\n\r\n\
         A message body of a line or two.\r\n"
    )
}

/// The name of stray file `n`, which is not mail.
pub fn stray_name(n: usize) -> String {
    format!("notes-{n}.txt")
}

/// Messages with loose modes, stray files in `cur/`, corrupt index files: a rebuild that has
/// work everywhere.
fn break_maildir(maildir: &Path) {
    let cur = maildir.join("cur");
    for n in 0..REBUILT_MESSAGES as u64 {
        let path = cur.join(message_name(n));
        std::fs::write(&path, message(n)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    for n in 0..STRAYS {
        std::fs::write(cur.join(stray_name(n)), "not mail").unwrap();
    }
    for name in ["dovecot.index", "dovecot.index.cache"] {
        std::fs::write(maildir.join(name), [0xa5u8; 4096]).unwrap();
    }
}
