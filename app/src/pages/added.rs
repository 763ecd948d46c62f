use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::mailboxes::{added_accounts, AddedBatch};
use crate::components::layout::{Layout, LoadFailed};
use crate::url::encode_query;

/// The result of an add: the accounts created, and the generated passwords, shown this once.
#[component]
pub fn AddedPage() -> impl IntoView {
    let query = use_query_map();
    let batch = Resource::new(
        move || query.read().get("batch").unwrap_or_default(),
        added_accounts,
    );
    view! {
        <Title text="Accounts added"/>
        <Layout>
            <h1 class="page__title">"Accounts added"</h1>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || batch.get().map(|result| match result {
                    Ok(batch) => view! { <AddedList batch/> }.into_any(),
                    Err(error) => view! { <LoadFailed error/> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

/// The comma-separated file of the generated passwords, as a link that needs no server.
fn csv_link(batch: &AddedBatch) -> Option<String> {
    let rows: Vec<String> = batch
        .accounts
        .iter()
        .filter_map(|account| {
            Some(format!(
                "{},{}",
                account.email,
                account.generated_password.as_ref()?
            ))
        })
        .collect();
    (!rows.is_empty()).then(|| {
        format!(
            "data:text/csv;charset=utf-8,{}",
            encode_query(&format!("email,password\r\n{}\r\n", rows.join("\r\n")))
        )
    })
}

#[component]
fn AddedList(batch: AddedBatch) -> impl IntoView {
    let csv = csv_link(&batch);
    let count = batch.accounts.len();
    let generated = csv.is_some();
    view! {
        <p class="alert alert--ok" role="status">{format!("{count} account(s) added to {}.", batch.domain)}</p>
        {generated.then(|| view! {
            <p class="alert alert--info">
                "The generated passwords are shown only on this page and cannot be shown again. "
                "Note them or download them now, and pass them on safely."
            </p>
        })}
        <table class="accounts">
            <thead><tr><th scope="col">"Address"</th><th scope="col">"Generated password"</th></tr></thead>
            <tbody>
                {batch.accounts.into_iter().map(|account| view! {
                    <tr>
                        <td data-label="Address">{account.email}</td>
                        <td data-label="Generated password">
                            {match account.generated_password {
                                Some(password) => view! { <code class="generate__value">{password}</code> }.into_any(),
                                None => view! { <span class="muted">"as typed"</span> }.into_any(),
                            }}
                        </td>
                    </tr>
                }).collect_view()}
            </tbody>
        </table>
        <p class="actions">
            {csv.map(|href| view! { <a class="button" href=href download="new-accounts.csv">"Download the passwords (CSV)"</a> })}
            <a class="button button--primary" href="/users">"Go to Users"</a>
            <a class="button" href="/users/add">"Add more accounts"</a>
        </p>
    }
}
