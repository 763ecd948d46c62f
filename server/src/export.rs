//! The Users screen's "Export as CSV": a download streamed row by row, authorized exactly as
//! the server functions are (the session, then the domain must be one the admin manages).

use std::io;

use app::error::AppError;
use app::ssr::auth::CurrentSession;
use app::ssr::caller::{Caller, DomainScope};
use app::ssr::export;
use app::ssr::request::ClientAddr;
use app::ssr::state::AppState;
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::stream;
use serde::Deserialize;

use crate::guard::plain_page;

/// The query of `GET /users/export.csv`.
#[derive(Deserialize)]
pub struct ExportQuery {
    /// The domain; the admin's first one when missing, as on the Users screen.
    domain: Option<String>,
}

/// The domain's live accounts as a CSV attachment (see [`export::accounts_csv`]).
pub async fn users_csv(
    State(state): State<AppState>,
    Query(query): Query<ExportQuery>,
    request: Request,
) -> Response {
    // Read before any await: a request's body cannot be shared across threads.
    let session = request.extensions().get::<CurrentSession>().cloned();
    let client = request
        .extensions()
        .get::<ClientAddr>()
        .map(|client| client.0.clone())
        .unwrap_or_default();
    let Some(session) = session else {
        return refused(&AppError::Unauthenticated);
    };
    match download(&state, &session, &client, query.domain.as_deref()).await {
        Ok(response) => response,
        Err(error) => refused(&error),
    }
}

async fn download(
    state: &AppState,
    session: &CurrentSession,
    client: &str,
    domain: Option<&str>,
) -> Result<Response, AppError> {
    let caller = Caller::web(session, client.to_owned());
    let scope = DomainScope::of(&state.db, caller, domain).await?;
    let name = export::file_name(&state.db, scope.domain()).await?;
    export::record(&state.db, scope.actor(), scope.domain()).await?;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(|_| AppError::Internal)?;
    let lines = export::accounts_csv(state.db.clone(), scope.domain_id());
    // A failure midway ends the body with an error, so the browser reports a failed download
    // rather than saving a file that silently lacks accounts.
    let body = stream::unfold(lines, |mut lines| async move {
        let line = lines.recv().await?;
        Some((
            line.map_err(|error| io::Error::other(error.to_string())),
            lines,
        ))
    });
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("text/csv; charset=utf-8"),
            ),
            (header::CONTENT_DISPOSITION, disposition),
            (header::CACHE_CONTROL, HeaderValue::from_static("no-store")),
        ],
        Body::from_stream(body),
    )
        .into_response())
}

/// The refusal as a small page, with the status the error stands for.
fn refused(error: &AppError) -> Response {
    let status = match error {
        AppError::Unauthenticated | AppError::CodesUsedUp => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound(_) => StatusCode::NOT_FOUND,
        AppError::Invalid(_) | AppError::Refused(_) | AppError::Conflict(_) => {
            StatusCode::BAD_REQUEST
        }
        AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Busy | AppError::DiskFull => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    plain_page(status, "Export", &error.to_string())
}
