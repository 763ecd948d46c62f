use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::forwarding::{get_catch_all, SetCatchAll};
use crate::components::layout::{refusal, ActionError, Layout, LoadFailed, Notice};
use crate::error::FormRefusal;

/// Catch-all: where mail to the domain's unknown addresses goes, off by default.
#[component]
pub fn CatchAllPage() -> impl IntoView {
    let query = use_query_map();
    let current = Resource::new(move || query.read().get("domain"), get_catch_all);
    let notice = Signal::derive(move || {
        query.read().get("saved").map(|state| {
            if state == "on" {
                "The catch-all is on.".to_owned()
            } else {
                "The catch-all is off.".to_owned()
            }
        })
    });
    view! {
        <Title text="Catch-all"/>
        <Layout>
            <h1 class="page__title">"Catch-all"</h1>
            <Notice text=notice/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || current.get().map(|result| match result {
                    Ok((domain, target)) => view! { <CatchAllForm domain target/> }.into_any(),
                    Err(error) => view! { <LoadFailed error/> }.into_any(),
                })}
            </Suspense>
        </Layout>
    }
}

#[component]
fn CatchAllForm(domain: String, target: Option<String>) -> impl IntoView {
    let set = ServerAction::<SetCatchAll>::new();
    // Both forms post the same server function, so its refusal shows once, above them.
    let error = refusal(set);
    let typed = FormRefusal::of(set).typed_or("target", target.clone().unwrap_or_default());
    let state = match &target {
        Some(target) => format!("On: mail to any address of {domain} that is neither an account nor an alias goes to {target}."),
        None => format!("Off: mail to an address of {domain} that is neither an account nor an alias is refused, and the sender is told."),
    };
    let on = target.is_some();
    let off_domain = domain.clone();
    view! {
        <p class=if on { "alert alert--info" } else { "muted" } role="status">{state}</p>
        <ActionForm action=set attr:class="card form">
            <h2 class="card__title">{if on { "Change the catch-all" } else { "Turn the catch-all on" }}</h2>
            <p class="alert alert--warn">"A catch-all takes spam too: spammers send to made-up addresses, and every one of them "
                "then reaches the catch-all's mailbox. Turn it on only for a while, such as after renaming addresses."</p>
            <ActionError text=error/>
            <input type="hidden" name="domain" value=domain.clone()/>
            <div class="field">
                <label class="field__label" for="target">"Deliver to"</label>
                <p class="field__hint" id="target-hint">"An account or alias of this domain, or an outside address."</p>
                <input class="field__input" id="target" name="target" type="email" required autocomplete="off"
                    value=typed aria-describedby="target-hint"/>
            </div>
            <button class="button button--primary" type="submit">{if on { "Save" } else { "Turn on" }}</button>
        </ActionForm>
        {on.then(|| view! {
            <ActionForm action=set attr:class="card form">
                <h2 class="card__title">"Turn off"</h2>
                <input type="hidden" name="domain" value=off_domain/>
                <input type="hidden" name="target" value=""/>
                <button class="button button--danger" type="submit">"Turn the catch-all off"</button>
            </ActionForm>
        })}
    }
}
