use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::accounts::AddAccount;
use crate::components::domain::use_current_domain;
use crate::components::field::{error_id, username_error, FieldError};
use crate::components::layout::{ActionError, Layout};
use crate::components::password_tools::NewPasswordFields;
use crate::components::quota::QuotaInput;
use crate::error::FormRefusal;
use crate::pages::add_accounts::AddTabs;

/// Add accounts › Add one account: fields with the live rule checklist, a password generated
/// by the server if asked for, and an optional quota.
#[component]
pub fn AddOnePage() -> impl IntoView {
    let add = ServerAction::<AddAccount>::new();
    let domain = use_current_domain();
    let refused = FormRefusal::of(add);
    let error = refused.general();
    view! {
        <Title text="Add one account"/>
        <Layout>
            <h1 class="page__title">"Add accounts"</h1>
            <AddTabs current="one"/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || domain.domains.get().map(|_| {
                let (error, refused) = (error.clone(), refused.clone());
                let domain = domain.name.get().unwrap_or_default();
                view! {
                    <ActionForm action=add attr:class="card form">
                        <input type="hidden" name="domain" value=domain.clone()/>
                        <ActionError text=error/>
                        <NewAccountFields domain refused/>
                        <button class="button button--primary" type="submit">"Add account"</button>
                    </ActionForm>
                }
            })}
            </Suspense>
        </Layout>
    }
}

/// Username, names and password, checked as they are typed: the username against the rules
/// and the password against the rules that involve the names. After a refusal, each problem
/// is beside its field and the fields but the passwords hold what was typed.
#[island]
fn NewAccountFields(domain: String, refused: FormRefusal) -> impl IntoView {
    let username = RwSignal::new(refused.typed("username").unwrap_or_default());
    let generate = RwSignal::new(refused.ticked("generate", false));
    let quota_mb = RwSignal::new(refused.typed("quota_mb").unwrap_or_default());
    let first_name = RwSignal::new(refused.typed("first_name").unwrap_or_default());
    let last_name = RwSignal::new(refused.typed("last_name").unwrap_or_default());
    let email = {
        let domain = domain.clone();
        Signal::derive(move || format!("{}@{domain}", username.get().to_ascii_lowercase()))
    };
    let username_error = username_error(username, domain, refused.beside("username"));
    view! {
        <div class="field">
            <label class="field__label" for="username">"Username"</label>
            <p class="field__hint" id="username-hint">
                {move || format!("Letters, digits, dots, dashes and underscores; the address becomes {}", email.get())}
            </p>
            <input class="field__input" id="username" name="username" type="text" required
                autocomplete="off" spellcheck="false" autocapitalize="none"
                value=username.get_untracked()
                aria-invalid=move || username_error.get().map(|_| "true")
                aria-describedby=move || if username_error.get().is_some() { "username-hint username-error" } else { "username-hint" }
                on:input:target=move |event| username.set(event.target().value())/>
            <FieldError name="username" message=username_error/>
        </div>
        <NameFields initial=(first_name.get_untracked(), last_name.get_untracked()) refused=refused.clone() typed=(first_name, last_name)/>
        <NewPasswordFields email first_name last_name refused=refused.clone() generate/>
        <QuotaInput typed=quota_mb optional=true refused=refused.beside("quota_mb")/>
    }
}

/// First and last name, optional: the names given, or what was typed when the server refused
/// the form, with its message beside each. Inside an island, `typed` receives them as they
/// are typed, for the password rules.
#[component]
pub fn NameFields(
    #[prop(optional)] initial: (String, String),
    #[prop(optional)] refused: FormRefusal,
    #[prop(optional)] typed: Option<(RwSignal<String>, RwSignal<String>)>,
) -> impl IntoView {
    let first = refused.typed("first_name").unwrap_or(initial.0);
    let last = refused.typed("last_name").unwrap_or(initial.1);
    let (first_error, last_error) = (refused.beside("first_name"), refused.beside("last_name"));
    let invalid = |error: &Option<String>| error.as_ref().map(|_| "true");
    view! {
        <div class="field-pair">
            <div class="field">
                <label class="field__label" for="first_name">"First name " <span class="muted">"(optional)"</span></label>
                <input class="field__input" id="first_name" name="first_name" type="text" autocomplete="off" maxlength="64"
                    value=first aria-invalid=invalid(&first_error)
                    aria-describedby=first_error.as_ref().map(|_| error_id("first_name"))
                    on:input:target=move |event| if let Some((first_name, _)) = typed { first_name.set(event.target().value()) }/>
                <FieldError name="first_name" message=first_error/>
            </div>
            <div class="field">
                <label class="field__label" for="last_name">"Last name " <span class="muted">"(optional)"</span></label>
                <input class="field__input" id="last_name" name="last_name" type="text" autocomplete="off" maxlength="64"
                    value=last aria-invalid=invalid(&last_error)
                    aria-describedby=last_error.as_ref().map(|_| error_id("last_name"))
                    on:input:target=move |event| if let Some((_, last_name)) = typed { last_name.set(event.target().value()) }/>
                <FieldError name="last_name" message=last_error/>
            </div>
        </div>
    }
}
