//! Where mail to an address goes, as Postfix's virtual_alias_maps reads it from the database
//! (`deploy/postfix/vpostmaster-aliases.cf.in`): an alias's targets, else a live account's
//! forwarding, else the domain's catch-all. The rules every change to those passes before it
//! is saved: an address is one thing only, and mail never goes round in a loop.

use std::collections::{BTreeSet, HashMap, HashSet};

use sqlx::{AnyConnection, AnyPool};

use crate::error::AppError;
use crate::ssr::storage::budget;
use crate::ssr::storage::db::{Backend, Flag};
use crate::validate::{
    address_taken, check_routes, describe_route, split_targets, OutOfBudget, ROUTE_DEPTH_MAX,
};

/// The refusal for an address that is not a live account of the domain asked about.
pub fn no_account(email: &str) -> AppError {
    AppError::NotFound(format!("The account {}", email.trim()))
}

/// What a live address of the console already is.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Holder {
    Account,
    Alias,
}

/// Whether `address` is a live account or a live alias.
pub async fn holder(conn: &mut AnyConnection, address: &str) -> Result<Option<Holder>, AppError> {
    let found: Option<i64> = sqlx::query_scalar(
        "SELECT 0 FROM mailboxes WHERE email = $1 AND deleted_at IS NULL
         UNION ALL SELECT 1 FROM aliases WHERE address = $1 AND deleted_at IS NULL LIMIT 1",
    )
    .bind(address)
    .fetch_optional(&mut *conn)
    .await?;
    Ok(found.map(|kind| {
        if kind == 0 {
            Holder::Account
        } else {
            Holder::Alias
        }
    }))
}

/// The refusal for an address that is already taken, naming what holds it.
pub fn taken(address: &str, holder: Holder) -> AppError {
    AppError::Conflict(format!(
        "{}.",
        address_taken(address, holder == Holder::Alias)
    ))
}

/// The live addresses among `emails`, and what holds each; an alias is named where both do
/// (an account written in the caller's transaction, say). One query for all of them.
pub async fn live_among(
    conn: &mut AnyConnection,
    emails: &[String],
) -> Result<HashMap<String, Holder>, AppError> {
    if emails.is_empty() {
        return Ok(HashMap::new());
    }
    let listed = Backend::of_conn(conn).json_texts("$1");
    let taken: Vec<(String, Flag)> = sqlx::query_as(&format!(
        "SELECT email, 0 FROM mailboxes WHERE deleted_at IS NULL AND email IN ({listed})
         UNION ALL
         SELECT address, 1 FROM aliases WHERE deleted_at IS NULL AND address IN ({listed})"
    ))
    .bind(json_list(emails)?)
    .fetch_all(&mut *conn)
    .await?;
    let mut holders = HashMap::with_capacity(taken.len());
    for (email, Flag(alias)) in taken {
        let holder = if alias {
            Holder::Alias
        } else {
            Holder::Account
        };
        holders
            .entry(email)
            .and_modify(|held| {
                if alias {
                    *held = holder;
                }
            })
            .or_insert(holder);
    }
    Ok(holders)
}

/// The addresses among `addresses` of deleted accounts that can still be restored. An alias
/// there would block the restore until it is deleted, so it is refused with a way forward.
pub async fn restorable_among(
    conn: &mut AnyConnection,
    addresses: &[String],
) -> Result<Vec<String>, AppError> {
    if addresses.is_empty() {
        return Ok(Vec::new());
    }
    let listed = Backend::of_conn(conn).json_texts("$1");
    let found = sqlx::query_scalar(&format!(
        "SELECT DISTINCT email FROM mailboxes WHERE deleted_at IS NOT NULL AND email IN ({listed})"
    ))
    .bind(json_list(addresses)?)
    .fetch_all(&mut *conn)
    .await?;
    Ok(found)
}

fn json_list(addresses: &[String]) -> Result<String, AppError> {
    serde_json::to_string(addresses).map_err(|error| {
        tracing::error!(%error, "cannot encode addresses");
        AppError::Internal
    })
}

/// Where mail goes on from the targets of `changed` (the routes about to be saved), as far as
/// Postfix follows it: the live aliases, and the live active accounts of active domains that
/// forward, read a level at a time up to [`ROUTE_DEPTH_MAX`] levels, with `changed` in place
/// of what is stored for its addresses; and which of the domains met are this server's (mail
/// to any other goes out to another mail server). Only what can be reached is read. The
/// catch-all is left out: it only takes addresses that are nothing else, so it cannot lead
/// back to one that is, nor out.
async fn reachable(conn: &mut AnyConnection, changed: Routes) -> Result<Reached, AppError> {
    let listed = Backend::of_conn(conn).json_texts("$1");
    let query = format!(
        "SELECT address, targets FROM aliases WHERE deleted_at IS NULL AND address IN ({listed})
         UNION ALL
         SELECT m.email, m.forward_to FROM mailboxes m JOIN domains d ON d.id = m.domain_id
         WHERE m.forward_to <> '' AND m.deleted_at IS NULL AND m.active = 1 AND d.active = 1
           AND m.email IN ({listed})"
    );
    let mut seen: HashSet<String> = changed.keys().cloned().collect();
    let mut level: Vec<String> = Vec::new();
    for target in changed.values().flatten() {
        if seen.insert(target.clone()) {
            level.push(target.clone());
        }
    }
    let mut graph = changed;
    for _ in 0..ROUTE_DEPTH_MAX {
        if level.is_empty() {
            break;
        }
        let found: Vec<(String, String)> = sqlx::query_as(&query)
            .bind(json_list(&level)?)
            .fetch_all(&mut *conn)
            .await?;
        level.clear();
        for (address, targets) in found {
            let targets = split_targets(&targets);
            for target in &targets {
                if seen.insert(target.clone()) {
                    level.push(target.clone());
                }
            }
            graph.insert(address, targets);
        }
    }
    let met: BTreeSet<String> = seen
        .iter()
        .filter_map(|address| Some(address.rsplit_once('@')?.1.to_owned()))
        .collect();
    let listed = Backend::of_conn(conn).json_texts("$1");
    let hosted: Vec<String> = sqlx::query_scalar(&format!(
        "SELECT name FROM domains WHERE name IN ({listed})"
    ))
    .bind(json_list(&met.into_iter().collect::<Vec<_>>())?)
    .fetch_all(&mut *conn)
    .await?;
    Ok(Reached {
        graph,
        hosted: hosted.into_iter().collect(),
    })
}

type Routes = HashMap<String, Vec<String>>;

/// What [`reachable`] read.
#[derive(Clone, PartialEq, Eq)]
struct Reached {
    graph: Routes,
    /// The domains met that are this server's.
    hosted: BTreeSet<String>,
}

/// The routing rules' verdict on a change to where mail goes, made before the write lock
/// (reading what is stored and checking it can take a while, and the lock holds every other
/// writer: log-ons, Dovecot's usage) and confirmed under it.
pub struct RouteCheck {
    domain: String,
    changed: Routes,
    starts: Vec<String>,
    read: Reached,
    problems: Vec<Option<String>>,
}

impl RouteCheck {
    /// Checks where mail to each of `starts` would go once `changed` (the routes about to be
    /// saved, theirs among them) is: what is wrong is worded for `domain`'s postmaster.
    pub async fn new(
        db: &AnyPool,
        domain: &str,
        changed: Routes,
        starts: Vec<String>,
    ) -> Result<RouteCheck, AppError> {
        let read = reachable(&mut *db.acquire().await?, changed.clone()).await?;
        let problems = check(domain, read.clone(), starts.clone()).await?;
        Ok(RouteCheck {
            domain: domain.to_owned(),
            changed,
            starts,
            read,
            problems,
        })
    }

    /// What is wrong with each start, `None` where its mail is delivered, as stored in the
    /// caller's write transaction: read again, and checked again only when a change made
    /// meanwhile reaches the routes, so that none can slip between the check and the write.
    pub async fn confirm(self, tx: &mut AnyConnection) -> Result<Vec<Option<String>>, AppError> {
        let now = reachable(tx, self.changed).await?;
        if now == self.read {
            return Ok(self.problems);
        }
        check(&self.domain, now, self.starts).await
    }

    /// Refuses the change when mail to its one start would come back to it, or pass through
    /// too many aliases and forwardings; see [`RouteCheck::confirm`].
    pub async fn refuse(self, tx: &mut AnyConnection) -> Result<(), AppError> {
        match self.confirm(tx).await?.pop() {
            Some(Some(problem)) => Err(AppError::Invalid(problem)),
            _ => Ok(()),
        }
    }
}

/// A route check of one address: `address` about to deliver to `targets`.
pub async fn check_one(
    db: &AnyPool,
    domain: &str,
    address: &str,
    targets: &[String],
) -> Result<RouteCheck, AppError> {
    let changed = HashMap::from([(address.to_owned(), targets.to_vec())]);
    RouteCheck::new(db, domain, changed, vec![address.to_owned()]).await
}

/// The routing rules over what was read, off the async workers within their time budget.
async fn check(
    domain: &str,
    reached: Reached,
    starts: Vec<String>,
) -> Result<Vec<Option<String>>, AppError> {
    let domain = domain.to_owned();
    let checked = budget::off_runtime(move |keep_going| {
        let starts: Vec<&str> = starts.iter().map(String::as_str).collect();
        let outside = |address: &str| {
            address
                .rsplit_once('@')
                .is_none_or(|(_, domain)| !reached.hosted.contains(domain))
        };
        check_routes(&reached.graph, outside, &starts, keep_going).map(|problems| {
            problems
                .iter()
                .map(|problem| Some(format!("{}.", describe_route(problem.as_ref()?, &domain))))
                .collect::<Vec<_>>()
        })
    })
    .await?;
    checked.map_err(|OutOfBudget| {
        AppError::Invalid(
            "Checking where this mail would go took too long, so nothing was changed. Add fewer aliases at once.".to_owned(),
        )
    })
}
