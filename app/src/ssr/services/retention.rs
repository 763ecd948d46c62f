//! What the database forgets, and when: expired sessions, log-on attempts and wrong codes past
//! their window, and audit rows older than the retention period. The server sweeps every few minutes.

use sqlx::AnyPool;

use crate::error::AppError;
use crate::ssr::access::code_caps;
use crate::ssr::access::sessions::SessionPolicy;
use crate::ssr::access::throttle;
use crate::ssr::storage::clock::now;
use crate::ssr::storage::clock::{self, Clock};
use crate::ssr::storage::db::Backend;

/// Days the audit log keeps a row by default: a year and a bit, so that last year's events
/// can still be looked up at the same season.
pub const AUDIT_RETENTION_DAYS: u32 = 400;

/// What one sweep removed or wrote.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct Swept {
    pub sessions: u64,
    pub audit_rows: u64,
    /// Audit rows written to sum up attempts refused while throttled.
    pub throttle_summaries: u64,
}

/// Removes expired sessions and audit rows older than `audit_days` (unless the clock is
/// held, see [`clock`]), and ends the throttle's
/// windows (see [`throttle::sweep`]).
pub async fn sweep(
    db: &AnyPool,
    policy: &SessionPolicy,
    audit_days: u32,
) -> Result<Swept, AppError> {
    let now = now();
    let sessions = sqlx::query("DELETE FROM sessions WHERE last_seen < $1 OR created_at < $2")
        .bind(now - policy.idle.as_secs() as i64)
        .bind(now - policy.absolute.as_secs() as i64)
        .execute(db)
        .await?
        .rows_affected();
    // Audit rows wait while the clock is held: a jump of years would empty the log.
    let audit_rows = match clock::check(db, now).await? {
        Clock::Held { .. } => 0,
        Clock::Trusted => sqlx::query(&format!(
            "DELETE FROM audit_log WHERE at < {}",
            Backend::of(db).from_unix("$1")
        ))
        .bind(now - i64::from(audit_days) * 86_400)
        .execute(db)
        .await?
        .rows_affected(),
    };
    let throttle_summaries = throttle::sweep(db, now).await?;
    code_caps::sweep(db, now).await?;
    Ok(Swept {
        sessions,
        audit_rows,
        throttle_summaries,
    })
}
