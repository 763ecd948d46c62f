use leptos::prelude::*;
use leptos_meta::Title;
use leptos_router::hooks::use_query_map;

use crate::api::account::ChangeOwnPassword;
use crate::api::auth::signed_in_here;
use crate::components::field::PasswordField;
use crate::components::layout::{ActionError, Layout};
use crate::components::password_checklist::PasswordChecklist;
use crate::error::FormRefusal;

mod two_factor;

/// My password: the signed-in administrator changes their own password and turns two-factor
/// log-on on or off. While the operator requires two-factor log-on and it is off, only that
/// section is offered: every other change is refused until it is on.
#[component]
pub fn AccountPage() -> impl IntoView {
    let status = two_factor::status();
    let must_turn_on = move || {
        status
            .get()
            .and_then(Result::ok)
            .is_some_and(|view| view.must_turn_on())
    };
    view! {
        <Title text="My password"/>
        <Layout>
            <h1 class="page__title">"My password"</h1>
            <Suspense fallback=|| ()>
                <Show when=move || !must_turn_on() fallback=|| view! {
                    <section class="card form" aria-labelledby="password-title">
                        <h2 class="card__title" id="password-title">"Change password"</h2>
                        <p>"You can change your password once two-factor log-on is on."</p>
                    </section>
                }>
                    <ChangePassword/>
                </Show>
            </Suspense>
            <two_factor::TwoFactorSection status/>
        </Layout>
    }
}

/// The form that changes the administrator's own password.
#[component]
fn ChangePassword() -> impl IntoView {
    let change = ServerAction::<ChangeOwnPassword>::new();
    let query = use_query_map();
    let changed = move || query.read().get("changed").is_some();
    let refused = FormRefusal::of(change);
    let error = refused.general();
    view! {
        <ActionForm action=change attr:class="card form">
            {move || changed().then(|| view! {
                <p class="alert alert--ok" role="status">"Your password is changed. Your other sessions have been logged off."</p>
            })}
            <ActionError text=error/>
            {signed_in_here().map(|admin| view! { <OwnPasswordFields email=admin.email refused/> })}
            <button class="button button--primary" type="submit">"Change password"</button>
        </ActionForm>
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
