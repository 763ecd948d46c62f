use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::components::address_kind::AddressKind;
use crate::components::layout::{refusal, ActionError, Layout};
use crate::model::matches::SearchMatches;
use crate::url::encode_query;
use crate::words::{counted, grouped};

/// The confirmation of a delete of accounts or aliases: the ticked ones, naming every address,
/// or every match of a search (`matching`), counted and named up to a point. A function rather than a
/// component: the component macro cannot take a kind that no prop names.
pub fn delete_page<K: AddressKind>() -> impl IntoView {
    let delete = ServerAction::<K::Delete>::new();
    let delete_matching = ServerAction::<K::DeleteMatching>::new();
    let query = use_query_map();
    let domain = move || query.read().get("domain").unwrap_or_default();
    let addresses = move || query.read().get_all(K::SELECTED).unwrap_or_default();
    let search = move || {
        query
            .read()
            .get("matching")
            .filter(|search| !search.trim().is_empty())
    };
    // Counted on the server when the page is asked for: the list's count stops at 1,000.
    let matches = Resource::new(
        move || (domain(), search()),
        |(domain, search)| async move {
            match search {
                Some(search) => {
                    K::matching(Some(domain).filter(|domain| !domain.is_empty()), search)
                        .await
                        .map(Some)
                }
                None => Ok(None),
            }
        },
    );
    // Where the list was, to go back to: given by its delete form, carried on by this one.
    let place = move || {
        let query = query.read();
        K::PLACE
            .iter()
            .filter_map(|name| {
                let value = query.get(name).filter(|value| !value.is_empty())?;
                // A page is a number; anything else would make the delete refuse its form.
                (*name != "page" || value.parse::<u32>().is_ok()).then_some((*name, value))
            })
            .collect::<Vec<_>>()
    };
    let back = move || {
        let domain = Some(("domain", domain())).filter(|(_, domain)| !domain.is_empty());
        let query: Vec<String> = domain
            .into_iter()
            .chain(place())
            .map(|(name, value)| format!("{name}={}", encode_query(&value)))
            .collect();
        match query.is_empty() {
            true => K::LIST_PATH.to_owned(),
            false => format!("{}?{}", K::LIST_PATH, query.join("&")),
        }
    };
    let error = refusal(delete);
    let matching_error = refusal(delete_matching);
    let title = format!("Delete {}", K::MANY);
    view! {
        <Title text=title.clone()/>
        <Layout>
            <h1 class="page__title">{title}</h1>
            {move || {
                let addresses = addresses();
                if addresses.is_empty() && search().is_some() {
                    return view! {
                        <Suspense fallback=|| view! { <p class="muted">"Counting the matches…"</p> }>
                            {move || matches.get().map(|found| match found {
                                Ok(Some(found)) => matches_form::<K>(delete_matching, matching_error, found, search().unwrap_or_default()),
                                Ok(None) => ().into_any(),
                                Err(error) => view! { <p class="alert alert--error" role="alert">{error.to_string()}</p> }.into_any(),
                            })}
                        </Suspense>
                    }.into_any();
                }
                if addresses.is_empty() {
                    // Nothing ticked: back to the list, which says so at its head.
                    return view! { <Redirect path=K::nothing_ticked(&domain())/> }.into_any();
                }
                let count = addresses.len();
                view! {
                    <ActionForm action=delete attr:class="card form">
                        <ActionError text=error/>
                        <p>{K::consequence(count)}</p>
                        <ul class="delete__list">{addresses.iter().map(|address| view! { <li>{address.clone()}</li> }).collect_view()}</ul>
                        <input type="hidden" name="domain" value=domain/>
                        <input type="hidden" name=K::DELETE_FIELD value=addresses.join("\n")/>
                        {place().into_iter().map(|(name, value)| view! { <input type="hidden" name=name value=value/> }).collect_view()}
                        <p class="actions">
                            <button class="button button--danger" type="submit">{format!("Delete {}", counted(count as u64, K::ONE, K::MANY))}</button>
                            <a class="button" href=back()>"Cancel"</a>
                        </p>
                    </ActionForm>
                }.into_any()
            }}
        </Layout>
    }
}

/// The confirmation of deleting every match of `search`: how many, the first of them, and a
/// form that names the search rather than the addresses, so that what is deleted is what
/// matches when it is confirmed.
fn matches_form<K: AddressKind>(
    delete: ServerAction<K::DeleteMatching>,
    error: Signal<Option<String>>,
    found: SearchMatches,
    search: String,
) -> AnyView {
    let back = K::searched(&found.domain, &search);
    let what = format!(
        "{} in {} {} \u{201c}{search}\u{201d}.",
        counted(found.total, K::ONE, K::MANY),
        found.domain,
        if found.total == 1 { "matches" } else { "match" },
    );
    if found.total == 0 {
        return view! {
            <div class="card">
                <ActionError text=error/>
                <p>{format!("No {} in {} matches \u{201c}{search}\u{201d} now: there is nothing to delete.", K::ONE, found.domain)}</p>
                <p class="actions"><a class="button" href=back>"Back to the list"</a></p>
            </div>
        }
        .into_any();
    }
    let more = found.total.saturating_sub(found.first.len() as u64);
    view! {
        <ActionForm action=delete attr:class="card form">
            <ActionError text=error/>
            <p>{what}</p>
            <p>{K::consequence(usize::try_from(found.total).unwrap_or(usize::MAX))}</p>
            <ul class="delete__list">{found.first.iter().map(|address| view! { <li>{address.clone()}</li> }).collect_view()}</ul>
            {(more > 0).then(|| view! { <p class="muted">{format!("and {} more", grouped(more))}</p> })}
            <input type="hidden" name="domain" value=found.domain.clone()/>
            <input type="hidden" name="search" value=search/>
            <p class="actions">
                <button class="button button--danger" type="submit">{format!("Delete {}", counted(found.total, K::ONE, K::MANY))}</button>
                <a class="button" href=back>"Cancel"</a>
            </p>
        </ActionForm>
    }
    .into_any()
}
