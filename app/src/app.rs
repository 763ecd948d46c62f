//! The document shell and the routes of every screen.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::{path, SsrMode};

use crate::pages::account::AccountPage;
use crate::pages::activity::ActivityScreen;
use crate::pages::add_accounts::AddAccountsPage;
use crate::pages::add_aliases::AddAliasesPage;
use crate::pages::add_one::AddOnePage;
use crate::pages::added::AddedPage;
use crate::pages::aliases::AliasesPage;
use crate::pages::catch_all::CatchAllPage;
use crate::pages::delete::DeletePage;
use crate::pages::delete_aliases::DeleteAliasesPage;
use crate::pages::deleted::DeletedPage;
use crate::pages::deleted_aliases::DeletedAliasesPage;
use crate::pages::edit::EditPage;
use crate::pages::edit_alias::EditAliasPage;
use crate::pages::log_on::LogOnPage;
use crate::pages::log_on_code::LogOnCodePage;
use crate::pages::not_found::NotFoundPage;
use crate::pages::users::UsersPage;

/// The HTML document around the app, rendered on the server. The hydration scripts carry the
/// response's CSP nonce when one is provided.
pub fn shell(options: LeptosOptions) -> impl IntoView {
    view! {
        <!DOCTYPE html>
        <html lang="en">
            <head>
                <meta charset="utf-8"/>
                <meta name="viewport" content="width=device-width, initial-scale=1"/>
                <meta name="color-scheme" content="light dark"/>
                <link rel="icon" href="/favicon.svg" type="image/svg+xml"/>
                <HydrationScripts options islands=true/>
                // Moves between screens without reloading the page (see the script).
                <script type="module" src="/navigate.js"></script>
                <MetaTags/>
            </head>
            <body>
                <App/>
            </body>
        </html>
    }
}

/// The root component: stylesheet, title and the routes.
#[component]
pub fn App() -> impl IntoView {
    provide_meta_context();
    view! {
        <Stylesheet id="leptos" href="/pkg/vpostmaster.css"/>
        <Title formatter=|page: String| format!("{page} · Virtual Postmaster")/>
        <Router>
            <Routes fallback=NotFoundPage>
                <Route path=path!("/") view=|| view! { <Redirect path="/users"/> }/>
                <Route path=path!("/log-on") view=LogOnPage/>
                <Route path=path!("/log-on/code") view=LogOnCodePage/>
                // Async: the server waits for the data, so that pages are complete without JavaScript.
                <Route path=path!("/users") view=UsersPage ssr=SsrMode::Async/>
                <Route path=path!("/users/add") view=AddAccountsPage ssr=SsrMode::Async/>
                <Route path=path!("/users/add-one") view=AddOnePage ssr=SsrMode::Async/>
                <Route path=path!("/users/added") view=AddedPage ssr=SsrMode::Async/>
                <Route path=path!("/users/edit") view=EditPage ssr=SsrMode::Async/>
                <Route path=path!("/users/delete") view=DeletePage ssr=SsrMode::Async/>
                <Route path=path!("/users/deleted") view=DeletedPage ssr=SsrMode::Async/>
                <Route path=path!("/catch-all") view=CatchAllPage ssr=SsrMode::Async/>
                <Route path=path!("/aliases") view=AliasesPage ssr=SsrMode::Async/>
                <Route path=path!("/aliases/add") view=AddAliasesPage ssr=SsrMode::Async/>
                <Route path=path!("/aliases/edit") view=EditAliasPage ssr=SsrMode::Async/>
                <Route path=path!("/aliases/delete") view=DeleteAliasesPage ssr=SsrMode::Async/>
                <Route path=path!("/aliases/deleted") view=DeletedAliasesPage ssr=SsrMode::Async/>
                <Route path=path!("/activity") view=ActivityScreen ssr=SsrMode::Async/>
                <Route path=path!("/account") view=AccountPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
