//! The figures as a section of docs/benchmarks.md, with the conditions they were measured in.

use crate::figures::{command_word, machine, percentile, thousands};
use crate::lookup::{Lookups, DOMAINS, LOOKUPS, PER_DOMAIN};
use crate::{Run, ACCOUNTS, CONNECTIONS, MESSAGES, POLL, ROUNDS, WARM_UP};

pub struct Figures {
    pub postfix: Vec<Run>,
    pub lmtp: Vec<Run>,
    /// LMTP alone with one of Dovecot's plugins off, each.
    pub diagnostics: Vec<(&'static str, Run)>,
    pub message_bytes: usize,
    pub lookups: Lookups,
    pub load_before: String,
    pub load_after_delivery: String,
    pub load_after: String,
}

pub fn markdown(figures: &Figures) -> String {
    let mean = |runs: &[Run]| runs.iter().map(Run::rate).sum::<f64>() / runs.len() as f64;
    let (postfix, lmtp) = (mean(&figures.postfix), mean(&figures.lmtp));
    let mut runs = String::new();
    for (path, list) in [
        ("Postfix: SMTP, lookups, queue, LMTP", &figures.postfix),
        ("Dovecot LMTP alone", &figures.lmtp),
    ] {
        for (n, run) in list.iter().enumerate() {
            runs.push_str(&format!(
                "| {path} | {} | {:.2} s | {:.2} s | {:.0} |\n",
                n + 1,
                run.sent.as_secs_f64(),
                run.delivered.as_secs_f64(),
                run.rate()
            ));
        }
    }
    let mut diagnostics = String::new();
    for (plugin, run) in &figures.diagnostics {
        diagnostics.push_str(&format!(
            "| {plugin} | {:.2} s | {:.0} | {:+.0}% |\n",
            run.delivered.as_secs_f64(),
            run.rate(),
            (run.rate() / lmtp - 1.0) * 100.0
        ));
    }
    let found = &figures.lookups;
    let mut lookups = String::new();
    for (what, table, times) in [
        ("domain held", "domains", &found.domain_held),
        ("domain not held", "domains", &found.domain_unknown),
        ("account or alias", "aliases", &found.alias_found),
        ("unknown address", "aliases", &found.alias_unknown),
        ("`@domain` after a miss", "aliases", &found.alias_catch_all),
        ("live account", "mailboxes", &found.address_live),
        ("unknown address", "mailboxes", &found.address_unknown),
        ("`@domain` after a miss", "mailboxes", &found.catch_all),
        (
            "one recipient: all the above it needs",
            "all",
            &found.recipient,
        ),
        (
            "`SELECT 1` (sqlx's round trip alone)",
            "",
            &found.round_trip,
        ),
    ] {
        let mut times = times.clone();
        lookups.push_str(&format!(
            "| {what} | {table} | {} | {:.0} µs | {:.0} µs |\n",
            thousands(times.len()),
            percentile(&mut times, 50),
            percentile(&mut times, 99),
        ));
    }
    format!(
        "## Mail delivery\n\n\
         `cargo run --release -p server --example bench_delivery` (as root, part of `make \
         bench`) measures the deployment the README describes: its \"Mail server\" commands \
         run as written, as root, in a private root (mount, network and PID namespaces of \
         their own, as the test of those commands runs them), so Dovecot {dovecot} and Postfix \
         {postfix_version} run with Debian's \"Internet Site\" configuration, the files \
         `vpostmaster dovecot-config --write` and `postfix-config --write` write, Dovecot's \
         quota-status asked at each RCPT, `quota_clone` writing each account's usage into the \
         database and the Sieve plugin reading the account's auto-reply at each delivery, and \
         the console running as its service unit runs it. Maildirs, the database and \
         Postfix's queue are on the same disk.\n\n\
         Measured {date} on {machine}, Rust {rustc}, release build; 1-minute load average \
         {before} at the start, {after_delivery} after the deliveries, {after} at the end.\n\n\
         ### Deliveries per second into {accounts} accounts\n\n\
         {accounts} accounts in one domain, added by `vpostmaster import`, each with its \
         Maildir. A run sends {messages} messages of {bytes} bytes, round-robin over the \
         accounts, over {connections} concurrent connections, each sending its share one \
         message after another (one recipient per transaction, each connection kept for \
         its whole share). The same client speaks SMTP to Postfix on loopback and \
         LMTP to Dovecot's unix socket. A run is timed from the first send until every message \
         is in its account's `new/` (the folders counted every {poll} ms once the last message \
         was accepted). {warm} messages through each path first, untimed, then {rounds} rounds \
         alternating the paths. The gap between the last two \
         columns is the time mail waited in Postfix's queue after it was accepted.\n\n\
         | path | run | all accepted | all in the Maildirs | deliveries/s |\n\
         | --- | --- | --- | --- | --- |\n{runs}\n\
         Through Postfix, {postfix:.0} deliveries per second; into Dovecot's LMTP alone, \
         {lmtp:.0} (means of the runs): Postfix's path delivers at {ratio:.0}% of LMTP's rate. \
         The difference is all that Postfix adds, not only our lookups: the SMTP session, \
         writing each message to its queue and fsyncing it, the queue manager, the quota-status \
         check and its own LMTP client. What the lookups themselves cost is measured next.\n\n\
         What bounds LMTP: after those rounds, one more LMTP-alone run of {messages} messages \
         with one of Dovecot's plugins off (its line of `dovecot.conf` edited, `doveadm \
         reload`, {warm} messages untimed first, the configuration put back after). Not a \
         deployment: what each plugin costs a delivery.\n\n\
         | plugin off | all in the Maildirs | deliveries/s | against LMTP alone |\n\
         | --- | --- | --- | --- |\n{diagnostics}\n\
         ### Lookup queries at {total} accounts\n\n\
         {domains} domains of {per_domain} accounts and {aliases} aliases each, inserted in a \
         fresh database in {seed:.1} s. {lookups_n} recipients drawn with a fixed seed: 40% \
         live accounts, 5% aliases, 45% unknown names in held domains, 10% in domains not \
         held. Each lookup runs the `query` of the table file `vpostmaster postfix-config \
         --table` writes, `%s` and `%d` filled as Postfix's sqlite client fills them (quotes \
         doubled), prepared afresh each time as Postfix does, on one read-only connection; as \
         Postfix does, the aliases table is asked first and the mailbox table for what it \
         gave, and a missed address is looked up again as `@domain` in both. The queries run through sqlx, not `postmap -q`, whose \
         process start would hide the query; the times include sqlx's hand-off to its worker \
         thread (the last row).\n\n\
         | lookup | table | lookups | p50 | p99 |\n| --- | --- | --- | --- | --- |\n{lookups}\n\
         SQLite's plan for the mailbox query: `{plan}`: one search of the index of live \
         addresses, whatever the number of accounts.\n",
        dovecot = command_word("dovecot", &["--version"], 0),
        postfix_version = command_word("postconf", &["-d", "-h", "mail_version"], 0),
        date = command_word("date", &["-u", "+%Y-%m-%d"], 0),
        machine = machine(),
        rustc = command_word("rustc", &["--version"], 1),
        before = figures.load_before,
        after_delivery = figures.load_after_delivery,
        after = figures.load_after,
        accounts = thousands(ACCOUNTS),
        messages = thousands(MESSAGES),
        bytes = figures.message_bytes,
        connections = CONNECTIONS,
        poll = POLL.as_millis(),
        warm = WARM_UP,
        rounds = ROUNDS,
        ratio = postfix / lmtp * 100.0,
        total = thousands(DOMAINS * PER_DOMAIN),
        domains = DOMAINS,
        per_domain = thousands(PER_DOMAIN),
        seed = found.seed_secs,
        lookups_n = thousands(LOOKUPS),
        plan = found.plan,
        aliases = crate::lookup::ALIASES_PER_DOMAIN,
    )
}
