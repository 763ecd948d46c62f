use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::mailboxes::{list_mailboxes, MailboxPage};
use crate::components::layout::Layout;
use crate::url::encode_query;

/// Users: the domain's accounts, searchable and paginated.
#[component]
pub fn UsersPage() -> impl IntoView {
    let query = use_query_map();
    let params = move || {
        let query = query.read();
        let page = query
            .get("page")
            .and_then(|page| page.parse().ok())
            .unwrap_or(1);
        (
            query.get("domain"),
            query.get("q").unwrap_or_default(),
            page,
        )
    };
    let accounts = Resource::new(params, |(domain, search, page)| {
        list_mailboxes(domain, search, page)
    });
    view! {
        <Title text="Users"/>
        <Layout>
            <h1 class="page__title">"Users"</h1>
            <form class="search" method="get" action="/users" role="search">
                {move || params().0.map(|domain| view! { <input type="hidden" name="domain" value=domain/> })}
                <label class="search__label" for="q">"Search by address or name"</label>
                <div class="search__row">
                    <input class="field__input" id="q" name="q" type="search" value=move || params().1/>
                    <button class="button" type="submit">"Search"</button>
                </div>
            </form>
            <Suspense fallback=|| view! { <p class="muted">"Loading accounts…"</p> }>
                {move || accounts.get().map(|result| match result {
                    Ok(page) => view! { <AccountList page search=params().1/> }.into_any(),
                    Err(error) => view! { <p class="alert alert--error" role="alert">{error.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

/// The table of accounts (cards on a phone), with paging links.
#[component]
fn AccountList(page: MailboxPage, search: String) -> impl IntoView {
    if page.rows.is_empty() {
        let text = if search.is_empty() {
            format!("There are no accounts in {} yet.", page.domain)
        } else {
            format!(
                "No account in {} matches \u{201c}{search}\u{201d}.",
                page.domain
            )
        };
        return view! { <p class="empty">{text}</p> }.into_any();
    }
    let link = {
        let (domain, search) = (page.domain.clone(), search.clone());
        move |to: u32| {
            format!(
                "/users?domain={domain}&q={}&page={to}",
                encode_query(&search)
            )
        }
    };
    let previous = (page.page > 1).then(|| link(page.page - 1));
    let next = (page.page < page.pages).then(|| link(page.page + 1));
    view! {
        <p class="muted">{format!("{} accounts in {}", page.total, page.domain)}</p>
        <table class="accounts">
            <thead>
                <tr><th scope="col">"Address"</th><th scope="col">"Name"</th><th scope="col">"Status"</th><th scope="col">"Created"</th><th scope="col">"Size"</th></tr>
            </thead>
            <tbody>
                {page.rows.into_iter().map(|row| view! {
                    <tr>
                        <td data-label="Address">{row.email}</td>
                        <td data-label="Name">{format!("{} {}", row.first_name, row.last_name).trim().to_owned()}</td>
                        <td data-label="Status">{if row.active { "Active" } else { "Disabled" }}</td>
                        <td data-label="Created">{row.created}</td>
                        <td data-label="Size">{row.mailbox_bytes.map_or_else(|| "—".to_owned(), size)}</td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <nav class="pager" aria-label="Pages">
            {previous.map(|href| view! { <a class="button" href=href rel="prev">"Previous"</a> })}
            <span class="pager__where">{format!("Page {} of {}", page.page, page.pages)}</span>
            {next.map(|href| view! { <a class="button" href=href rel="next">"Next"</a> })}
        </nav>
    }
    .into_any()
}

/// A size in bytes as people read it.
fn size(bytes: i64) -> String {
    match bytes {
        b if b >= 1 << 30 => format!("{:.1} GB", b as f64 / (1u64 << 30) as f64),
        b if b >= 1 << 20 => format!("{:.1} MB", b as f64 / (1u64 << 20) as f64),
        b if b >= 1 << 10 => format!("{} KB", b >> 10),
        b => format!("{b} bytes"),
    }
}
