//! The caps on two-factor codes, counted apart from passwords so that a right password never
//! gives a guesser more codes to try.
//!
//! A code's attempt is reserved in the database, under its write lock, before the code is
//! checked, and given back when the code was right: what stays are the wrong codes. Two caps
//! bound them:
//! - [`PER_PLACE`] wrong codes in one pending log-on (or one session, on My password): then it
//!   ends, and the password must be given again;
//! - [`PER_DAY`] wrong codes of one administrator in 24 hours, wherever typed: then every code
//!   of theirs is refused until the oldest of those is a day old.
//!
//! Six digits and three steps of drift make a guess right once in about 330,000: at
//! [`PER_DAY`] a day, a guesser who holds the password has about a 1 % chance in a year, and
//! Activity shows the day's cap being reached every day of it.

use sqlx::{AnyConnection, AnyPool};

use crate::error::AppError;
use crate::ssr::storage::audit::{self, Action, Entry, Outcome};
use crate::ssr::storage::db::{self, Backend};
use crate::validate::Address;

/// Wrong codes one pending log-on or session may take before it ends.
pub const PER_PLACE: i64 = 5;
/// Wrong codes one administrator may type in [`DAY`] seconds.
pub const PER_DAY: i64 = 10;
/// The window of [`PER_DAY`], in seconds.
pub const DAY: i64 = 24 * 60 * 60;

/// Where a code is typed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// After the password, in a pending log-on.
    LogOn,
    /// On My password, in a session.
    Session,
}

impl Place {
    fn table(self) -> &'static str {
        match self {
            Place::LogOn => "pending_log_ons",
            Place::Session => "sessions",
        }
    }
}

/// A code being typed: by whom, from where, in which pending log-on or session.
pub struct Typing<'a> {
    pub admin_id: i64,
    pub email: &'a str,
    pub client: &'a str,
    pub place: Place,
    /// The hash of the pending log-on's or the session's token.
    pub token_hash: Vec<u8>,
    /// What the code was typed for, as the audit log names it.
    pub action: Action,
}

/// An attempt reserved for a code: the how-manieth it is, here and in the day.
pub struct Reserved {
    id: i64,
    in_place: i64,
    in_day: i64,
}

/// Reserves an attempt for a code, or refuses: the pending log-on or session has used its
/// codes up (it is ended), or the administrator's day has.
pub async fn reserve(db: &AnyPool, typing: &Typing<'_>, now: i64) -> Result<Reserved, AppError> {
    // The write lock first: concurrent codes count against each other, on every console.
    let mut tx = db::begin_write(db).await?;
    let in_place: i64 =
        sqlx::query_scalar("SELECT COUNT(*) FROM code_attempts WHERE attempt_of = $1")
            .bind(&typing.token_hash)
            .fetch_one(&mut *tx)
            .await?;
    if in_place >= PER_PLACE {
        end_place(&mut tx, typing).await?;
        tx.commit().await?;
        return Err(AppError::CodesUsedUp);
    }
    let (in_day, oldest): (i64, Option<i64>) = sqlx::query_as(
        "SELECT COUNT(*), MIN(at) FROM code_attempts WHERE admin_id = $1 AND at > $2",
    )
    .bind(typing.admin_id)
    .bind(now - DAY)
    .fetch_one(&mut *tx)
    .await?;
    if in_day >= PER_DAY {
        tx.commit().await?;
        let until = oldest.unwrap_or(now) + DAY;
        return Err(day_used_up(db, until).await?);
    }
    let id = sqlx::query_scalar(
        "INSERT INTO code_attempts (admin_id, at, attempt_of) VALUES ($1, $2, $3) RETURNING id",
    )
    .bind(typing.admin_id)
    .bind(now)
    .bind(&typing.token_hash)
    .fetch_one(&mut *tx)
    .await?;
    tx.commit().await?;
    Ok(Reserved {
        id,
        in_place: in_place + 1,
        in_day: in_day + 1,
    })
}

impl Reserved {
    /// The code was right, or never checked: its attempt no longer counts. Part of the caller's transaction;
    /// the wrong codes before it still do.
    pub async fn give_back(self, conn: &mut AnyConnection) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM code_attempts WHERE id = $1")
            .bind(self.id)
            .execute(conn)
            .await?;
        Ok(())
    }

    /// The code was wrong: audited (`details` says what was refused), and if it was the last
    /// one the pending log-on or session may take, that ends; if it was the last of the day,
    /// Activity says until when the administrator's codes are refused. Gives the refusal to
    /// answer with: `wrong` unless a cap was reached.
    pub async fn wrong(
        self,
        db: &AnyPool,
        typing: &Typing<'_>,
        details: &str,
        wrong: AppError,
        now: i64,
    ) -> Result<AppError, AppError> {
        let domain = Address::domain_of(typing.email);
        let entry = Entry {
            actor: typing.email,
            client_addr: typing.client,
            domain: domain.as_deref(),
            action: typing.action,
            target: typing.email,
            outcome: match typing.place {
                Place::LogOn => Outcome::Failed,
                Place::Session => Outcome::Refused,
            },
            details,
        };
        let mut tx = db.begin().await?;
        audit::record(&mut tx, &entry).await?;
        let mut answer = wrong;
        if self.in_day == PER_DAY {
            let until = until_text(&mut tx, now + DAY).await?;
            let details = format!(
                "{PER_DAY} wrong codes in 24 hours: this administrator's codes are refused until {until}"
            );
            let notice = Entry {
                action: Action::TwoFactorCode,
                outcome: Outcome::Refused,
                details: &details,
                ..entry.clone()
            };
            audit::record(&mut tx, &notice).await?;
            answer = AppError::Invalid(day_message(&until));
        }
        if self.in_place == PER_PLACE {
            end_place(&mut tx, typing).await?;
            let details = match typing.place {
                Place::LogOn => {
                    format!("{PER_PLACE} wrong codes: the log-on ended, the password must be given again")
                }
                Place::Session => format!("{PER_PLACE} wrong codes: the session ended"),
            };
            let notice = Entry {
                outcome: Outcome::Refused,
                details: &details,
                ..entry
            };
            audit::record(&mut tx, &notice).await?;
            answer = AppError::CodesUsedUp;
        }
        tx.commit().await?;
        Ok(answer)
    }
}

/// Ends the pending log-on or session whose codes are used up.
async fn end_place(conn: &mut AnyConnection, typing: &Typing<'_>) -> sqlx::Result<()> {
    sqlx::query(&format!(
        "DELETE FROM {} WHERE token_hash = $1",
        typing.place.table()
    ))
    .bind(&typing.token_hash)
    .execute(conn)
    .await?;
    Ok(())
}

/// Forgets an administrator's wrong codes: the operator turned two-factor log-on off for them.
pub async fn forget(conn: &mut AnyConnection, admin_id: i64) -> sqlx::Result<()> {
    sqlx::query("DELETE FROM code_attempts WHERE admin_id = $1")
        .bind(admin_id)
        .execute(conn)
        .await?;
    Ok(())
}

/// Forgets wrong codes older than the day's window; returns how many.
pub async fn sweep(db: &AnyPool, now: i64) -> Result<u64, AppError> {
    Ok(sqlx::query("DELETE FROM code_attempts WHERE at <= $1")
        .bind(now - DAY)
        .execute(db)
        .await?
        .rows_affected())
}

/// The refusal of a code while the administrator's day is used up.
async fn day_used_up(db: &AnyPool, until: i64) -> Result<AppError, AppError> {
    let until = until_text(&mut *db.acquire().await?, until).await?;
    Ok(AppError::Invalid(day_message(&until)))
}

fn day_message(until: &str) -> String {
    format!(
        "Too many wrong codes were typed for this administrator: codes are refused until {until}. \
         Your operator can turn two-factor log-on off for you."
    )
}

/// `unix` as the audit log shows times: `2026-12-08 15:03:00 UTC`.
async fn until_text(conn: &mut AnyConnection, unix: i64) -> sqlx::Result<String> {
    let iso: String = sqlx::query_scalar(&format!(
        "SELECT {}",
        Backend::of_conn(conn).from_unix("$1")
    ))
    .bind(unix)
    .fetch_one(conn)
    .await?;
    Ok(format!(
        "{} UTC",
        iso.replace('T', " ").trim_end_matches('Z')
    ))
}
