//! Refused forms posted as a browser without JavaScript posts them: the page that answers
//! shows each problem beside its field (`aria-invalid`, and `aria-describedby` naming the
//! message), keeps what was typed except passwords, and nothing was changed.

mod support;

use app::api::account::ChangeOwnPassword;
use app::api::accounts::{AddAccount, SetAccountPassword, UpdateAccount};
use app::api::aliases::{AddAlias, UpdateAlias};
use app::api::autoreply::SetAutoreply;
use app::api::forwarding::{SetCatchAll, SetForwarding};
use axum::body::Body;
use axum::http::{header, StatusCode};
use leptos::server_fn::ServerFn;
use support::*;

const PW: &str = "Tr4in#Lamp";
const OTHER: &str = "Wq7!river";

/// A form of `page` posted to `function` without JavaScript; the page its redirect leads to,
/// and the redirect's address.
async fn post_form(
    server: &TestServer,
    cookie: &str,
    function: &str,
    page: &str,
    form: &[(&str, &str)],
) -> (String, String) {
    let request = post(function, Some(cookie))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, format!("http://console.test{page}"))
        .body(Body::from(encode(form)))
        .unwrap();
    let reply = server.send(request).await;
    assert_eq!(reply.status, StatusCode::FOUND, "{}", reply.body);
    let location = reply.header("location").unwrap().to_owned();
    assert!(location.contains("__err="), "refused: {location}");
    let path = location
        .trim_start_matches("http://console.test")
        .to_owned();
    let shown = server.get(&path, Some(cookie)).await;
    assert_eq!(shown.status, StatusCode::OK, "{}", shown.body);
    (shown.body, location)
}

/// Whether the checkbox called `name` is drawn ticked.
fn ticked(body: &str, name: &str) -> bool {
    let at = body
        .find(&format!(" name=\"{name}\""))
        .unwrap_or_else(|| panic!("no input {name}: {body}"));
    let start = body[..at].rfind('<').unwrap();
    let end = at + body[at..].find('>').unwrap();
    body[start..=end].contains(" checked")
}

/// The text the text area `id` is drawn with.
fn text_of<'a>(body: &'a str, id: &str) -> &'a str {
    let field = tag(body, id);
    let at = body.find(field).unwrap() + field.len();
    &body[at..at + body[at..].find("</textarea>").unwrap()]
}

/// The opening tag of the element with `id` (an input or a text area).
fn tag<'a>(body: &'a str, id: &str) -> &'a str {
    let at = body
        .find(&format!(" id=\"{id}\""))
        .unwrap_or_else(|| panic!("no element {id}: {body}"));
    let start = body[..at].rfind('<').unwrap();
    let end = at + body[at..].find('>').unwrap();
    &body[start..=end]
}

/// The text of the message beside the field `id`, checking that the field points at it.
fn beside<'a>(body: &'a str, id: &str) -> &'a str {
    let field = tag(body, id);
    assert!(field.contains("aria-invalid=\"true\""), "{field}");
    let described = field
        .split("aria-describedby=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
        .unwrap_or_else(|| panic!("{id} is described by nothing: {field}"));
    let message_id = format!("{id}-error");
    assert!(described.split(' ').any(|one| one == message_id), "{field}");
    let message = tag(body, &message_id);
    let at = body.find(message).unwrap() + message.len();
    &body[at..at + body[at..].find('<').unwrap()]
}

/// Whether the field `id` is marked as refused.
fn is_marked(body: &str, id: &str) -> bool {
    tag(body, id).contains("aria-invalid")
}

/// The value the field `id` is drawn with, if any.
fn value<'a>(body: &'a str, id: &str) -> Option<&'a str> {
    let field = tag(body, id);
    field
        .split(" value=\"")
        .nth(1)
        .and_then(|rest| rest.split('"').next())
}

#[tokio::test]
async fn add_one_account_shows_each_problem_beside_its_field_and_keeps_what_was_typed() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let (page, location) = post_form(
        &server,
        &cookie,
        AddAccount::PATH,
        "/users/add-one?domain=alpha.test",
        &[
            ("domain", "alpha.test"),
            ("username", "Ann.Lee"),
            ("first_name", "Ann"),
            ("last_name", "Lee"),
            ("password", PW),
            ("password_again", OTHER),
        ],
    )
    .await;
    assert!(
        !location.contains("Tr4in") && !location.contains("Wq7"),
        "{location}"
    );
    assert_eq!(beside(&page, "password_again"), "The two passwords differ.");
    assert!(!is_marked(&page, "username"), "the username is right");
    assert_eq!(value(&page, "username"), Some("Ann.Lee"));
    assert_eq!(value(&page, "first_name"), Some("Ann"));
    assert_eq!(value(&page, "last_name"), Some("Lee"));
    assert_eq!(
        value(&page, "password"),
        None,
        "a password is never sent back"
    );
    assert_eq!(value(&page, "password_again"), None);
    assert!(!page.contains(PW) && !page.contains(OTHER));
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 0);

    server
        .add_accounts(&cookie, &format!("ann {PW} {PW}"))
        .await;
    let (page, _) = post_form(
        &server,
        &cookie,
        AddAccount::PATH,
        "/users/add-one?domain=alpha.test",
        &[
            ("domain", "alpha.test"),
            ("username", "ann"),
            ("first_name", ""),
            ("last_name", ""),
            ("password", OTHER),
            ("password_again", OTHER),
        ],
    )
    .await;
    assert_eq!(
        beside(&page, "username"),
        "ann@alpha.test is already an account."
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 1);
}

#[tokio::test]
async fn edit_account_refuses_a_name_and_a_password_beside_their_fields() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    server
        .add_accounts(&cookie, &format!("jdoe {PW} {PW} John Doe"))
        .await;
    let edit = "/users/edit?email=jdoe%40alpha.test";
    let long = "L".repeat(65);
    let (page, _) = post_form(
        &server,
        &cookie,
        UpdateAccount::PATH,
        edit,
        &[
            ("email", "jdoe@alpha.test"),
            ("first_name", "Johnny"),
            ("last_name", &long),
            ("active", "on"),
            ("quota_mb", "250"),
        ],
    )
    .await;
    assert_eq!(
        beside(&page, "last_name"),
        "A last name has at most 64 characters."
    );
    assert_eq!(
        value(&page, "first_name"),
        Some("Johnny"),
        "as typed, not as saved"
    );
    assert_eq!(value(&page, "last_name"), Some(long.as_str()));
    assert_eq!(value(&page, "quota_mb"), Some("250"));
    assert!(!is_marked(&page, "password"), "the other form is untouched");
    let names: (String, String) =
        sqlx::query_as("SELECT first_name, last_name FROM mailboxes WHERE local_part = 'jdoe'")
            .fetch_one(&server.db)
            .await
            .unwrap();
    assert_eq!(names, ("John".into(), "Doe".into()));

    let (page, _) = post_form(
        &server,
        &cookie,
        UpdateAccount::PATH,
        edit,
        &[
            ("email", "jdoe@alpha.test"),
            ("first_name", "John"),
            ("last_name", "Doe"),
            ("quota_mb", "1.5"),
        ],
    )
    .await;
    assert!(beside(&page, "quota_mb").contains("whole number"), "{page}");
    assert_eq!(value(&page, "quota_mb"), Some("1.5"));

    let hash = "SELECT password_hash FROM mailboxes WHERE local_part = 'jdoe'";
    let before: String = sqlx::query_scalar(hash)
        .fetch_one(&server.db)
        .await
        .unwrap();
    let (page, _) = post_form(
        &server,
        &cookie,
        SetAccountPassword::PATH,
        edit,
        &[
            ("email", "jdoe@alpha.test"),
            ("password", OTHER),
            ("password_again", PW),
        ],
    )
    .await;
    assert_eq!(beside(&page, "password_again"), "The two passwords differ.");
    assert_eq!(value(&page, "password"), None);
    assert!(!is_marked(&page, "last_name"));
    let (page, _) = post_form(
        &server,
        &cookie,
        SetAccountPassword::PATH,
        edit,
        &[
            ("email", "jdoe@alpha.test"),
            ("password", "Johnny#42"),
            ("password_again", "Johnny#42"),
        ],
    )
    .await;
    assert!(beside(&page, "password").contains("first name"), "{page}");
    let after: String = sqlx::query_scalar(hash)
        .fetch_one(&server.db)
        .await
        .unwrap();
    assert_eq!(before, after, "the password is unchanged");
}

#[tokio::test]
async fn my_password_says_the_same_words_for_passwords_that_differ_and_names_a_wrong_current_one() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let (page, _) = post_form(
        &server,
        &cookie,
        ChangeOwnPassword::PATH,
        "/account",
        &[
            ("current", PASSWORD),
            ("password", PW),
            ("password_again", OTHER),
        ],
    )
    .await;
    assert_eq!(beside(&page, "password_again"), "The two passwords differ.");
    for field in ["current", "password", "password_again"] {
        assert_eq!(value(&page, field), None, "{field} is never sent back");
    }
    let (page, _) = post_form(
        &server,
        &cookie,
        ChangeOwnPassword::PATH,
        "/account",
        &[
            ("current", "Wrong#pass1"),
            ("password", PW),
            ("password_again", PW),
        ],
    )
    .await;
    assert_eq!(beside(&page, "current"), "The current password is wrong.");
    assert!(!is_marked(&page, "password_again"));
    server.log_on(POSTMASTER_A, PASSWORD).await;
}

#[tokio::test]
async fn alias_forms_show_the_targets_problem_beside_the_targets_as_typed() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let (page, _) = post_form(
        &server,
        &cookie,
        AddAlias::PATH,
        "/aliases/add?domain=alpha.test",
        &[
            ("domain", "alpha.test"),
            ("name", "sales"),
            ("targets", "not-an-address"),
        ],
    )
    .await;
    assert!(
        beside(&page, "targets").contains("not a full address"),
        "{page}"
    );
    assert_eq!(value(&page, "alias-name"), Some("sales"));
    assert!(page.contains(">not-an-address</textarea>"), "{page}");
    assert_eq!(server.count("SELECT COUNT(*) FROM aliases").await, 0);

    server
        .call_ok(
            AddAlias::PATH,
            &[
                ("domain", "alpha.test"),
                ("name", "sales"),
                ("targets", "ann@elsewhere.test"),
            ],
            &cookie,
        )
        .await;
    let (page, _) = post_form(
        &server,
        &cookie,
        UpdateAlias::PATH,
        "/aliases/edit?address=sales%40alpha.test",
        &[
            ("address", "sales@alpha.test"),
            ("targets", "bob@elsewhere.test sales@alpha.test"),
        ],
    )
    .await;
    assert_eq!(
        beside(&page, "targets"),
        "sales@alpha.test cannot deliver to itself."
    );
    assert!(
        page.contains(">bob@elsewhere.test sales@alpha.test</textarea>"),
        "{page}"
    );
    let stored: String = sqlx::query_scalar("SELECT targets FROM aliases")
        .fetch_one(&server.db)
        .await
        .unwrap();
    assert_eq!(stored, "ann@elsewhere.test");
}

#[tokio::test]
async fn log_on_stays_one_message_that_names_neither_field() {
    let server = TestServer::new().await;
    let log_on = |email: &'static str| {
        post(LOG_ON, None)
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, "http://console.test/log-on")
            .body(Body::from(encode(&[
                ("email", email),
                ("password", "Wrong#pass1"),
            ])))
            .unwrap()
    };
    for email in [POSTMASTER_A, "nobody@alpha.test"] {
        let reply = server.send(log_on(email)).await;
        let location = reply.header("location").unwrap().to_owned();
        let path = location
            .trim_start_matches("http://console.test")
            .to_owned();
        let page = server.get(&path, None).await.body;
        assert!(page.contains("The address or password is wrong."), "{page}");
        assert!(!page.contains("email-error") && !page.contains("password-error"));
        // The address comes back as typed, the password never; the password, to type in
        // again, has the focus.
        let address = tag(&page, "email");
        assert!(address.contains(&format!("value=\"{email}\"")), "{address}");
        assert!(!address.contains("autofocus"), "{address}");
        assert!(tag(&page, "password").contains("autofocus"), "{page}");
        assert!(
            !page.contains("Wrong#pass1") && !location.contains("Wrong"),
            "{page}"
        );
    }
}

#[tokio::test]
async fn a_refused_auto_reply_comes_back_on_and_as_typed_in_a_short_address() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    server
        .add_accounts(&cookie, &format!("jdoe {PW} {PW} John Doe"))
        .await;
    // The longest text the rules take, in letters an address would carry three bytes each.
    let text = "Zoë is away. ".repeat(300);
    let (page, location) = post_form(
        &server,
        &cookie,
        SetAutoreply::PATH,
        "/users/edit?email=jdoe%40alpha.test",
        &[
            ("email", "jdoe@alpha.test"),
            ("enabled", "on"),
            ("subject", "Away until Monday"),
            ("text", &text),
            ("starts_on", "2026-12-10"),
            ("ends_on", "2026-12-01"),
        ],
    )
    .await;
    assert!(location.len() < 300, "a short address: {location}");
    assert!(!location.contains("Away"), "nothing typed in the address");
    assert!(
        page.contains("The last day (2026-12-01) is before the first day (2026-12-10)"),
        "{page}"
    );
    assert!(ticked(&page, "enabled"), "still to be turned on");
    assert_eq!(value(&page, "subject"), Some("Away until Monday"));
    assert_eq!(text_of(&page, "text"), text);
    assert_eq!(value(&page, "starts_on"), Some("2026-12-10"));
    assert_eq!(value(&page, "ends_on"), Some("2026-12-01"));
    assert_eq!(server.count("SELECT COUNT(*) FROM autoreplies").await, 0);
}

#[tokio::test]
async fn refused_forwarding_and_catch_all_keep_the_targets_typed() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    server
        .add_accounts(&cookie, &format!("jdoe {PW} {PW} John Doe"))
        .await;
    let typed = "boss@elsewhere.test\njdoe@alpha.test";
    let (page, _) = post_form(
        &server,
        &cookie,
        SetForwarding::PATH,
        "/users/edit?email=jdoe%40alpha.test",
        &[("email", "jdoe@alpha.test"), ("targets", typed)],
    )
    .await;
    assert!(page.contains("cannot forward to itself"), "{page}");
    assert_eq!(text_of(&page, "targets"), typed);
    assert!(!ticked(&page, "keep_copy"), "as sent");

    let (page, _) = post_form(
        &server,
        &cookie,
        SetCatchAll::PATH,
        "/catch-all?domain=alpha.test",
        &[("domain", "alpha.test"), ("target", "nobody@")],
    )
    .await;
    assert_eq!(value(&page, "target"), Some("nobody@"));
}

#[tokio::test]
async fn refusals_in_a_row_replace_one_another_and_the_success_before_in_the_address() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    server
        .add_accounts(&cookie, &format!("jdoe {PW} {PW} John Doe"))
        .await;
    let mut shown = "/users/edit?email=jdoe%40alpha.test&saved=1".to_owned();
    let mut first = None;
    for _ in 0..12 {
        let (page, location) = post_form(
            &server,
            &cookie,
            UpdateAccount::PATH,
            &shown,
            &[
                ("email", "jdoe@alpha.test"),
                ("first_name", "John"),
                ("last_name", &"L".repeat(65)),
                ("quota_mb", "250"),
            ],
        )
        .await;
        assert_eq!(location.matches("__err=").count(), 1, "{location}");
        assert!(!location.contains("saved"), "{location}");
        assert!(!page.contains("Saved."), "no success beside the refusal");
        assert!(page.contains("A last name has at most 64 characters."));
        let length = *first.get_or_insert(location.len());
        assert_eq!(location.len(), length, "{location}");
        shown = location
            .trim_start_matches("http://console.test")
            .to_owned();
    }
}
