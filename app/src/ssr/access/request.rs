//! The checks every server function starts with: the signed-in session and the client's
//! address the server's middleware put on the request, the shared state, and the caller's
//! scope over a domain. Log on and log off are in [`super::auth`].

use super::caller::{Caller, DomainScope};
use super::sessions::{self, SessionPolicy};
use super::state::AppState;
use crate::context::{Admin, ClientAddr, CurrentSession, MustEnrol};
use crate::error::AppError;

/// The request's parts, from the Leptos context of a server function or page.
fn request_parts() -> Result<axum::http::request::Parts, AppError> {
    leptos::prelude::use_context::<axum::http::request::Parts>().ok_or_else(|| {
        tracing::error!("no request in context");
        AppError::Internal
    })
}

/// The shared state, from the Leptos context.
pub fn app_state() -> Result<AppState, AppError> {
    leptos::prelude::use_context::<AppState>().ok_or_else(|| {
        tracing::error!("no state in context");
        AppError::Internal
    })
}

/// The signed-in session of this request, or `Unauthenticated` (`Forbidden` while it must
/// turn two-factor log-on on first). Every server function that touches data starts here.
pub fn require_session() -> Result<CurrentSession, AppError> {
    let parts = request_parts()?;
    if parts.extensions.get::<MustEnrol>().is_some() {
        return Err(AppError::Forbidden);
    }
    session_of(&parts)
}

/// The signed-in session even while it must still turn two-factor log-on on: for enrolment,
/// who is signed in, and log off.
pub fn require_session_to_enrol() -> Result<CurrentSession, AppError> {
    session_of(&request_parts()?)
}

fn session_of(parts: &axum::http::request::Parts) -> Result<CurrentSession, AppError> {
    parts
        .extensions
        .get::<CurrentSession>()
        .cloned()
        .ok_or(AppError::Unauthenticated)
}

/// The token of this request's pending log-on (a right password whose code is due), if its
/// cookie came along.
pub fn pending_token(policy: &SessionPolicy) -> Option<String> {
    sessions::pending_from_headers(&request_parts().ok()?.headers, policy)
}

/// The signed-in administrator of this request, or `Unauthenticated`.
pub fn require_admin() -> Result<Admin, AppError> {
    require_session().map(|session| session.admin)
}

/// The client address of this request.
pub fn client_addr() -> String {
    request_parts()
        .ok()
        .and_then(|parts| parts.extensions.get::<ClientAddr>().cloned())
        .unwrap_or_default()
        .0
}

/// The signed-in administrator's scope over `domain` (or their first domain), for a server
/// function (see [`DomainScope::of`]).
pub async fn require_domain(domain: Option<&str>) -> Result<DomainScope, AppError> {
    let caller = require_caller()?;
    let state = app_state()?;
    DomainScope::of(&state.db, caller, domain).await
}

/// The signed-in administrator of this request as a service's caller, with their address.
pub fn require_caller() -> Result<Caller, AppError> {
    Ok(Caller::web(&require_session()?, client_addr()))
}
