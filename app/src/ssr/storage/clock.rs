//! A guard on the server's clock for the work that removes things by age: the purge of deleted
//! accounts and the audit log's retention. A clock that jumps ahead (a lost real-time clock, a
//! bad time server) would otherwise purge accounts whose owners still have days to restore
//! them. The last time seen is recorded; a jump of more than a day holds that work until the
//! operator confirms the clock.

use std::time::{SystemTime, UNIX_EPOCH};

use sqlx::AnyPool;

use super::audit::{self, Action, Actor, Entry};
use crate::error::AppError;

/// Seconds since the epoch.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as i64)
}

/// How far ahead of the last recorded time the clock may be before removals wait. The server
/// records the time every few minutes, so only a stop longer than this holds them too.
pub const JUMP_LIMIT_SECS: i64 = 86_400;

/// What the clock check found.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Clock {
    /// The clock moved on as expected; `now` is recorded.
    Trusted,
    /// The clock was `ahead_secs` ahead of the last time seen; removals wait.
    Held { ahead_secs: i64 },
}

impl Clock {
    /// The operator's message for a hold, naming the command that lifts it.
    pub fn hold_message(ahead_secs: i64) -> String {
        let days = (ahead_secs + 86_399) / 86_400;
        format!(
            "The clock is {days} day{} ahead of the last time the server saw, so the purge of \
             deleted accounts and of old activity waits. If the clock is right, run \
             `vpostmaster purge --clock-is-right`.",
            if days == 1 { "" } else { "s" }
        )
    }

    /// `Err` with the hold message when held, so that a removal can stop with `?`.
    pub fn trusted(self) -> Result<(), AppError> {
        match self {
            Clock::Trusted => Ok(()),
            Clock::Held { ahead_secs } => Err(AppError::Conflict(Self::hold_message(ahead_secs))),
        }
    }
}

/// Compares `now` with the last time seen: records it when the clock moved on by at most
/// [`JUMP_LIMIT_SECS`] (or back), or holds removals when it jumped further ahead. One
/// statement, so that concurrent checks agree. A hold stays until [`confirm`].
pub async fn check(db: &AnyPool, now: i64) -> Result<Clock, AppError> {
    let (last_seen, held_at): (i64, Option<i64>) = sqlx::query_as(
        "INSERT INTO clock_mark AS m (id, last_seen) VALUES (1, $1)
         ON CONFLICT (id) DO UPDATE SET
             held_at = CASE WHEN m.held_at IS NULL AND $1 - m.last_seen > $2 THEN $1
                            ELSE m.held_at END,
             last_seen = CASE WHEN m.held_at IS NULL AND $1 - m.last_seen <= $2 THEN $1
                              ELSE m.last_seen END
         RETURNING last_seen, held_at",
    )
    .bind(now)
    .bind(JUMP_LIMIT_SECS)
    .fetch_one(db)
    .await?;
    Ok(match held_at {
        None => Clock::Trusted,
        Some(_) => Clock::Held {
            ahead_secs: now - last_seen,
        },
    })
}

/// The operator says the clock is right: the hold ends and `now` is recorded, with an audit
/// entry that tells how far the clock had moved.
pub async fn confirm(db: &AnyPool, actor: Actor<'_>, now: i64) -> Result<(), AppError> {
    let mut tx = db.begin().await?;
    let previous: Option<(i64, Option<i64>)> =
        sqlx::query_as("SELECT last_seen, held_at FROM clock_mark WHERE id = 1")
            .fetch_optional(&mut *tx)
            .await?;
    sqlx::query(
        "INSERT INTO clock_mark (id, last_seen, held_at) VALUES (1, $1, NULL)
         ON CONFLICT (id) DO UPDATE SET last_seen = excluded.last_seen, held_at = NULL",
    )
    .bind(now)
    .execute(&mut *tx)
    .await?;
    if let Some((last_seen, Some(_))) = previous {
        let details = format!("clock {} s ahead of the last time seen", now - last_seen);
        let entry = Entry {
            details: &details,
            ..Entry::new(actor, Action::ClockConfirm, None, "clock")
        };
        audit::record(&mut tx, &entry).await?;
    }
    tx.commit().await?;
    Ok(())
}
