//! The live list of password rules, ticked as the user types. The same rules refuse on the server.

use leptos::prelude::*;

use crate::validate::{check_password, Address, Level, PasswordContext};

/// Every rule for `password` in the context of the account `email` (names optional).
#[component]
pub fn PasswordChecklist(
    id: &'static str,
    #[prop(into)] email: Signal<String>,
    password: RwSignal<String>,
    #[prop(optional, into)] first_name: Signal<String>,
    #[prop(optional, into)] last_name: Signal<String>,
) -> impl IntoView {
    let checks = move || {
        let email = email.get();
        let parts = Address::split(&email);
        let (username, domain) = parts.as_ref().map_or((email.as_str(), ""), |parts| {
            (parts.local.as_str(), parts.domain.as_str())
        });
        let (first, last) = (first_name.get(), last_name.get());
        let context = PasswordContext {
            username,
            first_name: &first,
            last_name: &last,
            domain,
        };
        check_password(&password.get(), &context)
    };
    view! {
        <ul class="checklist" id=id aria-live="polite">
            {move || {
                // Before anything is typed the rules are a list to read, not a list of failures.
                let typed = !password.with(String::is_empty);
                checks().into_iter().map(|check| {
                let (class, mark, state) = match check.level {
                    _ if !typed => ("checklist__item checklist__item--todo", "•", "to do"),
                    Level::Pass => ("checklist__item checklist__item--pass", "✓", "met"),
                    Level::Warn => ("checklist__item checklist__item--warn", "!", "warning"),
                    Level::Fail => ("checklist__item checklist__item--fail", "✗", "not met"),
                };
                view! {
                    <li class=class>
                        <span class="checklist__mark" aria-hidden="true">{mark}</span>
                        {check.message}
                        <span class="visually-hidden">{format!(" ({state})")}</span>
                    </li>
                }
            }).collect_view()
            }}
        </ul>
    }
}
