use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::aliases::list_aliases;
use crate::components::address_kind as kinds;
use crate::components::layout::Layout;
use crate::components::list_head::{list_head, place_fields, select_all};
use crate::components::pager::{page_number, Pager};
use crate::model::aliases::{AliasRow, AliasSlice};
use crate::routes::{Aliases, DeleteAliases, EditAlias};
use crate::words::{counted, grouped};

/// Aliases: the domain's aliases, searchable and paginated, with multi-select for delete.
#[component]
pub fn AliasesPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let query = query.read();
        (
            query.get("domain"),
            query.get("q").unwrap_or_default(),
            page_number(&query),
        )
    };
    let notice = move || {
        let query = query.read();
        if let Some(address) = query.get("added") {
            Some(format!("Added the alias {address}."))
        } else if let Some(count) = query.get("added_many") {
            count
                .parse()
                .ok()
                .map(|n| format!("Added {}.", counted(n, "alias", "aliases")))
        } else {
            query.get("deleted").and_then(|n| n.parse().ok()).map(|n| {
                if n == 0 {
                    // A delete asked for with nothing ticked comes back here.
                    return "Nothing was deleted: tick the aliases to delete, then choose Delete selected…".to_owned();
                }
                format!(
                    "Deleted {}. {} be restored from Deleted aliases.",
                    counted(n, "alias", "aliases"),
                    if n == 1 { "It can" } else { "They can" }
                )
            })
        }
    };
    let aliases = Resource::new(params, |(domain, search, page)| {
        list_aliases(domain, search, page)
    });
    view! {
        <Title text="Aliases"/>
        <Layout>
            {list_head::<kinds::Aliases>(
                Signal::derive(notice),
                Signal::derive(move || params().0),
                Signal::derive(move || params().1),
            )}
            <Suspense fallback=|| view! { <p class="muted">"Loading aliases…"</p> }>
                {move || aliases.get().map(|result| match result {
                    Ok(page) => view! { <AliasList page search=params().1/> }.into_any(),
                    Err(error) => view! { <p class="alert alert--error" role="alert">{error.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

/// The aliases (a table on a desktop, cards on a phone) in a form that asks to delete the
/// selected ones, with paging links.
#[component]
fn AliasList(page: AliasSlice, search: String) -> impl IntoView {
    if page.rows.is_empty() {
        let text = if search.is_empty() {
            format!("There are no aliases in {} yet.", page.domain)
        } else {
            format!(
                "No alias in {} matches \u{201c}{search}\u{201d}.",
                page.domain
            )
        };
        return view! { <p class="empty">{text}</p> }.into_any();
    }
    let link = |to: u32| {
        Aliases {
            domain: Some(&page.domain),
            q: Some(&search),
            page: Some(to),
            ..Aliases::default()
        }
        .href()
    };
    let pager = view! { <Pager page=page.page pages=page.pages more=page.more link/> };
    let select_everything = (!search.trim().is_empty()).then(|| {
        let href = DeleteAliases {
            domain: &page.domain,
            matching: Some(&search),
            ..DeleteAliases::default()
        }
        .href();
        select_all(href, page.total, page.more)
    });
    view! {
        <form method="get" action=DeleteAliases::PATH>
            <input type="hidden" name="domain" value=page.domain.clone()/>
            {place_fields([("q", Some(search.clone())), ("page", Some(page.page.to_string()))])}
            <div class="list__bar">
                <p class="muted">{format!("{}{} in {}", grouped(page.total), if page.more { "+ aliases" } else if page.total == 1 { " alias" } else { " aliases" }, page.domain)}</p>
                {select_everything}
                <button class="button button--danger" type="submit" aria-describedby="ticks-hint">"Delete selected…"</button>
                // Ticks live in this page's form: moving to another page leaves them behind.
                <p class="list__hint muted" id="ticks-hint">"Ticks count on this page only: delete them before moving to another page."</p>
            </div>
            <table class="accounts">
                <thead>
                    <tr>
                        <th scope="col"><span class="visually-hidden">"Select"</span></th>
                        <th scope="col">"Alias"</th><th scope="col">"Delivers to"</th><th scope="col">"Changed"</th>
                    </tr>
                </thead>
                <tbody>{page.rows.into_iter().map(|row| view! { <AliasLine row/> }).collect_view()}</tbody>
            </table>
        </form>
        {pager}
    }
    .into_any()
}

#[component]
fn AliasLine(row: AliasRow) -> impl IntoView {
    let edit = EditAlias {
        address: &row.address,
        ..EditAlias::default()
    }
    .href();
    let select_label = format!("Select {}", row.address);
    view! {
        <tr>
            <td class="accounts__select">
                <input class="checkbox" type="checkbox" name="address" value=row.address.clone() aria-label=select_label/>
            </td>
            <td data-label="Alias"><a href=edit><BreakableAddress address=row.address/></a></td>
            <td data-label="Targets">{row.targets}</td>
            <td data-label="Changed">{row.updated}</td>
        </tr>
    }
}

/// An address that a narrow screen breaks after its @ before anywhere else.
#[component]
fn BreakableAddress(address: String) -> impl IntoView {
    match address.split_once('@') {
        Some((local, domain)) => {
            view! { {format!("{local}@")}<wbr/>{domain.to_owned()} }.into_any()
        }
        None => view! { {address} }.into_any(),
    }
}
