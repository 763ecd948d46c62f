//! The Aliases list of a large domain: every page is the page the LIKE rule and an OFFSET give,
//! with or without a search, whether the count the database keeps, the trigram index or a scan
//! answers it; a broad search counts to a thousand and says there are more.

mod support;

use app::model::aliases::AliasSlice;
use app::ssr::access::caller::{Caller, DomainScope};
use app::ssr::services::aliases;
use support::console::Console;
use support::*;

/// Aliases with the characters a LIKE pattern or a trigram query could take for its own: `%`,
/// `_`, `\`, quotes, non-ASCII letters, and words of FTS5's syntax.
const AWKWARD: [(&str, &str); 7] = [
    ("a_b", "50%off@elsewhere.example"),
    ("a%b", "back\\slash@elsewhere.example"),
    ("jürgen", "müller@elsewhere.example"),
    ("quote", "\"or\"@elsewhere.example"),
    (
        "near",
        "near(a b)@elsewhere.example, star*@elsewhere.example",
    ),
    ("a.b", "a@alpha.test"),
    ("a", "a.b@alpha.test"),
];

/// `count` aliases of alpha.test, teamNNNNN, each delivering to two accounts' addresses and
/// every tenth to an outside address too; the [`AWKWARD`] ones; and as many in beta.test, which
/// no list of alpha.test may show. Some are deleted, restored or purged, as the count kept for
/// the domain and the index must follow.
async fn seed(server: &TestServer, count: usize) {
    let mut rows: Vec<(String, String)> = (0..count)
        .map(|n| {
            let mut targets = format!(
                "user{:06}@alpha.test, user{:06}@alpha.test",
                n * 7,
                n * 7 + 1
            );
            if n % 10 == 0 {
                targets.push_str(&format!(", partner{}@elsewhere.example", n / 10));
            }
            (format!("team{n:05}"), targets)
        })
        .collect();
    rows.extend(AWKWARD.map(|(local, targets)| (local.to_owned(), targets.to_owned())));
    let mut tx = server.db.begin().await.unwrap();
    for domain in ["alpha.test", "beta.test"] {
        for (local, targets) in &rows {
            sqlx::query(
                "INSERT INTO aliases (domain_id, local_part, address, targets)
                 SELECT id, $1, $1 || '@' || name, $2 FROM domains WHERE name = $3",
            )
            .bind(local)
            .bind(targets)
            .bind(domain)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    for step in [
        // Deleted aliases are never listed; restored ones are again; purged ones are gone.
        "UPDATE aliases SET deleted_at = 'x' WHERE local_part LIKE '%7' OR local_part LIKE '%3'",
        "UPDATE aliases SET deleted_at = NULL WHERE local_part LIKE '%3'",
        "DELETE FROM aliases WHERE local_part LIKE '%5'",
        // A change of targets is searched as it now is.
        "UPDATE aliases SET targets = 'changed@elsewhere.example' WHERE local_part LIKE '%01'",
    ] {
        sqlx::query(step).execute(&mut *tx).await.unwrap();
    }
    tx.commit().await.unwrap();
    let mismatched: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM domain_alias_counts c WHERE c.live <> (SELECT COUNT(*)
             FROM aliases a WHERE a.domain_id = c.domain_id AND a.deleted_at IS NULL)",
    )
    .fetch_one(&server.db)
    .await
    .unwrap();
    assert_eq!(mismatched, 0, "the counts kept for the domains");
}

async fn alpha(server: &TestServer) -> DomainScope {
    DomainScope::of(&server.db, Caller::Operator, Some("alpha.test"))
        .await
        .unwrap()
}

/// alpha.test's live aliases with the lowercased `term` in the address or the targets, as the
/// list found them with LIKE and OFFSET: `limit` of them from `offset`, in address order.
async fn like(server: &TestServer, term: &str, offset: i64, limit: i64) -> Vec<String> {
    let pattern = format!(
        "%{}%",
        term.trim()
            .to_lowercase()
            .replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    sqlx::query_scalar(
        "SELECT a.address FROM aliases a JOIN domains d ON d.id = a.domain_id
         WHERE d.name = 'alpha.test' AND a.deleted_at IS NULL
           AND (a.address LIKE $1 ESCAPE '\\' OR a.targets LIKE $1 ESCAPE '\\')
         ORDER BY a.local_part LIMIT $2 OFFSET $3",
    )
    .bind(pattern)
    .bind(limit)
    .bind(offset)
    .fetch_all(&server.db)
    .await
    .unwrap()
}

fn addresses(page: &AliasSlice) -> Vec<String> {
    page.rows.iter().map(|row| row.address.clone()).collect()
}

#[tokio::test]
async fn every_page_of_every_search_is_the_page_like_and_offset_give() {
    let server = TestServer::new().await;
    seed(&server, 2_600).await;
    let scope = alpha(&server).await;
    for term in [
        // No search: the count kept for the domain.
        "",
        // Rare terms the index answers, in the address or in the targets only.
        "team00042",
        "TEAM0004",
        "user000700",
        "partner1",
        "changed",
        "elsewhere",
        // Broad terms a scan answers, counted to a thousand.
        "team",
        "alpha.test",
        "user00",
        // Short terms LIKE answers.
        "te",
        "t",
        "@",
        // What LIKE or FTS5 could read as their own.
        "%",
        "_",
        "\\",
        "a_b",
        "50%",
        "a%b",
        "k\\s",
        "\"",
        "\"or\"",
        "near(",
        "star*",
        "or",
        "a.b",
        // Upper case and non-ASCII letters.
        "JÜRGEN",
        "Müller",
        "ü",
        "ÜRG",
        "zzz",
        "  team00042  ",
    ] {
        let expected = like(&server, term, 0, i64::MAX).await;
        let found = expected.len();
        let mut number = 1;
        let mut listed = vec![];
        loop {
            let page = aliases::list(&server.db, &scope, term, number)
                .await
                .unwrap();
            let offset = i64::from(number - 1) * 50;
            assert_eq!(
                addresses(&page),
                like(&server, term, offset, 50).await,
                "page {number} of {term:?}"
            );
            assert_eq!(page.page, number, "the page of {term:?}");
            assert_eq!(
                (page.total as usize, page.more),
                if term.is_empty() || found <= 1000 {
                    (found, false)
                } else {
                    (1000, true)
                },
                "the count of {term:?}"
            );
            if !page.more {
                assert_eq!(page.pages as usize, found.max(1).div_ceil(50), "{term:?}");
            }
            listed.extend(addresses(&page));
            if number >= page.pages {
                break;
            }
            number += 1;
        }
        assert_eq!(listed, expected, "every match of {term:?}");
        // A made-up page number shows the last page, counted in full.
        let far = aliases::list(&server.db, &scope, term, 4_000_000)
            .await
            .unwrap();
        let pages = found.max(1).div_ceil(50);
        assert_eq!(
            (
                far.page as usize,
                far.pages as usize,
                far.total as usize,
                far.more
            ),
            (pages, pages, found, false),
            "past the end of {term:?}"
        );
        let last = like(&server, term, (pages as i64 - 1) * 50, 50).await;
        assert_eq!(addresses(&far), last, "the last page of {term:?}");
    }
}

#[tokio::test]
async fn a_broad_search_says_it_found_more_than_it_counted() {
    let console = Console::new().await;
    let server = &console.server;
    seed(server, 2_600).await;
    let scope = alpha(server).await;
    let first = aliases::list(&server.db, &scope, "team", 1).await.unwrap();
    assert_eq!(
        (first.total, first.more, first.page, first.pages),
        (1000, true, 1, 20)
    );
    // Past the thousand counted, a full page promises another.
    let deep = aliases::list(&server.db, &scope, "team", 30).await.unwrap();
    assert_eq!((deep.page, deep.pages, deep.more), (30, 31, true));

    // The screen says so, as the Users list does.
    let cookie = Some(console.cookie.as_str());
    let html = server.get("/aliases?q=team", cookie).await.body;
    assert!(html.contains("1,000+ aliases in alpha.test"), "{html}");
    assert!(html.contains("Page 1 of 20+"), "{html}");
    let html = server.get("/aliases?q=TEAM00042", cookie).await.body;
    assert!(html.contains("1 alias in alpha.test"), "{html}");
    assert!(
        !html.contains("+ alias") && !html.contains("of 1+"),
        "{html}"
    );
}
