//! Form fields that render their label, input, hint and error together, wired for screen
//! readers (`aria-describedby` names only ids that exist, `aria-invalid` follows the error).

use leptos::html::Input;
use leptos::prelude::*;

/// The ids of a field's hint and error, for `aria-describedby`.
fn described_by(name: &str, hint: bool, error: bool) -> Option<String> {
    let ids: Vec<String> = [(hint, "hint"), (error, "error")]
        .into_iter()
        .filter(|(present, _)| *present)
        .map(|(_, kind)| format!("{name}-{kind}"))
        .collect();
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
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
) -> impl IntoView {
    let error = error.unwrap_or_default();
    view! {
        <div class="field">
            <label class="field__label" for=name>{label}</label>
            {hint.map(|hint| view! { <p class="field__hint" id=format!("{name}-hint")>{hint}</p> })}
            <input
                class="field__input"
                id=name
                name=name
                type=input_type
                autocomplete=autocomplete
                value=value
                required
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=move || described_by(name, hint.is_some(), error.get().is_some())
            />
            <FieldError name error/>
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
    #[prop(optional, into)] error: Option<Signal<Option<String>>>,
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
    let error = error.unwrap_or_default();
    let described = move || {
        let own = described_by(name, false, error.get().is_some());
        match (describedby, own) {
            (Some(list), Some(own)) => Some(format!("{list} {own}")),
            (list, own) => list.map(str::to_owned).or(own),
        }
    };
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
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
                    aria-invalid=move || error.get().map(|_| "true")
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
            <FieldError name error/>
        </div>
    }
}

/// The error line under a field, present only while there is an error.
#[component]
fn FieldError(name: &'static str, error: Signal<Option<String>>) -> impl IntoView {
    move || {
        error.get().map(|message| {
            view! { <p class="field__error" id=format!("{name}-error") role="alert">{message}</p> }
        })
    }
}
