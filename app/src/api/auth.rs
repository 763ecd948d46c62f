//! Log on, log off and who is signed in.

use leptos::prelude::*;
use serde::{Deserialize, Serialize};

use crate::error::AppError;

/// The signed-in administrator as the screens show it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Administrator {
    pub email: String,
    pub superadmin: bool,
}

/// Where to go after log on: a local path only, so a crafted link cannot send the
/// postmaster to another site.
pub fn safe_next(next: Option<&str>) -> String {
    match next {
        Some(path) if path.starts_with('/') && !path.starts_with("//") && !path.contains('\\') => {
            path.to_owned()
        }
        _ => "/users".to_owned(),
    }
}

/// Checks the address and password, opens a session and goes to `next` (or Users).
#[server]
pub async fn log_on(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::ssr::auth;
    let state = auth::app_state()?;
    let response = expect_context::<leptos_axum::ResponseOptions>();
    let session = match auth::log_on(&state, &email, password, &auth::client_addr()).await {
        Ok(session) => session,
        Err(AppError::Throttled(seconds)) => {
            if let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
                response.insert_header(axum::http::header::RETRY_AFTER, value);
            }
            return Err(AppError::Throttled(seconds));
        }
        Err(error) => return Err(error),
    };
    let cookie = auth::session_cookie(&session.token, &state.policy);
    let cookie = axum::http::HeaderValue::from_str(&cookie).map_err(|_| AppError::Internal)?;
    response.insert_header(axum::http::header::SET_COOKIE, cookie);
    leptos_axum::redirect(&safe_next(next.as_deref()));
    Ok(())
}

/// Ends the session here and on the server, with the generated passwords it still held, then
/// shows Log on.
#[server]
pub async fn log_off() -> Result<(), AppError> {
    use crate::ssr::auth;
    let state = auth::app_state()?;
    if let Ok(session) = auth::require_session() {
        state.batches.forget_session(&session.key());
        auth::end(
            &state.db,
            &session.token,
            &session.admin,
            &auth::client_addr(),
        )
        .await?;
    }
    let response = expect_context::<leptos_axum::ResponseOptions>();
    let cookie = axum::http::HeaderValue::from_str(&auth::clear_cookie(&state.policy))
        .map_err(|_| AppError::Internal)?;
    response.insert_header(axum::http::header::SET_COOKIE, cookie);
    leptos_axum::redirect("/log-on?signed_out=1");
    Ok(())
}

/// Who is signed in, for the top bar.
#[server]
pub async fn signed_in() -> Result<Administrator, AppError> {
    let admin = crate::ssr::auth::require_admin()?;
    Ok(Administrator {
        email: admin.email,
        superadmin: admin.superadmin,
    })
}
