use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::AddAccount;
use crate::components::domain::use_current_domain;
use crate::components::layout::{refusal, ActionError, Layout};
use crate::components::password_tools::NewPasswordFields;
use crate::pages::add_accounts::AddTabs;
use crate::validate::parse_username;

/// Add accounts › Add one account: fields with the live rule checklist and the generator.
#[component]
pub fn AddOnePage() -> impl IntoView {
    let add = ServerAction::<AddAccount>::new();
    let domain = use_current_domain();
    let error = refusal(add);
    view! {
        <Title text="Add one account"/>
        <Layout>
            <h1 class="page__title">"Add accounts"</h1>
            <AddTabs current="one"/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || domain.domains.get().map(|_| {
                let domain = domain.name.get().unwrap_or_default();
                view! {
                    <ActionForm action=add attr:class="card form">
                        <input type="hidden" name="domain" value=domain.clone()/>
                        <ActionError text=error/>
                        <NewAccountFields domain/>
                        <button class="button button--primary" type="submit">"Add account"</button>
                    </ActionForm>
                }
            })}
            </Suspense>
        </Layout>
    }
}

/// Username, names and password, checked as they are typed: the username against the rules
/// and the password against the rules that involve the names.
#[island]
fn NewAccountFields(domain: String) -> impl IntoView {
    let username = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let email = {
        let domain = domain.clone();
        Signal::derive(move || format!("{}@{domain}", username.get().to_ascii_lowercase()))
    };
    let username_error = Signal::derive(move || {
        let typed = username.get();
        (!typed.is_empty())
            .then(|| {
                parse_username(&typed, &domain)
                    .err()
                    .map(|check| check.message)
            })
            .flatten()
    });
    view! {
        <div class="field">
            <label class="field__label" for="username">"Username"</label>
            <p class="field__hint" id="username-hint">
                {move || format!("Letters, digits, dots, dashes and underscores; the address becomes {}", email.get())}
            </p>
            <input class="field__input" id="username" name="username" type="text" required
                autocomplete="off" spellcheck="false" autocapitalize="none"
                aria-invalid=move || username_error.get().map(|_| "true")
                aria-describedby=move || if username_error.get().is_some() { "username-hint username-error" } else { "username-hint" }
                on:input:target=move |event| username.set(event.target().value())/>
            {move || username_error.get().map(|message| view! { <p class="field__error" id="username-error">{message}</p> })}
        </div>
        <NameFields typed=(first_name, last_name)/>
        <NewPasswordFields email first_name last_name/>
    }
}

/// First and last name, optional. Inside an island, `typed` receives them as they are typed,
/// for the password rules.
#[component]
pub fn NameFields(
    #[prop(optional)] initial: (String, String),
    #[prop(optional)] typed: Option<(RwSignal<String>, RwSignal<String>)>,
) -> impl IntoView {
    let (first, last) = initial;
    view! {
        <div class="field-pair">
            <div class="field">
                <label class="field__label" for="first_name">"First name " <span class="muted">"(optional)"</span></label>
                <input class="field__input" id="first_name" name="first_name" type="text" autocomplete="off" maxlength="64"
                    value=first on:input:target=move |event| if let Some((first_name, _)) = typed { first_name.set(event.target().value()) }/>
            </div>
            <div class="field">
                <label class="field__label" for="last_name">"Last name " <span class="muted">"(optional)"</span></label>
                <input class="field__input" id="last_name" name="last_name" type="text" autocomplete="off" maxlength="64"
                    value=last on:input:target=move |event| if let Some((_, last_name)) = typed { last_name.set(event.target().value()) }/>
            </div>
        </div>
    }
}
