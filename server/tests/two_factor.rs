//! Two-factor log-on through its services: enrolment, the second step after the password,
//! codes that must not work twice, the throttle on a burst of wrong codes, and the operator's
//! reset. Codes are computed from the secret shown at enrolment, as an authenticator app does.

mod support;

use app::error::AppError;
use app::ssr::auth::{self, now, Admin, SessionPolicy};
use app::ssr::two_factor::{self, SecretKey, WRONG_CODE};
use support::*;

const CLIENT: &str = "192.0.2.7";

struct Enrolled {
    server: TestServer,
    key: SecretKey,
    admin: Admin,
    secret: Vec<u8>,
    /// The secret as shown for manual entry.
    shown: String,
    recovery: Vec<String>,
}

fn key_of(server: &TestServer) -> SecretKey {
    SecretKey::load_or_create(&server.data_dir.join("two-factor.key")).unwrap()
}

async fn admin_a(server: &TestServer) -> Admin {
    let id = sqlx::query_scalar("SELECT id FROM admins WHERE email = $1")
        .bind(POSTMASTER_A)
        .fetch_one(&server.db)
        .await
        .unwrap();
    Admin {
        id,
        email: POSTMASTER_A.into(),
        superadmin: false,
        managed: None,
    }
}

/// The code an authenticator app shows at `at`.
fn code(secret: &[u8], at: i64) -> String {
    two_factor::code_at(secret, two_factor::step_of(at))
}

/// Postmaster A with two-factor on, enrolled a minute ago so that now's code is fresh.
async fn enrolled() -> Enrolled {
    let server = TestServer::new().await;
    let key = key_of(&server);
    let admin = admin_a(&server).await;
    let earlier = now() - 60;
    let shown = two_factor::start(&server.db, &key, &admin, earlier)
        .await
        .unwrap();
    let secret = two_factor::decode_secret(&shown.secret).unwrap();
    let recovery = two_factor::confirm(
        &server.db,
        &key,
        &admin,
        &code(&secret, earlier),
        CLIENT,
        earlier,
    )
    .await
    .unwrap();
    Enrolled {
        server,
        key,
        admin,
        secret,
        shown: shown.secret,
        recovery,
    }
}

/// A pending log-on for postmaster A, as the password step leaves it.
async fn pending(e: &Enrolled) -> String {
    let mut conn = e.server.db.acquire().await.unwrap();
    two_factor::begin_log_on(&mut conn, e.admin.id, CLIENT, now())
        .await
        .unwrap()
}

async fn second_step(e: &Enrolled, token: &str, code: &str) -> Result<auth::NewSession, AppError> {
    two_factor::complete_log_on(&e.server.db, &e.key, token, code, CLIENT, now()).await
}

async fn audit_count(server: &TestServer, action: &str, outcome: &str) -> i64 {
    server
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = '{action}' AND outcome = '{outcome}'"
        ))
        .await
}

#[tokio::test]
async fn enrolment_needs_a_right_code_and_gives_ten_recovery_codes() {
    let server = TestServer::new().await;
    let key = key_of(&server);
    let admin = admin_a(&server).await;
    let shown = two_factor::start(&server.db, &key, &admin, now())
        .await
        .unwrap();
    assert!(shown.uri.starts_with("otpauth://totp/"));
    assert!(shown.uri.contains(&format!("secret={}", shown.secret)));
    let secret = two_factor::decode_secret(&shown.secret).unwrap();
    assert_eq!(secret.len(), 20);

    let wrong = format!(
        "{:06}",
        (code(&secret, now()).parse::<u32>().unwrap() + 1) % 1_000_000
    );
    let refused = two_factor::confirm(&server.db, &key, &admin, &wrong, CLIENT, now()).await;
    assert!(matches!(refused, Err(AppError::Invalid(m)) if m == WRONG_CODE));
    assert!(!two_factor::enabled(&server.db, admin.id).await.unwrap());

    let codes = two_factor::confirm(
        &server.db,
        &key,
        &admin,
        &code(&secret, now()),
        CLIENT,
        now(),
    )
    .await
    .unwrap();
    assert_eq!(codes.len(), 10);
    assert!(two_factor::enabled(&server.db, admin.id).await.unwrap());
    assert_eq!(audit_count(&server, "two_factor.enable", "ok").await, 1);
    // Turned on, it cannot be restarted over the top.
    assert!(matches!(
        two_factor::start(&server.db, &key, &admin, now()).await,
        Err(AppError::Conflict(_))
    ));
}

#[tokio::test]
async fn the_secret_in_the_database_is_not_the_secret() {
    let e = enrolled().await;
    let (stored, recovery): (Vec<u8>, i64) = sqlx::query_as(
        "SELECT secret, (SELECT COUNT(*) FROM recovery_codes) FROM admin_two_factor",
    )
    .fetch_one(&e.server.db)
    .await
    .unwrap();
    assert_eq!(recovery, 10);
    assert!(!stored
        .windows(e.secret.len())
        .any(|w| w == e.secret.as_slice()));
    assert!(!String::from_utf8_lossy(&stored).contains(&e.shown));
    // Nor are the recovery codes kept as typed.
    for code in &e.recovery {
        let found = e
            .server
            .count(&format!(
                "SELECT COUNT(*) FROM recovery_codes WHERE CAST(code_hash AS TEXT) LIKE '%{}%'",
                code.replace('-', "")
            ))
            .await;
        assert_eq!(found, 0);
    }
    // Another key opens nothing: the second step fails rather than accepting any code.
    let token = pending(&e).await;
    let other = SecretKey::load_or_create(&e.server.data_dir.join("other.key")).unwrap();
    let with_other = two_factor::complete_log_on(
        &e.server.db,
        &other,
        &token,
        &code(&e.secret, now()),
        CLIENT,
        now(),
    )
    .await;
    assert!(with_other.is_err());
}

#[tokio::test]
async fn a_right_code_opens_a_session_and_the_pending_token_alone_opens_nothing() {
    let e = enrolled().await;
    let token = pending(&e).await;
    let policy = SessionPolicy::default();
    assert_eq!(
        auth::resume(&e.server.db, &policy, &token).await.unwrap(),
        None
    );
    // The pending token as a session cookie is sent to log on.
    let page = e
        .server
        .get("/users", Some(&format!("{}={token}", auth::COOKIE_NAME)))
        .await;
    assert!(page.header("location").unwrap().starts_with("/log-on?"));

    let session = second_step(&e, &token, &code(&e.secret, now()))
        .await
        .unwrap();
    assert_eq!(session.admin.email, POSTMASTER_A);
    let resumed = auth::resume(&e.server.db, &policy, &session.token)
        .await
        .unwrap()
        .unwrap();
    assert_eq!((resumed.id, &resumed.email), (e.admin.id, &e.admin.email));
    let domains: Vec<String> = resumed
        .managed
        .unwrap()
        .into_iter()
        .map(|(_, name)| name)
        .collect();
    assert_eq!(
        domains,
        ["alpha.test"],
        "the postmaster's domains come with the session"
    );
    assert_eq!(audit_count(&e.server, "two_factor.code", "ok").await, 1);
    // The pending log-on is used up.
    let again = second_step(&e, &token, &code(&e.secret, now() + 30)).await;
    assert!(matches!(again, Err(AppError::Unauthenticated)));
}

#[tokio::test]
async fn a_wrong_code_is_refused_and_audited_without_the_code() {
    let e = enrolled().await;
    let token = pending(&e).await;
    let right = code(&e.secret, now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let refused = second_step(&e, &token, wrong).await;
    assert!(matches!(refused, Err(AppError::Invalid(m)) if m == WRONG_CODE));
    assert_eq!(audit_count(&e.server, "two_factor.code", "failed").await, 1);
    let leaked = e
        .server
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE details LIKE '%{wrong}%' OR target LIKE '%{wrong}%'"
        ))
        .await;
    assert_eq!(leaked, 0);
    // The pending log-on still takes the right code.
    assert!(second_step(&e, &token, &right).await.is_ok());
}

#[tokio::test]
async fn a_code_is_never_accepted_twice() {
    let e = enrolled().await;
    let right = code(&e.secret, now());
    let first = pending(&e).await;
    second_step(&e, &first, &right).await.unwrap();
    let second = pending(&e).await;
    let reused = second_step(&e, &second, &right).await;
    assert!(matches!(reused, Err(AppError::Invalid(m)) if m == WRONG_CODE));
    // Nor an older one still inside the drift window.
    let older = second_step(&e, &second, &code(&e.secret, now() - 30)).await;
    assert!(older.is_err());
}

#[tokio::test]
async fn a_recovery_code_works_once() {
    let e = enrolled().await;
    let recovery = &e.recovery[3];
    let first = pending(&e).await;
    second_step(&e, &first, &recovery.to_uppercase())
        .await
        .unwrap();
    let second = pending(&e).await;
    assert!(second_step(&e, &second, recovery).await.is_err());
    assert_eq!(
        e.server.count("SELECT COUNT(*) FROM recovery_codes").await,
        9
    );
    // Another one still works.
    assert!(second_step(&e, &second, &e.recovery[4]).await.is_ok());
}

#[tokio::test]
async fn a_burst_of_wrong_codes_is_throttled() {
    let e = enrolled().await;
    let token = pending(&e).await;
    let right = code(&e.secret, now());
    let wrong = if right == "000000" {
        "111111"
    } else {
        "000000"
    };
    let mut throttled = 0;
    let mut verdicts = 0;
    for _ in 0..20 {
        match second_step(&e, &token, wrong).await {
            Err(AppError::Throttled(_)) => throttled += 1,
            Err(AppError::Invalid(_)) => verdicts += 1,
            other => panic!("unexpected {:?}", other.map(|s| s.admin)),
        }
    }
    assert!(verdicts <= 5, "{verdicts} codes were checked");
    assert!(throttled >= 15);
    // While throttled even the right code is not checked.
    assert!(matches!(
        second_step(&e, &token, &right).await,
        Err(AppError::Throttled(_))
    ));
    assert!(audit_count(&e.server, "two_factor.code", "refused").await >= 1);
}

#[tokio::test]
async fn an_expired_pending_log_on_takes_no_code() {
    let e = enrolled().await;
    let token = pending(&e).await;
    sqlx::query("UPDATE pending_log_ons SET expires_at = $1")
        .bind(now() - 1)
        .execute(&e.server.db)
        .await
        .unwrap();
    let late = second_step(&e, &token, &code(&e.secret, now())).await;
    assert!(matches!(late, Err(AppError::Unauthenticated)));
}

#[tokio::test]
async fn the_operator_resets_two_factor_for_one_administrator() {
    let e = enrolled().await;
    let token = pending(&e).await;
    let out = binary::ok(
        &e.server.data_dir,
        &["admin", "reset-2fa", "Postmaster@Alpha.test"],
        None,
    );
    assert_eq!(
        out,
        format!("Turned two-factor log-on off for {POSTMASTER_A}.\n")
    );
    assert!(!two_factor::enabled(&e.server.db, e.admin.id).await.unwrap());
    assert_eq!(
        e.server.count("SELECT COUNT(*) FROM recovery_codes").await,
        0
    );
    assert!(second_step(&e, &token, &code(&e.secret, now()))
        .await
        .is_err());
    let audited = e
        .server
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor.disable' AND actor = 'cli'
             AND target = '{POSTMASTER_A}' AND details = 'reset by the operator'"
        ))
        .await;
    assert_eq!(audited, 1);
    let unknown = binary::fails(
        &e.server.data_dir,
        &["admin", "reset-2fa", "nobody@alpha.test"],
        None,
    );
    assert!(unknown.contains("nobody@alpha.test"), "{unknown}");
}

#[test]
fn codes_match_the_rfc_6238_test_vectors() {
    // RFC 6238 appendix B, SHA-1, truncated to six digits.
    let secret = b"12345678901234567890";
    for (at, want) in [
        (59, "287082"),
        (1_111_111_109, "081804"),
        (2_000_000_000, "279037"),
    ] {
        assert_eq!(code(secret, at), want);
    }
}
