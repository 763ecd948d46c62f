//! Fuzzing of every server function and page through the real router, signed in as a
//! postmaster: generated form bodies and queries (random keys and values, near-valid values,
//! huge values, bytes that are not UTF-8, wrong methods, content types and origins). Every
//! answer must be an ordinary response: a page, a redirect, a 4xx, or a server function's
//! refusal; never a panic, nor an `Internal` error or a bare 5xx caused by the input. Afterwards
//! the database must still be whole and the postmaster's domain the only one changed.
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
    AddAccount, AddAccounts, AddProgress, AddedAccounts, DeleteAccounts, DismissBatch, GetAccount,
    LastRebuild, ListAccounts, ListDeleted, ListDomains, RebuildAccount, RestoreAccount,
    SetAccountPassword, UpdateAccount,
};
use app::api::activity::ListActivity;
use app::api::aliases::{
    AddAlias, AddAliases, DeleteAliases, GetAlias, ListAliases, ListDeletedAliases, RestoreAlias,
    UpdateAlias,
};
use app::api::auth::{LogOff, LogOn, SignedIn};
use app::api::autoreply::{GetAutoreply, SetAutoreply};
use app::api::forwarding::{GetCatchAll, GetForwarding, SetCatchAll, SetForwarding};
use app::error::AppError;
use app::validate::parse_username;
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::{header, Method, Request};
use leptos::server_fn::ServerFn;
use proptest::prelude::*;
use proptest::test_runner::TestRunner;
use support::*;

/// A server function's path and the names of its arguments.
type Endpoint = (&'static str, &'static [&'static str]);

const FUNCTIONS: &[Endpoint] = &[
    (
        ChangeOwnPassword::PATH,
        &["current", "password", "password_again"],
    ),
    (ListActivity::PATH, &["domain", "action", "page"]),
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
    (DeleteAccounts::PATH, &["domain", "emails"]),
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
    (DeleteAliases::PATH, &["domain", "addresses"]),
    (ListDeletedAliases::PATH, &["domain"]),
    (RestoreAlias::PATH, &["domain", "id"]),
    // The forms that answer a refused paste with the page itself.
    ("/users/add", &["domain", "text", "generate", "quota_mb"]),
    ("/aliases/add", &["domain", "text"]),
];

/// Every page, with the query keys the pages read.
const PAGES: &[Endpoint] = &[
    ("/", &[]),
    ("/log-on", &["next", "error"]),
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
    ("/account", &["changed", "error"]),
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
    "\0",
    "é",
    "😀",
    "\u{202e}",
];

fn value() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        12 => prop::sample::select(NEAR).prop_map(|v| v.as_bytes().to_vec()),
        4 => any::<String>().prop_map(String::into_bytes),
        2 => prop::collection::vec(any::<u8>(), 0..48),
        1 => (prop::sample::select(NEAR), 1usize..30_000)
            .prop_map(|(v, n)| v.repeat(n).into_bytes()),
    ]
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

/// Every field once with a generated value, or any keys at all, then a few more pairs.
fn pairs(fields: &'static [&'static str]) -> impl Strategy<Value = Vec<(Vec<u8>, Vec<u8>)>> {
    let complete = prop::collection::vec(value(), fields.len()).prop_map(move |values| {
        fields
            .iter()
            .map(|f| f.as_bytes().to_vec())
            .zip(values)
            .collect::<Vec<_>>()
    });
    let loose = prop::collection::vec((key(fields), value()), 0..8);
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
    (
        prop::sample::select(endpoints),
        method,
        any::<bool>(),
        content_type,
        origin,
        prop::bool::weighted(0.9),
    )
        .prop_flat_map(
            |((path, fields), method, html, content_type, origin, encoded)| {
                pairs(fields).prop_map(move |pairs| Case {
                    path,
                    method: method.clone(),
                    html,
                    content_type,
                    origin,
                    encoded,
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

#[test]
fn fuzz_server_functions_and_pages() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let server = runtime.block_on(TestServer::new());
    let cookie = runtime.block_on(server.log_on(POSTMASTER_A, PASSWORD));
    let client = IpAddr::from([192, 0, 2, 1]);
    let strategy = prop_oneof![case(FUNCTIONS, true), case(PAGES, false)];
    let outcome = runner(1).run(&strategy, |case| {
        let Some(request) = request(&case, Some(&cookie), client) else {
            return Ok(());
        };
        judge(&case, &runtime.block_on(server.send(request)))
    });
    if let Err(error) = outcome {
        panic!("{error}");
    }
    runtime.block_on(async {
        assert_whole(&server).await;
        // Only the signed-in postmaster's domain changed, and only with accounts the rules take.
        let beta = server
            .count("SELECT count(*) FROM mailboxes JOIN domains d ON d.id = domain_id WHERE d.name <> 'alpha.test'")
            .await;
        assert_eq!(beta, 0, "accounts appeared outside the postmaster's domain");
        let rows: Vec<(String, String)> = sqlx::query_as("SELECT local_part, email FROM mailboxes")
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
    const LOG: &[Endpoint] = &[(LogOn::PATH, LOG_ON_FIELDS), (LogOff::PATH, &[])];
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
        judge(&case, &runtime.block_on(server.send(request)))
    });
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
