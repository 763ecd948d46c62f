//! The envelope around every request: client address, session, cross-site refusal, the page
//! guard, and the security headers (CSP with a per-response nonce, no-store, ...).

use std::net::SocketAddr;
use std::sync::Arc;

use app::ssr::auth::{self, ClientAddr, CurrentSession, SessionPolicy};
use app::ssr::state::AppState;
use app::url::encode_query;
use axum::body::Body;
use axum::extract::{ConnectInfo, Request, State};
use axum::http::{header, HeaderMap, HeaderValue, Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use base64::Engine;

/// What the guard needs besides the app state.
#[derive(Clone)]
pub struct GuardConfig {
    pub state: AppState,
    pub policy: SessionPolicy,
    /// Trust `X-Forwarded-For` for the client address.
    pub behind_proxy: bool,
    /// Serving TLS: send HSTS.
    pub tls: bool,
}

/// The nonce that this response's inline scripts carry and its CSP allows.
#[derive(Debug, Clone)]
pub struct CspNonce(pub Arc<str>);

/// Paths anyone may load; every other page needs a session. Server functions (`/api/`)
/// authorize themselves, so that they can answer with a typed error.
fn is_public(path: &str) -> bool {
    path == "/"
        || path == "/log-on"
        || path.starts_with("/pkg/")
        || path.starts_with("/api/")
        || path == "/favicon.ico"
}

/// Runs around every request.
pub async fn guard(
    State(config): State<Arc<GuardConfig>>,
    mut request: Request,
    next: Next,
) -> Response {
    if is_cross_site(&request) {
        return plain_page(
            StatusCode::FORBIDDEN,
            "Refused",
            "This request came from another site and was refused.",
        );
    }
    let client = client_addr(&request, config.behind_proxy);
    let token = auth::token_from_headers(request.headers());
    let session = match &token {
        Some(token) => match auth::resume(&config.state.db, &config.policy, token).await {
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
        },
        None => None,
    };
    let path = request.uri().path().to_owned();
    if path == "/" {
        let home = if session.is_some() {
            "/users"
        } else {
            "/log-on"
        };
        return (StatusCode::SEE_OTHER, [(header::LOCATION, home)]).into_response();
    }
    // Pages, loaded or posted to, need a session; server functions answer for themselves.
    if session.is_none() && !is_public(&path) {
        return to_log_on(request.uri(), token.is_some());
    }
    let nonce = new_nonce();
    request.extensions_mut().insert(ClientAddr(client));
    request.extensions_mut().insert(CspNonce(nonce.clone()));
    if let Some(session) = session {
        request.extensions_mut().insert(session);
    }

    let mut response = next.run(request).await;
    if response.status() == StatusCode::PAYLOAD_TOO_LARGE {
        response = plain_page(
            StatusCode::PAYLOAD_TOO_LARGE,
            "Too large",
            "What you sent is too large. Please send less at a time.",
        );
    }
    set_security_headers(
        response.headers_mut(),
        &nonce,
        config.tls,
        !path.starts_with("/pkg/"),
    );
    response
}

/// A state-changing request whose browser says it comes from another site.
fn is_cross_site(request: &Request) -> bool {
    if matches!(
        *request.method(),
        Method::GET | Method::HEAD | Method::OPTIONS
    ) {
        return false;
    }
    let headers = request.headers();
    if headers
        .get("sec-fetch-site")
        .is_some_and(|site| site == "cross-site" || site == "same-site")
    {
        return true;
    }
    // HTTP/2 carries the host in the URI's authority rather than a Host header.
    let host = headers
        .get(header::HOST)
        .and_then(|host| host.to_str().ok())
        .or_else(|| {
            request
                .uri()
                .authority()
                .map(|authority| authority.as_str())
        });
    match (
        headers
            .get(header::ORIGIN)
            .and_then(|origin| origin.to_str().ok()),
        host,
    ) {
        (Some(origin), Some(host)) => origin.split_once("://").map(|(_, rest)| rest) != Some(host),
        (Some(_), None) => true,
        (None, _) => false,
    }
}

fn client_addr(request: &Request, behind_proxy: bool) -> String {
    let forwarded = behind_proxy
        .then(|| {
            request
                .headers()
                .get("x-forwarded-for")?
                .to_str()
                .ok()?
                .split(',')
                .next_back()
                .map(|addr| addr.trim().to_owned())
        })
        .flatten();
    forwarded
        .or_else(|| {
            request
                .extensions()
                .get::<ConnectInfo<SocketAddr>>()
                .map(|info| info.0.ip().to_string())
        })
        .unwrap_or_default()
}

/// Sends a visitor without a (live) session to Log on, to come back here afterwards.
fn to_log_on(uri: &axum::http::Uri, expired: bool) -> Response {
    let next = uri.path_and_query().map_or("/", |pq| pq.as_str());
    let mut location = format!("/log-on?next={}", encode_query(next));
    if expired {
        location.push_str("&expired=1");
    }
    let mut response = (StatusCode::SEE_OTHER, [(header::LOCATION, location)]).into_response();
    if expired {
        if let Ok(value) = HeaderValue::from_str(&auth::clear_cookie(&SessionPolicy::default())) {
            response.headers_mut().insert(header::SET_COOKIE, value);
        }
    }
    set_security_headers(response.headers_mut(), "", false, true);
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
fn plain_page(status: StatusCode, title: &str, message: &str) -> Response {
    let html = format!(
        "<!DOCTYPE html><html lang=\"en\"><head><meta charset=\"utf-8\"><meta name=\"viewport\" \
         content=\"width=device-width, initial-scale=1\"><title>{title} · Virtual Postmaster</title></head>\
         <body><main><h1>{title}</h1><p>{message}</p><p><a href=\"/\">Back to Virtual Postmaster</a></p></main></body></html>"
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
