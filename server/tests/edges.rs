//! Inputs at the edges, through the real router: usernames the mail store could not take, the
//! size of a post without JavaScript, page numbers out of range, links that carry an error
//! message, and the result page of an add.

mod support;

use app::api::accounts::{AddAccount, AddAccounts, ListAccounts};
use app::api::activity::ListActivity;
use app::error::AppError;
use app::validate::{Field, FieldProblem, Rule, BULK_MAX_BYTES};
use axum::body::Body;
use axum::http::{header, StatusCode};
use leptos::server_fn::ServerFn;
use support::*;

const PW: &str = "Tr4in#Lamp";

/// The error a server function answered with.
fn refusal(reply: &Reply) -> AppError {
    assert!(
        !reply.status.is_success(),
        "{}: {}",
        reply.status,
        reply.body
    );
    serde_json::from_str(&reply.body).unwrap_or_else(|error| panic!("{error}: {}", reply.body))
}

#[tokio::test]
async fn a_username_starting_with_a_dash_is_refused_on_its_line_and_nothing_is_added() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let text = format!("jane {PW} {PW}\n-jdoe {PW} {PW}\n");
    let reply = server
        .call(
            AddAccounts::PATH,
            &[("domain", "alpha.test"), ("text", &text)],
            Some(&cookie),
        )
        .await;
    let AppError::Refused(paste) = refusal(&reply) else {
        panic!("expected a refusal by field: {}", reply.body)
    };
    let dash = FieldProblem {
        line: Some(2),
        ..FieldProblem::new(
            Field::Username,
            Some(Rule::UsernameDash),
            "A username cannot start with a dash",
        )
    };
    assert_eq!(paste.problems, std::slice::from_ref(&dash));
    assert_eq!(
        paste.to_string(),
        "Line 2, username: A username cannot start with a dash."
    );
    let one = server
        .call(
            AddAccount::PATH,
            &[
                ("domain", "alpha.test"),
                ("username", "-x"),
                ("first_name", ""),
                ("last_name", ""),
                ("password", PW),
                ("password_again", PW),
            ],
            Some(&cookie),
        )
        .await;
    let AppError::Refused(one) = refusal(&one) else {
        panic!("expected a refusal by field: {}", one.body)
    };
    assert_eq!(one.problems, [FieldProblem { line: None, ..dash }]);
    assert_eq!(
        one.beside("username").as_deref(),
        Some("A username cannot start with a dash.")
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 0);
}

/// "Add many accounts" posted without JavaScript, with `text` as the paste, encoded as a
/// browser encodes it.
async fn post_paste(server: &TestServer, cookie: &str, text: &str) -> Reply {
    let body = encode(&[("domain", "alpha.test"), ("text", text)]);
    let request = post("/users/add", Some(cookie))
        .header(header::ACCEPT, "text/html")
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .unwrap();
    server.send(request).await
}

/// A paste of exactly `bytes` bytes: one account, then comment lines of `!`, which a form
/// encodes as three bytes each (`%21`), as it does every non-ASCII byte.
fn paste_of(bytes: usize) -> String {
    let mut text = format!("jane {PW} {PW}\n");
    while text.len() < bytes {
        let room = bytes - text.len();
        let line = "#".to_owned() + &"!".repeat(room.clamp(2, 1000) - 2) + "\n";
        text.push_str(&line[..line.len().min(room)]);
    }
    text
}

#[tokio::test]
async fn without_javascript_a_paste_of_the_documented_size_is_taken_and_a_larger_one_is_too_large()
{
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;

    let largest = paste_of(BULK_MAX_BYTES);
    assert_eq!(largest.len(), BULK_MAX_BYTES);
    assert!(encode(&[("text", &largest)]).len() > 3 * BULK_MAX_BYTES - 100);
    let taken = post_paste(&server, &cookie, &largest).await;
    assert_eq!(taken.status, StatusCode::SEE_OTHER, "{}", taken.body);
    assert!(taken
        .header("location")
        .is_some_and(|to| to.starts_with("/users/added?batch=")));
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 1);

    // One byte more: read whole, and refused by the rule that names the limit.
    let over = post_paste(&server, &cookie, &paste_of(BULK_MAX_BYTES + 1)).await;
    assert_eq!(over.status, StatusCode::UNPROCESSABLE_ENTITY);
    assert!(
        over.body.contains("The list is larger than 1 MiB."),
        "the rule's message"
    );

    // More than any paste the rule takes can encode to: refused unread, as too large.
    let huge = "!".repeat(BULK_MAX_BYTES + BULK_MAX_BYTES / 8);
    let refused = post_paste(&server, &cookie, &huge).await;
    assert_eq!(refused.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(refused.body.contains("too large"), "{}", refused.body);
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 1);
}

#[tokio::test]
async fn out_of_range_page_numbers_give_a_normal_page() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let text = format!("jane {PW} {PW}\n");
    server.add_accounts(&cookie, &text).await;

    for page in [
        "18446744073709551615",
        "4294967295",
        "4294967296",
        "99999999999999999999999999",
        "-1",
        "-18446744073709551616",
        "0",
        "1e9",
        "",
    ] {
        let users = server
            .get(&format!("/users?page={page}"), Some(&cookie))
            .await;
        assert_eq!(users.status, StatusCode::OK, "/users?page={page}");
        assert!(users.body.contains("jane@alpha.test"), "/users?page={page}");
        assert!(users.body.contains("Page 1 of 1"), "/users?page={page}");
        let activity = server
            .get(&format!("/activity?page={page}"), Some(&cookie))
            .await;
        assert_eq!(activity.status, StatusCode::OK, "/activity?page={page}");
        assert!(
            activity.body.contains("Page 1 of 1"),
            "/activity?page={page}"
        );
    }

    // The server functions take any number a client sends.
    for (path, form) in [
        (
            ListAccounts::PATH,
            vec![
                ("domain", "alpha.test"),
                ("search", ""),
                ("page", "4294967295"),
            ],
        ),
        (
            ListAccounts::PATH,
            vec![
                ("domain", "alpha.test"),
                ("search", "jane"),
                ("page", "4294967295"),
            ],
        ),
        (
            ListActivity::PATH,
            vec![("domain", "alpha.test"), ("page", "4294967295")],
        ),
    ] {
        let reply = server.call(path, &form, Some(&cookie)).await;
        assert_eq!(
            reply.status,
            StatusCode::OK,
            "{path} {form:?}: {}",
            reply.body
        );
        let page: serde_json::Value = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(page["page"], 1, "{path} {form:?}");
    }
}

/// The first generated password on a result page, as the HTML has it.
fn shown_password(page: &str) -> Option<&str> {
    let start = page.find("<code class=\"generate__value\">")? + 30;
    let length = page[start..].find("</code>")?;
    Some(&page[start..start + length])
}

#[tokio::test]
async fn the_result_page_shows_its_passwords_again_until_done_or_log_off() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let paste = |text: &'static str| {
        let body = encode(&[("domain", "alpha.test"), ("text", text), ("generate", "on")]);
        post("/users/add", Some(&cookie))
            .header(header::ACCEPT, "text/html")
            .body(Body::from(body))
            .unwrap()
    };
    let added = server.send(paste("jdoe\nann")).await;
    let result = added
        .header("location")
        .expect("the result page")
        .to_owned();

    let first = server.get(&result, Some(&cookie)).await;
    assert_eq!(first.status, StatusCode::OK);
    let password = shown_password(&first.body).expect("a generated password");
    let again = server.get(&result, Some(&cookie)).await;
    assert_eq!(
        shown_password(&again.body),
        Some(password),
        "a reload (or a retry after a failed load) shows the passwords again"
    );

    let elsewhere = server.log_on(POSTMASTER_A, PASSWORD).await;
    let other = server.get(&result, Some(&elsewhere)).await;
    assert_eq!(
        shown_password(&other.body),
        None,
        "never to another session"
    );
    assert!(
        other.body.contains("until you choose Done"),
        "{}",
        other.body
    );

    // Done, without JavaScript: the passwords are forgotten, and Users comes next.
    let batch = result.strip_prefix("/users/added?batch=").unwrap();
    let done = server
        .send(
            post(app::api::accounts::DismissBatch::PATH, Some(&cookie))
                .header(header::ACCEPT, "text/html")
                .header(header::REFERER, format!("http://console.test{result}"))
                .body(Body::from(encode(&[("batch", batch)])))
                .unwrap(),
        )
        .await;
    assert!(done.status.is_redirection(), "{}", done.status);
    assert_eq!(done.header("location"), Some("/users"));
    let gone = server.get(&result, Some(&cookie)).await;
    assert_eq!(shown_password(&gone.body), None);
    assert!(server.batches.is_empty());

    // Log off forgets the session's batches at once.
    server.send(paste("bob")).await;
    assert_eq!(server.batches.len(), 1);
    server.call(LOG_OFF, &[], Some(&cookie)).await;
    assert!(server.batches.is_empty(), "log off wipes what it held");
}

/// An address that says the server function at `path` refused with `error`.
fn with_error(page: &str, path: &str, error: &AppError) -> String {
    use base64::Engine as _;
    let encoded =
        base64::engine::general_purpose::URL_SAFE.encode(serde_json::to_vec(error).unwrap());
    format!(
        "{page}?__path={}&__err={encoded}",
        app::url::encode_query(path)
    )
}

const PHISHING: &str = "Call 555-0100 to verify your account";

#[tokio::test]
async fn a_link_with_a_made_up_error_shows_no_text_of_its_own() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let made_up = [
        AppError::Invalid(PHISHING.into()),
        AppError::Conflict(PHISHING.into()),
        AppError::NotFound(PHISHING.into()),
    ];
    for error in &made_up {
        for (page, path, cookie) in [
            ("/log-on", app::api::auth::LogOn::PATH, None),
            ("/users/add-one", AddAccount::PATH, Some(cookie.as_str())),
            (
                "/account",
                app::api::account::ChangeOwnPassword::PATH,
                Some(cookie.as_str()),
            ),
        ] {
            let reply = server.get(&with_error(page, path, error), cookie).await;
            assert_eq!(reply.status, StatusCode::OK, "{page}");
            assert!(!reply.body.contains("555-0100"), "{page}: {}", reply.body);
            assert!(
                reply.body.contains("That did not work. Please try again."),
                "{page}"
            );
        }
    }
}

#[tokio::test]
async fn a_refusal_sent_without_javascript_is_shown_to_its_session_only() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let form = encode(&[
        ("domain", "alpha.test"),
        ("username", "-x"),
        ("first_name", ""),
        ("last_name", ""),
        ("password", PW),
        ("password_again", PW),
    ]);
    let refused = server
        .send(
            post(AddAccount::PATH, Some(&cookie))
                .header(header::ACCEPT, "text/html")
                .header(header::REFERER, "http://console.test/users/add-one")
                .body(Body::from(form))
                .unwrap(),
        )
        .await;
    assert!(refused.status.is_redirection(), "{}", refused.status);
    let page = refused
        .header("location")
        .expect("back to the form")
        .to_owned();
    let message = "A username cannot start with a dash.";
    let shown = server.get(&page, Some(&cookie)).await;
    assert!(shown.body.contains(message), "{}", shown.body);
    let reloaded = server.get(&page, Some(&cookie)).await;
    assert!(reloaded.body.contains(message), "a reload shows it again");
    let elsewhere = server.log_on(POSTMASTER_A, PASSWORD).await;
    let other = server.get(&page, Some(&elsewhere)).await;
    assert!(!other.body.contains(message), "not to another session");
    assert!(other.body.contains("That did not work. Please try again."));

    // A failed log on has no session: its fixed message is shown on the log-on page.
    let failed = server
        .send(
            post(app::api::auth::LogOn::PATH, None)
                .header(header::ACCEPT, "text/html")
                .header(header::REFERER, "http://console.test/log-on")
                .body(Body::from(encode(&[
                    ("email", POSTMASTER_A),
                    ("password", "wrong password"),
                ])))
                .unwrap(),
        )
        .await;
    let log_on = failed
        .header("location")
        .expect("back to log on")
        .to_owned();
    let page = server.get(&log_on, None).await;
    assert!(
        page.body.contains("The address or password is wrong."),
        "{}",
        page.body
    );
}

/// Adds `username` to `domain` as Add one account does, with `cookie`'s session.
async fn add_one(server: &TestServer, cookie: &str, domain: &str, username: &str) -> Reply {
    let form = [
        ("domain", domain),
        ("username", username),
        ("first_name", ""),
        ("last_name", ""),
        ("password", PW),
        ("password_again", PW),
    ];
    server.call(AddAccount::PATH, &form, Some(cookie)).await
}

/// The batch id an add redirected to.
fn batch_id(reply: &Reply) -> String {
    let location = reply.header("location").unwrap_or_else(|| {
        panic!("no result screen: {} {}", reply.status, reply.body);
    });
    location
        .strip_prefix("/users/added?batch=")
        .unwrap()
        .to_owned()
}

/// Whether `cookie`'s session is still shown the batch `id`.
async fn shown(server: &TestServer, cookie: &str, id: &str) -> bool {
    use app::api::accounts::AddedAccounts;
    let reply = server
        .call(AddedAccounts::PATH, &[("batch", id)], Some(cookie))
        .await;
    reply.status.is_success()
}

#[tokio::test]
async fn a_session_adding_over_and_over_never_takes_another_sessions_result_screen() {
    use app::ssr::storage::batches::{Batches, BATCH_LIFETIME};
    // Two result screens a session, three in all.
    let server = TestServer::with_guard(|config| {
        config.state.batches = Batches::with_limits(BATCH_LIFETIME, 2, 3)
    })
    .await;
    let beta = server.log_on(POSTMASTER_B, PASSWORD).await;
    let theirs = batch_id(&add_one(&server, &beta, "beta.test", "bea").await);
    let alpha = server.log_on(POSTMASTER_A, PASSWORD).await;
    let mut mine = Vec::new();
    for username in ["ann", "bob", "cat"] {
        mine.push(batch_id(
            &add_one(&server, &alpha, "alpha.test", username).await,
        ));
    }
    assert!(
        !shown(&server, &alpha, &mine[0]).await,
        "at its limit, a session gives up its own oldest"
    );
    assert!(shown(&server, &alpha, &mine[2]).await);
    assert!(
        shown(&server, &beta, &theirs).await,
        "the other tenant's screen is still shown"
    );

    // The server is full: a session with no screen of its own to give up is refused before
    // anything is added, rather than taking beta.test's.
    let another = server.log_on(POSTMASTER_A, PASSWORD).await;
    let refused = add_one(&server, &another, "alpha.test", "dan").await;
    assert_eq!(refusal(&refused), AppError::Busy);
    assert!(shown(&server, &beta, &theirs).await);
    let added = server
        .count("SELECT COUNT(*) FROM mailboxes WHERE email = 'dan@alpha.test'")
        .await;
    assert_eq!(added, 0, "nothing was added");
}

#[tokio::test]
async fn the_activity_filter_a_domain_name_and_a_page_address_are_refused_by_their_length() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let activity = |domain: String, action: String| {
        let (server, cookie) = (&server, &cookie);
        async move {
            let form = [
                ("domain", domain.as_str()),
                ("action", action.as_str()),
                ("page", "1"),
            ];
            server.call(ListActivity::PATH, &form, Some(cookie)).await
        }
    };
    let fits = activity("alpha.test".into(), "a".repeat(100)).await;
    assert!(fits.status.is_success(), "{}", fits.body);
    for action in ["a".repeat(101), "é".repeat(10_000)] {
        assert_eq!(
            refusal(&activity("alpha.test".into(), action).await),
            AppError::Invalid("The action to show can have at most 100 characters".into())
        );
    }
    let refusals_before = server
        .count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'refused'")
        .await;
    let long_domain = format!("{}.test", "a".repeat(250));
    assert_eq!(
        refusal(&activity(long_domain, String::new()).await),
        AppError::Invalid("A domain name can have at most 253 characters".into()),
        "refused for its length, not looked up"
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM audit_log WHERE outcome = 'refused'")
            .await,
        refusals_before,
        "and not written to any log"
    );
    // The Users list's page links carry an address: one longer than any is refused too.
    for key in ["after", "before"] {
        let long = format!("{}@alpha.test", "a".repeat(400));
        let form = [
            ("domain", "alpha.test"),
            ("search", ""),
            ("page", "2"),
            (key, long.as_str()),
        ];
        assert_eq!(
            refusal(&server.call(ListAccounts::PATH, &form, Some(&cookie)).await),
            AppError::Invalid("A page's address can have at most 318 characters".into())
        );
    }
}
