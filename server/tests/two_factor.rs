//! Two-factor log-on through its services: enrolment, the second step after the password,
//! codes that must not work twice (even at once), the caps on wrong codes, recovery codes and
//! secrets as stored now and as stored before, and the operator's reset. Codes are computed
//! from the secret shown at enrolment, as an authenticator app does.

mod support;

use app::context::{Admin, CurrentSession};
use app::error::AppError;
use app::ssr::access::code_caps::{DAY, PER_DAY, PER_PLACE};
use app::ssr::access::log_on::{self, LogOnStep};
use app::ssr::access::sessions::{self, SessionPolicy};
use app::ssr::access::two_factor::{self, SecretKey, WRONG_CODE};
use app::ssr::services::retention;
use app::ssr::storage::clock::now;
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

/// The session in which `admin` turns two-factor log-on on.
fn enrolling(admin: &Admin) -> CurrentSession {
    CurrentSession {
        admin: admin.clone(),
        token: "the enrolling session".into(),
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
        &enrolling(&admin),
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

/// The password step of a log-on from `client`, as the log-on form makes it.
async fn password_step(e: &Enrolled, client: &str) -> String {
    match log_on::log_on(&e.server.state, POSTMASTER_A, PASSWORD.into(), client).await {
        Ok(LogOnStep::CodeDue(token)) => token,
        _ => panic!("the right password did not lead to the code"),
    }
}

/// A six-digit code that is not `right`.
fn wrong(right: &str) -> &'static str {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
}

async fn second_step(
    e: &Enrolled,
    token: &str,
    code: &str,
) -> Result<sessions::NewSession, AppError> {
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
    let refused =
        two_factor::confirm(&server.db, &key, &enrolling(&admin), &wrong, CLIENT, now()).await;
    assert!(matches!(refused, Err(AppError::Invalid(m)) if m == WRONG_CODE));
    assert!(!two_factor::enabled(&server.db, admin.id).await.unwrap());

    let codes = two_factor::confirm(
        &server.db,
        &key,
        &enrolling(&admin),
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
        sessions::resume(&e.server.db, &policy, &token)
            .await
            .unwrap(),
        None
    );
    // The pending token as a session cookie is sent to log on.
    let page = e
        .server
        .get(
            "/users",
            Some(&format!("{}={token}", sessions::COOKIE_NAME)),
        )
        .await;
    assert!(page.header("location").unwrap().starts_with("/log-on?"));

    let session = second_step(&e, &token, &code(&e.secret, now()))
        .await
        .unwrap();
    assert_eq!(session.admin.email, POSTMASTER_A);
    let resumed = sessions::resume(&e.server.db, &policy, &session.token)
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
async fn a_right_password_gives_a_guesser_no_more_codes() {
    let e = enrolled().await;
    let right = code(&e.secret, now());
    // Password, four wrong codes, password again, and so on, from one client.
    let mut checked = 0;
    let mut refusal = None;
    'rounds: for _ in 0..5 {
        let token = password_step(&e, CLIENT).await;
        for _ in 0..4 {
            match second_step(&e, &token, wrong(&right)).await {
                Err(AppError::Invalid(m)) if m == WRONG_CODE => checked += 1,
                Err(other) => {
                    refusal = Some(other);
                    break 'rounds;
                }
                Ok(_) => panic!("a wrong code logged on"),
            }
        }
    }
    assert_eq!(checked, PER_DAY - 1, "the day's last wrong code says so");
    let refusal = refusal.expect("the guessing was never stopped").to_string();
    assert!(refusal.contains("codes are refused until"), "{refusal}");
    // From then on, even the right code after the right password opens nothing.
    let token = password_step(&e, "198.51.100.9").await;
    let late = second_step(&e, &token, &right).await;
    assert!(
        matches!(&late, Err(AppError::Invalid(m)) if m.contains("codes are refused until")),
        "{:?}",
        late.map(|s| s.admin)
    );
    assert_eq!(
        e.server.count("SELECT COUNT(*) FROM sessions").await,
        0,
        "no session was opened"
    );
    let notices = e
        .server
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor.code' AND outcome = 'refused'
             AND target = '{POSTMASTER_A}' AND details LIKE '{PER_DAY} wrong codes in 24 hours: %'"
        ))
        .await;
    assert_eq!(
        notices, 1,
        "Activity says the day's codes are used up, once"
    );
    // The operator's reset gives them a fresh start.
    binary::ok(
        &e.server.data_dir,
        &["admin", "reset-2fa", POSTMASTER_A],
        None,
    );
    assert_eq!(
        e.server.count("SELECT COUNT(*) FROM code_attempts").await,
        0
    );
}

#[tokio::test]
async fn the_days_cap_lifts_a_day_after_and_the_sweep_forgets_the_wrong_codes() {
    let e = enrolled().await;
    let right = code(&e.secret, now());
    for _ in 0..PER_DAY / PER_PLACE {
        let token = pending(&e).await;
        for _ in 0..PER_PLACE {
            assert!(second_step(&e, &token, wrong(&right)).await.is_err());
        }
    }
    let token = pending(&e).await;
    assert!(
        second_step(&e, &token, &right).await.is_err(),
        "the day's codes are used up"
    );
    // As if the wrong codes were typed a day ago.
    sqlx::query("UPDATE code_attempts SET at = at - $1")
        .bind(DAY)
        .execute(&e.server.db)
        .await
        .unwrap();
    let token = pending(&e).await;
    assert!(second_step(&e, &token, &right).await.is_ok());
    retention::sweep(&e.server.db, &SessionPolicy::default(), 400)
        .await
        .unwrap();
    assert_eq!(
        e.server.count("SELECT COUNT(*) FROM code_attempts").await,
        0
    );
}

#[tokio::test]
async fn a_pending_log_on_ends_after_its_wrong_codes() {
    let e = enrolled().await;
    let right = code(&e.secret, now());
    let token = password_step(&e, CLIENT).await;
    for _ in 1..PER_PLACE {
        let refused = second_step(&e, &token, wrong(&right)).await;
        assert!(matches!(refused, Err(AppError::Invalid(m)) if m == WRONG_CODE));
    }
    let last = second_step(&e, &token, wrong(&right)).await;
    assert!(
        matches!(last, Err(AppError::CodesUsedUp)),
        "{:?}",
        last.map(|s| s.admin)
    );
    // Ended: even the right code needs the password again.
    assert!(matches!(
        second_step(&e, &token, &right).await,
        Err(AppError::Unauthenticated)
    ));
    assert_eq!(
        e.server.count("SELECT COUNT(*) FROM pending_log_ons").await,
        0
    );
    let notice = e
        .server
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor.code' AND outcome = 'refused'
             AND details = '{PER_PLACE} wrong codes: the log-on ended, the password must be given again'"
        ))
        .await;
    assert_eq!(notice, 1);
    assert_eq!(
        audit_count(&e.server, "two_factor.code", "failed").await,
        PER_PLACE
    );
    // A new log-on takes the right code: the day's cap is not reached.
    let token = password_step(&e, CLIENT).await;
    assert!(second_step(&e, &token, &right).await.is_ok());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn one_code_sent_at_once_opens_one_session() {
    let e = enrolled().await;
    let right = code(&e.secret, now());
    // The same code in several pending log-ons, all at once.
    let mut tokens = Vec::new();
    for _ in 0..4 {
        tokens.push(pending(&e).await);
    }
    let outcomes =
        futures_util::future::join_all(tokens.iter().map(|token| second_step(&e, token, &right)))
            .await;
    let opened = outcomes.iter().filter(|outcome| outcome.is_ok()).count();
    assert_eq!(opened, 1, "one code, one session");
    for outcome in outcomes.into_iter().filter_map(Result::err) {
        assert_eq!(outcome, AppError::Invalid(WRONG_CODE.into()));
    }
    // The next step's code twice at once in one pending log-on.
    let next = code(&e.secret, now() + 30);
    let token = pending(&e).await;
    let (first, second) = tokio::join!(
        second_step(&e, &token, &next),
        second_step(&e, &token, &next)
    );
    assert_eq!(
        [&first, &second].iter().filter(|o| o.is_ok()).count(),
        1,
        "one pending log-on, one session"
    );
    assert_eq!(e.server.count("SELECT COUNT(*) FROM sessions").await, 2);
}

#[tokio::test]
async fn recovery_codes_hold_80_bits_and_are_stored_keyed() {
    let e = enrolled().await;
    for code in &e.recovery {
        let groups: Vec<&str> = code.split('-').collect();
        assert_eq!(groups.len(), 4, "{code}");
        for group in groups {
            assert_eq!(group.len(), 4, "{code}");
            assert!(
                group
                    .bytes()
                    .all(|b| b"0123456789ABCDEFGHJKMNPQRSTVWXYZ".contains(&b)),
                "{code}"
            );
        }
    }
    let distinct: std::collections::HashSet<_> = e.recovery.iter().collect();
    assert_eq!(distinct.len(), 10);
    // Stored neither as typed nor as a plain hash of it: without the key file a copy of the
    // database cannot test guesses.
    let stored: Vec<(Vec<u8>, i64)> = sqlx::query_as("SELECT code_hash, keyed FROM recovery_codes")
        .fetch_all(&e.server.db)
        .await
        .unwrap();
    for code in &e.recovery {
        let plain = code.replace('-', "");
        for hashed in [plain.clone(), plain.to_lowercase()] {
            let digest = <sha2::Sha256 as sha2::Digest>::digest(hashed.as_bytes()).to_vec();
            assert!(stored.iter().all(|(hash, _)| *hash != digest), "{code}");
        }
    }
    assert!(stored.iter().all(|(_, keyed)| *keyed == 1));
    // Typed leniently: lower case, spaces for dashes, O for 0 and I or L for 1.
    let typed = e.recovery[0]
        .to_lowercase()
        .replace('-', " ")
        .replace('0', "o")
        .replace('1', "l");
    let token = pending(&e).await;
    assert!(second_step(&e, &token, &typed).await.is_ok());
}

#[tokio::test]
async fn recovery_codes_given_before_they_were_keyed_work_once() {
    let e = enrolled().await;
    // As earlier versions gave them: ten hex digits, kept as the SHA-256 of the lower case.
    let old = "3f9a2-c41d7";
    let digest = <sha2::Sha256 as sha2::Digest>::digest(b"3f9a2c41d7").to_vec();
    sqlx::query("INSERT INTO recovery_codes (admin_id, code_hash) VALUES ($1, $2)")
        .bind(e.admin.id)
        .bind(&digest)
        .execute(&e.server.db)
        .await
        .unwrap();
    let token = pending(&e).await;
    assert!(second_step(&e, &token, &old.to_uppercase()).await.is_ok());
    let token = pending(&e).await;
    let again = second_step(&e, &token, old).await;
    assert!(matches!(again, Err(AppError::Invalid(m)) if m == WRONG_CODE));
    // Nor does its hash work as a code of the new kind.
    assert_eq!(
        e.server.count("SELECT COUNT(*) FROM recovery_codes").await,
        10
    );
}

/// `secret` sealed as earlier versions did: without the administrator's id as associated data.
fn sealed_unbound(server: &TestServer, secret: &[u8]) -> Vec<u8> {
    use chacha20poly1305::aead::{Aead, KeyInit};
    let key = std::fs::read(server.data_dir.join(two_factor::KEY_FILE)).unwrap();
    let nonce = [7u8; 12];
    let sealed = chacha20poly1305::ChaCha20Poly1305::new_from_slice(&key)
        .unwrap()
        .encrypt(chacha20poly1305::Nonce::from_slice(&nonce), secret)
        .unwrap();
    [nonce.as_slice(), &sealed].concat()
}

#[tokio::test]
async fn a_secret_sealed_before_it_was_bound_still_works_and_is_bound_at_its_next_code() {
    let e = enrolled().await;
    sqlx::query("UPDATE admin_two_factor SET secret = $1 WHERE admin_id = $2")
        .bind(sealed_unbound(&e.server, &e.secret))
        .bind(e.admin.id)
        .execute(&e.server.db)
        .await
        .unwrap();
    let token = pending(&e).await;
    assert!(second_step(&e, &token, &code(&e.secret, now()))
        .await
        .is_ok());
    let stored: Vec<u8> = sqlx::query_scalar("SELECT secret FROM admin_two_factor")
        .fetch_one(&e.server.db)
        .await
        .unwrap();
    assert_ne!(stored, sealed_unbound(&e.server, &e.secret));
    assert_eq!(
        stored.len(),
        12 + 20 + 16 + 1,
        "sealed again, in the bound form"
    );
    let token = pending(&e).await;
    assert!(second_step(&e, &token, &code(&e.secret, now() + 30))
        .await
        .is_ok());
}

#[tokio::test]
async fn a_sealed_secret_opens_for_its_administrator_alone() {
    let e = enrolled().await;
    // Postmaster B's row given A's sealed secret, as someone who can write the database might.
    let other: i64 = sqlx::query_scalar("SELECT id FROM admins WHERE email = $1")
        .bind(POSTMASTER_B)
        .fetch_one(&e.server.db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO admin_two_factor (admin_id, secret, confirmed, last_step, created_at)
         SELECT $1, secret, 1, 0, created_at FROM admin_two_factor WHERE admin_id = $2",
    )
    .bind(other)
    .bind(e.admin.id)
    .execute(&e.server.db)
    .await
    .unwrap();
    let mut conn = e.server.db.acquire().await.unwrap();
    let token = two_factor::begin_log_on(&mut conn, other, CLIENT, now())
        .await
        .unwrap();
    drop(conn);
    let moved = second_step(&e, &token, &code(&e.secret, now())).await;
    assert!(moved.is_err(), "{:?}", moved.map(|s| s.admin));
    assert_eq!(e.server.count("SELECT COUNT(*) FROM sessions").await, 0);
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
    let session = second_step(&e, &pending(&e).await, &code(&e.secret, now()))
        .await
        .unwrap();
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
    assert!(second_step(&e, &token, &code(&e.secret, now() + 30))
        .await
        .is_err());
    assert_eq!(
        sessions::resume(&e.server.db, &SessionPolicy::default(), &session.token)
            .await
            .unwrap(),
        None,
        "their sessions ended"
    );
    let audited = e
        .server
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor.disable' AND actor = 'cli'
             AND target = '{POSTMASTER_A}' AND details = 'reset by the operator; their sessions ended'"
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
