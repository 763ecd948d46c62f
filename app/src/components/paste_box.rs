//! The paste column of an add-many form, the same for accounts and aliases: the labelled box
//! with what a line holds and the server's refusal, any further fields, and beside it the live
//! report of the lines, which the box names as part of its description, headed once the form
//! is posted by how far the server has got.

use leptos::prelude::*;

use crate::components::bulk_report::{refused_lines, report_html, PasteReport};
use crate::components::field::FieldError;
use crate::components::layout::ActionError;
use crate::error::FormRefusal;
use crate::routes::LogOn;
use crate::words::counted;

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
    /// The server's refusal of the text as posted (`initial`), if it refused it.
    refused: FormRefusal,
    /// The report of the lines typed.
    #[prop(into)]
    report: Signal<PasteReport>,
    /// What the form is doing once posted (how far an add has got), shown at the head of the
    /// report: under the box, in sight, where the report was being read.
    #[prop(optional, into)]
    status: Option<ViewFn>,
    /// Fields under the box.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    // Lines the server refused are marked in the report, which counts them; beside the box
    // only a pointer to them, or the refusal of the whole text.
    let refused_lines = refused_lines(&refused, &initial);
    let error = if refused_lines.is_empty() {
        refused.beside("text")
    } else {
        let lines = counted(refused_lines.len() as u64, "line", "lines");
        Some(format!(
            "The server refused {lines}: each is marked in the report."
        ))
    };
    let report_html = move || report_html(report.get().with_refused(&text.get(), &refused_lines));
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
                <div class="bulk__more">{children.map(|children| children())}</div>
            </div>
            <div class="bulk__report" id=report_id>
                {status.map(|status| move || status.run())}
                // The status says itself what is worth announcing; the report is announced
                // as it changes.
                <div aria-live="polite" inner_html=report_html></div>
            </div>
        </div>
    }
}

/// Why the server refused the paste, above the form. A session that ended while the paste was
/// prepared gets its own words and a way back that keeps the paste in this page.
#[component]
pub fn PasteRefusal(refused: FormRefusal) -> impl IntoView {
    if refused.session_ended() {
        return view! {
            <div class="alert alert--error" role="alert">
                <p>"Your session ended while you were preparing this list, so nothing was added. It is kept here."</p>
                <p>
                    <a href=LogOn::PATH target="_blank" rel="noopener">"Log on again in a new tab"</a>
                    ", then come back to this page and add the list."
                </p>
            </div>
        }
        .into_any();
    }
    view! { <ActionError text=refused.general()/> }.into_any()
}
