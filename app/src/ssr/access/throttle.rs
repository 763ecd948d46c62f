//! The throttle on password checks: log on, and the current password on My password.
//!
//! An attempt is reserved in the database, under its write lock, before the password is
//! checked: concurrent attempts see each other, on every console that shares the database,
//! and a client that hangs up while the hash runs has still spent its attempt. A right
//! password gives the attempt back.
//!
//! The limits bound guessing without handing attackers a button that locks a postmaster out:
//! - a client (an IPv4 address, or an IPv6 /64) has [`PER_CLIENT`] attempts per window, and
//!   [`PER_ADDRESS_AND_CLIENT`] at any one address;
//! - past [`FREE_PER_ADDRESS`] attempts at an address in the window, from anywhere, each
//!   further attempt waits a delay that doubles up to [`MAX_DELAY`]: a guesser with many
//!   clients gets about one guess a minute;
//! - except that a client with no attempt of its own at the address only has to wait for the
//!   last such fresh client ([`FRESH_SPACING`]), so the postmaster on their own phone gets in
//!   while someone else is guessing, and keeping them out costs a new client every few seconds.

use std::sync::OnceLock;
use std::time::Duration;

use sha2::{Digest, Sha256};
use sqlx::{AnyConnection, AnyPool};

use crate::error::AppError;
use crate::ssr::storage::audit::{self, Action, Entry, Outcome};

/// How long an attempt counts.
pub const WINDOW: Duration = Duration::from_secs(15 * 60);
/// Attempts one client may make in the window, at any addresses.
pub const PER_CLIENT: i64 = 20;
/// Attempts one client may make at one address in the window.
pub const PER_ADDRESS_AND_CLIENT: i64 = 5;
/// Attempts at one address in the window before each further one is delayed.
pub const FREE_PER_ADDRESS: i64 = 5;
/// The longest delay between attempts at an address, in seconds.
pub const MAX_DELAY: i64 = 60;
/// Seconds between attempts of clients new to an address, once its attempts are delayed.
pub const FRESH_SPACING: i64 = 10;

/// What the attempts seen under the lock say about the one being made.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
struct Seen {
    /// When the client's [`PER_CLIENT`]-th newest attempt was made, if it has that many.
    client_full_since: Option<i64>,
    /// When the client's [`PER_ADDRESS_AND_CLIENT`]-th newest attempt at the address was made.
    own_full_since: Option<i64>,
    /// The client has attempts of its own at the address.
    own_any: bool,
    /// Attempts at the address, from anywhere.
    address_count: i64,
    /// The newest of them.
    address_last: Option<i64>,
    /// The newest delayed attempt of a fresh client at the address.
    fresh_last: Option<i64>,
}

/// How an allowed attempt is recorded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Allowed {
    fresh: bool,
    delayed: bool,
}

/// The delay after `count` attempts at an address: none while they are free, then 1 s,
/// doubling, at most [`MAX_DELAY`].
fn delay_after(count: i64) -> i64 {
    let over = count - FREE_PER_ADDRESS;
    if over < 0 {
        0
    } else {
        1i64.checked_shl(over.min(62) as u32)
            .unwrap_or(MAX_DELAY)
            .min(MAX_DELAY)
    }
}

/// Allows the attempt, or says how many seconds to wait.
fn verdict(seen: &Seen, now: i64) -> Result<Allowed, u64> {
    let window = WINDOW.as_secs() as i64;
    let mut wait = 0i64;
    for since in [seen.client_full_since, seen.own_full_since]
        .into_iter()
        .flatten()
    {
        wait = wait.max(since + window - now);
    }
    let fresh = !seen.own_any;
    let delayed = seen.address_count >= FREE_PER_ADDRESS;
    if delayed {
        let ready_at = if fresh {
            seen.fresh_last.map_or(now, |at| at + FRESH_SPACING)
        } else {
            seen.address_last
                .map_or(now, |at| at + delay_after(seen.address_count))
        };
        wait = wait.max(ready_at - now);
    }
    if wait > 0 {
        Err(wait as u64)
    } else {
        Ok(Allowed { fresh, delayed })
    }
}

/// The key of a client's address in the throttle: IPv4 as it is, IPv6 by its /64, since one
/// customer usually gets a whole /64.
pub fn client_key(client: &str) -> String {
    match client.parse::<std::net::IpAddr>() {
        Ok(std::net::IpAddr::V6(v6)) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => {
                let s = v6.segments();
                format!("{:x}:{:x}:{:x}:{:x}::/64", s[0], s[1], s[2], s[3])
            }
        },
        Ok(ip) => ip.to_string(),
        Err(_) => client.to_owned(),
    }
}

/// The throttle's key for text that names no administrator: a hash keyed with a secret of this
/// process, so the text itself (often a password typed into the wrong field) is never stored.
pub fn unknown_address_key(text: &str) -> String {
    static SECRET: OnceLock<[u8; 32]> = OnceLock::new();
    let secret = SECRET.get_or_init(|| {
        let mut bytes = [0u8; 32];
        // Without OS randomness the key is fixed; the text is still never stored as it is.
        let _ = getrandom::fill(&mut bytes);
        bytes
    });
    let digest = Sha256::new()
        .chain_update(secret)
        .chain_update(text.as_bytes())
        .finalize();
    format!("unknown:{}", hex::encode(&digest[..16]))
}

/// An attempt reserved at an address: it counts until the password proves right.
#[derive(Debug)]
pub struct Attempt {
    id: i64,
    address: String,
    client: String,
}

impl Attempt {
    /// The password was right: this attempt and the client's earlier ones at the address no
    /// longer count. Part of the caller's transaction.
    pub async fn succeeded(self, conn: &mut AnyConnection) -> sqlx::Result<()> {
        sqlx::query("DELETE FROM log_on_attempts WHERE id = $1 OR (address = $2 AND client = $3)")
            .bind(self.id)
            .bind(&self.address)
            .bind(&self.client)
            .execute(conn)
            .await?;
        Ok(())
    }
}

/// What the audit log says of a refused attempt.
pub struct Subject<'a> {
    /// The throttle key of the address (see [`unknown_address_key`]).
    pub address: &'a str,
    /// The client's address as the audit log shows it.
    pub client_addr: &'a str,
    /// The actor: the administrator's address, or "unknown" when it names none.
    pub actor: &'a str,
    pub domain: Option<&'a str>,
    pub action: Action,
    pub target: &'a str,
}

/// Reserves an attempt for `subject`, or refuses with the seconds to wait. The first refusal of
/// an address from a client is audited; later ones are counted and summed by [`sweep`].
pub async fn reserve(db: &AnyPool, subject: &Subject<'_>, now: i64) -> Result<Attempt, AppError> {
    let client = client_key(subject.client_addr);
    // The write lock first: no other reservation, from any console, reads between our read
    // and our write.
    let mut tx = crate::ssr::storage::db::begin_write(db).await?;
    let seen = read_seen(&mut tx, subject.address, &client, now).await?;
    match verdict(&seen, now) {
        Ok(allowed) => {
            let id = sqlx::query_scalar(
                "INSERT INTO log_on_attempts (at, address, client, fresh, delayed)
                 VALUES ($1, $2, $3, $4, $5) RETURNING id",
            )
            .bind(now)
            .bind(subject.address)
            .bind(&client)
            .bind(i64::from(allowed.fresh))
            .bind(i64::from(allowed.delayed))
            .fetch_one(&mut *tx)
            .await?;
            tx.commit().await?;
            Ok(Attempt {
                id,
                address: subject.address.to_owned(),
                client,
            })
        }
        Err(wait) => {
            let count: i64 = sqlx::query_scalar(
                "INSERT INTO log_on_refusals (address, client, since, count, domain, target)
                 VALUES ($1, $2, $3, 1, $4, $5)
                 ON CONFLICT (address, client) DO UPDATE SET count = log_on_refusals.count + 1
                 RETURNING log_on_refusals.count",
            )
            .bind(subject.address)
            .bind(&client)
            .bind(now)
            .bind(subject.domain)
            .bind(subject.target)
            .fetch_one(&mut *tx)
            .await?;
            if count == 1 {
                let entry = Entry {
                    actor: subject.actor,
                    client_addr: subject.client_addr,
                    domain: subject.domain,
                    action: subject.action,
                    target: subject.target,
                    outcome: Outcome::Refused,
                    details: "throttled; further refusals are counted, not listed",
                };
                audit::record(&mut tx, &entry).await?;
            }
            tx.commit().await?;
            Err(AppError::Throttled(wait))
        }
    }
}

async fn read_seen(
    conn: &mut AnyConnection,
    address: &str,
    client: &str,
    now: i64,
) -> sqlx::Result<Seen> {
    let since = now - WINDOW.as_secs() as i64;
    let client_full_since = sqlx::query_scalar(
        "SELECT at FROM log_on_attempts WHERE client = $1 AND at > $2
         ORDER BY at DESC LIMIT 1 OFFSET $3",
    )
    .bind(client)
    .bind(since)
    .bind(PER_CLIENT - 1)
    .fetch_optional(&mut *conn)
    .await?;
    let own: Vec<i64> = sqlx::query_scalar(
        "SELECT at FROM log_on_attempts WHERE address = $1 AND client = $2 AND at > $3
         ORDER BY at DESC LIMIT $4",
    )
    .bind(address)
    .bind(client)
    .bind(since)
    .bind(PER_ADDRESS_AND_CLIENT)
    .fetch_all(&mut *conn)
    .await?;
    let (address_count, address_last, fresh_last): (i64, Option<i64>, Option<i64>) =
        sqlx::query_as(
            "SELECT COUNT(*), MAX(at), MAX(CASE WHEN fresh = 1 AND delayed = 1 THEN at END)
             FROM log_on_attempts WHERE address = $1 AND at > $2",
        )
        .bind(address)
        .bind(since)
        .fetch_one(&mut *conn)
        .await?;
    Ok(Seen {
        client_full_since,
        own_full_since: own.get(PER_ADDRESS_AND_CLIENT as usize - 1).copied(),
        own_any: !own.is_empty(),
        address_count,
        address_last,
        fresh_last,
    })
}

/// Forgets attempts older than the window, and writes one audit row for each address and
/// client whose throttled attempts went on after the first: returns how many rows it wrote.
pub async fn sweep(db: &AnyPool, now: i64) -> Result<u64, AppError> {
    let since = now - WINDOW.as_secs() as i64;
    let mut tx = db.begin().await?;
    sqlx::query("DELETE FROM log_on_attempts WHERE at <= $1")
        .bind(since)
        .execute(&mut *tx)
        .await?;
    let ended: Vec<(i64, Option<String>, String, String)> = sqlx::query_as(
        "DELETE FROM log_on_refusals WHERE since <= $1 RETURNING count, domain, target, client",
    )
    .bind(since)
    .fetch_all(&mut *tx)
    .await?;
    let mut written = 0;
    for (count, domain, target, client) in ended.iter().filter(|(count, ..)| *count > 1) {
        let details = format!("{} more attempts refused while throttled", count - 1);
        let entry = Entry {
            actor: if target.is_empty() { "unknown" } else { target },
            client_addr: client,
            domain: domain.as_deref(),
            action: Action::LogOn,
            target,
            outcome: Outcome::Refused,
            details: &details,
        };
        audit::record(&mut tx, &entry).await?;
        written += 1;
    }
    tx.commit().await?;
    Ok(written)
}

#[cfg(test)]
mod tests {
    use super::*;

    const NOW: i64 = 1_000_000;

    #[test]
    fn free_attempts_need_no_wait() {
        let seen = Seen {
            own_any: true,
            address_count: FREE_PER_ADDRESS - 1,
            address_last: Some(NOW),
            ..Seen::default()
        };
        assert_eq!(
            verdict(&seen, NOW),
            Ok(Allowed {
                fresh: false,
                delayed: false
            })
        );
    }

    #[test]
    fn a_client_at_its_limits_waits_for_its_oldest_attempt_to_age_out() {
        let window = WINDOW.as_secs() as i64;
        let own = Seen {
            own_full_since: Some(NOW - 100),
            own_any: true,
            address_count: 5,
            address_last: Some(NOW - 100),
            ..Seen::default()
        };
        assert_eq!(verdict(&own, NOW), Err((window - 100) as u64));
        let client = Seen {
            client_full_since: Some(NOW - 300),
            ..Seen::default()
        };
        assert_eq!(verdict(&client, NOW), Err((window - 300) as u64));
    }

    #[test]
    fn past_the_free_attempts_the_delay_doubles_up_to_the_most() {
        assert_eq!(delay_after(FREE_PER_ADDRESS - 1), 0);
        assert_eq!(delay_after(FREE_PER_ADDRESS), 1);
        assert_eq!(delay_after(FREE_PER_ADDRESS + 3), 8);
        assert_eq!(delay_after(FREE_PER_ADDRESS + 40), MAX_DELAY);
        assert_eq!(delay_after(i64::MAX), MAX_DELAY);
        let seen = Seen {
            own_any: true,
            address_count: FREE_PER_ADDRESS + 3,
            address_last: Some(NOW - 2),
            ..Seen::default()
        };
        assert_eq!(verdict(&seen, NOW), Err(6));
        assert!(verdict(&seen, NOW + 6).is_ok());
    }

    #[test]
    fn a_client_new_to_the_address_waits_only_for_the_last_new_client() {
        let seen = Seen {
            own_any: false,
            address_count: 50,
            address_last: Some(NOW),
            fresh_last: None,
            ..Seen::default()
        };
        assert_eq!(
            verdict(&seen, NOW),
            Ok(Allowed {
                fresh: true,
                delayed: true
            })
        );
        let soon_after = Seen {
            fresh_last: Some(NOW - 3),
            ..seen
        };
        assert_eq!(verdict(&soon_after, NOW), Err((FRESH_SPACING - 3) as u64));
    }

    #[test]
    fn ipv6_clients_are_grouped_by_their_64() {
        assert_eq!(client_key("2001:db8:1:2::1"), "2001:db8:1:2::/64");
        assert_eq!(
            client_key("2001:db8:1:2:ffff:0:0:9"),
            client_key("2001:db8:1:2::1")
        );
        assert_ne!(client_key("2001:db8:1:3::1"), client_key("2001:db8:1:2::1"));
        assert_eq!(client_key("192.0.2.7"), "192.0.2.7");
        assert_eq!(client_key("::ffff:192.0.2.7"), "192.0.2.7");
    }

    #[test]
    fn unknown_addresses_are_stored_only_as_a_keyed_hash() {
        let key = unknown_address_key("Hunter2#password");
        assert!(key.starts_with("unknown:"));
        assert!(!key.contains("Hunter2"));
        assert_eq!(key, unknown_address_key("Hunter2#password"));
        assert_ne!(key, unknown_address_key("hunter2#password"));
    }
}
