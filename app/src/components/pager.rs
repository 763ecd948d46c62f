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

/// Pages on either side of the current one that get a link of their own.
const NEIGHBOURS: u32 = 2;

/// The page numbers a pager of `pages` offers at `page`: the first, the last, and the
/// neighbours of the current one, with `None` where numbers are left out (never just one).
fn numbers(page: u32, pages: u32) -> Vec<Option<u32>> {
    let low = page.saturating_sub(NEIGHBOURS).max(1);
    let high = page.saturating_add(NEIGHBOURS).min(pages);
    let mut shown = Vec::new();
    if low > 1 {
        shown.push(Some(1));
        if low == 3 {
            shown.push(Some(2));
        } else if low > 3 {
            shown.push(None);
        }
    }
    shown.extend((low..=high).map(Some));
    if high < pages {
        if high + 2 == pages {
            shown.push(Some(pages - 1));
        } else if high + 1 < pages {
            shown.push(None);
        }
        shown.push(Some(pages));
    }
    shown
}

/// "Previous", where one is, the numbers of the first, the last and the nearby pages, and
/// "Next". `link` gives the list's address at a page's number.
#[component]
pub fn Pager(
    page: u32,
    pages: u32,
    link: impl Fn(u32) -> String,
    #[prop(default = "Previous")] previous: &'static str,
    #[prop(default = "Next")] next: &'static str,
    /// Whether more pages follow `pages` than were counted: "Page 1 of 20+".
    #[prop(optional)]
    more: bool,
) -> impl IntoView {
    let numbers = (pages > 1).then(|| {
        numbers(page, pages)
            .into_iter()
            .map(|number| match number {
                Some(number) if number == page => {
                    view! { <span class="pager__number" aria-current="page">{number}</span> }.into_any()
                }
                Some(number) => view! {
                    <a class="pager__number" href=link(number) aria-label=format!("Page {number}")>{number}</a>
                }
                .into_any(),
                None => view! { <span class="pager__gap" aria-hidden="true">"…"</span> }.into_any(),
            })
            .collect_view()
    });
    view! {
        <PagerLinks
            before=(page > 1).then(|| link(page - 1))
            after=(page < pages).then(|| link(page + 1))
            place=format!("Page {page} of {pages}{}", if more { "+" } else { "" })
            previous
            next
        >
            {numbers.map(|numbers| view! { <p class="pager__numbers">{numbers}</p> })}
        </PagerLinks>
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
    /// More ways to move under the links, such as page numbers.
    #[prop(optional)]
    children: Option<Children>,
) -> impl IntoView {
    view! {
        <nav class="pager" aria-label="Pages">
            <div class="pager__row">
                {before.map(|href| view! { <a class="button" href=href rel="prev">{previous}</a> })}
                <span class="pager__where">{place}</span>
                {after.map(|href| view! { <a class="button" href=href rel="next">{next}</a> })}
            </div>
            {children.map(|children| children())}
        </nav>
    }
}

#[cfg(test)]
mod tests {
    use super::{numbers, parse_page};

    #[test]
    fn the_first_the_last_and_the_nearby_pages_are_offered() {
        let shown = |page, pages| -> String {
            numbers(page, pages)
                .into_iter()
                .map(|number| number.map_or("…".to_owned(), |n| n.to_string()))
                .collect::<Vec<_>>()
                .join(" ")
        };
        assert_eq!(shown(1, 1), "1");
        assert_eq!(shown(1, 5), "1 2 3 4 5");
        assert_eq!(shown(1, 20), "1 2 3 … 20");
        assert_eq!(shown(10, 20), "1 … 8 9 10 11 12 … 20");
        assert_eq!(shown(20, 20), "1 … 18 19 20");
        assert_eq!(shown(4, 20), "1 2 3 4 5 6 … 20");
        assert_eq!(shown(u32::MAX, u32::MAX).split(' ').count(), 5);
    }

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
