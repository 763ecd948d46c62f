//! The frame of every screen behind log on: top bar with the signed-in address and Log off,
//! and the Administration › Mail navigation, which collapses to a menu on a phone.

use leptos::prelude::*;
use leptos::server_fn::ServerFn;
use leptos_router::hooks::use_location;

use crate::api::auth::{signed_in_here, LogOff};
use crate::components::brand::Brand;
use crate::error::AppError;
use crate::routes::{
    Account, Activity, AddAccounts, AddAliases, Aliases, CatchAll, DeletedAccounts, DeletedAliases,
    Users,
};

/// Wraps a screen's content in the top bar and navigation.
#[component]
pub fn Layout(children: Children) -> impl IntoView {
    let email = signed_in_here().map(|admin| admin.email);
    view! {
        <div class="layout">
            <header class="topbar">
                <Brand/>
                <div class="topbar__who">
                    {email.map(|email| view! {
                        <span class="topbar__email" title="Signed in as">{email}</span>
                    })}
                    <LogOffButton/>
                </div>
            </header>
            <div class="layout__body">
                <Navigation/>
                <main class="layout__main" id="main">{children()}</main>
            </div>
        </div>
    }
}

/// Log off: a plain form post, so it works without JavaScript too.
#[component]
fn LogOffButton() -> impl IntoView {
    let log_off = ServerAction::<LogOff>::new();
    view! {
        <ActionForm action=log_off attr:class="topbar__log-off">
            <button class="button" type="submit">"Log off"</button>
        </ActionForm>
    }
}

/// The tree of the original product: Administration › Mail › Users. A `<details>` element
/// opens and closes without JavaScript on a phone; on a desktop the stylesheet always shows it.
#[component]
fn Navigation() -> impl IntoView {
    // Read once: the layout is server-rendered HTML, never re-rendered in the browser (not an
    // island), so a reactive attribute per link would only cost each page's render.
    let path = use_location().pathname.get_untracked();
    let current = |href: &'static str| (path == href).then_some("page");
    view! {
        <nav class="nav" aria-label="Administration">
            <details class="nav__menu">
                <summary class="nav__toggle">"Menu"</summary>
                <p class="nav__group">"Administration"</p>
                <p class="nav__group nav__group--sub">"Mail"</p>
                <ul class="nav__list">
                    <li><a class="nav__link" href=Users::PATH aria-current=current(Users::PATH)>"Users"</a></li>
                    <li><a class="nav__link" href=AddAccounts::PATH aria-current=current(AddAccounts::PATH)>"Add accounts"</a></li>
                    <li><a class="nav__link" href=DeletedAccounts::PATH aria-current=current(DeletedAccounts::PATH)>"Deleted accounts"</a></li>
                    <li><a class="nav__link" href=Aliases::PATH aria-current=current(Aliases::PATH)>"Aliases"</a></li>
                    <li><a class="nav__link" href=AddAliases::PATH aria-current=current(AddAliases::PATH)>"Add aliases"</a></li>
                    <li><a class="nav__link" href=DeletedAliases::PATH aria-current=current(DeletedAliases::PATH)>"Deleted aliases"</a></li>
                    <li><a class="nav__link" href=CatchAll::PATH aria-current=current(CatchAll::PATH)>"Catch-all"</a></li>
                    <li><a class="nav__link" href=Activity::PATH aria-current=current(Activity::PATH)>"Activity"</a></li>
                </ul>
                <p class="nav__group">"You"</p>
                <ul class="nav__list">
                    <li><a class="nav__link" href=Account::PATH aria-current=current(Account::PATH)>"My password"</a></li>
                </ul>
            </details>
        </nav>
    }
}

/// A confirmation line after an action, when there is one. One `focused` (the confirmation of
/// a card low on its screen) takes the focus when the page is shown, which brings it into view.
#[component]
pub fn Notice(
    #[prop(into)] text: Signal<Option<String>>,
    #[prop(optional)] focused: bool,
) -> impl IntoView {
    move || {
        text.get().map(|text| {
            view! {
                <p class="alert alert--ok" role="status" tabindex=focused.then_some("-1")
                    autofocus=focused>{text}</p>
            }
        })
    }
}

/// The message of `action`'s refusal, for [`ActionError`]. Forms post plainly, so this is
/// what the server function sent back in the address of the page that answers the post.
pub fn refusal<S>(action: ServerAction<S>) -> Signal<Option<String>>
where
    S: ServerFn + Send + Sync + Clone + 'static,
    S::Output: Send + Sync + 'static,
    S::Error: Send + Sync + std::fmt::Display + 'static,
{
    Signal::derive(move || {
        action.value().with(|outcome| {
            outcome
                .as_ref()
                .and_then(|result| result.as_ref().err())
                .map(ToString::to_string)
        })
    })
}

/// An error line from a server action, when there is one. It takes the focus when the page
/// that answers the post is shown, which brings the refused form into view wherever it is on
/// its screen.
#[component]
pub fn ActionError(#[prop(into)] text: Signal<Option<String>>) -> impl IntoView {
    move || {
        text.get().map(|text| {
            view! { <p class="alert alert--error" role="alert" tabindex="-1" autofocus>{text}</p> }
        })
    }
}

/// A screen whose data could not be loaded: the reason, and the way back to Users, or to
/// Deleted accounts for an account deleted meanwhile.
#[component]
pub fn LoadFailed(error: AppError) -> impl IntoView {
    let back = match &error {
        AppError::Deleted(address, _) => {
            let domain = address.rsplit_once('@').map(|(_, domain)| domain);
            let deleted = DeletedAccounts {
                domain,
                ..Default::default()
            };
            (deleted.href(), "Go to Deleted accounts")
        }
        _ => (Users::PATH.to_owned(), "Go to Users"),
    };
    view! {
        <p class="alert alert--error" role="alert">{error.to_string()}</p>
        <p><a href=back.0>{back.1}</a></p>
    }
}
