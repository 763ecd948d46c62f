//! The Users list of a large domain: pages start at an address and are the pages an OFFSET
//! would give, however deep; a search finds what the LIKE rule finds, whether the trigram
//! index or a scan answers it; query syntax in a term is text to find.

mod support;

use app::error::AppError;
use app::model::accounts::{AccountSlice, PageStart};
use app::ssr::access::caller::{Caller, DomainScope};
use app::ssr::services::accounts;
use support::*;

const SURNAMES: [&str; 4] = ["Smith", "Jones", "O'Brien", "Smithers"];

/// `count` accounts of alpha.test, userNNNNN, named Pat or Kim and one of [`SURNAMES`]; a few
/// of other shapes (dots, which sort before `@`); and as many in beta.test, which no list of
/// alpha.test may show.
async fn seed(server: &TestServer, count: usize) {
    let mut tx = server.db.begin().await.unwrap();
    let mut locals: Vec<(String, String, String)> = (0..count)
        .map(|n| {
            let first = if n % 3 == 0 { "Kim" } else { "Pat" };
            (
                format!("user{n:05}"),
                first.to_owned(),
                SURNAMES[n % SURNAMES.len()].to_owned(),
            )
        })
        .collect();
    for local in ["user00001.b", "user00001-a", "a.b", "a"] {
        locals.push((local.to_owned(), "Dot".to_owned(), "Case".to_owned()));
    }
    for domain in ["alpha.test", "beta.test"] {
        for (local, first, last) in &locals {
            sqlx::query(
                "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, first_name, last_name, maildir)
                 SELECT id, $1, $1 || '@' || name, 'x', $2, $3, name || '/' || $1 || '.seed/'
                 FROM domains WHERE name = $4",
            )
            .bind(local)
            .bind(first)
            .bind(last)
            .bind(domain)
            .execute(&mut *tx)
            .await
            .unwrap();
        }
    }
    // Deleted accounts are never listed.
    sqlx::query("UPDATE mailboxes SET deleted_at = 'x' WHERE local_part LIKE '%7'")
        .execute(&mut *tx)
        .await
        .unwrap();
    tx.commit().await.unwrap();
}

async fn alpha(server: &TestServer) -> DomainScope {
    DomainScope::of(&server.db, Caller::Operator, Some("alpha.test"))
        .await
        .unwrap()
}

/// alpha.test's live accounts matching `term` by the LIKE rule (local part or full name; the
/// whole address for a term with `@`), in the list's order, `limit` from `offset`.
async fn like(server: &TestServer, term: &str, offset: i64, limit: i64) -> Vec<String> {
    let pattern = format!(
        "%{}%",
        term.replace('\\', "\\\\")
            .replace('%', "\\%")
            .replace('_', "\\_")
    );
    sqlx::query_scalar(
        "SELECT m.email FROM mailboxes m JOIN domains d ON d.id = m.domain_id
         WHERE d.name = 'alpha.test' AND m.deleted_at IS NULL
           AND CASE WHEN $4 THEN lower(m.email) LIKE lower($1) ESCAPE '\\'
               ELSE lower(m.local_part) LIKE lower($1) ESCAPE '\\'
                 OR lower(m.first_name || ' ' || m.last_name) LIKE lower($1) ESCAPE '\\' END
         ORDER BY m.local_part LIMIT $2 OFFSET $3",
    )
    .bind(pattern)
    .bind(limit)
    .bind(offset)
    .bind(term.contains('@'))
    .fetch_all(&server.db)
    .await
    .unwrap()
}

fn emails(page: &AccountSlice) -> Vec<String> {
    page.rows.iter().map(|row| row.email.clone()).collect()
}

/// Every match of `term`, following the Next links from the first page.
async fn every_match(server: &TestServer, term: &str) -> Vec<String> {
    let scope = alpha(server).await;
    let mut page = accounts::list(&server.db, &scope, term, &PageStart::First, 1)
        .await
        .unwrap();
    let mut found = emails(&page);
    while page.has_next {
        let after = PageStart::After(found.last().unwrap().clone());
        page = accounts::list(&server.db, &scope, term, &after, page.page + 1)
            .await
            .unwrap();
        found.extend(emails(&page));
    }
    found
}

#[tokio::test]
async fn every_page_next_and_previous_is_the_page_an_offset_gives() {
    let server = TestServer::new().await;
    seed(&server, 3_020).await;
    let scope = alpha(&server).await;
    let total = like(&server, "", 0, i64::MAX).await.len();
    let pages = total.div_ceil(50);
    let mut page = accounts::list(&server.db, &scope, "", &PageStart::First, 1)
        .await
        .unwrap();
    assert_eq!(page.total as usize, total, "the count kept for the domain");
    assert_eq!((page.page, page.pages as usize), (1, pages));
    let mut seen = vec![];
    loop {
        let n = i64::from(page.page);
        assert_eq!(
            emails(&page),
            like(&server, "", (n - 1) * 50, 50).await,
            "page {n}"
        );
        seen.push(page.clone());
        if !page.has_next {
            break;
        }
        let after = PageStart::After(page.rows.last().unwrap().email.clone());
        page = accounts::list(&server.db, &scope, "", &after, page.page + 1)
            .await
            .unwrap();
    }
    assert_eq!(page.page as usize, pages, "the last page says it is");
    assert!(!seen[0].has_previous && seen[1].has_previous);
    // Back from the last page: the same pages again.
    while page.has_previous {
        let before = PageStart::Before(page.rows[0].email.clone());
        page = accounts::list(&server.db, &scope, "", &before, page.page - 1)
            .await
            .unwrap();
        assert_eq!(
            page,
            seen[page.page as usize - 1],
            "page {} going back",
            page.page
        );
    }
    assert_eq!(page.page, 1);

    // A made-up page number or address never shows another domain's accounts or fails.
    let far = accounts::list(
        &server.db,
        &scope,
        "",
        &PageStart::After("zzz@alpha.test".into()),
        4_000_000,
    )
    .await
    .unwrap();
    let last_fifty = like(&server, "", total as i64 - 50, 50).await;
    assert_eq!(
        (far.page as usize, far.has_next, emails(&far)),
        (pages, false, last_fifty)
    );
    let early = accounts::list(&server.db, &scope, "", &PageStart::Before("0@x".into()), 9)
        .await
        .unwrap();
    assert_eq!(early, seen[0]);
}

#[tokio::test]
async fn a_search_finds_what_the_like_rule_finds() {
    let server = TestServer::new().await;
    seed(&server, 3_020).await;
    // Rare terms the index answers, broad ones a scan answers, short ones LIKE answers.
    for term in [
        "user0042",
        "USER0100",
        "ser02",
        "SMITHERS",
        "brien",
        "o'b",
        "ones",
        "kim",
        "pat",
        "dot",
        "a.b",
        "1-a",
        "01.",
        "u",
        "a",
        "S",
        "00",
        "@",
        "alpha",
        "a.t",
        "_",
        "%",
        "zzz",
        // A full or partial address, a full name: what the Users search says it takes.
        "user00042@alpha.test",
        "USER00042@Alpha.Test",
        "00042@alpha.te",
        "r00042@",
        "a@alpha.test",
        "a.b@alpha.test",
        "@alpha.test",
        "@alp",
        "a@",
        "user00042@beta.test",
        "user00042@alpha.test.x",
        "a@@alpha.test",
        "Pat Smith",
        "kim o'brien",
        "t Smithers",
        "Dot Case",
        "Pat  Smith",
        "Kim Smith user00042",
        "o Ca",
        "Smith Pat",
    ] {
        let expected = like(&server, term, 0, i64::MAX).await;
        let scope = alpha(&server).await;
        let first = accounts::list(&server.db, &scope, term, &PageStart::First, 1)
            .await
            .unwrap();
        let counted = expected.len().min(1000);
        assert_eq!(
            (first.total as usize, first.more),
            (counted, expected.len() > 1000),
            "the count of {term:?}"
        );
        assert_eq!(every_match(&server, term).await, expected, "term {term:?}");
    }
    // The Users search finds an account by its address or its name as a postmaster types them.
    let found = every_match(&server, "User00042@alpha.test").await;
    assert_eq!(found, ["user00042@alpha.test"]);
    let found = every_match(&server, "kim o'brien").await;
    assert!(
        found.contains(&"user00042@alpha.test".to_owned()),
        "{found:?}"
    );
}

#[tokio::test]
async fn query_syntax_in_a_term_is_text_to_find() {
    let server = TestServer::new().await;
    seed(&server, 200).await;
    let names = [
        ("q1", "Ann \"OR\" Lee", "x"),
        ("q2", "Star*", "NEAR(user00001 user00002)"),
        ("q3", "Lee", "Ann OR"),
        ("q4", "say \"\"hi\"", "^start"),
    ];
    for (local, first, last) in names {
        sqlx::query(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, first_name, last_name, maildir)
             SELECT id, $1, $1 || '@alpha.test', 'x', $2, $3, 'alpha.test/' || $1 || '.q/' FROM domains WHERE name = 'alpha.test'",
        )
        .bind(local)
        .bind(first)
        .bind(last)
        .execute(&server.db)
        .await
        .unwrap();
    }
    for (term, found) in [
        ("\"OR\"", vec!["q1"]),
        ("Ann OR", vec!["q3"]),
        ("ann \"or\" lee", vec!["q1"]),
        ("user* OR Star", vec![]),
        ("Star*", vec!["q2"]),
        ("tar*", vec!["q2"]),
        ("NEAR(user00001", vec!["q2"]),
        ("NEAR(user00001 user00002)", vec!["q2"]),
        ("\"\"hi\"", vec!["q4"]),
        ("\"", vec!["q1", "q4"]),
        ("\"\"", vec!["q4"]),
        ("^start", vec!["q4"]),
        ("user00001 OR user00002", vec![]),
        ("- OR *", vec![]),
    ] {
        let expected: Vec<String> = found.iter().map(|l| format!("{l}@alpha.test")).collect();
        assert_eq!(
            like(&server, term, 0, 100).await,
            expected,
            "the rule for {term:?}"
        );
        assert_eq!(
            every_match(&server, term).await,
            expected,
            "the list for {term:?}"
        );
    }
}

#[tokio::test]
async fn the_users_page_shows_names_with_markup_as_text() {
    let server = TestServer::new().await;
    sqlx::query(
        "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, first_name, last_name, maildir, mailbox_bytes)
         SELECT id, 'ann', 'ann@alpha.test', 'x', '<b>Ann</b> & \"Co\"', 'Lee''s', 'alpha.test/ann.q/', 3145728
         FROM domains WHERE name = 'alpha.test'",
    )
    .execute(&server.db)
    .await
    .unwrap();
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let page = server.get("/users?domain=alpha.test", Some(&cookie)).await;
    assert!(page.status.is_success(), "{}", page.status);
    for shown in [
        r#"<td data-label="Name">&lt;b&gt;Ann&lt;/b&gt; &amp; "Co" Lee's"#,
        r#"value="ann@alpha.test" aria-label="Select ann@alpha.test""#,
        // A narrow screen breaks the address after its @ first.
        r#"<a href="/users/edit?email=ann%40alpha.test">ann@<wbr>alpha.test"#,
        r#"<td data-label="Status">Active"#,
        "Ticks count on this page only: delete them before moving to another page.",
        r#"<td data-label="Size">3.0 MB"#,
    ] {
        assert!(page.body.contains(shown), "no {shown} in {}", page.body);
    }
    assert!(!page.body.contains("<b>Ann"), "{}", page.body);
}

/// The `href` of the first link marked `rel`, as a browser reads it from the page.
fn link(body: &str, rel: &str) -> String {
    let tag = body
        .split("<a ")
        .find(|tag| tag.contains(&format!("rel=\"{rel}\"")))
        .unwrap_or_else(|| panic!("no {rel} link in {body}"));
    let href = tag
        .split("href=\"")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap();
    href.replace("&amp;", "&")
}

#[tokio::test]
async fn a_paging_link_keeps_a_domain_and_term_with_characters_that_mean_something_in_an_address() {
    // A name written into the database by hand, as no name the console checks could be.
    const DOMAIN: &str = "r&d #1 50% zoë.test";
    const TERM: &str = "a&b #%ë";
    let server = TestServer::new().await;
    sqlx::query("INSERT INTO domains (name) VALUES ($1)")
        .bind(DOMAIN)
        .execute(&server.db)
        .await
        .unwrap();
    sqlx::query(
        "INSERT INTO admin_domains (admin_id, domain_id)
         SELECT a.id, d.id FROM admins a, domains d WHERE a.email = $1 AND d.name = $2",
    )
    .bind(POSTMASTER_A)
    .bind(DOMAIN)
    .execute(&server.db)
    .await
    .unwrap();
    // 60 accounts the term finds, and 10 it does not.
    for n in 0..70 {
        let last = if n < 60 { "x a&b #%ë y" } else { "Other" };
        sqlx::query(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, first_name, last_name, maildir)
             SELECT id, $1, $1 || '@' || name, 'x', 'Pat', $2, 'paged/' || $1 || '.seed/'
             FROM domains WHERE name = $3",
        )
        .bind(format!("user{n:05}"))
        .bind(last)
        .bind(DOMAIN)
        .execute(&server.db)
        .await
        .unwrap();
    }
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let edit = |n: usize| {
        format!(
            "href=\"/users/edit?email={}\"",
            app::url::encode_query(&format!("user{n:05}@{DOMAIN}"))
        )
    };
    let first = server
        .get(
            &format!(
                "/users?domain={}&q={}",
                app::url::encode_query(DOMAIN),
                app::url::encode_query(TERM)
            ),
            Some(&cookie),
        )
        .await;
    assert!(first.status.is_success(), "{}", first.status);
    assert!(first.body.contains("Page 1 of 2"), "{}", first.body);

    let second = server.get(&link(&first.body, "next"), Some(&cookie)).await;
    assert!(second.status.is_success(), "{}", second.status);
    assert!(second.body.contains("Page 2 of 2"), "{}", second.body);
    assert!(
        second
            .body
            .contains("60 accounts in r&amp;d #1 50% zoë.test"),
        "{}",
        second.body
    );
    assert!(
        second.body.contains("value=\"a&amp;b #%ë\""),
        "the term is kept"
    );
    for n in 50..60 {
        assert!(second.body.contains(&edit(n)), "no user{n:05} on page 2");
    }
    for n in (0..50).chain(60..70) {
        assert!(!second.body.contains(&edit(n)), "user{n:05} on page 2");
    }

    let back = server.get(&link(&second.body, "prev"), Some(&cookie)).await;
    assert!(back.body.contains("Page 1 of 2"), "{}", back.body);
    for n in 0..50 {
        assert!(back.body.contains(&edit(n)), "no user{n:05} back on page 1");
    }
}

#[tokio::test]
async fn a_deep_page_offers_the_way_back_to_the_first() {
    let server = TestServer::new().await;
    seed(&server, 150).await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let first = server.get("/users?domain=alpha.test", Some(&cookie)).await;
    let second = server.get(&link(&first.body, "next"), Some(&cookie)).await;
    let third = server.get(&link(&second.body, "next"), Some(&cookie)).await;
    assert!(third.body.contains("Page 3 of"), "{}", third.body);
    for (page, offered) in [(&first, false), (&second, false), (&third, true)] {
        assert_eq!(
            page.body
                .contains("<a href=\"/users?domain=alpha.test\">First page<"),
            offered,
            "{}",
            page.body
        );
    }
}

#[tokio::test]
async fn every_match_of_a_search_is_found_past_the_count_and_deleted_restorably() {
    let server = TestServer::new().await;
    seed(&server, 2_400).await;
    let scope = alpha(&server).await;
    // Past the list's count: the confirmation has every match, the list's own in its order.
    let broad = accounts::list(&server.db, &scope, "pat", &PageStart::First, 1)
        .await
        .unwrap();
    assert!(broad.more, "the list stops counting at 1,000");
    let every_pat = accounts::matching(&server.db, &scope, "pat").await.unwrap();
    assert!(every_pat.len() > 1_000, "{}", every_pat.len());
    assert_eq!(every_pat, like(&server, "pat", 0, i64::MAX).await);
    assert_eq!(every_pat, every_match(&server, "pat").await);
    for term in ["user0004", "Kim Smithers", "user00001@alpha.test", "a.b"] {
        let found = accounts::matching(&server.db, &scope, term).await.unwrap();
        assert_eq!(found, every_match(&server, term).await, "{term}");
    }

    // An empty search never stands for the whole domain.
    for term in ["", "   "] {
        assert_eq!(
            accounts::delete_matching(&server.db, &scope, term).await,
            Err(AppError::Invalid(accounts::SEARCH_FIRST.into()))
        );
    }

    let term = "smithers";
    let found = like(&server, term, 0, i64::MAX).await;
    let smiths = like(&server, "smith", 0, i64::MAX).await.len();
    let deleted = accounts::delete_matching(&server.db, &scope, term)
        .await
        .unwrap();
    assert_eq!(deleted, found.len());
    assert!(like(&server, term, 0, i64::MAX).await.is_empty());
    assert_eq!(
        like(&server, "smith", 0, i64::MAX).await.len(),
        smiths - deleted,
        "the Smiths stay"
    );
    let beta_smithers = server
        .count("SELECT COUNT(*) FROM mailboxes WHERE email LIKE '%@beta.test' AND last_name = 'Smithers' AND deleted_at IS NULL")
        .await;
    assert!(beta_smithers > 0, "another domain's matches stay");
    let audited = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.delete' AND domain = 'alpha.test'")
        .await;
    assert_eq!(audited as usize, deleted, "each account audited");
    // Moved to Deleted accounts as a delete of ticked ones does (the seed's own deleted rows
    // have no date to restore by).
    let restorable = server
        .count("SELECT COUNT(*) FROM mailboxes WHERE email LIKE '%@alpha.test' AND last_name = 'Smithers' AND deleted_at IS NOT NULL AND deleted_at <> 'x'")
        .await;
    assert_eq!(restorable as usize, deleted, "restorable");
    assert!(matches!(
        accounts::delete_matching(&server.db, &scope, term).await,
        Err(AppError::NotFound(_))
    ));
}
