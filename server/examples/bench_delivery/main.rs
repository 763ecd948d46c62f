//! Deliveries per second into 1,000 accounts over loopback, in the deployment the README
//! describes (its "Mail server" commands run as written in a private root, as the test of those
//! commands runs them): through Postfix (SMTP, our lookup tables, Dovecot's quota check, LMTP)
//! and through Dovecot's LMTP alone fed directly, in the same run; then the time of Postfix's
//! lookup queries in a database of 100,000 accounts. Writes the figures into
//! docs/benchmarks.md between `<!-- delivery -->` markers. Runs as root with Debian's Postfix
//! and Dovecot packages, after `make build`: `cargo run --release -p server --example
//! bench_delivery`.

#[path = "../../tests/support/mod.rs"]
mod support;

mod client;
#[path = "../shared/figures.rs"]
mod figures;
mod lookup;
mod report;

use std::path::PathBuf;
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use app::ssr::storage::hashing::hash_password;
use sqlx::AnyPool;
use support::deployment::{PrivateRoot, PASSWORD};

const DOMAIN: &str = "bench.test";
const ACCOUNTS: usize = 1_000;
const MESSAGES: usize = 5_000;
/// Concurrent SMTP or LMTP connections, each sending its share of the messages in turn.
const CONNECTIONS: usize = 8;
/// Messages through each path before the timed runs, so that no run pays for process starts.
const WARM_UP: usize = 50;
/// Timed runs of each path, alternating.
const ROUNDS: usize = 2;
/// How long all messages of a run may take to arrive before the run counts as failed.
const PATIENCE: Duration = Duration::from_secs(600);
/// How often the Maildirs are counted while a run is in flight.
const POLL: Duration = Duration::from_millis(20);

/// One timed run of `MESSAGES` deliveries.
pub struct Run {
    /// From the first send until the last message was accepted by the server fed.
    pub sent: Duration,
    /// From the first send until the last message was in its Maildir.
    pub delivered: Duration,
}

impl Run {
    pub fn rate(&self) -> f64 {
        MESSAGES as f64 / self.delivered.as_secs_f64()
    }
}

fn main() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let load_before = figures::load_average();
    let root = PrivateRoot::readme_deployment();
    let new_dirs = seed(&root);
    let socket = root.outside("/var/spool/postfix/private/dovecot-lmtp");
    let counter = Counter { new_dirs };

    let through_postfix = |messages: &[(String, Vec<u8>)]| {
        // Each sender is a thread of its own, which must join the private root's network.
        root.join_network();
        let mut smtp = client::smtp(([127, 0, 0, 1], 25).into());
        for (to, message) in messages {
            if let Err(refusal) = smtp.send(to, message) {
                panic!("{to} refused: {refusal}\n{}", root.log());
            }
        }
        smtp.quit();
    };
    let through_lmtp = |messages: &[(String, Vec<u8>)]| {
        let mut lmtp = client::lmtp(&socket);
        for (to, message) in messages {
            if let Err(refusal) = lmtp.send(to, message) {
                panic!("{to} refused: {refusal}\n{}", root.log());
            }
        }
        lmtp.quit();
    };
    counter.run(&messages(WARM_UP), &through_postfix);
    counter.run(&messages(WARM_UP), &through_lmtp);
    let mut postfix_runs = Vec::new();
    let mut lmtp_runs = Vec::new();
    for _ in 0..ROUNDS {
        postfix_runs.push(counter.run(&messages(MESSAGES), &through_postfix));
        lmtp_runs.push(counter.run(&messages(MESSAGES), &through_lmtp));
    }
    let diagnostics = diagnose(&root, &counter, &through_lmtp);
    drop(root);
    let load_after_delivery = figures::load_average();

    let lookups = runtime.block_on(lookup::measure());
    let section = report::markdown(&report::Figures {
        postfix: postfix_runs,
        lmtp: lmtp_runs,
        diagnostics,
        message_bytes: messages(1)[0].1.len(),
        lookups,
        load_before,
        load_after_delivery,
        load_after: figures::load_average(),
    });
    figures::write_section("benchmarks.md", "delivery", &section);
}

/// Dovecot's plugins whose work each delivery waits for, with the line of `dovecot.conf` that
/// loads each and that line without it.
const PLUGINS: [(&str, &str, &str); 2] = [
    (
        "quota_clone (the usage written to the database)",
        "mail_plugins = $mail_plugins quota quota_clone",
        "mail_plugins = $mail_plugins quota",
    ),
    (
        "Sieve (the auto-reply read from the database)",
        "  mail_plugins = $mail_plugins sieve",
        "  mail_plugins = $mail_plugins",
    ),
];

/// What bounds LMTP: one run of LMTP alone with each plugin of [`PLUGINS`] off in turn (not a
/// deployment: a measurement of what that plugin costs), the configuration put back after.
fn diagnose(
    root: &PrivateRoot,
    counter: &Counter,
    through_lmtp: &(impl Fn(&[(String, Vec<u8>)]) + Sync),
) -> Vec<(&'static str, Run)> {
    let conf = "/etc/dovecot/dovecot.conf";
    root.ok(&format!("cp -p {conf} {conf}.bench"));
    PLUGINS
        .iter()
        .map(|(plugin, with, without)| {
            let text = std::fs::read_to_string(root.outside(conf)).unwrap();
            assert!(text.contains(&format!("\n{with}\n")), "{with}");
            std::fs::write(
                root.outside(conf),
                text.replace(&format!("\n{with}\n"), &format!("\n{without}\n")),
            )
            .unwrap();
            root.ok("doveadm reload");
            counter.run(&messages(WARM_UP), through_lmtp);
            let run = counter.run(&messages(MESSAGES), through_lmtp);
            root.ok(&format!("cp -p {conf}.bench {conf} && doveadm reload"));
            (*plugin, run)
        })
        .collect()
}

/// `ACCOUNTS` accounts in their own domain, added by `vpostmaster import` as an operator adds
/// them, each with its Maildir. Returns the Maildirs' `new/` folders.
fn seed(root: &PrivateRoot) -> Vec<PathBuf> {
    root.ok(&format!("vpostmaster domain add {DOMAIN}"));
    let mut csv = String::from("address,password,password again\n");
    for n in 0..ACCOUNTS {
        csv.push_str(&format!(
            "{}@{DOMAIN},{PASSWORD},{PASSWORD}\n",
            address_local(n)
        ));
    }
    std::fs::write(root.outside("/srv/accounts.csv"), csv).unwrap();
    root.ok(&format!("vpostmaster import {DOMAIN} /srv/accounts.csv"));
    let domain_dir = root.outside(&format!("/srv/vpostmaster/data/mail/{DOMAIN}"));
    let new_dirs: Vec<PathBuf> = std::fs::read_dir(domain_dir)
        .unwrap()
        .flatten()
        .map(|maildir| maildir.path().join("new"))
        .collect();
    assert_eq!(new_dirs.len(), ACCOUNTS);
    new_dirs
}

/// Inserts `u00000@domain` and on, live and active, into an existing domain, all with the
/// same Argon2id hash (no one logs on).
pub async fn insert_accounts(db: &AnyPool, domain: &str, count: usize) -> Vec<String> {
    static HASH: OnceLock<String> = OnceLock::new();
    let hash = HASH.get_or_init(|| hash_password("Tr4in#Lamp").unwrap());
    let mut tx = db.begin().await.unwrap();
    let mut maildirs = Vec::with_capacity(count);
    for n in 0..count {
        let local = address_local(n);
        let maildir = format!("{domain}/{local}.1764000000.00000000/");
        sqlx::query(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, maildir)
             VALUES ((SELECT id FROM domains WHERE name = $1), $2, $2 || '@' || $1, $3, $4)",
        )
        .bind(domain)
        .bind(&local)
        .bind(hash)
        .bind(&maildir)
        .execute(&mut *tx)
        .await
        .unwrap();
        maildirs.push(maildir);
    }
    tx.commit().await.unwrap();
    maildirs
}

/// The local part of the `n`th account of a domain.
pub fn address_local(n: usize) -> String {
    format!("u{n:05}")
}

/// `count` messages of about 2 KB, round-robin over the accounts. One body line starts with a
/// dot, so that both clients' dot-stuffing is exercised.
fn messages(count: usize) -> Vec<(String, Vec<u8>)> {
    let body: String = (0..30)
        .map(|line| {
            format!("Line {line} of a message body, long enough to look like real mail.\r\n")
        })
        .collect();
    (0..count)
        .map(|n| {
            let to = format!("{}@{DOMAIN}", address_local(n % ACCOUNTS));
            let message = format!(
                "From: sender@elsewhere.test\r\nTo: {to}\r\nSubject: message {n}\r\n\
                 Message-ID: <{n}.{}@elsewhere.test>\r\n\r\n{body}.signed, the sender\r\n",
                std::process::id()
            );
            (to, message.into_bytes())
        })
        .collect()
}

/// Counts the messages in the accounts' `new/` folders.
struct Counter {
    new_dirs: Vec<PathBuf>,
}

impl Counter {
    fn count(&self) -> usize {
        self.new_dirs
            .iter()
            .map(|dir| std::fs::read_dir(dir).map_or(0, |entries| entries.count()))
            .sum()
    }

    /// Sends `messages` over `CONNECTIONS` concurrent sessions of `send`, each its share in
    /// turn, and returns once they are all in the Maildirs.
    fn run(
        &self,
        messages: &[(String, Vec<u8>)],
        send: &(impl Fn(&[(String, Vec<u8>)]) + Sync),
    ) -> Run {
        let target = self.count() + messages.len();
        let shares: Vec<Vec<(String, Vec<u8>)>> = (0..CONNECTIONS)
            .map(|c| {
                messages
                    .iter()
                    .skip(c)
                    .step_by(CONNECTIONS)
                    .cloned()
                    .collect()
            })
            .collect();
        let started = Instant::now();
        let sent = std::thread::scope(|scope| {
            let senders: Vec<_> = shares
                .iter()
                .map(|share| scope.spawn(move || send(share)))
                .collect();
            for sender in senders {
                sender.join().expect("a sender finished");
            }
            started.elapsed()
        });
        loop {
            let count = self.count();
            if count >= target {
                return Run {
                    sent,
                    delivered: started.elapsed(),
                };
            }
            assert!(
                started.elapsed() < PATIENCE,
                "{} of {} messages arrived",
                count + messages.len() - target,
                messages.len()
            );
            std::thread::sleep(POLL);
        }
    }
}
