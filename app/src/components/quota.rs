//! An account's quota: the field that sets it and the usage measured against it.

use leptos::prelude::*;

use crate::components::field::{field_error, FieldError};
use crate::error::FormRefusal;
use crate::pages::users::size;
use crate::validate::parse_quota_mb;

/// The quota in MB on Edit, checked against the shared rule as it is typed; after a refusal,
/// what was typed with the server's message.
#[island]
pub fn QuotaField(quota_mb: i64, refused: FormRefusal) -> impl IntoView {
    let typed = RwSignal::new(
        refused
            .typed("quota_mb")
            .unwrap_or_else(|| quota_mb.to_string()),
    );
    view! { <QuotaInput typed optional=false refused=refused.beside("quota_mb")/> }
}

/// What is wrong with a typed quota, if anything; an optional one may be left empty.
pub fn quota_error(typed: &str, optional: bool) -> Option<&'static str> {
    if optional && typed.trim().is_empty() {
        return None;
    }
    parse_quota_mb(typed).err()
}

/// The quota field, its hint and its error. A text field rather than `type="number"`, so
/// "1.5" or "-1" get our message instead of the browser's silent refusal. When `optional`,
/// empty means the domain's default quota.
#[component]
pub fn QuotaInput(
    typed: RwSignal<String>,
    optional: bool,
    /// The server's refusal of what `typed` first holds.
    #[prop(default = None)]
    refused: Option<String>,
) -> impl IntoView {
    let live = move |typed: &str| quota_error(typed, optional).map(str::to_owned);
    let error = field_error(typed, live, refused);
    let hint = if optional {
        "Whole MB, such as 500; 0 means no limit. Leave it empty for the domain's default quota."
    } else {
        "Whole MB, such as 500; 0 means no limit. Mail that would go over it is refused."
    };
    view! {
        <div class="field">
            <label class="field__label" for="quota_mb">"Quota (MB)"</label>
            <p class="field__hint" id="quota_mb-hint">{hint}</p>
            <input class="field__input field__input--short" id="quota_mb" name="quota_mb" type="text"
                inputmode="numeric" autocomplete="off" required=!optional value=typed.get_untracked()
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=move || if error.get().is_some() { "quota_mb-hint quota_mb-error" } else { "quota_mb-hint" }
                on:input:target=move |event| typed.set(event.target().value())/>
            <FieldError name="quota_mb" message=error/>
        </div>
    }
}

/// How full the mailbox is, as Dovecot last counted it: in words for everyone, and against a
/// quota a meter that turns to the warning colour past 90%.
#[component]
pub fn Usage(bytes: Option<i64>, messages: Option<i64>, quota_mb: i64) -> impl IntoView {
    let (Some(bytes), Some(messages)) = (bytes, messages) else {
        return view! {
            <div class="usage">
                <p class="usage__text">"Mailbox usage: not counted yet; it shows after the first delivery."</p>
            </div>
        }
        .into_any();
    };
    let counted = format!("{} in {messages} {}", size(bytes), plural(messages));
    if quota_mb == 0 {
        return view! {
            <div class="usage">
                <p class="usage__text">{format!("Mailbox usage: {counted}; no quota.")}</p>
            </div>
        }
        .into_any();
    }
    let quota = quota_mb.saturating_mul(1 << 20);
    let percent = bytes.saturating_mul(100) / quota.max(1);
    view! {
        <div class="usage">
            <label class="usage__text" for="usage">
                {format!("Mailbox usage: {counted}, {percent}% of its {quota_mb} MB quota.")}
            </label>
            <meter class="usage__meter" id="usage" min="0" max=quota high=quota / 10 * 9 optimum="0" value=bytes>
                {format!("{percent}%")}
            </meter>
        </div>
    }
    .into_any()
}

fn plural(messages: i64) -> &'static str {
    if messages == 1 {
        "message"
    } else {
        "messages"
    }
}
