use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::components::Redirect;
use leptos_router::hooks::use_query_map;

use crate::components::address_kind::AddressKind;
use crate::components::layout::{refusal, ActionError, Layout};
use crate::words::counted;

/// The confirmation of a delete of accounts or aliases, naming every address. A function
/// rather than a component: the component macro cannot take a kind that no prop names.
pub fn delete_page<K: AddressKind>() -> impl IntoView {
    let delete = ServerAction::<K::Delete>::new();
    let query = use_query_map();
    let domain = move || query.read().get("domain").unwrap_or_default();
    let addresses = move || query.read().get_all(K::SELECTED).unwrap_or_default();
    let error = refusal(delete);
    let title = format!("Delete {}", K::MANY);
    view! {
        <Title text=title.clone()/>
        <Layout>
            <h1 class="page__title">{title}</h1>
            {move || {
                let addresses = addresses();
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
                        <p class="actions">
                            <button class="button button--danger" type="submit">{format!("Delete {}", counted(count as u64, K::ONE, K::MANY))}</button>
                            <a class="button" href=K::LIST_PATH>"Cancel"</a>
                        </p>
                    </ActionForm>
                }.into_any()
            }}
        </Layout>
    }
}
