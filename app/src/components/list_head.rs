//! The head of the Users and Aliases lists: the title with the way to add more, what was just
//! done, and the search form, which works as a plain GET without JavaScript.

use leptos::prelude::*;

use crate::components::address_kind::AddressKind;
use crate::components::layout::Notice;
use crate::validate::SEARCH_MAX;
use crate::words::grouped;

/// The list's head for this kind of address, keeping the domain and the search term in the
/// search form. A function rather than a component: the component macro cannot take a kind
/// that no prop names.
pub fn list_head<K: AddressKind>(
    notice: Signal<Option<String>>,
    domain: Signal<Option<String>>,
    search: Signal<String>,
) -> impl IntoView {
    view! {
        <div class="page__head">
            <h1 class="page__title">{K::LIST_TITLE}</h1>
            <a class="button button--primary" href=K::ADD_PATH>{format!("Add {}", K::MANY)}</a>
        </div>
        <Notice text=notice/>
        <form class="search" method="get" action=K::LIST_PATH role="search">
            {move || domain.get().map(|domain| view! { <input type="hidden" name="domain" value=domain/> })}
            <label class="search__label" for="q">{K::SEARCH_LABEL}</label>
            <div class="search__row">
                <input class="field__input" id="q" name="q" type="search" maxlength=SEARCH_MAX value=move || search.get()/>
                <button class="button" type="submit">"Search"</button>
            </div>
        </form>
    }
}

/// The link to the confirmation of deleting every match of a search, with the count the list
/// shows ("1,000+" where its counting stopped; the confirmation counts them all).
pub fn select_all(href: String, total: u64, more: bool) -> impl IntoView {
    let text = match (total, more) {
        (1, false) => "Select the 1 match of this search…".to_owned(),
        (total, more) => format!(
            "Select all {}{} matches of this search…",
            grouped(total),
            if more { "+" } else { "" }
        ),
    };
    view! { <a class="button" href=href>{text}</a> }
}

/// Hidden fields of a list's delete form saying where the list is (see
/// [`AddressKind::PLACE`]): those with a value; the first page is where a list starts anyway.
pub fn place_fields<const N: usize>(place: [(&'static str, Option<String>); N]) -> impl IntoView {
    place
        .into_iter()
        .filter_map(|(name, value)| {
            let value =
                value.filter(|value| !(value.is_empty() || name == "page" && value == "1"))?;
            Some(view! { <input type="hidden" name=name value=value/> })
        })
        .collect_view()
}
