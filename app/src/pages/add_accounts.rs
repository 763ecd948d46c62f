use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::mailboxes::AddAccounts;
use crate::components::bulk_report::BulkReportView;
use crate::components::domain::use_current_domain;
use crate::components::layout::{ActionError, Layout};
use crate::validate::{parse_bulk, BulkOptions, BulkReport};

/// Add accounts › Add many accounts: the default way to add, even for one account.
#[component]
pub fn AddAccountsPage() -> impl IntoView {
    let add = ServerAction::<AddAccounts>::new();
    let domain = use_current_domain();
    let text = RwSignal::new(String::new());
    let generate = RwSignal::new(false);
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
    // Only problems hold the button back: without JavaScript the report is empty and the
    // server has the last word anyway.
    let blocked = move || report.with(|r: &BulkReport| r.need_attention > 0 || r.too_big.is_some());
    let label = move || match report.with(|r| r.ready) {
        0 | 1 => "Add".to_owned(),
        n => format!("Add {n} accounts"),
    };
    let error = Signal::derive(move || {
        add.value()
            .get()
            .and_then(Result::err)
            .map(|e| e.to_string())
    });
    view! {
        <Title text="Add accounts"/>
        <Layout>
            <h1 class="page__title">"Add accounts"</h1>
            <AddTabs current="many"/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || domain.domains.get().map(|_| view! {
            <ActionForm action=add attr:class="bulk">
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
                        ></textarea>
                        <label class="check">
                            <input class="checkbox" type="checkbox" name="generate" value="on"
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
            </ActionForm>
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
