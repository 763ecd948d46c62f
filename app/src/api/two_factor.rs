//! Two-factor log-on on My password: turn it on (QR code, confirming code, recovery codes
//! shown once) and off (with the password and a code).

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::two_factor::TwoFactorView;

/// Where My password shows two-factor log-on.
#[cfg(feature = "ssr")]
fn section() -> String {
    crate::routes::Account {
        at_two_factor: true,
        ..Default::default()
    }
    .href()
}

/// The signed-in administrator's two-factor log-on, with the recovery codes of an
/// enrolment just confirmed (given once).
#[server]
pub async fn two_factor_status() -> Result<TwoFactorView, AppError> {
    use crate::model::two_factor::TwoFactorState;
    use crate::ssr::access::{request, two_factor};
    let session = request::require_session_to_enrol()?;
    let state = request::app_state()?;
    let settings = &state.two_factor;
    let admin = &session.admin;
    let status = if two_factor::enabled(&state.db, admin.id).await? {
        let (codes_left, old_codes) = two_factor::recovery_codes_left(&state.db, admin.id).await?;
        TwoFactorState::On {
            codes_left,
            old_codes,
            fresh_codes: settings.fresh_codes.take(&session.key()),
        }
    } else {
        match two_factor::unconfirmed(&state.db, settings.key()?, admin).await? {
            Some(enrolment) => TwoFactorState::Enrolling {
                secret: two_factor::grouped(&enrolment.secret),
                qr_svg: two_factor::qr_svg(&enrolment.uri)?,
            },
            None => TwoFactorState::Off,
        }
    };
    Ok(TwoFactorView {
        required: settings.required,
        state: status,
    })
}

/// Starts enrolment: a new secret, shown as a QR code until a code from the app confirms it.
#[server]
pub async fn start_two_factor() -> Result<(), AppError> {
    use crate::ssr::access::{request, two_factor};
    let session = request::require_session_to_enrol()?;
    let state = request::app_state()?;
    two_factor::start(
        &state.db,
        state.two_factor.key()?,
        &session.admin,
        crate::ssr::storage::clock::now(),
    )
    .await?;
    leptos_axum::redirect(&section());
    Ok(())
}

/// Cancels an enrolment not yet confirmed: two-factor log-on stays off.
#[server]
pub async fn cancel_two_factor() -> Result<(), AppError> {
    use crate::ssr::access::{request, two_factor};
    let session = request::require_session_to_enrol()?;
    let state = request::app_state()?;
    two_factor::cancel(&state.db, &session.admin).await?;
    leptos_axum::redirect(&section());
    Ok(())
}

/// New recovery codes in place of the old ones, after the password and a code from the app
/// or a recovery code; the page shows them once, as when two-factor log-on was turned on. Too
/// many wrong codes end this session, and go to Log on, as turning it off does.
#[server]
pub async fn renew_recovery_codes(
    renew_password: String,
    renew_code: String,
) -> Result<(), AppError> {
    use crate::ssr::access::{request, two_factor};
    let session = request::require_session()?;
    let state = request::app_state()?;
    let outcome = two_factor::renew_recovery_codes(
        &state.db,
        &crate::ssr::access::caller::admin_hasher(&session.admin, &state.hasher),
        state.two_factor.key()?,
        &session,
        renew_password,
        &renew_code,
        &request::client_addr(),
    )
    .await
    .map(|codes| state.two_factor.fresh_codes.put(&session.key(), codes));
    after_proof(outcome, &section())
}

/// Confirms enrolment with a code from the app: two-factor log-on is on, the administrator's
/// other sessions end, and the page shows the ten recovery codes once.
#[server]
pub async fn confirm_two_factor(code: String) -> Result<(), AppError> {
    use crate::ssr::access::{request, two_factor};
    let session = request::require_session_to_enrol()?;
    let state = request::app_state()?;
    let codes = two_factor::confirm(
        &state.db,
        state.two_factor.key()?,
        &session,
        &code,
        &request::client_addr(),
        crate::ssr::storage::clock::now(),
    )
    .await?;
    state.two_factor.fresh_codes.put(&session.key(), codes);
    leptos_axum::redirect(&section());
    Ok(())
}

/// Turns two-factor log-on off, after the password and a code from the app or a recovery
/// code; the administrator's other sessions end. Too many wrong codes end this session too,
/// and go to Log on.
#[server]
pub async fn turn_off_two_factor(current_password: String, code: String) -> Result<(), AppError> {
    use crate::ssr::access::{request, two_factor};
    let session = request::require_session()?;
    let state = request::app_state()?;
    let outcome = two_factor::disable(
        &state.db,
        &crate::ssr::access::caller::admin_hasher(&session.admin, &state.hasher),
        state.two_factor.key()?,
        &session,
        current_password,
        &code,
        &request::client_addr(),
    )
    .await;
    let done = crate::routes::Account {
        two_factor_off: true,
        at_two_factor: true,
        ..Default::default()
    };
    after_proof(outcome, &done.href())
}

/// Where a change proved with the password and a code goes: to `done` when it was made; to
/// Log on, with the session's cookie cleared, when too many wrong codes ended the session.
#[cfg(feature = "ssr")]
fn after_proof(outcome: Result<(), AppError>, done: &str) -> Result<(), AppError> {
    use crate::ssr::access::{request, sessions};
    match outcome {
        Ok(()) => leptos_axum::redirect(done),
        Err(AppError::CodesUsedUp) => {
            let policy = &request::app_state()?.policy;
            crate::api::auth::set_cookie(&sessions::clear_cookie(policy))?;
            leptos_axum::redirect(
                &crate::routes::LogOn {
                    codes_used_up: true,
                    ..Default::default()
                }
                .href(),
            );
        }
        Err(error) => return Err(error),
    }
    Ok(())
}
