//! Postfix's lookup queries in a database of 100,000 accounts, as the tables that
//! `vpostmaster postfix-config --table` writes state them: the `query` read from each table,
//! `%s` filled as Postfix's sqlite client fills it (quotes doubled), prepared afresh for each
//! lookup as Postfix does, on one read-only connection.

use std::time::Instant;

use app::ssr::storage::audit::Actor;
use app::ssr::storage::db::{self, DB_FILE};
use app::ssr::storage::domains;
use server::postfix::{PostfixConfig, Table};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{Connection, SqliteConnection};
use tempfile::TempDir;

use crate::{address_local, insert_accounts};

pub const DOMAINS: usize = 100;
pub const PER_DOMAIN: usize = 1_000;
pub const LOOKUPS: usize = 10_000;
/// Aliases per domain, each delivering to one of its accounts.
pub const ALIASES_PER_DOMAIN: usize = 100;

/// Per-lookup times in microseconds, by what was looked up.
pub struct Lookups {
    pub domain_held: Vec<f64>,
    pub domain_unknown: Vec<f64>,
    pub address_live: Vec<f64>,
    pub address_unknown: Vec<f64>,
    /// After a miss, Postfix asks the mailbox table for `@domain` (a catch-all).
    pub catch_all: Vec<f64>,
    /// The aliases table (aliases, forwarding, catch-all) finding an account or an alias.
    pub alias_found: Vec<f64>,
    pub alias_unknown: Vec<f64>,
    /// After a miss, the aliases table asked for `@domain`.
    pub alias_catch_all: Vec<f64>,
    /// The domain, aliases and mailbox queries one recipient costs, together.
    pub recipient: Vec<f64>,
    /// `SELECT 1` through the same connection: sqlx's own round trip, included above.
    pub round_trip: Vec<f64>,
    pub seed_secs: f64,
    pub plan: String,
}

pub async fn measure() -> Lookups {
    let dir = TempDir::new().unwrap();
    let started = Instant::now();
    let pool = db::open(dir.path(), None).await.unwrap();
    for d in 0..DOMAINS {
        domains::add(&pool, &domain(d), "", Actor::CLI)
            .await
            .unwrap();
        insert_accounts(&pool, &domain(d), PER_DOMAIN).await;
        insert_aliases(&pool, &domain(d)).await;
    }
    pool.close().await;
    let seed_secs = started.elapsed().as_secs_f64();

    let config = PostfixConfig {
        data_dir: dir.path().to_owned(),
        database_url: None,
        tables_dir: dir.path().to_owned(),
        mail_roles_dir: dir.path().to_owned(),
    };
    let domains_query = query_of(&config.table(Table::Domains).unwrap());
    let mailboxes_query = query_of(&config.table(Table::Mailboxes).unwrap());
    let aliases_query = query_of(&config.table(Table::Aliases).unwrap());
    let options = SqliteConnectOptions::new()
        .filename(dir.path().join(DB_FILE))
        .read_only(true);
    let mut db = SqliteConnection::connect_with(&options).await.unwrap();

    let mut found = Lookups {
        domain_held: Vec::new(),
        domain_unknown: Vec::new(),
        address_live: Vec::new(),
        address_unknown: Vec::new(),
        catch_all: Vec::new(),
        alias_found: Vec::new(),
        alias_unknown: Vec::new(),
        alias_catch_all: Vec::new(),
        recipient: Vec::new(),
        round_trip: Vec::new(),
        seed_secs,
        plan: plan(&mut db, &mailboxes_query).await,
    };
    let mut random = Random(0x9e37_79b9_7f4a_7c15);
    for _ in 0..LOOKUPS {
        // 40% live accounts, 5% aliases, 45% unknown names in held domains, 10% unknown
        // domains.
        let kind = random.below(20);
        let (local, domain) = match kind {
            0..=7 => (
                address_local(random.below(PER_DOMAIN)),
                domain(random.below(DOMAINS)),
            ),
            8 => (
                alias_local(random.below(ALIASES_PER_DOMAIN)),
                domain(random.below(DOMAINS)),
            ),
            9..=17 => (
                format!("x{}", random.below(1_000_000)),
                domain(random.below(DOMAINS)),
            ),
            _ => (
                address_local(random.below(PER_DOMAIN)),
                format!("other{}.test", random.below(1000)),
            ),
        };
        let (held, held_time) = lookup(&mut db, &domains_query, &domain).await;
        let mut recipient = held_time;
        if held.is_none() {
            assert!(kind > 17, "{domain} is held");
            found.domain_unknown.push(held_time);
            found.recipient.push(recipient);
            continue;
        }
        found.domain_held.push(held_time);
        let address = format!("{local}@{domain}");
        // Postfix asks the aliases table first, then the mailbox table for what it gave.
        let (expanded, time) = lookup(&mut db, &aliases_query, &address).await;
        recipient += time;
        assert_eq!(expanded.is_some(), kind <= 8, "{address}");
        let delivered_to = match expanded {
            Some(target) => {
                found.alias_found.push(time);
                target
            }
            None => {
                found.alias_unknown.push(time);
                let (any, time) = lookup(&mut db, &aliases_query, &format!("@{domain}")).await;
                assert!(any.is_none(), "no catch-all");
                found.alias_catch_all.push(time);
                recipient += time;
                address.clone()
            }
        };
        let (live, time) = lookup(&mut db, &mailboxes_query, &delivered_to).await;
        recipient += time;
        assert_eq!(live.is_some(), kind <= 8, "{delivered_to}");
        if live.is_some() {
            found.address_live.push(time);
        } else {
            found.address_unknown.push(time);
            let (any, time) = lookup(&mut db, &mailboxes_query, &format!("@{domain}")).await;
            assert!(any.is_none(), "no catch-all");
            found.catch_all.push(time);
            recipient += time;
        }
        found.recipient.push(recipient);
        let started = Instant::now();
        let _: i64 = sqlx::query_scalar("SELECT 1")
            .fetch_one(&mut db)
            .await
            .unwrap();
        found.round_trip.push(micros(started));
    }
    db.close().await.unwrap();
    found
}

pub fn domain(d: usize) -> String {
    format!("d{d:03}.test")
}

/// The table's `query`, its continuation lines joined as Postfix's configuration reader does.
fn query_of(table: &str) -> String {
    let mut lines = table.lines().skip_while(|line| !line.starts_with("query"));
    let first = lines.next().expect("the table has a query");
    let mut query = first
        .split_once('=')
        .expect("query = ...")
        .1
        .trim()
        .to_owned();
    for line in lines.take_while(|line| line.starts_with([' ', '\t'])) {
        query.push(' ');
        query.push_str(line.trim());
    }
    query
}

/// One lookup of `key`: what it found, and how long it took in microseconds. `%s` is the key
/// and `%d` its domain, quotes doubled, as Postfix's sqlite client fills them.
async fn lookup(db: &mut SqliteConnection, query: &str, key: &str) -> (Option<String>, f64) {
    let quoted = |text: &str| text.replace('\'', "''");
    let domain = key.rsplit_once('@').map_or("", |(_, domain)| domain);
    let sql = query
        .replace("%s", &quoted(key))
        .replace("%d", &quoted(domain));
    let started = Instant::now();
    let row: Option<String> = sqlx::query_scalar(&sql)
        .persistent(false)
        .fetch_optional(&mut *db)
        .await
        .unwrap();
    (row, micros(started))
}

/// The local part of the `n`th alias of a domain.
fn alias_local(n: usize) -> String {
    format!("team{n:03}")
}

/// [`ALIASES_PER_DOMAIN`] aliases of `domain`, each to one of its accounts.
async fn insert_aliases(db: &sqlx::AnyPool, domain: &str) {
    let mut tx = db.begin().await.unwrap();
    for n in 0..ALIASES_PER_DOMAIN {
        let local = alias_local(n);
        sqlx::query(
            "INSERT INTO aliases (domain_id, local_part, address, targets)
             VALUES ((SELECT id FROM domains WHERE name = $1), $2, $2 || '@' || $1, $3 || '@' || $1)",
        )
        .bind(domain)
        .bind(&local)
        .bind(address_local(n))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// How SQLite runs the mailbox query: one search of the index of live addresses.
async fn plan(db: &mut SqliteConnection, query: &str) -> String {
    let sql = format!(
        "EXPLAIN QUERY PLAN {}",
        query.replace("%s", &format!("{}@{}", address_local(1), domain(1)))
    );
    let rows: Vec<(i64, i64, i64, String)> = sqlx::query_as(&sql).fetch_all(db).await.unwrap();
    rows.into_iter()
        .map(|(_, _, _, detail)| detail)
        .collect::<Vec<_>>()
        .join("; ")
}

fn micros(started: Instant) -> f64 {
    started.elapsed().as_secs_f64() * 1e6
}

/// A small xorshift generator with a fixed seed, so that runs draw the same addresses.
struct Random(u64);

impl Random {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}
