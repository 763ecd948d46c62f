//! Log on: the address and password checked against the throttle, then a session, or a
//! pending log-on when two-factor log-on is on. Every failure answers the same way, after the
//! same work, whether the address exists or not.

use std::sync::OnceLock;

use super::sessions::{open_session, NewSession, USABLE_ADMIN};
use super::state::AppState;
use super::{throttle, two_factor};
use crate::context::Admin;
use crate::error::AppError;
use crate::ssr::storage::audit::{self, Action, Entry, Outcome};
use crate::ssr::storage::clock::now;
use crate::ssr::storage::db::Flag;
use crate::ssr::storage::hashing::hash_password;

/// The one answer to every failed log-on.
pub const WRONG_CREDENTIALS: &str = "The address or password is wrong.";

/// The longest address a mail system accepts.
const MAX_ADDRESS_LEN: usize = 254;
/// Far above the 128 characters a password may have, so an old longer one still gets an answer.
const MAX_PASSWORD_INPUT: usize = 1024;

/// Where a right password leads.
pub enum LogOnStep {
    /// Signed in.
    Session(NewSession),
    /// Two-factor log-on is on: the token of the pending log-on, for its cookie, waits for a
    /// code (see [`two_factor::complete_log_on`]).
    CodeDue(String),
}

/// A real hash of nothing anyone knows, verified for unknown addresses so they take as long.
fn dummy_hash() -> &'static str {
    static DUMMY: OnceLock<String> = OnceLock::new();
    DUMMY.get_or_init(|| hash_password("no account has this password").unwrap_or_default())
}

/// Checks the address and password and opens a session, or for an administrator with
/// two-factor log-on a pending log-on that waits for the code. The attempt is reserved with the
/// throttle before the hash runs; every outcome is audited, but an address that names no
/// administrator is never stored (people type passwords there).
pub async fn log_on(
    state: &AppState,
    email: &str,
    password: String,
    client: &str,
) -> Result<LogOnStep, AppError> {
    // Longer than any address or password can be: refused before any work or any write.
    if email.len() > MAX_ADDRESS_LEN || password.len() > MAX_PASSWORD_INPUT {
        return Err(AppError::Invalid(
            "The address or password is too long.".into(),
        ));
    }
    let email = email.trim().to_lowercase();
    let db = &state.db;
    // No address holds a NUL, and PostgreSQL refuses one in a query: such an address is
    // simply unknown.
    let row: Option<(i64, String, Flag, Flag)> = if email.contains('\0') {
        None
    } else {
        sqlx::query_as(&format!(
            "SELECT a.id, a.password_hash, a.superadmin, {USABLE_ADMIN} FROM admins a WHERE a.email = $1"
        ))
        .bind(&email)
        .fetch_optional(db)
        .await?
    };
    let known = row.is_some();
    let key = if known {
        email.clone()
    } else {
        throttle::unknown_address_key(&email)
    };
    let (actor, target, domain) = if known {
        let domain = email.rsplit_once('@').map(|(_, domain)| domain);
        (email.as_str(), email.as_str(), domain)
    } else {
        ("unknown", "", None)
    };
    let subject = throttle::Subject {
        address: &key,
        client_addr: client,
        actor,
        domain,
        action: Action::LogOn,
        target,
    };
    let attempt = throttle::reserve(db, &subject, now()).await?;
    let hash = row
        .as_ref()
        .map_or_else(|| dummy_hash().to_owned(), |(_, hash, ..)| hash.clone());
    let verified = state.hasher.verify(password, hash).await?;
    let actor = audit::Actor {
        name: actor,
        client_addr: client,
    };
    let entry = Entry::new(actor, Action::LogOn, domain, target);
    let mut tx = db.begin().await?;
    let admin = match row {
        Some((id, _, superadmin, Flag(true))) if verified => Admin {
            id,
            email: email.clone(),
            superadmin: superadmin.into(),
            managed: None,
        },
        _ => {
            let details = if known { "" } else { "no such administrator" };
            audit::record(
                &mut tx,
                &Entry {
                    outcome: Outcome::Failed,
                    details,
                    ..entry
                },
            )
            .await?;
            tx.commit().await?;
            return Err(AppError::Invalid(WRONG_CREDENTIALS.into()));
        }
    };
    attempt.succeeded(&mut tx).await?;
    if two_factor::enabled(&mut *tx, admin.id).await? {
        let token = two_factor::begin_log_on(&mut tx, admin.id, client, now()).await?;
        let entry = Entry {
            details: "password right, code due",
            ..entry
        };
        audit::record(&mut tx, &entry).await?;
        tx.commit().await?;
        return Ok(LogOnStep::CodeDue(token));
    }
    let token = open_session(&mut tx, admin.id, client).await?;
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(LogOnStep::Session(NewSession { admin, token }))
}
