//! Where mail goes besides an account's own mailbox: its forwarding, and the domain's
//! catch-all.

use leptos::prelude::*;

use crate::error::AppError;
use crate::model::forwarding::Forwarding;

/// A managed account's forwarding, for Edit.
#[server]
pub async fn get_forwarding(email: String) -> Result<Forwarding, AppError> {
    use crate::ssr::{access::request, services::forwarding};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&email).as_deref()).await?;
    let state = request::app_state()?;
    forwarding::get(&state.db, &scope, &email).await
}

/// Forwards an account's mail to `targets` (commas, spaces or lines between them; empty turns
/// forwarding off), keeping a copy when `keep_copy` is sent. Comes back to Edit.
#[server]
pub async fn set_forwarding(
    email: String,
    targets: String,
    keep_copy: Option<String>,
) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::forwarding};
    let scope =
        request::require_domain(crate::validate::Address::domain_of(&email).as_deref()).await?;
    let state = request::app_state()?;
    let set = forwarding::set(&state.db, &scope, &email, &targets, keep_copy.is_some())
        .await
        .map_err(|error| {
            use crate::validate::Field;
            error.keeping(&[
                (Field::Targets, &targets),
                (Field::KeepCopy, keep_copy.as_deref().unwrap_or_default()),
            ])
        })?;
    leptos_axum::redirect(
        &crate::routes::EditAccount {
            email: &email,
            forwarding: Some(!set.targets.is_empty()),
            ..Default::default()
        }
        .href(),
    );
    Ok(())
}

/// A managed domain's name and catch-all address (`None`: off).
#[server]
pub async fn get_catch_all(domain: Option<String>) -> Result<(String, Option<String>), AppError> {
    use crate::ssr::{access::request, services::catch_all};
    let scope = request::require_domain(domain.as_deref()).await?;
    let state = request::app_state()?;
    let target = catch_all::get(&state.db, &scope).await?;
    Ok((scope.domain().to_owned(), target))
}

/// Sets a managed domain's catch-all to `target`, or turns it off when `target` is empty.
/// Comes back to the Catch-all screen.
#[server]
pub async fn set_catch_all(domain: String, target: String) -> Result<(), AppError> {
    use crate::ssr::{access::request, services::catch_all};
    let scope = request::require_domain(Some(&domain)).await?;
    let state = request::app_state()?;
    let set = catch_all::set(&state.db, &scope, &target)
        .await
        .map_err(|error| error.keeping(&[(crate::validate::Field::CatchAll, &target)]))?;
    leptos_axum::redirect(
        &crate::routes::CatchAll {
            domain: Some(scope.domain()),
            saved: Some(set.is_some()),
        }
        .href(),
    );
    Ok(())
}
