//! The addresses mail goes to (an alias's targets, a forwarding), checked by the shared rule
//! as they are typed; the server checks again.

use leptos::prelude::*;

use crate::components::field::{error_id, field_error, FieldError};
use crate::validate::parse_targets;

/// What is wrong with typed targets, if anything. Nothing is said of an empty field: it is
/// either allowed, or `required` and the browser asks for it.
pub fn targets_error(typed: &str) -> Option<String> {
    if typed.trim().is_empty() {
        return None;
    }
    parse_targets(typed).err()
}

/// A labelled text area of addresses, one per line or separated by commas. Its live check
/// needs the component to sit in an island.
#[component]
pub fn TargetsInput(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    initial: String,
    optional: bool,
    /// The server's refusal of `initial`.
    #[prop(default = None)]
    refused: Option<String>,
) -> impl IntoView {
    let typed = RwSignal::new(initial.clone());
    let error = field_error(typed, targets_error, refused);
    let hint_id = format!("{name}-hint");
    let described = {
        let hint_id = hint_id.clone();
        move || match error.get() {
            Some(_) => format!("{hint_id} {}", error_id(name)),
            None => hint_id.clone(),
        }
    };
    view! {
        <div class="field">
            <label class="field__label" for=name>{label}</label>
            <p class="field__hint" id=hint_id>{hint}</p>
            <textarea class="field__input" id=name name=name rows="3" spellcheck="false"
                autocomplete="off" autocapitalize="none" required=!optional
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=described
                on:input:target=move |event| typed.set(event.target().value())
            >{initial}</textarea>
            <FieldError name message=error/>
        </div>
    }
}
