//! An account's quota: the field that sets it and the usage measured against it.

use leptos::prelude::*;

use crate::validate::parse_quota_mb;

/// The quota in MB, checked against the shared rule as it is typed. A text field rather than
/// `type="number"`, so "1.5" or "-1" get our message instead of the browser's silent refusal.
#[island]
pub fn QuotaField(quota_mb: i64) -> impl IntoView {
    let typed = RwSignal::new(quota_mb.to_string());
    let error = Signal::derive(move || parse_quota_mb(&typed.get()).err());
    view! {
        <div class="field">
            <label class="field__label" for="quota_mb">"Quota (MB)"</label>
            <p class="field__hint" id="quota_mb-hint">"Whole MB, such as 500; 0 means no limit. Mail that would go over it is refused."</p>
            <input class="field__input field__input--short" id="quota_mb" name="quota_mb" type="text"
                inputmode="numeric" autocomplete="off" required value=quota_mb.to_string()
                aria-invalid=move || error.get().map(|_| "true")
                aria-describedby=move || if error.get().is_some() { "quota_mb-hint quota_mb-error" } else { "quota_mb-hint" }
                on:input:target=move |event| typed.set(event.target().value())/>
            {move || error.get().map(|message| view! { <p class="field__error" id="quota_mb-error">{message}</p> })}
        </div>
    }
}
