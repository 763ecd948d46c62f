//! Administrators: postmasters scoped to their domains, and superadmins who manage all.

use sqlx::AnyPool;

use super::sessions;
use super::throttle;
use crate::context::{Admin, CurrentSession};
use crate::error::AppError;
use crate::ssr::storage::audit::{self, Action, Actor, Entry, Outcome};
use crate::ssr::storage::db::{Backend, Flag};
use crate::ssr::storage::domains;
use crate::ssr::storage::hashing::Hasher;
use crate::validate::domain::parse_address;
use crate::validate::{
    password_problems, Field, FieldProblem, PasswordContext, Rule, CURRENT_PASSWORD_WRONG,
};

/// An administrator as the operator lists it.
#[derive(Debug, Clone, PartialEq, Eq, sqlx::FromRow)]
pub struct AdminSummary {
    pub email: String,
    #[sqlx(try_from = "Flag")]
    pub superadmin: bool,
    #[sqlx(try_from = "Flag")]
    pub active: bool,
    /// The managed domains, comma-separated; empty for a superadmin.
    pub domains: String,
}

/// What a new administrator may manage.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scope<'a> {
    /// One domain, which must exist.
    Domain(&'a str),
    /// Every domain.
    Superadmin,
}

/// Refuses a password that breaks the shared rules, naming the first broken one: the
/// operator's commands answer in one line.
fn check_password(email: &str, password: &str) -> Result<(), AppError> {
    let (local, domain) = parse_address(email).map_err(AppError::Invalid)?;
    let context = PasswordContext {
        username: &local,
        first_name: "",
        last_name: "",
        domain: &domain,
    };
    let problems = password_problems(password, &context)
        .into_iter()
        .take(1)
        .map(|check| FieldProblem::new(Field::Password, Some(check.rule), check.message))
        .collect();
    AppError::refuse(problems)
}

/// Creates an administrator with `password`, audited in the same transaction.
pub async fn add(
    db: &AnyPool,
    hasher: &Hasher,
    email: &str,
    scope: Scope<'_>,
    password: &str,
    actor: Actor<'_>,
) -> Result<String, AppError> {
    let (local, address_domain) = parse_address(email).map_err(AppError::Invalid)?;
    let email = format!("{local}@{address_domain}");
    let domain = match scope {
        Scope::Domain(name) => Some((name.to_ascii_lowercase(), domains::id_of(db, name).await?)),
        Scope::Superadmin => None,
    };
    check_password(&email, password)?;
    let hash = hasher.hash(password.to_owned()).await?;

    let mut tx = db.begin().await?;
    let inserted = sqlx::query_scalar(
        "INSERT INTO admins (email, password_hash, superadmin) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(&email)
    .bind(&hash)
    .bind(i64::from(domain.is_none()))
    .fetch_one(&mut *tx)
    .await;
    let admin_id: i64 = match inserted {
        Err(sqlx::Error::Database(error)) if error.is_unique_violation() => {
            return Err(AppError::Conflict(format!(
                "The administrator {email} already exists."
            )));
        }
        other => other?,
    };
    if let Some((_, domain_id)) = &domain {
        sqlx::query("INSERT INTO admin_domains (admin_id, domain_id) VALUES ($1, $2)")
            .bind(admin_id)
            .bind(domain_id)
            .execute(&mut *tx)
            .await?;
    }
    let details = if domain.is_none() { "superadmin" } else { "" };
    let domain_name = domain.as_ref().map(|(name, _)| name.as_str());
    let entry = Entry {
        details,
        ..Entry::new(actor, Action::AdminAdd, domain_name, &email)
    };
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(email)
}

/// Replaces an administrator's password and ends its sessions but `keep_session` (the one
/// making the change, if any), audited in the same transaction.
pub async fn set_password(
    db: &AnyPool,
    hasher: &Hasher,
    email: &str,
    password: &str,
    actor: Actor<'_>,
    keep_session: Option<&str>,
) -> Result<(), AppError> {
    let email = email.to_ascii_lowercase();
    check_password(&email, password)?;
    let hash = hasher.hash(password.to_owned()).await?;
    let mut tx = db.begin().await?;
    let admin_id: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE admins SET password_hash = $1, password_changed_at = {}
         WHERE email = $2 RETURNING id",
        Backend::of(db).now()
    ))
    .bind(&hash)
    .bind(&email)
    .fetch_optional(&mut *tx)
    .await?;
    let admin_id = admin_id.ok_or_else(|| not_found(&email))?;
    sessions::end_other_sessions(&mut tx, admin_id, keep_session).await?;
    let domain = email.rsplit_once('@').map(|(_, domain)| domain);
    audit::record(
        &mut tx,
        &Entry::new(actor, Action::AdminPasswd, domain, &email),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// The signed-in administrator changes their own password: the current one must be right,
/// and is checked under the same throttle as log on (a stolen session must not become a
/// guessing machine). Their other sessions end; this one goes on.
pub async fn change_own_password(
    db: &AnyPool,
    hasher: &Hasher,
    session: &CurrentSession,
    client_addr: &str,
    current: String,
    new: &str,
) -> Result<(), AppError> {
    let email = session.admin.email.as_str();
    check_own_password(
        db,
        hasher,
        &session.admin,
        client_addr,
        current,
        Action::AdminPasswd,
    )
    .await?;
    let actor = Actor {
        name: email,
        client_addr,
    };
    set_password(db, hasher, email, new, actor, Some(&session.token)).await
}

/// Checks the signed-in administrator's own password before `action` changes something of
/// theirs: throttled like log on, and a wrong one audited as a refused `action`.
pub async fn check_own_password(
    db: &AnyPool,
    hasher: &Hasher,
    admin: &Admin,
    client_addr: &str,
    password: String,
    action: Action,
) -> Result<(), AppError> {
    let email = admin.email.as_str();
    let domain = email.rsplit_once('@').map(|(_, domain)| domain);
    let subject = throttle::Subject {
        address: email,
        client_addr,
        actor: email,
        domain,
        action,
        target: email,
    };
    let attempt = throttle::reserve(db, &subject, crate::ssr::storage::clock::now()).await?;
    let stored: String = sqlx::query_scalar("SELECT password_hash FROM admins WHERE id = $1")
        .bind(admin.id)
        .fetch_one(db)
        .await?;
    if !hasher.verify(password, stored).await? {
        let actor = Actor {
            name: email,
            client_addr,
        };
        let entry = Entry {
            outcome: Outcome::Refused,
            details: "the current password was wrong",
            ..Entry::new(actor, action, domain, email)
        };
        audit::record(&mut *db.acquire().await?, &entry).await?;
        return Err(AppError::beside(
            Field::Current,
            Some(Rule::CurrentPassword),
            CURRENT_PASSWORD_WRONG,
        ));
    }
    attempt.succeeded(&mut *db.acquire().await?).await?;
    Ok(())
}

/// Stops an administrator from using the console, ending their sessions, or lets them again.
pub async fn set_active(
    db: &AnyPool,
    email: &str,
    active: bool,
    actor: Actor<'_>,
) -> Result<(), AppError> {
    let email = email.trim().to_ascii_lowercase();
    let mut tx = db.begin().await?;
    let admin_id: Option<i64> =
        sqlx::query_scalar("UPDATE admins SET active = $1 WHERE email = $2 RETURNING id")
            .bind(i64::from(active))
            .bind(&email)
            .fetch_optional(&mut *tx)
            .await?;
    let admin_id = admin_id.ok_or_else(|| not_found(&email))?;
    if !active {
        sessions::end_other_sessions(&mut tx, admin_id, None).await?;
    }
    let action = if active {
        Action::AdminEnable
    } else {
        Action::AdminDisable
    };
    let domain = email.rsplit_once('@').map(|(_, domain)| domain);
    audit::record(&mut tx, &Entry::new(actor, action, domain, &email)).await?;
    tx.commit().await?;
    Ok(())
}

/// Removes an administrator for good, with their sessions; the audit log keeps their history.
pub async fn remove(db: &AnyPool, email: &str, actor: Actor<'_>) -> Result<(), AppError> {
    let email = email.trim().to_ascii_lowercase();
    let mut tx = db.begin().await?;
    // Sessions and domain links go with the row (ON DELETE CASCADE).
    let removed = sqlx::query("DELETE FROM admins WHERE email = $1")
        .bind(&email)
        .execute(&mut *tx)
        .await?;
    if removed.rows_affected() == 0 {
        return Err(not_found(&email));
    }
    let domain = email.rsplit_once('@').map(|(_, domain)| domain);
    audit::record(
        &mut tx,
        &Entry::new(actor, Action::AdminRemove, domain, &email),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

fn not_found(email: &str) -> AppError {
    AppError::NotFound(format!("The administrator {email}"))
}

/// Every administrator with the domains it manages, by address.
pub async fn list(db: &AnyPool) -> Result<Vec<AdminSummary>, AppError> {
    Ok(sqlx::query_as(&format!(
        "SELECT a.email, a.superadmin, a.active,
                COALESCE((SELECT {} FROM admin_domains ad
                          JOIN domains d ON d.id = ad.domain_id WHERE ad.admin_id = a.id), '') AS domains
         FROM admins a ORDER BY a.email",
        Backend::of(db).joined("d.name")
    ))
    .fetch_all(db)
    .await?)
}

/// Whether an administrator with this address exists.
pub async fn exists(db: &AnyPool, email: &str) -> Result<bool, AppError> {
    let exists: Flag = sqlx::query_scalar("SELECT EXISTS (SELECT 1 FROM admins WHERE email = $1)")
        .bind(email.to_ascii_lowercase())
        .fetch_one(db)
        .await?;
    Ok(exists.into())
}
