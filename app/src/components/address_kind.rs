//! The kind of address a screen handles. Accounts and aliases share the shape of their
//! screens (a list, a delete confirmation, the deleted ones to restore); what differs is
//! the words, the paths and the server functions, which this trait gives for each kind.

use leptos::server_fn::client::browser::BrowserClient;
use leptos::server_fn::codec::{Json, PostUrl};
use leptos::server_fn::{Http, ServerFn};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use std::future::Future;

use crate::api::accounts::{
    list_deleted, matching_accounts, DeleteAccounts, DeleteMatchingAccounts, RestoreAccount,
};
use crate::api::aliases::{
    list_deleted_aliases, matching_aliases, DeleteAliases, DeleteMatchingAliases, RestoreAlias,
};
use crate::error::AppError;
use crate::model::deleted::DeletedPage;
use crate::model::matches::SearchMatches;
use crate::routes;
use crate::words::grouped;

/// A server function an `ActionForm` posts: form fields in, a refusal as [`AppError`], and a
/// redirect rather than a value on success.
pub trait FormAction:
    ServerFn<Protocol = Http<PostUrl, Json>, Client = BrowserClient, Error = AppError, Output = ()>
    + DeserializeOwned
    + Clone
    + Send
    + Sync
    + 'static
{
}

impl<S> FormAction for S where
    S: ServerFn<
            Protocol = Http<PostUrl, Json>,
            Client = BrowserClient,
            Error = AppError,
            Output = (),
        > + DeserializeOwned
        + Clone
        + Send
        + Sync
        + 'static
{
}

/// A deleted address as its restore list shows it, whatever its kind.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Restorable {
    /// The row's id, which the restore names: several deleted rows may share an address.
    pub id: i64,
    /// The address.
    pub address: String,
    /// The second column: an account's name, an alias's targets.
    pub detail: String,
    /// When it was deleted.
    pub deleted_at: String,
    /// Whole days until the purge.
    pub days_left: i64,
}

/// Accounts or aliases: what their shared screens say and call.
pub trait AddressKind: Send + Sync + 'static {
    /// One, in lower case: "account".
    const ONE: &'static str;
    /// Many, in lower case: "accounts".
    const MANY: &'static str;
    /// The list screen's name, as its title and the navigation say it.
    const LIST_TITLE: &'static str;
    /// The list screen's path.
    const LIST_PATH: &'static str;
    /// The path of the screen that adds many of them.
    const ADD_PATH: &'static str;
    /// What the list's search field looks in.
    const SEARCH_LABEL: &'static str;
    /// The parameter naming one selected address in the delete confirmation's query.
    const SELECTED: &'static str;
    /// The delete's form field carrying the addresses, one a line.
    const DELETE_FIELD: &'static str;
    /// The list's query parameters that say where it was (the search, the page): the list's
    /// delete form sends them, and its confirmation carries them to the delete and to Cancel,
    /// so that both go back to the page the delete was asked on.
    const PLACE: &'static [&'static str];
    /// The heading and the phone label of the restore list's address column.
    const ADDRESS_HEADING: &'static str;
    /// The heading of the restore list's second column.
    const DETAIL_HEADING: &'static str;
    /// The phone label of the restore list's second column.
    const DETAIL_LABEL: &'static str;
    /// What the restore list says the purge does.
    const PURGE_NOTE: &'static str;
    /// What follows an address just restored in the notice.
    const RESTORED: &'static str;

    /// The delete of the selected addresses.
    type Delete: FormAction;
    /// The restore of one deleted row.
    type Restore: FormAction;
    /// The delete of every match of a search.
    type DeleteMatching: FormAction;

    /// What the confirmation says happens to `count` of them.
    fn consequence(count: usize) -> String;

    /// The list of `domain` (the administrator's first when empty), saying that a delete was
    /// asked for with nothing ticked.
    fn nothing_ticked(domain: &str) -> String;

    /// The list of `domain` searched for `search`: where a delete of its matches goes back to.
    fn searched(domain: &str, search: &str) -> String;

    /// The addresses of `domain` (the administrator's first when absent) that `search` finds now.
    fn matching(
        domain: Option<String>,
        search: String,
    ) -> impl Future<Output = Result<SearchMatches, AppError>> + Send + 'static;

    /// A page of the domain's deleted addresses that can still be restored, newest first.
    fn deleted(
        domain: Option<String>,
        page: u32,
    ) -> impl Future<Output = Result<DeletedPage<Restorable>, AppError>> + Send + 'static;

    /// The address of the restore list of `domain` at `page`.
    fn deleted_href(domain: &str, page: u32) -> String;
}

/// Mail accounts, listed in Users.
pub struct Accounts;

impl AddressKind for Accounts {
    const ONE: &'static str = "account";
    const MANY: &'static str = "accounts";
    const LIST_TITLE: &'static str = "Users";
    const LIST_PATH: &'static str = routes::Users::PATH;
    const ADD_PATH: &'static str = routes::AddAccounts::PATH;
    const SEARCH_LABEL: &'static str = "Search by address or name";
    const SELECTED: &'static str = "email";
    const DELETE_FIELD: &'static str = "emails";
    const PLACE: &'static [&'static str] = &["q", "page", "after", "before"];
    const ADDRESS_HEADING: &'static str = "Address";
    const DETAIL_HEADING: &'static str = "Name";
    const DETAIL_LABEL: &'static str = "Name";
    const PURGE_NOTE: &'static str =
        "Deleted accounts are removed with their mail when no days are left.";
    const RESTORED: &'static str = "is restored and works again.";

    type Delete = DeleteAccounts;
    type Restore = RestoreAccount;
    type DeleteMatching = DeleteMatchingAccounts;

    fn consequence(count: usize) -> String {
        if count == 1 {
            "This account will stop working at once: nobody can log in or check its mail. You can restore it from Deleted accounts for 30 days; after that it is removed with its mail.".to_owned()
        } else {
            format!("These {} accounts will stop working at once: nobody can log in or check their mail. You can restore them from Deleted accounts for 30 days; after that they are removed with their mail.", grouped(count as u64))
        }
    }

    fn nothing_ticked(domain: &str) -> String {
        routes::Users {
            domain: Some(domain).filter(|domain| !domain.is_empty()),
            deleted: Some(0),
            ..Default::default()
        }
        .href()
    }

    fn searched(domain: &str, search: &str) -> String {
        routes::Users {
            domain: Some(domain).filter(|domain| !domain.is_empty()),
            q: Some(search),
            ..Default::default()
        }
        .href()
    }

    async fn matching(domain: Option<String>, search: String) -> Result<SearchMatches, AppError> {
        matching_accounts(domain, search).await
    }

    async fn deleted(
        domain: Option<String>,
        page: u32,
    ) -> Result<DeletedPage<Restorable>, AppError> {
        Ok(list_deleted(domain, Some(page))
            .await?
            .map(|row| Restorable {
                id: row.id,
                detail: format!("{} {}", row.first_name, row.last_name)
                    .trim()
                    .to_owned(),
                address: row.email,
                deleted_at: row.deleted_at,
                days_left: row.days_left,
            }))
    }

    fn deleted_href(domain: &str, page: u32) -> String {
        routes::DeletedAccounts {
            domain: Some(domain),
            page: Some(page),
            ..Default::default()
        }
        .href()
    }
}

/// Aliases, listed in Aliases.
pub struct Aliases;

impl AddressKind for Aliases {
    const ONE: &'static str = "alias";
    const MANY: &'static str = "aliases";
    const LIST_TITLE: &'static str = "Aliases";
    const LIST_PATH: &'static str = routes::Aliases::PATH;
    const ADD_PATH: &'static str = routes::AddAliases::PATH;
    const SEARCH_LABEL: &'static str = "Search by alias or target";
    const SELECTED: &'static str = "address";
    const DELETE_FIELD: &'static str = "addresses";
    const PLACE: &'static [&'static str] = &["q", "page"];
    const ADDRESS_HEADING: &'static str = "Alias";
    const DETAIL_HEADING: &'static str = "Delivered to";
    const DETAIL_LABEL: &'static str = "Targets";
    const PURGE_NOTE: &'static str = "Deleted aliases are removed for good when no days are left.";
    const RESTORED: &'static str = "is restored and receives mail again.";

    type Delete = DeleteAliases;
    type Restore = RestoreAlias;
    type DeleteMatching = DeleteMatchingAliases;

    fn consequence(count: usize) -> String {
        if count == 1 {
            "Mail to this alias will be refused at once. You can restore it from Deleted aliases for 30 days; after that it is removed for good.".to_owned()
        } else {
            format!("Mail to these {} aliases will be refused at once. You can restore them from Deleted aliases for 30 days; after that they are removed for good.", grouped(count as u64))
        }
    }

    fn nothing_ticked(domain: &str) -> String {
        routes::Aliases {
            domain: Some(domain).filter(|domain| !domain.is_empty()),
            deleted: Some(0),
            ..Default::default()
        }
        .href()
    }

    fn searched(domain: &str, search: &str) -> String {
        routes::Aliases {
            domain: Some(domain).filter(|domain| !domain.is_empty()),
            q: Some(search),
            ..Default::default()
        }
        .href()
    }

    async fn matching(domain: Option<String>, search: String) -> Result<SearchMatches, AppError> {
        matching_aliases(domain, search).await
    }

    async fn deleted(
        domain: Option<String>,
        page: u32,
    ) -> Result<DeletedPage<Restorable>, AppError> {
        Ok(list_deleted_aliases(domain, Some(page))
            .await?
            .map(|row| Restorable {
                id: row.id,
                address: row.address,
                detail: row.targets,
                deleted_at: row.deleted_at,
                days_left: row.days_left,
            }))
    }

    fn deleted_href(domain: &str, page: u32) -> String {
        routes::DeletedAliases {
            domain: Some(domain),
            page: Some(page),
            ..Default::default()
        }
        .href()
    }
}
