//! Log on, sessions, log off and the envelope around every request, through the real router.

mod support;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use support::*;

fn session_count_sql(email: &str) -> String {
    format!("SELECT COUNT(*) FROM sessions s JOIN admins a ON a.id = s.admin_id WHERE a.email = '{email}'")
}

#[tokio::test]
async fn wrong_password_and_unknown_address_answer_the_same() {
    let server = TestServer::new().await;
    let wrong = server
        .call(
            LOG_ON,
            &[("email", POSTMASTER_A), ("password", "Wrong#pass1")],
            None,
        )
        .await;
    let unknown = server
        .call(
            LOG_ON,
            &[("email", "nobody@alpha.test"), ("password", "Wrong#pass1")],
            None,
        )
        .await;
    // An address no database can hold (PostgreSQL's text takes no NUL) is refused as not
    // valid, before it is looked up, whatever the address.
    let unstorable = server
        .call(
            LOG_ON,
            &[
                ("email", "nobody\0@alpha.test"),
                ("password", "Wrong#pass1"),
            ],
            None,
        )
        .await;
    assert_eq!(wrong.status, unknown.status);
    // The same but for the address each sent, which comes back to be shown as typed.
    assert_eq!(
        wrong.body.replace(POSTMASTER_A, "typed"),
        unknown.body.replace("nobody@alpha.test", "typed")
    );
    assert_eq!(unstorable.status, 400);
    assert!(
        unstorable.body.contains("NUL character"),
        "{}",
        unstorable.body
    );
    assert!(
        wrong.body.contains("The address or password is wrong."),
        "{}",
        wrong.body
    );
    assert!(wrong.session_cookie().is_none() && unknown.session_cookie().is_none());
    let audited = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'log_on' AND outcome = 'failed'")
        .await;
    assert_eq!(audited, 2);
}

#[tokio::test]
async fn log_on_opens_a_fresh_strict_http_only_session() {
    let server = TestServer::new().await;
    let request = post(LOG_ON, Some("vpm_session=chosen-by-an-attacker"))
        .body(Body::from(encode(&[
            ("email", "PostMaster@Alpha.test"),
            ("password", PASSWORD),
        ])))
        .unwrap();
    let reply = server.send(request).await;
    let set_cookie = reply
        .header("set-cookie")
        .expect("a session cookie")
        .to_owned();
    assert!(
        set_cookie.contains("HttpOnly")
            && set_cookie.contains("SameSite=Strict")
            && set_cookie.contains("Path=/")
    );
    let cookie = reply.session_cookie().unwrap();
    assert_ne!(
        cookie, "vpm_session=chosen-by-an-attacker",
        "a new id at log on"
    );
    let again = server.log_on(POSTMASTER_A, PASSWORD).await;
    assert_ne!(cookie, again, "every log on gets its own id");
    let stored: Vec<u8> = sqlx::query_scalar("SELECT token_hash FROM sessions LIMIT 1")
        .fetch_one(&server.db)
        .await
        .unwrap();
    assert_eq!(stored.len(), 32, "only a SHA-256 of the token is stored");
    assert!(!String::from_utf8_lossy(&stored).contains(cookie.trim_start_matches("vpm_session=")));

    let users = server.get("/users", Some(&cookie)).await;
    assert_eq!(users.status, StatusCode::OK);
    assert!(
        users.body.contains(POSTMASTER_A),
        "the top bar names the postmaster"
    );
    assert_eq!(users.header("cache-control"), Some("no-store"));
}

#[tokio::test]
async fn without_javascript_log_on_redirects_to_users_or_back_with_the_error() {
    let server = TestServer::new().await;
    let form = |password: &str| {
        post(LOG_ON, None)
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, "http://console.test/log-on?next=%2Fusers")
            .body(Body::from(encode(&[
                ("email", POSTMASTER_A),
                ("password", password),
                ("next", "/users"),
            ])))
            .unwrap()
    };
    let ok = server.send(form(PASSWORD)).await;
    assert_eq!(ok.status, StatusCode::FOUND);
    assert_eq!(ok.header("location"), Some("/users"));
    assert!(ok.session_cookie().is_some());
    let wrong = server.send(form("Wrong#pass1")).await;
    assert_eq!(wrong.status, StatusCode::FOUND);
    let location = wrong.header("location").unwrap();
    assert!(
        location.starts_with("http://console.test/log-on?next=%2Fusers"),
        "{location}"
    );
    assert!(
        location.contains("__err="),
        "the error travels back in the address: {location}"
    );
    assert!(!location.contains("Wrong"), "never the password");
}

#[tokio::test]
async fn next_only_leads_inside_the_site() {
    let server = TestServer::new().await;
    for (next, expected) in [
        ("/account", "/account"),
        ("https://evil.example/", "/users"),
        ("//evil.example", "/users"),
    ] {
        let request = post(LOG_ON, None)
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, "http://console.test/log-on")
            .body(Body::from(encode(&[
                ("email", POSTMASTER_A),
                ("password", PASSWORD),
                ("next", next),
            ])))
            .unwrap();
        let reply = server.send(request).await;
        assert_eq!(reply.header("location"), Some(expected), "next={next}");
    }
}

#[tokio::test]
async fn failures_are_throttled_per_address_then_lifted() {
    let server = TestServer::new().await;
    for _ in 0..5 {
        server
            .call(
                LOG_ON,
                &[("email", POSTMASTER_A), ("password", "Wrong#pass1")],
                None,
            )
            .await;
    }
    let refused = server
        .call(
            LOG_ON,
            &[("email", POSTMASTER_A), ("password", PASSWORD)],
            None,
        )
        .await;
    assert!(refused.body.contains("Throttled"), "{}", refused.body);
    let wait: u64 = refused
        .header("retry-after")
        .expect("Retry-After")
        .parse()
        .unwrap();
    assert!((1..=900).contains(&wait), "{wait}");
    assert!(
        refused.session_cookie().is_none(),
        "even the right password waits"
    );
    let throttled = server
        .count("SELECT COUNT(*) FROM audit_log WHERE details LIKE 'throttled%'")
        .await;
    assert_eq!(throttled, 1);
    // The other postmaster is not affected.
    server.log_on(POSTMASTER_B, PASSWORD).await;
    // Fifteen minutes later the failures no longer count.
    sqlx::query("UPDATE log_on_attempts SET at = at - 901")
        .execute(&server.db)
        .await
        .unwrap();
    server.log_on(POSTMASTER_A, PASSWORD).await;
}

#[tokio::test]
async fn failures_are_throttled_per_client_address() {
    let server = TestServer::new().await;
    for n in 0..20 {
        let email = format!("guess{n}@alpha.test");
        server
            .call(
                LOG_ON,
                &[("email", &email), ("password", "Wrong#pass1")],
                None,
            )
            .await;
    }
    let refused = server
        .call(
            LOG_ON,
            &[("email", POSTMASTER_A), ("password", PASSWORD)],
            None,
        )
        .await;
    assert!(refused.body.contains("Throttled"), "{}", refused.body);
    // Another client can still log on.
    let mut request = post(LOG_ON, None)
        .body(Body::from(encode(&[
            ("email", POSTMASTER_A),
            ("password", PASSWORD),
        ])))
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [198, 51, 100, 7],
            1,
        ))));
    assert!(server.send(request).await.session_cookie().is_some());
}

#[tokio::test]
async fn pages_need_a_session_and_say_when_it_expired() {
    let server = TestServer::new().await;
    let anonymous = server.get("/users?q=ann", None).await;
    assert_eq!(anonymous.status, StatusCode::SEE_OTHER);
    assert_eq!(
        anonymous.header("location"),
        Some("/log-on?next=%2Fusers%3Fq%3Dann")
    );

    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    sqlx::query("UPDATE sessions SET last_seen = last_seen - 31 * 60")
        .execute(&server.db)
        .await
        .unwrap();
    let idle = server.get("/users", Some(&cookie)).await;
    assert_eq!(
        idle.header("location"),
        Some("/log-on?next=%2Fusers&expired=1")
    );
    assert_eq!(
        server.count(&session_count_sql(POSTMASTER_A)).await,
        0,
        "the expired session is gone"
    );

    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    sqlx::query("UPDATE sessions SET created_at = created_at - 12 * 3600 - 1")
        .execute(&server.db)
        .await
        .unwrap();
    let old = server.get("/account", Some(&cookie)).await;
    assert_eq!(
        old.header("location"),
        Some("/log-on?next=%2Faccount&expired=1")
    );

    let page = server.get("/log-on?next=/users&expired=1", None).await;
    assert!(
        page.body.contains("Your session has ended"),
        "the log-on page explains"
    );
}

#[tokio::test]
async fn a_session_in_use_is_marked_seen_at_most_once_a_minute() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    // How long ago the session was last marked seen, after a page load.
    let age_after_load = |ago: i64| {
        let (server, cookie) = (&server, &cookie);
        async move {
            sqlx::query("UPDATE sessions SET last_seen = $1")
                .bind(app::ssr::storage::clock::now() - ago)
                .execute(&server.db)
                .await
                .unwrap();
            let page = server.get("/users", Some(cookie)).await;
            assert_eq!(
                page.status,
                StatusCode::OK,
                "signed in {ago} s after the last mark"
            );
            let last_seen = server.count("SELECT last_seen FROM sessions").await;
            app::ssr::storage::clock::now() - last_seen
        }
    };
    assert!(
        age_after_load(30).await >= 30,
        "a page load within the minute writes nothing"
    );
    assert!(
        age_after_load(61).await <= 2,
        "a page load after a minute marks the session"
    );
}

#[tokio::test]
async fn log_off_ends_the_session_on_the_server() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let reply = server.call(LOG_OFF, &[], Some(&cookie)).await;
    let cleared = reply.header("set-cookie").unwrap();
    assert!(cleared.contains("Max-Age=0"), "{cleared}");
    assert_eq!(server.count(&session_count_sql(POSTMASTER_A)).await, 0);
    let after = server.get("/users", Some(&cookie)).await;
    assert_eq!(
        after.status,
        StatusCode::SEE_OTHER,
        "the old cookie opens nothing"
    );
    let logged = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'log_off'")
        .await;
    assert_eq!(logged, 1);
}

#[tokio::test]
async fn a_password_change_ends_the_other_sessions() {
    let server = TestServer::new().await;
    let here = server.log_on(POSTMASTER_A, PASSWORD).await;
    let elsewhere = server.log_on(POSTMASTER_A, PASSWORD).await;
    let change = <app::api::account::ChangeOwnPassword as leptos::server_fn::ServerFn>::PATH;
    let refused = server
        .call(
            change,
            &[
                ("current", "Wrong#pass1"),
                ("password", "New#secret42"),
                ("password_again", "New#secret42"),
            ],
            Some(&here),
        )
        .await;
    assert!(
        refused.body.contains("The current password is wrong"),
        "{}",
        refused.body
    );
    let weak = server
        .call(
            change,
            &[
                ("current", PASSWORD),
                ("password", "abcdefgh"),
                ("password_again", "abcdefgh"),
            ],
            Some(&here),
        )
        .await;
    assert!(weak.body.contains("At least one digit"), "{}", weak.body);
    let ok = server
        .call(
            change,
            &[
                ("current", PASSWORD),
                ("password", "New#secret42"),
                ("password_again", "New#secret42"),
            ],
            Some(&here),
        )
        .await;
    assert!(
        ok.status.is_success() || ok.status.is_redirection(),
        "{} {}",
        ok.status,
        ok.body
    );
    assert_eq!(
        server.get("/users", Some(&here)).await.status,
        StatusCode::OK,
        "this session goes on"
    );
    assert_eq!(
        server.get("/users", Some(&elsewhere)).await.status,
        StatusCode::SEE_OTHER,
        "the other one ended"
    );
    server.log_on(POSTMASTER_A, "New#secret42").await;
}

#[tokio::test]
async fn cross_site_posts_are_refused() {
    let server = TestServer::new().await;
    let body = || Body::from(encode(&[("email", POSTMASTER_A), ("password", PASSWORD)]));
    let foreign_origin = Request::post(LOG_ON)
        .header(header::HOST, "console.test")
        .header(header::ORIGIN, "https://evil.example")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(body())
        .unwrap();
    assert_eq!(
        server.send(foreign_origin).await.status,
        StatusCode::FORBIDDEN
    );
    let fetch_site = post(LOG_ON, None)
        .header("sec-fetch-site", "cross-site")
        .body(body())
        .unwrap();
    assert_eq!(server.send(fetch_site).await.status, StatusCode::FORBIDDEN);
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions").await, 0);
}

#[tokio::test]
async fn every_response_carries_the_security_headers() {
    let server = TestServer::new().await;
    let page = server.get("/log-on", None).await;
    let csp = page.header("content-security-policy").unwrap();
    for directive in [
        "default-src 'self'",
        "'wasm-unsafe-eval'",
        "frame-ancestors 'none'",
        "object-src 'none'",
    ] {
        assert!(csp.contains(directive), "{csp}");
    }
    let nonce = csp
        .split("'nonce-")
        .nth(1)
        .and_then(|rest| rest.split('\'').next())
        .unwrap();
    assert!(
        page.body.contains(&format!("nonce=\"{nonce}\"")),
        "the inline scripts carry the response's nonce"
    );
    let other = server.get("/log-on", None).await;
    assert!(
        !other
            .header("content-security-policy")
            .unwrap()
            .contains(nonce),
        "a new nonce each response"
    );
    assert_eq!(page.header("x-content-type-options"), Some("nosniff"));
    assert_eq!(page.header("referrer-policy"), Some("same-origin"));
    assert!(page
        .header("permissions-policy")
        .unwrap()
        .contains("camera=()"));
    assert!(
        page.header("strict-transport-security").is_none(),
        "HSTS only under TLS"
    );
}

#[tokio::test]
async fn an_oversized_body_is_refused_with_a_readable_page() {
    let server = TestServer::new().await;
    let huge = "x".repeat(5 * 1024 * 1024);
    let reply = server
        .call(
            LOG_ON,
            &[("email", POSTMASTER_A), ("password", &huge)],
            None,
        )
        .await;
    assert_eq!(reply.status, StatusCode::PAYLOAD_TOO_LARGE);
    assert!(reply.body.contains("too large"), "{}", reply.body);
}

#[tokio::test]
async fn the_start_page_leads_to_users_or_log_on() {
    let server = TestServer::new().await;
    assert_eq!(
        server.get("/", None).await.header("location"),
        Some("/log-on")
    );
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    assert_eq!(
        server.get("/", Some(&cookie)).await.header("location"),
        Some("/users")
    );
}

#[tokio::test]
async fn server_functions_refuse_get() {
    let server = TestServer::new().await;
    let reply = server.get(LOG_ON, None).await;
    assert!(reply.status.is_client_error(), "{}", reply.status);
}

#[tokio::test]
async fn overlong_log_on_fields_are_refused_without_writing() {
    let server = TestServer::new().await;
    let long_address = format!("{}@alpha.test", "a".repeat(300));
    let reply = server
        .call(
            LOG_ON,
            &[("email", &long_address), ("password", PASSWORD)],
            None,
        )
        .await;
    assert!(reply.body.contains("too long"), "{}", reply.body);
    let long_password = "x".repeat(2000);
    let reply = server
        .call(
            LOG_ON,
            &[("email", POSTMASTER_A), ("password", &long_password)],
            None,
        )
        .await;
    assert!(reply.body.contains("too long"), "{}", reply.body);
    assert_eq!(
        server.count("SELECT COUNT(*) FROM log_on_attempts").await,
        0
    );
}

#[tokio::test]
async fn every_screen_names_who_is_signed_in_and_only_them() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    for path in [
        "/users?domain=alpha.test",
        "/aliases",
        "/activity",
        "/account",
    ] {
        let page = server.get(path, Some(&cookie)).await;
        assert_eq!(page.status, 200, "{path}");
        assert!(
            page.body
                .contains(&format!("class=\"topbar__email\">{POSTMASTER_A}<")),
            "{path}: {}",
            page.body
        );
        assert!(!page.body.contains(POSTMASTER_B), "{path}");
    }
}
