//! A form posted twice (a double click, Enter pressed twice) is done once: every post of it,
//! the second arriving while the first runs or after it answered, ends on the page of the one
//! outcome, and the audit log has one entry. The same post after something else was done is
//! done again; a refused post is refused again; another session's post is its own.

mod support;

use app::api::account::ChangeOwnPassword;
use app::api::accounts::{
    AddAccount, DeleteAccounts, DeleteMatchingAccounts, ListDeleted, RebuildAccount,
    RestoreAccount, SetAccountPassword, UpdateAccount,
};
use app::api::aliases::{
    AddAlias, DeleteAliases, DeleteMatchingAliases, ListDeletedAliases, RestoreAlias, UpdateAlias,
};
use app::api::autoreply::SetAutoreply;
use app::api::forwarding::{SetCatchAll, SetForwarding};
use app::api::two_factor::{ConfirmTwoFactor, StartTwoFactor, TurnOffTwoFactor, TwoFactorStatus};
use app::model::accounts::DeletedRow;
use app::model::aliases::DeletedAlias;
use app::model::deleted::DeletedPage;
use app::model::two_factor::{TwoFactorState, TwoFactorView};
use app::routes::{AddAccounts, AddAliases};
use app::ssr::access::two_factor;
use app::ssr::storage::clock::now;
use axum::body::Body;
use axum::http::{header, Request};
use leptos::server_fn::ServerFn;
use support::*;

/// A form post as a browser sends it, without JavaScript or through `navigate.js`.
fn form(path: &str, cookie: &str, fields: &[(&str, &str)]) -> Request<Body> {
    post(path, Some(cookie))
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, "http://console.test/users")
        .body(Body::from(encode(fields)))
        .unwrap()
}

async fn audited(server: &TestServer) -> i64 {
    server.count("SELECT COUNT(*) FROM audit_log").await
}

/// Where `reply` sends the browser; panics unless it is a redirect that is no refusal.
fn done(reply: &Reply, path: &str) -> String {
    assert!(
        reply.status.is_redirection(),
        "{path}: {} {}",
        reply.status,
        reply.body
    );
    let location = reply.header("location").unwrap().to_owned();
    assert!(!location.contains("__err="), "{path} refused: {location}");
    location
}

/// Posts `fields` to `path` twice at once, then a third time after both answered: each ends
/// where the first did, and the audit log gains `entries`. Where they all went.
async fn thrice(
    server: &TestServer,
    cookie: &str,
    path: &str,
    fields: &[(&str, &str)],
    entries: i64,
) -> String {
    let before = audited(server).await;
    let (first, second) = tokio::join!(
        server.send(form(path, cookie, fields)),
        server.send(form(path, cookie, fields))
    );
    let third = server.send(form(path, cookie, fields)).await;
    let location = done(&first, path);
    assert_eq!(done(&second, path), location, "{path}, sent again at once");
    assert_eq!(done(&third, path), location, "{path}, sent again after");
    assert_eq!(audited(server).await - before, entries, "{path}: audited");
    location
}

async fn deleted_account_id(server: &TestServer, cookie: &str) -> String {
    let body = server
        .call_ok(ListDeleted::PATH, &[("domain", "alpha.test")], cookie)
        .await;
    let deleted: DeletedPage<DeletedRow> = serde_json::from_str(&body).unwrap();
    deleted.rows[0].id.to_string()
}

#[tokio::test]
async fn every_form_posted_twice_is_done_once_and_ends_on_its_page() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let live = "SELECT COUNT(*) FROM mailboxes WHERE local_part = 'dbl' AND deleted_at IS NULL";

    let added = thrice(
        &server,
        &cookie,
        AddAccount::PATH,
        &[
            ("domain", "alpha.test"),
            ("username", "dbl"),
            ("first_name", "Dana"),
            ("last_name", "Berg"),
            ("password", "Tr4in#Lamp"),
            ("password_again", "Tr4in#Lamp"),
        ],
        1,
    )
    .await;
    assert!(added.starts_with("/users/added"), "{added}");
    let page = server.get(&added, Some(&cookie)).await;
    assert!(page.body.contains("dbl@alpha.test"), "{}", page.body);
    assert_eq!(server.count(live).await, 1);

    let pasted = thrice(
        &server,
        &cookie,
        AddAccounts::PATH,
        &[
            ("domain", "alpha.test"),
            ("text", "pasted1\npasted2"),
            ("generate", "on"),
        ],
        2,
    )
    .await;
    assert!(pasted.starts_with("/users/added"), "{pasted}");

    let email = "dbl@alpha.test";
    let forms: [(&str, Vec<(&str, &str)>); 6] = [
        (
            UpdateAccount::PATH,
            vec![
                ("email", email),
                ("first_name", "Dana"),
                ("last_name", "Berg-Lund"),
            ],
        ),
        (
            SetAccountPassword::PATH,
            vec![
                ("email", email),
                ("password", "N3w#Harbour"),
                ("password_again", "N3w#Harbour"),
            ],
        ),
        (
            SetForwarding::PATH,
            vec![("email", email), ("targets", "pasted1@alpha.test")],
        ),
        (
            SetAutoreply::PATH,
            vec![
                ("email", email),
                ("enabled", "on"),
                ("subject", "Away"),
                ("text", "Back on Monday."),
                ("starts_on", ""),
                ("ends_on", ""),
            ],
        ),
        (
            SetCatchAll::PATH,
            vec![("domain", "alpha.test"), ("target", email)],
        ),
        (RebuildAccount::PATH, vec![("email", email)]),
    ];
    for (path, fields) in forms {
        thrice(&server, &cookie, path, &fields, 1).await;
    }

    let deleted = thrice(
        &server,
        &cookie,
        DeleteAccounts::PATH,
        &[("domain", "alpha.test"), ("emails", email)],
        1,
    )
    .await;
    assert!(deleted.contains("deleted=1"), "{deleted}");
    assert_eq!(server.count(live).await, 0);
    let id = deleted_account_id(&server, &cookie).await;
    thrice(
        &server,
        &cookie,
        RestoreAccount::PATH,
        &[("domain", "alpha.test"), ("id", &id)],
        1,
    )
    .await;
    assert_eq!(server.count(live).await, 1);

    let alias = "sales@alpha.test";
    thrice(
        &server,
        &cookie,
        AddAlias::PATH,
        &[
            ("domain", "alpha.test"),
            ("name", "sales"),
            ("targets", email),
        ],
        1,
    )
    .await;
    thrice(
        &server,
        &cookie,
        AddAliases::PATH,
        &[("domain", "alpha.test"), ("text", "support dbl@alpha.test")],
        1,
    )
    .await;
    thrice(
        &server,
        &cookie,
        UpdateAlias::PATH,
        &[("address", alias), ("targets", "pasted2@alpha.test")],
        1,
    )
    .await;
    thrice(
        &server,
        &cookie,
        DeleteAliases::PATH,
        &[("domain", "alpha.test"), ("addresses", alias)],
        1,
    )
    .await;
    let body = server
        .call_ok(
            ListDeletedAliases::PATH,
            &[("domain", "alpha.test")],
            &cookie,
        )
        .await;
    let deleted: DeletedPage<DeletedAlias> = serde_json::from_str(&body).unwrap();
    let id = deleted.rows[0].id.to_string();
    thrice(
        &server,
        &cookie,
        RestoreAlias::PATH,
        &[("domain", "alpha.test"), ("id", &id)],
        1,
    )
    .await;

    // Every match of a search: done once, though the second post would find nothing left.
    let search = [("domain", "alpha.test"), ("search", "sales")];
    let deleted = thrice(&server, &cookie, DeleteMatchingAliases::PATH, &search, 1).await;
    assert!(deleted.contains("deleted=1"), "{deleted}");
    let search = [("domain", "alpha.test"), ("search", "dbl")];
    let deleted = thrice(&server, &cookie, DeleteMatchingAccounts::PATH, &search, 1).await;
    assert!(deleted.contains("deleted=1"), "{deleted}");
    assert_eq!(server.count(live).await, 0);
}

#[tokio::test]
async fn own_password_and_two_factor_posted_twice_are_done_once() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let new_password = "Fr3sh#Kettle";
    thrice(
        &server,
        &cookie,
        ChangeOwnPassword::PATH,
        &[
            ("current", PASSWORD),
            ("password", new_password),
            ("password_again", new_password),
        ],
        1,
    )
    .await;

    thrice(&server, &cookie, StartTwoFactor::PATH, &[], 0).await;
    let body = server.call_ok(TwoFactorStatus::PATH, &[], &cookie).await;
    let view: TwoFactorView = serde_json::from_str(&body).unwrap();
    let TwoFactorState::Enrolling { secret, .. } = view.state else {
        panic!("enrolment did not start: {body}");
    };
    let secret = two_factor::decode_secret(&secret).unwrap();
    let code = |steps| two_factor::code_at(&secret, two_factor::step_of(now()) + steps);
    thrice(
        &server,
        &cookie,
        ConfirmTwoFactor::PATH,
        &[("code", &code(-1))],
        1,
    )
    .await;
    thrice(
        &server,
        &cookie,
        TurnOffTwoFactor::PATH,
        &[("current_password", new_password), ("code", &code(0))],
        1,
    )
    .await;
}

#[tokio::test]
async fn the_same_post_after_another_action_is_done_again() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    server
        .add_accounts(&cookie, "gone Tr4in#Lamp Tr4in#Lamp")
        .await;
    let delete = [("domain", "alpha.test"), ("emails", "gone@alpha.test")];
    let live = "SELECT COUNT(*) FROM mailboxes WHERE local_part = 'gone' AND deleted_at IS NULL";
    for _ in 0..2 {
        let reply = server
            .send(form(DeleteAccounts::PATH, &cookie, &delete))
            .await;
        done(&reply, DeleteAccounts::PATH);
        assert_eq!(server.count(live).await, 0);
        server.restore_first_deleted(&cookie).await;
        assert_eq!(server.count(live).await, 1);
    }
    let deletes =
        "SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.delete' AND outcome = 'ok'";
    assert_eq!(server.count(deletes).await, 2);
}

#[tokio::test]
async fn a_refused_post_sent_twice_is_refused_twice_and_sessions_are_apart() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let other = server.log_on(POSTMASTER_A, PASSWORD).await;
    server
        .add_accounts(&cookie, "taken Tr4in#Lamp Tr4in#Lamp")
        .await;
    let again = [
        ("domain", "alpha.test"),
        ("username", "taken"),
        ("first_name", ""),
        ("last_name", ""),
        ("password", "Tr4in#Lamp"),
        ("password_again", "Tr4in#Lamp"),
    ];
    for _ in 0..2 {
        let reply = server.send(form(AddAccount::PATH, &cookie, &again)).await;
        let location = reply.header("location").unwrap_or_default();
        assert!(location.contains("__err="), "{location}");
    }
    // Each session's post is done for it: the second session's delete finds nothing to delete.
    let delete = [("domain", "alpha.test"), ("emails", "taken@alpha.test")];
    let first = server
        .send(form(DeleteAccounts::PATH, &cookie, &delete))
        .await;
    done(&first, DeleteAccounts::PATH);
    let second = server
        .send(form(DeleteAccounts::PATH, &other, &delete))
        .await;
    let location = second.header("location").unwrap_or_default();
    assert!(location.contains("__err="), "{location}");
}
