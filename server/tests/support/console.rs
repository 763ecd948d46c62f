//! A signed-in console for tests that drive server functions through the real router, and the
//! readings of their answers every such test makes.

use app::error::AppError;
use serde::de::DeserializeOwned;
use serde_json::from_str as json;

use super::{Reply, TestServer, PASSWORD, POSTMASTER_A};

/// A server, and a session of alpha.test's postmaster. Each test file adds the calls it makes.
pub struct Console {
    pub server: TestServer,
    pub cookie: String,
}

impl Console {
    pub async fn new() -> Self {
        let server = TestServer::new().await;
        let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
        Console { server, cookie }
    }

    /// The server function at `path` called with `form` in this session.
    pub async fn call(&self, path: &str, form: &[(&str, &str)]) -> Reply {
        self.server.call(path, form, Some(&self.cookie)).await
    }
}

/// What a server function answered: its value, or the error it refused with.
pub fn outcome<T: DeserializeOwned>(reply: &Reply) -> Result<T, AppError> {
    if reply.status.is_success() {
        Ok(json(&reply.body).unwrap_or_else(|error| panic!("{error}: {}", reply.body)))
    } else {
        Err(json(&reply.body)
            .unwrap_or_else(|error| panic!("{} {error}: {}", reply.status, reply.body)))
    }
}

/// The words of a refusal of what was typed: a rule broken, or problems by field.
pub fn invalid(result: Result<impl std::fmt::Debug, AppError>) -> String {
    match result {
        Err(AppError::Invalid(message)) => message,
        Err(refused @ AppError::Refused(_)) => refused.to_string(),
        other => panic!("expected Invalid or Refused, got {other:?}"),
    }
}

/// The words of a refusal because something changed meanwhile or is taken; a form's
/// server function sends it as the sentence of a refusal that keeps what was typed.
pub fn conflict(result: Result<impl std::fmt::Debug, AppError>) -> String {
    match result {
        Err(AppError::Conflict(message))
        | Err(AppError::Refused(app::error::Refusal {
            said: Some(message),
            ..
        })) => message,
        other => panic!("expected Conflict, got {other:?}"),
    }
}

/// The words of a refusal because what was named does not exist.
pub fn not_found(result: Result<impl std::fmt::Debug, AppError>) -> String {
    match result {
        Err(AppError::NotFound(message)) => message,
        other => panic!("expected NotFound, got {other:?}"),
    }
}
