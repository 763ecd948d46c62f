use leptos::prelude::*;
use leptos_meta::Title;

use crate::routes::Home;

/// Shown for an address that names no screen.
#[component]
pub fn NotFoundPage() -> impl IntoView {
    #[cfg(feature = "ssr")]
    if let Some(response) = use_context::<leptos_axum::ResponseOptions>() {
        response.set_status(axum::http::StatusCode::NOT_FOUND);
    }
    view! {
        <Title text="Page not found"/>
        <main class="card card--narrow">
            <h1>"Page not found"</h1>
            <p>"There is nothing at this address."</p>
            <p><a href=Home::PATH>"Go to the start page"</a></p>
        </main>
    }
}
