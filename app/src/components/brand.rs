use leptos::prelude::*;

/// The product's name and mark, as it heads every screen.
#[component]
pub fn Brand() -> impl IntoView {
    view! {
        <p class="brand">
            <span class="brand__mark" aria-hidden="true">"✉"</span>
            <span class="brand__name">"Virtual Postmaster"</span>
        </p>
    }
}
