//! The envelope around every request, probed as an attacker would: the proxy's headers, the
//! cookie behind TLS, where log on may lead, requests without a browser's marks, foreign host
//! names, slow requests.

mod support;

use std::time::Duration;

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use server::guard::{TrustedProxies, LOOPBACK_HOSTS};
use support::*;

/// The client address the audit log recorded for the newest log-on.
async fn last_log_on_client(server: &TestServer) -> String {
    sqlx::query_scalar(
        "SELECT client_addr FROM audit_log WHERE action = 'log_on' ORDER BY id DESC LIMIT 1",
    )
    .fetch_one(&server.db)
    .await
    .unwrap()
}

fn log_on_form() -> axum::http::request::Builder {
    post(LOG_ON, None)
}

fn credentials() -> Body {
    Body::from(encode(&[("email", POSTMASTER_A), ("password", PASSWORD)]))
}

/// A console behind the proxy at 192.0.2.1, the address requests come from unless a test
/// sets another.
async fn behind_a_proxy() -> TestServer {
    TestServer::with_guard(|config| {
        config.proxies = Some(TrustedProxies::new(&["192.0.2.1".parse().unwrap()]));
        config.hsts = true;
        config.state.policy.secure_cookie = true;
    })
    .await
}

#[tokio::test]
async fn behind_a_proxy_the_cookie_is_secure_and_host_only_and_hsts_is_sent() {
    let server = behind_a_proxy().await;
    let reply = server
        .send(log_on_form().body(credentials()).unwrap())
        .await;
    let set_cookie = reply.header("set-cookie").unwrap().to_owned();
    assert!(
        set_cookie.starts_with("__Host-vpm_session="),
        "{set_cookie}"
    );
    assert!(set_cookie.contains("; Secure") && set_cookie.contains("Path=/"));
    assert!(!set_cookie.to_ascii_lowercase().contains("domain="));
    let cookie = reply.session_cookie().unwrap();
    let page = server.get("/users", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::OK);
    assert_eq!(
        page.header("strict-transport-security"),
        Some("max-age=31536000")
    );
    let token = cookie.split_once('=').unwrap().1;
    let plain = server
        .get("/users", Some(&format!("vpm_session={token}")))
        .await;
    assert_eq!(
        plain.status,
        StatusCode::SEE_OTHER,
        "a cookie without the __Host- name is not read"
    );
}

#[tokio::test]
async fn the_client_is_the_proxys_last_hop_parsed_as_an_address() {
    let server = behind_a_proxy().await;
    // The client wrote the first line and the start of the second; the proxy appended its hop.
    let request = log_on_form()
        .header("x-forwarded-for", "10.9.9.9")
        .header("x-forwarded-for", "10.8.8.8, 198.51.100.20")
        .body(credentials())
        .unwrap();
    server.send(request).await;
    assert_eq!(last_log_on_client(&server).await, "198.51.100.20");
    let bracketed = log_on_form()
        .header("x-forwarded-for", "[2001:db8::7]:4711")
        .body(credentials())
        .unwrap();
    server.send(bracketed).await;
    assert_eq!(last_log_on_client(&server).await, "2001:db8::7");
    let garbage = log_on_form()
        .header("x-forwarded-for", "<script>, evil")
        .body(credentials())
        .unwrap();
    server.send(garbage).await;
    assert_eq!(
        last_log_on_client(&server).await,
        "192.0.2.1",
        "text that is no address falls back to the peer"
    );
}

#[tokio::test]
async fn behind_a_proxy_another_peer_cannot_name_its_client() {
    let server = behind_a_proxy().await;
    let mut request = log_on_form()
        .header("x-forwarded-for", "198.51.100.20")
        .body(credentials())
        .unwrap();
    request
        .extensions_mut()
        .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
            [203, 0, 113, 9],
            40000,
        ))));
    server.send(request).await;
    assert_eq!(
        last_log_on_client(&server).await,
        "203.0.113.9",
        "the peer, which is not the proxy, is the client"
    );
}

#[tokio::test]
async fn after_log_on_next_leads_only_to_a_plain_path_of_this_site() {
    let server = TestServer::new().await;
    for (next, expected) in [
        ("/account", "/account"),
        ("/\t/evil.example", "/users"),
        ("/\\evil.example", "/users"),
        ("/users\nSet-Cookie: a=b", "/users"),
        ("/users\r\n", "/users"),
    ] {
        let request = log_on_form()
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, "http://console.test/log-on")
            .body(Body::from(encode(&[
                ("email", POSTMASTER_A),
                ("password", PASSWORD),
                ("next", next),
            ])))
            .unwrap();
        let reply = server.send(request).await;
        assert_eq!(reply.status, StatusCode::FOUND, "next={next:?}");
        assert_eq!(reply.header("location"), Some(expected), "next={next:?}");
    }
}

#[tokio::test]
async fn a_post_without_origin_or_fetch_metadata_is_refused() {
    let server = TestServer::new().await;
    let bare = Request::post(LOG_ON)
        .header(header::HOST, "console.test")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(credentials())
        .unwrap();
    assert_eq!(server.send(bare).await.status, StatusCode::FORBIDDEN);
    let same_origin = Request::post(LOG_ON)
        .header(header::HOST, "console.test")
        .header("sec-fetch-site", "same-origin")
        .header(header::CONTENT_TYPE, "application/x-www-form-urlencoded")
        .body(credentials())
        .unwrap();
    assert!(server.send(same_origin).await.session_cookie().is_some());
    let same_site = log_on_form()
        .header("sec-fetch-site", "same-site")
        .body(credentials())
        .unwrap();
    assert_eq!(
        server.send(same_site).await.status,
        StatusCode::FORBIDDEN,
        "a sibling subdomain is another site for the console"
    );
}

#[tokio::test]
async fn a_loopback_console_answers_only_to_loopback_names() {
    let server = TestServer::with_guard(|config| {
        config.allowed_hosts = LOOPBACK_HOSTS.map(str::to_owned).to_vec();
    })
    .await;
    let with_host = |host: &str| {
        Request::get("/log-on")
            .header(header::HOST, host)
            .body(Body::empty())
            .unwrap()
    };
    for host in [
        "127.0.0.1:8000",
        "localhost:8000",
        "[::1]:8000",
        "LOCALHOST",
    ] {
        assert_eq!(
            server.send(with_host(host)).await.status,
            StatusCode::OK,
            "{host}"
        );
    }
    for host in [
        "rebound.evil.example",
        "rebound.evil.example:8000",
        "127.0.0.1.evil.example",
    ] {
        let reply = server.send(with_host(host)).await;
        assert_eq!(reply.status, StatusCode::MISDIRECTED_REQUEST, "{host}");
        assert!(reply.body.contains("does not answer under that name"));
    }
}

#[tokio::test]
async fn the_svg_icon_needs_no_session() {
    let server = TestServer::new().await;
    let icon = server.get("/favicon.svg", None).await;
    assert_ne!(icon.status, StatusCode::SEE_OTHER, "not sent to log on");
}

#[tokio::test]
async fn a_request_that_takes_too_long_is_stopped_with_a_readable_page() {
    let server = TestServer::with_guard(|config| {
        config.request_timeout = Duration::from_millis(200);
    })
    .await;
    // A client that announces a body and never sends it.
    let never = futures_util::stream::pending::<Result<Vec<u8>, std::io::Error>>();
    let request = log_on_form()
        .header(header::CONTENT_LENGTH, "100")
        .body(Body::from_stream(never))
        .unwrap();
    let reply = server.send(request).await;
    assert_eq!(reply.status, StatusCode::REQUEST_TIMEOUT);
    assert!(reply.body.contains("took too long"), "{}", reply.body);
}
