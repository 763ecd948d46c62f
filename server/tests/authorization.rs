//! The authorization matrix: every server function refuses without a session, and a
//! postmaster of one domain can reach nothing of another's. Extend it with every new function.

mod support;

use leptos::server_fn::ServerFn;
use support::*;

/// Functions anyone may call: they open or close a session.
fn is_public(path: &str) -> bool {
    path == LOG_ON || path == LOG_OFF
}

/// Plausible values for every argument of every function, so that each gets past decoding
/// to its authorization; unknown fields are ignored.
const ANY_ARGUMENTS: &[(&str, &str)] = &[
    ("domain", "alpha.test"),
    ("search", ""),
    ("page", "1"),
    ("current", PASSWORD),
    ("password", "New#secret42"),
    ("password_again", "New#secret42"),
];

#[tokio::test]
async fn every_server_function_needs_a_session() {
    let server = TestServer::new().await;
    let paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .filter(|path| !is_public(path))
        .collect();
    assert!(paths.len() >= 4, "the functions are registered: {paths:?}");
    for path in paths {
        let reply = server.call(path, ANY_ARGUMENTS, None).await;
        assert!(
            reply.body.contains("Unauthenticated") || reply.body.contains("Please log on"),
            "{path}: {} {}",
            reply.status,
            reply.body
        );
    }
}

#[tokio::test]
async fn a_postmaster_cannot_reach_another_domain() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let list = app::api::mailboxes::ListMailboxes::PATH;
    let own = server
        .call(
            list,
            &[("domain", "alpha.test"), ("search", ""), ("page", "1")],
            Some(&cookie),
        )
        .await;
    assert!(own.status.is_success(), "{}", own.body);
    let other = server
        .call(
            list,
            &[("domain", "beta.test"), ("search", ""), ("page", "1")],
            Some(&cookie),
        )
        .await;
    assert!(
        other.body.contains("NotFound"),
        "answers as not found: {}",
        other.body
    );
    let refused = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'authorize' AND outcome = 'refused' AND target = 'beta.test' AND actor = 'postmaster@alpha.test'")
        .await;
    assert_eq!(refused, 1, "the attempt is audited");
    let domains = server
        .call(app::api::mailboxes::ListDomains::PATH, &[], Some(&cookie))
        .await;
    assert!(
        domains.body.contains("alpha.test") && !domains.body.contains("beta.test"),
        "{}",
        domains.body
    );
}
