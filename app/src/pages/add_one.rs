use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::mailboxes::AddAccount;
use crate::components::domain::use_current_domain;
use crate::components::layout::{ActionError, Layout};
use crate::components::password_tools::NewPasswordFields;
use crate::pages::add_accounts::AddTabs;
use crate::validate::parse_username;

/// Add accounts › Add one account: fields with the live rule checklist and the generator.
#[component]
pub fn AddOnePage() -> impl IntoView {
    let add = ServerAction::<AddAccount>::new();
    let domain = use_current_domain();
    let username = RwSignal::new(String::new());
    let first_name = RwSignal::new(String::new());
    let last_name = RwSignal::new(String::new());
    let email = Signal::derive(move || {
        format!(
            "{}@{}",
            username.get().to_ascii_lowercase(),
            domain.name.get().unwrap_or_default()
        )
    });
    let username_error = Signal::derive(move || {
        let typed = username.get();
        let domain = domain.name.get().unwrap_or_default();
        (!typed.is_empty())
            .then(|| {
                parse_username(&typed, &domain)
                    .err()
                    .map(|check| check.message)
            })
            .flatten()
    });
    let error = Signal::derive(move || {
        add.value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });
    view! {
        <Title text="Add one account"/>
        <Layout>
            <h1 class="page__title">"Add accounts"</h1>
            <AddTabs current="one"/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || domain.domains.get().map(|_| view! {
                <ActionForm action=add attr:class="card form">
                    <input type="hidden" name="domain" value=move || domain.name.get().unwrap_or_default()/>
                    <ActionError text=error/>
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
                    <NameFields first_name last_name/>
                    <NewPasswordFields email first_name last_name/>
                    <button class="button button--primary" type="submit">"Add account"</button>
                </ActionForm>
            })}
            </Suspense>
        </Layout>
    }
}

/// First and last name, optional, feeding the password rules as they are typed.
#[component]
pub fn NameFields(
    first_name: RwSignal<String>,
    last_name: RwSignal<String>,
    #[prop(optional)] initial: Option<(String, String)>,
) -> impl IntoView {
    let (first, last) = initial.unwrap_or_default();
    view! {
        <div class="field-pair">
            <div class="field">
                <label class="field__label" for="first_name">"First name " <span class="muted">"(optional)"</span></label>
                <input class="field__input" id="first_name" name="first_name" type="text" autocomplete="off" maxlength="64"
                    value=first on:input:target=move |event| first_name.set(event.target().value())/>
            </div>
            <div class="field">
                <label class="field__label" for="last_name">"Last name " <span class="muted">"(optional)"</span></label>
                <input class="field__input" id="last_name" name="last_name" type="text" autocomplete="off" maxlength="64"
                    value=last on:input:target=move |event| last_name.set(event.target().value())/>
            </div>
        </div>
    }
}
