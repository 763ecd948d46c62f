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
        _ => crate::routes::Users::PATH.to_owned(),
    }
}

/// Checks the address and password, opens a session and goes to `next` (or Users). With
/// two-factor log-on on, no session yet: a pending log-on's cookie, and the code form.
#[server]
pub async fn log_on(email: String, password: String, next: Option<String>) -> Result<(), AppError> {
    use crate::ssr::access::log_on::{self, LogOnStep};
    use crate::ssr::access::{request, sessions};
    let state = request::app_state()?;
    // A refusal keeps the address typed, to draw it again; never the password.
    let typed = [(crate::validate::Field::LogOnAddress, email.as_str())];
    let step = log_on::log_on(&state, &email, password, &request::client_addr())
        .await
        .map_err(|error| error.keeping(&typed));
    let step = throttled(step)?;
    let next = safe_next(next.as_deref());
    match step {
        LogOnStep::Session(session) => {
            set_cookie(&sessions::session_cookie(&session.token, &state.policy))?;
            leptos_axum::redirect(&next);
        }
        LogOnStep::CodeDue(token) => {
            set_cookie(&sessions::pending_cookie(&token, &state.policy))?;
            leptos_axum::redirect(&crate::routes::LogOnCode { next: Some(&next) }.href());
        }
    }
    Ok(())
}

/// The second step of a log-on with two-factor: a code from the app, or a recovery code,
/// for the pending log-on in this request's cookie. A right one opens the session; a pending
/// log-on that is gone (expired, or already used) goes back to the password, as does one that
/// took too many wrong codes.
#[server]
pub async fn log_on_code(code: String, next: Option<String>) -> Result<(), AppError> {
    use crate::ssr::access::{request, sessions, two_factor};
    let state = request::app_state()?;
    let next = safe_next(next.as_deref());
    let outcome = match request::pending_token(&state.policy) {
        Some(token) => {
            two_factor::complete_log_on(
                &state.db,
                state.two_factor.key()?,
                &token,
                &code,
                &request::client_addr(),
                crate::ssr::storage::clock::now(),
            )
            .await
        }
        None => Err(AppError::Unauthenticated),
    };
    match throttled(outcome) {
        Ok(session) => {
            set_cookie(&sessions::session_cookie(&session.token, &state.policy))?;
            set_cookie(&sessions::clear_pending_cookie(&state.policy))?;
            leptos_axum::redirect(&next);
            Ok(())
        }
        Err(error @ (AppError::Unauthenticated | AppError::CodesUsedUp)) => {
            set_cookie(&sessions::clear_pending_cookie(&state.policy))?;
            let codes_used_up = error == AppError::CodesUsedUp;
            let back = crate::routes::LogOn {
                codes_used_up,
                code_expired: !codes_used_up,
                next: Some(&next),
                ..Default::default()
            };
            leptos_axum::redirect(&back.href());
            Ok(())
        }
        Err(error) => Err(error),
    }
}

/// Adds a `Set-Cookie` header to the answer.
#[cfg(feature = "ssr")]
pub(crate) fn set_cookie(cookie: &str) -> Result<(), AppError> {
    let value = axum::http::HeaderValue::from_str(cookie).map_err(|_| AppError::Internal)?;
    expect_context::<leptos_axum::ResponseOptions>()
        .append_header(axum::http::header::SET_COOKIE, value);
    Ok(())
}

/// Passes `outcome` on; a throttled one also tells the browser when to try again.
#[cfg(feature = "ssr")]
fn throttled<T>(outcome: Result<T, AppError>) -> Result<T, AppError> {
    if let Err(AppError::Throttled(seconds)) = &outcome {
        if let Ok(value) = axum::http::HeaderValue::from_str(&seconds.to_string()) {
            expect_context::<leptos_axum::ResponseOptions>()
                .insert_header(axum::http::header::RETRY_AFTER, value);
        }
    }
    outcome
}

/// Ends the session here and on the server, with the generated passwords it still held, then
/// shows Log on.
#[server]
pub async fn log_off() -> Result<(), AppError> {
    use crate::ssr::access::{request, sessions};
    let state = request::app_state()?;
    if let Ok(session) = crate::ssr::access::request::require_session_to_enrol() {
        state.batches.forget_session(&session.key());
        sessions::end(
            &state.db,
            &session.token,
            &session.admin,
            &request::client_addr(),
        )
        .await?;
    }
    set_cookie(&sessions::clear_cookie(&state.policy))?;
    leptos_axum::redirect(
        &crate::routes::LogOn {
            signed_out: true,
            ..Default::default()
        }
        .href(),
    );
    Ok(())
}

/// Who is signed in, for the browser.
#[server]
pub async fn signed_in() -> Result<Administrator, AppError> {
    signed_in_here().ok_or(AppError::Unauthenticated)
}

/// Who is signed in, read as the server renders the page: the frame of every screen is only
/// ever rendered there, so it needs neither a round trip nor a wait.
pub fn signed_in_here() -> Option<Administrator> {
    #[cfg(feature = "ssr")]
    return crate::ssr::access::request::require_session_to_enrol()
        .ok()
        .map(|session| Administrator {
            email: session.admin.email,
            superadmin: session.admin.superadmin,
        });
    #[cfg(not(feature = "ssr"))]
    None
}

#[cfg(test)]
mod tests {
    use super::safe_next;
    use crate::routes::{Activity, EditAccount, Users};

    #[test]
    fn next_is_a_plain_path_of_this_site_or_users() {
        let edit = EditAccount {
            email: "jane@alpha.test",
            saved: true,
            ..EditAccount::default()
        };
        let activity = Activity {
            page: Some(2),
            ..Activity::default()
        };
        for good in [Users::PATH.to_owned(), edit.href(), activity.href()] {
            assert_eq!(safe_next(Some(&good)), good);
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
            assert_eq!(safe_next(Some(bad)), Users::PATH, "{bad:?}");
        }
        assert_eq!(safe_next(None), Users::PATH);
    }
}
