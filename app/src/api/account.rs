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
    use crate::ssr::{admins, auth};
    let session = auth::require_session()?;
    if password != password_again {
        return Err(AppError::Invalid(
            "The new passwords differ. Type the same password twice.".into(),
        ));
    }
    let state = auth::app_state()?;
    admins::change_own_password(
        &state.db,
        &state.hasher,
        &session,
        &auth::client_addr(),
        current,
        &password,
    )
    .await?;
    leptos_axum::redirect("/account?changed=1");
    Ok(())
}
