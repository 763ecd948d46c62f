//! The audit log: who did what, to what, from where, and how it ended. Never a password or hash.

use std::borrow::Cow;

use sqlx::AnyConnection;

/// Who acts, and from where.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Actor<'a> {
    /// An administrator's address, "cli" or "system".
    pub name: &'a str,
    /// The client's IP address; empty on the command line.
    pub client_addr: &'a str,
}

impl Actor<'static> {
    /// The operator at the command line.
    pub const CLI: Actor<'static> = Actor {
        name: "cli",
        client_addr: "",
    };

    /// The server's own scheduled work, such as the purge of old deleted accounts.
    pub const SYSTEM: Actor<'static> = Actor {
        name: "system",
        client_addr: "",
    };
}

pub use crate::model::activity::Action;

/// How an action ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    Ok,
    Refused,
    Failed,
}

impl Outcome {
    /// As stored in `audit_log.outcome`.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Ok => "ok",
            Outcome::Refused => "refused",
            Outcome::Failed => "failed",
        }
    }
}

/// One row of the audit log.
#[derive(Debug, Clone)]
pub struct Entry<'a> {
    pub actor: &'a str,
    pub client_addr: &'a str,
    pub domain: Option<&'a str>,
    pub action: Action,
    pub target: &'a str,
    pub outcome: Outcome,
    pub details: &'a str,
}

impl<'a> Entry<'a> {
    /// A successful action, without details.
    pub fn new(actor: Actor<'a>, action: Action, domain: Option<&'a str>, target: &'a str) -> Self {
        Entry {
            actor: actor.name,
            client_addr: actor.client_addr,
            domain,
            action,
            target,
            outcome: Outcome::Ok,
            details: "",
        }
    }
}

/// Writes `entry`; callers pass the transaction that makes the change, so both land or neither.
pub async fn record(conn: &mut AnyConnection, entry: &Entry<'_>) -> sqlx::Result<()> {
    let domain = entry.domain.map(storable);
    let (target, details) = (storable(entry.target), storable(entry.details));
    sqlx::query(
        "INSERT INTO audit_log (actor, client_addr, domain, action, target, outcome, details)
         VALUES ($1, $2, $3, $4, $5, $6, $7)",
    )
    .bind(entry.actor)
    .bind(entry.client_addr)
    .bind(domain.as_deref())
    .bind(entry.action.as_str())
    .bind(&*target)
    .bind(entry.outcome.as_str())
    .bind(&*details)
    .execute(conn)
    .await?;
    Ok(())
}

/// `text` as both databases keep it. A refused request's text is logged as it came, and it
/// may hold NUL (an unknown domain named with one), which PostgreSQL's text cannot: each NUL
/// becomes U+FFFD, the mark of a character that cannot be shown.
fn storable(text: &str) -> Cow<'_, str> {
    if text.contains('\0') {
        Cow::Owned(text.replace('\0', "\u{FFFD}"))
    } else {
        Cow::Borrowed(text)
    }
}
