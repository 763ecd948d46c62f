//! The envelope around every request: client address, session, cross-site refusal, the page
//! guard, and the security headers (CSP with a per-response nonce, no-store, ...).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use app::context::{ClientAddr, CurrentSession, MustEnrol};
use app::routes::{Account, AddAccounts, AddAliases, Home, LogOn, LogOnCode, Users, PUBLIC};
use app::ssr::sessions;
use app::ssr::sessions::SessionPolicy;
use app::ssr::AppState;
use app::ssr::{reserve, two_factor};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// What the guard needs besides the app state.
#[derive(Clone)]
pub struct GuardConfig {
    /// The app state; its session policy names and marks the cookie.
    pub state: AppState,
    /// Behind a reverse proxy: the proxies whose `X-Forwarded-For` names the client. None:
    /// the client is always the peer.
    pub proxies: Option<TrustedProxies>,
    /// Browsers reach the console over HTTPS (its own TLS, or a proxy's): send HSTS.
    pub hsts: bool,
    /// The host names (without port) that requests may name in `Host`; empty: any. A console
    /// on a loopback address answers only to loopback names, so that a web page whose name
    /// an attacker re-points at 127.0.0.1 (DNS rebinding) cannot talk to it.
    pub allowed_hosts: Vec<String>,
    /// The longest a request may take before it is answered "too slow".
    pub request_timeout: Duration,
}

/// The reverse proxies that say which client a request comes from: those listed, or when none
/// are (a console behind a proxy on its own host, on a loopback address), any peer on loopback.
/// Anyone else's `X-Forwarded-For` could name any client it likes.
#[derive(Clone, Debug, Default)]
pub struct TrustedProxies(Vec<IpAddr>);

impl TrustedProxies {
    /// The proxies at `addresses`; none, the loopback addresses.
    pub fn new(addresses: &[IpAddr]) -> Self {
        TrustedProxies(addresses.iter().map(|ip| ip.to_canonical()).collect())
    }

    /// Whether `peer` is one of the proxies.
    pub fn trust(&self, peer: IpAddr) -> bool {
        let peer = peer.to_canonical();
        if self.0.is_empty() {
            peer.is_loopback()
        } else {
            self.0.contains(&peer)
        }
    }
}

/// The names a loopback listener answers to.
pub const LOOPBACK_HOSTS: [&str; 3] = ["localhost", "127.0.0.1", "[::1]"];

/// The nonce that this response's inline scripts carry and its CSP allows.
#[derive(Debug, Clone)]
pub struct CspNonce(pub Arc<str>);

/// Paths anyone may load: the public screens and the site's files; every other page needs a
/// session. Server functions (`/api/`) authorize themselves, so that they can answer with a
/// typed error.
fn is_public(path: &str) -> bool {
    PUBLIC.contains(&path)
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path == "/favicon.ico"
        || path == "/favicon.svg"
        || path == "/navigate.js"
        || path == "/once.js"
}

/// A paste posted to its form page, which answers a post without a session itself: with the
/// paste kept in the page, instead of losing it behind the log-on page.
fn is_paste_post(request: &Request) -> bool {
    let path = request.uri().path();
    request.method() == axum::http::Method::POST
        && (path == AddAccounts::PATH || path == AddAliases::PATH)
}

/// The page where an administrator turns two-factor log-on on.
const ENROLMENT: &str = Account::PATH;

/// Whether the operator requires two-factor log-on and this session's administrator has not
/// turned it on yet.
async fn must_enrol(
    state: &AppState,
    session: &CurrentSession,
) -> Result<bool, app::error::AppError> {
    Ok(state.two_factor.required && !two_factor::enabled(&state.db, session.admin.id).await?)
}

/// A redirect made before the app runs.
fn redirect(location: &str, hsts: bool) -> Response {
    let mut response = (
        StatusCode::SEE_OTHER,
        [(header::LOCATION, location.to_owned())],
    )
        .into_response();
    set_security_headers(response.headers_mut(), "", hsts, true);
    response
}

/// Runs around every request.
pub async fn guard(
    State(config): State<Arc<GuardConfig>>,
    mut request: Request,
    next: Next,
) -> Response {
    if let Some((status, title, message)) = crate::addresses::too_large(&request) {
        return plain_page(status, title, message);
    }
    if !host_allowed(&request, &config.allowed_hosts) {
        return plain_page(
            StatusCode::MISDIRECTED_REQUEST,
            "Unknown name",
            "This console does not answer under that name.",
        );
    }
    if is_cross_site(&request) {
        return plain_page(
            StatusCode::FORBIDDEN,
            "Refused",
            "This request came from another site and was refused.",
        );
    }
    reserve::release_when_low(&config.state.mail);
    let client = client_addr(&request, config.proxies.as_ref());
    let token = sessions::token_from_headers(request.headers(), &config.state.policy);
    let session = match &token {
        Some(token) => {
            match sessions::resume(&config.state.db, &config.state.policy, token).await {
                Ok(admin) => admin.map(|admin| CurrentSession {
                    admin,
                    token: token.clone(),
                }),
                Err(_) => {
                    return plain_page(
                        StatusCode::INTERNAL_SERVER_ERROR,
                        "Server error",
                        "Something went wrong on the server. Please try again.",
                    )
                }
            }
        }
        None => None,
    };
    let path = request.uri().path().to_owned();
    if path == Home::PATH {
        let home = if session.is_some() {
            Users::PATH
        } else {
            LogOn::PATH
        };
        return (StatusCode::SEE_OTHER, [(header::LOCATION, home)]).into_response();
    }
    // The code form needs a pending log-on; its cookie ends with it.
    if path == LogOnCode::PATH
        && sessions::pending_from_headers(request.headers(), &config.state.policy).is_none()
    {
        let expired = LogOn {
            code_expired: true,
            ..LogOn::default()
        };
        return redirect(&expired.href(), config.hsts);
    }
    // Pages, loaded or posted to, need a session; server functions and the pastes' form pages
    // answer for themselves.
    if session.is_none() && !is_public(&path) && !is_paste_post(&request) {
        return to_log_on(
            request.uri(),
            token.is_some(),
            &config.state.policy,
            config.hsts,
        );
    }
    if let Some(session) = &session {
        match must_enrol(&config.state, session).await {
            Ok(false) => {}
            // Site files and server functions answer for themselves.
            Ok(true) if path == ENROLMENT || is_public(&path) => {
                request.extensions_mut().insert(MustEnrol);
            }
            Ok(true) => return redirect(ENROLMENT, config.hsts),
            Err(_) => {
                return plain_page(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "Server error",
                    "Something went wrong on the server. Please try again.",
                )
            }
        }
    }
    let nonce = new_nonce();
    request.extensions_mut().insert(ClientAddr(client));
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    if let Some(session) = session {
        request.extensions_mut().insert(session);
    }
    crate::addresses::fresh_referer(&mut request);

    let mut response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response = plain_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too large",
            "What you sent is too large. Please send less at a time.",
        );
    } else if response.status() == StatusCode::REQUEST_TIMEOUT {
        response = plain_page(
            StatusCode::REQUEST_TIMEOUT,
            "Too slow",
            "The request took too long and was stopped. Please try again.",
        );
    }
    set_security_headers(
        response.headers_mut(),
        &nonce,
        config.hsts,
        !path.starts_with("/pkg/"),
    );
    response
}

/// The host the request names: `Host`, or the URI's authority (HTTP/2 carries it there).
fn request_host(request: &Request) -> Option<&str> {
    request
        .headers()
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        })
}

/// Whether the request names a host the console answers to (any, when none are set).
fn host_allowed(request: &Request, allowed: &[String]) -> bool {
    if allowed.is_empty() {
        return true;
    }
    let Some(host) = request_host(request) else {
        return false;
    };
    // Strip the port: "[::1]:8000" → "[::1]", "localhost:8000" → "localhost".
    let name = match host.rsplit_once(':') {
        Some((name, port))
            if !name.is_empty()
                && port.bytes().all(|b| b.is_ascii_digit())
                && !port.is_empty()
                && (!name.starts_with('[') || name.ends_with(']')) =>
        {
            name
        }
        _ => host,
    };
    allowed
        .iter()
        .any(|allowed| allowed.eq_ignore_ascii_case(name))
}

/// A state-changing request that a browser did not show to come from this site. Every
/// browser of the last years sends `Sec-Fetch-Site` or `Origin` with a POST; a request with
/// neither is not one our pages sent, so it is refused rather than trusted.
fn is_cross_site(request: &Request) -> bool {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return false;
    }
    let headers = request.headers();
    if let Some(site) = headers.get("sec-fetch-site") {
        return !(site == "same-origin" || site == "none");
    }
    match (
        headers
            .get(header::ORIGIN)
            .and_then(|origin| origin.to_str().ok()),
        request_host(request),
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
        _ => true,
    }
}

/// The client's address: the peer's, or when the peer is a trusted proxy the one it appended
/// last to `X-Forwarded-For` (the last item of its last line: earlier items, and earlier
/// lines, may come from the client itself). Text that is not an IP address is ignored.
fn client_addr(request: &Request, proxies: Option<&TrustedProxies>) -> String {
    let peer = request
        .extensions()
        .get::<ConnectInfo<SocketAddr>>()
        .map(|info| info.0.ip());
    let forwarded = || {
        let peer = peer?;
        if !proxies?.trust(peer) {
            return None;
        }
        let last_line = request
            .headers()
            .get_all("x-forwarded-for")
            .iter()
            .next_back()?;
        let hop = last_line.to_str().ok()?.rsplit(',').next()?.trim();
        parse_hop(hop)
    };
    forwarded()
        .or(peer)
        .map(|ip| ip.to_canonical().to_string())
        .unwrap_or_default()
}

/// An address as proxies write it: `192.0.2.1`, `2001:db8::1`, `[2001:db8::1]:4711`, `192.0.2.1:4711`.
fn parse_hop(hop: &str) -> Option<IpAddr> {
    hop.parse::<IpAddr>()
        .ok()
        .or_else(|| hop.parse::<SocketAddr>().ok().map(|addr| addr.ip()))
}

/// Sends a visitor without a (live) session to Log on, to come back here afterwards.
fn to_log_on(uri: &axum::http::Uri, expired: bool, policy: &SessionPolicy, hsts: bool) -> Response {
    let next = uri.path_and_query().map_or(Home::PATH, |pq| pq.as_str());
    let location = LogOn {
        next: Some(next),
        expired,
        ..LogOn::default()
    }
    .href();
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    if expired {
        if let Ok(value) = HeaderValue::from_str(&sessions::clear_cookie(policy)) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    set_security_headers(response.headers_mut(), "", hsts, true);
    response
}

fn new_nonce() -> Arc<str> {
    let mut bytes = [0u8; 18];
    // Falls back to a fixed value only if the OS has no randomness, which never happens on Linux.
    let _ = getrandom::fill(&mut bytes);
    base64::engine::general_purpose::STANDARD
        .encode(bytes)
        .into()
}

/// The headers of every response; `nonce` is empty for pages without inline scripts.
fn set_security_headers(headers: &mut HeaderMap, nonce: &str, tls: bool, no_store: bool) {
    let nonce = if nonce.is_empty() {
        String::new()
    } else {
        format!(" 'nonce-{nonce}'")
    };
    let csp = format!(
        "default-src 'self'; script-src 'self'{nonce} 'wasm-unsafe-eval'; style-src 'self'; \
         img-src 'self' data:; connect-src 'self'; form-action 'self'; base-uri 'none'; \
         object-src 'none'; frame-ancestors 'none'"
    );
    let pairs = [
        (header::CONTENT_SECURITY_POLICY, csp),
        (header::X_CONTENT_TYPE_OPTIONS, "nosniff".to_owned()),
        // Same-origin rather than no-referrer: a form posted without JavaScript comes back to
        // its page through the Referer, and it never leaves the site.
        (header::REFERRER_POLICY, "same-origin".to_owned()),
        (
            header::HeaderName::from_static("permissions-policy"),
            "camera=(), microphone=(), geolocation=(), payment=()".to_owned(),
        ),
        (header::X_FRAME_OPTIONS, "DENY".to_owned()),
    ];
    for (name, value) in pairs {
        if let Ok(value) = HeaderValue::from_str(&value) {
            headers.insert(name, value);
        }
    }
    if no_store {
        headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    }
    if tls {
        headers.insert(
            header::STRICT_TRANSPORT_SECURITY,
            HeaderValue::from_static("max-age=31536000"),
        );
    }
}

/// A small readable page for refusals made before the app runs.
pub(crate) fn plain_page(status: StatusCode, title: &str, message: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title} · Virtual Postmaster</title></head>\
         <body><main><h1>{title}</h1><p>{message}</p><p><a href=\"{home}\">Back to Virtual Postmaster</a></p></main></body></html>",
        home = Home::PATH,
    );
    let mut response = (
        status,
        [(header::CONTENT_TYPE, "text/html; charset=utf-8")],
        Body::from(html),
    )
        .into_response();
    set_security_headers(response.headers_mut(), "", false, true);
    response
}
