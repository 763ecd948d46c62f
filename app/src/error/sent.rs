//! The refusals sent back in an address, and the check that a page shows only those.
//!
//! A form posted without the app's JavaScript is answered with a redirect whose address carries
//! the server function's error (`?__path=…&__err=<base64>`), and the page there shows it. Anyone
//! can write such an address and send it around, so an error read from an address is shown only
//! if this server sent exactly that error, in the last [`REFUSAL_LIFETIME`], to the session now
//! reading it (or, for a post without a session such as a failed log on, to no session: the
//! errors such posts get are fixed sentences). Any other is shown as [`NOT_SENT`].
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

static SENT: LazyLock<Held<Bytes>> = LazyLock::new(|| {
    Held::new(Limits {
        lifetime: REFUSAL_LIFETIME,
        per_session: REFUSALS_PER_SESSION,
        total: REFUSALS_KEPT,
        // A refusal pushed out early only turns into NOT_SENT.
        when_full: WhenFull::PushOutOldest,
    })
});

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
        Ok(error) if was_sent(owner.as_ref(), &encoded) => error,
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

fn owner(parts: &Parts) -> Option<SessionKey> {
    parts
        .extensions
        .get::<CurrentSession>()
        .map(CurrentSession::key)
}

fn note(owner: Option<SessionKey>, encoded: Bytes) {
    // The same error is encoded twice for one answer (body and address): keep it once.
    SENT.remove(owner.as_ref(), |sent| *sent == encoded);
    let _ = SENT.put(owner.as_ref(), encoded, |_| true);
}

fn was_sent(owner: Option<&SessionKey>, encoded: &[u8]) -> bool {
    SENT.find_map(owner, |sent| (sent[..] == *encoded).then_some(()))
        .is_some()
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
        assert!(!was_sent(Some(&mine), &error));
        note(Some(mine.clone()), error.clone());
        note(Some(mine.clone()), error.clone());
        assert!(was_sent(Some(&mine), &error));
        assert!(!was_sent(Some(&theirs), &error));
        assert!(!was_sent(None, &error));
        let mut count = 0;
        SENT.find_map(Some(&mine), |sent| {
            count += usize::from(*sent == error);
            None::<()>
        });
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
