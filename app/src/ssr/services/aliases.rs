//! Aliases of a domain: list, add (one or a pasted list), change targets, delete, restore and
//! purge. Each service takes the domain and the actor from its caller, so the web console, the
//! command line and the tests run the same code; each change is checked with the shared
//! `validate` rules and the routing rules (an address is one thing, mail never loops nor goes
//! deeper than Postfix follows), and audited in the same transaction.

use std::collections::HashMap;

use sqlx::{AnyConnection, AnyPool};

use super::accounts::RETENTION_DAYS;
use super::restorable::{self, Deleting, Restorable};
use super::routing::{self, Holder, RouteCheck};
use super::MAX_COUNTED;
use crate::error::AppError;
use crate::model::accounts::PAGE_SIZE;
use crate::model::aliases::{AliasDetail, AliasRow, AliasSlice, DeletedAlias};
use crate::model::deleted::{page_in, DeletedPage, DELETED_PAGE_SIZE};
use crate::ssr::access::caller::{self, Asked, DomainScope};
use crate::ssr::storage::audit::{self, Action, Actor, Entry};
use crate::ssr::storage::budget;
use crate::ssr::storage::db::{contains_pattern, fts_phrase, Backend};
use crate::ssr::storage::domains::Domain;
use crate::validate::{
    check_text, join_targets, parse_alias_paste, parse_targets, parse_username, split_targets,
    Address, AliasReport, Field, FieldProblem, SEARCH_MAX,
};

fn no_alias(address: &str) -> AppError {
    AppError::NotFound(format!("The alias {}", address.trim()))
}

/// Audits, in `domain`'s own log, a request for an alias outside it; the caller answers it as
/// not found.
async fn record_outside(
    db: &AnyPool,
    domain: &Domain,
    actor: Actor<'_>,
    asked: Asked<'_>,
) -> Result<(), AppError> {
    let details = format!("not an alias of {}", domain.name);
    caller::record_refusal(db, actor, Some(&domain.name), asked, &details).await
}

/// The address of `domain` that an alias typed as `name` (a name or a full address) gets.
fn alias_address(domain: &Domain, name: &str) -> Result<String, AppError> {
    let local = parse_username(name.trim(), &domain.name)
        .map_err(|check| AppError::beside(Field::Alias, Some(check.rule), check.message))?;
    Ok(format!("{local}@{}", domain.name))
}

/// The targets typed for `address`, checked; an alias delivering to itself is refused.
fn checked_targets(address: &str, typed: &str) -> Result<Vec<String>, AppError> {
    let targets =
        parse_targets(typed).map_err(|message| AppError::beside(Field::Targets, None, message))?;
    if targets.iter().any(|target| target == address) {
        return Err(AppError::beside(
            Field::Targets,
            None,
            format!("{address} cannot deliver to itself"),
        ));
    }
    Ok(targets)
}

/// Refuses `address` when a live account or alias holds it.
async fn refuse_taken(conn: &mut AnyConnection, address: &str) -> Result<(), AppError> {
    if let Some(holder) = routing::holder(conn, address).await? {
        return Err(routing::taken(address, holder));
    }
    let restorable =
        routing::restorable_among(conn, std::slice::from_ref(&address.to_owned())).await?;
    match restorable.first() {
        Some(address) => Err(AppError::Conflict(kept_for_restore(address))),
        None => Ok(()),
    }
}

/// Why an alias may not take the address of a deleted account that can be restored.
fn kept_for_restore(address: &str) -> String {
    format!(
        "{address} belongs to a deleted account, which can still be restored from Deleted accounts. \
         Restore it and set its forwarding to send its mail on, or choose another address."
    )
}

/// One page of the domain's live aliases in address order, filtered by a search (substring,
/// case-insensitive) on the address or the targets. Without a search the count is the one the
/// database keeps; a search's count stops at [`MAX_COUNTED`] (`more`), and its pages go on
/// while matches follow.
pub async fn list(
    db: &AnyPool,
    scope: &DomainScope,
    search: &str,
    page: u32,
) -> Result<AliasSlice, AppError> {
    let domain = scope.within();
    let search = check_text("A search", search, SEARCH_MAX).map_err(AppError::Invalid)?;
    let matcher = Matcher::of(db, &search.trim().to_lowercase()).await?;
    let (mut total, mut more) = count(db, domain, &matcher, Some(MAX_COUNTED)).await?;
    let mut page = if more {
        page.max(1)
    } else {
        page.clamp(1, pages_of(total))
    };
    let counted = (!more).then_some(total);
    let (mut rows, mut beyond) = read_page(db, domain, &matcher, page, counted).await?;
    if more && rows.is_empty() && page > 1 {
        // Past the last match of a broad search (a made-up page number): its last page, the
        // matches counted in full.
        (total, more) = count(db, domain, &matcher, None).await?;
        page = pages_of(total);
        (rows, beyond) = read_page(db, domain, &matcher, page, Some(total)).await?;
    }
    // Past the counted matches a full page promises another.
    let pages = pages_of(total).max(page.saturating_add(u32::from(more && beyond)));
    Ok(AliasSlice {
        domain: domain.name.clone(),
        rows,
        total: total as u64,
        more,
        page,
        pages,
    })
}

/// The pages `total` rows fill; one for none.
fn pages_of(total: i64) -> u32 {
    u32::try_from(total.max(1))
        .unwrap_or(u32::MAX)
        .div_ceil(PAGE_SIZE)
}

/// How a search picks its aliases. Every way gives the rows the LIKE rule gives (the term in
/// the address or in the targets, both stored lowercase); the index only narrows the rows the
/// rule is tried on.
enum Matcher {
    All,
    /// The rule on every live alias of the domain, read in address order: terms of one or two
    /// characters, and terms so common that a page of them is found in a few rows. On
    /// PostgreSQL every term: its planner weighs the trigram indexes itself.
    Scan {
        pattern: String,
    },
    /// The rule on the trigram index's candidates only (a rare term of three or more
    /// characters, on SQLite), their ids a JSON array. The index folds non-ASCII case and LIKE
    /// does not, so the rule still decides.
    Indexed {
        pattern: String,
        ids: String,
    },
}

impl Matcher {
    /// The matcher of a trimmed, lowercased term.
    async fn of(db: &AnyPool, term: &str) -> Result<Self, AppError> {
        if term.is_empty() {
            return Ok(Self::All);
        }
        let pattern = contains_pattern(term);
        // Trigrams answer terms of three characters or more.
        if term.chars().count() < 3 || Backend::of(db) == Backend::Postgres {
            return Ok(Self::Scan { pattern });
        }
        // Candidates in every domain, live or deleted, read from the index once: their ids, as
        // one JSON array, serve the page and the count without asking the index again.
        let (candidates, ids): (i64, String) = sqlx::query_as(
            "SELECT COUNT(*), json_group_array(rowid) FROM
               (SELECT rowid FROM aliases_search WHERE aliases_search MATCH $1 LIMIT $2)",
        )
        .bind(fts_phrase(term))
        .bind(MAX_COUNTED + 1)
        .fetch_one(db)
        .await?;
        Ok(if candidates > MAX_COUNTED {
            Self::Scan { pattern }
        } else {
            Self::Indexed { pattern, ids }
        })
    }

    /// The conditions on `aliases` after `WHERE` for the domain's live aliases that match (the
    /// domain's id is `$1`, [`Self::texts`] follow), and the column the page is sorted by.
    fn filter(&self) -> (&'static str, &'static str) {
        match self {
            Self::All => ("domain_id = $1 AND deleted_at IS NULL", "local_part"),
            Self::Scan { .. } => (
                "domain_id = $1 AND deleted_at IS NULL
                 AND (address LIKE $2 ESCAPE '\\' OR targets LIKE $2 ESCAPE '\\')",
                "local_part",
            ),
            // The unary + keeps the planner off the domain's address index: the few candidates
            // are fetched by id and sorted, instead of the domain being read in order and each
            // alias tested against them.
            Self::Indexed { .. } => (
                "+domain_id = $1 AND deleted_at IS NULL
                 AND (address LIKE $2 ESCAPE '\\' OR targets LIKE $2 ESCAPE '\\')
                 AND id IN (SELECT value FROM json_each($3))",
                "+local_part",
            ),
        }
    }

    /// The texts the filter binds, from `$2` on.
    fn texts(&self) -> Vec<&str> {
        match self {
            Self::All => Vec::new(),
            Self::Scan { pattern } => vec![pattern],
            Self::Indexed { pattern, ids } => vec![pattern, ids],
        }
    }
}

/// The matching aliases, counted up to `cap`, and whether there are more than that. Without a
/// search, the domain's live count as the database keeps it.
async fn count(
    db: &AnyPool,
    domain: &Domain,
    matcher: &Matcher,
    cap: Option<i64>,
) -> Result<(i64, bool), AppError> {
    if let Matcher::All = matcher {
        let live: Option<i64> =
            sqlx::query_scalar("SELECT live FROM domain_alias_counts WHERE domain_id = $1")
                .bind(domain.id)
                .fetch_optional(db)
                .await?;
        return Ok((live.unwrap_or(0), false));
    }
    let (filter, _) = matcher.filter();
    let texts = matcher.texts();
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM aliases WHERE {filter} LIMIT ${}) AS matched",
        texts.len() + 2
    );
    let mut query = sqlx::query_scalar(&sql).bind(domain.id);
    for text in texts {
        query = query.bind(text);
    }
    // Uncapped: more rows than any table holds.
    let counted: i64 = query
        .bind(cap.map_or(i64::MAX, |cap| cap + 1))
        .fetch_one(db)
        .await?;
    Ok(match cap {
        Some(cap) if counted > cap => (cap, true),
        _ => (counted, false),
    })
}

/// Page `page` of the matching aliases in address order, and whether more follow it. With the
/// matches counted (`total`), a page past the middle is read backwards from the last one: an
/// offset costs a step for each row it skips, so no page skips more than half of them.
async fn read_page(
    db: &AnyPool,
    domain: &Domain,
    matcher: &Matcher,
    page: u32,
    total: Option<i64>,
) -> Result<(Vec<AliasRow>, bool), AppError> {
    let size = i64::from(PAGE_SIZE);
    let start = i64::from(page - 1) * size;
    let (forward, limit, offset) = match total {
        Some(total) if start > total / 2 => (
            false,
            (total - start).min(size),
            (total - start - size).max(0),
        ),
        // One row more than the page says whether another follows.
        _ => (true, size + 1, start),
    };
    let (filter, order) = matcher.filter();
    let texts = matcher.texts();
    let next = texts.len() + 2;
    let sql = format!(
        "SELECT address, targets, substr(updated_at, 1, 10) AS updated
         FROM aliases WHERE {filter} ORDER BY {order} {} LIMIT ${next} OFFSET ${}",
        if forward { "ASC" } else { "DESC" },
        next + 1
    );
    let mut query = sqlx::query_as::<_, AliasRow>(&sql).bind(domain.id);
    for text in texts {
        query = query.bind(text);
    }
    let mut rows = query.bind(limit).bind(offset).fetch_all(db).await?;
    if !forward {
        rows.reverse();
        return Ok((rows, false));
    }
    let beyond = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    Ok((rows, beyond))
}

/// Every live alias of the domain that `search` finds now, by the list's rule and in its
/// order, however many: what deleting all the matches of a search deletes. An empty search is
/// refused, so that leaving the field empty never stands for the whole domain.
pub async fn matching(
    db: &AnyPool,
    scope: &DomainScope,
    search: &str,
) -> Result<Vec<String>, AppError> {
    let search = check_text("A search", search, SEARCH_MAX).map_err(AppError::Invalid)?;
    let term = search.trim().to_lowercase();
    if term.is_empty() {
        return Err(AppError::Invalid(super::accounts::SEARCH_FIRST.into()));
    }
    let matcher = Matcher::of(db, &term).await?;
    let (filter, order) = matcher.filter();
    let sql = format!("SELECT address FROM aliases WHERE {filter} ORDER BY {order}");
    let mut query = sqlx::query_scalar(&sql).bind(scope.within().id);
    for text in matcher.texts() {
        query = query.bind(text);
    }
    Ok(query.fetch_all(db).await?)
}

/// Moves every live alias of the domain that `search` finds now to "Deleted aliases", through
/// [`delete`]: all or none, each audited. Nothing matching now answers as not found.
pub async fn delete_matching(
    db: &AnyPool,
    scope: &DomainScope,
    search: &str,
) -> Result<usize, AppError> {
    let found = matching(db, scope, search).await?;
    if found.is_empty() {
        return Err(AppError::NotFound(format!(
            "An alias matching \u{201c}{}\u{201d}",
            search.trim()
        )));
    }
    let found: Vec<&str> = found.iter().map(String::as_str).collect();
    delete(db, scope, &found).await
}

/// A live alias of the domain, for the Edit alias screen.
pub async fn detail(
    db: &AnyPool,
    scope: &DomainScope,
    address: &str,
) -> Result<AliasDetail, AppError> {
    let domain = scope.within();
    let address = domain
        .address_of(address)
        .ok_or_else(|| no_alias(address))?;
    let row: Option<(String, String, String)> = sqlx::query_as(
        "SELECT targets, created_at, updated_at FROM aliases
         WHERE address = $1 AND domain_id = $2 AND deleted_at IS NULL",
    )
    .bind(&address)
    .bind(domain.id)
    .fetch_optional(db)
    .await?;
    let (targets, created_at, updated_at) = row.ok_or_else(|| no_alias(&address))?;
    Ok(AliasDetail {
        address,
        domain: domain.name.clone(),
        targets: split_targets(&targets),
        created_at,
        updated_at,
    })
}

/// Writes a new live alias and its audit row in the caller's transaction.
async fn insert(
    conn: &mut AnyConnection,
    domain: &Domain,
    actor: Actor<'_>,
    address: &str,
    targets: &[String],
) -> Result<(), AppError> {
    let local = Address::split(address).map_or_else(|| address.to_owned(), |parts| parts.local);
    let joined = join_targets(targets);
    sqlx::query(
        "INSERT INTO aliases (domain_id, local_part, address, targets) VALUES ($1, $2, $3, $4)",
    )
    .bind(domain.id)
    .bind(local)
    .bind(address)
    .bind(&joined)
    .execute(&mut *conn)
    .await?;
    let details = format!("to {joined}");
    let entry = Entry {
        details: &details,
        ..Entry::new(actor, Action::AliasAdd, Some(&domain.name), address)
    };
    audit::record(conn, &entry).await?;
    Ok(())
}

/// Adds one alias, `name` (or a full address of the domain) delivering to `targets` (see
/// [`parse_targets`]), and returns its address. Refused when the address is a live account or
/// alias, or when mail would come back to it through stored aliases and forwardings.
pub async fn add(
    db: &AnyPool,
    scope: &DomainScope,
    name: &str,
    targets: &str,
) -> Result<String, AppError> {
    let (domain, actor) = (scope.within(), scope.actor());
    let address = alias_address(domain, name)?;
    let targets = checked_targets(&address, targets)?;
    let routes = routing::check_one(db, &domain.name, &address, &targets).await?;
    let mut tx = crate::ssr::storage::db::begin_write(db).await?;
    refuse_taken(&mut tx, &address)
        .await
        .map_err(|error| error.on_field(Field::Alias))?;
    routes
        .refuse(&mut tx)
        .await
        .map_err(|error| error.on_field(Field::Targets))?;
    insert(&mut tx, domain, actor, &address, &targets).await?;
    tx.commit().await?;
    tracing::info!(%address, actor = actor.name, "alias added");
    Ok(address)
}

/// Adds every alias of a pasted list (see [`parse_alias_paste`]) in one transaction, or none,
/// and returns how many. Refused with every problem by line when a line breaks a rule, names
/// an address that is taken, or makes a loop with what is stored or with the other lines.
pub async fn add_from_paste(
    db: &AnyPool,
    scope: &DomainScope,
    text: &str,
) -> Result<usize, AppError> {
    let (domain, actor) = (scope.within(), scope.actor());
    let (owned, name) = (text.to_owned(), domain.name.clone());
    let mut report = budget::off_runtime(move |_| parse_alias_paste(&owned, &name)).await?;
    if let Some(message) = report.too_big {
        return Err(AppError::Invalid(message));
    }
    if report.lines.is_empty() {
        return Err(AppError::Invalid("Paste at least one alias.".into()));
    }
    // Checked before the write lock, and confirmed under it: what is taken and where mail
    // goes may change meanwhile.
    let addresses: Vec<String> = report
        .lines
        .iter()
        .filter_map(|line| line.address.clone())
        .collect();
    let taken_before = routing::live_among(&mut *db.acquire().await?, &addresses).await?;
    let (mut numbers, mut routes) = paste_routes(db, domain, &report, &taken_before).await?;
    let mut tx = crate::ssr::storage::db::begin_write(db).await?;
    let taken = routing::live_among(&mut tx, &addresses).await?;
    if taken != taken_before {
        (numbers, routes) = paste_routes(db, domain, &report, &taken).await?;
    }
    let restorable = routing::restorable_among(&mut tx, &addresses).await?;
    let mut found: Vec<(usize, String)> = report
        .lines
        .iter()
        .filter_map(|line| {
            let address = line.address.as_ref()?;
            match taken.get(address) {
                Some(holder) => Some((line.number, routing::taken(address, *holder).to_string())),
                None => restorable
                    .contains(address)
                    .then(|| (line.number, kept_for_restore(address))),
            }
        })
        .collect();
    let routed = routes.confirm(&mut tx).await?;
    found.extend(
        numbers
            .into_iter()
            .zip(routed)
            .filter_map(|(number, problem)| Some((number, problem?))),
    );
    report.add_problems(found);
    if !report.is_ready() {
        let problems = report
            .lines
            .iter()
            .flat_map(|line| {
                line.problems.iter().map(move |problem| FieldProblem {
                    line: Some(line.number),
                    ..FieldProblem::new(Field::Line, None, problem.as_str())
                })
            })
            .collect();
        AppError::refuse(problems)?;
    }
    for line in &report.lines {
        if let Some(address) = &line.address {
            insert(&mut tx, domain, actor, address, &line.targets).await?;
        }
    }
    tx.commit().await?;
    let count = report.lines.len();
    tracing::info!(domain = %domain.name, actor = actor.name, count, "aliases added");
    Ok(count)
}

/// The route check of the lines of a paste that could be saved (those without a problem, at
/// an address not `taken`), with their line numbers: mail may loop through stored aliases and
/// forwardings as well as through the lines, and a refused line's targets are left out, since
/// they would not be saved.
async fn paste_routes(
    db: &AnyPool,
    domain: &Domain,
    report: &AliasReport,
    taken: &HashMap<String, Holder>,
) -> Result<(Vec<usize>, RouteCheck), AppError> {
    let ready: Vec<(usize, &String, &Vec<String>)> = report
        .lines
        .iter()
        .filter(|line| line.problems.is_empty())
        .filter_map(|line| Some((line.number, line.address.as_ref()?, &line.targets)))
        .filter(|(_, address, _)| !taken.contains_key(*address))
        .collect();
    let numbers = ready.iter().map(|(number, _, _)| *number).collect();
    let starts = ready
        .iter()
        .map(|(_, address, _)| (*address).clone())
        .collect();
    let changed = ready
        .iter()
        .map(|(_, address, targets)| ((*address).clone(), (*targets).clone()))
        .collect();
    let routes = RouteCheck::new(db, &domain.name, changed, starts).await?;
    Ok((numbers, routes))
}

/// Changes where a live alias of the domain delivers, with the rules of [`add`].
pub async fn update(
    db: &AnyPool,
    scope: &DomainScope,
    address: &str,
    targets: &str,
) -> Result<(), AppError> {
    let (domain, actor) = (scope.within(), scope.actor());
    let Some(address) = domain.address_of(address) else {
        record_outside(db, domain, actor, Asked::Typed(address)).await?;
        return Err(no_alias(address));
    };
    let targets = checked_targets(&address, targets)?;
    let joined = join_targets(&targets);
    let routes = routing::check_one(db, &domain.name, &address, &targets).await?;
    let mut tx = crate::ssr::storage::db::begin_write(db).await?;
    let before: Option<String> = sqlx::query_scalar(
        "SELECT targets FROM aliases WHERE address = $1 AND domain_id = $2 AND deleted_at IS NULL",
    )
    .bind(&address)
    .bind(domain.id)
    .fetch_optional(&mut *tx)
    .await?;
    let before = before.ok_or_else(|| no_alias(&address))?;
    if before == joined {
        return Ok(());
    }
    routes
        .refuse(&mut tx)
        .await
        .map_err(|error| error.on_field(Field::Targets))?;
    sqlx::query(&format!(
        "UPDATE aliases SET targets = $1, updated_at = {now}
         WHERE address = $2 AND domain_id = $3 AND deleted_at IS NULL",
        now = Backend::of(db).now()
    ))
    .bind(&joined)
    .bind(&address)
    .bind(domain.id)
    .execute(&mut *tx)
    .await?;
    let details = format!("to {joined} (was {before})");
    let entry = Entry {
        details: &details,
        ..Entry::new(actor, Action::AliasUpdate, Some(&domain.name), &address)
    };
    audit::record(&mut tx, &entry).await?;
    tx.commit().await?;
    Ok(())
}

/// Moves live aliases of the domain to "Deleted aliases", all or none, each audited. An
/// address that is not a live alias of the domain answers as not found, naming it; one of
/// another domain is audited as refused too.
pub async fn delete(
    db: &AnyPool,
    scope: &DomainScope,
    addresses: &[&str],
) -> Result<usize, AppError> {
    let (domain, actor) = (scope.within(), scope.actor());
    let mut chosen: Vec<String> = Vec::with_capacity(addresses.len());
    for typed in addresses.iter().filter(|typed| !typed.trim().is_empty()) {
        let Some(address) = domain.address_of(typed) else {
            record_outside(db, domain, actor, Asked::Typed(typed)).await?;
            return Err(no_alias(typed));
        };
        if !chosen.contains(&address) {
            chosen.push(address);
        }
    }
    if chosen.is_empty() {
        return Err(AppError::Invalid("Select at least one alias.".into()));
    }
    let deleting = Deleting {
        kind: Restorable::Alias,
        domain: (domain.id, &domain.name),
        actor,
    };
    let mut tx = crate::ssr::storage::db::begin_write(db).await?;
    restorable::mark_deleted(&mut tx, Backend::of(db), &deleting, &chosen, no_alias).await?;
    tx.commit().await?;
    Ok(chosen.len())
}

/// A page of the domain's deleted aliases, newest first, with the whole days left before the
/// purge.
pub async fn deleted(
    db: &AnyPool,
    scope: &DomainScope,
    page: u32,
) -> Result<DeletedPage<DeletedAlias>, AppError> {
    let domain = scope.within();
    let total: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM aliases WHERE domain_id = $1 AND deleted_at IS NOT NULL",
    )
    .bind(domain.id)
    .fetch_one(db)
    .await?;
    let (page, pages) = page_in(total, page);
    let rows = sqlx::query_as(&format!(
        "SELECT id, address, targets, deleted_at, {} AS days_left
         FROM aliases WHERE domain_id = $2 AND deleted_at IS NOT NULL
         ORDER BY deleted_at DESC, id DESC LIMIT $3 OFFSET $4",
        Backend::of(db).days_left("$1", "deleted_at")
    ))
    .bind(i64::from(RETENTION_DAYS))
    .bind(domain.id)
    .bind(i64::from(DELETED_PAGE_SIZE))
    .bind(i64::from(page - 1) * i64::from(DELETED_PAGE_SIZE))
    .fetch_all(db)
    .await?;
    Ok(DeletedPage {
        domain: domain.name.clone(),
        rows,
        page,
        pages,
    })
}

/// The id of the alias at `address` deleted last, for the command line, which names
/// aliases by address.
pub async fn last_deleted(
    db: &AnyPool,
    scope: &DomainScope,
    address: &str,
) -> Result<i64, AppError> {
    let domain = scope.within();
    let address = domain
        .address_of(address)
        .ok_or_else(|| no_alias(address))?;
    sqlx::query_scalar(
        "SELECT id FROM aliases WHERE address = $1 AND domain_id = $2 AND deleted_at IS NOT NULL
         ORDER BY deleted_at DESC, id DESC LIMIT 1",
    )
    .bind(&address)
    .bind(domain.id)
    .fetch_optional(db)
    .await?
    .ok_or_else(|| AppError::NotFound(format!("The deleted alias {address}")))
}

/// Brings back the deleted alias `id` of the domain and returns its address. Refused when its
/// address was taken again meanwhile, or when its targets now make a loop.
pub async fn restore(db: &AnyPool, scope: &DomainScope, id: i64) -> Result<String, AppError> {
    let (domain, actor) = (scope.within(), scope.actor());
    let gone = || AppError::NotFound("The deleted alias".into());
    let row: Option<(String, i64, String)> = sqlx::query_as(
        "SELECT address, domain_id, targets FROM aliases WHERE id = $1 AND deleted_at IS NOT NULL",
    )
    .bind(id)
    .fetch_optional(db)
    .await?;
    let (address, targets) = match row {
        None => return Err(gone()),
        Some((_, domain_id, _)) if domain_id != domain.id => {
            // Another domain's alias is not named: the number is all that was asked.
            record_outside(db, domain, actor, Asked::Row("deleted alias", id)).await?;
            return Err(gone());
        }
        Some((address, _, targets)) => (address, split_targets(&targets)),
    };
    let routes = routing::check_one(db, &domain.name, &address, &targets).await?;
    let mut tx = crate::ssr::storage::db::begin_write(db).await?;
    if let Some(holder) = routing::holder(&mut tx, &address).await? {
        return Err(AppError::Conflict(format!(
            "{} It was taken again after the alias was deleted; delete that one first to restore this alias.",
            routing::taken(&address, holder)
        )));
    }
    routes.refuse(&mut tx).await?;
    let restored: Option<i64> = sqlx::query_scalar(&format!(
        "UPDATE aliases SET deleted_at = NULL, updated_at = {now}
         WHERE id = $1 AND domain_id = $2 AND deleted_at IS NOT NULL RETURNING id",
        now = Backend::of(db).now()
    ))
    .bind(id)
    .bind(domain.id)
    .fetch_optional(&mut *tx)
    .await?;
    if restored.is_none() {
        return Err(gone());
    }
    audit::record(
        &mut tx,
        &Entry::new(actor, Action::AliasRestore, Some(&domain.name), &address),
    )
    .await?;
    tx.commit().await?;
    Ok(address)
}

/// Removes for good, in the caller's transaction, the aliases of every domain deleted more
/// than `retention_days` ago, and returns their addresses; each is audited as the system's
/// doing. The purge of deleted accounts calls it, under the same clock check.
pub async fn purge_expired(
    conn: &mut AnyConnection,
    retention_days: u32,
) -> Result<Vec<String>, AppError> {
    let purged: Vec<(String, String)> = sqlx::query_as(&format!(
        "DELETE FROM aliases WHERE deleted_at IS NOT NULL AND deleted_at < {}
         RETURNING address, deleted_at",
        Backend::of_conn(conn).seconds_ago("$1")
    ))
    .bind(i64::from(retention_days) * 86_400)
    .fetch_all(&mut *conn)
    .await?;
    for (address, deleted_at) in &purged {
        let domain = Address::domain_of(address);
        let domain = domain.as_deref();
        let details = format!("deleted {deleted_at}");
        let entry = Entry {
            details: &details,
            ..Entry::new(Actor::SYSTEM, Action::AliasPurge, domain, address)
        };
        audit::record(conn, &entry).await?;
    }
    Ok(purged.into_iter().map(|(address, _)| address).collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn alpha() -> Domain {
        Domain {
            id: 1,
            name: "alpha.test".into(),
        }
    }

    /// The one field a result's refusal is beside.
    fn beside<T>(result: &Result<T, AppError>) -> Option<Field> {
        match result {
            Err(AppError::Refused(refusal)) => match refusal.problems.as_slice() {
                [problem] => Some(problem.field),
                _ => None,
            },
            _ => None,
        }
    }

    #[test]
    fn an_alias_is_a_name_or_an_address_of_its_domain() {
        assert_eq!(
            alias_address(&alpha(), "Sales").unwrap(),
            "sales@alpha.test"
        );
        assert_eq!(
            alias_address(&alpha(), " sales@Alpha.TEST ").unwrap(),
            "sales@alpha.test"
        );
        for bad in ["", "sales@beta.test", "sa les", ".sales"] {
            assert!(
                beside(&alias_address(&alpha(), bad)) == Some(Field::Alias),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn targets_are_checked_and_an_alias_never_delivers_to_itself() {
        assert_eq!(
            checked_targets("sales@alpha.test", "Ann@alpha.test, bob@x.test").unwrap(),
            ["ann@alpha.test", "bob@x.test"]
        );
        let itself = checked_targets("sales@alpha.test", "ann@alpha.test SALES@alpha.test");
        assert!(
            beside(&itself) == Some(Field::Targets)
                && itself
                    .as_ref()
                    .is_err_and(|e| e.to_string().contains("cannot deliver to itself")),
            "{itself:?}"
        );
        let empty = checked_targets("sales@alpha.test", " , ");
        assert!(beside(&empty) == Some(Field::Targets), "{empty:?}");
    }

    #[test]
    fn only_addresses_of_the_domain_are_in_it() {
        assert_eq!(
            alpha().address_of(" Sales@Alpha.test").as_deref(),
            Some("sales@alpha.test")
        );
        assert_eq!(alpha().address_of("sales@beta.test"), None);
        assert_eq!(alpha().address_of("sales"), None);
    }
}
