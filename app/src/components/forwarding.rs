//! The Forwarding card of Edit: where the account's mail goes besides its own mailbox.

use leptos::prelude::*;
use leptos_router::hooks::use_query_map;

use crate::api::forwarding::SetForwarding;
use crate::components::layout::{refusal, ActionError, Notice};
use crate::components::targets::TargetsInput;
use crate::error::{AppError, FormRefusal};
use crate::model::forwarding::Forwarding;
use crate::routes::EditAccount;

/// Forwarding of `email`: the addresses and whether the mailbox keeps a copy; a plain post that
/// comes back to Edit. The page loads `current`: a resource made inside a Suspense's children
/// can hold the server's rendering up.
#[component]
pub fn ForwardingCard(
    email: String,
    current: Resource<Result<Forwarding, AppError>>,
) -> impl IntoView {
    let set = ServerAction::<SetForwarding>::new();
    let error = refusal(set);
    // A refused forwarding is drawn as it was sent, not as it is saved.
    let refused = FormRefusal::of(set);
    let fields = move |saved: Forwarding| {
        let targets = refused.typed_or("targets", saved.targets.join("\n"));
        let keep_copy = refused.ticked("keep_copy", saved.keep_copy);
        view! { <ForwardingFields targets keep_copy/> }
    };
    let query = use_query_map();
    let notice = Signal::derive(move || match query.read().get("forwarding").as_deref() {
        Some("on") => Some("Forwarding is saved.".to_owned()),
        Some("off") => Some("Forwarding is off: mail stays in this mailbox.".to_owned()),
        _ => None,
    });
    view! {
        <ActionForm action=set attr:class="card form" attr:id=EditAccount::FORWARDING>
            <h2 class="card__title">"Forwarding"</h2>
            <Notice text=notice focused=true/>
            <ActionError text=error/>
            <input type="hidden" name="email" value=email/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || current.get().map(|result| match result {
                    Ok(forwarding) => fields(forwarding).into_any(),
                    Err(error) => view! { <ActionError text=Some(error.to_string())/> }.into_any(),
                })}
            </Suspense>
            <button class="button button--primary" type="submit">"Save forwarding"</button>
        </ActionForm>
    }
}

/// The addresses, checked as they are typed, and the copy choice, as saved or as sent.
#[island]
fn ForwardingFields(targets: String, keep_copy: bool) -> impl IntoView {
    view! {
        <TargetsInput name="targets" label="Forward to" optional=true initial=targets
            hint="Full addresses, one per line or separated by commas. Leave it empty to stop forwarding."/>
        <label class="check">
            <input class="checkbox" type="checkbox" name="keep_copy" value="on" checked=keep_copy/>
            "Keep a copy in this mailbox"
        </label>
    }
}
