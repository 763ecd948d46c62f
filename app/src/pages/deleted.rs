use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::components::address_kind::{AddressKind, Restorable};
use crate::components::layout::{refusal, ActionError, Layout, Notice};
use crate::components::pager::{page_number, Pager};
use crate::model::deleted::DeletedPage;

/// Deleted accounts or aliases: restorable until the purge, with the days left. A function
/// rather than a component: the component macro cannot take a kind that no prop names.
pub fn deleted_page<K: AddressKind>() -> impl IntoView {
    let restore = ServerAction::<K::Restore>::new();
    let query = use_query_map();
    let deleted = Resource::new(
        move || {
            let query = query.read();
            (query.get("domain"), page_number(&query))
        },
        |(domain, page)| K::deleted(domain, page),
    );
    let notice = Signal::derive(move || {
        query
            .read()
            .get("restored")
            .map(|address| format!("{address} {}", K::RESTORED))
    });
    let error = refusal(restore);
    let title = format!("Deleted {}", K::MANY);
    view! {
        <Title text=title.clone()/>
        <Layout>
            <h1 class="page__title">{title}</h1>
            <Notice text=notice/>
            <ActionError text=error/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || deleted.get().map(|result| match result {
                    Ok(listed) if listed.rows.is_empty() => view! {
                        <p class="empty">{format!("No deleted {} in {}.", K::MANY, listed.domain)}</p>
                    }.into_any(),
                    Ok(DeletedPage { domain, rows, page, pages }) => view! {
                        <p class="muted">{K::PURGE_NOTE}</p>
                        <table class="accounts">
                            <thead><tr>
                                <th scope="col">{K::ADDRESS_HEADING}</th><th scope="col">{K::DETAIL_HEADING}</th>
                                <th scope="col">"Deleted"</th><th scope="col">"Days left"</th><th scope="col"><span class="visually-hidden">"Restore"</span></th>
                            </tr></thead>
                            <tbody>{rows.into_iter().map(|row| deleted_line::<K>(row, domain.clone(), restore)).collect_view()}</tbody>
                        </table>
                        {(pages > 1).then(|| view! { <Pager page pages link=move |number| K::deleted_href(&domain, number)/> })}
                    }.into_any(),
                    Err(error) => view! { <p class="alert alert--error" role="alert">{error.to_string()}</p> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

/// One deleted address with its restore button.
fn deleted_line<K: AddressKind>(
    row: Restorable,
    domain: String,
    restore: ServerAction<K::Restore>,
) -> impl IntoView {
    let label = format!("Restore {}", row.address);
    view! {
        <tr>
            <td data-label=K::ADDRESS_HEADING>{row.address}</td>
            <td data-label=K::DETAIL_LABEL>{row.detail}</td>
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
