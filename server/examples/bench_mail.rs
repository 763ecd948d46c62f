//! Times Rebuild mailbox on a Maildir of 10,000 messages, and POP3 log-on through our database
//! for a domain of 100,000 accounts, with a private Dovecot started as the tests start it; writes
//! the figures into docs/benchmarks.md between `<!-- rebuild -->` markers. Runs as root with
//! Debian's Dovecot packages: `cargo run --release -p server --example bench_mail`.

// The tests' Dovecot makes the mail servers' roles with the tests' database helpers.
#[allow(dead_code)]
#[path = "../tests/support/database.rs"]
mod database;
#[allow(dead_code)]
#[path = "../tests/support/dovecot.rs"]
mod dovecot;
#[path = "shared/figures.rs"]
mod figures;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::time::Instant;

use app::ssr::storage::audit::Actor;
use app::ssr::storage::hashing::hash_password;
use app::ssr::storage::mailstore::{MailStore, MailUser};
use app::ssr::storage::{db, domains};
use dovecot::{mail_user, Dovecot};
use figures::{command_word, load_average, machine, percentile, thousands, write_section};
use sqlx::AnyPool;
use tempfile::TempDir;

const DOMAIN: &str = "bench.test";
const ACCOUNTS: usize = 100_000;
const PASSWORD: &str = "Tr4in#Lamp";
/// Accounts that get a Maildir and are logged on to, at random among all.
const SAMPLED: usize = 200;
const LOG_ONS: usize = 300;
const WARM_UP: usize = 10;
const MESSAGES: usize = 10_000;
const REBUILD_RUNS: usize = 3;
const BIG: &str = "big@bench.test";

#[tokio::main]
async fn main() {
    let user = mail_user();
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let mut dovecot = Dovecot::prepare();
    let store = MailStore::open(&data, user.clone())
        .unwrap()
        .with_doveadm(Some(dovecot.doveadm()));
    let plain_store = MailStore::open(&data, user.clone()).unwrap();
    let db = db::open(&data, None).await.unwrap();
    store.hand_over_database(&data, db::DB_FILE).unwrap();
    domains::add(&db, DOMAIN, "", Actor::CLI).await.unwrap();

    let started = Instant::now();
    let maildirs = insert_accounts(&db).await;
    let insert_secs = started.elapsed().as_secs_f64();
    let mut random = Random::new();
    let sample: Vec<usize> = (0..SAMPLED).map(|_| random.below(ACCOUNTS)).collect();
    for &n in &sample {
        store.ensure(&maildirs[n]).unwrap();
    }
    dovecot.start(&data, None, &user);

    // POP3: connect, greeting, USER, PASS, STAT, QUIT, as a client's "check mail".
    let log_on = |n: usize| {
        let email = format!("u{n:06}@{DOMAIN}");
        let started = Instant::now();
        let mut pop3 = dovecot.pop3(&email, PASSWORD).unwrap();
        pop3.stat().unwrap();
        pop3.quit();
        started.elapsed().as_secs_f64() * 1000.0
    };
    for &n in sample.iter().take(WARM_UP) {
        log_on(n);
    }
    let pop3: Vec<f64> = (0..LOG_ONS)
        .map(|i| log_on(sample[i % sample.len()]))
        .collect();
    let lookup = time_lookup(&db, &sample).await;
    let plan = query_plan(&db).await;

    // Rebuild: 10,000 messages of about 2 KB in cur/.
    let big = insert_big(&db).await;
    let path = store.create(&big).unwrap();
    let bytes = write_messages(&path.join("cur"), &user);
    let mut healthy = Vec::new();
    let mut healthy_resync = Vec::new();
    let mut broken = Vec::new();
    for _ in 0..REBUILD_RUNS {
        healthy.push(timed(|| plain_store.rebuild(&big, BIG).unwrap(), bytes));
        healthy_resync.push(timed(|| store.rebuild(&big, BIG).unwrap(), bytes));
        break_everything(&path);
        broken.push(timed(|| store.rebuild(&big, BIG).unwrap(), bytes));
    }
    let started = Instant::now();
    let mut check = dovecot.pop3(BIG, PASSWORD).unwrap();
    let (count, octets) = check.stat().unwrap();
    check.quit();
    let first_check = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(count, MESSAGES as u64, "every message is there");
    assert!(octets >= bytes);
    drop(dovecot);

    let section = report(&Figures {
        insert_secs,
        pop3,
        lookup,
        plan,
        healthy,
        healthy_resync,
        broken,
        first_check,
        bytes,
    });
    write_section("benchmarks.md", "rebuild", &section);
    db.close().await;
}

/// 100,000 accounts in one transaction, all with the same Argon2id hash (a log-on costs the
/// same whichever hash it checks). Returns their `maildir` values.
async fn insert_accounts(db: &AnyPool) -> Vec<String> {
    let hash = hash_password(PASSWORD).unwrap();
    let mut tx = db.begin().await.unwrap();
    let mut maildirs = Vec::with_capacity(ACCOUNTS);
    for n in 0..ACCOUNTS {
        let local = format!("u{n:06}");
        let maildir = format!("{DOMAIN}/{local}.1764000000.00000000/");
        sqlx::query(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, maildir)
             VALUES ((SELECT id FROM domains WHERE name = $1), $2, $2 || '@' || $1, $3, $4)",
        )
        .bind(DOMAIN)
        .bind(&local)
        .bind(&hash)
        .bind(&maildir)
        .execute(&mut *tx)
        .await
        .unwrap();
        maildirs.push(maildir);
    }
    tx.commit().await.unwrap();
    maildirs
}

async fn insert_big(db: &AnyPool) -> String {
    let maildir = format!("{DOMAIN}/big.1764000000.00000000/");
    sqlx::query(
        "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, maildir)
         VALUES ((SELECT id FROM domains WHERE name = $1), 'big', $2, $3, $4)",
    )
    .bind(DOMAIN)
    .bind(BIG)
    .bind(hash_password(PASSWORD).unwrap())
    .bind(&maildir)
    .execute(db)
    .await
    .unwrap();
    maildir
}

/// Dovecot's password query alone, as SQLite answers it (median, microseconds).
async fn time_lookup(db: &AnyPool, sample: &[usize]) -> f64 {
    let mut micros: Vec<f64> = Vec::new();
    for &n in sample {
        let email = format!("u{n:06}@{DOMAIN}");
        let started = Instant::now();
        let found: Option<String> = sqlx::query_scalar(
            "SELECT '{ARGON2ID}' || m.password_hash FROM mailboxes m JOIN domains d ON d.id = m.domain_id
             WHERE m.email = $1 AND m.active = 1 AND m.deleted_at IS NULL AND d.active = 1",
        )
        .bind(&email)
        .fetch_optional(db)
        .await
        .unwrap();
        micros.push(started.elapsed().as_secs_f64() * 1e6);
        assert!(found.is_some());
    }
    median(&mut micros)
}

/// How SQLite runs the password query: by index, whatever the number of accounts.
async fn query_plan(db: &AnyPool) -> String {
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(
        "EXPLAIN QUERY PLAN SELECT '{ARGON2ID}' || m.password_hash FROM mailboxes m
         JOIN domains d ON d.id = m.domain_id
         WHERE m.email = 'u000001@bench.test' AND m.active = 1 AND m.deleted_at IS NULL
           AND d.active = 1",
    )
    .fetch_all(db)
    .await
    .unwrap();
    rows.into_iter()
        .map(|(_, _, _, detail)| detail)
        .collect::<Vec<_>>()
        .join("; ")
}

/// Writes the messages and returns their total size.
fn write_messages(cur: &Path, user: &MailUser) -> u64 {
    let body: String = (0..30)
        .map(|line| format!("Line {line} of a message body, long enough to look like mail.\r\n"))
        .collect();
    let mut total = 0;
    for n in 0..MESSAGES {
        let message = format!(
            "Return-Path: <sender@example.test>\r\nFrom: sender@example.test\r\nTo: {BIG}\r\n\
             Subject: message {n}\r\nMessage-ID: <{n}@example.test>\r\n\r\n{body}"
        );
        let path = cur.join(format!("{}.M{n}P1.bench:2,S", 1_700_000_000 + n));
        std::fs::write(&path, &message).unwrap();
        std::os::unix::fs::lchown(&path, Some(user.uid), Some(user.gid)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        total += message.len() as u64;
    }
    total
}

/// Every message handed to root with loose modes, 100 stray files, corrupt index files,
/// `tmp/` gone: the worst the rebuild meets.
fn break_everything(maildir: &Path) {
    for entry in std::fs::read_dir(maildir.join("cur")).unwrap() {
        let path = entry.unwrap().path();
        std::os::unix::fs::lchown(&path, Some(0), Some(0)).unwrap();
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
    }
    for n in 0..100 {
        std::fs::write(maildir.join(format!("cur/notes-{n}.txt")), "not mail").unwrap();
    }
    for name in ["dovecot.index", "dovecot.index.cache"] {
        std::fs::write(maildir.join(name), [0xa5u8; 65536]).unwrap();
    }
    let _ = std::fs::remove_dir_all(maildir.join("tmp"));
}

fn timed(rebuild: impl FnOnce() -> app::model::rebuild::RebuildReport, bytes: u64) -> f64 {
    let started = Instant::now();
    let report = rebuild();
    let millis = started.elapsed().as_secs_f64() * 1000.0;
    assert_eq!(report.message_count, MESSAGES as u64, "{report:?}");
    assert_eq!(report.mailbox_bytes, bytes);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    millis
}

struct Figures {
    insert_secs: f64,
    pop3: Vec<f64>,
    lookup: f64,
    plan: String,
    healthy: Vec<f64>,
    healthy_resync: Vec<f64>,
    broken: Vec<f64>,
    first_check: f64,
    bytes: u64,
}

fn median(values: &mut [f64]) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

fn runs(values: &[f64]) -> String {
    values
        .iter()
        .map(|ms| format!("{ms:.0} ms"))
        .collect::<Vec<_>>()
        .join(", ")
}

fn report(figures: &Figures) -> String {
    let mut pop3 = figures.pop3.clone();
    let (p50, p99) = (median(&mut pop3), percentile(&mut pop3, 99));
    let (min, max) = (pop3[0], pop3[pop3.len() - 1]);
    format!(
        "## Rebuild mailbox and POP3 log-on\n\n\
         `cargo run --release -p server --example bench_mail` (as root, part of `make bench`) \
         starts a private Dovecot {dovecot} with the configuration `vpostmaster dovecot-config` \
         writes, over a fresh database.\n\n\
         Measured on {date} on {machine}; 1-minute load average {load} at the end of the run \
         (the machine is shared with other builds).\n\n\
         ### POP3 log-on in a domain of {accounts} accounts\n\n\
         {accounts} accounts inserted in one transaction ({insert:.1} s), all with an Argon2id \
         hash of the console's parameters (m=19456, t=2, p=1). Each log-on is a whole \"check \
         mail\" of an empty mailbox over loopback: connect, greeting, USER, PASS, STAT, QUIT, \
         for an account drawn at random among the {accounts}; {warm} untimed, then {n} timed, \
         one after another.\n\n\
         | log-ons | min | median | p99 | max |\n| --- | --- | --- | --- | --- |\n\
         | {n} | {min:.1} ms | {p50:.1} ms | {p99:.1} ms | {max:.1} ms |\n\n\
         Dovecot's password query alone, run through sqlx on the same database, takes \
         {lookup:.0} µs (median over the {sampled} sampled accounts); SQLite's plan for it is \
         `{plan}`: one search of the index of live addresses, so the domain's size hardly \
         matters. Nearly all of a log-on is the Argon2id verification, which is meant to be \
         slow.\n\n\
         ### Rebuild of a mailbox of {messages} messages\n\n\
         {messages} messages of {size} bytes on average ({mib:.1} MiB) in `cur/`. Three runs \
         each, in this order per round: a healthy mailbox without and with `doveadm \
         force-resync`, then a broken one (every message handed to root with mode 0644, 100 \
         stray files in `cur/`, corrupt `dovecot.index` and `dovecot.index.cache`, `tmp/` \
         missing) with the resync. Every run ends with all {messages} messages and their bytes \
         counted.\n\n\
         | mailbox | runs |\n| --- | --- |\n\
         | healthy, no resync | {healthy} |\n\
         | healthy, with resync | {resync} |\n\
         | broken, with resync | {broken} |\n\n\
         The first POP3 check of mail after the last rebuild (log-on and STAT of {messages} \
         messages, Dovecot rebuilding its index) took {first:.0} ms.\n",
        dovecot = command_word("dovecot", &["--version"], 0),
        date = command_word("date", &["-u", "+%Y-%m-%d"], 0),
        machine = machine(),
        load = load_average(),
        accounts = thousands(ACCOUNTS),
        insert = figures.insert_secs,
        warm = WARM_UP,
        n = LOG_ONS,
        lookup = figures.lookup,
        sampled = SAMPLED,
        plan = figures.plan,
        messages = thousands(MESSAGES),
        size = figures.bytes / MESSAGES as u64,
        mib = figures.bytes as f64 / 1048576.0,
        healthy = runs(&figures.healthy),
        resync = runs(&figures.healthy_resync),
        broken = runs(&figures.broken),
        first = figures.first_check,
    )
}

/// A small xorshift generator: the sample only needs to be spread, not secret.
struct Random(u64);

impl Random {
    fn new() -> Random {
        let seed = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(1, |d| d.as_nanos() as u64);
        Random(seed | 1)
    }

    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
