//! The signed-in administrator's own account.

use leptos::prelude::*;

use crate::error::AppError;

/// Changes the signed-in administrator's password; their other sessions end.
#[server]
pub async fn change_own_password(
    current: String,
    password: String,
    password_again: String,
) -> Result<(), AppError> {
    use crate::ssr::access::{admins, request};
    let session = request::require_session()?;
    if password != password_again {
        use crate::validate::{Field, Rule, PASSWORDS_DIFFER};
        return Err(AppError::beside(
            Field::PasswordAgain,
            Some(Rule::PasswordsDiffer),
            PASSWORDS_DIFFER,
        ));
    }
    let state = request::app_state()?;
    admins::change_own_password(
        &state.db,
        &crate::ssr::access::caller::admin_hasher(&session.admin, &state.hasher),
        &session,
        &request::client_addr(),
        current,
        &password,
    )
    .await?;
    leptos_axum::redirect(
        &crate::routes::Account {
            changed: true,
            ..Default::default()
        }
        .href(),
    );
    Ok(())
}
