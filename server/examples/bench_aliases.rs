//! Times "Add many aliases" on pastes of 5,000 chained aliases through the service the web
//! console calls (parse, taken addresses, the route check over the stored aliases, and the
//! write), and how long a small write of another tenant waits meanwhile; writes the figures into
//! docs/benchmarks.md between `<!-- aliases -->` markers.
//! `cargo run --release -p server --example bench_aliases`.

#[path = "shared/figures.rs"]
mod figures;

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::{Duration, Instant};

use app::ssr::{aliases, db, domains, Actor, Caller, DomainScope};
use figures::{command_word, load_average, machine, percentile, write_section};
use sqlx::AnyPool;
use tempfile::TempDir;

const RUNS: usize = 10;
const LINES: usize = 5_000;

/// `chains` chains of `length` aliases of `domain`, each delivering to the next, the last to
/// an outside address or, when `closed`, back to its chain's first.
fn chained(domain: &str, chains: usize, length: usize, closed: bool) -> String {
    let mut text = String::new();
    for chain in 1..=chains {
        for n in 1..=length {
            let next = if n < length {
                format!("c{chain}-{}@{domain}", n + 1)
            } else if closed {
                format!("c{chain}-1@{domain}")
            } else {
                "out@elsewhere.test".to_owned()
            };
            text.push_str(&format!("c{chain}-{n} {next}\n"));
        }
    }
    text
}

async fn domain(db: &AnyPool, name: &str) -> DomainScope {
    domains::add(db, name, "", Actor::CLI).await.unwrap();
    DomainScope::of(db, Caller::Operator, Some(name))
        .await
        .unwrap()
}

/// Milliseconds of each of `RUNS` pastes; `fresh` gives each run its own domain.
async fn time_pastes(
    db: &AnyPool,
    name: &str,
    text: impl Fn(&str) -> String,
    fresh: bool,
) -> (Vec<f64>, String) {
    let mut millis = Vec::new();
    let mut outcome = String::new();
    let shared = domain(db, &format!("{name}.test")).await;
    for run in 0..RUNS {
        let domain = if fresh {
            self::domain(db, &format!("{name}{run}.test")).await
        } else {
            shared.clone()
        };
        let text = text(domain.domain());
        let started = Instant::now();
        let result = aliases::add_from_paste(db, &domain, &text).await;
        millis.push(started.elapsed().as_secs_f64() * 1_000.0);
        outcome = match result {
            Ok(added) => format!("{added} added"),
            Err(error) => format!(
                "refused: {}",
                error.to_string().lines().next().unwrap_or("")
            ),
        };
    }
    (millis, outcome)
}

/// Milliseconds each small write transaction took, one after another until `done`.
async fn writes_until(db: AnyPool, done: Arc<AtomicBool>) -> Vec<f64> {
    let mut millis = Vec::new();
    while !done.load(Ordering::Relaxed) {
        let started = Instant::now();
        let mut tx = db::begin_write(&db).await.unwrap();
        sqlx::query("UPDATE domains SET description = 'busy' WHERE name = 'other.test'")
            .execute(&mut *tx)
            .await
            .unwrap();
        tx.commit().await.unwrap();
        millis.push(started.elapsed().as_secs_f64() * 1_000.0);
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
    millis
}

fn row(what: &str, outcome: &str, millis: &mut [f64]) -> String {
    format!(
        "| {what} | {outcome} | {:.0} ms | {:.0} ms | {:.0} ms |",
        percentile(millis, 0),
        percentile(millis, 50),
        percentile(millis, 100)
    )
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let dir = TempDir::new().unwrap();
    let db = db::open(dir.path(), None).await.unwrap();
    domain(&db, "other.test").await;
    let load = load_average();

    let (mut deep, deep_outcome) =
        time_pastes(&db, "deep", |d| chained(d, 1, LINES, false), false).await;
    let (mut looped, loop_outcome) =
        time_pastes(&db, "loop", |d| chained(d, 1, LINES, true), false).await;
    let delivered = |d: &str| {
        let singles: String = (1..=5)
            .map(|n| format!("s{n} out@elsewhere.test\n"))
            .collect();
        chained(d, 5, 999, false) + &singles
    };
    let (mut fine, fine_outcome) = time_pastes(&db, "fine", delivered, true).await;

    // Another tenant's small writes: alone for two seconds, then while two pastes of loops
    // run at once, again and again.
    let done = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(writes_until(db.clone(), done.clone()));
    tokio::time::sleep(Duration::from_secs(2)).await;
    done.store(true, Ordering::Relaxed);
    let mut idle = writer.await.unwrap();
    let busy_domain = domain(&db, "busy.test").await;
    let text = chained(busy_domain.domain(), 1, LINES, true);
    let done = Arc::new(AtomicBool::new(false));
    let writer = tokio::spawn(writes_until(db.clone(), done.clone()));
    let pastes: Vec<_> = (0..2)
        .map(|_| {
            let (db, domain, text) = (db.clone(), busy_domain.clone(), text.clone());
            tokio::spawn(async move {
                for _ in 0..RUNS {
                    let _ = aliases::add_from_paste(&db, &domain, &text).await;
                }
            })
        })
        .collect();
    for paste in pastes {
        paste.await.unwrap();
    }
    done.store(true, Ordering::Relaxed);
    let mut busy = writer.await.unwrap();

    let rustc = command_word("rustc", &["--version"], 1);
    let markdown = format!(
        "Measured on {date} on {machine}, rustc {rustc}, release build, SQLite; 1-minute load \
         average {load} when it began. Each paste is {lines} lines of `alias target`, through \
         `aliases::add_from_paste` (what the console's form and server function call), on a \
         database that holds only what earlier runs added; {runs} runs each.\n\n\
         | paste | outcome | min | median | max |\n| --- | --- | --- | --- | --- |\n\
         {deep}\n{looped}\n{fine}\n\n\
         Another domain's small write transaction (the write lock, an update, commit), every \
         5 ms: alone for 2 s, {idle_n} writes; then while two tasks each pasted the loop of \
         5,000 {runs} times, {busy_n} writes.\n\n\
         | writes | median | p99 | max |\n| --- | --- | --- | --- |\n\
         | alone | {i50:.1} ms | {i99:.1} ms | {imax:.1} ms |\n\
         | beside two pastes | {b50:.1} ms | {b99:.1} ms | {bmax:.1} ms |",
        date = command_word("date", &["-u", "+%F"], 0),
        machine = machine(),
        lines = figures::thousands(LINES),
        runs = RUNS,
        deep = row("one chain of 5,000", &deep_outcome, &mut deep),
        looped = row(
            "one chain of 5,000 closed into a loop",
            &loop_outcome,
            &mut looped
        ),
        fine = row(
            "five chains of 999 and five single aliases (a new domain each run)",
            &fine_outcome,
            &mut fine
        ),
        idle_n = idle.len(),
        busy_n = busy.len(),
        i50 = percentile(&mut idle, 50),
        i99 = percentile(&mut idle, 99),
        imax = percentile(&mut idle, 100),
        b50 = percentile(&mut busy, 50),
        b99 = percentile(&mut busy, 99),
        bmax = percentile(&mut busy, 100),
    );
    write_section("benchmarks.md", "aliases", &markdown);
}
