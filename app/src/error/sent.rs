//! The refusals sent back in an address, and the check that a page shows only those.
//!
//! A form posted without the app's JavaScript is answered with a redirect whose address carries
//! the server function's error (`?__path=…&__err=<base64>`), and the page there shows it. Anyone
//! can write such an address and send it around, so an error read from an address is shown only
//! if this server sent exactly that error, in the last [`REFUSAL_LIFETIME`], to the session now
//! reading it (or, for a post without a session such as a failed log on, to no session: the
//! errors such posts get are fixed sentences). Any other is shown as [`NOT_SENT`].
//!
//! The record is in memory, shared by the whole process: at most [`REFUSALS_KEPT`] refusals,
//! the oldest dropped first. A refusal pushed out early only turns into [`NOT_SENT`].

use std::collections::VecDeque;
use std::sync::{Mutex, MutexGuard};
use std::time::{Duration, Instant};

use axum::http::header::ACCEPT;
use axum::http::request::Parts;
use leptos::prelude::use_context;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::Bytes;
use leptos::server_fn::{Decodes, Encodes};

use super::AppError;
use crate::context::CurrentSession;

/// What a page shows for an error in its address that this server did not send there.
pub const NOT_SENT: &str = "That did not work. Please try again.";
/// How long after a refusal its page can show it: a reload soon after still does.
pub const REFUSAL_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Most refusals remembered at once.
pub const REFUSALS_KEPT: usize = 1_000;

struct Sent {
    /// The key of the session it was sent to, if any.
    owner: Option<Vec<u8>>,
    encoded: Bytes,
    at: Instant,
}

static SENT: Mutex<VecDeque<Sent>> = Mutex::new(VecDeque::new());

/// `error` as a server function sends it, noted when it will travel in an address: when the
/// request being answered is a plain form post (it accepts HTML).
pub fn encode(error: &AppError) -> Bytes {
    let encoded = JsonEncoding::encode(error).unwrap_or_else(|_| {
        tracing::error!("an error could not be encoded");
        Bytes::from_static(b"\"Internal\"")
    });
    if let Some(parts) = use_context::<Parts>().filter(accepts_html) {
        note(owner(&parts), encoded.clone());
    }
    encoded
}

/// The error in an address, if this server sent it to the session of the request being
/// answered; otherwise `Invalid(`[`NOT_SENT`]`)`.
pub fn decode(encoded: Bytes) -> AppError {
    let owner = use_context::<Parts>().and_then(|parts| owner(&parts));
    match JsonEncoding::decode(encoded.clone()) {
        Ok(error) if was_sent(owner.as_deref(), &encoded) => error,
        _ => AppError::Invalid(NOT_SENT.into()),
    }
}

fn accepts_html(parts: &Parts) -> bool {
    parts
        .headers
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"))
}

fn owner(parts: &Parts) -> Option<Vec<u8>> {
    parts
        .extensions
        .get::<CurrentSession>()
        .map(CurrentSession::key)
}

fn note(owner: Option<Vec<u8>>, encoded: Bytes) {
    let mut sent = lock();
    forget_expired(&mut sent);
    // The same error is encoded twice for one answer (body and address): keep it once.
    sent.retain(|entry| !(entry.owner == owner && entry.encoded == encoded));
    while sent.len() >= REFUSALS_KEPT {
        sent.pop_front();
    }
    sent.push_back(Sent {
        owner,
        encoded,
        at: Instant::now(),
    });
}

fn was_sent(owner: Option<&[u8]>, encoded: &[u8]) -> bool {
    let mut sent = lock();
    forget_expired(&mut sent);
    sent.iter()
        .any(|entry| entry.owner.as_deref() == owner && entry.encoded == encoded)
}

/// Drops the refusals older than [`REFUSAL_LIFETIME`]: they are in the order they were sent.
fn forget_expired(sent: &mut VecDeque<Sent>) {
    while sent
        .front()
        .is_some_and(|entry| entry.at.elapsed() >= REFUSAL_LIFETIME)
    {
        sent.pop_front();
    }
}

fn lock() -> MutexGuard<'static, VecDeque<Sent>> {
    // Every change is one push, pop or retain: a panic elsewhere cannot leave it half-changed.
    SENT.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(message: &str) -> Bytes {
        JsonEncoding::encode(&AppError::Invalid(message.into())).unwrap()
    }

    #[test]
    fn a_refusal_is_known_to_its_session_only() {
        let error = encoded("Line 1, username: a test of the refusal record.");
        assert!(!was_sent(Some(b"test-mine"), &error));
        note(Some(b"test-mine".to_vec()), error.clone());
        note(Some(b"test-mine".to_vec()), error.clone());
        assert!(was_sent(Some(b"test-mine"), &error));
        assert!(!was_sent(Some(b"test-theirs"), &error));
        assert!(!was_sent(None, &error));
        let count = lock().iter().filter(|entry| entry.encoded == error).count();
        assert_eq!(count, 1, "noted once");
    }

    #[test]
    fn outside_a_request_nothing_is_noted_and_nothing_is_believed() {
        let error = AppError::Invalid("Call 555-0100 to verify your account".into());
        let bytes = encode(&error);
        assert_eq!(JsonEncoding::decode(bytes.clone()).ok(), Some(error));
        assert_eq!(decode(bytes), AppError::Invalid(NOT_SENT.into()));
        assert_eq!(
            decode(Bytes::from_static(b"not json")),
            AppError::Invalid(NOT_SENT.into())
        );
    }
}
