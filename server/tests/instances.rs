//! Two consoles on one database, as two hosts behind a load balancer: a session opened on one
//! works on the other and ends on both, and the log-on throttle counts both consoles' attempts
//! as one. Run on SQLite and, under `server/tests/with-postgres`, on PostgreSQL.

mod support;

use std::sync::Arc;

use axum::body::Body;
use support::*;

const USERS: &str = "/users?domain=alpha.test";

#[tokio::test]
async fn a_session_opened_on_one_console_works_and_ends_on_the_other() {
    let first = TestServer::new().await;
    let second = first.beside().await;
    let cookie = first.log_on(POSTMASTER_A, PASSWORD).await;
    let page = second.get(USERS, Some(&cookie)).await;
    assert_eq!(page.status, 200, "{}", page.body);
    assert!(page.body.contains("alpha.test"), "{}", page.body);

    let off = second.call(LOG_OFF, &[], Some(&cookie)).await;
    assert!(
        off.status.is_success() || off.status.is_redirection(),
        "{}",
        off.status
    );
    let after = first.get(USERS, Some(&cookie)).await;
    assert!(
        after.status.is_redirection(),
        "logged off everywhere: {}",
        after.status
    );
    assert_eq!(
        after.header("location").map(|l| l.starts_with("/log-on")),
        Some(true)
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_burst_of_wrong_log_ons_across_two_consoles_gets_five_verdicts_as_on_one() {
    let first = Arc::new(TestServer::new().await);
    let second = Arc::new(first.beside().await);
    let mut burst = tokio::task::JoinSet::new();
    for n in 0..40 {
        let console = if n % 2 == 0 {
            first.clone()
        } else {
            second.clone()
        };
        burst.spawn(async move {
            let request = post(LOG_ON, None)
                .body(Body::from(encode(&[
                    ("email", POSTMASTER_A),
                    ("password", "Wrong#pass1"),
                ])))
                .unwrap();
            console.send(request).await
        });
    }
    let (mut wrong, mut throttled) = (0, 0);
    while let Some(reply) = burst.join_next().await {
        let reply = reply.unwrap();
        if reply.body.contains("The address or password is wrong.") {
            wrong += 1;
        } else if reply.body.contains("Throttled") {
            throttled += 1;
        }
    }
    assert_eq!(
        wrong, 5,
        "only five were checked against the hash, whichever console"
    );
    assert_eq!(throttled, 35);
    let verdicts = first
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'log_on' AND outcome = 'failed'")
        .await;
    assert_eq!(verdicts, 5);
}

/// Leptos suppresses every resource's first load, process-wide, while it walks the app for its
/// route list: a page rendering at that moment would wait forever. Starting a console must not
/// walk it again (as tests, and consoles embedded in one process, do).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn pages_render_while_another_console_starts_in_the_process() {
    let console = Arc::new(TestServer::new().await);
    let cookie = console.log_on(POSTMASTER_A, PASSWORD).await;
    let starting = Arc::new(std::sync::atomic::AtomicBool::new(true));
    let starter = std::thread::spawn({
        let (console, starting) = (console.clone(), starting.clone());
        move || {
            while starting.load(std::sync::atomic::Ordering::Relaxed) {
                drop(console.another_router());
            }
        }
    });
    let mut rendered = 0;
    while rendered < 100 {
        let page = tokio::time::timeout(
            std::time::Duration::from_secs(5),
            console.get(USERS, Some(&cookie)),
        )
        .await;
        let Ok(page) = page else { break };
        assert_eq!(page.status, 200, "{}", page.body);
        rendered += 1;
    }
    starting.store(false, std::sync::atomic::Ordering::Relaxed);
    starter.join().unwrap();
    assert_eq!(rendered, 100, "page {} never finished", rendered + 1);
}
