//! Form posts whose refusal must keep what was typed; browsers post them plainly, with or
//! without JavaScript. A server function answers such a post with a redirect, which could
//! carry the text only in the URL; here the page itself answers, with the pasted text and the
//! report, so nothing secret ever lands in a URL, a log or the session store. They are
//! answered without a session too: a paste prepared while the session ran out comes back with
//! the reason, kept, instead of being lost behind the log-on page.

use std::convert::Infallible;

use app::context::{ClientAddr, CurrentSession};
use app::error::{AppError, FormRefusal};
use app::model::drafts::{AliasDraft, BulkDraft};
use app::routes::{AddAccounts, AddAliases, Added, Aliases};
use app::shell;
use app::ssr::{accounts, aliases, AppState, Caller, DomainScope};
use app::validate::BULK_MAX_BYTES;
use axum::body::Body;
use axum::extract::{DefaultBodyLimit, Form, FromRequest, Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri};
use axum::response::{IntoResponse, Redirect, Response};
use leptos::config::LeptosOptions;
use leptos::prelude::provide_context;
use serde::de::DeserializeOwned;
use serde::Deserialize;
use tower::{service_fn, Layer, ServiceExt};

use crate::app_context::provide_app_context;

/// Most bytes of a posted "Add many accounts" form: the largest paste the rules take
/// ([`BULK_MAX_BYTES`] of text) with every byte percent-encoded, three bytes each, and room
/// for the other fields. A paste the rules take is never refused for its encoding; a larger
/// post is refused as too large without being read whole.
pub const ADD_ACCOUNTS_FORM_MAX_BYTES: usize = 3 * BULK_MAX_BYTES + 4096;

/// What the form pages need to run the server function and draw the page again.
#[derive(Clone)]
pub struct FormPages {
    pub state: AppState,
    pub options: LeptosOptions,
}

/// The fields of "Add many accounts".
#[derive(Deserialize)]
pub struct AddAccountsForm {
    domain: String,
    text: String,
    generate: Option<String>,
    quota_mb: Option<String>,
}

/// "Add many accounts" posted: runs the same server function; on success
/// goes to the result screen, on refusal answers 422 with the page, the text and the report.
pub async fn add_accounts(State(pages): State<FormPages>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts.clone(), body);
    let form = match read_form::<AddAccountsForm>(request, ADD_ACCOUNTS_FORM_MAX_BYTES).await {
        Ok(form) => form,
        Err(status) => return refused_form(status),
    };
    let added: Result<String, AppError> = async {
        let (session, client) = signed_in(&parts)?;
        let caller = Caller::web(&session, client);
        let scope = DomainScope::of(&pages.state.db, caller, Some(&form.domain)).await?;
        let pasted = accounts::PastedAccounts {
            text: &form.text,
            generate: form.generate.is_some(),
            quota_mb: form.quota_mb.as_deref(),
        };
        let batch = accounts::add_pasted(&pages.state, &scope, &session.key(), pasted).await?;
        Ok(Added { batch: &batch }.href())
    }
    .await;
    match added {
        Ok(location) => Redirect::to(&location).into_response(),
        Err(error) => {
            let draft = BulkDraft {
                domain: form.domain.clone(),
                text: form.text,
                generate: form.generate.is_some(),
                quota_mb: form.quota_mb.unwrap_or_default(),
                refused: FormRefusal::from(error),
            };
            let page = AddAccounts {
                domain: Some(&form.domain),
            };
            redraw(pages, parts, AddAccounts::PATH, page.href(), draft).await
        }
    }
}

/// The fields of "Add many aliases".
#[derive(Deserialize)]
pub struct AddAliasesForm {
    domain: String,
    text: String,
}

/// "Add many aliases" posted, as "Add many accounts" is: on success to the Aliases list, on
/// refusal 422 with the page, the text and the problems by line.
pub async fn add_aliases(State(pages): State<FormPages>, request: Request) -> Response {
    let (parts, body) = request.into_parts();
    let request = Request::from_parts(parts.clone(), body);
    // An alias paste has the same size limit as an accounts paste.
    let form = match read_form::<AddAliasesForm>(request, ADD_ACCOUNTS_FORM_MAX_BYTES).await {
        Ok(form) => form,
        Err(status) => return refused_form(status),
    };
    let added: Result<String, AppError> = async {
        let (session, client) = signed_in(&parts)?;
        let caller = Caller::web(&session, client);
        let scope = DomainScope::of(&pages.state.db, caller, Some(&form.domain)).await?;
        let added = aliases::add_from_paste(&pages.state.db, &scope, &form.text).await?;
        let list = Aliases {
            domain: Some(scope.domain()),
            added_many: Some(added),
            ..Default::default()
        };
        Ok(list.href())
    }
    .await;
    match added {
        Ok(location) => Redirect::to(&location).into_response(),
        Err(error) => {
            let draft = AliasDraft {
                domain: form.domain.clone(),
                text: form.text,
                refused: FormRefusal::from(error),
            };
            let page = AddAliases {
                domain: Some(&form.domain),
            };
            redraw(pages, parts, AddAliases::PATH, page.href(), draft).await
        }
    }
}

/// The answer to a form that could not be read.
fn refused_form(status: StatusCode) -> Response {
    match status {
        // The guard answers this status with its page that says what was too large.
        StatusCode::PAYLOAD_TOO_LARGE => status.into_response(),
        status => (status, "The form was incomplete. Please fill it in again.").into_response(),
    }
}

/// The signed-in session of the request and its client's address, as the guard left them.
fn signed_in(parts: &Parts) -> Result<(CurrentSession, String), AppError> {
    let session = parts
        .extensions
        .get::<CurrentSession>()
        .cloned()
        .ok_or(AppError::Unauthenticated)?;
    let client = parts
        .extensions
        .get::<ClientAddr>()
        .map(|client| client.0.clone())
        .unwrap_or_default();
    Ok((session, client))
}

/// The form of `request`, read up to `limit` bytes instead of axum's default of 2 MiB; the
/// status of the refusal otherwise (413 when the body is larger).
async fn read_form<T>(request: Request, limit: usize) -> Result<T, StatusCode>
where
    T: DeserializeOwned + Send + 'static,
{
    let extract = DefaultBodyLimit::max(limit).layer(service_fn(|request: Request| async {
        Ok::<_, Infallible>(Form::<T>::from_request(request, &()).await)
    }));
    match extract.oneshot(request).await {
        Ok(Ok(Form(form))) => Ok(form),
        Ok(Err(rejection)) => Err(rejection.status()),
        Err(never) => match never {},
    }
}

/// The page at `location` (a screen at `path`) as a GET of it would render, with the refused
/// draft in its context.
async fn redraw<D: Clone + Send + Sync + 'static>(
    pages: FormPages,
    mut parts: axum::http::request::Parts,
    path: &'static str,
    location: String,
    draft: D,
) -> Response {
    parts.method = Method::GET;
    parts.uri = location.parse().unwrap_or_else(|_| Uri::from_static(path));
    let state = pages.state.clone();
    let context = move || {
        provide_app_context(&state);
        provide_context(draft.clone());
    };
    let options = pages.options.clone();
    let render =
        leptos_axum::render_app_async_with_context(context, move || shell(options.clone()));
    let mut response = render(Request::from_parts(parts, Body::empty())).await;
    *response.status_mut() = StatusCode::UNPROCESSABLE_ENTITY;
    response
}
