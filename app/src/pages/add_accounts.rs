use std::time::Duration;

use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;

use crate::api::accounts::add_progress;
use crate::components::bulk_report::PasteReport;
use crate::components::domain::use_current_domain;
use crate::components::hydrated::use_hydrated;
use crate::components::layout::Layout;
use crate::components::paste_box::{PasteBox, PasteRefusal};
use crate::components::quota::{quota_error, QuotaInput};
use crate::error::FormRefusal;
use crate::model::drafts::BulkDraft;
use crate::routes::{AddAccounts, AddOne};
use crate::validate::{parse_bulk, BulkOptions, BulkReport};
use crate::words::{counted, grouped};

/// Add accounts › Add many accounts: the default way to add, even for one account.
#[component]
pub fn AddAccountsPage() -> impl IntoView {
    let domain = use_current_domain();
    let draft = use_context::<BulkDraft>().unwrap_or_default();
    view! {
        <Title text="Add accounts"/>
        <Layout>
            <h1 class="page__title">"Add accounts"</h1>
            <AddTabs current="many"/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || domain.domains.get().map(|_| {
                let BulkDraft { domain: posted, text, generate, quota_mb, refused } = draft.clone();
                // A paste posted after the session ended keeps the domain it was for.
                let domain = domain.name.get().unwrap_or(posted);
                view! { <BulkForm domain text generate quota_mb refused/> }
            })}
            </Suspense>
        </Layout>
    }
}

/// How often the page asks how far an add has got.
const PROGRESS_EVERY: Duration = Duration::from_millis(250);

/// The paste box and its live report. It posts as a plain form (see the server's form pages),
/// so a refusal comes back with the text and the reason, with or without JavaScript.
#[island]
fn BulkForm(
    domain: String,
    text: String,
    generate: bool,
    quota_mb: String,
    refused: FormRefusal,
) -> impl IntoView {
    let initial = text;
    let text = RwSignal::new(initial.clone());
    let generate = RwSignal::new(generate);
    let quota_mb = RwSignal::new(quota_mb);
    let report = {
        let domain = domain.clone();
        Memo::new(move |_| {
            parse_bulk(
                &text.get(),
                &domain,
                BulkOptions {
                    generate_missing: generate.get(),
                },
            )
        })
    };
    // Only problems hold the button back, and only once the app runs and re-checks as the text
    // changes: a page drawn for a browser without JavaScript must let a fixed paste go again.
    let hydrated = use_hydrated();
    let (sending, set_sending) = signal(false);
    // While the post is on the way, the server says how many passwords it has hashed.
    let (hashed, set_hashed) = signal(None::<(usize, usize)>);
    let form = NodeRef::<leptos::html::Form>::new();
    let asking = StoredValue::new(None::<IntervalHandle>);
    let progress = NodeRef::<leptos::html::Div>::new();
    let submit = move |_| {
        set_sending.set(true);
        // The button is under the options, which on a phone come after the report: bring
        // the count, drawn at the head of the report, into sight when it is not.
        request_animation_frame(move || {
            if let Some(progress) = progress.get_untracked() {
                let nearest = web_sys::ScrollIntoViewOptions::new();
                nearest.set_block(web_sys::ScrollLogicalPosition::Nearest);
                progress.scroll_into_view_with_scroll_into_view_options(&nearest);
            }
        });
        let ask = move || {
            // The page that answers the post takes this form's place without a reload: the
            // asking ends with the form, not with the document.
            if !form.get_untracked().is_some_and(|form| form.is_connected()) {
                if let Some(handle) = asking.get_value() {
                    handle.clear();
                }
                return;
            }
            spawn_local(async move {
                if let Ok(Some(progress)) = add_progress().await {
                    set_hashed.set(Some(progress));
                }
            })
        };
        asking.set_value(set_interval_with_handle(ask, PROGRESS_EVERY).ok());
    };
    let blocked = move || {
        sending.get()
            || hydrated.get()
                && (report.with(|r: &BulkReport| r.need_attention > 0 || r.too_big.is_some())
                    || quota_error(&quota_mb.get(), true).is_some())
    };
    let label = move || match report.with(|r| r.ready) {
        0 | 1 => "Add".to_owned(),
        n => format!("Add {n} accounts"),
    };
    view! {
        <form class="bulk" method="post" action=AddAccounts::PATH node_ref=form on:submit=submit>
            <input type="hidden" name="domain" value=domain/>
            <PasteRefusal refused=refused.clone()/>
            <PasteBox
                id="text"
                label="Accounts, one per line"
                hint="username  password  password-again  [first name  [last name]] — separated by spaces or tabs, \
                      or lines pasted from a spreadsheet, separated by commas or semicolons (a row of headings is skipped). \
                      Lines starting with # are skipped."
                rows="12"
                report_id="bulk-report"
                initial
                text
                refused=refused.clone()
                report=Signal::derive(move || PasteReport::from(report.get()))
                // The browser is busy posting: say why the page waits, and how far the server
                // is. Only the sentence is announced; the count changes too often to be read out.
                status=move || sending.get().then(|| {
                    let ready = report.with(|r| r.ready);
                    view! {
                        <div class="progress" node_ref=progress>
                            <progress aria-label="Passwords hashed" max=move || hashed.get().map(|(_, total)| total)
                                value=move || hashed.get().map(|(done, _)| done)></progress>
                            <p role="status">{format!("Adding {}: each password is hashed securely, which takes a moment…", counted(ready as u64, "account", "accounts"))}</p>
                            {move || hashed.get().map(|(done, total)| view! { <p class="muted">{format!("{} of {} hashed", grouped(done as u64), grouped(total as u64))}</p> })}
                        </div>
                    }
                })
            >
                <label class="check">
                    <input class="checkbox" type="checkbox" name="generate" value="on" checked=generate.get_untracked()
                        on:change:target=move |event| generate.set(event.target().checked())/>
                    "Generate a password for lines that give only a username"
                </label>
                <QuotaInput typed=quota_mb optional=true refused=refused.beside("quota_mb")/>
            </PasteBox>
            <button class="button button--primary" type="submit" disabled=blocked>{label}</button>
        </form>
    }
}

/// The two ways to add, as tabs.
#[component]
pub fn AddTabs(current: &'static str) -> impl IntoView {
    let tab = move |id: &'static str| (id == current).then_some("page");
    view! {
        <nav class="tabs" aria-label="How to add">
            <a class="tabs__tab" href=AddAccounts::PATH aria-current=tab("many")>"Add many accounts"</a>
            <a class="tabs__tab" href=AddOne::PATH aria-current=tab("one")>"Add one account"</a>
        </nav>
    }
}
