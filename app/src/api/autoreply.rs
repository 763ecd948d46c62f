//! An account's auto-reply, set on the Edit screen.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::autoreply::AutoReplySettings;

/// The auto-reply of an account of a managed domain.
#[server]
pub async fn get_autoreply(email: String) -> Result<AutoReplySettings, AppError> {
    use crate::ssr::{access::request, services::autoreply};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&email).as_deref()).await?;
    let state = request::app_state()?;
    autoreply::get(&state.db, &scope, &email).await
}

/// Turns an account's auto-reply on with this subject, text and days (checked by the shared
/// rules), or off when `enabled` is missing, keeping what was saved for the next time.
#[server]
pub async fn set_autoreply(
    email: String,
    enabled: Option<String>,
    subject: String,
    text: String,
    starts_on: String,
    ends_on: String,
) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::autoreply};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&email).as_deref()).await?;
    let state = request::app_state()?;
    let on = enabled.is_some();
    let saved = if on {
        let reply = autoreply::ReplyInput {
            subject: &subject,
            text: &text,
            starts_on: &starts_on,
            ends_on: &ends_on,
        };
        autoreply::set(&state.db, &scope, &email, reply).await
    } else {
        autoreply::turn_off(&state.db, &scope, &email).await
    };
    saved.map_err(|error| {
        use crate::validate::Field;
        error.keeping(&[
            (Field::ReplyOn, enabled.as_deref().unwrap_or_default()),
            (Field::Subject, &subject),
            (Field::ReplyText, &text),
            (Field::StartsOn, &starts_on),
            (Field::EndsOn, &ends_on),
        ])
    })?;
    leptos_axum::redirect(
        &crate::routes::EditAccount {
            email: &email,
            autoreply: Some(on),
            ..Default::default()
        }
        .href(),
    );
    Ok(())
}
