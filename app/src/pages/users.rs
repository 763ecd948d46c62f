use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::list_accounts;
use crate::components::address_kind::Accounts;
use crate::components::layout::Layout;
use crate::components::list_head::{list_head, place_fields, select_all};
use crate::components::pager::{page_number, PagerLinks};
use crate::components::rows_html::Rows;
use crate::model::accounts::{AccountRow, AccountSlice};
use crate::routes::{AddAccounts, DeleteAccounts, EditAccount, ExportAccounts, Users};
use crate::words::{counted, grouped};

/// Users: the domain's accounts, searchable and paginated, with multi-select for delete.
#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let query = query.read();
        (
            query.get("domain"),
            query.get("q").unwrap_or_default(),
            page_number(&query),
            query.get("after"),
            query.get("before"),
        )
    };
    let deleted = move || {
        query
            .read()
            .get("deleted")
            .and_then(|n| n.parse().ok())
            .map(|n| {
                if n == 0 {
                    // A delete asked for with nothing ticked comes back here.
                    return "Nothing was deleted: tick the accounts to delete, then choose Delete selected…".to_owned();
                }
                format!(
                    "Deleted {}. {} be restored from Deleted accounts.",
                    counted(n, "account", "accounts"),
                    if n == 1 { "It can" } else { "They can" }
                )
            })
    };
    let accounts = Resource::new(params, |(domain, search, page, after, before)| {
        list_accounts(domain, search, page, after, before)
    });
    view! {
        <Title text="Users"/>
        <Layout>
            {list_head::<Accounts>(
                Signal::derive(deleted),
                Signal::derive(move || params().0),
                Signal::derive(move || params().1),
            )}
            <Suspense fallback=|| view! { <p class="muted">"Loading accounts…"</p> }>
                // Read in place: a copy of the page's rows would cost more than writing them out.
                {move || accounts.with(|result| result.as_ref().map(|result| match result {
                    Ok(page) => {
                        let (_, search, _, after, before) = params();
                        account_list(page, &search, [after, before])
                    }
                    Err(error) => view! { <p class="alert alert--error" role="alert">{error.to_string()}</p> }.into_any(),
                }))}
            </Suspense>
        </Layout>
    }
}

/// The accounts (a table on a desktop, cards on a phone) in a form that asks to delete the
/// selected ones, with paging links. The form carries where the list is (the search, the
/// page and the address it starts `after` or ends `before`), for the delete to come back to.
fn account_list(
    page: &AccountSlice,
    search: &str,
    [after, before]: [Option<String>; 2],
) -> AnyView {
    if page.rows.is_empty() {
        let (domain, search) = (page.domain.clone(), search.to_owned());
        return view! { <EmptyList domain search/> }.into_any();
    }
    let pager = pager_links(page, search);
    // Every account of the domain, whatever the search: the file is the domain's list.
    let export = ExportAccounts {
        domain: &page.domain,
    }
    .href();
    let select_everything = (!search.trim().is_empty()).then(|| {
        let href = DeleteAccounts {
            domain: &page.domain,
            matching: Some(search),
            ..DeleteAccounts::default()
        }
        .href();
        select_all(href, page.total, page.more)
    });
    view! {
        <form method="get" action=DeleteAccounts::PATH>
            <input type="hidden" name="domain" value=page.domain.clone()/>
            {place_fields([("q", Some(search.to_owned())), ("page", Some(page.page.to_string())), ("after", after), ("before", before)])}
            <div class="list__bar">
                <p class="muted">{format!("{}{} {} in {}", grouped(page.total), if page.more { "+" } else { "" }, if page.total == 1 && !page.more { "account" } else { "accounts" }, page.domain)}</p>
                <a class="button" href=export rel="external">"Export as CSV"</a>
                {select_everything}
                <button class="button button--danger" type="submit" aria-describedby="ticks-hint">"Delete selected…"</button>
                // Ticks live in this page's form: moving to another page leaves them behind.
                <p class="list__hint muted" id="ticks-hint">"Ticks count on this page only: delete them before moving to another page."</p>
            </div>
            <table class="accounts">
                <thead>
                    <tr>
                        <th scope="col"><span class="visually-hidden">"Select"</span></th>
                        <th scope="col">"Address"</th><th scope="col">"Name"</th><th scope="col">"Status"</th>
                        <th scope="col">"Created"</th><th scope="col">"Size"</th>
                    </tr>
                </thead>
                <tbody inner_html=rows_html(&page.rows)></tbody>
            </table>
        </form>
        {pager}
    }
    .into_any()
}

/// Previous and Next as plain links that carry the address the page ends at, and the page's
/// number for "Page N of M"; the page after the first goes back to the first itself.
fn pager_links(page: &AccountSlice, search: &str) -> impl IntoView {
    let first = Users {
        domain: Some(&page.domain),
        q: Some(search).filter(|search| !search.is_empty()),
        ..Users::default()
    };
    let before = page.has_previous.then(|| match page.page {
        ..=2 => first.href(),
        n => Users {
            page: Some(n - 1),
            before: page.rows.first().map(|row| row.email.as_str()),
            ..first
        }
        .href(),
    });
    let after = page.has_next.then(|| {
        Users {
            page: Some(page.page.saturating_add(1)),
            after: page.rows.last().map(|row| row.email.as_str()),
            ..first
        }
        .href()
    });
    let place = format!(
        "Page {} of {}{}",
        page.page,
        page.pages,
        if page.more { "+" } else { "" }
    );
    // Paged by address, a deep page is reached by moving, not by number: the way back to the
    // first one is offered once it is more than a step away.
    let back_to_first = (page.page > 2).then(|| first.href());
    view! {
        <PagerLinks before after place>
            {back_to_first.map(|href| view! { <p class="pager__numbers"><a href=href>"First page"</a></p> })}
        </PagerLinks>
    }
}

/// The table's rows as one piece of HTML (see [`Rows`]).
fn rows_html(rows: &[AccountRow]) -> String {
    let mut html = Rows::with_capacity(rows.len());
    for row in rows {
        let edit = EditAccount {
            email: &row.email,
            ..EditAccount::default()
        }
        .href();
        html.start();
        html.tick("email", &row.email);
        html.address("Address", &row.email, Some(&edit));
        html.text(
            "Name",
            format!("{} {}", row.first_name, row.last_name).trim(),
        );
        html.text("Status", if row.active { "Active" } else { "Disabled" });
        html.text("Created", &row.created);
        html.text(
            "Size",
            &row.mailbox_bytes.map_or_else(|| "—".to_owned(), size),
        );
        html.end();
    }
    html.into_html()
}

/// What an empty list says, and where to go from there.
#[component]
fn EmptyList(domain: String, search: String) -> impl IntoView {
    if search.is_empty() {
        view! {
            <div class="empty">
                <p>{format!("There are no accounts in {domain} yet.")}</p>
                <a class="button button--primary" href=AddAccounts::PATH>"Add accounts"</a>
            </div>
        }
        .into_any()
    } else {
        view! { <p class="empty">{format!("No account in {domain} matches \u{201c}{search}\u{201d}.")}</p> }.into_any()
    }
}

/// A size in bytes as people read it.
pub fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{} KB", b >> 10),
        b => format!("{b} bytes"),
    }
}
