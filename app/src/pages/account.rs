use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::account::ChangeOwnPassword;
use crate::api::auth::signed_in;
use crate::components::field::{FormRefusal, PasswordField};
use crate::components::layout::{ActionError, Layout};
use crate::components::password_checklist::PasswordChecklist;

mod two_factor;

/// My password: the signed-in administrator changes their own password and turns two-factor
/// log-on on or off.
#[component]
pub fn AccountPage() -> impl IntoView {
    let change = ServerAction::<ChangeOwnPassword>::new();
    let who = Resource::new(|| (), |_| signed_in());
    let query = use_query_map();
    let changed = move || query.read().get("changed").is_some();
    let refused = FormRefusal::of(change);
    let error = refused.general();
    view! {
        <Title text="My password"/>
        <Layout>
            <h1 class="page__title">"My password"</h1>
            <ActionForm action=change attr:class="card form">
                {move || changed().then(|| view! {
                    <p class="alert alert--ok" role="status">"Your password is changed. Your other sessions have been logged off."</p>
                })}
                <ActionError text=error/>
                <Suspense fallback=|| ()>
                    {move || who.get().and_then(Result::ok).map(|admin| view! { <OwnPasswordFields email=admin.email refused=refused.clone()/> })}
                </Suspense>
                <button class="button button--primary" type="submit">"Change password"</button>
            </ActionForm>
            <two_factor::TwoFactorSection/>
        </Layout>
    }
}

/// The current password, the new one with the rules ticked as it is typed, and again; after a
/// refusal each with the server's message beside it, and all empty.
#[island]
fn OwnPasswordFields(email: String, refused: FormRefusal) -> impl IntoView {
    let password = RwSignal::new(String::new());
    view! {
        <PasswordField name="current" label="Current password" autocomplete="current-password" error=refused.beside("current")/>
        <PasswordField name="password" label="New password" autocomplete="new-password" value=password describedby="password-rules" error=refused.beside("password")/>
        <PasswordChecklist id="password-rules" email password/>
        <PasswordField name="password_again" label="New password again" autocomplete="new-password" error=refused.beside("password_again")/>
    }
}
