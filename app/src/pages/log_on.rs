use leptos::prelude::*;
use leptos_meta::Title;

use crate::components::brand::Brand;
use crate::components::field::{PasswordField, TextField};

/// Log on: the postmaster's full address and password. The interface is always Administration.
#[component]
pub fn LogOnPage() -> impl IntoView {
    view! {
        <Title text="Log on"/>
        <main class="log-on">
            <Brand/>
            <form class="card log-on__form" method="post" action="/log-on">
                <h1 class="card__title">"Log on"</h1>
                <p class="card__lead">"Administration of your company's mail accounts."</p>
                <TextField
                    name="email"
                    label="Postmaster address"
                    hint="Your full address, for example postmaster@example.com"
                    input_type="email"
                    autocomplete="username"
                />
                <PasswordField name="password" label="Password" autocomplete="current-password"/>
                <button class="button button--primary button--wide" type="submit">"Log on"</button>
            </form>
        </main>
    }
}
