//! Account management through the real router: add many and one, the one-time result, edit,
//! set a password, delete, restore, purge and the activity log, with every refusal.

mod support;

use app::api::accounts::{
    AddAccount, AddAccounts, AddProgress, AddedAccounts, DeleteAccounts, DismissBatch, GetAccount,
    ListAccounts, ListDeleted, RestoreAccount, SetAccountPassword, UpdateAccount,
};
use app::api::activity::ListActivity;
use app::error::AppError;
use app::model::accounts::{AccountDetail, AccountSlice, AddedBatch, DeletedRow};
use app::model::activity::ActivitySlice;
use app::model::deleted::DeletedPage;
use app::ssr::access::caller::{Caller, DomainScope};
use app::ssr::access::sessions::SessionPolicy;
use app::ssr::services::accounts::{self, purge_expired, OneAccount, RETENTION_DAYS};
use app::ssr::services::retention;
use app::ssr::storage::db::Backend;
use app::ssr::storage::hashing::verify_password;
use app::validate::{is_acceptable, PasswordContext};
use axum::body::Body;
use axum::http::header;
use leptos::server_fn::ServerFn;
use support::console::{conflict, invalid, not_found, outcome, Console};
use support::*;

const ADD_ACCOUNTS: &str = AddAccounts::PATH;
const ADD_ACCOUNT: &str = AddAccount::PATH;
const ADD_PROGRESS: &str = AddProgress::PATH;
const ADDED_ACCOUNTS: &str = AddedAccounts::PATH;
const DISMISS_BATCH: &str = DismissBatch::PATH;
const GET_ACCOUNT: &str = GetAccount::PATH;
const UPDATE_ACCOUNT: &str = UpdateAccount::PATH;
const SET_ACCOUNT_PASSWORD: &str = SetAccountPassword::PATH;
const DELETE_ACCOUNTS: &str = DeleteAccounts::PATH;
const LIST_DELETED: &str = ListDeleted::PATH;
const RESTORE_ACCOUNT: &str = RestoreAccount::PATH;
const LIST_ACCOUNTS: &str = ListAccounts::PATH;
const LIST_ACTIVITY: &str = ListActivity::PATH;

/// Passwords the tests type; none may ever show up in the audit log or an error.
const PW_JDOE: &str = "Tr4in#Lamp";
const PW_ANN: &str = "Wq7!river";
const PW_NEW: &str = "Gl0be&Sand";
const PW_OTHER: &str = "Pl8te?Moss";

/// The batch id of a successful add, from where it redirects.
fn batch_of(reply: &Reply) -> Result<String, AppError> {
    outcome::<()>(reply)?;
    let location = reply.header("location").expect("a redirect to the result");
    Ok(location
        .strip_prefix("/users/added?batch=")
        .unwrap_or_else(|| panic!("{location}"))
        .to_owned())
}

impl Console {
    async fn paste_as(&self, cookie: &str, text: &str, generate: bool) -> Result<String, AppError> {
        let mut form = vec![("domain", "alpha.test"), ("text", text)];
        if generate {
            form.push(("generate", "on"));
        }
        batch_of(&self.server.call(ADD_ACCOUNTS, &form, Some(cookie)).await)
    }

    async fn paste(&self, text: &str, generate: bool) -> Result<String, AppError> {
        self.paste_as(&self.cookie, text, generate).await
    }

    async fn add_one(
        &self,
        username: &str,
        names: (&str, &str),
        password: &str,
        password_again: &str,
    ) -> Result<String, AppError> {
        let form = [
            ("domain", "alpha.test"),
            ("username", username),
            ("first_name", names.0),
            ("last_name", names.1),
            ("password", password),
            ("password_again", password_again),
        ];
        batch_of(&self.call(ADD_ACCOUNT, &form).await)
    }

    /// How far the running add of the session `cookie` has got.
    async fn progress(&self, cookie: &str) -> Option<(usize, usize)> {
        outcome(&self.server.call(ADD_PROGRESS, &[], Some(cookie)).await).unwrap()
    }

    async fn added_as(&self, cookie: &str, batch: &str) -> Result<AddedBatch, AppError> {
        let reply = self
            .server
            .call(ADDED_ACCOUNTS, &[("batch", batch)], Some(cookie))
            .await;
        outcome(&reply)
    }

    async fn detail(&self, email: &str) -> Result<AccountDetail, AppError> {
        outcome(&self.call(GET_ACCOUNT, &[("email", email)]).await)
    }

    async fn update(
        &self,
        email: &str,
        first: &str,
        last: &str,
        active: bool,
    ) -> Result<(), AppError> {
        let mut form = vec![("email", email), ("first_name", first), ("last_name", last)];
        if active {
            form.push(("active", "on"));
        }
        outcome(&self.call(UPDATE_ACCOUNT, &form).await)
    }

    async fn set_password(&self, email: &str, password: &str, again: &str) -> Result<(), AppError> {
        let form = [
            ("email", email),
            ("password", password),
            ("password_again", again),
        ];
        outcome(&self.call(SET_ACCOUNT_PASSWORD, &form).await)
    }

    async fn delete(&self, emails: &[&str]) -> Result<(), AppError> {
        let emails = emails.join("\n");
        let form = [("domain", "alpha.test"), ("emails", emails.as_str())];
        outcome(&self.call(DELETE_ACCOUNTS, &form).await)
    }

    async fn deleted(&self) -> Vec<DeletedRow> {
        let reply = self.call(LIST_DELETED, &[("domain", "alpha.test")]).await;
        let listed: DeletedPage<DeletedRow> = outcome(&reply).unwrap();
        assert_eq!(listed.domain, "alpha.test");
        listed.rows
    }

    async fn restore(&self, id: i64) -> Result<(), AppError> {
        let id = id.to_string();
        let form = [("domain", "alpha.test"), ("id", id.as_str())];
        outcome(&self.call(RESTORE_ACCOUNT, &form).await)
    }

    async fn live(&self) -> Vec<String> {
        let form = [("domain", "alpha.test"), ("search", ""), ("page", "1")];
        let page: AccountSlice = outcome(&self.call(LIST_ACCOUNTS, &form).await).unwrap();
        page.rows.into_iter().map(|row| row.email).collect()
    }

    async fn activity(&self, action: &str, page: u32) -> ActivitySlice {
        let page = page.to_string();
        let form = [
            ("domain", "alpha.test"),
            ("action", action),
            ("page", page.as_str()),
        ];
        outcome(&self.call(LIST_ACTIVITY, &form).await).unwrap()
    }

    async fn count(&self, sql: &str) -> i64 {
        self.server.count(sql).await
    }

    async fn hash_of(&self, email: &str) -> String {
        sqlx::query_scalar(
            "SELECT password_hash FROM mailboxes WHERE email = $1 AND deleted_at IS NULL",
        )
        .bind(email)
        .fetch_one(&self.server.db)
        .await
        .unwrap()
    }

    async fn id_of_deleted(&self, email: &str) -> i64 {
        sqlx::query_scalar("SELECT id FROM mailboxes WHERE email = $1 AND deleted_at IS NOT NULL")
            .bind(email)
            .fetch_one(&self.server.db)
            .await
            .unwrap()
    }

    /// Every column of every audit row, as one text.
    async fn audit_text(&self) -> String {
        let rows: Vec<String> = sqlx::query_scalar(
            "SELECT id || '|' || at || '|' || actor || '|' || client_addr || '|' || COALESCE(domain, '')
                    || '|' || action || '|' || target || '|' || outcome || '|' || details
             FROM audit_log",
        )
        .fetch_all(&self.server.db)
        .await
        .unwrap();
        rows.join("\n")
    }
}

#[tokio::test]
async fn a_paste_adds_every_account_hashed_audited_and_shown_once() {
    let console = Console::new().await;
    let text = format!(
        "# new staff\r\n\
         jdoe {PW_JDOE} {PW_JDOE} John Doe\r\n\
         \r\n\
         Ann@Alpha.test,{PW_ANN},{PW_ANN},Ann,\"Lee, Jr\"\r\n\
         bob\n"
    );
    let batch = console.paste(&text, true).await.unwrap();

    let rows: Vec<(String, String, String, String, String, i64)> = sqlx::query_as(
        "SELECT email, local_part, first_name, last_name, maildir, active FROM mailboxes ORDER BY id",
    )
    .fetch_all(&console.server.db)
    .await
    .unwrap();
    let emails: Vec<&str> = rows.iter().map(|row| row.0.as_str()).collect();
    assert_eq!(
        emails,
        ["jdoe@alpha.test", "ann@alpha.test", "bob@alpha.test"]
    );
    assert_eq!((rows[0].2.as_str(), rows[0].3.as_str()), ("John", "Doe"));
    assert_eq!((rows[1].2.as_str(), rows[1].3.as_str()), ("Ann", "Lee, Jr"));
    for (email, local, _, _, maildir, active) in &rows {
        assert_eq!(*active, 1);
        let stamp = maildir
            .strip_prefix(&format!("alpha.test/{local}."))
            .and_then(|rest| rest.strip_suffix('/'))
            .unwrap_or_else(|| panic!("{maildir}"));
        let (seconds, random) = stamp.split_once('.').unwrap();
        assert!(seconds.parse::<i64>().unwrap() > 1_600_000_000, "{maildir}");
        assert!(
            random.len() >= 4 && random.chars().all(|c| c.is_ascii_hexdigit()),
            "{maildir}"
        );
        let hash = console.hash_of(email).await;
        assert!(
            hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
            "{hash}"
        );
    }
    assert!(verify_password(
        PW_JDOE,
        &console.hash_of("jdoe@alpha.test").await
    ));
    assert!(verify_password(
        PW_ANN,
        &console.hash_of("ann@alpha.test").await
    ));
    let audited = console
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.add' AND outcome = 'ok'
             AND actor = 'postmaster@alpha.test' AND client_addr = '192.0.2.1' AND domain = 'alpha.test'",
        )
        .await;
    assert_eq!(audited, 3, "one audit row per account");

    // Another session, even of the same postmaster, cannot read the batch, nor spoil it.
    let elsewhere = console.server.log_on(POSTMASTER_A, PASSWORD).await;
    let stolen = console.added_as(&elsewhere, &batch).await;
    assert!(not_found(stolen).contains("until you choose Done"));
    let shown = console.added_as(&console.cookie, &batch).await.unwrap();
    assert_eq!(shown.domain, "alpha.test");
    let listed: Vec<(&str, bool)> = shown
        .accounts
        .iter()
        .map(|a| (a.email.as_str(), a.generated_password.is_some()))
        .collect();
    assert_eq!(
        listed,
        [
            ("jdoe@alpha.test", false),
            ("ann@alpha.test", false),
            ("bob@alpha.test", true)
        ]
    );
    let generated = shown.accounts[2].generated_password.clone().unwrap();
    let context = PasswordContext {
        username: "bob",
        first_name: "",
        last_name: "",
        domain: "alpha.test",
    };
    assert!(is_acceptable(&generated, &context), "{generated}");
    assert!(verify_password(
        &generated,
        &console.hash_of("bob@alpha.test").await
    ));
    assert_eq!(
        console.added_as(&console.cookie, &batch).await.unwrap(),
        shown,
        "a reload shows the results again"
    );
    let done = console.call(DISMISS_BATCH, &[("batch", &batch)]).await;
    assert!(done.status.is_success(), "{}", done.body);
    assert!(
        not_found(console.added_as(&console.cookie, &batch).await)
            .contains("until you choose Done"),
        "Done forgets the results"
    );
    let audit = console.audit_text().await;
    for secret in [PW_JDOE, PW_ANN, generated.as_str()] {
        assert!(!audit.contains(secret), "a password in the audit log");
    }
    let hashes: i64 = console
        .count("SELECT COUNT(*) FROM audit_log WHERE details LIKE '%argon2%' OR target LIKE '%argon2%'")
        .await;
    assert_eq!(hashes, 0);
}

#[tokio::test]
async fn a_paste_with_a_broken_line_adds_nothing_and_names_line_and_field() {
    let console = Console::new().await;
    let text = format!(
        "jdoe {PW_JDOE} {PW_JDOE}\n\
         ann {PW_ANN} {PW_OTHER}\n\
         bob abcdefgh abcdefgh\n\
         bad..name {PW_NEW} {PW_NEW}\n"
    );
    let message = invalid(console.paste(&text, false).await);
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(
        lines[0], "Line 2, password again: The two passwords differ.",
        "{message}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Line 3, password: ")),
        "{message}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("Line 4, username: ")),
        "{message}"
    );
    assert!(!lines.iter().any(|l| l.starts_with("Line 1")), "{message}");
    for secret in [PW_JDOE, PW_ANN, PW_OTHER, PW_NEW, "abcdefgh"] {
        assert!(!message.contains(secret), "never a password: {message}");
    }
    assert_eq!(console.count("SELECT COUNT(*) FROM mailboxes").await, 0);
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM audit_log WHERE action LIKE 'mailbox.%'")
            .await,
        0
    );

    // Without JavaScript the error travels in the address it redirects to: no password there.
    let request = post(ADD_ACCOUNTS, Some(&console.cookie))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, "http://console.test/users/add")
        .body(Body::from(encode(&[
            ("domain", "alpha.test"),
            ("text", &text),
        ])))
        .unwrap();
    let reply = console.server.send(request).await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    let location = reply.header("location").unwrap();
    assert!(location.contains("__err="), "{location}");
    for secret in [PW_JDOE, PW_ANN, PW_OTHER, PW_NEW, "abcdefgh"] {
        assert!(!location.contains(secret), "{location}");
    }
    assert_eq!(console.count("SELECT COUNT(*) FROM mailboxes").await, 0);
}

#[tokio::test]
async fn a_paste_without_javascript_goes_to_the_result_page() {
    let console = Console::new().await;
    let request = post(ADD_ACCOUNTS, Some(&console.cookie))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, "http://console.test/users/add")
        .body(Body::from(encode(&[
            ("domain", "alpha.test"),
            ("text", "jdoe"),
            ("generate", "on"),
        ])))
        .unwrap();
    let reply = console.server.send(request).await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    let location = reply.header("location").unwrap();
    let batch = location
        .strip_prefix("/users/added?batch=")
        .expect(location);
    let shown = console.added_as(&console.cookie, batch).await.unwrap();
    assert_eq!(shown.accounts.len(), 1);
}

#[tokio::test]
async fn a_spreadsheet_s_headings_are_skipped_and_its_semicolons_read() {
    let console = Console::new().await;
    let text = format!(
        "Username;Password;Password again;First name;Last name\n\
         jdoe;{PW_JDOE};{PW_JDOE};Anna Maria;Berg\n\
         ann;{PW_ANN};{PW_ANN};Ann;\"Lee; Jr\"\n"
    );
    let batch = console.paste(&text, false).await.unwrap();
    let shown = console.added_as(&console.cookie, &batch).await.unwrap();
    assert_eq!(shown.accounts.len(), 2);
    let names: Vec<(String, String)> =
        sqlx::query_as("SELECT first_name, last_name FROM mailboxes ORDER BY email")
            .fetch_all(&console.server.db)
            .await
            .unwrap();
    assert_eq!(
        names,
        [
            ("Ann".to_owned(), "Lee; Jr".to_owned()),
            ("Anna Maria".to_owned(), "Berg".to_owned())
        ]
    );
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM mailboxes WHERE email LIKE 'username%'")
            .await,
        0
    );
}

#[tokio::test]
async fn a_username_repeated_in_the_paste_is_refused() {
    let console = Console::new().await;
    let text = format!("jdoe {PW_JDOE} {PW_JDOE}\nann {PW_ANN} {PW_ANN}\nJDoe {PW_NEW} {PW_NEW}\n");
    let message = invalid(console.paste(&text, false).await);
    assert_eq!(
        message,
        "Line 1, username: Also on line 3.\nLine 3, username: Also on line 1."
    );
    assert_eq!(console.count("SELECT COUNT(*) FROM mailboxes").await, 0);
}

#[tokio::test]
async fn an_address_already_taken_is_refused_and_a_deleted_one_is_free() {
    let console = Console::new().await;
    console.paste("jdoe\nold", true).await.unwrap();
    let text = format!("ann {PW_ANN} {PW_ANN}\njdoe {PW_JDOE} {PW_JDOE}\n");
    let message = invalid(console.paste(&text, false).await);
    assert_eq!(
        message,
        "Line 2, username: jdoe@alpha.test is already an account."
    );
    assert_eq!(console.count("SELECT COUNT(*) FROM mailboxes").await, 2);

    console.delete(&["old@alpha.test"]).await.unwrap();
    console.paste("old", true).await.unwrap();
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM mailboxes WHERE email = 'old@alpha.test'")
            .await,
        2,
        "the deleted account and the new one"
    );
}

#[tokio::test]
async fn empty_oversized_and_very_wrong_pastes_are_refused_whole() {
    let console = Console::new().await;
    for text in ["", "\n\n", "# only a comment\n"] {
        assert_eq!(
            invalid(console.paste(text, true).await),
            "Paste at least one account."
        );
    }
    let many: String = (0..5_001).map(|n| format!("user{n}\n")).collect();
    let message = invalid(console.paste(&many, true).await);
    assert!(message.contains("at most 5,000"), "{message}");
    let broken: String = (0..60)
        .map(|n| format!("user{n} {PW_JDOE} {PW_ANN}\n"))
        .collect();
    let message = invalid(console.paste(&broken, false).await);
    assert_eq!(message.lines().count(), 51, "{message}");
    assert!(message.ends_with("\nand 10 more."), "{message}");
    assert!(!message.contains(PW_JDOE) && !message.contains(PW_ANN));
    assert_eq!(console.count("SELECT COUNT(*) FROM mailboxes").await, 0);
}

#[tokio::test]
async fn the_domain_limit_is_kept() {
    let console = Console::new().await;
    sqlx::query("UPDATE domains SET max_mailboxes = 3 WHERE name = 'alpha.test'")
        .execute(&console.server.db)
        .await
        .unwrap();
    console.paste("one\ntwo", true).await.unwrap();
    let message = invalid(console.paste("three\nfour", true).await);
    assert!(
        message.contains("limited to 3 accounts and has 2: 1 more can be added"),
        "{message}"
    );
    assert_eq!(console.count("SELECT COUNT(*) FROM mailboxes").await, 2);
    console.paste("three", true).await.unwrap();
    let message = invalid(console.add_one("four", ("", ""), PW_NEW, PW_NEW).await);
    assert!(message.contains("limited to 3 accounts"), "{message}");
    // Deleted accounts do not count, but restoring one would go over the limit.
    console.delete(&["one@alpha.test"]).await.unwrap();
    console
        .add_one("four", ("", ""), PW_NEW, PW_NEW)
        .await
        .unwrap();
    let id = console.id_of_deleted("one@alpha.test").await;
    let message = invalid(console.restore(id).await);
    assert!(message.contains("limited to 3 accounts"), "{message}");
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM mailboxes WHERE deleted_at IS NULL")
            .await,
        3
    );
    // No limit at 0.
    sqlx::query("UPDATE domains SET max_mailboxes = 0")
        .execute(&console.server.db)
        .await
        .unwrap();
    console.paste("five\nsix", true).await.unwrap();
}

#[tokio::test]
async fn two_pastes_racing_for_one_address_add_it_once() {
    let console = Console::new().await;
    let other = console.server.log_on(POSTMASTER_A, PASSWORD).await;
    // Several accounts each, so that both lists are being hashed when the first one commits.
    let first = "racer\nalpha1\nalpha2\nalpha3";
    let second = "racer\nbeta1\nbeta2\nbeta3";
    let (a, b) = tokio::join!(
        console.paste_as(&console.cookie, first, true),
        console.paste_as(&other, second, true)
    );
    let lost = match (a, b) {
        (Ok(_), lost @ Err(_)) | (lost @ Err(_), Ok(_)) => lost,
        other => panic!("exactly one must succeed: {other:?}"),
    };
    assert_eq!(
        conflict(lost),
        "racer@alpha.test was added by someone else meanwhile; nothing was added. Check the list and try again."
    );
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM mailboxes WHERE email = 'racer@alpha.test'")
            .await,
        1
    );
    assert_eq!(
        console.count("SELECT COUNT(*) FROM mailboxes").await,
        4,
        "the loser added nothing"
    );
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.add'")
            .await,
        4
    );
}

#[tokio::test]
async fn a_running_paste_tells_its_session_how_far_it_has_got() {
    let console = Console::new().await;
    let other = console.server.log_on(POSTMASTER_A, PASSWORD).await;
    assert_eq!(
        console.progress(&console.cookie).await,
        None,
        "no add runs yet"
    );
    let paste: String = (0..40).map(|n| format!("counted{n}\n")).collect();
    let finished = std::sync::atomic::AtomicBool::new(false);
    let adding = async {
        let added = console.paste(&paste, true).await;
        finished.store(true, std::sync::atomic::Ordering::SeqCst);
        added
    };
    let watching = async {
        let mut seen = Vec::new();
        while !finished.load(std::sync::atomic::Ordering::SeqCst) {
            seen.extend(console.progress(&console.cookie).await);
            assert_eq!(
                console.progress(&other).await,
                None,
                "another session sees nothing of it"
            );
            tokio::time::sleep(std::time::Duration::from_millis(2)).await;
        }
        seen
    };
    let (added, seen) = tokio::join!(adding, watching);
    added.unwrap();
    assert!(!seen.is_empty(), "the count is there while the add runs");
    assert!(
        seen.iter().all(|&(done, total)| total == 40 && done <= 40),
        "{seen:?}"
    );
    assert!(
        seen.windows(2).all(|pair| pair[0].0 <= pair[1].0),
        "it only grows: {seen:?}"
    );
    assert_eq!(
        console.progress(&console.cookie).await,
        None,
        "and is gone once the add ends"
    );
}

#[tokio::test]
async fn add_one_account_can_have_its_password_generated_and_a_quota() {
    let console = Console::new().await;
    let form = [
        ("domain", "alpha.test"),
        ("username", "kim"),
        ("first_name", "Kim"),
        ("last_name", ""),
        ("generate", "on"),
        ("quota_mb", "250"),
    ];
    let batch = batch_of(&console.call(ADD_ACCOUNT, &form).await).unwrap();
    let shown = console.added_as(&console.cookie, &batch).await.unwrap();
    let password = shown.accounts[0]
        .generated_password
        .clone()
        .expect("the generated password is shown on the result screen");
    let groups: Vec<&str> = password.split('-').collect();
    assert_eq!(groups.len(), 4, "{password}");
    let quota: i64 =
        sqlx::query_scalar("SELECT quota_mb FROM mailboxes WHERE email = 'kim@alpha.test'")
            .fetch_one(&console.server.db)
            .await
            .unwrap();
    assert_eq!(quota, 250);

    // Without the box ticked, empty passwords are refused; a bad quota is refused beside it,
    // and nothing is added either way.
    let refused = [
        ("domain", "alpha.test"),
        ("username", "lou"),
        ("first_name", ""),
        ("last_name", ""),
        ("quota_mb", "1.5"),
    ];
    let message = invalid(batch_of(&console.call(ADD_ACCOUNT, &refused).await));
    assert!(message.contains("Password: "), "{message}");
    assert!(message.contains("Quota"), "{message}");
    // Refused with the box ticked, the form comes back with it ticked.
    let ticked = [
        ("domain", "alpha.test"),
        ("username", "lou"),
        ("first_name", ""),
        ("last_name", ""),
        ("generate", "on"),
        ("quota_mb", "1.5"),
    ];
    match outcome::<()>(&console.call(ADD_ACCOUNT, &ticked).await) {
        Err(AppError::Refused(refusal)) => assert_eq!(refusal.typed("generate"), Some("on")),
        other => panic!("{other:?}"),
    }
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM mailboxes WHERE email = 'lou@alpha.test'")
            .await,
        0
    );
}

#[tokio::test]
async fn add_one_account_with_the_same_rules() {
    let console = Console::new().await;
    let batch = console
        .add_one("JDoe", ("John", "Doe"), PW_JDOE, PW_JDOE)
        .await
        .unwrap();
    let shown = console.added_as(&console.cookie, &batch).await.unwrap();
    assert_eq!(shown.accounts.len(), 1);
    assert_eq!(shown.accounts[0].email, "jdoe@alpha.test");
    assert_eq!(
        shown.accounts[0].generated_password, None,
        "a typed password is not shown"
    );
    assert!(verify_password(
        PW_JDOE,
        &console.hash_of("jdoe@alpha.test").await
    ));
    let detail = console.detail("jdoe@alpha.test").await.unwrap();
    assert_eq!(
        (
            detail.username.as_str(),
            detail.first_name.as_str(),
            detail.last_name.as_str()
        ),
        ("jdoe", "John", "Doe")
    );
    assert!(detail.active);
    assert_eq!(
        console.count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.add' AND target = 'jdoe@alpha.test'").await,
        1
    );

    let taken = invalid(
        console
            .add_one("jdoe@alpha.test", ("", ""), PW_ANN, PW_ANN)
            .await,
    );
    assert_eq!(taken, "Username: jdoe@alpha.test is already an account.");
    let differ = invalid(console.add_one("ann", ("", ""), PW_ANN, PW_OTHER).await);
    assert_eq!(differ, "Password again: The two passwords differ.");
    let weak = invalid(
        console
            .add_one("ann", ("Ann", ""), "Ann#12345", "Ann#12345")
            .await,
    );
    assert!(weak.starts_with("Password: "), "{weak}");
    let foreign = invalid(
        console
            .add_one("ann@beta.test", ("", ""), PW_ANN, PW_ANN)
            .await,
    );
    assert!(foreign.contains("@alpha.test"), "{foreign}");
    let long = "x".repeat(65);
    let named = invalid(console.add_one("ann", (&long, ""), PW_ANN, PW_ANN).await);
    assert!(named.starts_with("First name: "), "{named}");
    let missing = invalid(console.add_one("ann", ("", ""), "", "").await);
    assert!(missing.starts_with("Password: "), "{missing}");
    for message in [&taken, &differ, &weak, &foreign, &named, &missing] {
        for secret in [PW_ANN, PW_OTHER, "Ann#12345"] {
            assert!(!message.contains(secret), "{message}");
        }
    }
    assert_eq!(console.count("SELECT COUNT(*) FROM mailboxes").await, 1);
}

#[tokio::test]
async fn an_account_is_shown_and_edited() {
    let console = Console::new().await;
    console
        .add_one("jdoe", ("John", "Doe"), PW_JDOE, PW_JDOE)
        .await
        .unwrap();
    sqlx::query("UPDATE mailboxes SET updated_at = '2020-01-01T00:00:00Z'")
        .execute(&console.server.db)
        .await
        .unwrap();
    console
        .update("JDoe@alpha.test", " Jane ", "Doe-Smith", false)
        .await
        .unwrap();
    let detail = console.detail("jdoe@alpha.test").await.unwrap();
    assert_eq!(
        (
            detail.first_name.as_str(),
            detail.last_name.as_str(),
            detail.active
        ),
        ("Jane", "Doe-Smith", false)
    );
    assert_ne!(detail.updated_at, "2020-01-01T00:00:00Z");
    let details: String = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'mailbox.update' AND target = 'jdoe@alpha.test'",
    )
    .fetch_one(&console.server.db)
    .await
    .unwrap();
    assert_eq!(details, "first name changed; last name changed; active: no");
    console
        .update("jdoe@alpha.test", "Jane", "Doe-Smith", true)
        .await
        .unwrap();
    assert!(console.detail("jdoe@alpha.test").await.unwrap().active);

    let long = "x".repeat(65);
    let message = invalid(console.update("jdoe@alpha.test", &long, "", true).await);
    assert_eq!(
        message,
        "First name: A first name has at most 64 characters."
    );
    let message = invalid(
        console
            .update("jdoe@alpha.test", "Jane", "Doe\u{7}", true)
            .await,
    );
    assert!(message.starts_with("Last name: "), "{message}");
    assert_eq!(
        console.detail("jdoe@alpha.test").await.unwrap().first_name,
        "Jane"
    );

    let missing = not_found(console.detail("nobody@alpha.test").await);
    assert_eq!(missing, "The account nobody@alpha.test");
    not_found(console.update("nobody@alpha.test", "", "", true).await);
}

#[tokio::test]
async fn a_quota_is_set_on_edit_in_whole_mb_and_bad_values_are_refused() {
    let console = Console::new().await;
    console.paste("jdoe", true).await.unwrap();
    let console = &console;
    let edit = |quota: &'static str| {
        let form = [
            ("email", "jdoe@alpha.test"),
            ("first_name", ""),
            ("last_name", ""),
            ("active", "on"),
            ("quota_mb", quota),
        ];
        async move { outcome::<()>(&console.call(UPDATE_ACCOUNT, &form).await) }
    };
    edit(" 250 ").await.unwrap();
    assert_eq!(
        console.detail("jdoe@alpha.test").await.unwrap().quota_mb,
        250
    );
    let details: String = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'mailbox.update' AND target = 'jdoe@alpha.test'",
    )
    .fetch_one(&console.server.db)
    .await
    .unwrap();
    assert_eq!(details, "active: yes; quota: 250 MB");

    for (typed, says) in [
        ("-1", "negative"),
        ("abc", "whole number"),
        ("1.5", "whole number"),
        ("99999999999999999999", "at most 1048576 MB"),
    ] {
        let message = invalid(edit(typed).await);
        assert!(message.contains(says), "{typed:?}: {message}");
    }
    assert_eq!(
        console.detail("jdoe@alpha.test").await.unwrap().quota_mb,
        250
    );
    // A post without the field, or with it empty, keeps the quota.
    console
        .update("jdoe@alpha.test", "", "", true)
        .await
        .unwrap();
    assert_eq!(
        console.detail("jdoe@alpha.test").await.unwrap().quota_mb,
        250
    );
    edit("0").await.unwrap();
    assert_eq!(console.detail("jdoe@alpha.test").await.unwrap().quota_mb, 0);
}

#[tokio::test]
async fn a_paste_sets_every_account_s_quota_or_leaves_the_domain_default() {
    let console = Console::new().await;
    sqlx::query("UPDATE domains SET default_quota_mb = 100 WHERE name = 'alpha.test'")
        .execute(&console.server.db)
        .await
        .unwrap();
    let paste = |text: &'static str, quota: &'static str| {
        let form = [
            ("domain", "alpha.test"),
            ("text", text),
            ("generate", "on"),
            ("quota_mb", quota),
        ];
        let console = &console;
        async move { batch_of(&console.call(ADD_ACCOUNTS, &form).await) }
    };
    paste("ann\nbob", " 250 ").await.unwrap();
    paste("carl", "").await.unwrap();
    paste("dora", "0").await.unwrap();
    for (typed, says) in [
        ("-1", "negative"),
        ("1.5", "whole number"),
        ("lots", "whole number"),
    ] {
        let message = invalid(paste("eve\nfay", typed).await);
        assert!(message.contains(says), "{typed:?}: {message}");
    }
    let quotas: Vec<(String, i64)> =
        sqlx::query_as("SELECT local_part, quota_mb FROM mailboxes ORDER BY local_part")
            .fetch_all(&console.server.db)
            .await
            .unwrap();
    let expected = [("ann", 250), ("bob", 250), ("carl", 100), ("dora", 0)];
    assert_eq!(
        quotas,
        expected.map(|(name, mb)| (name.to_owned(), mb)),
        "a refused quota adds nobody"
    );
}

#[tokio::test]
async fn without_javascript_a_refused_quota_comes_back_with_the_paste() {
    let console = Console::new().await;
    let body = encode(&[
        ("domain", "alpha.test"),
        ("text", "kim Sunny#day42 Sunny#day42"),
        ("quota_mb", "1,5"),
    ]);
    let request = post("/users/add", Some(&console.cookie))
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    let refused = console.server.send(request).await;
    assert_eq!(refused.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.body.contains("kim Sunny#day42 Sunny#day42"),
        "the paste is kept"
    );
    assert!(
        refused.body.contains("value=\"1,5\""),
        "the quota as typed is kept"
    );
    assert!(
        refused.body.contains("A quota is a whole number of MB"),
        "{}",
        refused.body
    );
    assert_eq!(
        console.server.count("SELECT COUNT(*) FROM mailboxes").await,
        0
    );
}

#[tokio::test]
async fn a_quota_is_set_without_javascript_and_a_bad_one_is_explained_on_the_page() {
    let console = Console::new().await;
    console.paste("jdoe", true).await.unwrap();
    let edit_page = "http://console.test/users/edit?email=jdoe%40alpha.test";
    let post_quota = |quota: &'static str| {
        post(UPDATE_ACCOUNT, Some(&console.cookie))
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, edit_page)
            .body(Body::from(encode(&[
                ("email", "jdoe@alpha.test"),
                ("first_name", ""),
                ("last_name", ""),
                ("active", "on"),
                ("quota_mb", quota),
            ])))
            .unwrap()
    };
    let saved = console.server.send(post_quota("300")).await;
    let location = saved.header("location").unwrap().to_owned();
    assert!(location.ends_with("saved=1"), "{location}");
    let page = console.server.get(&location, Some(&console.cookie)).await;
    assert!(
        page.body.contains("id=\"quota_mb\""),
        "the field is on Edit: {} {}",
        page.status,
        page.body
    );
    assert!(page.body.contains("value=\"300\""), "with the saved quota");

    let refused = console.server.send(post_quota("1.5")).await;
    let location = refused.header("location").unwrap().to_owned();
    assert!(location.contains("__err="), "{location}");
    let path = location.trim_start_matches("http://console.test");
    let page = console.server.get(path, Some(&console.cookie)).await;
    assert!(
        page.body.contains("A quota is a whole number of MB"),
        "{}",
        page.body
    );
    assert_eq!(
        console.detail("jdoe@alpha.test").await.unwrap().quota_mb,
        300
    );
}

#[tokio::test]
async fn a_deleted_account_cannot_be_shown_or_edited() {
    let console = Console::new().await;
    console.paste("jdoe", true).await.unwrap();
    console.delete(&["jdoe@alpha.test"]).await.unwrap();
    // Edit says when it was deleted and where to restore it, rather than "not found".
    sqlx::query(
        "UPDATE mailboxes SET deleted_at = '2026-03-04T05:06:07Z' WHERE email = 'jdoe@alpha.test'",
    )
    .execute(&console.server.db)
    .await
    .unwrap();
    let today = "2026-03-04";
    match console.detail("jdoe@alpha.test").await {
        Err(AppError::Deleted(address, on)) => {
            assert_eq!((address.as_str(), on.as_str()), ("jdoe@alpha.test", today));
        }
        other => panic!("expected Deleted, got {other:?}"),
    }
    let edit = console
        .server
        .get("/users/edit?email=jdoe%40alpha.test", Some(&console.cookie))
        .await;
    let said = format!("The account jdoe@alpha.test was deleted on {today}.");
    assert!(edit.body.contains(&said), "{}", edit.body);
    assert!(
        edit.body
            .contains("href=\"/users/deleted?domain=alpha.test\""),
        "{}",
        edit.body
    );
    not_found(console.detail("never@alpha.test").await);
    not_found(console.update("jdoe@alpha.test", "John", "", true).await);
    not_found(
        console
            .set_password("jdoe@alpha.test", PW_NEW, PW_NEW)
            .await,
    );
    let unchanged = console
        .count("SELECT COUNT(*) FROM mailboxes WHERE first_name = '' AND deleted_at IS NOT NULL")
        .await;
    assert_eq!(unchanged, 1);
    assert_eq!(
        console.count("SELECT COUNT(*) FROM audit_log WHERE action IN ('mailbox.update', 'mailbox.passwd')").await,
        0
    );
}

#[tokio::test]
async fn a_password_is_set_when_it_follows_the_rules() {
    let console = Console::new().await;
    console
        .add_one("jdoe", ("John", "Doe"), PW_JDOE, PW_JDOE)
        .await
        .unwrap();
    sqlx::query("UPDATE mailboxes SET password_changed_at = '2020-01-01T00:00:00Z'")
        .execute(&console.server.db)
        .await
        .unwrap();
    let differ = invalid(
        console
            .set_password("jdoe@alpha.test", PW_NEW, PW_OTHER)
            .await,
    );
    assert_eq!(differ, "Password again: The two passwords differ.");
    let weak = invalid(
        console
            .set_password("jdoe@alpha.test", "Jdoe#1234", "Jdoe#1234")
            .await,
    );
    assert!(weak.starts_with("Password: "), "{weak}");
    let named = invalid(
        console
            .set_password("jdoe@alpha.test", "Johnny#42", "Johnny#42")
            .await,
    );
    assert!(named.contains("first name"), "the names count: {named}");
    for message in [&differ, &weak, &named] {
        for secret in [PW_NEW, PW_OTHER, "Jdoe#1234", "Johnny#42"] {
            assert!(!message.contains(secret), "{message}");
        }
    }
    assert!(verify_password(
        PW_JDOE,
        &console.hash_of("jdoe@alpha.test").await
    ));

    console
        .set_password("jdoe@alpha.test", PW_NEW, PW_NEW)
        .await
        .unwrap();
    let hash = console.hash_of("jdoe@alpha.test").await;
    assert!(hash.starts_with("$argon2id$"), "{hash}");
    assert!(verify_password(PW_NEW, &hash));
    assert!(!verify_password(PW_JDOE, &hash));
    let detail = console.detail("jdoe@alpha.test").await.unwrap();
    assert_ne!(detail.password_changed_at, "2020-01-01T00:00:00Z");
    assert_eq!(
        console.count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.passwd' AND target = 'jdoe@alpha.test' AND outcome = 'ok'").await,
        1
    );
    not_found(
        console
            .set_password("nobody@alpha.test", PW_NEW, PW_NEW)
            .await,
    );
    let audit = console.audit_text().await;
    for secret in [PW_JDOE, PW_NEW, PW_OTHER, "Jdoe#1234", "Johnny#42"] {
        assert!(!audit.contains(secret), "a password in the audit log");
    }
}

#[tokio::test]
async fn many_accounts_are_deleted_at_once_and_listed_as_deleted() {
    let console = Console::new().await;
    console.paste("ann\nbob\ncarl", true).await.unwrap();
    console
        .delete(&["ann@alpha.test", "Carl@Alpha.test", "ann@alpha.test"])
        .await
        .unwrap();
    assert_eq!(console.live().await, ["bob@alpha.test"]);
    let deleted = console.deleted().await;
    let listed: Vec<(&str, i64)> = deleted
        .iter()
        .map(|row| (row.email.as_str(), row.days_left))
        .collect();
    // Same second: the newer row first.
    assert_eq!(listed, [("carl@alpha.test", 30), ("ann@alpha.test", 30)]);
    assert_eq!(
        console
            .count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.delete' AND outcome = 'ok'"
            )
            .await,
        2
    );

    // The redirect of a delete names the count for the Users page.
    let reply = console
        .call(
            DELETE_ACCOUNTS,
            &[("domain", "alpha.test"), ("emails", "bob@alpha.test\n")],
        )
        .await;
    assert_eq!(
        reply.header("location"),
        Some("/users?domain=alpha.test&deleted=1")
    );

    let nothing = invalid(console.delete(&[]).await);
    assert_eq!(nothing, "Select at least one account.");
    invalid(console.delete(&["  "]).await);
}

#[tokio::test]
async fn deleting_an_account_that_is_gone_deletes_nothing() {
    let console = Console::new().await;
    console.paste("ann\nbob", true).await.unwrap();
    console.delete(&["ann@alpha.test"]).await.unwrap();
    let message = not_found(console.delete(&["bob@alpha.test", "ann@alpha.test"]).await);
    assert_eq!(message, "The account ann@alpha.test");
    assert_eq!(console.live().await, ["bob@alpha.test"], "bob stays");
    let message = not_found(
        console
            .delete(&["bob@alpha.test", "nobody@alpha.test"])
            .await,
    );
    assert_eq!(message, "The account nobody@alpha.test");
    assert_eq!(console.live().await, ["bob@alpha.test"]);
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.delete'")
            .await,
        1
    );
}

#[tokio::test]
async fn a_deleted_account_is_restored_unless_its_address_was_reused() {
    let console = Console::new().await;
    console
        .add_one("jdoe", ("John", ""), PW_JDOE, PW_JDOE)
        .await
        .unwrap();
    console.paste("ann", true).await.unwrap();
    console
        .delete(&["jdoe@alpha.test", "ann@alpha.test"])
        .await
        .unwrap();

    let id = console.id_of_deleted("jdoe@alpha.test").await;
    let reply = console
        .call(
            RESTORE_ACCOUNT,
            &[("domain", "alpha.test"), ("id", &id.to_string())],
        )
        .await;
    assert_eq!(
        reply.header("location"),
        Some("/users/deleted?domain=alpha.test&restored=jdoe%40alpha.test"),
        "{}",
        reply.body
    );
    assert_eq!(console.live().await, ["jdoe@alpha.test"]);
    let detail = console.detail("jdoe@alpha.test").await.unwrap();
    assert_eq!(detail.first_name, "John");
    assert!(
        verify_password(PW_JDOE, &console.hash_of("jdoe@alpha.test").await),
        "the same account"
    );
    assert_eq!(
        console.count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.restore' AND target = 'jdoe@alpha.test'").await,
        1
    );
    not_found(console.restore(id).await);

    // ann's address is taken again by a new account: the old one cannot come back.
    console.paste("ann", true).await.unwrap();
    let old = console.id_of_deleted("ann@alpha.test").await;
    let message = conflict(console.restore(old).await);
    assert_eq!(
        message,
        "ann@alpha.test is in use by a newer account; delete or rename that one first."
    );
    assert_eq!(
        console.deleted().await.len(),
        1,
        "still in Deleted accounts"
    );
    assert_eq!(
        console.count("SELECT COUNT(*) FROM mailboxes WHERE email = 'ann@alpha.test' AND deleted_at IS NULL").await,
        1
    );
    not_found(console.restore(123_456).await);
}

#[tokio::test]
async fn accounts_deleted_longer_than_the_retention_are_purged() {
    let console = Console::new().await;
    console.paste("old\nrecent\nlive", true).await.unwrap();
    console
        .delete(&["old@alpha.test", "recent@alpha.test"])
        .await
        .unwrap();
    let back = |days: i64, email: &'static str| {
        let db = console.server.db.clone();
        async move {
            sqlx::query(&format!(
                "UPDATE mailboxes SET deleted_at = {} WHERE email = $2",
                Backend::of(&db).seconds_ago("$1")
            ))
            .bind(days * 86_400)
            .bind(email)
            .execute(&db)
            .await
            .unwrap();
        }
    };
    back(31, "old@alpha.test").await;
    back(29, "recent@alpha.test").await;
    let days: Vec<(String, i64)> = console
        .deleted()
        .await
        .into_iter()
        .map(|row| (row.email, row.days_left))
        .collect();
    assert_eq!(
        days,
        [
            ("recent@alpha.test".to_owned(), 1),
            ("old@alpha.test".to_owned(), 0)
        ]
    );

    let purged = purge_expired(&console.server.db, &console.server.store, RETENTION_DAYS)
        .await
        .unwrap();
    assert_eq!(purged, ["old@alpha.test"]);
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM mailboxes WHERE email = 'old@alpha.test'")
            .await,
        0
    );
    assert_eq!(console.count("SELECT COUNT(*) FROM mailboxes").await, 2);
    assert_eq!(
        console.count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.purge' AND actor = 'system' AND target = 'old@alpha.test' AND domain = 'alpha.test'").await,
        1
    );
    assert!(
        purge_expired(&console.server.db, &console.server.store, RETENTION_DAYS)
            .await
            .unwrap()
            .is_empty()
    );
}

#[tokio::test]
async fn the_activity_log_is_newest_first_filtered_and_paged() {
    let console = Console::new().await;
    console
        .add_one("jdoe", ("", ""), PW_JDOE, PW_JDOE)
        .await
        .unwrap();
    console
        .set_password("jdoe@alpha.test", PW_NEW, PW_NEW)
        .await
        .unwrap();
    console.delete(&["jdoe@alpha.test"]).await.unwrap();
    // beta.test's log stays out of alpha.test's.
    let beta = console.server.log_on(POSTMASTER_B, PASSWORD).await;
    console
        .server
        .call(
            ADD_ACCOUNTS,
            &[
                ("domain", "beta.test"),
                ("text", "someone"),
                ("generate", "on"),
            ],
            Some(&beta),
        )
        .await;

    let page = console.activity("", 1).await;
    assert_eq!(page.domain, "alpha.test");
    let actions: Vec<&str> = page.rows.iter().map(|row| row.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "mailbox.delete",
            "mailbox.passwd",
            "mailbox.add",
            "log_on",
            "admin.add",
            "domain.add"
        ]
    );
    assert_eq!(page.rows[0].actor, POSTMASTER_A);
    assert_eq!(page.rows[0].target, "jdoe@alpha.test");
    assert_eq!(page.rows[0].client_addr, "192.0.2.1");
    assert_eq!(page.rows[0].outcome, "ok");
    assert_eq!(
        page.actions,
        [
            "admin.add",
            "domain.add",
            "log_on",
            "mailbox.add",
            "mailbox.delete",
            "mailbox.passwd"
        ]
    );
    assert!(!page.rows.iter().any(|row| row.target.contains("beta.test")));

    let only = console.activity("mailbox.passwd", 1).await;
    assert_eq!(only.rows.len(), 1);
    assert_eq!(only.rows[0].action, "mailbox.passwd");
    assert_eq!(
        only.actions.len(),
        6,
        "the filter still offers every action"
    );

    // 120 more entries: three pages of 50, newest first, and a page past the end shows the last.
    for n in 0..120 {
        sqlx::query(
            "INSERT INTO audit_log (actor, domain, action, target, outcome) VALUES ('cli', 'alpha.test', 'mailbox.update', $1, 'ok')",
        )
        .bind(format!("user{n}@alpha.test"))
        .execute(&console.server.db)
        .await
        .unwrap();
    }
    let first = console.activity("", 1).await;
    assert_eq!((first.page, first.pages, first.rows.len()), (1, 3, 50));
    assert_eq!(first.rows[0].target, "user119@alpha.test");
    let third = console.activity("", 3).await;
    assert_eq!((third.page, third.rows.len()), (3, 26));
    assert_eq!(third.rows.last().unwrap().action, "domain.add");
    assert_eq!(console.activity("", 99).await.page, 3);
    // Pages past the middle are read from the oldest end: together the pages are the log.
    let paged: Vec<(String, String)> = [
        first.rows.clone(),
        console.activity("", 2).await.rows,
        third.rows.clone(),
    ]
    .concat()
    .into_iter()
    .map(|row| (row.action, row.target))
    .collect();
    let log: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, target FROM audit_log WHERE domain = 'alpha.test' ORDER BY id DESC",
    )
    .fetch_all(&console.server.db)
    .await
    .unwrap();
    assert_eq!(paged, log);
    let filtered = console.activity("mailbox.update", 3).await;
    assert_eq!(
        (filtered.page, filtered.pages, filtered.rows.len()),
        (3, 3, 20)
    );
    assert_eq!(filtered.rows.last().unwrap().target, "user0@alpha.test");
    let none = console.activity("mailbox.purge", 1).await;
    assert_eq!((none.page, none.pages, none.rows.len()), (1, 1, 0));
    // The page links to every page by number: the first, the last and those near.
    let html = console
        .server
        .get("/activity?domain=alpha.test&page=2", Some(&console.cookie))
        .await
        .body;
    assert!(
        html.contains("<span aria-current=\"page\" class=\"pager__number\">2<"),
        "{html}"
    );
    for number in [1, 3] {
        let link = app::routes::Activity {
            domain: Some("alpha.test"),
            page: Some(number),
            ..app::routes::Activity::default()
        }
        .href()
        .replace('&', "&amp;");
        assert!(
            html.contains(&format!("<a href=\"{link}\" aria-label=\"Page {number}\"")),
            "{link}: {html}"
        );
    }

    let audit = console.audit_text().await;
    for secret in [PW_JDOE, PW_NEW, PASSWORD] {
        assert!(!audit.contains(secret), "a password in the audit log");
    }

    // The retention sweep takes old entries out of the pages and their action out of the filter.
    sqlx::query("UPDATE audit_log SET at = '2000-01-01T00:00:00Z' WHERE action = 'mailbox.update'")
        .execute(&console.server.db)
        .await
        .unwrap();
    retention::sweep(&console.server.db, &SessionPolicy::default(), 400)
        .await
        .unwrap();
    let swept = console.activity("", 1).await;
    // The third page held the oldest 20 of them and the 6 entries before them.
    assert_eq!((swept.pages, swept.rows.len()), (1, third.rows.len() - 20));
    assert!(!swept
        .actions
        .iter()
        .any(|action| action == "mailbox.update"));
    assert_eq!(console.activity("mailbox.update", 1).await.rows.len(), 0);
}

#[tokio::test]
async fn activity_says_what_happened_in_words_per_account_with_links() {
    let console = Console::new().await;
    for (user, password) in [("jdoe", PW_JDOE), ("ann", PW_ANN)] {
        console
            .add_one(user, ("", ""), password, password)
            .await
            .unwrap();
    }
    console
        .set_password("jdoe@alpha.test", PW_NEW, PW_NEW)
        .await
        .unwrap();
    // By username or by full address, in any case: the same account's entries only.
    for account in ["jdoe", "JDoe@Alpha.test"] {
        let form = [
            ("domain", "alpha.test"),
            ("account", account),
            ("page", "1"),
        ];
        let only: ActivitySlice = outcome(&console.call(LIST_ACTIVITY, &form).await).unwrap();
        let actions: Vec<&str> = only.rows.iter().map(|row| row.action.as_str()).collect();
        assert_eq!(actions, ["mailbox.passwd", "mailbox.add"], "{account}");
    }
    // The page, as a browser without JavaScript gets it.
    let path = app::routes::Activity {
        domain: Some("alpha.test"),
        account: Some("jdoe"),
        ..app::routes::Activity::default()
    }
    .href();
    let page = console.server.get(&path, Some(&console.cookie)).await.body;
    let table = &page[page.find("<table").expect("a table")..];
    for words in ["Password changed", "Account added", "Done"] {
        assert!(table.contains(words), "{words}: {table}");
    }
    for code in [">mailbox.", ">ok<", "ann@alpha.test"] {
        assert!(!table.contains(code), "{code}: {table}");
    }
    let edit = app::routes::EditAccount {
        email: "jdoe@alpha.test",
        ..app::routes::EditAccount::default()
    }
    .href();
    assert!(
        table.contains(&format!(
            "<a href=\"{}\">jdoe@<wbr>alpha.test",
            edit.replace('&', "&amp;")
        )),
        "{table}"
    );
    // The filter offers the actions in words and keeps the account typed.
    assert!(
        page.contains("<option value=\"mailbox.passwd\">Password changed"),
        "{page}"
    );
    assert!(
        page.contains("name=\"account\"") && page.contains("value=\"jdoe\""),
        "{page}"
    );
}

#[tokio::test]
async fn the_list_queries_use_the_indexes() {
    if support::database::skipped_on_postgres("the plan of each query (EXPLAIN QUERY PLAN)") {
        return;
    }
    let console = Console::new().await;
    let cases: [(&str, &[&str], &str); 8] = [
        (
            "SELECT SUM(entries) FROM audit_counts WHERE domain = $1 AND action = $2",
            &["alpha.test", "mailbox.add"],
            "PRIMARY KEY",
        ),
        (
            "SELECT at FROM audit_log WHERE domain = $1 ORDER BY id DESC LIMIT 50",
            &["alpha.test"],
            "audit_log_domain",
        ),
        (
            "SELECT at FROM audit_log WHERE domain = $1 AND action = $2 ORDER BY id DESC LIMIT 50",
            &["alpha.test", "mailbox.add"],
            "audit_log_domain_action",
        ),
        (
            "SELECT at FROM audit_log WHERE domain = $1 AND target = $2 ORDER BY id DESC LIMIT 50",
            &["alpha.test", "jdoe@alpha.test"],
            "audit_log_domain_target",
        ),
        (
            "SELECT action FROM audit_counts WHERE domain = $1 ORDER BY action",
            &["alpha.test"],
            "PRIMARY KEY",
        ),
        (
            "SELECT email FROM mailboxes WHERE deleted_at IS NULL AND email IN (SELECT value FROM json_each($1))",
            &["[\"jdoe@alpha.test\"]"],
            "mailboxes_live_email",
        ),
        (
            "DELETE FROM mailboxes WHERE deleted_at IS NOT NULL
             AND deleted_at < strftime('%Y-%m-%dT%H:%M:%SZ', 'now', $1)",
            &["-30 days"],
            "mailboxes_deleted",
        ),
        (
            "SELECT id, email, first_name, last_name, deleted_at
             FROM mailboxes WHERE domain_id = $1 AND deleted_at IS NOT NULL
             ORDER BY deleted_at DESC, id DESC",
            &["1"],
            "mailboxes_domain_deleted",
        ),
    ];
    for (sql, arguments, index) in cases {
        let explain = format!("EXPLAIN QUERY PLAN {sql}");
        let mut query = sqlx::query_as(&explain);
        for argument in arguments {
            query = match argument.parse::<i64>() {
                Ok(number) => query.bind(number),
                Err(_) => query.bind(*argument),
            };
        }
        let plan: Vec<(i64, i64, i64, String)> = query.fetch_all(&console.server.db).await.unwrap();
        let plan: Vec<String> = plan.into_iter().map(|row| row.3).collect();
        assert!(
            plan.iter().any(|step| step.contains(index)),
            "{sql}: {plan:?}"
        );
        assert!(
            !plan.iter().any(|step| step.contains("TEMP B-TREE")),
            "{sql}: {plan:?}"
        );
    }
}

/// "Add many accounts" posted by a browser without JavaScript, to the page itself.
async fn post_paste_without_javascript(server: &TestServer, cookie: &str, text: &str) -> Reply {
    let body = encode(&[("domain", "alpha.test"), ("text", text)]);
    let request = post("/users/add", Some(cookie))
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    server.send(request).await
}

#[tokio::test]
async fn without_javascript_a_refused_paste_comes_back_in_the_page_not_the_address() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let text = "kim Sunny#day42 Sunny#day42 Kim\nlou abcdefgh abcdefgh";
    let refused = post_paste_without_javascript(&server, &cookie, text).await;
    assert_eq!(refused.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        refused.header("location").is_none(),
        "no redirect, so no address carries the paste"
    );
    assert!(
        refused
            .body
            .contains("kim Sunny#day42 Sunny#day42 Kim\nlou abcdefgh abcdefgh"),
        "the paste is kept: {}",
        refused.body
    );
    let line = &refused.body[refused.body.find(">Line 2<").expect("line 2 in the report")..];
    assert!(
        line.contains("password: "),
        "the reason is on its line: {line}"
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM mailboxes").await,
        0,
        "nothing added"
    );

    let added =
        post_paste_without_javascript(&server, &cookie, "kim Sunny#day42 Sunny#day42 Kim").await;
    assert_eq!(added.status, axum::http::StatusCode::SEE_OTHER);
    assert!(
        added
            .header("location")
            .is_some_and(|to| to.starts_with("/users/added?batch=")),
        "{:?}",
        added.header("location")
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 1);
}

#[tokio::test]
async fn a_line_the_server_refuses_is_marked_in_the_report_and_its_counts() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let first = "kim Sunny#day42 Sunny#day42 Kim";
    post_paste_without_javascript(&server, &cookie, first).await;
    // Both lines pass the rules typed in the browser; only the server knows kim is taken.
    let text = format!("lou Rainy#day42 Rainy#day42 Lou\n{first}");
    let refused = post_paste_without_javascript(&server, &cookie, &text).await;
    assert_eq!(refused.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    let page = refused.body;
    assert!(page.contains("1 ready, 1 need attention"), "{page}");
    let kim = &page[page.find(">Line 2<").expect("line 2 in the report")..];
    let kim = &kim[..kim.find("</li></ul>").unwrap_or(kim.len())];
    assert!(kim.contains("username: "), "{kim}");
    assert!(!kim.contains("aria-label=\"ready\""), "{kim}");
    assert!(
        page.contains("The server refused 1 line: each is marked in the report."),
        "{page}"
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 1);
}

#[tokio::test]
async fn without_a_session_the_paste_is_kept_with_the_reason_and_nothing_is_added() {
    let server = TestServer::new().await;
    let body = encode(&[
        ("domain", "alpha.test"),
        ("text", "kim Sunny#day42 Sunny#day42"),
    ]);
    let request = post("/users/add", None)
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    let reply = server.send(request).await;
    assert_eq!(reply.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    let page = reply.body;
    assert!(
        page.contains(">kim Sunny#day42 Sunny#day42</textarea>"),
        "{page}"
    );
    assert!(
        page.contains(
            "Your session ended while you were preparing this list, so nothing was added."
        ),
        "{page}"
    );
    assert!(page.contains("Log on again in a new tab"), "{page}");
    assert!(
        page.contains("name=\"domain\" value=\"alpha.test\""),
        "{page}"
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 0);
    // Once logged on (in the other tab), the same post adds the list.
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let added =
        post_paste_without_javascript(&server, &cookie, "kim Sunny#day42 Sunny#day42").await;
    assert_eq!(added.status, axum::http::StatusCode::SEE_OTHER);
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 1);
}

/// Adds `count` accounts to alpha.test straight into the database, as an import would.
async fn seed_alpha(server: &TestServer, count: usize) {
    let mut tx = server.db.begin().await.unwrap();
    for n in 0..count {
        let surname = if n % 2 == 0 { "Smith" } else { "Jones" };
        sqlx::query(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, first_name, last_name, maildir)
             SELECT id, $1, $2, 'x', 'Pat', $3, $4 FROM domains WHERE name = 'alpha.test'",
        )
        .bind(format!("user{n:05}"))
        .bind(format!("user{n:05}@alpha.test"))
        .bind(surname)
        .bind(format!("alpha.test/user{n:05}.seed/"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

#[tokio::test]
async fn searching_a_large_domain_counts_pages_and_caps_broad_counts() {
    let server = TestServer::new().await;
    seed_alpha(&server, 10_050).await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    // The page after `after` (the first without), as the Next link asks for it.
    let list = |search: &'static str, page: u32, after: String| {
        let cookie = cookie.clone();
        let server = &server;
        async move {
            let page = page.to_string();
            let reply = server
                .call(
                    LIST_ACCOUNTS,
                    &[
                        ("domain", "alpha.test"),
                        ("search", search),
                        ("page", &page),
                        ("after", &after),
                    ],
                    Some(&cookie),
                )
                .await;
            outcome::<AccountSlice>(&reply).unwrap()
        }
    };
    let all = list("", 1, String::new()).await;
    assert_eq!(
        (all.total, all.more, all.pages, all.rows.len()),
        (10_050, false, 201, 50),
        "no cap without a search"
    );
    assert!(!all.has_previous && all.has_next);
    let first = list("pat", 1, String::new()).await;
    let broad = list("pat", 2, first.rows[49].email.clone()).await;
    assert_eq!(
        (broad.total, broad.more, broad.page),
        (1_000, true, 2),
        "a broad search stops counting"
    );
    assert_eq!(broad.rows[0].email, "user00050@alpha.test");
    let mut beyond = broad;
    while beyond.page < 30 {
        let after = beyond.rows.last().unwrap().email.clone();
        beyond = list("pat", beyond.page + 1, after).await;
    }
    assert_eq!(
        (beyond.page, beyond.pages, beyond.rows[0].email.as_str()),
        (30, 31, "user01450@alpha.test"),
        "paging goes on past the count"
    );
    let smith = list("smith", 1, String::new()).await;
    assert!(smith.rows.iter().all(|row| row.last_name == "Smith"));
    let rare = list("user0042", 1, String::new()).await;
    assert_eq!(
        (rare.total, rare.more, rare.pages, rare.has_next),
        (10, false, 1, false),
        "user00420..user00429"
    );
    let past_the_end = list("user0042", 9, "user00429@alpha.test".into()).await;
    assert_eq!(
        (past_the_end.page, past_the_end.rows.len()),
        (1, 10),
        "a page past the end shows the last one"
    );
    let none = list("nobody-like-this", 1, String::new()).await;
    assert_eq!((none.total, none.rows.len()), (0, 0));
}

/// The operator calls the same add service as the web, with no request around it: the scope
/// comes from the caller, the same rule refuses with the same words, and the audit names the
/// command line.
#[tokio::test]
async fn the_operator_adds_through_the_same_service_as_the_web() {
    let console = TestServer::new().await;
    let scope = DomainScope::of(&console.db, Caller::Operator, Some("Alpha.Test"))
        .await
        .unwrap();
    assert_eq!(scope.domain(), "alpha.test");
    let typed = |again: &str| OneAccount {
        username: "jdoe".into(),
        first_name: "John".into(),
        last_name: "Doe".into(),
        password: PW_JDOE.into(),
        password_again: again.into(),
        ..OneAccount::default()
    };
    let differ = invalid(accounts::add_one(&console.state, &scope, typed(PW_ANN), None).await);
    assert_eq!(differ, "Password again: The two passwords differ.");
    assert_eq!(console.count("SELECT COUNT(*) FROM mailboxes").await, 0);

    let added = accounts::add_one(&console.state, &scope, typed(PW_JDOE), None)
        .await
        .unwrap();
    assert_eq!(added.accounts.len(), 1);
    assert_eq!(added.accounts[0].email, "jdoe@alpha.test");
    assert_eq!(added.accounts[0].generated_password, None);
    let audited = console
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE actor = 'cli' AND client_addr = '' \
             AND action = 'mailbox.add' AND target = 'jdoe@alpha.test'",
        )
        .await;
    assert_eq!(audited, 1);

    let unknown = DomainScope::of(&console.db, Caller::Operator, Some("gamma.test")).await;
    assert_eq!(not_found(unknown), "The domain gamma.test");
}

#[tokio::test]
async fn deleted_accounts_are_paged_newest_first() {
    let server = TestServer::new().await;
    seed_alpha(&server, 120).await;
    let scope = DomainScope::of(&server.db, Caller::Operator, Some("alpha.test"))
        .await
        .unwrap();
    let older: Vec<String> = (0..70).map(|n| format!("user{n:05}@alpha.test")).collect();
    let newer: Vec<String> = (70..120)
        .map(|n| format!("user{n:05}@alpha.test"))
        .collect();
    for batch in [&older, &newer] {
        let batch: Vec<&str> = batch.iter().map(String::as_str).collect();
        accounts::delete(&server.db, &scope, &batch).await.unwrap();
    }
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let page = |number: &'static str| {
        let (server, cookie) = (&server, cookie.clone());
        async move {
            let reply = server
                .call(
                    LIST_DELETED,
                    &[("domain", "alpha.test"), ("page", number)],
                    Some(&cookie),
                )
                .await;
            outcome::<DeletedPage<DeletedRow>>(&reply).unwrap()
        }
    };
    let first = page("1").await;
    assert_eq!((first.page, first.pages, first.rows.len()), (1, 3, 50));
    assert!(
        first.rows.iter().all(|row| newer.contains(&row.email)),
        "the last delete comes first"
    );
    let third = page("3").await;
    assert_eq!((third.page, third.rows.len()), (3, 20));
    assert_eq!(
        page("9").await.page,
        3,
        "a page past the end shows the last"
    );
    let every: Vec<String> = [first.rows, page("2").await.rows, third.rows]
        .concat()
        .into_iter()
        .map(|row| row.email)
        .collect();
    let mut unique = every.clone();
    unique.sort();
    unique.dedup();
    assert_eq!((every.len(), unique.len()), (120, 120), "each once");

    // The screen links to the other pages by number.
    let html = server
        .get("/users/deleted?domain=alpha.test&page=2", Some(&cookie))
        .await
        .body;
    assert!(html.contains("Page 2 of 3"), "{html}");
    let link = app::routes::DeletedAccounts {
        domain: Some("alpha.test"),
        page: Some(3),
        ..Default::default()
    }
    .href()
    .replace('&', "&amp;");
    assert!(html.contains(&format!("href=\"{link}\"")), "{html}");
}
