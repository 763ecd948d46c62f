//! The password pair of a form (password and again) with the live rule checklist and a
//! generator, as Add one account and Edit account use it.

use leptos::prelude::*;

use crate::components::field::PasswordField;
use crate::components::hydrated::use_hydrated;
use crate::components::password_checklist::PasswordChecklist;
use crate::error::FormRefusal;
use crate::validate::{generate_password, Address, PasswordContext, DEFAULT_LEN, PASSWORDS_DIFFER};

/// Password, the rules ticked as one types, a generator, and again. The generator is the
/// server's when `generate` is given (a box to tick, which hides the fields: the password is
/// made on the server and shown on the next screen, with or without JavaScript), otherwise a
/// button of the running app that fills both fields.
#[component]
pub fn NewPasswordFields(
    /// The account's full address, for the rules about names and closeness.
    #[prop(into)]
    email: Signal<String>,
    #[prop(optional, into)] first_name: Signal<String>,
    #[prop(optional, into)] last_name: Signal<String>,
    /// The server's refusal of the form, whose messages go beside the two fields.
    #[prop(optional)]
    refused: FormRefusal,
    /// Ticked: the server generates the password.
    #[prop(optional)]
    generate: Option<RwSignal<bool>>,
) -> impl IntoView {
    let password = RwSignal::new(String::new());
    let again = RwSignal::new(String::new());
    let hydrated = use_hydrated();
    let generated = RwSignal::new(None::<String>);
    let first = NodeRef::<leptos::html::Input>::new();
    let second = NodeRef::<leptos::html::Input>::new();
    let generate_here = move |_| {
        let email = email.get_untracked();
        let parts = Address::split(&email);
        let (username, domain) = parts.as_ref().map_or((email.as_str(), ""), |parts| {
            (parts.local.as_str(), parts.domain.as_str())
        });
        let (first_name, last_name) = (first_name.get_untracked(), last_name.get_untracked());
        let context = PasswordContext {
            username,
            first_name: &first_name,
            last_name: &last_name,
            domain,
        };
        if let Ok(new) = generate_password(&context, DEFAULT_LEN) {
            for input in [first.get(), second.get()].into_iter().flatten() {
                input.set_value(&new);
            }
            password.set(new.clone());
            again.set(new.clone());
            generated.set(Some(new));
        }
    };
    // Left to the server, the fields may stay empty; without JavaScript they stay in sight,
    // and the server uses them only when something is typed.
    let by_server = move || generate.is_some_and(|generate| generate.get());
    let required = Signal::derive(move || generate.is_none() || hydrated.get() && !by_server());
    let typed = view! {
        <div class="password-fields" hidden=move || hydrated.get() && by_server()>
            <PasswordField name="password" label="Password" autocomplete="new-password" value=password describedby="password-rules" node_ref=first error=refused.beside("password") required/>
            {generate.is_none().then(|| view! {
                <div class="generate" hidden=move || !hydrated.get()>
                    <button class="button" type="button" on:click=generate_here>"Generate a strong password"</button>
                    {move || generated.get().map(|new| view! {
                        <p class="generate__shown" role="status">"Generated: " <code class="generate__value">{new}</code> " — note it for the user."</p>
                    })}
                </div>
            })}
            <PasswordChecklist id="password-rules" email=email password=password first_name last_name/>
            <PasswordField name="password_again" label="Password again" autocomplete="new-password" value=again node_ref=second error=refused.beside("password_again") required/>
            {move || {
                let (a, b) = (password.get(), again.get());
                (!b.is_empty() && a != b).then(|| view! { <p class="field__error" role="alert">{format!("{PASSWORDS_DIFFER}.")}</p> })
            }}
        </div>
    };
    view! {
        {generate.map(|generate| view! {
            <label class="check">
                <input class="checkbox" type="checkbox" name="generate" value="on" checked=generate.get_untracked()
                    on:change:target=move |event| generate.set(event.target().checked())/>
                "Generate a password (shown on the next screen, easy to read out)"
            </label>
        })}
        {typed}
    }
}
