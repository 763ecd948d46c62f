//! Mail sent by SMTP reaches the console's accounts: a real Postfix (Debian's) looks the
//! recipients up in our SQLite database through `deploy/postfix/` and hands the mail to a real
//! Dovecot's LMTP, which enforces each account's quota and serves the mail over POP3 and IMAP.
//!
//! These tests run as root with Debian's Postfix and Dovecot packages installed, as CI does.

mod support;

use std::time::{Duration, Instant};

use app::api::accounts::{AddAccounts, GetAccount, ListAccounts};
use app::model::accounts::{AccountDetail, AccountSlice};
use app::pages::users::size;
use app::ssr::storage::audit::Actor;
use app::ssr::storage::domains;
use leptos::server_fn::ServerFn;
use support::mail::*;

/// An account's usage as the console shows it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Usage {
    messages: i64,
    bytes: i64,
}

impl Mail {
    /// The usage on Edit (its server function), once Dovecot has counted the account.
    async fn usage_on_edit(&self, email: &str) -> Option<Usage> {
        let body = self.call(GetAccount::PATH, &[("email", email)]).await;
        let detail: AccountDetail = serde_json::from_str(&body).unwrap();
        Some(Usage {
            messages: detail.message_count?,
            bytes: detail.mailbox_bytes?,
        })
    }

    /// The size on the Users list (its server function).
    async fn size_on_users_list(&self, email: &str) -> Option<i64> {
        let body = self
            .call(
                ListAccounts::PATH,
                &[("domain", "alpha.test"), ("search", ""), ("page", "1")],
            )
            .await;
        let page: AccountSlice = serde_json::from_str(&body).unwrap();
        page.rows
            .into_iter()
            .find(|row| row.email == email)?
            .mailbox_bytes
    }

    /// The usage on Edit once it shows `messages` messages, within seconds of the change.
    async fn wait_for_usage(&self, email: &str, messages: i64) -> Usage {
        let asked = Instant::now();
        loop {
            if let Some(usage) = self.usage_on_edit(email).await {
                if usage.messages == messages {
                    return usage;
                }
            }
            assert!(
                asked.elapsed() < DELIVERY,
                "{email}: {:?}, not {messages} messages\n{}",
                self.usage_on_edit(email).await,
                self.dovecot.read_log()
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// The Users page and the Edit page, as a browser gets them.
    async fn pages(&self, email: &str) -> (String, String) {
        let users = self
            .server
            .get("/users?domain=alpha.test", Some(&self.cookie))
            .await;
        let edit = self
            .server
            .get(
                &format!("/users/edit?email={}", email.replace('@', "%40")),
                Some(&self.cookie),
            )
            .await;
        (users.body, edit.body)
    }
}

/// A message of `body_lines` lines of 78 characters, one of them starting with a dot.
fn message(subject: &str, body_lines: usize) -> Vec<u8> {
    let mut text = format!(
        "From: Sender <sender@elsewhere.test>\r\nTo: <{JANE}>\r\nSubject: {subject}\r\n\
         Date: Tue, 1 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{subject}@elsewhere.test>\r\n\r\n.a line that SMTP dot-stuffs\r\n"
    );
    for n in 0..body_lines {
        text.push_str(&format!("{n:06} {}\r\n", "x".repeat(71)));
    }
    text.into_bytes()
}

fn refused(answer: &str) -> bool {
    answer.starts_with('5')
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_sent_by_smtp_is_fetched_over_pop3_and_imap_byte_for_byte() {
    let mail = Mail::start().await;
    let sent = message("hello", 20);
    mail.send(JANE, &sent);

    let fetched = mail.wait_for(JANE, JANE_PW, 1);
    assert_eq!(fetched.len(), 1);
    // Postfix and Dovecot add their trace headers on top; the rest is what was sent.
    assert!(
        fetched[0].ends_with(&sent),
        "{}",
        String::from_utf8_lossy(&fetched[0])
    );
    let mut imap = mail.dovecot.imap(JANE, JANE_PW).unwrap();
    assert_eq!(imap.select_inbox().unwrap(), 1);
    assert_eq!(imap.fetch(1).unwrap(), fetched[0]);
    imap.logout();
    // Nothing went to the other account.
    assert!(mail.wait_for(JOHN, JOHN_PW, 0).is_empty());
}

#[tokio::test(flavor = "multi_thread")]
async fn addresses_without_a_live_account_are_refused_at_rcpt_until_restored() {
    let mail = Mail::start().await;
    assert!(mail.rcpt(JANE).starts_with("250"));
    for unknown in ["nobody@alpha.test", "jane@unknown.test"] {
        let answer = mail.rcpt(unknown);
        assert!(refused(&answer), "{unknown}: {answer}");
    }

    mail.delete(JANE).await;
    let answer = mail.rcpt(JANE);
    assert!(refused(&answer), "deleted: {answer}");
    assert!(mail.rcpt(JOHN).starts_with("250"));

    mail.server.restore_first_deleted(&mail.cookie).await;
    mail.send(JANE, &message("restored", 1));
    assert_eq!(mail.wait_for(JANE, JANE_PW, 1).len(), 1);

    domains::set_active(&mail.server.db, "alpha.test", false, Actor::CLI)
        .await
        .unwrap();
    for email in [JANE, JOHN] {
        let answer = mail.rcpt(email);
        assert!(refused(&answer), "disabled domain: {answer}");
    }
    domains::set_active(&mail.server.db, "alpha.test", true, Actor::CLI)
        .await
        .unwrap();
    assert!(mail.rcpt(JANE).starts_with("250"));
}

#[tokio::test(flavor = "multi_thread")]
async fn a_full_mailbox_is_refused_at_rcpt_with_552_and_takes_mail_when_its_quota_grows() {
    let mail = Mail::start().await;
    mail.set_quota_mb(JANE, "1").await;
    // 0.8 MiB, then 0.25 MiB: the second goes over by less than the 10% grace.
    mail.send(JANE, &message("first", 10_700));
    mail.wait_for(JANE, JANE_PW, 1);
    mail.send(JANE, &message("second", 3_400));
    mail.wait_for(JANE, JANE_PW, 2);

    let answer = mail.rcpt(JANE);
    assert!(answer.starts_with("552 5.2.2"), "{answer}");
    // Nothing is lost for the others.
    mail.send(JOHN, &message("for john", 10));
    assert_eq!(mail.wait_for(JOHN, JOHN_PW, 1).len(), 1);

    mail.set_quota_mb(JANE, "10").await;
    mail.send(JANE, &message("third", 10));
    assert_eq!(mail.wait_for(JANE, JANE_PW, 3).len(), 3);
}

#[tokio::test(flavor = "multi_thread")]
async fn usage_on_users_and_edit_follows_deliveries_and_pop3_deletes() {
    let mail = Mail::start().await;
    mail.set_quota_mb(JANE, "1").await;
    assert_eq!(mail.usage_on_edit(JANE).await, None);
    let (_, edit) = mail.pages(JANE).await;
    assert!(edit.contains("not counted yet"), "{edit}");

    let first = message("first", 2_000);
    mail.send(JANE, &first);
    let one = mail.wait_for_usage(JANE, 1).await;
    // Dovecot counts the message with the trace headers Postfix and Dovecot add.
    assert!(one.bytes > first.len() as i64, "{one:?}");
    assert_eq!(mail.size_on_users_list(JANE).await, Some(one.bytes));
    let (users, edit) = mail.pages(JANE).await;
    assert!(users.contains(&size(one.bytes)), "{users}");
    let percent = one.bytes * 100 / (1 << 20);
    assert!(
        edit.contains(&format!(
            "{} in 1 message, {percent}% of its 1 MB quota",
            size(one.bytes)
        )),
        "{edit}"
    );
    assert!(
        edit.contains(&format!("value=\"{}\"", one.bytes)),
        "the meter: {edit}"
    );

    mail.send(JANE, &message("second", 10));
    let two = mail.wait_for_usage(JANE, 2).await;
    assert!(two.bytes > one.bytes, "{two:?}");

    let mut pop3 = mail.dovecot.pop3(JANE, JANE_PW).unwrap();
    pop3.command("DELE 1").unwrap();
    pop3.quit();
    let after = mail.wait_for_usage(JANE, 1).await;
    assert!(
        after.bytes < two.bytes - first.len() as i64 + 1,
        "{after:?} after {two:?}"
    );
    assert_eq!(mail.size_on_users_list(JANE).await, Some(after.bytes));
    let (users, edit) = mail.pages(JANE).await;
    assert!(users.contains(&size(after.bytes)), "{users}");
    assert!(
        edit.contains(&format!("{} in 1 message", size(after.bytes))),
        "{edit}"
    );
    // The other account was not touched.
    assert_eq!(mail.usage_on_edit(JOHN).await, None);
}

/// Final outcomes in Postfix's log of the messages to `to`: delivered, and returned to the
/// sender (an account deleted between RCPT and delivery), once each message has one.
fn outcomes(mail: &Mail, to: &str, accepted: usize) -> (usize, usize) {
    let asked = Instant::now();
    loop {
        let log = mail.postfix.read_log();
        let lines = || log.lines().filter(|l| l.contains(&format!("to=<{to}>")));
        let sent = lines().filter(|l| l.contains("status=sent")).count();
        let bounced = lines().filter(|l| l.contains("status=bounced")).count();
        if sent + bounced >= accepted {
            return (sent, bounced);
        }
        assert!(
            asked.elapsed() < DELIVERY,
            "{to}: {sent} sent, {bounced} bounced of {accepted}\n{log}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn deleting_an_account_while_its_mail_flows_loses_nothing_and_crashes_nothing() {
    let mail = Mail::start().await;
    let mut smtp = mail.postfix.smtp();
    // Mail for both accounts, alternately, until jane's address is refused.
    let sender = std::thread::spawn(move || {
        let (mut john, mut jane) = (0, 0);
        let started = Instant::now();
        while started.elapsed() < DELIVERY {
            smtp.send(JOHN, &message(&format!("john-{john}"), 5))
                .expect("john's mail is taken");
            john += 1;
            match smtp.send(JANE, &message(&format!("jane-{jane}"), 5)) {
                Ok(()) => jane += 1,
                Err(refusal) if refused(&refusal) => return (john, jane),
                Err(other) => panic!("jane: {other}"),
            }
        }
        panic!("jane's address was never refused");
    });
    mail.wait_for(JANE, JANE_PW, 3);
    mail.delete(JANE).await;
    let (john, jane) = sender.join().unwrap();

    assert_eq!(mail.wait_for(JOHN, JOHN_PW, john).len(), john);
    // Every message taken for jane was delivered before the delete or returned to its sender.
    let (delivered, returned) = outcomes(&mail, JANE, jane);
    assert_eq!(delivered + returned, jane);
    mail.server.restore_first_deleted(&mail.cookie).await;
    assert_eq!(mail.wait_for(JANE, JANE_PW, delivered).len(), delivered);
    // Both servers still run: the restored account takes mail again.
    mail.send(JANE, &message("after", 1));
    assert_eq!(
        mail.wait_for(JANE, JANE_PW, delivered + 1).len(),
        delivered + 1
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn a_bulk_add_while_mail_flows_loses_nothing_and_the_new_accounts_take_mail_at_once() {
    let mail = Mail::start().await;
    let mut smtp = mail.postfix.smtp();
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let sender = std::thread::spawn({
        let stop = stop.clone();
        move || {
            let mut sent = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                smtp.send(JOHN, &message(&format!("john-{sent}"), 5))
                    .expect("john's mail is taken");
                sent += 1;
            }
            sent
        }
    });
    let paste: String = (0..60)
        .map(|n| format!("staff{n:02} {JOHN_PW} {JOHN_PW}\n"))
        .collect();
    mail.call(
        AddAccounts::PATH,
        &[("domain", "alpha.test"), ("text", &paste)],
    )
    .await;
    // The new accounts exist for Postfix as soon as the add answers.
    for n in [0, 29, 59] {
        let address = format!("staff{n:02}@alpha.test");
        mail.send(&address, &message(&format!("welcome-{n}"), 1));
        assert_eq!(mail.wait_for(&address, JOHN_PW, 1).len(), 1);
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = sender.join().unwrap();
    assert!(sent > 0);
    assert_eq!(mail.wait_for(JOHN, JOHN_PW, sent).len(), sent);
}
