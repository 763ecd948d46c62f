//! The document shell and the routes of every screen.

use leptos::prelude::*;
use leptos_meta::{provide_meta_context, MetaTags, Stylesheet, Title};
use leptos_router::components::{Redirect, Route, Router, Routes};
use leptos_router::SsrMode;

use crate::components::address_kind as kinds;
use crate::pages::account::AccountPage;
use crate::pages::activity::ActivityScreen;
use crate::pages::add_accounts::AddAccountsPage;
use crate::pages::add_aliases::AddAliasesPage;
use crate::pages::add_one::AddOnePage;
use crate::pages::added::AddedPage;
use crate::pages::aliases::AliasesPage;
use crate::pages::catch_all::CatchAllPage;
use crate::pages::delete::delete_page;
use crate::pages::deleted::deleted_page;
use crate::pages::edit::EditPage;
use crate::pages::edit_alias::EditAliasPage;
use crate::pages::log_on::LogOnPage;
use crate::pages::log_on_code::LogOnCodePage;
use crate::pages::not_found::NotFoundPage;
use crate::pages::users::UsersPage;
use crate::routes::{
    Account, Activity, AddAccounts, AddAliases, AddOne, Added, Aliases, CatchAll, DeleteAccounts,
    DeleteAliases, DeletedAccounts, DeletedAliases, EditAccount, EditAlias, Home, LogOn, LogOnCode,
    Users,
};

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
                // Sends a form once however often it is submitted (see the script).
                <script type="module" src="/once.js"></script>
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
                <Route path=Home::segments() view=|| view! { <Redirect path=Users::PATH/> }/>
                <Route path=LogOn::segments() view=LogOnPage/>
                <Route path=LogOnCode::segments() view=LogOnCodePage/>
                // Async: the server waits for the data, so that pages are complete without JavaScript.
                <Route path=Users::segments() view=UsersPage ssr=SsrMode::Async/>
                <Route path=AddAccounts::segments() view=AddAccountsPage ssr=SsrMode::Async/>
                <Route path=AddOne::segments() view=AddOnePage ssr=SsrMode::Async/>
                <Route path=Added::segments() view=AddedPage ssr=SsrMode::Async/>
                <Route path=EditAccount::segments() view=EditPage ssr=SsrMode::Async/>
                <Route path=DeleteAccounts::segments() view={delete_page::<kinds::Accounts>} ssr=SsrMode::Async/>
                <Route path=DeletedAccounts::segments() view={deleted_page::<kinds::Accounts>} ssr=SsrMode::Async/>
                <Route path=CatchAll::segments() view=CatchAllPage ssr=SsrMode::Async/>
                <Route path=Aliases::segments() view=AliasesPage ssr=SsrMode::Async/>
                <Route path=AddAliases::segments() view=AddAliasesPage ssr=SsrMode::Async/>
                <Route path=EditAlias::segments() view=EditAliasPage ssr=SsrMode::Async/>
                <Route path=DeleteAliases::segments() view={delete_page::<kinds::Aliases>} ssr=SsrMode::Async/>
                <Route path=DeletedAliases::segments() view={deleted_page::<kinds::Aliases>} ssr=SsrMode::Async/>
                <Route path=Activity::segments() view=ActivityScreen ssr=SsrMode::Async/>
                <Route path=Account::segments() view=AccountPage ssr=SsrMode::Async/>
            </Routes>
        </Router>
    }
}
