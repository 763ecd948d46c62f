//! Who calls a service, and the domain they may act on: the web and the command line make the
//! same [`Caller`] and [`DomainScope`], so both, and the tests, call the same services.

use sqlx::AnyPool;

use crate::context::{Admin, CurrentSession};
use crate::error::AppError;
use crate::ssr::storage::audit::{self, Actor};
use crate::ssr::storage::audit::{Action, Entry, Outcome};
use crate::ssr::storage::db::Backend;
use crate::ssr::storage::domains::Domain;
use crate::ssr::storage::hashing::Hasher;
use crate::validate::domain::DOMAIN_MAX;
use crate::validate::{check_text, loggable_target};

/// Who calls a service: the audit log names them, and what they may touch follows from it.
#[derive(Debug, Clone)]
pub enum Caller {
    /// An administrator signed in on the web, from their client's address.
    Web { admin: Admin, client_addr: String },
    /// The operator at the command line, who may act on every domain.
    Operator,
}

impl Caller {
    /// The administrator of a signed-in session, from `client_addr`.
    pub fn web(session: &CurrentSession, client_addr: String) -> Self {
        Caller::Web {
            admin: session.admin.clone(),
            client_addr,
        }
    }

    /// The server's hashing lanes as this caller may use them: an administrator's share, or
    /// all of them for the operator.
    pub fn hasher(&self, shared: &Hasher) -> Hasher {
        match self {
            Caller::Web { admin, .. } => admin_hasher(admin, shared),
            Caller::Operator => shared.clone(),
        }
    }

    /// The caller as the audit log names them.
    pub fn actor(&self) -> Actor<'_> {
        match self {
            Caller::Web { admin, client_addr } => Actor {
                name: &admin.email,
                client_addr,
            },
            Caller::Operator => Actor::CLI,
        }
    }
}

/// The server's hashing lanes as `admin` may use them: at most their share, whichever of their
/// sessions asks, so opening more sessions gains them no more of it.
pub fn admin_hasher(admin: &Admin, shared: &Hasher) -> Hasher {
    shared.shared_by(&admin.id.to_be_bytes())
}

/// Proof that the caller may act on a domain: services that touch a domain's data take one,
/// and only [`DomainScope::of`] makes one.
#[derive(Debug, Clone)]
pub struct DomainScope {
    caller: Caller,
    domain: Domain,
}

impl DomainScope {
    /// The caller's scope over `domain`, or over their first domain when `None`. An
    /// administrator's domain they do not manage answers as not found, and the attempt is
    /// audited; the operator may name any domain that exists.
    pub async fn of(
        db: &AnyPool,
        caller: Caller,
        domain: Option<&str>,
    ) -> Result<DomainScope, AppError> {
        // Every server function names its domain as typed: a name longer than any domain's is
        // refused before it is compared, logged or shown again.
        if let Some(name) = domain {
            check_text("A domain name", name, DOMAIN_MAX).map_err(AppError::Invalid)?;
        }
        let admin = match &caller {
            Caller::Web { admin, .. } => admin,
            Caller::Operator => {
                let name = domain.ok_or_else(|| AppError::Invalid("Name the domain.".into()))?;
                let found = Domain::named(&mut *db.acquire().await?, name).await?;
                return Ok(DomainScope {
                    caller,
                    domain: found,
                });
            }
        };
        let managed = managed_domains(db, admin).await?;
        let found = match domain {
            None => managed.into_iter().next(),
            Some(name) => {
                let name = name.to_ascii_lowercase();
                managed.into_iter().find(|(_, managed)| *managed == name)
            }
        };
        match found {
            Some((id, name)) => Ok(DomainScope {
                caller,
                domain: Domain { id, name },
            }),
            None => {
                // In the operator's log: the caller has no domain of their own to log it in
                // here, and the domain named is not theirs to write into.
                let typed = domain.unwrap_or("");
                let details = "not a managed domain";
                record_refusal(db, caller.actor(), None, Asked::Typed(typed), details).await?;
                Err(AppError::NotFound(format!(
                    "The domain {}",
                    typed.trim().to_ascii_lowercase()
                )))
            }
        }
    }

    /// Who acts.
    pub fn caller(&self) -> &Caller {
        &self.caller
    }
    /// The caller as the audit log names them.
    pub fn actor(&self) -> audit::Actor<'_> {
        self.caller.actor()
    }
    /// The domain's row id.
    pub fn domain_id(&self) -> i64 {
        self.domain.id
    }
    /// The domain's name.
    pub fn domain(&self) -> &str {
        &self.domain.name
    }
    /// The domain acted on, by id and name.
    pub fn within(&self) -> &Domain {
        &self.domain
    }
}

/// Refusal rows one actor may add to the audit log in [`REFUSALS_WINDOW_SECS`]; past that,
/// refusals go to the server's log only, so that repeated requests cannot fill the disk that
/// the mail shares. An administrator's sessions share the count.
pub const REFUSALS_LOGGED: i64 = 50;
/// The window of [`REFUSALS_LOGGED`], in seconds.
pub const REFUSALS_WINDOW_SECS: i64 = 600;

/// What a refused request asked for, as its audit row names it.
#[derive(Debug, Clone, Copy)]
pub enum Asked<'a> {
    /// Typed by the caller: only what [`loggable_target`] keeps of it is logged.
    Typed(&'a str),
    /// A row of another domain, such as a "deleted account", by its number: never what the
    /// row holds, which is not the caller's to learn.
    Row(&'static str, i64),
}

/// Audits a request that named something outside the caller's domains; the caller answers it
/// as not found. The row goes into `own`, the caller's own domain's log (`None`: the
/// operator's), never the domain named, which is not theirs to write into.
pub async fn record_refusal(
    db: &AnyPool,
    actor: audit::Actor<'_>,
    own: Option<&str>,
    asked: Asked<'_>,
    details: &str,
) -> Result<(), AppError> {
    let target = match asked {
        Asked::Typed(typed) => loggable_target(typed),
        Asked::Row(what, id) => format!("{what} {id}"),
    };
    let mut conn = db.acquire().await?;
    let recent: i64 = sqlx::query_scalar(&format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM audit_log
           WHERE at >= {since} AND actor = $2 AND action = $3 AND outcome = $4 LIMIT $5) AS recent",
        since = Backend::of_conn(&conn).seconds_ago("$1")
    ))
    .bind(REFUSALS_WINDOW_SECS)
    .bind(actor.name)
    .bind(Action::Authorize.as_str())
    .bind(Outcome::Refused.as_str())
    .bind(REFUSALS_LOGGED)
    .fetch_one(&mut *conn)
    .await?;
    if recent >= REFUSALS_LOGGED {
        tracing::warn!(actor = actor.name, %target, details, "refused, not audited: too many refusals");
        return Ok(());
    }
    let entry = Entry {
        outcome: Outcome::Refused,
        details,
        ..Entry::new(actor, Action::Authorize, own, &target)
    };
    audit::record(&mut conn, &entry).await?;
    Ok(())
}

/// The domains an administrator manages, by name: every domain for a superadmin, the active
/// ones linked to a postmaster (a disabled domain is closed to its postmaster too).
pub async fn managed_domains(db: &AnyPool, admin: &Admin) -> Result<Vec<(i64, String)>, AppError> {
    if let Some(managed) = &admin.managed {
        return Ok(managed.clone());
    }
    Ok(sqlx::query_as(
        "SELECT d.id, d.name FROM domains d
         WHERE $1 = 1 OR (d.active = 1 AND d.id IN (SELECT domain_id FROM admin_domains WHERE admin_id = $2))
         ORDER BY d.name",
    )
    .bind(i64::from(admin.superadmin))
    .bind(admin.id)
    .fetch_all(db)
    .await?)
}
