use leptos::prelude::*;
use leptos::task::spawn_local;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::{
    get_account, last_rebuild, rebuild_account, RebuildAccount, SetAccountPassword, UpdateAccount,
};
use crate::api::autoreply::get_autoreply;
use crate::api::forwarding::get_forwarding;
use crate::components::autoreply::AutoReplyCard;
use crate::components::forwarding::ForwardingCard;
use crate::components::layout::{refusal, ActionError, Layout, LoadFailed, Notice};
use crate::components::password_tools::NewPasswordFields;
use crate::components::quota::{QuotaField, Usage};
use crate::error::AppError;
use crate::error::FormRefusal;
use crate::model::accounts::AccountDetail;
use crate::model::autoreply::AutoReplySettings;
use crate::model::forwarding::Forwarding;
use crate::model::rebuild::RebuildRecord;
use crate::model::rebuild::RebuildReport;
use crate::pages::add_one::NameFields;
use crate::routes::{DeleteAccounts, EditAccount};

/// Edit account: names, active, password, delete.
#[component]
pub fn EditPage() -> impl IntoView {
    let query = use_query_map();
    let email = move || query.read().get("email").unwrap_or_default();
    // Every resource of the page is made here and only read inside the Suspenses: one made in
    // a Suspense's children can hold the server's rendering up (and would load after the
    // account instead of beside it).
    let account = Resource::new(email, get_account);
    let loads = CardLoads {
        forwarding: Resource::new(email, get_forwarding),
        autoreply: Resource::new(email, get_autoreply),
        last_rebuild: Resource::new(email, last_rebuild),
    };
    let notice = Signal::derive(move || {
        let query = query.read();
        if query.get("saved").is_some() {
            Some("Saved.".to_owned())
        } else if query.get("rebuilt").is_some() {
            Some("Rebuild finished. What it found and did is under Mailbox.".to_owned())
        } else if query.get("password").is_some() {
            Some(
                "The password is changed. The account's mail programs need the new one.".to_owned(),
            )
        } else {
            None
        }
    });
    view! {
        <Title text="Edit account"/>
        <Layout>
            <h1 class="page__title">"Edit account"</h1>
            <Notice text=notice/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || account.get().map(|result| match result {
                    Ok(account) => view! { <EditForms account loads/> }.into_any(),
                    Err(error) => view! { <LoadFailed error/> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

/// What the cards below the account's forms show, loaded with the account.
#[derive(Clone, Copy)]
struct CardLoads {
    forwarding: Resource<Result<Forwarding, AppError>>,
    autoreply: Resource<Result<AutoReplySettings, AppError>>,
    last_rebuild: Resource<Result<Option<RebuildRecord>, AppError>>,
}

#[component]
fn EditForms(account: AccountDetail, loads: CardLoads) -> impl IntoView {
    let update = ServerAction::<UpdateAccount>::new();
    let set_password = ServerAction::<SetAccountPassword>::new();
    let update_refused = FormRefusal::of(update);
    let password_refused = FormRefusal::of(set_password);
    let (update_error, password_error) = (update_refused.general(), password_refused.general());
    let active = update_refused.ticked("active", account.active);
    let delete = DeleteAccounts {
        domain: &account.domain,
        email: Some(&account.email),
        ..Default::default()
    }
    .href();
    let facts = format!(
        "Created {} · password changed {}",
        &account.created_at[..10.min(account.created_at.len())],
        &account.password_changed_at[..10.min(account.password_changed_at.len())],
    );
    let email = account.email.clone();
    let names = (account.first_name.clone(), account.last_name.clone());
    let (first_name, last_name) = (account.first_name, account.last_name);
    let (email_field, email_field_2, email_rebuild, email_forwarding) =
        (email.clone(), email.clone(), email.clone(), email.clone());
    view! {
        <p class="account__address">{account.email}</p>
        <p class="muted">{facts}</p>
        <Usage bytes=account.mailbox_bytes messages=account.message_count quota_mb=account.quota_mb/>
        <ActionForm action=update attr:class="card form" attr:id=EditAccount::DETAILS>
            <h2 class="card__title">"Details"</h2>
            <ActionError text=update_error/>
            <input type="hidden" name="email" value=email_field/>
            <NameFields initial=names refused=update_refused.clone()/>
            <label class="check">
                <input class="checkbox" type="checkbox" name="active" value="on" checked=active/>
                "Active: the account can log in and check mail"
            </label>
            <QuotaField quota_mb=account.quota_mb refused=update_refused/>
            <button class="button button--primary" type="submit">"Save"</button>
        </ActionForm>
        <ActionForm action=set_password attr:class="card form" attr:id=EditAccount::PASSWORD>
            <h2 class="card__title">"Change password"</h2>
            <ActionError text=password_error/>
            <input type="hidden" name="email" value=email_field_2/>
            <ChangePasswordFields email first_name last_name refused=password_refused/>
            <button class="button button--primary" type="submit">"Change password"</button>
        </ActionForm>
        <ForwardingCard email=email_forwarding current=loads.forwarding/>
        <AutoReplyCard email=email_rebuild.clone() settings=loads.autoreply/>
        <RebuildSection email=email_rebuild last=loads.last_rebuild/>
        <section class="card form">
            <h2 class="card__title">"Delete"</h2>
            <p>"The account stops working at once; it can be restored from Deleted accounts for 30 days."</p>
            <a class="button button--danger" href=delete>"Delete this account…"</a>
        </section>
    }
}

/// Rebuild mailbox: repairs what makes checking mail fail. A plain post comes back to this
/// page, which shows what the last rebuild found and did, from the audit log.
#[component]
fn RebuildSection(
    email: String,
    last: Resource<Result<Option<RebuildRecord>, AppError>>,
) -> impl IntoView {
    let rebuild = ServerAction::<RebuildAccount>::new();
    let error = refusal(rebuild);
    view! {
        <ActionForm action=rebuild attr:class="card form" attr:id=EditAccount::MAILBOX>
            <h2 class="card__title">"Mailbox"</h2>
            <p>"If this account gets errors when checking mail, rebuild its mailbox: it repairs folders, "
               "permissions and Dovecot's index files, and sets aside files that are not messages. Mail is never deleted."</p>
            <ActionError text=error/>
            <RebuildButton email/>
            <Suspense fallback=|| ()>
                {move || last.get().and_then(Result::ok).flatten().map(|record| view! {
                    <p class="muted">{format!("Last rebuilt {} by {}: {}", record.at.replace('T', " ").trim_end_matches('Z'), record.actor, record.summary)}</p>
                })}
            </Suspense>
        </ActionForm>
    }
}

/// The rebuild button. In the browser it runs the rebuild in place and shows the whole
/// report, file names included, which the audit log's summary leaves out.
#[island]
fn RebuildButton(email: String) -> impl IntoView {
    let (running, set_running) = signal(false);
    let (outcome, set_outcome) = signal(None::<Result<RebuildReport, String>>);
    let run = {
        let email = email.clone();
        move |event: leptos::ev::MouseEvent| {
            event.prevent_default();
            set_running.set(true);
            set_outcome.set(None);
            let email = email.clone();
            spawn_local(async move {
                let result = rebuild_account(email)
                    .await
                    .map_err(|error| error.to_string());
                set_outcome.set(Some(result));
                set_running.set(false);
            });
        }
    };
    view! {
        <input type="hidden" name="email" value=email/>
        <button class="button" type="submit" disabled=running on:click=run>"Rebuild mailbox"</button>
        {move || running.get().then(|| view! { <p class="progress" role="status"><progress></progress>"Rebuilding…"</p> })}
        {move || outcome.get().map(|result| match result {
            Ok(report) => view! {
                <div class="alert alert--ok" role="status">
                    <p class="report__title">"Rebuild finished."</p>
                    <ul>{report.lines().into_iter().map(|line| view! { <li>{line}</li> }).collect_view()}</ul>
                </div>
            }.into_any(),
            Err(message) => view! { <ActionError text=Some(message)/> }.into_any(),
        })}
    }
}

/// The new password of the account, checked against the rules that involve its saved names.
#[island]
fn ChangePasswordFields(
    email: String,
    first_name: String,
    last_name: String,
    refused: FormRefusal,
) -> impl IntoView {
    view! { <NewPasswordFields email first_name last_name refused/> }
}
