//! The head of the Users and Aliases lists: the title with the way to add more, what was just
//! done, and the search form, which works as a plain GET without JavaScript.

use leptos::prelude::*;

use crate::components::address_kind::AddressKind;
use crate::components::layout::Notice;
use crate::validate::SEARCH_MAX;

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
