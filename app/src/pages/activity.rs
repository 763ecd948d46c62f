use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::activity::list_activity;
use crate::components::layout::Layout;
use crate::components::pager::{page_number, Pager};
use crate::components::rows_html::Rows;
use crate::model::activity::{Action, ActivityRow, ActivitySlice};
use crate::routes::{Activity, EditAccount, EditAlias};

/// Activity: the domain's audit log, newest first, with filters by action and by account.
#[component]
pub fn ActivityScreen() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let query = query.read();
        let page = page_number(&query);
        (
            query.get("domain"),
            query.get("action").filter(|action| !action.is_empty()),
            query
                .get("account")
                .filter(|account| !account.trim().is_empty()),
            page,
        )
    };
    let activity = Resource::new(params, |(domain, action, account, page)| {
        list_activity(domain, action, account, page)
    });
    view! {
        <Title text="Activity"/>
        <Layout>
            <h1 class="page__title">"Activity"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || activity.get().map(|result| match result {
                    Ok(page) => {
                        let (_, action, account, _) = params();
                        view! { <ActivityList page action account/> }.into_any()
                    }
                    Err(error) => view! { <p class="alert alert--error" role="alert">{error.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

/// A stored action in words; a name this version does not know, as stored.
fn action_words(name: &str) -> String {
    Action::from_stored(name).map_or_else(|| name.to_owned(), |action| action.words().to_owned())
}

#[component]
fn ActivityList(
    page: ActivitySlice,
    action: Option<String>,
    account: Option<String>,
) -> impl IntoView {
    let selected = action.unwrap_or_default();
    let account = account.unwrap_or_default();
    let link = |to: u32| {
        Activity {
            domain: Some(&page.domain),
            action: Some(selected.as_str()).filter(|action| !action.is_empty()),
            account: Some(account.as_str()).filter(|account| !account.is_empty()),
            page: Some(to),
        }
        .href()
    };
    let pager =
        view! { <Pager page=page.page pages=page.pages link previous="Newer" next="Older"/> };
    let empty = if account.is_empty() {
        format!("Nothing recorded for {} yet.", page.domain)
    } else {
        format!("Nothing recorded for {account} here.")
    };
    view! {
        <form class="filters" method="get" action=Activity::PATH role="search">
            <input type="hidden" name="domain" value=page.domain.clone()/>
            <div class="field">
                <label class="field__label" for="action">"Show"</label>
                <select class="field__input" id="action" name="action">
                    <option value="" selected=selected.is_empty()>"Everything"</option>
                    {page.actions.iter().map(|name| view! {
                        <option value=name.clone() selected=*name == selected>{action_words(name)}</option>
                    }).collect_view()}
                </select>
            </div>
            <div class="field">
                <label class="field__label" for="account">"Account"</label>
                <input class="field__input" id="account" name="account" type="search" value=account.clone()
                    placeholder="username or address" autocomplete="off" spellcheck="false"/>
            </div>
            <button class="button" type="submit">"Filter"</button>
        </form>
        {if page.rows.is_empty() {
            view! { <p class="empty">{empty}</p> }.into_any()
        } else {
            view! {
                <table class="accounts">
                    <thead><tr>
                        <th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"Action"</th>
                        <th scope="col">"Account"</th><th scope="col">"Outcome"</th><th scope="col">"From"</th>
                    </tr></thead>
                    <tbody inner_html=rows_html(&page.rows)></tbody>
                </table>
            }.into_any()
        }}
        {pager}
    }
}

/// The entries as one piece of HTML (see [`Rows`]): an account or alias an entry names is a
/// link to its screen.
fn rows_html(rows: &[ActivityRow]) -> String {
    let mut html = Rows::with_capacity(rows.len());
    for row in rows {
        let action = Action::from_stored(&row.action);
        let screen = match action {
            Some(
                Action::AccountAdd
                | Action::AccountUpdate
                | Action::AccountPasswd
                | Action::AccountRestore
                | Action::AccountRebuild
                | Action::AccountForward
                | Action::AccountAutoreply,
            ) => Some(
                EditAccount {
                    email: &row.target,
                    ..EditAccount::default()
                }
                .href(),
            ),
            Some(Action::AliasAdd | Action::AliasUpdate | Action::AliasRestore) => Some(
                EditAlias {
                    address: &row.target,
                    ..EditAlias::default()
                }
                .href(),
            ),
            _ => None,
        }
        .filter(|_| !row.target.is_empty());
        let outcome = match row.outcome.as_str() {
            "ok" => "Done",
            "refused" => "Refused",
            "failed" => "Failed",
            other => other,
        };
        let outcome = if row.details.is_empty() {
            outcome.to_owned()
        } else {
            format!("{outcome} ({})", row.details)
        };
        html.start();
        html.text("When (UTC)", row.at.replace('T', " ").trim_end_matches('Z'));
        html.text("Who", &row.actor);
        html.text("Action", &action_words(&row.action));
        html.address("Account", &row.target, screen.as_deref());
        html.text("Outcome", &outcome);
        html.text("From", &row.client_addr);
        html.end();
    }
    html.into_html()
}
