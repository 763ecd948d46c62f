//! Accounts made in the console check mail over POP3 and IMAP with a real Dovecot (Debian's
//! 2.3) that reads our SQLite database through `deploy/dovecot/`; Rebuild mailbox repairs
//! each breakage that makes checking mail fail, keeping every message.
//!
//! These tests run as root with Debian's Dovecot packages installed, as CI does.

mod support;

use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::PathBuf;

use app::api::accounts::{
    AddAccounts, DeleteAccounts, RebuildAccount, SetAccountPassword, UpdateAccount,
};
use app::model::rebuild::{RebuildReport, Resync};
use leptos::server_fn::ServerFn;
use support::dovecot::{mail_user, Dovecot};
use support::*;

const JANE: &str = "jane@alpha.test";
const JANE_PW: &str = "Tr4in#Lamp";
const JOHN: &str = "john@alpha.test";
const JOHN_PW: &str = "Wq7!river";
const NEW_PW: &str = "Gl0be&Sand";
const WRONG_PW: &str = "Tr4in#Lamq";

/// The console and a private Dovecot over the same data directory, with a session of
/// alpha.test's postmaster.
struct Mail {
    // Declared first: Dovecot stops before the data directory goes.
    dovecot: Dovecot,
    server: TestServer,
    cookie: String,
}

impl Mail {
    async fn start() -> Mail {
        let user = mail_user();
        let mut dovecot = Dovecot::prepare();
        let server = TestServer::with_mail(user.clone(), Some(dovecot.doveadm())).await;
        dovecot.start(&server.data_dir, server.database_url.as_deref(), &user);
        let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
        Mail {
            dovecot,
            server,
            cookie,
        }
    }

    /// Calls a server function as the postmaster; panics unless it succeeds.
    async fn call(&self, path: &str, form: &[(&str, &str)]) -> String {
        self.server.call_ok(path, form, &self.cookie).await
    }

    /// Adds accounts with the bulk paste, as the Add accounts screen does.
    async fn add(&self, text: &str) {
        self.call(
            AddAccounts::PATH,
            &[("domain", "alpha.test"), ("text", text)],
        )
        .await;
    }

    async fn rebuild(&self, email: &str) -> RebuildReport {
        let body = self.call(RebuildAccount::PATH, &[("email", email)]).await;
        serde_json::from_str(&body).unwrap_or_else(|error| panic!("{error}: {body}"))
    }

    /// The account's Maildir on disk.
    async fn maildir(&self, email: &str) -> PathBuf {
        let maildir: String = sqlx::query_scalar(
            "SELECT maildir FROM mailboxes WHERE email = $1 AND deleted_at IS NULL",
        )
        .bind(email)
        .fetch_one(&self.server.db)
        .await
        .unwrap();
        self.server.store.path_of(&maildir).unwrap()
    }

    /// Delivers a message into `new/`, as Dovecot's LDA would: owned by the mail user, 0600.
    async fn deliver(&self, email: &str, name: &str, subject: &str) -> Vec<u8> {
        let message = format!(
            "Return-Path: <sender@example.test>\r\nFrom: sender@example.test\r\nTo: {email}\r\n\
             Subject: {subject}\r\n\r\nHello from the tests: {subject}.\r\n"
        )
        .into_bytes();
        let path = self.maildir(email).await.join("new").join(name);
        std::fs::write(&path, &message).unwrap();
        give_to_mail_user(&path, 0o600);
        message
    }

    fn pop3_ok(&self, user: &str, password: &str) -> Vec<Vec<u8>> {
        let mut pop3 = self
            .dovecot
            .pop3(user, password)
            .unwrap_or_else(|error| panic!("POP3 log-on of {user} refused: {error}"));
        let messages = pop3
            .all()
            .unwrap_or_else(|error| panic!("{error}\n{}", self.dovecot.read_log()));
        pop3.quit();
        messages
    }

    fn imap_ok(&self, user: &str, password: &str) -> Vec<Vec<u8>> {
        let mut imap = self
            .dovecot
            .imap(user, password)
            .unwrap_or_else(|error| panic!("IMAP log-on of {user} refused: {error}"));
        let count = imap.select_inbox().unwrap();
        let messages = (1..=count).map(|n| imap.fetch(n).unwrap()).collect();
        imap.logout();
        messages
    }

    /// Both protocols refuse the log-on.
    fn refused(&self, user: &str, password: &str) {
        let pop3 = self.dovecot.pop3(user, password);
        assert!(
            matches!(&pop3, Err(line) if line.starts_with("-ERR [AUTH]")),
            "POP3 let {user} in: {:?}",
            pop3.as_ref().err()
        );
        let imap = self.dovecot.imap(user, password);
        assert!(
            matches!(&imap, Err(line) if line.starts_with("NO [AUTHENTICATIONFAILED]")),
            "IMAP let {user} in: {:?}",
            imap.as_ref().err()
        );
    }
}

fn give_to_mail_user(path: &std::path::Path, mode: u32) {
    let user = mail_user();
    std::os::unix::fs::lchown(path, Some(user.uid), Some(user.gid)).unwrap();
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
}

#[tokio::test]
async fn an_account_added_on_the_web_checks_mail_over_pop3_and_imap() {
    let mail = Mail::start().await;
    mail.add(&format!("jane {JANE_PW} {JANE_PW} Jane Doe"))
        .await;
    let maildir = mail.maildir(JANE).await;
    let meta = std::fs::metadata(maildir.join("cur")).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid(), meta.mode() & 0o777),
        (mail_user().uid, mail_user().gid, 0o700),
        "the Maildir belongs to the mail user"
    );
    let message = mail.deliver(JANE, "1764000000.M1P1.test", "welcome").await;

    assert_eq!(mail.pop3_ok(JANE, JANE_PW), vec![message.clone()]);
    assert_eq!(mail.imap_ok(JANE, JANE_PW), vec![message]);
    // The address is looked up in lowercase, as the console stores it.
    assert_eq!(mail.pop3_ok("Jane@Alpha.TEST", JANE_PW).len(), 1);
    mail.refused(JANE, WRONG_PW);
    mail.refused("nobody@alpha.test", JANE_PW);
}

#[tokio::test]
async fn a_deleted_account_is_refused_at_once_and_works_again_when_restored() {
    let mail = Mail::start().await;
    mail.add(&format!(
        "jane {JANE_PW} {JANE_PW}\njohn {JOHN_PW} {JOHN_PW}"
    ))
    .await;
    let message = mail.deliver(JANE, "1764000000.M1P1.test", "kept").await;
    assert_eq!(mail.pop3_ok(JANE, JANE_PW).len(), 1);

    mail.call(
        DeleteAccounts::PATH,
        &[("domain", "alpha.test"), ("emails", JANE)],
    )
    .await;
    mail.refused(JANE, JANE_PW);
    assert!(
        mail.pop3_ok(JOHN, JOHN_PW).is_empty(),
        "others are not touched"
    );

    mail.server.restore_first_deleted(&mail.cookie).await;
    assert_eq!(
        mail.pop3_ok(JANE, JANE_PW),
        vec![message.clone()],
        "the Maildir was where it was"
    );
    assert_eq!(mail.imap_ok(JANE, JANE_PW), vec![message]);
}

#[tokio::test]
async fn after_a_password_change_only_the_new_password_works() {
    let mail = Mail::start().await;
    mail.add(&format!("jane {JANE_PW} {JANE_PW}")).await;
    assert!(mail.pop3_ok(JANE, JANE_PW).is_empty());
    mail.call(
        SetAccountPassword::PATH,
        &[
            ("email", JANE),
            ("password", NEW_PW),
            ("password_again", NEW_PW),
        ],
    )
    .await;
    mail.refused(JANE, JANE_PW);
    assert!(mail.pop3_ok(JANE, NEW_PW).is_empty());
    assert!(mail.imap_ok(JANE, NEW_PW).is_empty());
}

#[tokio::test]
async fn disabled_accounts_and_the_accounts_of_a_disabled_domain_are_refused() {
    let mail = Mail::start().await;
    mail.add(&format!(
        "jane {JANE_PW} {JANE_PW}\njohn {JOHN_PW} {JOHN_PW}"
    ))
    .await;
    mail.call(
        UpdateAccount::PATH,
        &[("email", JOHN), ("first_name", ""), ("last_name", "")],
    )
    .await;
    mail.refused(JOHN, JOHN_PW);
    assert!(mail.pop3_ok(JANE, JANE_PW).is_empty());

    sqlx::query("UPDATE domains SET active = 0 WHERE name = 'alpha.test'")
        .execute(&mail.server.db)
        .await
        .unwrap();
    mail.refused(JANE, JANE_PW);
    sqlx::query("UPDATE domains SET active = 1 WHERE name = 'alpha.test'")
        .execute(&mail.server.db)
        .await
        .unwrap();
    assert!(mail.pop3_ok(JANE, JANE_PW).is_empty());
}

/// Jane with four messages: three read ones in `cur/` and a new one, as Dovecot leaves them.
async fn jane_with_mail(mail: &Mail) -> (Vec<Vec<u8>>, (u64, u64)) {
    mail.add(&format!("jane {JANE_PW} {JANE_PW}")).await;
    for n in 1..=4 {
        mail.deliver(
            JANE,
            &format!("17640000{n:02}.M{n}P1.test"),
            &format!("message {n}"),
        )
        .await;
    }
    // Reading over POP3 moves the first three to cur/ when the session ends.
    let mut pop3 = mail.dovecot.pop3(JANE, JANE_PW).unwrap();
    let messages = pop3.all().unwrap();
    let stat = pop3.stat().unwrap();
    pop3.quit();
    let mut imap = mail.dovecot.imap(JANE, JANE_PW).unwrap();
    imap.select_inbox().unwrap();
    imap.command("STORE 1:3 +FLAGS (\\Seen)").unwrap();
    imap.logout();
    let cur = std::fs::read_dir(mail.maildir(JANE).await.join("cur"))
        .unwrap()
        .count();
    assert_eq!(cur, 4, "Dovecot moved the messages to cur/");
    assert_eq!(stat.0, 4);
    (messages, stat)
}

/// Checks mail over POP3 and IMAP: every message is there, as before.
fn all_there(mail: &Mail, messages: &[Vec<u8>], stat: (u64, u64)) {
    let mut pop3 = mail.dovecot.pop3(JANE, JANE_PW).unwrap();
    assert_eq!(pop3.stat().unwrap(), stat, "same count and bytes");
    let mut got = pop3.all().unwrap();
    pop3.quit();
    got.sort();
    let mut want = messages.to_vec();
    want.sort();
    assert_eq!(got, want, "every message, intact");
    let mut imap = mail.imap_ok(JANE, JANE_PW);
    imap.sort();
    assert_eq!(imap, want);
}

fn report_ok(report: &RebuildReport, stat: (u64, u64)) {
    assert_eq!(
        (report.message_count, report.mailbox_bytes),
        stat,
        "{report:?}"
    );
    assert_eq!(report.resync, Resync::Done, "{report:?}");
    assert!(report.problems.is_empty(), "{report:?}");
}

#[tokio::test]
async fn rebuild_recreates_a_missing_cur_folder() {
    let mail = Mail::start().await;
    let (messages, stat) = jane_with_mail(&mail).await;
    let maildir = mail.maildir(JANE).await;
    // A manual clean-up moved the messages back to new/ and removed cur/, as root: the mail
    // user can no longer create folders in the Maildir, so Dovecot cannot heal it.
    for entry in std::fs::read_dir(maildir.join("cur")).unwrap() {
        let entry = entry.unwrap();
        let name = entry.file_name().into_string().unwrap();
        let bare = name.split(':').next().unwrap().to_owned();
        std::fs::rename(entry.path(), maildir.join("new").join(bare)).unwrap();
    }
    std::fs::remove_dir(maildir.join("cur")).unwrap();
    std::os::unix::fs::lchown(&maildir, Some(0), Some(0)).unwrap();
    let before = mail
        .dovecot
        .pop3(JANE, JANE_PW)
        .and_then(|mut pop3| pop3.stat());
    assert!(
        matches!(&before, Err(line) if line.contains("[SYS/TEMP]")),
        "checking mail fails: {before:?}"
    );

    let report = mail.rebuild(JANE).await;
    assert_eq!(report.folders_created, ["cur"]);
    assert_eq!(report.owners_fixed, 1);
    report_ok(&report, stat);
    all_there(&mail, &messages, stat);
}

#[tokio::test]
async fn rebuild_gives_back_what_a_copy_as_root_took_from_the_mail_user() {
    let mail = Mail::start().await;
    let (messages, stat) = jane_with_mail(&mail).await;
    let maildir = mail.maildir(JANE).await;
    let cur: Vec<PathBuf> = std::fs::read_dir(maildir.join("cur"))
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .collect();
    // One message copied in by root, 0600: the mail user cannot read it.
    std::os::unix::fs::lchown(&cur[0], Some(0), Some(0)).unwrap();
    std::fs::set_permissions(&cur[0], std::fs::Permissions::from_mode(0o600)).unwrap();
    let mut pop3 = mail.dovecot.pop3(JANE, JANE_PW).unwrap();
    let failed = (1..=stat.0).filter(|n| pop3.retr(*n).is_err()).count();
    pop3.quit();
    assert_eq!(failed, 1, "one message cannot be retrieved");
    // And the whole folder, owned by root: nothing can be checked.
    std::os::unix::fs::lchown(maildir.join("cur"), Some(0), Some(0)).unwrap();
    let before = mail
        .dovecot
        .pop3(JANE, JANE_PW)
        .and_then(|mut pop3| pop3.stat());
    assert!(
        matches!(&before, Err(line) if line.contains("[SYS/TEMP]")),
        "checking mail fails: {before:?}"
    );

    let report = mail.rebuild(JANE).await;
    assert_eq!(report.owners_fixed, 2, "{report:?}");
    report_ok(&report, stat);
    all_there(&mail, &messages, stat);
}

#[tokio::test]
async fn rebuild_drops_corrupt_index_and_cache_files() {
    let mail = Mail::start().await;
    let (messages, stat) = jane_with_mail(&mail).await;
    let maildir = mail.maildir(JANE).await;
    let corrupt = || {
        for name in ["dovecot.index", "dovecot.index.cache"] {
            let path = maildir.join(name);
            std::fs::write(&path, [0xa5u8; 4096]).unwrap();
            give_to_mail_user(&path, 0o600);
        }
    };
    // Dovecot notices the damage, logs an error and works around it.
    corrupt();
    let errors_before = corruption_errors(&mail);
    all_there(&mail, &messages, stat);
    assert!(
        corruption_errors(&mail) > errors_before,
        "Dovecot logged the damage: {}",
        mail.dovecot.read_log()
    );

    corrupt();
    let report = mail.rebuild(JANE).await;
    assert!(
        report
            .index_files_removed
            .iter()
            .any(|name| name == "dovecot.index.cache"),
        "{report:?}"
    );
    assert!(!maildir.join("dovecot.index").exists());
    assert!(maildir.join("dovecot-uidlist").exists(), "message ids stay");
    report_ok(&report, stat);
    let errors_after_rebuild = corruption_errors(&mail);
    all_there(&mail, &messages, stat);
    assert_eq!(
        corruption_errors(&mail),
        errors_after_rebuild,
        "no damage left to notice: {}",
        mail.dovecot.read_log()
    );
}

fn corruption_errors(mail: &Mail) -> usize {
    mail.dovecot
        .read_log()
        .lines()
        .filter(|line| line.contains("Error") && line.to_lowercase().contains("corrupt"))
        .count()
}

#[tokio::test]
async fn rebuild_moves_a_stray_file_out_of_the_messages() {
    let mail = Mail::start().await;
    let (messages, stat) = jane_with_mail(&mail).await;
    let maildir = mail.maildir(JANE).await;
    let stray = maildir.join("cur/notes.txt");
    std::fs::write(&stray, "Things to do: call the bank.\n").unwrap();
    give_to_mail_user(&stray, 0o600);
    let mut pop3 = mail.dovecot.pop3(JANE, JANE_PW).unwrap();
    assert_eq!(
        pop3.stat().unwrap().0,
        stat.0 + 1,
        "the stray file is served as a message"
    );
    pop3.quit();

    let report = mail.rebuild(JANE).await;
    assert_eq!(report.quarantined.len(), 1, "{report:?}");
    report_ok(&report, stat);
    all_there(&mail, &messages, stat);
    let quarantine = std::fs::read_dir(maildir.join("quarantine"))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(
        std::fs::read_to_string(quarantine.join("cur/notes.txt")).unwrap(),
        "Things to do: call the bank.\n",
        "kept, not deleted"
    );
}

#[tokio::test]
async fn rebuild_clears_stale_deliveries_from_tmp() {
    let mail = Mail::start().await;
    let (messages, stat) = jane_with_mail(&mail).await;
    let maildir = mail.maildir(JANE).await;
    let stale = maildir.join("tmp/1600000000.M9P9.test");
    std::fs::write(&stale, "From: half a delivery").unwrap();
    give_to_mail_user(&stale, 0o600);
    std::fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(std::time::SystemTime::now() - std::time::Duration::from_secs(40 * 3600))
        .unwrap();
    let fresh = maildir.join("tmp/1764000099.M8P8.test");
    std::fs::write(&fresh, "From: a delivery in progress").unwrap();
    give_to_mail_user(&fresh, 0o600);
    // Checking mail is not disturbed by either.
    all_there(&mail, &messages, stat);

    let report = mail.rebuild(JANE).await;
    assert_eq!(report.stale_tmp_removed, ["tmp/1600000000.M9P9.test"]);
    assert!(!stale.exists() && fresh.exists());
    report_ok(&report, stat);
    all_there(&mail, &messages, stat);
}
