//! Sessions: opened, resumed, ended, and their cookies.
//!
//! A session is a random token in an HttpOnly cookie; the database keeps only its SHA-256.
//! Every failure answers the same way, after the same work, whether the address exists or not.

use std::time::Duration;

use sqlx::{AnyConnection, AnyPool};

use crate::context::{Admin, SessionKey};
use crate::error::AppError;
use crate::ssr::storage::audit::{self, Action, Entry};
use crate::ssr::storage::clock::now;
use crate::ssr::storage::db::{Backend, Flag};

/// The session cookie's name over plain HTTP (a loopback listener).
pub const COOKIE_NAME: &str = "vpm_session";
/// The session cookie's name when it is `Secure`: browsers keep a `__Host-` cookie only if it
/// came over HTTPS, for the whole site and this host alone, so no subdomain can plant one.
pub const SECURE_COOKIE_NAME: &str = "__Host-vpm_session";
/// The pending log-on's cookie over plain HTTP: it holds the token of a right password whose
/// code is still due, and reaches only the code form.
pub const PENDING_COOKIE_NAME: &str = "vpm_pending";
/// The pending log-on's cookie when it is `Secure` (see [`SECURE_COOKIE_NAME`]).
pub const SECURE_PENDING_COOKIE_NAME: &str = "__Host-vpm_pending";

/// How long a pending log-on (a right password whose two-factor code is due) waits for its code.
pub const PENDING_SECS: i64 = 5 * 60;

/// How long sessions live, and whether the cookie may only travel over TLS.
#[derive(Debug, Clone)]
pub struct SessionPolicy {
    /// A session unused this long is over.
    pub idle: Duration,
    /// A session this old is over, however busy.
    pub absolute: Duration,
    /// Mark the cookie `Secure` and name it `__Host-` (serving TLS, or behind a TLS proxy).
    pub secure_cookie: bool,
}

impl SessionPolicy {
    /// The session cookie's name under this policy.
    pub fn cookie_name(&self) -> &'static str {
        if self.secure_cookie {
            SECURE_COOKIE_NAME
        } else {
            COOKIE_NAME
        }
    }

    /// The pending log-on cookie's name under this policy.
    pub fn pending_cookie_name(&self) -> &'static str {
        if self.secure_cookie {
            SECURE_PENDING_COOKIE_NAME
        } else {
            PENDING_COOKIE_NAME
        }
    }
}

impl Default for SessionPolicy {
    fn default() -> Self {
        SessionPolicy {
            idle: Duration::from_secs(30 * 60),
            absolute: Duration::from_secs(12 * 60 * 60),
            secure_cookie: false,
        }
    }
}

/// A session just opened: the administrator and the token for the cookie.
pub struct NewSession {
    pub admin: Admin,
    pub token: String,
}

pub(crate) fn new_token() -> Result<String, AppError> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).map_err(|_| AppError::Internal)?;
    Ok(hex::encode(bytes))
}

/// Whether an administrator may use the console: active, and a superadmin or the postmaster
/// of at least one active domain. `a` names the `admins` row.
pub(super) const USABLE_ADMIN: &str = "a.active = 1 AND (a.superadmin = 1 OR EXISTS (
    SELECT 1 FROM admin_domains ad JOIN domains d ON d.id = ad.domain_id
    WHERE ad.admin_id = a.id AND d.active = 1))";

/// Opens a session for `admin_id` in the caller's transaction and gives the cookie's token.
pub async fn open_session(
    conn: &mut AnyConnection,
    admin_id: i64,
    client: &str,
) -> Result<String, AppError> {
    let token = new_token()?;
    sqlx::query("INSERT INTO sessions (token_hash, admin_id, created_at, last_seen, client_addr) VALUES ($1, $2, $3, $4, $5)")
        .bind(SessionKey::of_token(&token).into_bytes())
        .bind(admin_id)
        .bind(now())
        .bind(now())
        .bind(client)
        .execute(conn)
        .await?;
    Ok(token)
}

/// How stale a session's last-seen time may get before a request writes it again.
const TOUCH_EVERY_SECS: i64 = 60;

/// The administrator of a live session, marking it used; `None` if the token is unknown,
/// idle too long or too old (an expired session is deleted).
pub async fn resume(
    db: &AnyPool,
    policy: &SessionPolicy,
    token: &str,
) -> Result<Option<Admin>, AppError> {
    let hash = SessionKey::of_token(token).into_bytes();
    // A postmaster's domains come with the session: the page that follows needs them, and one
    // query fewer on every page.
    let row: Option<(i64, String, Flag, i64, i64, Option<String>)> = sqlx::query_as(&format!(
        "SELECT a.id, a.email, a.superadmin, s.created_at, s.last_seen,
                CASE WHEN a.superadmin = 1 THEN NULL ELSE (
                    SELECT {} FROM admin_domains ad JOIN domains d ON d.id = ad.domain_id
                    WHERE ad.admin_id = a.id AND d.active = 1) END
         FROM sessions s JOIN admins a ON a.id = s.admin_id
         WHERE s.token_hash = $1 AND {USABLE_ADMIN}",
        Backend::of(db).joined("d.id || ':' || d.name")
    ))
    .bind(&hash)
    .fetch_optional(db)
    .await?;
    let Some((id, email, superadmin, created_at, last_seen, managed)) = row else {
        return Ok(None);
    };
    let now = now();
    if now - last_seen > policy.idle.as_secs() as i64
        || now - created_at > policy.absolute.as_secs() as i64
    {
        sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
            .bind(&hash)
            .execute(db)
            .await?;
        return Ok(None);
    }
    // Touch at most once a minute, so a page load is a read and not a write; at most every half
    // of the idle limit, so a session in use never looks idle.
    let touch_every = TOUCH_EVERY_SECS.min(policy.idle.as_secs() as i64 / 2);
    if now - last_seen >= touch_every {
        sqlx::query("UPDATE sessions SET last_seen = $1 WHERE token_hash = $2")
            .bind(now)
            .bind(&hash)
            .execute(db)
            .await?;
    }
    let superadmin = superadmin.into();
    Ok(Some(Admin {
        id,
        email,
        superadmin,
        managed: (!superadmin).then(|| managed_of(managed.as_deref().unwrap_or(""))),
    }))
}

/// The domains of a joined `id:name` list, by name. Domain names hold neither `,` nor `:`.
fn managed_of(joined: &str) -> Vec<(i64, String)> {
    let mut domains: Vec<(i64, String)> = joined
        .split(',')
        .filter_map(|domain| {
            let (id, name) = domain.split_once(':')?;
            Some((id.parse().ok()?, name.to_owned()))
        })
        .collect();
    domains.sort_by(|a, b| a.1.cmp(&b.1));
    domains
}

/// Ends the session of `token` (log off), audited.
pub async fn end(db: &AnyPool, token: &str, admin: &Admin, client: &str) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM sessions WHERE token_hash = $1")
        .bind(SessionKey::of_token(token).into_bytes())
        .execute(&mut *tx)
        .await?;
    let domain = admin.email.rsplit_once('@').map(|(_, domain)| domain);
    let actor = audit::Actor {
        name: &admin.email,
        client_addr: client,
    };
    audit::record(
        &mut tx,
        &Entry::new(actor, Action::LogOff, domain, &admin.email),
    )
    .await?;
    tx.commit().await?;
    Ok(())
}

/// Ends every session of an administrator but the one of `keep` (after a password change).
pub async fn end_other_sessions(
    conn: &mut AnyConnection,
    admin_id: i64,
    keep: Option<&str>,
) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM sessions WHERE admin_id = $1 AND token_hash IS DISTINCT FROM $2")
        .bind(admin_id)
        .bind(keep.map(|token| SessionKey::of_token(token).into_bytes()))
        .execute(conn)
        .await?;
    Ok(())
}

/// The `Set-Cookie` value that carries a new session.
pub fn session_cookie(token: &str, policy: &SessionPolicy) -> String {
    cookie(policy.cookie_name(), policy, token, "")
}

/// The `Set-Cookie` value that removes the session cookie.
pub fn clear_cookie(policy: &SessionPolicy) -> String {
    cookie(policy.cookie_name(), policy, "", "; Max-Age=0")
}

/// The `Set-Cookie` value that carries a pending log-on; the browser forgets it when the
/// server does.
pub fn pending_cookie(token: &str, policy: &SessionPolicy) -> String {
    let max_age = format!("; Max-Age={}", PENDING_SECS);
    cookie(policy.pending_cookie_name(), policy, token, &max_age)
}

/// The `Set-Cookie` value that removes the pending log-on cookie.
pub fn clear_pending_cookie(policy: &SessionPolicy) -> String {
    cookie(policy.pending_cookie_name(), policy, "", "; Max-Age=0")
}

fn cookie(name: &str, policy: &SessionPolicy, value: &str, max_age: &str) -> String {
    let secure = if policy.secure_cookie { "; Secure" } else { "" };
    format!("{name}={value}; Path=/{max_age}; HttpOnly; SameSite=Strict{secure}")
}

/// The session token from a request's `Cookie` headers, under the policy's cookie name.
pub fn token_from_headers(
    headers: &axum::http::HeaderMap,
    policy: &SessionPolicy,
) -> Option<String> {
    cookie_value(headers, policy.cookie_name())
}

/// The pending log-on's token from a request's `Cookie` headers.
pub fn pending_from_headers(
    headers: &axum::http::HeaderMap,
    policy: &SessionPolicy,
) -> Option<String> {
    cookie_value(headers, policy.pending_cookie_name())
}

fn cookie_value(headers: &axum::http::HeaderMap, name: &str) -> Option<String> {
    headers
        .get_all(axum::http::header::COOKIE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(';'))
        .find_map(|pair| {
            pair.trim()
                .strip_prefix(name)?
                .strip_prefix('=')
                .map(str::to_owned)
        })
        .filter(|token| !token.is_empty())
}

#[cfg(test)]
mod tests {
    use axum::http::header::COOKIE;
    use axum::http::{HeaderMap, HeaderValue};

    use super::*;

    fn headers(cookies: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for cookie in cookies {
            headers.append(COOKIE, HeaderValue::from_str(cookie).unwrap());
        }
        headers
    }

    #[test]
    fn the_cookie_keeps_to_this_site_and_is_secure_under_tls_only() {
        let plain = SessionPolicy::default();
        let tls = SessionPolicy {
            secure_cookie: true,
            ..SessionPolicy::default()
        };
        assert_eq!(
            session_cookie("t0k", &plain),
            "vpm_session=t0k; Path=/; HttpOnly; SameSite=Strict"
        );
        assert_eq!(
            session_cookie("t0k", &tls),
            "__Host-vpm_session=t0k; Path=/; HttpOnly; SameSite=Strict; Secure"
        );
        assert!(clear_cookie(&tls).starts_with("__Host-vpm_session=; Path=/; Max-Age=0"));
        assert_eq!(
            pending_cookie("p3n", &plain),
            format!("vpm_pending=p3n; Path=/; Max-Age={PENDING_SECS}; HttpOnly; SameSite=Strict")
        );
    }

    #[test]
    fn a_token_is_read_from_its_own_cookie_only() {
        let policy = SessionPolicy::default();
        let sent = headers(&["theme=dark; vpm_pending=p3n", "vpm_session=t0k"]);
        assert_eq!(token_from_headers(&sent, &policy).as_deref(), Some("t0k"));
        assert_eq!(pending_from_headers(&sent, &policy).as_deref(), Some("p3n"));
        // Over TLS only the `__Host-` cookie counts: a plain one could have been planted.
        let tls = SessionPolicy {
            secure_cookie: true,
            ..SessionPolicy::default()
        };
        assert_eq!(token_from_headers(&sent, &tls), None);
        assert_eq!(
            token_from_headers(&headers(&["vpm_session="]), &policy),
            None
        );
    }

    #[test]
    fn managed_domains_are_read_by_name() {
        assert_eq!(
            managed_of("7:zeta.test,3:alpha.test"),
            vec![(3, "alpha.test".to_owned()), (7, "zeta.test".to_owned())]
        );
        assert_eq!(managed_of(""), Vec::<(i64, String)>::new());
    }
}
