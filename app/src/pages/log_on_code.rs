use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::auth::LogOnCode;
use crate::components::brand::Brand;
use crate::components::field::TextField;
use crate::components::layout::refusal;
use crate::routes::LogOn;

/// The second step of log on, after a right password when two-factor log-on is on: a code
/// from the authenticator app, or one of the recovery codes.
#[component]
pub fn LogOnCodePage() -> impl IntoView {
    let log_on_code = ServerAction::<LogOnCode>::new();
    let query = use_query_map();
    let next = move || query.read().get("next").unwrap_or_default();
    // Drawn on the server once per post, like Log on: the refusal is known before the field.
    let error = refusal(log_on_code).get_untracked();
    let refused = error.is_some();
    view! {
        <Title text="Log-on code"/>
        <main class="log-on">
            <Brand/>
            <ActionForm action=log_on_code attr:class="card log-on__form">
                <h1 class="card__title">"Log-on code"</h1>
                <p class="card__lead">"Enter the 6-digit code from your authenticator app, or a recovery code."</p>
                {error.map(|text| view! { <p class="alert alert--error" role="alert" id=REFUSAL>{text}</p> })}
                <input type="hidden" name="next" value=next/>
                <TextField
                    autofocus=true
                    name="code"
                    label="Code"
                    autocomplete="one-time-code"
                    error_id=refused.then_some(REFUSAL)
                />
                <button class="button button--primary button--wide" type="submit">"Log on"</button>
                <p class="log-on__other"><a href=LogOn::PATH>"Log on as someone else"</a></p>
            </ActionForm>
        </main>
    }
}

/// The id of the message that says why a code was refused.
const REFUSAL: &str = "code-error";
