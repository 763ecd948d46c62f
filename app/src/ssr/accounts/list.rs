//! The Users list: one page of a domain's accounts, searched and counted in SQL, and the
//! usage figures other screens show too. Every step costs the same on a domain of a million
//! accounts as on a small one: the total comes from the counts the database keeps, pages
//! start at an address (keyset), and a rare term is looked up in the trigram index.

use sqlx::{QueryBuilder, Sqlite, SqlitePool};

use crate::error::AppError;
use crate::model::accounts::{AccountPage, AccountRow, PageStart, PAGE_SIZE};
use crate::ssr::caller::DomainScope;

/// Search matches counted at most; past it the list says "1000+" and pages on, the end unknown:
/// nobody reads a thousand matches, and counting them all costs a scan of the domain. A term
/// the index finds no more often than this is looked up there; a broader one is found sooner
/// by reading the domain in address order.
const MAX_COUNTED: i64 = 1_000;

/// An account's size in bytes: as Dovecot last counted it (`mailbox_usage`, kept by its
/// quota_clone plugin), else as the last Rebuild mailbox measured it.
pub(crate) const USAGE_BYTES: &str =
    "COALESCE((SELECT bytes FROM mailbox_usage u WHERE u.email = mailboxes.email), mailbox_bytes)";
/// An account's message count, from the same sources as [`USAGE_BYTES`].
pub(super) const USAGE_MESSAGES: &str = "COALESCE((SELECT messages FROM mailbox_usage u WHERE u.email = mailboxes.email), message_count)";

/// One page of a domain's live accounts in address order, from `start`, filtered by a search
/// on the local part or the names (substring, ASCII case-insensitive, as SQL's LIKE).
/// `page` is the number the link carried, kept in range for "Page N of M".
pub async fn list(
    db: &SqlitePool,
    scope: &DomainScope,
    search: &str,
    start: &PageStart,
    page: u32,
) -> Result<AccountPage, AppError> {
    let matcher = Matcher::of(db, search.trim()).await?;
    let (forward, key) = match start {
        PageStart::First => (true, None),
        PageStart::After(address) => (true, Some(local_part(address))),
        PageStart::Before(address) => (false, Some(local_part(address))),
    };
    let (mut rows, mut beyond) = read_page(db, scope, &matcher, forward, key).await?;
    let (mut has_previous, mut has_next) = if forward {
        (key.is_some(), beyond)
    } else {
        (beyond, true)
    };
    if rows.is_empty() && key.is_some() {
        // Nothing past the address (the accounts were deleted, or the link was made up): the
        // last page going on, the first going back.
        (rows, beyond) = read_page(db, scope, &matcher, !forward, None).await?;
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
    Ok(AccountPage {
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

/// The local part of an address a link carries: the list is in local-part order, which is not
/// the order of whole addresses (`a.b@` sorts before `a@`).
fn local_part(address: &str) -> &str {
    address.split_once('@').map_or(address, |(local, _)| local)
}

/// How a search picks its accounts. Every way gives the rows the LIKE rule gives; the index
/// only narrows the rows the rule is tried on.
enum Matcher {
    All,
    /// The LIKE rule on every live account of the domain, read in address order: terms of one
    /// or two characters, and terms so common that a page of them is found in a few rows.
    Scan {
        pattern: String,
    },
    /// The LIKE rule on the trigram index's candidates only (a rare term of three or more
    /// characters). The index folds non-ASCII case and LIKE does not, so the rule still decides.
    Indexed {
        pattern: String,
        phrase: String,
    },
}

impl Matcher {
    async fn of(db: &SqlitePool, term: &str) -> Result<Self, AppError> {
        if term.is_empty() {
            return Ok(Self::All);
        }
        let pattern = format!(
            "%{}%",
            term.replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_")
        );
        // Trigrams answer terms of three characters or more.
        if term.chars().count() < 3 {
            return Ok(Self::Scan { pattern });
        }
        let phrase = fts_phrase(term);
        // Candidates in every domain, live or deleted: an upper bound, read from the index alone.
        let candidates: i64 = sqlx::query_scalar(
            "SELECT COUNT(*) FROM (SELECT 1 FROM mailboxes_search WHERE mailboxes_search MATCH ? LIMIT ?)",
        )
        .bind(&phrase)
        .bind(MAX_COUNTED + 1)
        .fetch_one(db)
        .await?;
        Ok(if candidates > MAX_COUNTED {
            Self::Scan { pattern }
        } else {
            Self::Indexed { pattern, phrase }
        })
    }

    /// The conditions on `mailboxes` after `WHERE`, for the domain's live accounts that match.
    fn push_filter(&self, sql: &mut QueryBuilder<'_, Sqlite>, domain_id: i64) {
        let pattern = match self {
            Self::All => {
                sql.push("domain_id = ")
                    .push_bind(domain_id)
                    .push(" AND deleted_at IS NULL");
                return;
            }
            Self::Scan { pattern } => {
                sql.push("domain_id = ").push_bind(domain_id);
                pattern
            }
            Self::Indexed { pattern, phrase } => {
                // The unary + keeps the planner off the domain's address index: the few
                // candidates are fetched by id and sorted, instead of the domain being read in
                // order and each account tested against them.
                sql.push("+domain_id = ")
                    .push_bind(domain_id)
                    .push(" AND id IN (SELECT rowid FROM mailboxes_search WHERE mailboxes_search MATCH ")
                    .push_bind(phrase.clone())
                    .push(")");
                pattern
            }
        };
        sql.push(" AND deleted_at IS NULL AND (");
        for (n, column) in ["local_part", "first_name", "last_name"]
            .into_iter()
            .enumerate()
        {
            if n > 0 {
                sql.push(" OR ");
            }
            sql.push(column)
                .push(" LIKE ")
                .push_bind(pattern.clone())
                .push(" ESCAPE '\\'");
        }
        sql.push(")");
    }

    fn indexed(&self) -> bool {
        matches!(self, Self::Indexed { .. })
    }
}

/// A term as one FTS5 phrase: quoted, its quotes doubled, so `OR`, `NEAR`, `*` or `"` in it are
/// text to find, never query syntax.
fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// Up to a page of matching accounts next to `key` (from either end without one), in address
/// order, and whether more lie beyond them in the direction read.
async fn read_page(
    db: &SqlitePool,
    scope: &DomainScope,
    matcher: &Matcher,
    forward: bool,
    key: Option<&str>,
) -> Result<(Vec<AccountRow>, bool), AppError> {
    let mut sql = QueryBuilder::new(format!(
        "SELECT email, first_name, last_name, active = 1 AS active, substr(created_at, 1, 10) AS created,
                {USAGE_BYTES} AS mailbox_bytes
         FROM mailboxes WHERE "
    ));
    matcher.push_filter(&mut sql, scope.domain_id());
    // The indexed search sorts its few candidates; the rest read the address index in order.
    let column = if matcher.indexed() {
        "+local_part"
    } else {
        "local_part"
    };
    if let Some(key) = key {
        sql.push(format!(
            " AND {column} {} ",
            if forward { ">" } else { "<" }
        ))
        .push_bind(key.to_owned());
    }
    sql.push(format!(
        " ORDER BY local_part {} LIMIT ",
        if forward { "ASC" } else { "DESC" }
    ))
    .push_bind(i64::from(PAGE_SIZE) + 1);
    let mut rows: Vec<AccountRow> = sql.build_query_as().fetch_all(db).await?;
    let beyond = rows.len() > PAGE_SIZE as usize;
    rows.truncate(PAGE_SIZE as usize);
    if !forward {
        rows.reverse();
    }
    Ok((rows, beyond))
}

/// The matches counted, and whether counting stopped at [`MAX_COUNTED`]. Without a search, the
/// domain's live count as the database keeps it; a first page that is the whole answer is its
/// own count.
async fn count(
    db: &SqlitePool,
    scope: &DomainScope,
    matcher: &Matcher,
    first_page: bool,
    rows: &[AccountRow],
    has_next: bool,
) -> Result<(i64, bool), AppError> {
    if first_page && !has_next {
        return Ok((rows.len() as i64, false));
    }
    if let Matcher::All = matcher {
        let live: Option<i64> =
            sqlx::query_scalar("SELECT live FROM domain_account_counts WHERE domain_id = ?")
                .bind(scope.domain_id())
                .fetch_optional(db)
                .await?;
        return Ok((live.unwrap_or(0), false));
    }
    let mut sql = QueryBuilder::new("SELECT COUNT(*) FROM (SELECT 1 FROM mailboxes WHERE ");
    matcher.push_filter(&mut sql, scope.domain_id());
    sql.push(" LIMIT ").push_bind(MAX_COUNTED + 1).push(")");
    let counted: i64 = sql.build_query_scalar().fetch_one(db).await?;
    Ok((counted.min(MAX_COUNTED), counted > MAX_COUNTED))
}
