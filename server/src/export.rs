//! The Users screen's "Export as CSV": a download streamed a page at a time, authorized exactly
//! as the server functions are (the session, then the domain must be one the admin manages),
//! with a bounded number running at once and a bounded time each.

use std::collections::HashMap;
use std::io;
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use app::context::{ClientAddr, CurrentSession, SessionKey};
use app::error::AppError;
use app::ssr::export;
use app::ssr::AppState;
use app::ssr::{Caller, DomainScope};
use axum::body::Body;
use axum::extract::{Query, Request, State};
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use futures_util::{Stream, StreamExt};
use serde::Deserialize;
use tokio::time::Instant;

use crate::guard::plain_page;

/// Exports one session may have running at once: a second click while the first still runs
/// is served, a third waits.
pub const EXPORTS_PER_SESSION: usize = 2;

/// Exports the server sends at once, whoever asks.
pub const EXPORTS_AT_ONCE: usize = 4;

/// The longest an export may take: a client that reads it a trickle at a time cannot keep its
/// place for ever. A million accounts are sent well within it.
pub const EXPORT_TIME_LIMIT: Duration = Duration::from_secs(15 * 60);

/// What the export route needs: the app state, and the exports running.
#[derive(Clone)]
pub struct ExportState {
    /// The app state.
    pub state: AppState,
    /// The exports being sent.
    pub running: RunningExports,
}

/// The exports being sent, counted for the server and for each session.
#[derive(Clone, Default)]
pub struct RunningExports(Arc<Mutex<Counts>>);

#[derive(Default)]
struct Counts {
    total: usize,
    by_session: HashMap<SessionKey, usize>,
}

/// Why an export cannot start now.
enum Full {
    Session,
    Server,
}

impl RunningExports {
    /// A place for one more export of the session `key`, or why there is none.
    fn start(&self, key: SessionKey) -> Result<ExportPlace, Full> {
        let mut counts = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        let mine = counts.by_session.get(&key).copied().unwrap_or(0);
        if mine >= EXPORTS_PER_SESSION {
            return Err(Full::Session);
        }
        if counts.total >= EXPORTS_AT_ONCE {
            return Err(Full::Server);
        }
        counts.total += 1;
        counts.by_session.insert(key.clone(), mine + 1);
        Ok(ExportPlace {
            running: self.clone(),
            key,
        })
    }
}

/// One export's place, given back when its body ends or is dropped (the client went away).
struct ExportPlace {
    running: RunningExports,
    key: SessionKey,
}

impl Drop for ExportPlace {
    fn drop(&mut self) {
        let mut counts = self
            .running
            .0
            .lock()
            .unwrap_or_else(PoisonError::into_inner);
        counts.total -= 1;
        if let Some(mine) = counts.by_session.get_mut(&self.key) {
            *mine -= 1;
            if *mine == 0 {
                counts.by_session.remove(&self.key);
            }
        }
    }
}

/// The query of `GET /users/export.csv`.
#[derive(Deserialize)]
pub struct ExportQuery {
    /// The domain; the admin's first one when missing, as on the Users screen.
    domain: Option<String>,
}

/// The domain's live accounts as a CSV attachment (see [`export::accounts_csv`]).
pub async fn users_csv(
    State(export): State<ExportState>,
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
    match download(&export, &session, &client, query.domain.as_deref()).await {
        Ok(response) => response,
        Err(error) => refused(&error),
    }
}

async fn download(
    export: &ExportState,
    session: &CurrentSession,
    client: &str,
    domain: Option<&str>,
) -> Result<Response, AppError> {
    let state = &export.state;
    let caller = Caller::web(session, client.to_owned());
    let scope = DomainScope::of(&state.db, caller, domain).await?;
    let place = match export.running.start(session.key()) {
        Ok(place) => place,
        Err(full) => return Ok(no_place(&full)),
    };
    let name = export::file_name(&state.db, &scope).await?;
    export::record(&state.db, &scope).await?;
    let disposition = HeaderValue::from_str(&format!("attachment; filename=\"{name}\""))
        .map_err(|_| AppError::Internal)?;
    let text = export::accounts_csv(state.db.clone(), &scope);
    let body = within(EXPORT_TIME_LIMIT, text).map(move |chunk| {
        // The place is held as long as the body is.
        let _ = &place;
        chunk
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

/// The export's text until `limit` has passed since it started, then an error. A failure, or
/// the time running out, ends the body with an error, so the browser reports a failed download
/// rather than saving a file that silently lacks accounts.
fn within(
    limit: Duration,
    text: impl Stream<Item = Result<String, AppError>>,
) -> impl Stream<Item = io::Result<String>> {
    let deadline = Instant::now() + limit;
    text.map(move |chunk| {
        if Instant::now() > deadline {
            return Err(io::Error::new(
                io::ErrorKind::TimedOut,
                "the export took too long",
            ));
        }
        chunk.map_err(|error| io::Error::other(error.to_string()))
    })
}

/// The refusal of an export that would be one too many.
fn no_place(full: &Full) -> Response {
    let (status, message) = match full {
        Full::Session => (
            StatusCode::TOO_MANY_REQUESTS,
            format!(
                "Your last {EXPORTS_PER_SESSION} exports are still being sent. Please wait \
                 for one to finish, then try again."
            ),
        ),
        Full::Server => (
            StatusCode::SERVICE_UNAVAILABLE,
            "The server is sending as many exports as it can at once. Please try again in a \
             minute."
                .to_owned(),
        ),
    };
    let mut response = plain_page(status, "Export", &message);
    response
        .headers_mut()
        .insert(header::RETRY_AFTER, HeaderValue::from_static("60"));
    response
}

/// The refusal as a small page, with the status the error stands for.
fn refused(error: &AppError) -> Response {
    let status = match error {
        AppError::Unauthenticated | AppError::CodesUsedUp => StatusCode::UNAUTHORIZED,
        AppError::Forbidden => StatusCode::FORBIDDEN,
        AppError::NotFound(_) | AppError::Deleted(..) => StatusCode::NOT_FOUND,
        AppError::Invalid(_) | AppError::Refused(_) | AppError::Conflict(_) => {
            StatusCode::BAD_REQUEST
        }
        AppError::Throttled(_) => StatusCode::TOO_MANY_REQUESTS,
        AppError::Busy | AppError::DiskFull => StatusCode::SERVICE_UNAVAILABLE,
        AppError::Internal => StatusCode::INTERNAL_SERVER_ERROR,
    };
    plain_page(status, "Export", &error.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::stream;

    #[tokio::test]
    async fn an_export_past_its_time_ends_with_an_error() {
        let pauses = [Duration::ZERO, Duration::from_secs(3)];
        let text = stream::iter(pauses).then(|pause| async move {
            tokio::time::sleep(pause).await;
            Ok(format!("after {pause:?}"))
        });
        let sent: Vec<io::Result<String>> = within(Duration::from_secs(2), text).collect().await;
        assert_eq!(sent[0].as_ref().unwrap(), "after 0ns");
        assert_eq!(
            sent[1].as_ref().unwrap_err().kind(),
            io::ErrorKind::TimedOut
        );
    }

    #[test]
    fn a_place_is_given_back_when_its_export_ends() {
        let running = RunningExports::default();
        let places: Vec<ExportPlace> = (0..EXPORTS_PER_SESSION)
            .map(|_| running.start(SessionKey::of_token("one")).ok().unwrap())
            .collect();
        assert!(matches!(
            running.start(SessionKey::of_token("one")),
            Err(Full::Session)
        ));
        drop(places);
        assert!(running.start(SessionKey::of_token("one")).is_ok());
    }
}
