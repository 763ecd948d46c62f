//! The refusals sent back in an address, and the check that a page shows only those.
//!
//! A form posted without the app's JavaScript is answered with a redirect whose address carries
//! the server function's error (`?__path=…&__err=…`), and the page there shows it. The address
//! carries only a reference: the error itself, with what was typed into the form, stays here,
//! so the address stays short whatever was typed, and what was typed is in no address, log or
//! history. Anyone can write such an address and send it around, so a reference is shown only
//! if this server sent it, in the last [`REFUSAL_LIFETIME`], to the session now reading it (or,
//! for a post without a session such as a failed log on, to no session: the errors such posts
//! get are fixed sentences). Anything else is shown as [`NOT_SENT`].
//!
//! The record is in memory, shared by the whole process: at most [`REFUSALS_PER_SESSION`] of
//! one session and [`REFUSALS_KEPT`] in all, the oldest dropped first. A refusal pushed out
//! early only turns into [`NOT_SENT`].

use std::sync::LazyLock;
use std::time::Duration;

use axum::http::header::ACCEPT;
use axum::http::request::Parts;
use leptos::prelude::use_context;
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::Bytes;
use leptos::server_fn::{Decodes, Encodes};

use super::AppError;
use crate::context::{CurrentSession, SessionKey};
use crate::held::{Held, Limits, WhenFull};

/// What a page shows for an error in its address that this server did not send there.
pub const NOT_SENT: &str = "That did not work. Please try again.";
/// How long after a refusal its page can show it: a reload soon after still does.
pub const REFUSAL_LIFETIME: Duration = Duration::from_secs(10 * 60);
/// Most refusals remembered at once.
pub const REFUSALS_KEPT: usize = 1_000;

/// Most refusals remembered for one session (or for all requests without one).
pub const REFUSALS_PER_SESSION: usize = 100;

/// How a reference begins, so that an old address with a whole error in it is told apart.
const REFERENCE_PREFIX: &[u8] = b"sent:";

/// A refusal sent: the reference its address carries, and the error as it was encoded.
struct Sent {
    reference: Bytes,
    error: Bytes,
}

static SENT: LazyLock<Held<Sent>> = LazyLock::new(|| {
    Held::new(Limits {
        lifetime: REFUSAL_LIFETIME,
        per_session: REFUSALS_PER_SESSION,
        total: REFUSALS_KEPT,
        // A refusal pushed out early only turns into NOT_SENT.
        when_full: WhenFull::PushOutOldest,
    })
});

/// `error` as a server function sends it: when the request being answered is a plain form
/// post (it accepts HTML), whose answer carries it in an address, a reference to it noted
/// here; to the app's own calls, the error itself.
pub fn encode(error: &AppError) -> Bytes {
    let encoded = JsonEncoding::encode(error).unwrap_or_else(|_| {
        tracing::error!("an error could not be encoded");
        Bytes::from_static(b"\"Internal\"")
    });
    match use_context::<Parts>().filter(accepts_html) {
        Some(parts) => note(owner(&parts), encoded),
        None => encoded,
    }
}

/// The error an address refers to, if this server sent it to the session of the request
/// being answered; otherwise `Invalid(`[`NOT_SENT`]`)`.
pub fn decode(reference: Bytes) -> AppError {
    let owner = use_context::<Parts>().and_then(|parts| owner(&parts));
    sent(owner.as_ref(), &reference)
        .and_then(|error| JsonEncoding::decode(error).ok())
        .unwrap_or_else(|| AppError::Invalid(NOT_SENT.into()))
}

fn accepts_html(parts: &Parts) -> bool {
    parts
        .headers
        .get(ACCEPT)
        .and_then(|value| value.to_str().ok())
        .is_some_and(|value| value.contains("text/html"))
}

fn owner(parts: &Parts) -> Option<SessionKey> {
    parts
        .extensions
        .get::<CurrentSession>()
        .map(CurrentSession::key)
}

/// Notes `error` as sent to `owner`; the reference to it.
fn note(owner: Option<SessionKey>, error: Bytes) -> Bytes {
    // The same error is encoded twice for one answer (body and address): one reference.
    if let Some(reference) = SENT.find_map(owner.as_ref(), |sent| {
        (sent.error == error).then(|| sent.reference.clone())
    }) {
        return reference;
    }
    let mut random = [0u8; 16];
    // Without randomness the reference is still only believed for its own session.
    let _ = getrandom::fill(&mut random);
    let mut reference = REFERENCE_PREFIX.to_vec();
    reference.extend(
        random
            .iter()
            .flat_map(|byte| format!("{byte:02x}").into_bytes()),
    );
    let reference = Bytes::from(reference);
    let sent = Sent {
        reference: reference.clone(),
        error,
    };
    let _ = SENT.put(owner.as_ref(), sent, |_| true);
    reference
}

/// The error sent to `owner` under `reference`, if any.
fn sent(owner: Option<&SessionKey>, reference: &[u8]) -> Option<Bytes> {
    if !reference.starts_with(REFERENCE_PREFIX) {
        return None;
    }
    SENT.find_map(owner, |sent| {
        (sent.reference[..] == *reference).then(|| sent.error.clone())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn encoded(message: &str) -> Bytes {
        JsonEncoding::encode(&AppError::Invalid(message.into())).unwrap()
    }

    #[test]
    fn a_refusal_is_known_to_its_session_only() {
        let (mine, theirs) = (SessionKey::of_token("mine"), SessionKey::of_token("theirs"));
        let error = encoded("Line 1, username: a test of the refusal record.");
        let reference = note(Some(mine.clone()), error.clone());
        assert_eq!(
            note(Some(mine.clone()), error.clone()),
            reference,
            "noted once"
        );
        assert!(reference.len() < 40, "an address carries a short reference");
        assert_eq!(sent(Some(&mine), &reference), Some(error.clone()));
        assert_eq!(sent(Some(&theirs), &reference), None);
        assert_eq!(sent(None, &reference), None);
        assert_eq!(
            sent(Some(&mine), &error),
            None,
            "an error itself is no reference"
        );
    }

    #[test]
    fn outside_a_request_nothing_is_noted_and_nothing_is_believed() {
        let error = AppError::Invalid("Call 555-0100 to verify your account".into());
        let bytes = encode(&error);
        assert_eq!(JsonEncoding::decode(bytes.clone()).ok(), Some(error));
        assert_eq!(decode(bytes), AppError::Invalid(NOT_SENT.into()));
        assert_eq!(
            decode(Bytes::from_static(b"sent:0000")),
            AppError::Invalid(NOT_SENT.into())
        );
    }
}
