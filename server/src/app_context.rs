//! What the server puts in the Leptos context of every page and server function, the same for
//! the router's pages and for the form posts answered by a page.

use app::ssr::AppState;
use axum::http::request::Parts;
use leptos::nonce::Nonce;
use leptos::prelude::{provide_context, use_context};

use crate::guard::CspNonce;

/// What every page and server function finds in its context: the app state, and the nonce
/// that the guard put in this response's CSP, for Leptos's inline scripts.
pub fn provide_app_context(state: &AppState) {
    provide_context(state.clone());
    if let Some(nonce) =
        use_context::<Parts>().and_then(|parts| parts.extensions.get::<CspNonce>().cloned())
    {
        provide_context(Nonce::from_value(nonce.0));
    }
}
