//! An account's auto-reply on Edit: on or off, its subject, text and days, saved by a plain
//! form post and checked by the shared rules as it is typed.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::autoreply::SetAutoreply;
use crate::components::layout::{refusal, ActionError, Notice};
use crate::error::{AppError, FormRefusal};
use crate::model::autoreply::AutoReplySettings;
use crate::routes::EditAccount;
use crate::validate::{
    check_reply_period, parse_reply_date, parse_reply_subject, parse_reply_text,
};

/// The Auto-reply card of the account `email`, whose `settings` the page loads.
#[component]
pub fn AutoReplyCard(
    email: String,
    settings: Resource<Result<AutoReplySettings, AppError>>,
) -> impl IntoView {
    let save = ServerAction::<SetAutoreply>::new();
    let error = refusal(save);
    // A refused reply is drawn as it was sent, not as it is saved.
    let refused = FormRefusal::of(save);
    let as_sent = move |saved: AutoReplySettings| AutoReplySettings {
        enabled: refused.ticked("enabled", saved.enabled),
        subject: refused.typed_or("subject", saved.subject),
        text: refused.typed_or("text", saved.text),
        starts_on: refused.typed_or("starts_on", saved.starts_on),
        ends_on: refused.typed_or("ends_on", saved.ends_on),
    };
    let query = use_query_map();
    let notice = Signal::derive(move || match query.read().get("autoreply").as_deref() {
        Some("on") => Some("The auto-reply is on; it answers from the next message.".to_owned()),
        Some("off") => Some("The auto-reply is off.".to_owned()),
        _ => None,
    });
    view! {
        <ActionForm action=save attr:class="card form" attr:id=EditAccount::AUTOREPLY>
            <h2 class="card__title">"Auto-reply"</h2>
            <p>"Answers each sender once every few days while the account's owner is away. "
               "Mailing lists and automatic mail get no answer."</p>
            <Notice text=notice focused=true/>
            <ActionError text=error/>
            <input type="hidden" name="email" value=email/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || settings.get().map(|result| match result {
                    Ok(settings) => view! { <AutoReplyFields settings=as_sent(settings)/> }.into_any(),
                    Err(error) => view! { <ActionError text=Some(error.to_string())/> }.into_any(),
                })}
            </Suspense>
            <button class="button button--primary" type="submit">"Save auto-reply"</button>
        </ActionForm>
    }
}

/// The auto-reply's fields, each with the message of the first rule it breaks once typed in.
#[island]
fn AutoReplyFields(settings: AutoReplySettings) -> impl IntoView {
    let enabled = RwSignal::new(settings.enabled);
    let subject = RwSignal::new(settings.subject);
    let text = RwSignal::new(settings.text);
    let starts_on = RwSignal::new(settings.starts_on);
    let ends_on = RwSignal::new(settings.ends_on);
    // A message shows once its field was changed, so a new form does not open in red, and
    // only while the reply is to be on.
    let shown = move |fields: &[RwSignal<String>],
                      error: Box<dyn Fn() -> Option<String> + Send + Sync>| {
        let fields = fields.to_vec();
        let first: Vec<String> = fields.iter().map(|field| field.get_untracked()).collect();
        Signal::derive(move || {
            let changed = fields
                .iter()
                .zip(&first)
                .any(|(field, first)| field.with(|now| now != first));
            (changed && enabled.get()).then(&error).flatten()
        })
    };
    let subject_error = shown(
        &[subject],
        Box::new(move || parse_reply_subject(&subject.get()).err()),
    );
    let text_error = shown(
        &[text],
        Box::new(move || parse_reply_text(&text.get()).err()),
    );
    let starts_error = shown(
        &[starts_on],
        Box::new(move || parse_reply_date(&starts_on.get()).err()),
    );
    let ends_error = shown(
        &[starts_on, ends_on],
        Box::new(move || {
            let start = parse_reply_date(&starts_on.get()).ok().flatten();
            parse_reply_date(&ends_on.get())
                .and_then(|end| check_reply_period(start.as_deref(), end.as_deref()))
                .err()
        }),
    );
    view! {
        <label class="check">
            <input class="checkbox" type="checkbox" name="enabled" value="on" checked=enabled.get_untracked()
                on:change:target=move |event| enabled.set(event.target().checked())/>
            "Send an automatic reply"
        </label>
        <ReplyField name="subject" label="Subject" hint="Such as \u{201c}Out of the office until 31 July\u{201d}." error=subject_error>
            <input class="field__input" id="subject" name="subject" type="text" autocomplete="off"
                value=subject.get_untracked()
                aria-invalid=move || subject_error.get().map(|_| "true")
                aria-describedby=move || described("subject", subject_error.get().is_some())
                on:input:target=move |event| subject.set(event.target().value())/>
        </ReplyField>
        <ReplyField name="text" label="Text" hint="The reply's message; each sender gets it at most once every 3 days." error=text_error>
            <textarea class="field__input" id="text" name="text" rows="6"
                aria-invalid=move || text_error.get().map(|_| "true")
                aria-describedby=move || described("text", text_error.get().is_some())
                on:input:target=move |event| text.set(event.target().value())
            >{text.get_untracked()}</textarea>
        </ReplyField>
        <ReplyField name="starts_on" label="From" hint="The first day it answers; empty: from now." error=starts_error>
            <input class="field__input field__input--short" id="starts_on" name="starts_on" type="date"
                value=starts_on.get_untracked()
                aria-invalid=move || starts_error.get().map(|_| "true")
                aria-describedby=move || described("starts_on", starts_error.get().is_some())
                on:input:target=move |event| starts_on.set(event.target().value())/>
        </ReplyField>
        <ReplyField name="ends_on" label="Until" hint="The last day it answers; empty: until it is turned off." error=ends_error>
            <input class="field__input field__input--short" id="ends_on" name="ends_on" type="date"
                value=ends_on.get_untracked()
                aria-invalid=move || ends_error.get().map(|_| "true")
                aria-describedby=move || described("ends_on", ends_error.get().is_some())
                on:input:target=move |event| ends_on.set(event.target().value())/>
        </ReplyField>
    }
}

/// The `aria-describedby` of field `name`: its hint, and its error when shown.
fn described(name: &str, error: bool) -> String {
    if error {
        format!("{name}-hint {name}-error")
    } else {
        format!("{name}-hint")
    }
}

/// A field's label, hint, input (the children) and error.
#[component]
fn ReplyField(
    name: &'static str,
    label: &'static str,
    hint: &'static str,
    error: Signal<Option<String>>,
    children: Children,
) -> impl IntoView {
    view! {
        <div class="field">
            <label class="field__label" for=name>{label}</label>
            <p class="field__hint" id=format!("{name}-hint")>{hint}</p>
            {children()}
            {move || error.get().map(|message| view! {
                <p class="field__error" id=format!("{name}-error")>{message}</p>
            })}
        </div>
    }
}
