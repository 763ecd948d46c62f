//! The paste column of an add-many form, the same for accounts and aliases: the labelled box
//! with what a line holds and the server's refusal, any further fields, and beside it the live
//! report of the lines, which the box names as part of its description.

use leptos::prelude::*;

use crate::components::bulk_report::{BulkReportView, PasteReport};
use crate::components::field::FieldError;

/// The box and its report, inside the island that owns the form: the island keeps the text
/// typed so far in `text` and makes `report` from it.
#[component]
pub fn PasteBox(
    /// The box's id; its hint's and refusal's ids start with it.
    id: &'static str,
    /// The label above the box.
    label: &'static str,
    /// What a line holds.
    hint: &'static str,
    /// How many lines the box shows.
    rows: &'static str,
    /// The id of the report beside the box.
    report_id: &'static str,
    /// The text the box is drawn with: as typed before a refusal, or empty.
    initial: String,
    /// The text as typed since.
    text: RwSignal<String>,
    /// The server's refusal of the text, if it refused it.
    error: Option<String>,
    /// The report of the lines typed.
    #[prop(into)]
    report: Signal<PasteReport>,
    /// Fields under the box.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    let described = if error.is_some() {
        format!("{id}-hint {id}-error {report_id}")
    } else {
        format!("{id}-hint {report_id}")
    };
    view! {
        <div class="bulk__columns">
            <div class="field bulk__input">
                <label class="field__label" for=id>{label}</label>
                <p class="field__hint" id=format!("{id}-hint")>{hint}</p>
                <textarea
                    class="field__input bulk__text"
                    id=id
                    name="text"
                    rows=rows
                    spellcheck="false"
                    autocomplete="off"
                    aria-invalid=error.as_ref().map(|_| "true")
                    aria-describedby=described
                    on:input:target=move |event| text.set(event.target().value())
                >{initial}</textarea>
                <FieldError name=id message=error/>
                {children.map(|children| children())}
            </div>
            <div class="bulk__report" id=report_id aria-live="polite">
                <BulkReportView report/>
            </div>
        </div>
    }
}
