//! The throttle on password checks, probed as an attacker would: bursts, hang-ups, many
//! clients, and the postmaster who must still get in.

mod support;

use std::net::{IpAddr, SocketAddr};

use app::ssr::access::sessions::SessionPolicy;
use app::ssr::services::retention;
use app::ssr::storage::audit::Actor;
use app::ssr::storage::clock::now;
use app::ssr::storage::clock::{self, Clock};
use axum::body::Body;
use axum::extract::ConnectInfo;
use axum::http::header;
use support::*;

const WRONG: &str = "Wrong#pass1";

/// A log-on form post from `client`.
fn log_on_from(client: &str, email: &str, password: &str) -> axum::http::Request<Body> {
    let mut request = post(LOG_ON, None)
        .body(Body::from(encode(&[
            ("email", email),
            ("password", password),
        ])))
        .unwrap();
    let ip: IpAddr = client.parse().unwrap();
    request
        .extensions_mut()
        .insert(ConnectInfo(SocketAddr::new(ip, 40000)));
    request
}

fn is_throttled(reply: &Reply) -> bool {
    reply.body.contains("Throttled")
}

fn is_wrong(reply: &Reply) -> bool {
    reply.body.contains("The address or password is wrong.")
}

async fn failed_verdicts(server: &TestServer) -> i64 {
    server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'log_on' AND outcome = 'failed'")
        .await
}

/// Dates every recorded attempt a second from now: the delay is counted in whole seconds from
/// the last attempt, and the test's own hashing must not use it up before the next request.
async fn date_attempts_now(server: &TestServer) {
    sqlx::query("UPDATE log_on_attempts SET at = $1")
        .bind(now() + 1)
        .execute(&server.db)
        .await
        .unwrap();
}

/// Moves every recorded attempt `seconds` into the past.
async fn age_attempts(server: &TestServer, seconds: i64) {
    sqlx::query("UPDATE log_on_attempts SET at = at - $1")
        .bind(seconds)
        .execute(&server.db)
        .await
        .unwrap();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_wrong_log_ons_gets_at_most_five_verdicts() {
    let server = std::sync::Arc::new(TestServer::new().await);
    let mut burst = tokio::task::JoinSet::new();
    for _ in 0..40 {
        let server = server.clone();
        burst.spawn(async move {
            server
                .send(log_on_from("192.0.2.1", POSTMASTER_A, WRONG))
                .await
        });
    }
    let mut wrong = 0;
    let mut throttled = 0;
    while let Some(reply) = burst.join_next().await {
        let reply = reply.unwrap();
        if is_wrong(&reply) {
            wrong += 1;
        } else if is_throttled(&reply) {
            throttled += 1;
        }
    }
    assert_eq!(wrong, 5, "only five were checked against the hash");
    assert_eq!(throttled, 35);
    assert_eq!(failed_verdicts(&server).await, 5);
}

#[tokio::test]
async fn a_client_that_hangs_up_while_its_hash_runs_has_spent_its_attempt() {
    let server = std::sync::Arc::new(TestServer::new().await);
    for n in 1..=5 {
        let request = {
            let server = server.clone();
            tokio::spawn(async move {
                server
                    .send(log_on_from("192.0.2.1", POSTMASTER_A, WRONG))
                    .await
            })
        };
        // Hang up as soon as the attempt is on record, while the hash runs.
        while server.count("SELECT COUNT(*) FROM log_on_attempts").await < n {
            tokio::task::yield_now().await;
        }
        request.abort();
    }
    date_attempts_now(&server).await;
    let after = server
        .send(log_on_from("192.0.2.1", POSTMASTER_A, PASSWORD))
        .await;
    assert!(is_throttled(&after), "{}", after.body);
}

#[tokio::test]
async fn the_postmaster_gets_in_from_a_clean_client_while_someone_guesses() {
    let server = TestServer::new().await;
    for _ in 0..12 {
        server
            .send(log_on_from("203.0.113.66", POSTMASTER_A, WRONG))
            .await;
    }
    assert_eq!(failed_verdicts(&server).await, 5);
    let own_phone = server
        .send(log_on_from("198.51.100.7", POSTMASTER_A, PASSWORD))
        .await;
    assert!(own_phone.session_cookie().is_some(), "{}", own_phone.body);

    // A guesser with many clients: each new one waits for the last, so guesses stay few.
    let first = server
        .send(log_on_from("203.0.113.1", POSTMASTER_A, WRONG))
        .await;
    assert!(is_wrong(&first), "{}", first.body);
    let second = server
        .send(log_on_from("203.0.113.2", POSTMASTER_A, WRONG))
        .await;
    assert!(is_throttled(&second), "{}", second.body);
    let wait: i64 = second.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=10).contains(&wait), "{wait}");
    age_attempts(&server, wait).await;
    let later = server
        .send(log_on_from("203.0.113.2", POSTMASTER_A, PASSWORD))
        .await;
    assert!(later.session_cookie().is_some(), "{}", later.body);
}

#[tokio::test]
async fn past_five_failures_at_an_address_a_client_that_failed_waits() {
    let server = TestServer::new().await;
    for n in 1..=5 {
        let client = format!("192.0.2.{n}");
        let reply = server.send(log_on_from(&client, POSTMASTER_A, WRONG)).await;
        assert!(is_wrong(&reply), "{}", reply.body);
    }
    date_attempts_now(&server).await;
    let again = server
        .send(log_on_from("192.0.2.1", POSTMASTER_A, PASSWORD))
        .await;
    assert!(is_throttled(&again), "{}", again.body);
    let wait: i64 = again.header("retry-after").unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "{wait}");
    age_attempts(&server, wait).await;
    let later = server
        .send(log_on_from("192.0.2.1", POSTMASTER_A, PASSWORD))
        .await;
    assert!(later.session_cookie().is_some(), "{}", later.body);
}

#[tokio::test]
async fn five_wrong_passwords_say_the_wait_in_minutes_on_the_page() {
    let server = TestServer::new().await;
    for _ in 0..5 {
        let reply = server
            .send(log_on_from("192.0.2.1", POSTMASTER_A, WRONG))
            .await;
        assert!(is_wrong(&reply), "{}", reply.body);
    }
    // The sixth, posted by a browser without JavaScript: the page it is sent back to.
    let mut request = log_on_from("192.0.2.1", POSTMASTER_A, PASSWORD);
    let headers = request.headers_mut();
    headers.insert(header::ACCEPT, "text/html".parse().unwrap());
    headers.insert(
        header::REFERER,
        "http://console.test/log-on".parse().unwrap(),
    );
    let reply = server.send(request).await;
    let location = reply.header("location").expect("sent back").to_owned();
    let page = server
        .get(location.trim_start_matches("http://console.test"), None)
        .await
        .body;
    assert!(
        page.contains("Too many attempts. Please wait about 15 minutes and try again."),
        "{page}"
    );
}

#[tokio::test]
async fn ipv6_clients_of_one_64_share_their_limit() {
    let server = TestServer::new().await;
    for n in 1..=5 {
        let client = format!("2001:db8:1:2::{n}");
        let reply = server.send(log_on_from(&client, POSTMASTER_A, WRONG)).await;
        assert!(is_wrong(&reply), "{}", reply.body);
    }
    let same_64 = server
        .send(log_on_from("2001:db8:1:2:aaaa::9", POSTMASTER_A, PASSWORD))
        .await;
    assert!(is_throttled(&same_64), "{}", same_64.body);
    let other_64 = server
        .send(log_on_from("2001:db8:1:3::1", POSTMASTER_A, PASSWORD))
        .await;
    assert!(other_64.session_cookie().is_some(), "{}", other_64.body);
}

#[tokio::test]
async fn throttled_attempts_are_summed_up_not_each_written_to_the_audit_log() {
    let server = TestServer::new().await;
    for _ in 0..35 {
        server
            .send(log_on_from("192.0.2.1", POSTMASTER_A, WRONG))
            .await;
    }
    let refused = "SELECT COUNT(*) FROM audit_log WHERE action = 'log_on' AND outcome = 'refused'";
    assert_eq!(failed_verdicts(&server).await, 5);
    assert_eq!(server.count(refused).await, 1, "one row when it began");
    // When the window has passed, the sweep writes one row for the rest.
    sqlx::query("UPDATE log_on_refusals SET since = since - 901")
        .execute(&server.db)
        .await
        .unwrap();
    age_attempts(&server, 901).await;
    let swept = retention::sweep(&server.db, &SessionPolicy::default(), 400)
        .await
        .unwrap();
    assert_eq!(swept.throttle_summaries, 1);
    let summary: String = sqlx::query_scalar(
        "SELECT details FROM audit_log WHERE action = 'log_on' AND outcome = 'refused'
         ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&server.db)
    .await
    .unwrap();
    assert_eq!(summary, "29 more attempts refused while throttled");
    assert_eq!(
        server.count("SELECT COUNT(*) FROM log_on_attempts").await,
        0
    );
    server.log_on(POSTMASTER_A, PASSWORD).await;
}

#[tokio::test]
async fn text_that_names_no_administrator_is_never_stored() {
    let server = TestServer::new().await;
    let typed_in_the_wrong_field = "Xk4#pq9!zz-my-password";
    for _ in 0..8 {
        server
            .send(log_on_from("192.0.2.1", typed_in_the_wrong_field, WRONG))
            .await;
    }
    let stored: i64 = sqlx::query_scalar(
        "SELECT (SELECT COUNT(*) FROM audit_log WHERE actor || target || details || coalesce(domain, '') LIKE '%my-password%')
              + (SELECT COUNT(*) FROM log_on_attempts WHERE address LIKE '%my-password%')
              + (SELECT COUNT(*) FROM log_on_refusals WHERE address || target LIKE '%my-password%')",
    )
    .fetch_one(&server.db)
    .await
    .unwrap();
    assert_eq!(stored, 0);
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'log_on' AND details = 'no such administrator'")
            .await,
        5,
        "the failures are still on record, without the text"
    );
}

#[tokio::test]
async fn wrong_current_passwords_on_my_password_are_throttled_and_audited() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let change = <app::api::account::ChangeOwnPassword as leptos::server_fn::ServerFn>::PATH;
    let attempt = |current: &'static str| {
        let cookie = cookie.clone();
        let server = &server;
        async move {
            server
                .call(
                    change,
                    &[
                        ("current", current),
                        ("password", "New#secret42"),
                        ("password_again", "New#secret42"),
                    ],
                    Some(&cookie),
                )
                .await
        }
    };
    for _ in 0..5 {
        let reply = attempt(WRONG).await;
        assert!(
            reply.body.contains("The current password is wrong"),
            "{}",
            reply.body
        );
    }
    let sixth = attempt(PASSWORD).await;
    assert!(is_throttled(&sixth), "{}", sixth.body);
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'admin.passwd' AND outcome = 'refused'")
            .await,
        6,
        "five wrong passwords and the start of the throttle"
    );
    assert_eq!(
        server
            .count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'admin.passwd' AND outcome = 'ok'"
            )
            .await,
        0
    );
}

#[tokio::test]
async fn the_sweep_forgets_expired_sessions_and_old_audit_rows() {
    let server = TestServer::new().await;
    let live = server.log_on(POSTMASTER_A, PASSWORD).await;
    server.log_on(POSTMASTER_B, PASSWORD).await;
    sqlx::query(
        "UPDATE sessions SET last_seen = last_seen - 31 * 60
         WHERE admin_id = (SELECT id FROM admins WHERE email = $1)",
    )
    .bind(POSTMASTER_B)
    .execute(&server.db)
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, outcome) VALUES
         ('2020-01-01T00:00:00Z', 'cli', 'domain.add', 'ok')",
    )
    .execute(&server.db)
    .await
    .unwrap();
    let before = server.count("SELECT COUNT(*) FROM audit_log").await;
    let swept = retention::sweep(&server.db, &SessionPolicy::default(), 400)
        .await
        .unwrap();
    assert_eq!((swept.sessions, swept.audit_rows), (1, 1));
    assert_eq!(
        server.count("SELECT COUNT(*) FROM audit_log").await,
        before - 1
    );
    assert_eq!(
        server.get("/users", Some(&live)).await.status,
        axum::http::StatusCode::OK,
        "a live session goes on"
    );
}

#[tokio::test]
async fn old_audit_rows_stay_while_the_clock_is_held() {
    let server = TestServer::new().await;
    sqlx::query(
        "INSERT INTO audit_log (at, actor, action, outcome) VALUES
         ('2020-01-01T00:00:00Z', 'cli', 'domain.add', 'ok')",
    )
    .execute(&server.db)
    .await
    .unwrap();
    let policy = SessionPolicy::default();
    assert_eq!(
        clock::check(&server.db, now()).await.unwrap(),
        Clock::Trusted
    );
    // The clock now reads two days later than the last time seen.
    let ahead = now() + 2 * 86_400;
    assert_eq!(
        clock::check(&server.db, ahead).await.unwrap(),
        Clock::Held {
            ahead_secs: 2 * 86_400
        }
    );
    let swept = retention::sweep(&server.db, &policy, 400).await.unwrap();
    assert_eq!(swept.audit_rows, 0, "nothing removed while held");
    clock::confirm(&server.db, Actor::CLI, now()).await.unwrap();
    let swept = retention::sweep(&server.db, &policy, 400).await.unwrap();
    assert_eq!(
        swept.audit_rows, 1,
        "removed once the operator confirmed the clock"
    );
}

/// Whether a server function answered that the server is busy.
fn is_busy(reply: &Reply) -> bool {
    reply.body.contains("Busy")
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_postmaster_flooding_password_changes_and_adds_leaves_other_tenants_their_log_on() {
    use app::api::accounts::{AddAccount, SetAccountPassword};
    use app::ssr::storage::hashing::Hasher;
    use leptos::server_fn::ServerFn;
    use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
    use std::sync::Arc;

    // One hash at a time, six waiting at most, two of them one administrator's.
    let server = Arc::new(
        TestServer::with_guard(|config| config.state.hasher = Hasher::with_limits(1, 6, 2)).await,
    );
    let flooder = server.log_on(POSTMASTER_A, PASSWORD).await;
    server
        .add_accounts(&flooder, "jdoe Abcd#1234 Abcd#1234")
        .await;
    let stop = Arc::new(AtomicBool::new(false));
    let busy = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(AtomicUsize::new(0));
    let mut flood = tokio::task::JoinSet::new();
    for worker in 0..24 {
        let (server, flooder) = (server.clone(), flooder.clone());
        let (stop, busy, done) = (stop.clone(), busy.clone(), done.clone());
        flood.spawn(async move {
            let mut n = 0;
            while !stop.load(Ordering::SeqCst) {
                n += 1;
                let username = format!("u{worker}x{n}");
                let reply = if worker % 2 == 0 {
                    let form = [
                        ("email", "jdoe@alpha.test"),
                        ("password", "Efgh#5678"),
                        ("password_again", "Efgh#5678"),
                    ];
                    server
                        .call(SetAccountPassword::PATH, &form, Some(&flooder))
                        .await
                } else {
                    let form = [
                        ("domain", "alpha.test"),
                        ("username", username.as_str()),
                        ("first_name", ""),
                        ("last_name", ""),
                        ("password", "Efgh#5678"),
                        ("password_again", "Efgh#5678"),
                    ];
                    server.call(AddAccount::PATH, &form, Some(&flooder)).await
                };
                if is_busy(&reply) {
                    busy.fetch_add(1, Ordering::SeqCst);
                } else if reply.status.is_success() || reply.status.is_redirection() {
                    done.fetch_add(1, Ordering::SeqCst);
                }
            }
        });
    }
    // The flood is at its full height once the server has turned some of it away.
    while busy.load(Ordering::SeqCst) < 24 {
        tokio::task::yield_now().await;
    }
    let log_on = server
        .call(
            LOG_ON,
            &[("email", POSTMASTER_B), ("password", PASSWORD)],
            None,
        )
        .await;
    stop.store(true, Ordering::SeqCst);
    while flood.join_next().await.is_some() {}
    assert!(
        log_on.session_cookie().is_some(),
        "beta.test's postmaster logs on during alpha.test's flood: {} {}",
        log_on.status,
        log_on.body
    );
    assert!(
        done.load(Ordering::SeqCst) > 0,
        "the flooding postmaster's own changes go on within their share"
    );
}
