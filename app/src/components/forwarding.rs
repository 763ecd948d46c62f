//! The Forwarding card of Edit: where the account's mail goes besides its own mailbox.

use leptos::prelude::*;

use crate::api::forwarding::SetForwarding;
use crate::components::layout::{refusal, ActionError};
use crate::components::targets::TargetsInput;
use crate::error::AppError;
use crate::model::forwarding::Forwarding;

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
    view! {
        <ActionForm action=set attr:class="card form">
            <h2 class="card__title">"Forwarding"</h2>
            <ActionError text=error/>
            <input type="hidden" name="email" value=email/>
            <Suspense fallback=|| view! { <p class="muted">"Loading…"</p> }>
                {move || current.get().map(|result| match result {
                    Ok(forwarding) => view! { <ForwardingFields forwarding/> }.into_any(),
                    Err(error) => view! { <ActionError text=Some(error.to_string())/> }.into_any(),
                })}
            </Suspense>
            <button class="button button--primary" type="submit">"Save forwarding"</button>
        </ActionForm>
    }
}

/// The addresses, checked as they are typed, and the copy choice.
#[island]
fn ForwardingFields(forwarding: Forwarding) -> impl IntoView {
    view! {
        <TargetsInput name="targets" label="Forward to" optional=true initial=forwarding.targets.join("\n")
            hint="Full addresses, one per line or separated by commas. Leave it empty to stop forwarding."/>
        <label class="check">
            <input class="checkbox" type="checkbox" name="keep_copy" value="on" checked=forwarding.keep_copy/>
            "Keep a copy in this mailbox"
        </label>
    }
}
