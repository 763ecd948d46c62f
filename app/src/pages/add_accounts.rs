use leptos::prelude::*;
use leptos_meta::Title;
use serde::{Deserialize, Serialize};

use crate::api::mailboxes::AddAccounts;
use crate::components::bulk_report::BulkReportView;
use crate::components::domain::use_current_domain;
use crate::components::layout::{ActionError, Layout};
use crate::validate::{parse_bulk, BulkOptions, BulkReport};

/// A paste the server refused when it was posted without JavaScript: the page that answers
/// the post draws it again, with the reason, so that nothing is lost.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct BulkDraft {
    pub text: String,
    pub generate: bool,
    pub error: String,
}

/// Add accounts › Add many accounts: the default way to add, even for one account.
#[component]
pub fn AddAccountsPage() -> impl IntoView {
    let add = ServerAction::<AddAccounts>::new();
    let domain = use_current_domain();
    // Sent along with the page, so that the browser hydrates the same text.
    let draft = SharedValue::new(|| use_context::<BulkDraft>().unwrap_or_default()).into_inner();
    let text = RwSignal::new(draft.text.clone());
    let generate = RwSignal::new(draft.generate);
    let refused = (!draft.error.is_empty()).then_some(draft.error);
    let report = Memo::new(move |_| {
        let domain = domain.name.get().unwrap_or_default();
        parse_bulk(
            &text.get(),
            &domain,
            BulkOptions {
                generate_missing: generate.get(),
            },
        )
    });
    // Only problems hold the button back, and only once the app runs and re-checks as the text
    // changes: a page drawn for a browser without JavaScript must let a fixed paste go again.
    let (hydrated, set_hydrated) = signal(false);
    Effect::new(move |_| set_hydrated.set(true));
    let blocked = move || {
        hydrated.get() && report.with(|r: &BulkReport| r.need_attention > 0 || r.too_big.is_some())
    };
    let label = move || match report.with(|r| r.ready) {
        0 | 1 => "Add".to_owned(),
        n => format!("Add {n} accounts"),
    };
    let error = Signal::derive(move || match add.value().get() {
        Some(result) => result.err().map(|e| e.to_string()),
        None => refused.clone(),
    });
    // Without JavaScript the form posts to the page itself (see the server's form pages);
    // with it, the server function is called directly.
    let submit = move |event: leptos::ev::SubmitEvent| {
        event.prevent_default();
        let generate = generate.get_untracked().then(|| "on".to_owned());
        let domain = domain.name.get_untracked().unwrap_or_default();
        add.dispatch(AddAccounts {
            domain,
            text: text.get_untracked(),
            generate,
        });
    };
    view! {
        <Title text="Add accounts"/>
        <Layout>
            <h1 class="page__title">"Add accounts"</h1>
            <AddTabs current="many"/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || domain.domains.get().map(|_| view! {
            <form class="bulk" method="post" action="/users/add" on:submit=submit>
                <input type="hidden" name="domain" value=move || domain.name.get().unwrap_or_default()/>
                <ActionError text=error/>
                <div class="bulk__columns">
                    <div class="field bulk__input">
                        <label class="field__label" for="text">"Accounts, one per line"</label>
                        <p class="field__hint" id="text-hint">
                            "username  password  password-again  [first name  [last name]] — separated by spaces or tabs, "
                            "or comma-separated lines pasted from a spreadsheet. Lines starting with # are skipped."
                        </p>
                        <textarea
                            class="field__input bulk__text"
                            id="text"
                            name="text"
                            rows="12"
                            spellcheck="false"
                            autocomplete="off"
                            aria-describedby="text-hint bulk-report"
                            on:input:target=move |event| text.set(event.target().value())
                        >{text.get_untracked()}</textarea>
                        <label class="check">
                            <input class="checkbox" type="checkbox" name="generate" value="on" checked=generate.get_untracked()
                                on:change:target=move |event| generate.set(event.target().checked())/>
                            "Generate a password for lines that give only a username"
                        </label>
                    </div>
                    <div class="bulk__report" id="bulk-report" aria-live="polite">
                        <BulkReportView report=report/>
                    </div>
                </div>
                <button class="button button--primary" type="submit" disabled=blocked>{label}</button>
                {move || add.pending().get().then(|| view! {
                    <p class="progress" role="status">
                        <progress></progress>
                        {format!(" Adding {} accounts: each password is hashed securely, which takes a moment…", report.with(|r| r.ready))}
                    </p>
                })}
            </form>
            })}
            </Suspense>
        </Layout>
    }
}

/// The two ways to add, as tabs.
#[component]
pub fn AddTabs(current: &'static str) -> impl IntoView {
    let tab = move |id: &'static str| (id == current).then_some("page");
    view! {
        <nav class="tabs" aria-label="How to add">
            <a class="tabs__tab" href="/users/add" aria-current=tab("many")>"Add many accounts"</a>
            <a class="tabs__tab" href="/users/add-one" aria-current=tab("one")>"Add one account"</a>
        </nav>
    }
}
