//! The Users list: one page of a domain's accounts, searched and counted in SQL, and the
//! usage figures other screens show too. Every step costs the same on a domain of a million
//! accounts as on a small one: the total comes from the counts the database keeps, pages
//! start at an address (keyset), and a rare term is looked up in the trigram index.

use sqlx::AnyPool;

use crate::error::AppError;
use crate::model::accounts::{AccountRow, AccountSlice, PageStart, PAGE_SIZE};
use crate::ssr::access::caller::DomainScope;
use crate::ssr::services::MAX_COUNTED;
use crate::ssr::storage::db::{contains_pattern, escape_like, fts_phrase, Backend};
use crate::validate::{check_text, ADDRESS_MAX, SEARCH_MAX};

/// Candidates read from the trigram index at most: a few past the count's cap, so that a broad
/// term's count can be proven among them even when some are deleted or in other domains.
const SAMPLED: i64 = MAX_COUNTED + 200;

/// An account's size in bytes: as Dovecot last counted it (`mailbox_usage`, kept by its
/// quota_clone plugin), else as the last Rebuild mailbox measured it.
pub(crate) const USAGE_BYTES: &str =
    "COALESCE((SELECT bytes FROM mailbox_usage u WHERE u.email = mailboxes.email), mailbox_bytes)";
/// An account's message count, from the same sources as [`USAGE_BYTES`].
pub(super) const USAGE_MESSAGES: &str = "COALESCE((SELECT messages FROM mailbox_usage u WHERE u.email = mailboxes.email), message_count)";

/// One page of a domain's live accounts in address order, from `start`, filtered by a search
/// (substring, ASCII case-insensitive, as SQL's LIKE) on the local part or the names, on the
/// whole address for a term with `@`, on the full name for a term with a space.
/// `page` is the number the link carried, kept in range for "Page N of M".
pub async fn list(
    db: &AnyPool,
    scope: &DomainScope,
    search: &str,
    start: &PageStart,
    page: u32,
) -> Result<AccountSlice, AppError> {
    let search = check_text("A search", search, SEARCH_MAX).map_err(AppError::Invalid)?;
    if let PageStart::After(address) | PageStart::Before(address) = start {
        check_text("A page's address", address, ADDRESS_MAX).map_err(AppError::Invalid)?;
    }
    let matcher = Matcher::of(db, scope, search.trim()).await?;
    let (forward, key) = match start {
        PageStart::First => (true, None),
        PageStart::After(address) => (true, Some(local_part(address))),
        PageStart::Before(address) => (false, Some(local_part(address))),
    };
    let (mut rows, mut beyond, mut live) = read_page(db, scope, &matcher, forward, key).await?;
    let (mut has_previous, mut has_next) = if forward {
        (key.is_some(), beyond)
    } else {
        (beyond, true)
    };
    if rows.is_empty() && key.is_some() {
        // Nothing past the address (the accounts were deleted, or the link was made up): the
        // last page going on, the first going back.
        (rows, beyond, live) = read_page(db, scope, &matcher, !forward, None).await?;
        (has_previous, has_next) = if forward {
            (beyond, false)
        } else {
            (false, beyond)
        };
    }
    let (total, more) = count(
        db,
        scope,
        &matcher,
        key.is_none() && forward,
        &rows,
        has_next,
        live,
    )
    .await?;
    let counted_pages = u32::try_from(total.max(1))
        .unwrap_or(u32::MAX)
        .div_ceil(PAGE_SIZE);
    let page = if !has_previous {
        1
    } else if !has_next && !more {
        counted_pages
    } else {
        // Between the ends: the carried number, short of the last page when more follow.
        let last = if more {
            u32::MAX
        } else {
            counted_pages.saturating_sub(1)
        };
        page.min(last).max(2)
    };
    // Past the counted matches a full page promises another.
    let pages = counted_pages.max(page.saturating_add(u32::from(has_next)));
    Ok(AccountSlice {
        domain: scope.domain().to_owned(),
        rows,
        total: total as u64,
        more,
        page,
        pages,
        has_previous,
        has_next,
    })
}

/// Rows read at a time when every match of a search is gathered.
const MATCHES_STEP: i64 = 1_000;

/// Every live account of the domain that `search` finds now, by the list's rule and in its
/// order, however many: what deleting all the matches of a search deletes. An empty search is
/// refused, so that leaving the field empty never stands for the whole domain.
pub async fn matching(
    db: &AnyPool,
    scope: &DomainScope,
    search: &str,
) -> Result<Vec<String>, AppError> {
    let term = check_text("A search", search, SEARCH_MAX)
        .map_err(AppError::Invalid)?
        .trim();
    if term.is_empty() {
        return Err(AppError::Invalid(SEARCH_FIRST.into()));
    }
    let matcher = Matcher::of(db, scope, term).await?;
    let filter = matcher.filter(Backend::of(db));
    let next = filter.next();
    let sql = format!(
        "SELECT email, local_part FROM mailboxes WHERE {} AND local_part > ${next}
         ORDER BY local_part LIMIT ${}",
        filter.sql,
        next + 1
    );
    let mut all = Vec::new();
    // A local part is never empty: every one sorts after "".
    let mut after = String::new();
    loop {
        let mut query = sqlx::query_as(&sql).bind(scope.domain_id());
        for text in &filter.texts {
            query = query.bind(text);
        }
        let step: Vec<(String, String)> =
            query.bind(&after).bind(MATCHES_STEP).fetch_all(db).await?;
        let full = step.len() as i64 == MATCHES_STEP;
        if let Some((_, last)) = step.last() {
            after.clone_from(last);
        }
        all.extend(step.into_iter().map(|(email, _)| email));
        if !full {
            return Ok(all);
        }
    }
}

/// The refusal of "every match" with no search: there is nothing to match.
pub const SEARCH_FIRST: &str =
    "Search first: all the matches of a search are deleted, never a whole domain.";

/// The local part of an address a link carries: the list is in local-part order, which is not
/// the order of whole addresses (`a.b@` sorts before `a@`).
fn local_part(address: &str) -> &str {
    address.split_once('@').map_or(address, |(local, _)| local)
}

/// How a search picks its accounts. Every way gives the rows its [`Rule`] gives; the index
/// only narrows the rows the rule is tried on.
enum Matcher {
    All,
    /// A term whose address half names another domain: no account of this one has it.
    Nothing,
    /// The rule on every live account of the domain, read in address order: terms of one
    /// or two characters, and terms so common that a page of them is found in a few rows. On
    /// PostgreSQL every term: its planner weighs the trigram indexes itself. `sample` holds the
    /// ids of the first [`SAMPLED`] candidates the index gave, when it was asked.
    Scan {
        rule: Rule,
        sample: Option<String>,
    },
    /// The rule on the trigram index's candidates only (a rare term of three or more
    /// characters, on SQLite), their ids a JSON array. The index folds non-ASCII case and LIKE
    /// does not, so the rule still decides.
    Indexed {
        rule: Rule,
        ids: String,
    },
}

/// What a term is looked for in, as LIKE patterns (substring, ASCII case-insensitive).
enum Rule {
    /// A term with neither `@` nor a space: the local part, the first or the last name.
    Text { pattern: String },
    /// A term with `@` whose domain half begins the domain's name: the term is in the whole
    /// address exactly when its local half ends the local part, which the local part's index
    /// answers (a full address finds its account).
    Address { suffix: String },
    /// A term with a space: the full name, "first last", so "Anna Berg" finds Anna Berg.
    /// `piece` is its longest word, which lies in the first or the last name of every match:
    /// the names' indexes narrow on it.
    Name { pattern: String, piece: String },
}

impl Rule {
    /// The rule for a trimmed, non-empty term in `domain`; `None` when no account there can match.
    fn of(term: &str, domain: &str) -> Option<Self> {
        if let Some((local, domain_half)) = term.split_once('@') {
            // An address holds one `@`; the domain is stored lowercase, and LIKE folds ASCII case.
            let begins = domain.starts_with(&domain_half.to_ascii_lowercase());
            return (begins && !domain_half.contains('@')).then(|| Self::Address {
                suffix: format!("%{}", escape_like(local)),
            });
        }
        if term.contains(' ') {
            let piece = term
                .split(' ')
                .max_by_key(|word| word.chars().count())
                .unwrap_or(term);
            return Some(Self::Name {
                pattern: contains_pattern(term),
                piece: piece.to_owned(),
            });
        }
        Some(Self::Text {
            pattern: contains_pattern(term),
        })
    }

    /// The text the trigram index is asked for: in every match's indexed columns. For an
    /// address, its local half, which every match's address holds too: the domain's half is
    /// in every account of the domain, and its trigrams would only slow the index down.
    fn indexed<'a>(&'a self, term: &'a str) -> &'a str {
        match self {
            Self::Text { .. } => term,
            Self::Address { .. } => term.split_once('@').map_or(term, |(local, _)| local),
            Self::Name { piece, .. } => piece,
        }
    }

    /// The rule's conditions, its texts bound from placeholder `$first` on.
    fn sql(&self, backend: Backend, first: usize) -> (String, Vec<String>) {
        // SQLite's LIKE folds ASCII case; on PostgreSQL it takes ILIKE.
        let like = match backend {
            Backend::Sqlite => "LIKE",
            Backend::Postgres => "ILIKE",
        };
        let test = |column: &str, n: usize| format!("{column} {like} ${n} ESCAPE '\\'");
        match self {
            Self::Text { pattern } => (
                format!(
                    "({} OR {} OR {})",
                    test("local_part", first),
                    test("first_name", first),
                    test("last_name", first)
                ),
                vec![pattern.clone()],
            ),
            Self::Address { suffix } => (test("local_part", first), vec![suffix.clone()]),
            Self::Name { pattern, piece } => (
                format!(
                    "{} AND ({} OR {})",
                    test("(first_name || ' ' || last_name)", first),
                    test("first_name", first + 1),
                    test("last_name", first + 1)
                ),
                vec![pattern.clone(), contains_pattern(piece)],
            ),
        }
    }
}

/// The text of a filter and its binds: the domain's id is always `$1`, the texts follow.
struct Filter {
    sql: String,
    texts: Vec<String>,
}

impl Filter {
    /// The number of the placeholder after the filter's.
    fn next(&self) -> usize {
        self.texts.len() + 2
    }
}

impl Matcher {
    async fn of(db: &AnyPool, scope: &DomainScope, term: &str) -> Result<Self, AppError> {
        if term.is_empty() {
            return Ok(Self::All);
        }
        let Some(rule) = Rule::of(term, scope.domain()) else {
            return Ok(Self::Nothing);
        };
        let indexed = rule.indexed(term);
        // Trigrams answer terms of three characters or more.
        if indexed.chars().count() < 3 || Backend::of(db) == Backend::Postgres {
            return Ok(Self::Scan { rule, sample: None });
        }
        // Candidates in every domain, live or deleted, read from the index once: their ids, as
        // one JSON array, serve the page and the count without asking the index again.
        let (candidates, ids): (i64, String) = sqlx::query_as(
            "SELECT COUNT(*), json_group_array(rowid) FROM
               (SELECT rowid FROM mailboxes_search WHERE mailboxes_search MATCH $1 LIMIT $2)",
        )
        .bind(fts_phrase(indexed))
        .bind(SAMPLED)
        .fetch_one(db)
        .await?;
        Ok(if candidates > MAX_COUNTED {
            Self::Scan {
                rule,
                sample: Some(ids),
            }
        } else {
            Self::Indexed { rule, ids }
        })
    }

    /// The conditions on `mailboxes` after `WHERE`, for the domain's live accounts that match.
    fn filter(&self, backend: Backend) -> Filter {
        let live = "domain_id = $1 AND deleted_at IS NULL";
        let (rule, ids) = match self {
            Self::All => {
                return Filter {
                    sql: live.to_owned(),
                    texts: Vec::new(),
                }
            }
            Self::Nothing => {
                return Filter {
                    sql: format!("{live} AND 1 = 0"),
                    texts: Vec::new(),
                }
            }
            Self::Scan { rule, .. } => (rule, None),
            Self::Indexed { rule, ids } => (rule, Some(ids)),
        };
        let (sql, mut texts) = rule.sql(backend, 2);
        let sql = match ids {
            None => format!("{live} AND {sql}"),
            // The unary + keeps the planner off the domain's address index: the few candidates
            // are fetched by id and sorted, instead of the domain being read in order and each
            // account tested against them.
            Some(ids) => {
                texts.push(ids.clone());
                format!(
                    "+domain_id = $1 AND deleted_at IS NULL AND {sql} AND id IN \
                     (SELECT value FROM json_each(${}))",
                    texts.len() + 1
                )
            }
        };
        Filter { sql, texts }
    }

    fn indexed(&self) -> bool {
        matches!(self, Self::Indexed { .. })
    }
}

/// A row of the list as [`Backend::json_rows`] writes it: the columns of [`AccountRow`] in
/// order, the flag as 0 or 1.
type JsonRow = (String, String, String, i64, String, Option<i64>);

/// Up to a page of matching accounts next to `key` (from either end without one), in address
/// order, whether more lie beyond them in the direction read, and without a search the
/// domain's live count, read with them (one query fewer per page).
async fn read_page(
    db: &AnyPool,
    scope: &DomainScope,
    matcher: &Matcher,
    forward: bool,
    key: Option<&str>,
) -> Result<(Vec<AccountRow>, bool, Option<i64>), AppError> {
    let backend = Backend::of(db);
    let filter = matcher.filter(backend);
    // The indexed search sorts its few candidates; the rest read the address index in order.
    let column = if matcher.indexed() {
        "+local_part"
    } else {
        "local_part"
    };
    let mut next = filter.next();
    let from_key = if key.is_some() {
        next += 1;
        format!(
            " AND {column} {} ${}",
            if forward { ">" } else { "<" },
            next - 1
        )
    } else {
        String::new()
    };
    let live = match matcher {
        Matcher::All => "(SELECT live FROM domain_account_counts WHERE domain_id = $1)",
        _ => "CAST(NULL AS BIGINT)",
    };
    let order = format!("local_part {}", if forward { "ASC" } else { "DESC" });
    let rows = backend.json_rows(
        "email, first_name, last_name, active, created, mailbox_bytes",
        &order,
    );
    let sql = format!(
        "SELECT {rows} AS page, {live} AS live FROM (
           SELECT email, first_name, last_name, active, substr(created_at, 1, 10) AS created,
                  {USAGE_BYTES} AS mailbox_bytes, local_part
           FROM mailboxes WHERE {}{from_key} ORDER BY {order} LIMIT ${next}) AS listed",
        filter.sql,
    );
    let mut query = sqlx::query_as(&sql).bind(scope.domain_id());
    for text in &filter.texts {
        query = query.bind(text);
    }
    if let Some(key) = key {
        query = query.bind(key);
    }
    let (page, live): (String, Option<i64>) =
        query.bind(i64::from(PAGE_SIZE) + 1).fetch_one(db).await?;
    let listed: Vec<JsonRow> =
        serde_json::from_str(&page).map_err(|error| sqlx::Error::Decode(error.into()))?;
    let mut rows: Vec<AccountRow> = listed
        .into_iter()
        .map(
            |(email, first_name, last_name, active, created, mailbox_bytes)| AccountRow {
                email,
                first_name,
                last_name,
                active: active != 0,
                created,
                mailbox_bytes,
            },
        )
        .collect();
    let beyond = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    if !forward {
        rows.reverse();
    }
    Ok((rows, beyond, live))
}

/// The matches counted, and whether counting stopped at [`MAX_COUNTED`]. Without a search, the
/// domain's live count as the database keeps it (`live`, when read with the rows); a first
/// page that is the whole answer is its own count.
async fn count(
    db: &AnyPool,
    scope: &DomainScope,
    matcher: &Matcher,
    first_page: bool,
    rows: &[AccountRow],
    has_next: bool,
    live: Option<i64>,
) -> Result<(i64, bool), AppError> {
    if first_page && !has_next {
        return Ok((rows.len() as i64, false));
    }
    if let Some(live) = live {
        return Ok((live, false));
    }
    if let Matcher::All = matcher {
        let live: Option<i64> =
            sqlx::query_scalar("SELECT live FROM domain_account_counts WHERE domain_id = $1")
                .bind(scope.domain_id())
                .fetch_optional(db)
                .await?;
        return Ok((live.unwrap_or(0), false));
    }
    if let Matcher::Scan {
        rule,
        sample: Some(ids),
    } = matcher
    {
        // A broad term: when more than the cap of the index's first candidates match, so do
        // more than the cap in the domain, which lookups by id tell sooner than reading the
        // domain until the cap's matches are found.
        let (rule, texts) = rule.sql(Backend::Sqlite, 3);
        let sql = format!(
            "SELECT COUNT(*) FROM (SELECT 1 FROM json_each($2) AS sampled
               CROSS JOIN mailboxes ON mailboxes.id = sampled.value
               WHERE +domain_id = $1 AND deleted_at IS NULL AND {rule} LIMIT ${})",
            texts.len() + 3
        );
        let mut query = sqlx::query_scalar(&sql).bind(scope.domain_id()).bind(ids);
        for text in &texts {
            query = query.bind(text);
        }
        let sampled: i64 = query.bind(MAX_COUNTED + 1).fetch_one(db).await?;
        if sampled > MAX_COUNTED {
            return Ok((MAX_COUNTED, true));
        }
    }
    let counted = matched(db, scope, matcher).await?;
    Ok((counted.min(MAX_COUNTED), counted > MAX_COUNTED))
}

/// The matches of `matcher` in the domain, counted up to one past [`MAX_COUNTED`].
async fn matched(db: &AnyPool, scope: &DomainScope, matcher: &Matcher) -> Result<i64, AppError> {
    let filter = matcher.filter(Backend::of(db));
    let sql = format!(
        "SELECT COUNT(*) FROM (SELECT 1 FROM mailboxes WHERE {} LIMIT ${}) AS matched",
        filter.sql,
        filter.next()
    );
    let mut query = sqlx::query_scalar(&sql).bind(scope.domain_id());
    for text in &filter.texts {
        query = query.bind(text);
    }
    Ok(query.bind(MAX_COUNTED + 1).fetch_one(db).await?)
}
