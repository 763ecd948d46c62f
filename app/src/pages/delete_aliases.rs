use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::aliases::DeleteAliases;
use crate::components::layout::{refusal, ActionError, Layout};
use crate::routes::Aliases;

/// The confirmation of a delete, naming every alias.
#[component]
pub fn DeleteAliasesPage() -> impl IntoView {
    let delete = ServerAction::<DeleteAliases>::new();
    let query = use_query_map();
    let domain = move || query.read().get("domain").unwrap_or_default();
    let addresses = move || query.read().get_all("address").unwrap_or_default();
    let error = refusal(delete);
    view! {
        <Title text="Delete aliases"/>
        <Layout>
            <h1 class="page__title">"Delete aliases"</h1>
            {move || {
                let addresses = addresses();
                if addresses.is_empty() {
                    return view! {
                        <p class="alert alert--info">"No alias is selected. Tick the aliases to delete in Aliases first."</p>
                        <p><a class="button" href=Aliases::PATH>"Go to Aliases"</a></p>
                    }.into_any();
                }
                let count = addresses.len();
                view! {
                    <ActionForm action=delete attr:class="card form">
                        <ActionError text=error/>
                        <p>{format!("Mail to these {count} alias(es) will be refused at once. You can restore them from Deleted aliases for 30 days; after that they are removed for good.")}</p>
                        <ul class="delete__list">{addresses.iter().map(|address| view! { <li>{address.clone()}</li> }).collect_view()}</ul>
                        <input type="hidden" name="domain" value=domain/>
                        <input type="hidden" name="addresses" value=addresses.join("\n")/>
                        <p class="actions">
                            <button class="button button--danger" type="submit">{format!("Delete {count} alias(es)")}</button>
                            <a class="button" href=Aliases::PATH>"Cancel"</a>
                        </p>
                    </ActionForm>
                }.into_any()
            }}
        </Layout>
    }
}
