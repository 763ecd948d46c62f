//! A request whose query or form would give an input a NUL is refused as invalid before any
//! page, server function or service reads it: no field has a use for one, and PostgreSQL's
//! text cannot hold one, so it would otherwise fail as a server error wherever it reached the
//! database.

use app::error::AppError;
use app::validate::{encoded_nul, NUL_REFUSED};
use axum::body::{to_bytes, Body};
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};

use crate::guard::plain_page;

/// Refuses a request that carries a NUL in its query or its body; passes the rest on, their
/// body read once and handed on whole. Every body is checked, whatever its content type says:
/// a server function reads any body as its form, and no route takes another kind. Runs inside
/// the body limit.
pub async fn refuse_nul(request: Request, next: Next) -> Response {
    let in_query = request
        .uri()
        .query()
        .is_some_and(|query| encoded_nul(query.as_bytes()));
    if in_query {
        return refused(request.headers());
    }
    let (parts, body) = request.into_parts();
    // The body limit around this stops a body too large while it is read.
    let Ok(bytes) = to_bytes(body, usize::MAX).await else {
        return StatusCode::PAYLOAD_TOO_LARGE.into_response();
    };
    if encoded_nul(&bytes) {
        return refused(&parts.headers);
    }
    next.run(Request::from_parts(parts, Body::from(bytes)))
        .await
}

/// A page for a browser; for the app's own calls, the refusal its server functions send.
fn refused(headers: &HeaderMap) -> Response {
    let wants_page = headers
        .get(header::ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"));
    let message = format!("{NUL_REFUSED}.");
    if wants_page {
        return plain_page(StatusCode::BAD_REQUEST, "Not valid", &message);
    }
    let body = serde_json::to_string(&AppError::Invalid(message)).unwrap_or_default();
    (
        StatusCode::BAD_REQUEST,
        [(header::CONTENT_TYPE, "application/json")],
        body,
    )
        .into_response()
}
