//! Form fields that render their label, input and hint together, wired for screen readers:
//! `aria-describedby` names only ids that exist, and a field the server refused is
//! `aria-invalid` and described by the message that says why.

use leptos::html::Input;
use leptos::prelude::*;

use crate::components::hydrated::use_hydrated;

/// The id of the message beside the input called `name`.
pub fn error_id(name: &str) -> String {
    format!("{name}-error")
}

/// The message beside a field checked as it is typed: the server's refusal while the field
/// still holds what was refused, else the live rule's.
pub fn field_error(
    typed: RwSignal<String>,
    live: impl Fn(&str) -> Option<String> + Send + Sync + 'static,
    refused: Option<String>,
) -> Signal<Option<String>> {
    let initial = typed.get_untracked();
    Signal::derive(move || {
        typed.with(|now| {
            let refused = refused.clone().filter(|_| *now == initial);
            refused.or_else(|| live(now))
        })
    })
}

/// The message beside a username of `domain` (an account's or an alias's name): the server's
/// refusal, else the username rule's once something is typed.
pub fn username_error(
    typed: RwSignal<String>,
    domain: String,
    refused: Option<String>,
) -> Signal<Option<String>> {
    field_error(
        typed,
        move |typed| {
            (!typed.is_empty())
                .then(|| {
                    crate::validate::parse_username(typed, &domain)
                        .err()
                        .map(|check| check.message)
                })
                .flatten()
        },
        refused,
    )
}

/// The message beside the input called `name`, when there is one.
#[component]
pub fn FieldError(
    name: &'static str,
    #[prop(into)] message: Signal<Option<String>>,
) -> impl IntoView {
    move || {
        message
            .get()
            .map(|message| view! { <p class="field__error" id=error_id(name)>{message}</p> })
    }
}

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
    /// The id of a message elsewhere that says why the server refused this field.
    #[prop(default = None)]
    error_id: Option<&'static str>,
    /// Why the server refused this field, shown beside it.
    #[prop(default = None)]
    error: Option<String>,
    /// Takes the focus when the page opens: the field to type in next.
    #[prop(optional)]
    autofocus: bool,
) -> impl IntoView {
    let hint_id = hint.map(|_| format!("{name}-hint"));
    let beside = error.as_ref().map(|_| self::error_id(name));
    let described = described_by(&[hint_id.as_deref(), error_id, beside.as_deref()]);
    let invalid = (error_id.is_some() || error.is_some()).then_some("true");
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
                autofocus=autofocus
                aria-invalid=invalid
                aria-describedby=described
            />
            <FieldError name message=error/>
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
    /// The id of a message elsewhere that says why the server refused this field.
    #[prop(default = None)]
    error_id: Option<&'static str>,
    /// Why the server refused this field, shown beside it; what was typed is never sent back.
    #[prop(default = None)]
    error: Option<String>,
    /// Receives what the user types, for live feedback.
    #[prop(optional)]
    value: Option<RwSignal<String>>,
    /// The id of a rule list that describes this field.
    #[prop(optional)]
    describedby: Option<&'static str>,
    /// For a page that needs the element itself.
    #[prop(optional)]
    node_ref: NodeRef<Input>,
    /// Whether the browser asks for it before posting; always when not given.
    #[prop(optional, into)]
    required: Option<Signal<bool>>,
    /// Takes the focus when the page opens: the field to type in next.
    #[prop(optional)]
    autofocus: bool,
) -> impl IntoView {
    let beside = error.as_ref().map(|_| self::error_id(name));
    let described = described_by(&[describedby, error_id, beside.as_deref()]);
    let invalid = (error_id.is_some() || error.is_some()).then_some("true");
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
                    required=move || required.is_none_or(|required| required.get())
                    spellcheck="false"
                    autofocus=autofocus
                    aria-invalid=invalid
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
            <FieldError name message=error/>
        </div>
    }
}
