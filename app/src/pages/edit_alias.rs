use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::aliases::{get_alias, UpdateAlias};
use crate::components::layout::{ActionError, Layout, LoadFailed, Notice};
use crate::components::targets::TargetsInput;
use crate::error::FormRefusal;
use crate::model::aliases::AliasDetail;
use crate::routes::DeleteAliases;

/// Edit alias: where it delivers, and the way to delete it.
#[component]
pub fn EditAliasPage() -> impl IntoView {
    let query = use_query_map();
    let address = move || query.read().get("address").unwrap_or_default();
    let alias = Resource::new(address, get_alias);
    let notice = Signal::derive(move || query.read().get("saved").map(|_| "Saved.".to_owned()));
    view! {
        <Title text="Edit alias"/>
        <Layout>
            <h1 class="page__title">"Edit alias"</h1>
            <Notice text=notice/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || alias.get().map(|result| match result {
                    Ok(alias) => view! { <EditAliasForms alias/> }.into_any(),
                    Err(error) => view! { <LoadFailed error/> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

#[component]
fn EditAliasForms(alias: AliasDetail) -> impl IntoView {
    let update = ServerAction::<UpdateAlias>::new();
    let refused = FormRefusal::of(update);
    let error = refused.general();
    let delete = DeleteAliases {
        domain: &alias.domain,
        address: Some(&alias.address),
        ..Default::default()
    }
    .href();
    let facts = format!(
        "Created {} · changed {}",
        alias.created_at.get(..10).unwrap_or(&alias.created_at),
        alias.updated_at.get(..10).unwrap_or(&alias.updated_at),
    );
    let targets = refused
        .typed("targets")
        .unwrap_or_else(|| alias.targets.join("\n"));
    view! {
        <p class="account__address">{alias.address.clone()}</p>
        <p class="muted">{facts}</p>
        <ActionForm action=update attr:class="card form">
            <h2 class="card__title">"Delivers to"</h2>
            <ActionError text=error/>
            <input type="hidden" name="address" value=alias.address/>
            <AliasTargetsField targets refused=refused.beside("targets")/>
            <button class="button button--primary" type="submit">"Save"</button>
        </ActionForm>
        <section class="card form">
            <h2 class="card__title">"Delete"</h2>
            <p>"Mail to the alias is refused at once; it can be restored from Deleted aliases for 30 days."</p>
            <a class="button button--danger" href=delete>"Delete this alias…"</a>
        </section>
    }
}

/// The alias's targets, checked as they are typed; after a refusal, as typed with the
/// server's message.
#[island]
fn AliasTargetsField(targets: String, refused: Option<String>) -> impl IntoView {
    view! {
        <TargetsInput name="targets" label="Targets" optional=false initial=targets refused
            hint="Full addresses, separated by commas, spaces or lines."/>
    }
}
