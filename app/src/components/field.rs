//! Form fields that render their label, input and hint together, wired for screen readers:
//! `aria-describedby` names only ids that exist, and a field the server refused is
//! `aria-invalid` and described by the message that says why.

use leptos::html::Input;
use leptos::prelude::*;

use crate::components::hydrated::use_hydrated;

/// The `aria-describedby` of a field: the ids that are given, in order.
fn described_by(ids: &[Option<&str>]) -> Option<String> {
    let ids: Vec<&str> = ids.iter().flatten().copied().collect();
    (!ids.is_empty()).then(|| ids.join(" "))
}

/// A labelled single-line input.
#[component]
pub fn TextField(
    name: &'static str,
    label: &'static str,
    #[prop(optional)] hint: Option<&'static str>,
    #[prop(default = "text")] input_type: &'static str,
    #[prop(optional)] autocomplete: Option<&'static str>,
    #[prop(optional, into)] value: Option<String>,
    /// The id of the message that says why the server refused this field.
    #[prop(default = None)]
    error_id: Option<&'static str>,
) -> impl IntoView {
    let hint_id = hint.map(|_| format!("{name}-hint"));
    let described = described_by(&[hint_id.as_deref(), error_id]);
    view! {
        <div class="field">
            <label class="field__label" for=name>{label}</label>
            {hint.map(|hint| view! { <p class="field__hint" id=hint_id>{hint}</p> })}
            <input
                class="field__input"
                id=name
                name=name
                type=input_type
                autocomplete=autocomplete
                value=value
                required
                aria-invalid=error_id.map(|_| "true")
                aria-describedby=described
            />
        </div>
    }
}

/// A labelled password input with a Show/Hide toggle. The toggle needs the WASM app, so it
/// stays hidden until the page is hydrated.
#[component]
pub fn PasswordField(
    name: &'static str,
    label: &'static str,
    #[prop(default = "current-password")] autocomplete: &'static str,
    /// The id of the message that says why the server refused this field.
    #[prop(default = None)]
    error_id: Option<&'static str>,
    /// Receives what the user types, for live feedback.
    #[prop(optional)]
    value: Option<RwSignal<String>>,
    /// The id of a rule list that describes this field.
    #[prop(optional)]
    describedby: Option<&'static str>,
    /// For a page that needs the element itself.
    #[prop(optional)]
    node_ref: NodeRef<Input>,
) -> impl IntoView {
    let described = described_by(&[describedby, error_id]);
    let hydrated = use_hydrated();
    let (shown, set_shown) = signal(false);
    view! {
        <div class="field">
            <label class="field__label" for=name>{label}</label>
            <div class="field__row">
                <input
                    class="field__input"
                    id=name
                    name=name
                    node_ref=node_ref
                    type=move || if shown.get() { "text" } else { "password" }
                    autocomplete=autocomplete
                    required
                    spellcheck="false"
                    aria-invalid=error_id.map(|_| "true")
                    aria-describedby=described
                    on:input:target=move |event| {
                        if let Some(value) = value {
                            value.set(event.target().value());
                        }
                    }
                />
                <button
                    class="button button--quiet field__toggle"
                    type="button"
                    hidden=move || !hydrated.get()
                    aria-controls=name
                    aria-pressed=move || shown.get().to_string()
                    on:click=move |_| set_shown.update(|shown| *shown = !*shown)
                >
                    {move || if shown.get() { "Hide" } else { "Show" }}
                </button>
            </div>
        </div>
    }
}
