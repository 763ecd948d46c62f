use leptos::prelude::*;
use leptos_meta::Title;

use crate::api::aliases::AddAlias;
use crate::components::bulk_report::PasteReport;
use crate::components::domain::use_current_domain;
use crate::components::field::{username_error, FieldError};
use crate::components::hydrated::use_hydrated;
use crate::components::layout::{ActionError, Layout};
use crate::components::paste_box::{PasteBox, PasteRefusal};
use crate::components::targets::TargetsInput;
use crate::error::FormRefusal;
use crate::model::drafts::AliasDraft;
use crate::routes::AddAliases;
use crate::validate::parse_alias_paste;

/// Add aliases: one alias by its fields, or many pasted one per line.
#[component]
pub fn AddAliasesPage() -> impl IntoView {
    let add = ServerAction::<AddAlias>::new();
    let domain = use_current_domain();
    let draft = use_context::<AliasDraft>().unwrap_or_default();
    let one_refused = FormRefusal::of(add);
    let error = one_refused.general();
    view! {
        <Title text="Add aliases"/>
        <Layout>
            <h1 class="page__title">"Add aliases"</h1>
            <p class="muted">"An alias is an address of the domain that delivers to other addresses: accounts, other aliases, or addresses outside."</p>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
            {move || domain.domains.get().map(|_| {
                let (error, one_refused) = (error.clone(), one_refused.clone());
                let name = domain.name.get().unwrap_or_default();
                let AliasDraft { domain: posted, text, refused } = draft.clone();
                // A paste posted after the session ended keeps the domain it was for.
                let for_paste = if name.is_empty() { posted } else { name.clone() };
                let for_one = name.clone();
                view! {
                    <ActionForm action=add attr:class="card form">
                        <h2 class="card__title">"Add one alias"</h2>
                        <input type="hidden" name="domain" value=name/>
                        <ActionError text=error/>
                        <OneAliasFields domain=for_one refused=one_refused/>
                        <button class="button button--primary" type="submit">"Add alias"</button>
                    </ActionForm>
                    <section class="card form form--wide">
                        <h2 class="card__title">"Add many aliases"</h2>
                        <AliasPasteForm domain=for_paste text refused/>
                    </section>
                }
            })}
            </Suspense>
        </Layout>
    }
}

/// The alias's name and targets, checked as they are typed with the rules the server applies;
/// after a refusal, as typed with the server's messages beside them.
#[island]
fn OneAliasFields(domain: String, refused: FormRefusal) -> impl IntoView {
    let name = RwSignal::new(refused.typed("name").unwrap_or_default());
    let address = {
        let domain = domain.clone();
        Signal::derive(move || {
            let typed = name.get();
            let local = typed
                .split('@')
                .next()
                .unwrap_or_default()
                .to_ascii_lowercase();
            format!("{local}@{domain}")
        })
    };
    let name_error = username_error(name, domain, refused.beside("name"));
    view! {
        <div class="field">
            <label class="field__label" for="alias-name">"Alias"</label>
            <p class="field__hint" id="alias-name-hint">
                {move || format!("Letters, digits, dots, dashes and underscores; the address becomes {}", address.get())}
            </p>
            <input class="field__input" id="alias-name" name="name" type="text" required
                autocomplete="off" spellcheck="false" autocapitalize="none"
                value=name.get_untracked()
                aria-invalid=move || name_error.get().map(|_| "true")
                aria-describedby=move || if name_error.get().is_some() { "alias-name-hint alias-name-error" } else { "alias-name-hint" }
                on:input:target=move |event| name.set(event.target().value())/>
            <FieldError name="alias-name" message=name_error/>
        </div>
        <TargetsInput name="targets" label="Delivers to" optional=false
            initial=refused.typed("targets").unwrap_or_default() refused=refused.beside("targets")
            hint="Full addresses, separated by commas, spaces or lines."/>
    }
}

/// The paste box and its live report. It posts as a plain form (see the server's form pages),
/// so a refusal comes back with the text and the problems by line, with or without JavaScript.
#[island]
fn AliasPasteForm(domain: String, text: String, refused: FormRefusal) -> impl IntoView {
    let initial = text;
    let text = RwSignal::new(initial.clone());
    let report = {
        let domain = domain.clone();
        Memo::new(move |_| parse_alias_paste(&text.get(), &domain))
    };
    // As on Add many accounts: only the running app holds the button back, so a page drawn
    // for a browser without JavaScript lets a fixed paste go again.
    let hydrated = use_hydrated();
    let blocked =
        move || hydrated.get() && report.with(|r| r.need_attention > 0 || r.too_big.is_some());
    let label = move || match report.with(|r| r.ready) {
        0 | 1 => "Add".to_owned(),
        n => format!("Add {n} aliases"),
    };
    view! {
        <form class="bulk" method="post" action=AddAliases::PATH>
            <input type="hidden" name="domain" value=domain/>
            <PasteRefusal refused=refused.clone()/>
            <PasteBox
                id="alias-text"
                label="Aliases, one per line"
                hint="alias  target[,target…] — the alias as a name or a full address of the domain, \
                      then where it delivers. Lines starting with # are skipped."
                rows="10"
                report_id="alias-report"
                initial
                text
                refused=refused.clone()
                report=Signal::derive(move || PasteReport::from(report.get()))
            />
            <button class="button button--primary" type="submit" disabled=blocked>{label}</button>
        </form>
    }
}
