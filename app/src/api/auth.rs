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

/// Where to go after log on: a path of this site made only of characters that need no
/// escaping in a `Location` header, so a crafted link cannot send the postmaster to another
/// site (`//host`, `/\host`, or a tab or newline that browsers strip) nor break the answer.
pub fn safe_next(next: Option<&str>) -> String {
    let safe = |path: &str| {
        path.starts_with('/')
            && !path.starts_with("//")
            && path.len() <= 2048
            && path
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"/-._~?=&%+".contains(&b))
    };
    match next {
        Some(path) if safe(path) => path.to_owned(),
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

#[cfg(test)]
mod tests {
    use super::safe_next;

    #[test]
    fn next_is_a_plain_path_of_this_site_or_users() {
        for good in [
            "/users",
            "/users/edit?email=jane%40alpha.test&x=1",
            "/activity?page=2",
        ] {
            assert_eq!(safe_next(Some(good)), good);
        }
        for bad in [
            "https://evil.example/",
            "//evil.example",
            "/\\evil.example",
            "/\t/evil.example",
            "/\t\t/evil.example",
            "/users\r\nSet-Cookie: x=1",
            "/users\n",
            "users",
            "/caf\u{e9}",
            "",
        ] {
            assert_eq!(safe_next(Some(bad)), "/users", "{bad:?}");
        }
        assert_eq!(safe_next(None), "/users");
    }
}
