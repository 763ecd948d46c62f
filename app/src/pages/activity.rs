use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::activity::list_activity;
use crate::components::layout::Layout;
use crate::components::pager::{page_number, Pager};
use crate::model::activity::ActivitySlice;
use crate::routes::Activity;

/// Activity: the domain's audit log, newest first, with a filter by action.
#[component]
pub fn ActivityScreen() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let query = query.read();
        let page = page_number(&query);
        (
            query.get("domain"),
            query.get("action").filter(|action| !action.is_empty()),
            page,
        )
    };
    let activity = Resource::new(params, |(domain, action, page)| {
        list_activity(domain, action, page)
    });
    view! {
        <Title text="Activity"/>
        <Layout>
            <h1 class="page__title">"Activity"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || activity.get().map(|result| match result {
                    Ok(page) => view! { <ActivityList page action=params().1/> }.into_any(),
                    Err(error) => view! { <p class="alert alert--error" role="alert">{error.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

#[component]
fn ActivityList(page: ActivitySlice, action: Option<String>) -> impl IntoView {
    let selected = action.clone().unwrap_or_default();
    let link = |to: u32| {
        Activity {
            domain: Some(&page.domain),
            action: Some(&selected),
            page: Some(to),
        }
        .href()
    };
    let pager =
        view! { <Pager page=page.page pages=page.pages link previous="Newer" next="Older"/> };
    view! {
        <form class="search" method="get" action=Activity::PATH>
            <input type="hidden" name="domain" value=page.domain.clone()/>
            <label class="search__label" for="action">"Show"</label>
            <div class="search__row">
                <select class="field__input" id="action" name="action">
                    <option value="" selected=selected.is_empty()>"Everything"</option>
                    {page.actions.iter().map(|name| view! {
                        <option value=name.clone() selected=*name == selected>{name.clone()}</option>
                    }).collect_view()}
                </select>
                <button class="button" type="submit">"Filter"</button>
            </div>
        </form>
        {if page.rows.is_empty() {
            view! { <p class="empty">{format!("Nothing recorded for {} yet.", page.domain)}</p> }.into_any()
        } else {
            view! {
                <table class="accounts">
                    <thead><tr>
                        <th scope="col">"When (UTC)"</th><th scope="col">"Who"</th><th scope="col">"Action"</th>
                        <th scope="col">"Account"</th><th scope="col">"Outcome"</th><th scope="col">"From"</th>
                    </tr></thead>
                    <tbody>
                        {page.rows.into_iter().map(|row| view! {
                            <tr>
                                <td data-label="When (UTC)">{row.at.replace('T', " ").trim_end_matches('Z').to_owned()}</td>
                                <td data-label="Who">{row.actor}</td>
                                <td data-label="Action">{row.action}</td>
                                <td data-label="Account">{row.target}</td>
                                <td data-label="Outcome">{if row.details.is_empty() { row.outcome } else { format!("{} ({})", row.outcome, row.details) }}</td>
                                <td data-label="From">{row.client_addr}</td>
                            </tr>
                        }).collect_view()}
                    </tbody>
                </table>
            }.into_any()
        }}
        {pager}
    }
}
