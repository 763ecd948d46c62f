//! Paging links under a list: plain links, so they work without JavaScript.

use leptos::prelude::*;
use leptos_router::params::ParamsMap;

/// The page asked for in `?page=`: 1 when absent, not a number or negative, and the last page
/// there can be when larger, whatever its number of digits. The list itself clamps it to the
/// pages it has.
pub fn page_number(query: &ParamsMap) -> u32 {
    query.get("page").map_or(1, |page| parse_page(&page))
}

fn parse_page(text: &str) -> u32 {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return 1;
    }
    // Only digits: a number too large for a page is as far as paging goes.
    text.parse().unwrap_or(u32::MAX).max(1)
}

/// "Previous", where one is, "Next". `link` gives the list's address at a page's number.
#[component]
pub fn Pager(
    page: u32,
    pages: u32,
    link: impl Fn(u32) -> String,
    #[prop(default = "Previous")] previous: &'static str,
    #[prop(default = "Next")] next: &'static str,
) -> impl IntoView {
    view! {
        <PagerLinks
            before=(page > 1).then(|| link(page - 1))
            after=(page < pages).then(|| link(page + 1))
            place=format!("Page {page} of {pages}")
            previous
            next
        />
    }
}

/// The paging links themselves, to the addresses given: a list paged by key makes its own.
#[component]
pub fn PagerLinks(
    before: Option<String>,
    after: Option<String>,
    /// Where the page is, such as "Page 2 of 9".
    place: String,
    #[prop(default = "Previous")] previous: &'static str,
    #[prop(default = "Next")] next: &'static str,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            {before.map(|href| view! { <a class="button" href=href rel="prev">{previous}</a> })}
            <span class="pager__where">{place}</span>
            {after.map(|href| view! { <a class="button" href=href rel="next">{next}</a> })}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::parse_page;

    #[test]
    fn page_numbers_of_any_size_or_sign_are_pages() {
        let cases = [
            ("1", 1),
            ("2", 2),
            ("0", 1),
            ("", 1),
            ("-1", 1),
            ("+2", 1),
            ("two", 1),
            ("1e3", 1),
            ("4294967295", u32::MAX),
            ("4294967296", u32::MAX),
            ("18446744073709551615", u32::MAX),
            ("99999999999999999999999999999999", u32::MAX),
            ("-18446744073709551616", 1),
        ];
        for (text, page) in cases {
            assert_eq!(parse_page(text), page, "{text:?}");
        }
    }
}
