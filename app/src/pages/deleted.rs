use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::accounts::{list_deleted, RestoreAccount};
use crate::components::layout::{refusal, ActionError, Layout, Notice};
use crate::model::accounts::DeletedRow;

/// Deleted accounts: restorable until the purge, with the days left.
#[component]
pub fn DeletedPage() -> impl IntoView {
    let restore = ServerAction::<RestoreAccount>::new();
    let query = use_query_map();
    let deleted = Resource::new(move || query.read().get("domain"), list_deleted);
    let notice = Signal::derive(move || {
        query
            .read()
            .get("restored")
            .map(|email| format!("{email} is restored and works again."))
    });
    let error = refusal(restore);
    view! {
        <Title text="Deleted accounts"/>
        <Layout>
            <h1 class="page__title">"Deleted accounts"</h1>
            <Notice text=notice/>
            <ActionError text=error/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || deleted.get().map(|result| match result {
                    Ok((domain, rows)) if rows.is_empty() => view! {
                        <p class="empty">{format!("No deleted accounts in {domain}.")}</p>
                    }.into_any(),
                    Ok((domain, rows)) => view! {
                        <p class="muted">"Deleted accounts are removed with their mail when no days are left."</p>
                        <table class="accounts">
                            <thead><tr>
                                <th scope="col">"Address"</th><th scope="col">"Name"</th>
                                <th scope="col">"Deleted"</th><th scope="col">"Days left"</th><th scope="col"><span class="visually-hidden">"Restore"</span></th>
                            </tr></thead>
                            <tbody>{rows.into_iter().map(|row| view! { <DeletedLine row domain=domain.clone() restore/> }).collect_view()}</tbody>
                        </table>
                    }.into_any(),
                    Err(error) => view! { <p class="alert alert--error" role="alert">{error.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

#[component]
fn DeletedLine(
    row: DeletedRow,
    domain: String,
    restore: ServerAction<RestoreAccount>,
) -> impl IntoView {
    let name = format!("{} {}", row.first_name, row.last_name)
        .trim()
        .to_owned();
    let label = format!("Restore {}", row.email);
    view! {
        <tr>
            <td data-label="Address">{row.email}</td>
            <td data-label="Name">{name}</td>
            <td data-label="Deleted">{row.deleted_at.chars().take(10).collect::<String>()}</td>
            <td data-label="Days left">{row.days_left}</td>
            <td>
                <ActionForm action=restore>
                    <input type="hidden" name="domain" value=domain/>
                    <input type="hidden" name="id" value=row.id.to_string()/>
                    <button class="button" type="submit" aria-label=label>"Restore"</button>
                </ActionForm>
            </td>
        </tr>
    }
}
