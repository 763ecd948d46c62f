use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::LogOn;
use crate::components::brand::Brand;
use crate::components::field::{PasswordField, TextField};
use crate::error::FormRefusal;

/// Log on: the postmaster's full address and password. The interface is always Administration.
#[component]
pub fn LogOnPage() -> impl IntoView {
    let log_on = ServerAction::<LogOn>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    let notice = move || {
        let query = query.read();
        if query.get("expired").is_some() {
            Some("Your session has ended. Please log on again to continue.")
        } else if query.get("code_expired").is_some() {
            Some("Your log-on waited too long for its code. Please type your password again.")
        } else if query.get("codes_used_up").is_some() {
            Some("Too many wrong codes were typed. Please log on again with your password.")
        } else if query.get("signed_out").is_some() {
            Some("You have logged off. Log on again to make more changes.")
        } else {
            None
        }
    };
    // The page is drawn on the server, once per post: the refusal is known before the fields.
    let refusal = FormRefusal::of(log_on);
    let error = refusal.general();
    let refused = error.is_some();
    // The address typed comes back with a refusal; the password is typed again, so it is
    // where the focus goes then. Without it, the address is.
    let address = refusal.typed("email");
    let address_kept = address.is_some();
    view! {
        <Title text="Log on"/>
        <main class="log-on">
            <Brand/>
            <ActionForm action=log_on attr:class="card log-on__form">
                <h1 class="card__title">"Log on"</h1>
                <p class="card__lead">"Administration of your company's mail accounts."</p>
                {move || notice().map(|text| view! { <p class="alert alert--info" role="status">{text}</p> })}
                {error.map(|text| view! { <p class="alert alert--error" role="alert" id=REFUSAL>{text}</p> })}
                <input type="hidden" name="next" value=next/>
                <TextField
                    name="email"
                    label="Postmaster address"
                    hint="Your full address, for example postmaster@example.com"
                    input_type="email"
                    autocomplete="username"
                    value=address.unwrap_or_default()
                    error_id=refused.then_some(REFUSAL)
                    autofocus=refused && !address_kept
                />
                <LogOnPassword refused focus=address_kept/>
                <button class="button button--primary button--wide" type="submit">"Log on"</button>
            </ActionForm>
        </main>
    }
}

/// The id of the message that says why a log-on was refused.
const REFUSAL: &str = "log-on-error";

/// The password, with its Show toggle live in the browser. A refused password is never sent
/// back: the page that answers the post has an empty field.
#[island]
fn LogOnPassword(refused: bool, focus: bool) -> impl IntoView {
    view! {
        <PasswordField name="password" label="Password" autocomplete="current-password"
            error_id=refused.then_some(REFUSAL) autofocus=focus/>
    }
}
