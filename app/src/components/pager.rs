//! Paging links under a list: plain links, so they work without JavaScript.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// The page asked for in `?page=`, 1 when absent or not a number.
pub fn page_number(query: &ParamsMap) -> u32 {
    query
        .get("page")
        .and_then(|page| page.parse().ok())
        .unwrap_or(1)
}

/// "Previous", where one is, "Next". `base` is the list's address with its query up to where
/// `page=N` goes (ending in `?` or `&`).
#[component]
pub fn Pager(
    page: u32,
    pages: u32,
    /// `pages` is only what is known: there may be more.
    #[prop(optional)]
    more: bool,
    base: String,
    #[prop(default = "Previous")] previous: &'static str,
    #[prop(default = "Next")] next: &'static str,
) -> impl IntoView {
    let link = |to: u32| format!("{base}page={to}");
    let before = (page > 1).then(|| link(page - 1));
    let after = (page < pages).then(|| link(page + 1));
    view! {
        <nav class="pager" aria-label="Pages">
            {before.map(|href| view! { <a class="button" href=href rel="prev">{previous}</a> })}
            <span class="pager__where">{format!("Page {page} of {pages}{}", if more { "+" } else { "" })}</span>
            {after.map(|href| view! { <a class="button" href=href rel="next">{next}</a> })}
        </nav>
    }
}
