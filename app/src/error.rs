//! The one error type of every server function and service, shown to the user as it reads.

use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use serde::{Deserialize, Serialize};

/// What went wrong, in words a postmaster can act on. It never carries a password, a hash or
/// database text: details of internal failures go to the server log only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: the user must log on (again).
    #[error("Please log on to continue.")]
    Unauthenticated,
    /// Signed in, but this is not theirs to do.
    #[error("You are not allowed to do that.")]
    Forbidden,
    /// The input breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// The input clashes with what exists (an address already taken, ...).
    #[error("{0}")]
    Conflict(String),
    /// The thing asked for does not exist, or is not this user's to see.
    #[error("{0} was not found.")]
    NotFound(String),
    /// Too many attempts; try again after this many seconds.
    #[error("Too many attempts. Please wait {0} seconds and try again.")]
    Throttled(u64),
    /// Too much work is queued on the server (password hashing); nothing was done.
    #[error("The server is busy. Nothing was changed; please try again in a minute.")]
    Busy,
    /// The server's disk is full: what was asked was not done, and nothing was half made.
    #[error("The server's disk is full, so nothing was changed. Ask the operator to free some space, then try again.")]
    DiskFull,
    /// A failure on the server side that the user cannot fix.
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // A body that does not decode (bytes that are not UTF-8, say) is the client's
            // mistake, like a missing field: a refusal, not a server fault.
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => {
                AppError::Invalid("The form was incomplete. Please fill it in again.".into())
            }
            ServerFnErrorErr::Request(_) => {
                AppError::Invalid("The server could not be reached. Check your connection.".into())
            }
            _ => AppError::Internal,
        }
    }

    // An error sent back to a plain form post travels in an address, which anyone can write:
    // the server notes what it sends and a page believes only that.
    #[cfg(feature = "ssr")]
    fn ser(&self) -> leptos::server_fn::Bytes {
        crate::ssr::refusals::encode(self)
    }

    #[cfg(feature = "ssr")]
    fn de(data: leptos::server_fn::Bytes) -> Self {
        crate::ssr::refusals::decode(data)
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        /// SQLite's result code for a write that found the disk full.
        const SQLITE_FULL: &str = "13";
        if error
            .as_database_error()
            .and_then(|db| db.code())
            .is_some_and(|code| code == SQLITE_FULL)
        {
            tracing::error!(%error, "the disk is full");
            return AppError::DiskFull;
        }
        tracing::error!(%error, "database error");
        AppError::Internal
    }
}
