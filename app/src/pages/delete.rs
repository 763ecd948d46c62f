use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::DeleteAccounts;
use crate::components::layout::{refusal, ActionError, Layout};
use crate::routes::Users;

/// The confirmation of a delete, naming every account.
#[component]
pub fn DeletePage() -> impl IntoView {
    let delete = ServerAction::<DeleteAccounts>::new();
    let query = use_query_map();
    let domain = move || query.read().get("domain").unwrap_or_default();
    let emails = move || query.read().get_all("email").unwrap_or_default();
    let error = refusal(delete);
    view! {
        <Title text="Delete accounts"/>
        <Layout>
            <h1 class="page__title">"Delete accounts"</h1>
            {move || {
                let emails = emails();
                if emails.is_empty() {
                    return view! {
                        <p class="alert alert--info">"No account is selected. Tick the accounts to delete in Users first."</p>
                        <p><a class="button" href=Users::PATH>"Go to Users"</a></p>
                    }.into_any();
                }
                let count = emails.len();
                view! {
                    <ActionForm action=delete attr:class="card form">
                        <ActionError text=error/>
                        <p>{format!("These {count} account(s) will stop working at once: nobody can log in or check their mail. You can restore them from Deleted accounts for 30 days; after that they are removed with their mail.")}</p>
                        <ul class="delete__list">{emails.iter().map(|email| view! { <li>{email.clone()}</li> }).collect_view()}</ul>
                        <input type="hidden" name="domain" value=domain/>
                        <input type="hidden" name="emails" value=emails.join("\n")/>
                        <p class="actions">
                            <button class="button button--danger" type="submit">{format!("Delete {count} account(s)")}</button>
                            <a class="button" href=Users::PATH>"Cancel"</a>
                        </p>
                    </ActionForm>
                }.into_any()
            }}
        </Layout>
    }
}
