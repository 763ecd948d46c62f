//! Two-factor log-on through HTTP, as a browser uses it with and without JavaScript: the
//! pending log-on's cookie reaches only the code form, the right code logs on once, a burst of
//! wrong codes ends the log-on, a late code goes back to the password, the operator's
//! `--require-2fa` sends to enrolment first, and turning it on or off ends the other sessions,
//! off only with the password and a code.

mod support;

use app::api::accounts::ListDomains;
use app::api::auth::{LogOnCode, SignedIn};
use app::api::two_factor::{
    CancelTwoFactor, ConfirmTwoFactor, RenewRecoveryCodes, StartTwoFactor, TurnOffTwoFactor,
    TwoFactorStatus,
};
use app::model::two_factor::{TwoFactorState, TwoFactorView};
use app::routes;
use app::ssr::access::code_caps::PER_PLACE;
use app::ssr::access::two_factor::{self, WRONG_CODE};
use app::ssr::storage::clock::now;
use axum::body::Body;
use axum::http::{header, StatusCode};
use leptos::server_fn::ServerFn;
use support::*;

const CODE: &str = LogOnCode::PATH;
/// Log on, saying that too many wrong codes ended the log-on or session they were typed in.
const CODES_USED_UP: &str = "/log-on?codes_used_up=1";
const PENDING: &str = "vpm_pending";
const SESSION: &str = "vpm_session";

/// `name=value` of the cookie `name` that `reply` sets, unless it removes it.
fn set_cookie(reply: &Reply, name: &str) -> Option<String> {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|value| value.split(';').next())
        .find_map(|pair| {
            let (key, value) = pair.split_once('=')?;
            (key == name && !value.is_empty()).then(|| pair.to_owned())
        })
}

/// Whether `reply` removes the cookie `name`.
fn clears_cookie(reply: &Reply, name: &str) -> bool {
    reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .any(|value| value.starts_with(&format!("{name}=;")) && value.contains("Max-Age=0"))
}

/// The code an authenticator app shows `steps` 30-second steps from now.
fn code(secret: &[u8], steps: i64) -> String {
    two_factor::code_at(secret, two_factor::step_of(now()) + steps)
}

/// A six-digit code that is not `right`.
fn wrong(right: &str) -> &'static str {
    if right == "000000" {
        "111111"
    } else {
        "000000"
    }
}

async fn status(server: &TestServer, cookie: &str) -> TwoFactorView {
    let body = server.call_ok(TwoFactorStatus::PATH, &[], cookie).await;
    serde_json::from_str(&body).unwrap_or_else(|_| panic!("{body}"))
}

/// What enrolment on My password gave: the secret read from the page and the recovery codes.
struct Enrolled {
    secret: Vec<u8>,
    recovery: Vec<String>,
}

/// Turns two-factor log-on on through My password's server functions, confirming with the
/// previous step's code so that now's is still fresh for the log-on.
async fn enrol(server: &TestServer, cookie: &str) -> Enrolled {
    server.call_ok(StartTwoFactor::PATH, &[], cookie).await;
    let TwoFactorState::Enrolling { secret, qr_svg } = status(server, cookie).await.state else {
        panic!("enrolment did not start");
    };
    assert!(
        qr_svg.starts_with("<svg") && qr_svg.contains("<path"),
        "{qr_svg}"
    );
    let secret = two_factor::decode_secret(&secret).unwrap();
    let refused = server
        .call(
            ConfirmTwoFactor::PATH,
            &[("code", wrong(&code(&secret, -1)))],
            Some(cookie),
        )
        .await;
    assert!(refused.body.contains(WRONG_CODE), "{}", refused.body);
    server
        .call_ok(
            ConfirmTwoFactor::PATH,
            &[("code", &code(&secret, -1))],
            cookie,
        )
        .await;
    let TwoFactorState::On {
        codes_left,
        old_codes: false,
        fresh_codes: Some(recovery),
    } = status(server, cookie).await.state
    else {
        panic!("enrolment did not finish");
    };
    assert_eq!((codes_left, recovery.len()), (10, 10));
    // Shown once.
    assert_eq!(
        status(server, cookie).await.state,
        TwoFactorState::On {
            codes_left: 10,
            old_codes: false,
            fresh_codes: None
        }
    );
    Enrolled { secret, recovery }
}

/// Postmaster A with two-factor log-on on, logged off again.
async fn enrolled() -> (TestServer, Enrolled) {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let enrolled = enrol(&server, &cookie).await;
    server.call_ok(LOG_OFF, &[], &cookie).await;
    (server, enrolled)
}

/// The password step: no session, only the pending log-on's cookie.
async fn password_step(server: &TestServer) -> String {
    let reply = server
        .call(
            LOG_ON,
            &[("email", POSTMASTER_A), ("password", PASSWORD)],
            None,
        )
        .await;
    assert!(set_cookie(&reply, SESSION).is_none(), "no session yet");
    let set = reply
        .headers
        .get_all(header::SET_COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|value| value.starts_with(PENDING))
        .unwrap_or_else(|| panic!("no pending log-on: {} {}", reply.status, reply.body))
        .to_owned();
    for attribute in ["HttpOnly", "SameSite=Strict", "Path=/", "Max-Age=300"] {
        assert!(set.contains(attribute), "{set}");
    }
    set_cookie(&reply, PENDING).unwrap()
}

/// A session of postmaster A opened with the password and the `n`th recovery code.
async fn log_on_with_recovery(server: &TestServer, enrolled: &Enrolled, n: usize) -> String {
    let pending = password_step(server).await;
    let signed = server
        .call(CODE, &[("code", &enrolled.recovery[n])], Some(&pending))
        .await;
    set_cookie(&signed, SESSION).unwrap_or_else(|| panic!("no session: {}", signed.body))
}

/// A form post made without JavaScript from `page`.
fn form_post(
    path: &str,
    page: &str,
    form: &[(&str, &str)],
    cookie: Option<&str>,
) -> axum::http::Request<Body> {
    post(path, cookie)
        .header(header::ACCEPT, "text/html")
        .header(header::REFERER, format!("http://console.test{page}"))
        .body(Body::from(encode(form)))
        .unwrap()
}

#[tokio::test]
async fn a_pending_log_on_reaches_only_the_code_form() {
    let (server, _) = enrolled().await;
    let sessions = server.count("SELECT COUNT(*) FROM sessions").await;
    let pending = password_step(&server).await;
    assert_eq!(
        server.count("SELECT COUNT(*) FROM sessions").await,
        sessions,
        "a right password alone opens no session"
    );
    let form = server.get(routes::LogOnCode::PATH, Some(&pending)).await;
    assert_eq!(form.status, StatusCode::OK);
    assert!(form
        .body
        .contains("Enter the 6-digit code from your authenticator app, or a recovery code"));
    // The code field has the focus, ready for the code.
    let field = &form.body[form.body.find("id=\"code\"").expect("a code field")..];
    let field = &field[..field.find('>').unwrap()];
    assert!(field.contains("autofocus"), "{field}");
    for page in [
        "/users",
        "/account",
        "/activity",
        "/users/export.csv?domain=alpha.test",
    ] {
        let reply = server.get(page, Some(&pending)).await;
        assert_eq!(reply.status, StatusCode::SEE_OTHER, "{page}");
        assert!(
            reply.header("location").unwrap().starts_with("/log-on?"),
            "{page}"
        );
    }
    // The pending token under the session cookie's name is no session either.
    let token = pending.split_once('=').unwrap().1;
    let disguised = format!("{SESSION}={token}");
    for cookie in [pending.as_str(), disguised.as_str()] {
        for path in [SignedIn::PATH, ListDomains::PATH, StartTwoFactor::PATH] {
            let reply = server.call(path, &[], Some(cookie)).await;
            assert!(
                reply.body.contains("Unauthenticated"),
                "{path}: {} {}",
                reply.status,
                reply.body
            );
        }
    }
    // Without its cookie the code form sends back to the password.
    let bare = server.get(routes::LogOnCode::PATH, None).await;
    assert_eq!(bare.header("location"), Some("/log-on?code_expired=1"));
}

#[tokio::test]
async fn without_javascript_the_right_code_logs_on_and_never_works_twice() {
    let (server, enrolled) = enrolled().await;
    let password = server
        .send(form_post(
            LOG_ON,
            "/log-on?next=%2Factivity",
            &[
                ("email", POSTMASTER_A),
                ("password", PASSWORD),
                ("next", "/activity"),
            ],
            None,
        ))
        .await;
    assert_eq!(password.status, StatusCode::FOUND);
    assert_eq!(
        password.header("location"),
        Some("/log-on/code?next=%2Factivity")
    );
    let pending = set_cookie(&password, PENDING).unwrap();
    let right = code(&enrolled.secret, 0);
    let code_page = "/log-on/code?next=%2Factivity";

    let refused = server
        .send(form_post(
            CODE,
            code_page,
            &[("code", wrong(&right)), ("next", "/activity")],
            Some(&pending),
        ))
        .await;
    let location = refused.header("location").unwrap();
    assert!(
        location.starts_with(&format!("http://console.test{code_page}"))
            && location.contains("__err="),
        "a wrong code stays on the code form with its message: {location}"
    );
    assert!(set_cookie(&refused, SESSION).is_none());
    let shown = server
        .get(&location["http://console.test".len()..], Some(&pending))
        .await;
    assert!(shown.body.contains(WRONG_CODE), "{}", shown.body);

    let signed = server
        .send(form_post(
            CODE,
            code_page,
            &[("code", &right), ("next", "/activity")],
            Some(&pending),
        ))
        .await;
    assert_eq!(signed.header("location"), Some("/activity"));
    assert!(clears_cookie(&signed, PENDING));
    let session = set_cookie(&signed, SESSION).expect("a session");
    let activity = server.get("/activity", Some(&session)).await;
    assert_eq!(activity.status, StatusCode::OK);
    assert!(activity.body.contains(POSTMASTER_A));

    // The same code for the next log-on is refused, even within its 30 seconds.
    let again = password_step(&server).await;
    let reused = server.call(CODE, &[("code", &right)], Some(&again)).await;
    assert!(reused.body.contains(WRONG_CODE), "{}", reused.body);
    assert!(set_cookie(&reused, SESSION).is_none());
}

#[tokio::test]
async fn a_recovery_code_logs_on_once() {
    let (server, enrolled) = enrolled().await;
    let recovery = &enrolled.recovery[0];
    let pending = password_step(&server).await;
    let signed = server
        .call(CODE, &[("code", recovery)], Some(&pending))
        .await;
    let session = set_cookie(&signed, SESSION).expect("a session");
    assert_eq!(
        status(&server, &session).await.state,
        TwoFactorState::On {
            codes_left: 9,
            old_codes: false,
            fresh_codes: None
        }
    );
    let pending = password_step(&server).await;
    let reused = server
        .call(CODE, &[("code", recovery)], Some(&pending))
        .await;
    assert!(reused.body.contains(WRONG_CODE), "{}", reused.body);
}

#[tokio::test]
async fn my_password_says_when_recovery_codes_are_of_the_older_kind() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    enrol(&server, &cookie).await;
    let notice = "Your recovery codes are of an older, weaker kind.";
    assert!(!server
        .get("/account", Some(&cookie))
        .await
        .body
        .contains(notice));
    // One given by an earlier version: ten hex digits, kept as a plain SHA-256.
    sqlx::query(
        "INSERT INTO recovery_codes (admin_id, code_hash)
         SELECT id, $1 FROM admins WHERE email = $2",
    )
    .bind(<sha2::Sha256 as sha2::Digest>::digest(b"3f9a2c41d7").to_vec())
    .bind(POSTMASTER_A)
    .execute(&server.db)
    .await
    .unwrap();
    assert_eq!(
        status(&server, &cookie).await.state,
        TwoFactorState::On {
            codes_left: 11,
            old_codes: true,
            fresh_codes: None
        }
    );
    let page = server.get("/account", Some(&cookie)).await.body;
    assert!(page.contains(notice), "{page}");
}

#[tokio::test]
async fn a_burst_of_wrong_codes_ends_the_log_on() {
    let (server, enrolled) = enrolled().await;
    let pending = password_step(&server).await;
    let right = code(&enrolled.secret, 0);
    let page = "/log-on/code?next=%2Fusers";
    let post = |code: &str| {
        form_post(
            CODE,
            page,
            &[("code", code), ("next", "/users")],
            Some(&pending),
        )
    };
    for _ in 1..PER_PLACE {
        let refused = server.send(post(wrong(&right))).await;
        assert!(
            refused.header("location").unwrap().contains("__err="),
            "a wrong code stays on the code form"
        );
    }
    let last = server.send(post(wrong(&right))).await;
    let back = format!("{CODES_USED_UP}&next=%2Fusers");
    assert_eq!(last.header("location"), Some(back.as_str()));
    assert!(clears_cookie(&last, PENDING));
    let shown = server.get(&back, None).await;
    assert!(
        shown
            .body
            .contains("Too many wrong codes were typed. Please log on again with your password."),
        "{}",
        shown.body
    );
    // Ended: even the right code goes back to the password.
    let right_now = server.send(post(&right)).await;
    assert!(set_cookie(&right_now, SESSION).is_none());
    assert_eq!(
        right_now.header("location"),
        Some("/log-on?code_expired=1&next=%2Fusers")
    );
    // The password again, and the right code.
    let pending = password_step(&server).await;
    let signed = server.call(CODE, &[("code", &right)], Some(&pending)).await;
    assert!(set_cookie(&signed, SESSION).is_some(), "{}", signed.body);
}

#[tokio::test]
async fn a_right_password_between_wrong_codes_gives_no_more_of_them() {
    let (server, enrolled) = enrolled().await;
    let right = code(&enrolled.secret, 0);
    // Password, four wrong codes, password again, and so on.
    let mut checked = 0;
    for _ in 0..5 {
        let pending = password_step(&server).await;
        for _ in 0..4 {
            let reply = server
                .call(CODE, &[("code", wrong(&right))], Some(&pending))
                .await;
            if reply.body.contains(WRONG_CODE) {
                checked += 1;
            }
        }
    }
    assert!(checked < 10, "{checked} wrong codes were checked");
    let pending = password_step(&server).await;
    let reply = server.call(CODE, &[("code", &right)], Some(&pending)).await;
    assert!(
        set_cookie(&reply, SESSION).is_none(),
        "the right code opened a session"
    );
    assert!(
        reply.body.contains("codes are refused until"),
        "{}",
        reply.body
    );
}

#[tokio::test]
async fn a_late_code_goes_back_to_the_password_with_a_message() {
    let (server, enrolled) = enrolled().await;
    let pending = password_step(&server).await;
    sqlx::query("UPDATE pending_log_ons SET expires_at = $1")
        .bind(now() - 1)
        .execute(&server.db)
        .await
        .unwrap();
    let late = server
        .send(form_post(
            CODE,
            "/log-on/code?next=%2Fusers",
            &[("code", &code(&enrolled.secret, 0)), ("next", "/users")],
            Some(&pending),
        ))
        .await;
    assert_eq!(
        late.header("location"),
        Some("/log-on?code_expired=1&next=%2Fusers")
    );
    assert!(clears_cookie(&late, PENDING));
    assert!(set_cookie(&late, SESSION).is_none());
    let page = server
        .get("/log-on?code_expired=1&next=%2Fusers", None)
        .await;
    assert!(
        page.body
            .contains("Your log-on waited too long for its code"),
        "{}",
        page.body
    );
}

#[tokio::test]
async fn required_two_factor_sends_to_enrolment_before_anything_else() {
    let server = TestServer::with_guard(|config| config.state.two_factor.required = true).await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    for page in ["/users", "/activity", "/aliases"] {
        let reply = server.get(page, Some(&cookie)).await;
        assert_eq!(reply.header("location"), Some("/account"), "{page}");
    }
    let account = server.get("/account", Some(&cookie)).await;
    assert_eq!(account.status, StatusCode::OK);
    assert!(account
        .body
        .contains("Your operator requires two-factor log-on"));
    // A password change would be refused until then: its form is not offered.
    assert!(account
        .body
        .contains("You can change your password once two-factor log-on is on."));
    assert!(
        !account.body.contains("Current password"),
        "{}",
        account.body
    );
    let refused = server.call(ListDomains::PATH, &[], Some(&cookie)).await;
    assert!(refused.body.contains("Forbidden"), "{}", refused.body);
    assert!(server
        .call_ok(SignedIn::PATH, &[], &cookie)
        .await
        .contains(POSTMASTER_A));

    let enrolled = enrol(&server, &cookie).await;
    assert_eq!(
        server.get("/users", Some(&cookie)).await.status,
        StatusCode::OK
    );
    let account = server.get("/account", Some(&cookie)).await.body;
    assert!(account.contains("Current password"), "{account}");
    assert!(!account.contains("once two-factor log-on is on"));
    // From now on, the code is asked for after the password.
    server.call_ok(LOG_OFF, &[], &cookie).await;
    let pending = password_step(&server).await;
    let signed = server
        .call(
            CODE,
            &[("code", &code(&enrolled.secret, 0))],
            Some(&pending),
        )
        .await;
    let session = set_cookie(&signed, SESSION).expect("a session");
    assert_eq!(
        server.get("/users", Some(&session)).await.status,
        StatusCode::OK
    );
    // Log off is reachable before enrolment too.
    let other = server.log_on(POSTMASTER_B, PASSWORD).await;
    let off = server.call(LOG_OFF, &[], Some(&other)).await;
    assert!(clears_cookie(&off, SESSION));
    assert_eq!(
        server.get("/account", Some(&other)).await.status,
        StatusCode::SEE_OTHER
    );
}

#[tokio::test]
async fn turning_two_factor_on_ends_the_other_sessions() {
    let server = TestServer::new().await;
    let other = server.log_on(POSTMASTER_A, PASSWORD).await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    enrol(&server, &cookie).await;
    assert_eq!(
        server.get("/users", Some(&cookie)).await.status,
        StatusCode::OK
    );
    let ended = server.get("/users", Some(&other)).await;
    assert_eq!(ended.status, StatusCode::SEE_OTHER, "opened without a code");
}

#[tokio::test]
async fn turning_two_factor_off_needs_the_password_and_a_code() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let enrolled = enrol(&server, &cookie).await;
    let right = code(&enrolled.secret, 0);
    // A session and the password are not enough.
    let no_code = server
        .call(
            TurnOffTwoFactor::PATH,
            &[("current_password", PASSWORD), ("code", wrong(&right))],
            Some(&cookie),
        )
        .await;
    assert!(
        no_code.body.contains(r#""field":"code""#)
            && no_code.body.contains(WRONG_CODE.trim_end_matches('.')),
        "{}",
        no_code.body
    );
    // A wrong password is refused beside its field, in the one wording of the rule, and
    // without JavaScript the form comes back with the code that was not checked.
    let wrong_password = server
        .send(form_post(
            TurnOffTwoFactor::PATH,
            "/account",
            &[("current_password", "Not#the9one"), ("code", &right)],
            Some(&cookie),
        ))
        .await;
    let location = wrong_password.header("location").unwrap();
    let shown = server
        .get(&location["http://console.test".len()..], Some(&cookie))
        .await
        .body;
    assert!(
        shown.contains(app::validate::CURRENT_PASSWORD_WRONG),
        "{shown}"
    );
    assert!(shown.contains(&format!(r#"value="{right}""#)), "{shown}");
    assert!(!shown.contains("Not#the9one"));
    assert!(matches!(
        status(&server, &cookie).await.state,
        TwoFactorState::On { .. }
    ));
    // With both: off, and the other sessions end.
    let other = log_on_with_recovery(&server, &enrolled, 0).await;
    server
        .call_ok(
            TurnOffTwoFactor::PATH,
            &[("current_password", PASSWORD), ("code", &right)],
            &cookie,
        )
        .await;
    assert_eq!(status(&server, &cookie).await.state, TwoFactorState::Off);
    assert_eq!(
        server.get("/users", Some(&other)).await.status,
        StatusCode::SEE_OTHER
    );
    let audited = server
        .count(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor.disable' AND outcome = 'ok'",
        )
        .await;
    assert_eq!(audited, 1);
    // Off again, the password alone logs on.
    server.call_ok(LOG_OFF, &[], &cookie).await;
    server.log_on(POSTMASTER_A, PASSWORD).await;
}

#[tokio::test]
async fn wrong_codes_on_my_password_end_the_session() {
    // Turning it off and making new recovery codes ask for the same proof, and end alike.
    for (path, password_field, code_field) in [
        (TurnOffTwoFactor::PATH, "current_password", "code"),
        (RenewRecoveryCodes::PATH, "renew_password", "renew_code"),
    ] {
        wrong_codes_end_the_session(path, password_field, code_field).await;
    }
}

async fn wrong_codes_end_the_session(path: &str, password_field: &str, code_field: &str) {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let enrolled = enrol(&server, &cookie).await;
    let right = code(&enrolled.secret, 0);
    let turn_off = || {
        form_post(
            path,
            "/account",
            &[(password_field, PASSWORD), (code_field, wrong(&right))],
            Some(&cookie),
        )
    };
    for _ in 1..PER_PLACE {
        let refused = server.send(turn_off()).await;
        assert!(refused.header("location").unwrap().contains("__err="));
    }
    let last = server.send(turn_off()).await;
    assert_eq!(last.header("location"), Some(CODES_USED_UP));
    assert!(clears_cookie(&last, SESSION));
    assert_eq!(
        server.get("/account", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
    assert!(matches!(
        status(&server, &log_on_with_recovery(&server, &enrolled, 0).await)
            .await
            .state,
        TwoFactorState::On { .. }
    ));
}

#[tokio::test]
async fn the_key_file_is_readable_by_its_owner_only() {
    let server = TestServer::new().await;
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(server.data_dir.join(two_factor::KEY_FILE))
        .unwrap()
        .permissions()
        .mode();
    assert_eq!(mode & 0o777, 0o600);
}

#[tokio::test]
async fn an_enrolment_can_be_cancelled_and_recovery_codes_renewed_with_proof() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    // Started and cancelled: off again, and a new start gives a new secret.
    server.call_ok(StartTwoFactor::PATH, &[], &cookie).await;
    let TwoFactorState::Enrolling { secret: first, .. } = status(&server, &cookie).await.state
    else {
        panic!("enrolment did not start");
    };
    server.call_ok(CancelTwoFactor::PATH, &[], &cookie).await;
    assert_eq!(status(&server, &cookie).await.state, TwoFactorState::Off);

    let enrolled = enrol(&server, &cookie).await;
    assert_ne!(
        two_factor::decode_secret(&first).unwrap(),
        enrolled.secret,
        "a new secret"
    );
    // Cancelling once it is on changes nothing.
    server.call_ok(CancelTwoFactor::PATH, &[], &cookie).await;
    assert!(matches!(
        status(&server, &cookie).await.state,
        TwoFactorState::On { .. }
    ));

    // New codes need the password and a code; a wrong one makes none.
    let refused = server
        .call(
            RenewRecoveryCodes::PATH,
            &[
                ("renew_password", "Not#the9one"),
                ("renew_code", &enrolled.recovery[0]),
            ],
            Some(&cookie),
        )
        .await;
    assert!(
        refused.body.contains("The current password is wrong"),
        "{}",
        refused.body
    );
    server
        .call_ok(
            RenewRecoveryCodes::PATH,
            &[
                ("renew_password", PASSWORD),
                ("renew_code", &enrolled.recovery[0]),
            ],
            &cookie,
        )
        .await;
    let TwoFactorState::On {
        codes_left: 10,
        fresh_codes: Some(renewed),
        ..
    } = status(&server, &cookie).await.state
    else {
        panic!("no new codes shown");
    };
    assert!(renewed.iter().all(|code| !enrolled.recovery.contains(code)));
    // The old codes log on no more.
    server.call_ok(LOG_OFF, &[], &cookie).await;
    let pending = password_step(&server).await;
    let old = server
        .send(form_post(
            CODE,
            CODE,
            &[("code", &enrolled.recovery[1])],
            Some(&pending),
        ))
        .await;
    assert!(
        set_cookie(&old, SESSION).is_none(),
        "an old code still works"
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'two_factor.codes' AND outcome = 'ok'")
            .await,
        1
    );
}
