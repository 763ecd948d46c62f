//! Fuzzing of every server function and page through the real router, signed in as a
//! postmaster: generated form bodies and queries (random keys and values, near-valid values,
//! huge values, bytes that are not UTF-8, wrong methods, content types and origins). Every
//! answer must be an ordinary response: a page, a redirect, a 4xx, or a server function's
//! refusal; never a panic, nor an `Internal` error or a bare 5xx caused by the input. Each case
//! keeps to a time and memory budget, and leaves every row of the other domain as it was (its
//! accounts, aliases, forwarding, catch-all, auto-replies, Activity, administrator, two-factor
//! log-on and sessions). Afterwards the database must still be whole.
//!
//! Two-factor log-on is fuzzed with the postmaster's own state: a case may carry the code the
//! app shows now or one of the recovery codes its enrolment gave, and may come with a pending
//! log-on's cookie instead of the session's, so that turning it on, confirming, turning it off
//! and the code form are each reached with right codes as well as wrong ones.
//!
//! Log-on verifies an Argon2 hash per attempt (about 40 ms), so it is its own target with a
//! two-hundredth of the case count, from random client addresses so the throttle does not
//! answer every attempt alone.

mod support;

#[path = "../../app/tests/support/fuzz.rs"]
mod fuzz;

use std::net::{IpAddr, SocketAddr};

use app::api::account::ChangeOwnPassword;
use app::api::accounts::{
    AddAccount, AddAccounts, AddProgress, AddedAccounts, DeleteAccounts, DeleteMatchingAccounts,
    DismissBatch, GetAccount, LastRebuild, ListAccounts, ListDeleted, ListDomains,
    MatchingAccounts, RebuildAccount, RestoreAccount, SetAccountPassword, UpdateAccount,
};
use app::api::activity::ListActivity;
use app::api::aliases::{
    AddAlias, AddAliases, DeleteAliases, DeleteMatchingAliases, GetAlias, ListAliases,
    ListDeletedAliases, MatchingAliases, RestoreAlias, UpdateAlias,
};
use app::api::auth::{LogOff, LogOn, LogOnCode, SignedIn};
use app::api::autoreply::{GetAutoreply, SetAutoreply};
use app::api::forwarding::{GetCatchAll, GetForwarding, SetCatchAll, SetForwarding};
use app::api::two_factor::{
    CancelTwoFactor, ConfirmTwoFactor, RenewRecoveryCodes, StartTwoFactor, TurnOffTwoFactor,
    TwoFactorStatus,
};
use app::error::AppError;
use app::model::two_factor::{TwoFactorState, TwoFactorView};
use app::ssr::{clock, sessions, two_factor};
use app::validate::parse_username;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request};
use leptos::server_fn::ServerFn;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use std::cell::RefCell;
use std::time::Instant;
use support::budget::Budget;
use support::*;

/// A server function's path and the names of its arguments.
type Endpoint = (&'static str, &'static [&'static str]);

const FUNCTIONS: &[Endpoint] = &[
    (
        ChangeOwnPassword::PATH,
        &["current", "password", "password_again"],
    ),
    (ListActivity::PATH, &["domain", "action", "account", "page"]),
    (SignedIn::PATH, &[]),
    (ListDomains::PATH, &[]),
    (
        ListAccounts::PATH,
        &["domain", "search", "page", "after", "before"],
    ),
    (
        AddAccounts::PATH,
        &["domain", "text", "generate", "quota_mb"],
    ),
    (AddProgress::PATH, &[]),
    (
        AddAccount::PATH,
        &[
            "domain",
            "username",
            "first_name",
            "last_name",
            "password",
            "password_again",
            "generate",
            "quota_mb",
        ],
    ),
    (AddedAccounts::PATH, &["batch"]),
    (DismissBatch::PATH, &["batch"]),
    (GetAccount::PATH, &["email"]),
    (
        UpdateAccount::PATH,
        &["email", "first_name", "last_name", "active"],
    ),
    (
        SetAccountPassword::PATH,
        &["email", "password", "password_again"],
    ),
    (
        DeleteAccounts::PATH,
        &["domain", "emails", "q", "page", "after", "before"],
    ),
    (MatchingAccounts::PATH, &["domain", "search"]),
    (DeleteMatchingAccounts::PATH, &["domain", "search"]),
    (ListDeleted::PATH, &["domain"]),
    (RestoreAccount::PATH, &["domain", "id"]),
    (RebuildAccount::PATH, &["email"]),
    (LastRebuild::PATH, &["email"]),
    (GetForwarding::PATH, &["email"]),
    (SetForwarding::PATH, &["email", "targets", "keep_copy"]),
    (GetCatchAll::PATH, &["domain"]),
    (SetCatchAll::PATH, &["domain", "target"]),
    (GetAutoreply::PATH, &["email"]),
    (
        SetAutoreply::PATH,
        &[
            "email",
            "enabled",
            "subject",
            "text",
            "starts_on",
            "ends_on",
        ],
    ),
    (ListAliases::PATH, &["domain", "search", "page"]),
    (GetAlias::PATH, &["address"]),
    (AddAlias::PATH, &["domain", "name", "targets"]),
    (AddAliases::PATH, &["domain", "text"]),
    (UpdateAlias::PATH, &["address", "targets"]),
    (DeleteAliases::PATH, &["domain", "addresses", "q", "page"]),
    (MatchingAliases::PATH, &["domain", "search"]),
    (DeleteMatchingAliases::PATH, &["domain", "search"]),
    (ListDeletedAliases::PATH, &["domain"]),
    (RestoreAlias::PATH, &["domain", "id"]),
    (TwoFactorStatus::PATH, &[]),
    (StartTwoFactor::PATH, &[]),
    (ConfirmTwoFactor::PATH, &["code"]),
    (TurnOffTwoFactor::PATH, &["current_password", "code"]),
    (CancelTwoFactor::PATH, &[]),
    (RenewRecoveryCodes::PATH, &["renew_password", "renew_code"]),
    (LogOnCode::PATH, &["code", "next"]),
    // The forms that answer a refused paste with the page itself.
    ("/users/add", &["domain", "text", "generate", "quota_mb"]),
    ("/aliases/add", &["domain", "text"]),
];

/// Every page, with the query keys the pages read.
const PAGES: &[Endpoint] = &[
    ("/", &[]),
    (
        "/log-on",
        &[
            "next",
            "error",
            "signed_out",
            "expired",
            "code_expired",
            "codes_used_up",
        ],
    ),
    ("/log-on/code", &["next", "error"]),
    (
        "/users",
        &["domain", "search", "q", "page", "after", "before", "error"],
    ),
    ("/users/add", &["domain", "error"]),
    ("/users/add-one", &["domain", "error"]),
    ("/users/added", &["batch", "error"]),
    (
        "/users/edit",
        &["email", "error", "forwarding", "autoreply"],
    ),
    ("/users/export.csv", &["domain"]),
    ("/users/delete", &["domain", "email", "error"]),
    ("/users/deleted", &["domain", "id", "error"]),
    ("/catch-all", &["domain", "saved", "error"]),
    ("/aliases", &["domain", "q", "page", "deleted", "added"]),
    ("/aliases/add", &["domain", "error"]),
    ("/aliases/edit", &["address", "saved", "error"]),
    ("/aliases/delete", &["domain", "address", "error"]),
    ("/aliases/deleted", &["domain", "restored", "error"]),
    ("/activity", &["domain", "action", "page"]),
    ("/account", &["changed", "error", "two_factor_off"]),
    ("/no-such-page", &["x"]),
];

const LOG_ON_FIELDS: &[&str] = &["email", "password", "next"];

/// Values near what the forms expect: the managed and the other domain, the accounts the fuzz
/// itself may add, numbers at their edges, pastes, links and markup.
const NEAR: &[&str] = &[
    "",
    "alpha.test",
    "ALPHA.TEST",
    "beta.test",
    "gamma.test",
    "postmaster@alpha.test",
    "postmaster@beta.test",
    "u1",
    "u2",
    "u1@alpha.test",
    "U2@Alpha.Test",
    "u1@beta.test",
    "-x",
    "a..b",
    "Tr4in#Lamp",
    "Xk4#pq9!zz",
    "short",
    "John",
    "0",
    "1",
    "2",
    "-1",
    "4294967295",
    "4294967296",
    "99999999999999999999999",
    "on",
    "true",
    "null",
    "[1]",
    "{}",
    "u1 Tr4in#Lamp Tr4in#Lamp",
    "u2\nu3 Tr4in#Lamp Tr4in#Lamp Ana Lee\n",
    "u1,,,John,Doe",
    "u1, u2@alpha.test, u3@beta.test",
    "u1@alpha.test,u2@alpha.test",
    "add",
    "delete",
    "%",
    "%zz",
    "../../etc/passwd",
    "/users",
    "//evil.test/",
    "https://evil.test/",
    "<script>alert(1)</script>",
    "' OR 1=1 --",
    CODE_NOW,
    RECOVERY_CODE,
    "000000",
    "123 456",
    "ABCD-EFGH-JKMN-PQRS",
    "\0",
    "é",
    "😀",
    "\u{202e}",
];

/// Stands for the code postmaster A's app shows now (for the secret being enrolled, or the one
/// in use), filled in as the case is sent.
const CODE_NOW: &str = "{code now}";
/// Stands for one of the recovery codes postmaster A's last enrolment gave, in turn.
const RECOVERY_CODE: &str = "{recovery code}";

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        12 => prop::sample::select(NEAR).prop_map(|v| v.as_bytes().to_vec()),
        4 => any::<String>().prop_map(String::into_bytes),
        2 => prop::collection::vec(any::<u8>(), 0..48),
        1 => (prop::sample::select(NEAR), 1usize..30_000)
            .prop_map(|(v, n)| v.repeat(n).into_bytes()),
    ]
}

/// A value for the field `field`: for a code or the current password, the right one most of
/// the time, so that the steps behind them are reached; any value otherwise.
fn field_value(field: &str) -> BoxedStrategy<Vec<u8>> {
    let right: &[&str] = match field {
        "code" => &[CODE_NOW, RECOVERY_CODE],
        "current" | "current_password" => &[PASSWORD],
        _ => return value().boxed(),
    };
    prop_oneof![
        2 => prop::sample::select(right).prop_map(|v| v.as_bytes().to_vec()),
        1 => value(),
    ]
    .boxed()
}

fn key(fields: &'static [&'static str]) -> BoxedStrategy<Vec<u8>> {
    let other = prop_oneof![
        Just(b"domain".to_vec()),
        "[a-z_\\[\\]]{0,12}".prop_map(String::into_bytes),
        prop::collection::vec(any::<u8>(), 0..12),
    ];
    if fields.is_empty() {
        other.boxed()
    } else {
        prop_oneof![6 => prop::sample::select(fields).prop_map(|f| f.as_bytes().to_vec()), 1 => other]
            .boxed()
    }
}

/// Every field once with a generated value, or any keys at all, then sometimes a few more pairs.
fn pairs(fields: &'static [&'static str]) -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    let complete = fields
        .iter()
        .map(|field| field_value(field))
        .collect::<Vec<_>>()
        .prop_map(move |values| {
            fields
                .iter()
                .map(|f| f.as_bytes().to_vec())
                .zip(values)
                .collect::<Vec<_>>()
        });
    // Mostly none: a field twice makes the whole form fail to read, so extra pairs in every
    // case would leave the steps behind a well-formed form untried.
    let loose = prop_oneof![
        2 => Just(Vec::new()),
        1 => prop::collection::vec((key(fields), value()), 1..8),
    ];
    (prop_oneof![3 => complete, 1 => Just(Vec::new())], loose).prop_map(|(mut first, more)| {
        first.extend(more);
        first
    })
}

/// How a request says where it comes from: as a browser on this site would, or not.
#[derive(Debug, Clone, Copy)]
enum Origin {
    Same,
    None,
    Other,
    FetchSite,
}

/// Whose cookie a case carries in the signed-in target.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Who {
    /// Postmaster A's session.
    Session,
    /// A pending log-on of postmaster A: the password was right, a code is due.
    Pending,
    Nobody,
}

#[derive(Debug, Clone)]
struct Case {
    path: &'static str,
    method: Method,
    /// As a browser without JavaScript posts (redirect back), or as the app calls (JSON back).
    html: bool,
    content_type: &'static str,
    origin: Origin,
    /// The pairs percent-encoded, or their bytes as they are.
    encoded: bool,
    who: Who,
    pairs: Vec<(Vec<u8>, Vec<u8>)>,
}

fn case(endpoints: &'static [Endpoint], post: bool) -> impl Strategy<Value = Case> {
    let method = if post {
        prop_oneof![16 => Just(Method::POST), 1 => Just(Method::GET), 1 => Just(Method::PUT),
            1 => Just(Method::DELETE), 1 => Just(Method::PATCH), 1 => Just(Method::HEAD)]
        .boxed()
    } else {
        prop_oneof![16 => Just(Method::GET), 1 => Just(Method::POST), 1 => Just(Method::OPTIONS),
            1 => Just(Method::HEAD)]
        .boxed()
    };
    let content_type = prop_oneof![
        12 => Just("application/x-www-form-urlencoded"),
        1 => Just("application/json"),
        1 => Just("multipart/form-data; boundary=x"),
        1 => Just("text/plain"),
        1 => Just(""),
    ];
    let origin = prop_oneof![
        12 => Just(Origin::Same),
        1 => Just(Origin::FetchSite),
        1 => Just(Origin::None),
        1 => Just(Origin::Other),
    ];
    let who = prop_oneof![
        12 => Just(Who::Session),
        2 => Just(Who::Pending),
        1 => Just(Who::Nobody),
    ];
    (
        prop::sample::select(endpoints),
        method,
        any::<bool>(),
        content_type,
        origin,
        prop::bool::weighted(0.9),
        who,
    )
        .prop_flat_map(
            |((path, fields), method, html, content_type, origin, encoded, who)| {
                pairs(fields).prop_map(move |pairs| Case {
                    path,
                    method: method.clone(),
                    html,
                    content_type,
                    origin,
                    encoded,
                    who,
                    pairs,
                })
            },
        )
}

fn percent(bytes: &[u8]) -> String {
    bytes
        .iter()
        .map(|&b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

fn form(case: &Case) -> Vec<u8> {
    let mut out = Vec::new();
    for (i, (key, value)) in case.pairs.iter().enumerate() {
        if i > 0 {
            out.push(b'&');
        }
        if case.encoded {
            out.extend(percent(key).into_bytes());
            out.push(b'=');
            out.extend(percent(value).into_bytes());
        } else {
            out.extend(key);
            out.push(b'=');
            out.extend(value);
        }
    }
    out
}

/// The request of `case`; `None` for a URI too long to build, which the HTTP server refuses
/// before the router sees it.
fn request(case: &Case, cookie: Option<&str>, client: IpAddr) -> Option<Request<Body>> {
    let form = form(case);
    let bodyless = matches!(case.method, Method::GET | Method::HEAD | Method::OPTIONS);
    let uri = if bodyless && !form.is_empty() {
        // A query the URI parser refuses goes without one: the router never sees it anyway.
        let query: String = if case.encoded {
            String::from_utf8_lossy(&form).into_owned()
        } else {
            percent(&form)
        };
        format!("{}?{query}", case.path)
    } else {
        case.path.to_owned()
    };
    let mut builder = Request::builder()
        .method(case.method.clone())
        .uri(uri)
        .header(header::HOST, "console.test");
    if case.html {
        builder = builder.header(header::ACCEPT, "text/html");
    }
    if !case.content_type.is_empty() {
        builder = builder.header(header::CONTENT_TYPE, case.content_type);
    }
    builder = match case.origin {
        Origin::Same => builder.header(header::ORIGIN, "http://console.test"),
        Origin::FetchSite => builder.header("sec-fetch-site", "same-origin"),
        Origin::Other => builder.header(header::ORIGIN, "https://evil.test"),
        Origin::None => builder,
    };
    if let Some(cookie) = cookie {
        builder = builder.header(header::COOKIE, cookie);
    }
    let body = if bodyless { Vec::new() } else { form };
    let mut request = builder
        .header(header::CONTENT_LENGTH, body.len())
        .body(Body::from(body))
        .ok()?;
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(client, 40000)));
    Some(request)
}

/// An ordinary answer: anything but a 5xx, or a server function's refusal other than
/// `Internal` (server functions answer every refusal with status 500 and the error as JSON).
fn judge(case: &Case, reply: &Reply) -> Result<(), TestCaseError> {
    if !reply.status.is_server_error() {
        return Ok(());
    }
    match serde_json::from_str::<AppError>(&reply.body) {
        Ok(AppError::Internal) | Err(_) => Err(TestCaseError::fail(format!(
            "{case:?} answered {} {}",
            reply.status,
            reply.body.chars().take(300).collect::<String>()
        ))),
        Ok(_) => Ok(()),
    }
}

fn runner(share: u32) -> TestRunner {
    TestRunner::new(fuzz::config(fuzz::cases(share)))
}

/// SQLite's own checks of the file; PostgreSQL enforces its foreign keys on every write.
async fn assert_whole(server: &TestServer) {
    if support::database::on_postgres() {
        return;
    }
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&server.db)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");
    let broken = sqlx::query("PRAGMA foreign_key_check")
        .fetch_all(&server.db)
        .await
        .unwrap();
    assert!(
        broken.is_empty(),
        "{} rows break a foreign key",
        broken.len()
    );
}

async fn hashes(server: &TestServer) -> Vec<(String, String, i64)> {
    sqlx::query_as("SELECT email, password_hash, active FROM admins ORDER BY email")
        .fetch_all(&server.db)
        .await
        .unwrap()
}

/// What the fuzzer knows of postmaster A: the session it signs its cases with, and what its
/// two-factor enrolments gave, to put right codes into cases.
struct World {
    admin_id: i64,
    cookie: String,
    token_hash: Vec<u8>,
    secret: Option<Vec<u8>>,
    recovery: Vec<String>,
    /// How many recovery codes were filled in: each case takes the next one.
    recovery_used: usize,
}

impl World {
    /// The case with its code markers filled in.
    fn fill(&mut self, mut case: Case) -> Case {
        for (_, value) in &mut case.pairs {
            if value == CODE_NOW.as_bytes() {
                if let Some(secret) = &self.secret {
                    *value =
                        two_factor::code_at(secret, two_factor::step_of(clock::now())).into_bytes();
                }
            } else if value == RECOVERY_CODE.as_bytes() && !self.recovery.is_empty() {
                *value = self.recovery[self.recovery_used % self.recovery.len()]
                    .clone()
                    .into_bytes();
                self.recovery_used += 1;
            }
        }
        case
    }
}

/// Opens a session for postmaster A as a right log-on does, without hashing a password.
async fn open_session(server: &TestServer, admin_id: i64) -> (String, Vec<u8>) {
    let mut tx = server.db.begin().await.unwrap();
    let token = sessions::open_session(&mut tx, admin_id, "192.0.2.1")
        .await
        .unwrap();
    tx.commit().await.unwrap();
    let cookie = format!("{}={token}", server.state.policy.cookie_name());
    (
        cookie,
        app::context::SessionKey::of_token(&token).into_bytes(),
    )
}

/// A pending log-on of postmaster A, as a right password begins one, and its cookie.
async fn pending_cookie(server: &TestServer, admin_id: i64) -> String {
    let mut tx = server.db.begin().await.unwrap();
    let token = two_factor::begin_log_on(&mut tx, admin_id, "192.0.2.1", clock::now())
        .await
        .unwrap();
    tx.commit().await.unwrap();
    format!("{}={token}", server.state.policy.pending_cookie_name())
}

async fn two_factor_status(server: &TestServer, cookie: &str) -> Option<TwoFactorView> {
    let reply = server.call(TwoFactorStatus::PATH, &[], Some(cookie)).await;
    serde_json::from_str(&reply.body).ok()
}

/// Gives beta.test (the domain the fuzzed postmaster does not manage) something of every kind
/// to keep: accounts (one deleted), an alias, forwarding, a catch-all, an auto-reply, Activity,
/// and a postmaster with two-factor log-on on and a session.
async fn fill_other_domain(server: &TestServer) {
    let cookie = server.log_on(POSTMASTER_B, PASSWORD).await;
    let calls: &[(&str, &[(&str, &str)])] = &[
        (
            AddAccounts::PATH,
            &[
                ("domain", "beta.test"),
                (
                    "text",
                    "bob Tr4in#Lamp Tr4in#Lamp\ncarol Tr4in#Lamp Tr4in#Lamp\ndave Tr4in#Lamp Tr4in#Lamp",
                ),
            ],
        ),
        (
            DeleteAccounts::PATH,
            &[("domain", "beta.test"), ("emails", "dave@beta.test")],
        ),
        (
            AddAlias::PATH,
            &[
                ("domain", "beta.test"),
                ("name", "team"),
                ("targets", "bob@beta.test, carol@beta.test"),
            ],
        ),
        (
            SetForwarding::PATH,
            &[
                ("email", "bob@beta.test"),
                ("targets", "bob@example.org"),
                ("keep_copy", "on"),
            ],
        ),
        (
            SetCatchAll::PATH,
            &[("domain", "beta.test"), ("target", "carol@beta.test")],
        ),
        (
            SetAutoreply::PATH,
            &[
                ("email", "carol@beta.test"),
                ("enabled", "on"),
                ("subject", "Away"),
                ("text", "Back on Monday."),
                ("starts_on", ""),
                ("ends_on", ""),
            ],
        ),
        (StartTwoFactor::PATH, &[]),
    ];
    for (path, form) in calls {
        server.call_ok(path, form, &cookie).await;
    }
    let Some(TwoFactorState::Enrolling { secret, .. }) = two_factor_status(server, &cookie)
        .await
        .map(|view| view.state)
    else {
        panic!("beta.test's postmaster did not start enrolment");
    };
    let secret = two_factor::decode_secret(&secret).unwrap();
    let code = two_factor::code_at(&secret, two_factor::step_of(clock::now()));
    server
        .call_ok(ConfirmTwoFactor::PATH, &[("code", &code)], &cookie)
        .await;
}

/// Every row of beta.test and of its postmaster, each value as text, table by table.
async fn other_domain(server: &TestServer) -> Vec<(&'static str, Vec<Vec<String>>)> {
    const DOMAIN: &str = "(SELECT id FROM domains WHERE name = 'beta.test')";
    const ADMIN: &str = "(SELECT id FROM admins WHERE email = 'postmaster@beta.test')";
    let tables = [
        (
            "domain",
            format!("SELECT * FROM domains WHERE id = {DOMAIN}"),
        ),
        (
            "account counts",
            format!("SELECT * FROM domain_account_counts WHERE domain_id = {DOMAIN}"),
        ),
        (
            "accounts",
            format!("SELECT * FROM mailboxes WHERE domain_id = {DOMAIN} ORDER BY id"),
        ),
        (
            "aliases",
            format!("SELECT * FROM aliases WHERE domain_id = {DOMAIN} ORDER BY id"),
        ),
        (
            "auto-replies",
            format!(
                "SELECT a.* FROM autoreplies a JOIN mailboxes m ON m.id = a.mailbox_id \
                 WHERE m.domain_id = {DOMAIN} ORDER BY a.mailbox_id"
            ),
        ),
        (
            "Activity",
            "SELECT * FROM audit_log WHERE domain = 'beta.test' \
             OR actor = 'postmaster@beta.test' ORDER BY id"
                .to_owned(),
        ),
        (
            "administrator",
            format!("SELECT * FROM admins WHERE id = {ADMIN}"),
        ),
        (
            "administrator's domains",
            format!("SELECT * FROM admin_domains WHERE admin_id = {ADMIN} ORDER BY domain_id"),
        ),
        (
            "sessions",
            format!("SELECT * FROM sessions WHERE admin_id = {ADMIN} ORDER BY token_hash"),
        ),
        (
            "two-factor log-on",
            format!("SELECT * FROM admin_two_factor WHERE admin_id = {ADMIN}"),
        ),
        (
            "recovery codes",
            format!("SELECT * FROM recovery_codes WHERE admin_id = {ADMIN} ORDER BY code_hash"),
        ),
        (
            "pending log-ons",
            format!("SELECT * FROM pending_log_ons WHERE admin_id = {ADMIN} ORDER BY token_hash"),
        ),
    ];
    let mut snapshot = Vec::new();
    for (name, sql) in tables {
        let rows = sqlx::query(&sql).fetch_all(&server.db).await.unwrap();
        snapshot.push((name, rows.iter().map(row_text).collect()));
    }
    snapshot
}

/// A row's values as text, whatever their types on either database.
fn row_text(row: &sqlx::any::AnyRow) -> Vec<String> {
    use sqlx::Row;
    (0..row.len())
        .map(|i| {
            if let Ok(value) = row.try_get::<Option<i64>, _>(i) {
                format!("{value:?}")
            } else if let Ok(value) = row.try_get::<Option<String>, _>(i) {
                format!("{value:?}")
            } else if let Ok(value) = row.try_get::<Option<Vec<u8>>, _>(i) {
                format!("{value:?}")
            } else {
                panic!("column {i} has a type this snapshot does not read")
            }
        })
        .collect()
}

#[test]
fn fuzz_server_functions_and_pages() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestServer::new());
    runtime.block_on(fill_other_domain(&server));
    // The other domain as the last case left it: each case is compared with what it found.
    let other = RefCell::new(runtime.block_on(other_domain(&server)));
    let admin_id: i64 = runtime
        .block_on(server.count("SELECT id FROM admins WHERE email = 'postmaster@alpha.test'"));
    let (cookie, token_hash) = runtime.block_on(open_session(&server, admin_id));
    let world = RefCell::new(World {
        admin_id,
        cookie,
        token_hash,
        secret: None,
        recovery: Vec::new(),
        recovery_used: 0,
    });
    let client = IpAddr::from([192, 0, 2, 1]);
    let budget = Budget::default();
    let started = Instant::now();
    let strategy = prop_oneof![case(FUNCTIONS, true), case(PAGES, false)];
    let outcome = runner(1).run(&strategy, |case| {
        let mut world = world.borrow_mut();
        let case = world.fill(case);
        let cookie = match case.who {
            Who::Session => Some(world.cookie.clone()),
            Who::Pending => Some(runtime.block_on(pending_cookie(&server, world.admin_id))),
            Who::Nobody => None,
        };
        let Some(request) = request(&case, cookie.as_deref(), client) else {
            return Ok(());
        };
        let reply = budget
            .run(|| runtime.block_on(server.send(request)))
            .map_err(|over| TestCaseError::fail(format!("{case:?} went {over}")))?;
        judge(&case, &reply)?;
        runtime.block_on(async {
            // Learn what an enrolment gave, as the postmaster reads it on My password.
            if case.who == Who::Session
                && [StartTwoFactor::PATH, ConfirmTwoFactor::PATH].contains(&case.path)
            {
                match two_factor_status(&server, &world.cookie)
                    .await
                    .map(|v| v.state)
                {
                    Some(TwoFactorState::Enrolling { secret, .. }) => {
                        world.secret = two_factor::decode_secret(&secret);
                    }
                    Some(TwoFactorState::On {
                        fresh_codes: Some(codes),
                        ..
                    }) => world.recovery = codes,
                    _ => {}
                }
            }
            // Too many wrong codes on My password end the session: sign in again.
            let alive =
                sqlx::query_scalar::<_, i64>("SELECT count(*) FROM sessions WHERE token_hash = $1")
                    .bind(world.token_hash.clone())
                    .fetch_one(&server.db)
                    .await
                    .unwrap();
            if alive == 0 {
                (world.cookie, world.token_hash) = open_session(&server, world.admin_id).await;
            }
            let after = other_domain(&server).await;
            let before = other.replace(after);
            for ((table, was), (_, is)) in before.iter().zip(other.borrow().iter()) {
                if was != is {
                    return Err(TestCaseError::fail(format!(
                        "{case:?} changed beta.test's {table}: {was:?} became {is:?}"
                    )));
                }
            }
            Ok(())
        })
    });
    budget.report("fuzz_server_functions_and_pages", started.elapsed());
    if let Err(error) = outcome {
        panic!("{error}");
    }
    let cookie = world.into_inner().cookie;
    runtime.block_on(async {
        assert_whole(&server).await;
        // Accounts only with names the rules take.
        let rows: Vec<(String, String)> = sqlx::query_as(
            "SELECT local_part, email FROM mailboxes WHERE domain_id = \
             (SELECT id FROM domains WHERE name = 'alpha.test')",
        )
        .fetch_all(&server.db)
        .await
        .unwrap();
        for (local, email) in rows {
            assert_eq!(parse_username(&local, "alpha.test").as_ref(), Ok(&local));
            assert_eq!(email, format!("{local}@alpha.test"));
        }
        // The session still serves the Users page.
        let page = server.get("/users", Some(&cookie)).await;
        assert!(page.status.is_success(), "{}", page.status);
    });
}

#[test]
fn fuzz_log_on_and_log_off() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestServer::new());
    let before = runtime.block_on(hashes(&server));
    const LOG: &[Endpoint] = &[
        (LogOn::PATH, LOG_ON_FIELDS),
        (LogOnCode::PATH, &["code", "next"]),
        (LogOff::PATH, &[]),
    ];
    let budget = Budget::default();
    let started = Instant::now();
    let strategy = (
        case(LOG, true),
        any::<[u8; 16]>(),
        any::<bool>(),
        any::<bool>(),
    );
    let outcome = runner(200).run(&strategy, |(case, client, v6, cookie)| {
        let client = if v6 {
            IpAddr::from(client)
        } else {
            IpAddr::from([client[0], client[1], client[2], client[3]])
        };
        let cookie = cookie.then_some("vpm_session=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA");
        let Some(request) = request(&case, cookie, client) else {
            return Ok(());
        };
        let reply = budget
            .run(|| runtime.block_on(server.send(request)))
            .map_err(|over| TestCaseError::fail(format!("{case:?} went {over}")))?;
        judge(&case, &reply)
    });
    budget.report("fuzz_log_on_and_log_off", started.elapsed());
    if let Err(error) = outcome {
        panic!("{error}");
    }
    runtime.block_on(async {
        assert_whole(&server).await;
        // Log-on changes no administrator.
        assert_eq!(hashes(&server).await, before);
    });
}

#[tokio::test]
async fn a_form_body_that_is_not_utf8_is_refused_as_incomplete_not_as_a_fault() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let request = post(ChangeOwnPassword::PATH, Some(&cookie))
        .body(Body::from(
            b"current=\x80&password=&password_again=".to_vec(),
        ))
        .unwrap();
    let reply = server.send(request).await;
    assert_eq!(
        serde_json::from_str::<AppError>(&reply.body).unwrap(),
        AppError::Invalid("The form was incomplete. Please fill it in again.".into())
    );
}
