//! Who calls a service, and the domain they may act on: the web and the command line make the
//! same [`Caller`] and [`DomainScope`], so both, and the tests, call the same services.

use sqlx::AnyPool;

use super::audit::{self, Actor};
use super::audit::{Action, Entry, Outcome};
use super::auth::{Admin, CurrentSession};
use super::routing::Domain;
use crate::error::AppError;

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

/// Proof that the caller may act on a domain: services that touch a domain's data take one,
/// and only [`DomainScope::of`] makes one.
#[derive(Debug, Clone)]
pub struct DomainScope {
    caller: Caller,
    domain_id: i64,
    domain: String,
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
        let admin = match &caller {
            Caller::Web { admin, .. } => admin,
            Caller::Operator => {
                let name = domain.ok_or_else(|| AppError::Invalid("Name the domain.".into()))?;
                let found = Domain::named(&mut *db.acquire().await?, name).await?;
                return Ok(DomainScope {
                    caller,
                    domain_id: found.id,
                    domain: found.name,
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
            Some((domain_id, domain)) => Ok(DomainScope {
                caller,
                domain_id,
                domain,
            }),
            None => {
                // Lowercase, so that the attempt shows in that domain's own activity.
                let target = domain.unwrap_or("").to_ascii_lowercase();
                let details = "not a managed domain";
                record_refusal(db, caller.actor(), Some(&target), &target, details).await?;
                Err(AppError::NotFound(format!("The domain {target}")))
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
        self.domain_id
    }
    /// The domain's name.
    pub fn domain(&self) -> &str {
        &self.domain
    }
    /// The domain, for services that act within one whoever calls them.
    pub fn within(&self) -> Domain {
        Domain {
            id: self.domain_id,
            name: self.domain.clone(),
        }
    }
}

/// Audits a request that named something outside the administrator's domains; the caller
/// answers it as not found.
pub async fn record_refusal(
    db: &AnyPool,
    actor: audit::Actor<'_>,
    domain: Option<&str>,
    target: &str,
    details: &str,
) -> Result<(), AppError> {
    let entry = Entry {
        outcome: Outcome::Refused,
        details,
        ..Entry::new(actor, Action::Authorize, domain, target)
    };
    let mut conn = db.acquire().await?;
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
