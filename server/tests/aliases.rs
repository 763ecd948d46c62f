//! Aliases through the real router: add one and many, list and search, edit, delete, restore
//! and purge, with every refusal (taken addresses, loops, another domain's aliases); and the
//! operator's `vpostmaster alias` commands over the same services.

mod support;

use app::api::accounts::{AddAccounts, DeleteAccounts, RestoreAccount};
use app::api::aliases::{
    AddAlias, AddAliases, DeleteAliases, DeleteMatchingAliases, GetAlias, ListAliases,
    ListDeletedAliases, MatchingAliases, RestoreAlias, UpdateAlias,
};
use app::error::AppError;
use app::model::aliases::{AliasDetail, AliasSlice, DeletedAlias};
use app::model::deleted::DeletedPage;
use app::model::matches::SearchMatches;
use app::ssr::services::accounts::{purge_expired, RETENTION_DAYS};
use app::ssr::storage::db::Backend;
use leptos::server_fn::ServerFn;
use support::binary::{fails, ok};
use support::console::{conflict, invalid, not_found, outcome, Console};
use support::*;
use tempfile::TempDir;

impl Console {
    async fn add(&self, name: &str, targets: &str) -> Result<(), AppError> {
        let form = [
            ("domain", "alpha.test"),
            ("name", name),
            ("targets", targets),
        ];
        outcome(&self.call(AddAlias::PATH, &form).await)
    }

    async fn paste(&self, text: &str) -> Result<(), AppError> {
        let form = [("domain", "alpha.test"), ("text", text)];
        outcome(&self.call(AddAliases::PATH, &form).await)
    }

    async fn list(&self, search: &str) -> AliasSlice {
        let form = [("domain", "alpha.test"), ("search", search), ("page", "1")];
        outcome(&self.call(ListAliases::PATH, &form).await).unwrap()
    }

    async fn addresses(&self, search: &str) -> Vec<String> {
        let page = self.list(search).await;
        page.rows.into_iter().map(|row| row.address).collect()
    }

    async fn detail(&self, address: &str) -> Result<AliasDetail, AppError> {
        outcome(&self.call(GetAlias::PATH, &[("address", address)]).await)
    }

    async fn update(&self, address: &str, targets: &str) -> Result<(), AppError> {
        let form = [("address", address), ("targets", targets)];
        outcome(&self.call(UpdateAlias::PATH, &form).await)
    }

    async fn delete(&self, addresses: &[&str]) -> Result<(), AppError> {
        let addresses = addresses.join("\n");
        let form = [("domain", "alpha.test"), ("addresses", addresses.as_str())];
        outcome(&self.call(DeleteAliases::PATH, &form).await)
    }

    async fn deleted(&self) -> Vec<DeletedAlias> {
        let reply = self
            .call(ListDeletedAliases::PATH, &[("domain", "alpha.test")])
            .await;
        let listed: DeletedPage<DeletedAlias> = outcome(&reply).unwrap();
        assert_eq!(listed.domain, "alpha.test");
        listed.rows
    }

    async fn restore(&self, id: i64) -> Result<(), AppError> {
        let id = id.to_string();
        let form = [("domain", "alpha.test"), ("id", id.as_str())];
        outcome(&self.call(RestoreAlias::PATH, &form).await)
    }

    async fn add_accounts(&self, text: &str) -> Reply {
        let form = [("domain", "alpha.test"), ("text", text), ("generate", "on")];
        self.call(AddAccounts::PATH, &form).await
    }

    async fn count(&self, sql: &str) -> i64 {
        self.server.count(sql).await
    }

    async fn aliases_stored(&self) -> i64 {
        self.count("SELECT COUNT(*) FROM aliases").await
    }
}

#[tokio::test]
async fn an_alias_is_added_listed_searched_edited_deleted_and_restored_audited() {
    let console = Console::new().await;
    let reply = console
        .call(
            AddAlias::PATH,
            &[
                ("domain", "alpha.test"),
                ("name", "Sales"),
                (
                    "targets",
                    "Ann@alpha.test,\nbob@example.com  ann@alpha.test",
                ),
            ],
        )
        .await;
    assert_eq!(
        reply.header("location"),
        Some("/aliases?domain=alpha.test&added=sales%40alpha.test"),
        "{}",
        reply.body
    );
    console
        .add("help@alpha.test", "carl@example.com")
        .await
        .unwrap();

    let page = console.list("").await;
    assert_eq!(page.total, 2);
    assert_eq!(page.rows[1].address, "sales@alpha.test");
    assert_eq!(page.rows[1].targets, "ann@alpha.test, bob@example.com");
    assert_eq!(console.addresses("SAL").await, ["sales@alpha.test"]);
    assert_eq!(console.addresses("Carl@").await, ["help@alpha.test"]);
    assert!(console.addresses("100%").await.is_empty());
    assert_eq!(
        console.count("SELECT COUNT(*) FROM audit_log WHERE action = 'alias.add' AND actor = 'postmaster@alpha.test' AND domain = 'alpha.test' AND target = 'sales@alpha.test' AND details = 'to ann@alpha.test, bob@example.com'").await,
        1
    );

    let detail = console.detail("sales@alpha.test").await.unwrap();
    assert_eq!(detail.targets, ["ann@alpha.test", "bob@example.com"]);
    let reply = console
        .call(
            UpdateAlias::PATH,
            &[
                ("address", "sales@alpha.test"),
                ("targets", "dora@alpha.test"),
            ],
        )
        .await;
    assert_eq!(
        reply.header("location"),
        Some("/aliases/edit?address=sales%40alpha.test&saved=1")
    );
    let detail = console.detail("sales@alpha.test").await.unwrap();
    assert_eq!(detail.targets, ["dora@alpha.test"]);
    assert_eq!(
        console.count("SELECT COUNT(*) FROM audit_log WHERE action = 'alias.update' AND target = 'sales@alpha.test' AND details = 'to dora@alpha.test (was ann@alpha.test, bob@example.com)'").await,
        1
    );
    let message = invalid(console.update("sales@alpha.test", "not-an-address").await);
    assert!(message.starts_with("Targets: "), "{message}");

    console
        .delete(&["sales@alpha.test", "help@alpha.test"])
        .await
        .unwrap();
    assert!(console.list("").await.rows.is_empty());
    not_found(console.detail("sales@alpha.test").await);
    let deleted = console.deleted().await;
    assert_eq!(deleted.len(), 2);
    assert!(deleted.iter().all(|row| row.days_left == 30), "{deleted:?}");
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'alias.delete'")
            .await,
        2
    );
    not_found(console.delete(&["sales@alpha.test"]).await);

    let sales = deleted
        .iter()
        .find(|row| row.address == "sales@alpha.test")
        .unwrap();
    let reply = console
        .call(
            RestoreAlias::PATH,
            &[("domain", "alpha.test"), ("id", &sales.id.to_string())],
        )
        .await;
    assert_eq!(
        reply.header("location"),
        Some("/aliases/deleted?domain=alpha.test&restored=sales%40alpha.test")
    );
    assert_eq!(console.addresses("").await, ["sales@alpha.test"]);
    assert_eq!(
        console.detail("sales@alpha.test").await.unwrap().targets,
        ["dora@alpha.test"]
    );
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'alias.restore' AND target = 'sales@alpha.test'")
            .await,
        1
    );
    not_found(console.restore(sales.id).await);
}

#[tokio::test]
async fn every_match_of_a_search_is_counted_named_and_deleted_restorably() {
    let console = Console::new().await;
    let sales: Vec<String> = (0..25).map(|n| format!("sales{n:02}")).collect();
    let paste: String = sales
        .iter()
        .map(|name| format!("{name} ann@alpha.test\n"))
        .collect();
    console
        .paste(&format!("{paste}help carl@example.com\n"))
        .await
        .unwrap();
    let search = |term: &'static str| [("domain", "alpha.test"), ("search", term)];

    // The confirmation: every match counted, the first named in the list's order.
    let found: SearchMatches =
        outcome(&console.call(MatchingAliases::PATH, &search("SALES")).await).unwrap();
    assert_eq!((found.domain.as_str(), found.total), ("alpha.test", 25));
    let first: Vec<String> = sales[..20]
        .iter()
        .map(|name| format!("{name}@alpha.test"))
        .collect();
    assert_eq!(found.first, first);

    // An empty search never stands for the whole domain.
    for term in ["", "  "] {
        let message = invalid(outcome::<()>(
            &console
                .call(DeleteMatchingAliases::PATH, &search(term))
                .await,
        ));
        assert!(message.starts_with("Search first"), "{message}");
    }
    assert_eq!(console.list("").await.total, 26);

    // A delete of ticked ones goes back to the page of the list it was asked on.
    let form = [
        ("domain", "alpha.test"),
        ("addresses", "sales24@alpha.test"),
        ("q", "sales"),
        ("page", "2"),
    ];
    let reply = console.call(DeleteAliases::PATH, &form).await;
    assert_eq!(
        reply.header("location"),
        Some("/aliases?domain=alpha.test&q=sales&page=2&deleted=1"),
        "{}",
        reply.body
    );
    let id = console.deleted().await[0].id;
    console.restore(id).await.unwrap();

    // What matches when it is confirmed is deleted, one more than was counted.
    console.add("sales-new", "ann@alpha.test").await.unwrap();
    let reply = console
        .call(DeleteMatchingAliases::PATH, &search("SALES"))
        .await;
    assert_eq!(
        reply.header("location"),
        Some("/aliases?domain=alpha.test&deleted=26"),
        "{}",
        reply.body
    );
    assert_eq!(console.addresses("").await, ["help@alpha.test"]);
    let deleted = console.deleted().await;
    assert_eq!(deleted.len(), 26);
    assert!(deleted.iter().all(|row| row.days_left == 30), "{deleted:?}");
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'alias.delete' AND target LIKE 'sales%'")
            .await,
        27,
        "each alias audited, the one deleted ticked before too"
    );
    let message = not_found(outcome::<()>(
        &console
            .call(DeleteMatchingAliases::PATH, &search("sales"))
            .await,
    ));
    assert!(message.contains("sales"), "{message}");
}

#[tokio::test]
async fn bad_aliases_are_refused_with_a_reason_and_nothing_is_stored() {
    let console = Console::new().await;
    for (name, targets, expected) in [
        ("", "ann@alpha.test", "Alias: "),
        ("sales@beta.test", "ann@alpha.test", "Alias: "),
        ("sa les", "ann@alpha.test", "Alias: "),
        ("sales", "", "Targets: "),
        ("sales", "ann", "Targets: "),
        (
            "sales",
            "ann@alpha.test sales@alpha.test",
            "cannot deliver to itself",
        ),
    ] {
        let message = invalid(console.add(name, targets).await);
        assert!(
            message.contains(expected),
            "{name:?} {targets:?}: {message}"
        );
    }
    assert_eq!(console.aliases_stored().await, 0);
}

#[tokio::test]
async fn a_loop_is_refused_naming_the_chain() {
    let console = Console::new().await;
    console.add("sales", "team@alpha.test").await.unwrap();
    console
        .add("team", "desk@alpha.test, ann@x.test")
        .await
        .unwrap();
    let message = invalid(console.add("desk", "sales@alpha.test").await);
    assert_eq!(
        message,
        "Targets: Mail would go round in a loop: desk@alpha.test \u{2192} sales@alpha.test \u{2192} \
         team@alpha.test \u{2192} desk@alpha.test. Remove one of these targets."
    );
    assert_eq!(console.aliases_stored().await, 2);
    // Changing targets is held to the same rule.
    let message = invalid(console.update("team@alpha.test", "sales@alpha.test").await);
    assert!(
        message.contains("sales@alpha.test \u{2192} team@alpha.test"),
        "{message}"
    );
    assert_eq!(
        console.detail("team@alpha.test").await.unwrap().targets,
        ["desk@alpha.test", "ann@x.test"]
    );
}

/// A paste of `chains` chains of `length` aliases each, named `<prefix><chain>-<n>`, each
/// delivering to the next and the last to an outside address, or back to its chain's first
/// when `closed`.
fn chained(prefix: &str, chains: usize, length: usize, closed: bool) -> String {
    let mut text = String::new();
    for chain in 1..=chains {
        for n in 1..=length {
            let next = if n < length {
                format!("{prefix}{chain}-{}@alpha.test", n + 1)
            } else if closed {
                format!("{prefix}{chain}-1@alpha.test")
            } else {
                "out@x.test".to_owned()
            };
            text.push_str(&format!("{prefix}{chain}-{n} {next}\n"));
        }
    }
    text
}

#[tokio::test]
async fn a_paste_of_five_thousand_chained_aliases_is_checked_whole() {
    let console = Console::new().await;
    // One chain of 5,000: mail to its first 4,001 addresses would pass through 1,000 aliases
    // or more, where Postfix gives up.
    let message = invalid(console.paste(&chained("a", 1, 5_000, false)).await);
    let lines: Vec<&str> = message.lines().collect();
    assert_eq!(
        lines[0],
        "Line 1: Mail would pass through 5,000 aliases and forwardings one after another \
         (a1-1@alpha.test \u{2192} a1-2@alpha.test \u{2192} a1-3@alpha.test \u{2192} \
         a1-4@alpha.test \u{2192} a1-5@alpha.test \u{2192} 4,991 more \u{2192} \
         a1-4997@alpha.test \u{2192} a1-4998@alpha.test \u{2192} a1-4999@alpha.test \u{2192} \
         a1-5000@alpha.test \u{2192} an address of another domain), and the mail server gives \
         up at 1,000. Deliver to an address further along instead."
    );
    assert_eq!(lines.last(), Some(&"and 3951 more."));
    // Closed into one loop, every line is refused for it, naming the chain.
    let message = invalid(console.paste(&chained("a", 1, 5_000, true)).await);
    assert!(
        message.starts_with(
            "Line 1: Mail would go round in a loop: a1-1@alpha.test \u{2192} a1-2@alpha.test \
             \u{2192} a1-3@alpha.test \u{2192} a1-4@alpha.test \u{2192} a1-5@alpha.test \u{2192} \
             4,991 more \u{2192} a1-4997@alpha.test \u{2192} a1-4998@alpha.test \u{2192} \
             a1-4999@alpha.test \u{2192} a1-5000@alpha.test \u{2192} a1-1@alpha.test. Remove \
             one of these targets.\nLine 2: Mail would go round in a loop: a1-2@alpha.test"
        ),
        "{message}"
    );
    assert!(message.ends_with("and 4950 more."), "{message}");
    assert_eq!(console.aliases_stored().await, 0);

    // Five chains of 999 and five more aliases: every one is delivered, so all are added.
    let mut text = chained("c", 5, 999, false);
    text.push_str(&chained("s", 5, 1, false));
    assert_eq!(text.lines().count(), 5_000);
    console.paste(&text).await.unwrap();
    assert_eq!(console.aliases_stored().await, 5_000);
    // One more in front of a stored chain of 999 is one too many; the stored ones are read
    // a level at a time to find it.
    let message = invalid(console.add("front", "c3-1@alpha.test").await);
    assert!(
        message.starts_with(
            "Targets: Mail would pass through 1,000 aliases and forwardings one after another \
             (front@alpha.test \u{2192} c3-1@alpha.test"
        ),
        "{message}"
    );
    // And a loop through the stored chain is named with it.
    let message = invalid(console.update("c3-999@alpha.test", "c3-1@alpha.test").await);
    assert!(
        message.starts_with(
            "Targets: Mail would go round in a loop: c3-999@alpha.test \u{2192} c3-1@alpha.test \
             \u{2192} c3-2@alpha.test"
        ),
        "{message}"
    );
}

#[tokio::test]
async fn a_search_or_targets_too_long_are_refused_before_they_are_read() {
    use app::api::accounts::ListAccounts;

    let console = Console::new().await;
    let huge = "a".repeat(1 << 20);
    for search in [huge.as_str()] {
        for path in [ListAliases::PATH, ListAccounts::PATH] {
            let form = [("domain", "alpha.test"), ("search", search), ("page", "1")];
            let message = invalid(outcome::<serde_json::Value>(
                &console.call(path, &form).await,
            ));
            assert_eq!(
                message, "A search can have at most 100 characters",
                "{path}"
            );
        }
    }
    let longest = "a".repeat(100);
    assert!(console.addresses(&longest).await.is_empty());
    // Targets too: a megabyte is refused by its length, not read address by address.
    let message = invalid(console.add("sales", &huge).await);
    assert_eq!(
        message,
        "Targets: The list of addresses can have at most 16000 characters."
    );
    assert_eq!(console.aliases_stored().await, 0);
}

#[tokio::test]
async fn an_address_is_an_account_or_an_alias_never_both() {
    let console = Console::new().await;
    let added = console.add_accounts("ann").await;
    assert!(
        added.status.is_redirection() || added.status.is_success(),
        "{}",
        added.body
    );
    let message = invalid(console.add("ann", "bob@x.test").await);
    assert_eq!(message, "Alias: ann@alpha.test is already an account.");
    console.add("sales", "ann@alpha.test").await.unwrap();
    let message = invalid(console.add("Sales@alpha.test", "bob@x.test").await);
    assert_eq!(message, "Alias: sales@alpha.test is already an alias.");

    // An account is refused where an alias lives: pasted, and restored.
    let refused: Result<(), AppError> = outcome(&console.add_accounts("sales").await);
    assert_eq!(
        invalid(refused),
        "Line 1, username: sales@alpha.test is already an alias."
    );
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM mailboxes WHERE email = 'sales@alpha.test'")
            .await,
        0
    );
    let form = [("domain", "alpha.test"), ("emails", "ann@alpha.test")];
    outcome::<()>(&console.call(DeleteAccounts::PATH, &form).await).unwrap();
    // The address of a deleted account that can be restored is kept for it, pasted or not.
    let message = invalid(console.add("ann", "bob@x.test").await);
    assert!(
        message.starts_with(
            "Alias: ann@alpha.test belongs to a deleted account, which can still be restored"
        ),
        "{message}"
    );
    let pasted = post_paste_without_javascript(&console, "ann bob@x.test").await;
    assert!(
        pasted
            .body
            .contains("ann@alpha.test belongs to a deleted account"),
        "{}",
        pasted.body
    );
    assert_eq!(console.count("SELECT COUNT(*) FROM aliases").await, 1);
    // An alias there all the same (written before this rule) blocks the restore, saying so.
    sqlx::query(
        "INSERT INTO aliases (domain_id, local_part, address, targets)
         SELECT id, 'ann', 'ann@alpha.test', 'bob@x.test' FROM domains WHERE name = 'alpha.test'",
    )
    .execute(&console.server.db)
    .await
    .unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM mailboxes WHERE email = 'ann@alpha.test'")
        .fetch_one(&console.server.db)
        .await
        .unwrap();
    let form = [("domain", "alpha.test"), ("id", &id.to_string()[..])];
    let message = conflict(outcome::<()>(
        &console.call(RestoreAccount::PATH, &form).await,
    ));
    assert!(
        message.starts_with("ann@alpha.test is already an alias."),
        "{message}"
    );
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM mailboxes WHERE deleted_at IS NULL")
            .await,
        0
    );

    // A deleted alias cannot come back over an address taken meanwhile.
    console.delete(&["sales@alpha.test"]).await.unwrap();
    let added = console.add_accounts("sales").await;
    assert!(
        added.status.is_redirection() || added.status.is_success(),
        "{}",
        added.body
    );
    let id = console.deleted().await[0].id;
    let message = conflict(console.restore(id).await);
    assert!(
        message.starts_with("sales@alpha.test is already an account."),
        "{message}"
    );
    assert_eq!(console.deleted().await.len(), 1);
}

#[tokio::test]
async fn a_paste_adds_every_alias_or_none_naming_each_problem_by_line() {
    let console = Console::new().await;
    console.add("sales", "team@alpha.test").await.unwrap();
    let refused = console
        .paste(
            "# the new desks\n\
             team desk@alpha.test, bob@x.test\n\
             help ann@alpha.test\n\
             sales bob@x.test\n\
             desk sales@alpha.test\n\
             info not-an-address\n",
        )
        .await;
    let message = invalid(refused);
    assert_eq!(
        message.lines().collect::<Vec<_>>(),
        [
            "Line 2: Mail would go round in a loop: team@alpha.test \u{2192} desk@alpha.test \
             \u{2192} sales@alpha.test \u{2192} team@alpha.test. Remove one of these targets.",
            "Line 4: sales@alpha.test is already an alias.",
            "Line 5: Mail would go round in a loop: desk@alpha.test \u{2192} sales@alpha.test \
             \u{2192} team@alpha.test \u{2192} desk@alpha.test. Remove one of these targets.",
            "Line 6: Targets: \u{201c}not-an-address\u{201d} is not a full address: it needs an @ \
             and a domain, as in jane@example.com.",
        ],
        "{message}"
    );
    assert_eq!(
        console.aliases_stored().await,
        1,
        "nothing of the paste is saved"
    );
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'alias.add'")
            .await,
        1
    );

    let reply = console
        .call(
            AddAliases::PATH,
            &[
                ("domain", "alpha.test"),
                ("text", "team desk@alpha.test, bob@x.test\r\nhelp ann@alpha.test\r\n\r\ndesk carl@x.test"),
            ],
        )
        .await;
    assert_eq!(
        reply.header("location"),
        Some("/aliases?domain=alpha.test&added_many=3"),
        "{}",
        reply.body
    );
    assert_eq!(
        console.addresses("").await,
        [
            "desk@alpha.test",
            "help@alpha.test",
            "sales@alpha.test",
            "team@alpha.test"
        ]
    );
    assert_eq!(
        console
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'alias.add'")
            .await,
        4
    );
    invalid(console.paste("\n# nothing\n").await);
}

#[tokio::test]
async fn aliases_deleted_longer_than_the_retention_are_purged_with_the_accounts() {
    let console = Console::new().await;
    console.add("old", "ann@x.test").await.unwrap();
    console.add("recent", "ann@x.test").await.unwrap();
    console.add("live", "ann@x.test").await.unwrap();
    console
        .delete(&["old@alpha.test", "recent@alpha.test"])
        .await
        .unwrap();
    sqlx::query(&format!(
        "UPDATE aliases SET deleted_at = {} WHERE address = 'old@alpha.test'",
        Backend::of(&console.server.db).seconds_ago("31 * 86400")
    ))
    .execute(&console.server.db)
    .await
    .unwrap();
    purge_expired(&console.server.db, &console.server.store, RETENTION_DAYS)
        .await
        .unwrap();
    let left: Vec<String> = sqlx::query_scalar("SELECT address FROM aliases ORDER BY address")
        .fetch_all(&console.server.db)
        .await
        .unwrap();
    assert_eq!(left, ["live@alpha.test", "recent@alpha.test"]);
    assert_eq!(
        console.count("SELECT COUNT(*) FROM audit_log WHERE action = 'alias.purge' AND actor = 'system' AND target = 'old@alpha.test' AND domain = 'alpha.test'").await,
        1
    );
}

/// Beta's aliases and the audit rows that are not refusals, to compare before and after.
async fn beta_state(server: &TestServer) -> (Vec<String>, i64) {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT id || '|' || address || '|' || targets || '|' || updated_at || '|' || COALESCE(deleted_at, '')
         FROM aliases WHERE domain_id = (SELECT id FROM domains WHERE name = 'beta.test') ORDER BY id",
    )
    .fetch_all(&server.db)
    .await
    .unwrap();
    let audited = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action <> 'authorize'")
        .await;
    (rows, audited)
}

#[tokio::test]
async fn a_postmaster_cannot_see_or_touch_another_domains_aliases() {
    let server = TestServer::new().await;
    let beta = server.log_on(POSTMASTER_B, PASSWORD).await;
    for (name, targets) in [("sales", "ann@x.test"), ("former", "bob@x.test")] {
        let form = [
            ("domain", "beta.test"),
            ("name", name),
            ("targets", targets),
        ];
        let reply = server.call(AddAlias::PATH, &form, Some(&beta)).await;
        assert!(reply.status.is_success(), "{}", reply.body);
    }
    let form = [("domain", "beta.test"), ("addresses", "former@beta.test")];
    let reply = server.call(DeleteAliases::PATH, &form, Some(&beta)).await;
    assert!(reply.status.is_success(), "{}", reply.body);
    let former: i64 =
        sqlx::query_scalar("SELECT id FROM aliases WHERE address = 'former@beta.test'")
            .fetch_one(&server.db)
            .await
            .unwrap();
    let former = former.to_string();

    let alpha = server.log_on(POSTMASTER_A, PASSWORD).await;
    let before = beta_state(&server).await;
    let sales = "sales@beta.test";
    let attempts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            ListAliases::PATH,
            vec![("domain", "beta.test"), ("search", ""), ("page", "1")],
        ),
        (GetAlias::PATH, vec![("address", sales)]),
        (
            AddAlias::PATH,
            vec![
                ("domain", "beta.test"),
                ("name", "x"),
                ("targets", "a@x.test"),
            ],
        ),
        (
            AddAliases::PATH,
            vec![("domain", "beta.test"), ("text", "x a@x.test")],
        ),
        (
            UpdateAlias::PATH,
            vec![("address", sales), ("targets", "thief@x.test")],
        ),
        (
            DeleteAliases::PATH,
            vec![("domain", "beta.test"), ("addresses", sales)],
        ),
        // Their own domain named, another's alias listed.
        (
            DeleteAliases::PATH,
            vec![("domain", "alpha.test"), ("addresses", sales)],
        ),
        (ListDeletedAliases::PATH, vec![("domain", "beta.test")]),
        (
            RestoreAlias::PATH,
            vec![("domain", "beta.test"), ("id", &former)],
        ),
        // Their own domain named, another's deleted alias asked for.
        (
            RestoreAlias::PATH,
            vec![("domain", "alpha.test"), ("id", &former)],
        ),
    ];
    let refusals_before = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'authorize' AND outcome = 'refused'")
        .await;
    for (path, form) in &attempts {
        let reply = server.call(path, form, Some(&alpha)).await;
        not_found(outcome::<serde_json::Value>(&reply));
    }
    // In alpha's own log, or the operator's when alpha named beta.test; never in beta's.
    let refusals = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'authorize' AND outcome = 'refused' AND COALESCE(domain, 'alpha.test') = 'alpha.test' AND actor = 'postmaster@alpha.test'")
        .await;
    assert_eq!(
        refusals - refusals_before,
        attempts.len() as i64,
        "every attempt is audited"
    );
    assert_eq!(
        server
            .count(
                "SELECT COUNT(*) FROM audit_log WHERE outcome = 'refused' AND domain = 'beta.test'"
            )
            .await,
        0
    );
    let by_number = server
        .count(&format!("SELECT COUNT(*) FROM audit_log WHERE target = 'deleted alias {former}' AND domain = 'alpha.test'"))
        .await;
    assert_eq!(
        by_number, 1,
        "another domain's deleted alias is named by its number only"
    );
    assert_eq!(beta_state(&server).await, before, "nothing of beta changed");
}

#[tokio::test]
async fn the_operator_manages_aliases_from_the_command_line_audited() {
    let dir = TempDir::new().unwrap();
    let data = dir.path();
    ok(data, &["domain", "add", "example.com"], None);
    assert_eq!(
        ok(data, &["alias", "list", "example.com"], None),
        "example.com has no aliases yet.\n"
    );
    assert_eq!(
        ok(
            data,
            &[
                "alias",
                "add",
                "Sales@example.com",
                "ann@example.com",
                "bob@x.test"
            ],
            None
        ),
        "Added the alias sales@example.com.\n"
    );
    ok(
        data,
        &["alias", "add", "team@example.com", "sales@example.com"],
        None,
    );
    assert_eq!(
        ok(data, &["alias", "list", "EXAMPLE.com"], None),
        "sales@example.com\tann@example.com, bob@x.test\nteam@example.com\tsales@example.com\n"
    );
    let refused = fails(
        data,
        &["alias", "edit", "sales@example.com", "team@example.com"],
        None,
    );
    assert!(refused.contains("loop"), "{refused}");
    let refused = fails(
        data,
        &["alias", "add", "team@example.com", "carl@x.test"],
        None,
    );
    assert_eq!(
        refused,
        "vpostmaster: Alias: team@example.com is already an alias.\n"
    );
    fails(
        data,
        &["alias", "add", "info@nowhere.test", "carl@x.test"],
        None,
    );
    fails(data, &["alias", "add", "info", "carl@x.test"], None);
    ok(
        data,
        &["alias", "edit", "sales@example.com", "carl@x.test"],
        None,
    );
    let out = ok(data, &["alias", "remove", "team@example.com"], None);
    assert!(
        out.starts_with("Deleted the alias team@example.com"),
        "{out}"
    );
    assert_eq!(
        ok(data, &["alias", "list", "example.com"], None),
        "sales@example.com\tcarl@x.test\n"
    );
    assert_eq!(
        ok(data, &["alias", "restore", "team@example.com"], None),
        "Restored the alias team@example.com.\n"
    );
    fails(data, &["alias", "restore", "team@example.com"], None);

    let db = support::database::open(data).await;
    let audited: Vec<(String, String)> = sqlx::query_as(
        "SELECT action, target FROM audit_log WHERE actor = 'cli' AND action LIKE 'alias.%' ORDER BY id",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let expected = [
        ("alias.add", "sales@example.com"),
        ("alias.add", "team@example.com"),
        ("alias.update", "sales@example.com"),
        ("alias.delete", "team@example.com"),
        ("alias.restore", "team@example.com"),
    ];
    assert_eq!(
        audited,
        expected.map(|(action, target)| (action.to_owned(), target.to_owned()))
    );
}

/// "Add many aliases" posted by a browser without JavaScript, to the page itself.
async fn post_paste_without_javascript(console: &Console, text: &str) -> Reply {
    let body = encode(&[("domain", "alpha.test"), ("text", text)]);
    let request = post("/aliases/add", Some(&console.cookie))
        .header(axum::http::header::ACCEPT, "text/html")
        .header(axum::http::header::CONTENT_LENGTH, body.len())
        .body(axum::body::Body::from(body))
        .unwrap();
    console.server.send(request).await
}

#[tokio::test]
async fn without_javascript_a_refused_paste_comes_back_in_the_page_with_its_lines() {
    let console = Console::new().await;
    console.add("sales", "ann@x.test").await.unwrap();
    let text = "help ann@x.test\nsales bob@x.test";
    let refused = post_paste_without_javascript(&console, text).await;
    assert_eq!(refused.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    assert!(refused.header("location").is_none());
    assert!(
        refused.body.contains(text),
        "the paste is kept: {}",
        refused.body
    );
    // The refused line is marked in the report, which counts it; beside the box, a pointer.
    let report = &refused.body[refused.body.find("id=\"alias-report\"").unwrap()..];
    assert!(report.contains("1 ready, 1 need attention"), "{report}");
    let line = &report[report.find(">Line 2<").expect("line 2 in the report")..];
    assert!(
        line.contains("sales@alpha.test is already an alias"),
        "{line}"
    );
    assert!(
        refused
            .body
            .contains("The server refused 1 line: each is marked in the report."),
        "{}",
        refused.body
    );
    assert!(
        refused.body.contains(
            "<textarea id=\"alias-text\" name=\"text\" rows=\"10\" spellcheck=\"false\" autocomplete=\"off\" \
             aria-invalid=\"true\" aria-describedby=\"alias-text-hint alias-text-error alias-report\""
        ) && ["alias-text-hint", "alias-text-error", "alias-report"]
            .iter()
            .all(|id| refused.body.contains(&format!("id=\"{id}\""))),
        "the box is marked and names its hint, the refusal and the report, which exist: {}",
        refused.body
    );
    assert_eq!(console.aliases_stored().await, 1, "nothing added");

    let added = post_paste_without_javascript(&console, "help ann@x.test\ndesk bob@x.test").await;
    assert_eq!(added.status, axum::http::StatusCode::SEE_OTHER);
    assert_eq!(
        added.header("location"),
        Some("/aliases?domain=alpha.test&added_many=2")
    );
    assert_eq!(console.aliases_stored().await, 3);
}

#[tokio::test]
async fn every_alias_screen_is_complete_without_javascript() {
    let console = Console::new().await;
    console
        .add("sales", "ann@alpha.test, bob@x.test")
        .await
        .unwrap();
    console.add("gone", "ann@alpha.test").await.unwrap();
    console.delete(&["gone@alpha.test"]).await.unwrap();
    let cookie = Some(console.cookie.as_str());
    for (path, expected) in [
        ("/aliases", "ann@alpha.test, bob@x.test"),
        ("/aliases?q=bob", "sales@alpha.test"),
        ("/aliases?q=nobody", "No alias in alpha.test matches"),
        ("/aliases/add", "Aliases, one per line"),
        ("/aliases/edit?address=sales%40alpha.test", "bob@x.test"),
        (
            "/aliases/delete?domain=alpha.test&address=sales%40alpha.test",
            "Delete 1 alias",
        ),
        ("/aliases/deleted", "gone@alpha.test"),
    ] {
        let page = console.server.get(path, cookie).await;
        assert_eq!(page.status, axum::http::StatusCode::OK, "{path}");
        assert!(page.body.contains(expected), "{path}: {}", page.body);
        assert!(
            page.body.contains("href=\"/aliases\""),
            "{path}: the navigation"
        );
    }
    let other = console
        .server
        .get("/aliases/edit?address=sales%40beta.test", cookie)
        .await;
    assert!(other.body.contains("was not found"), "{}", other.body);
}

#[tokio::test]
async fn without_a_session_the_alias_paste_is_kept_with_the_reason_and_adds_nothing() {
    let server = TestServer::new().await;
    let body = encode(&[("domain", "alpha.test"), ("text", "sales ann@x.test")]);
    let request = post("/aliases/add", None)
        .header(axum::http::header::CONTENT_LENGTH, body.len())
        .body(axum::body::Body::from(body))
        .unwrap();
    let reply = server.send(request).await;
    assert_eq!(reply.status, axum::http::StatusCode::UNPROCESSABLE_ENTITY);
    let page = reply.body;
    assert!(page.contains(">sales ann@x.test</textarea>"), "{page}");
    assert!(
        page.contains(
            "Your session ended while you were preparing this list, so nothing was added."
        ),
        "{page}"
    );
    assert!(
        page.contains("target=\"_blank\""),
        "the log-on opens beside the paste: {page}"
    );
    assert!(
        page.contains("name=\"domain\" value=\"alpha.test\""),
        "{page}"
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM aliases").await, 0);
}

#[tokio::test]
async fn add_one_account_is_refused_where_an_alias_lives_and_a_restore_that_loops_too() {
    let console = Console::new().await;
    console.add("sales", "team@alpha.test").await.unwrap();
    let form = [
        ("domain", "alpha.test"),
        ("username", "sales"),
        ("first_name", ""),
        ("last_name", ""),
        ("password", "Tr4in#Lamp"),
        ("password_again", "Tr4in#Lamp"),
    ];
    let reply = console
        .call(app::api::accounts::AddAccount::PATH, &form)
        .await;
    assert_eq!(
        invalid(outcome::<()>(&reply)),
        "Username: sales@alpha.test is already an alias."
    );
    assert_eq!(console.count("SELECT COUNT(*) FROM mailboxes").await, 0);

    // While team is deleted, sales comes to deliver to it: bringing team back would close the
    // loop team → desk → sales → team.
    console.add("team", "desk@alpha.test").await.unwrap();
    console.delete(&["team@alpha.test"]).await.unwrap();
    console.add("desk", "sales@alpha.test").await.unwrap();
    console
        .update("sales@alpha.test", "team@alpha.test")
        .await
        .unwrap();
    let id = console.deleted().await[0].id;
    let message = invalid(console.restore(id).await);
    assert!(
        message.starts_with("Mail would go round in a loop"),
        "{message}"
    );
    assert_eq!(console.deleted().await.len(), 1, "still deleted");
}

#[tokio::test]
async fn the_list_delete_and_restore_screens_speak_of_accounts_or_aliases_each_to_its_own_server() {
    let console = Console::new().await;
    console.add("gone", "ann@alpha.test").await.unwrap();
    console.delete(&["gone@alpha.test"]).await.unwrap();
    console.add_accounts("bob").await;
    let form = [("domain", "alpha.test"), ("emails", "bob@alpha.test")];
    outcome::<()>(&console.call(DeleteAccounts::PATH, &form).await).unwrap();
    let cookie = Some(console.cookie.as_str());
    for (path, expected) in [
        (
            "/users?domain=alpha.test&q=zz",
            &[
                "<title>Users",
                "<a href=\"/users/add\" class=\"button button--primary\">Add accounts",
                "action=\"/users\" role=\"search\"",
                "name=\"domain\" value=\"alpha.test\"",
                "Search by address or name",
                "value=\"zz\"",
            ][..],
        ),
        (
            "/aliases?domain=alpha.test&q=zz",
            &[
                "<title>Aliases",
                "<a href=\"/aliases/add\" class=\"button button--primary\">Add aliases",
                "action=\"/aliases\" role=\"search\"",
                "name=\"domain\" value=\"alpha.test\"",
                "Search by alias or target",
                "value=\"zz\"",
            ],
        ),
        (
            "/users/delete?domain=alpha.test&email=ann%40alpha.test&email=cy%40alpha.test",
            &[
                "<title>Delete accounts",
                "These 2 accounts will stop working at once: nobody can log in or check their mail.",
                "<li>ann@alpha.test",
                "name=\"emails\" value=\"ann@alpha.test\ncy@alpha.test\"",
                "Delete 2 accounts",
                "<a href=\"/users?domain=alpha.test\" class=\"button\">Cancel",
                "action=\"/api/delete_accounts",
            ],
        ),
        (
            "/aliases/delete?domain=alpha.test&address=sales%40alpha.test",
            &[
                "<title>Delete aliases",
                "Mail to this alias will be refused at once.",
                "<li>sales@alpha.test",
                "name=\"addresses\" value=\"sales@alpha.test\"",
                "Delete 1 alias",
                "<a href=\"/aliases?domain=alpha.test\" class=\"button\">Cancel",
                "action=\"/api/delete_aliases",
            ],
        ),
        (
            "/users/deleted?restored=cy%40alpha.test",
            &[
                "<title>Deleted accounts",
                "cy@alpha.test is restored and works again.",
                "Deleted accounts are removed with their mail when no days are left.",
                "<th scope=\"col\">Name",
                "<td data-label=\"Address\">bob@alpha.test",
                "aria-label=\"Restore bob@alpha.test\"",
                "action=\"/api/restore_account",
            ],
        ),
        (
            "/aliases/deleted?restored=cy%40alpha.test",
            &[
                "<title>Deleted aliases",
                "cy@alpha.test is restored and receives mail again.",
                "Deleted aliases are removed for good when no days are left.",
                "<th scope=\"col\">Delivered to",
                "<td data-label=\"Targets\">ann@alpha.test",
                "aria-label=\"Restore gone@alpha.test\"",
                "action=\"/api/restore_alias",
            ],
        ),
    ] {
        let page = console.server.get(path, cookie).await;
        assert_eq!(page.status, axum::http::StatusCode::OK, "{path}");
        for text in expected {
            assert!(page.body.contains(text), "{path}: {text}\n{}", page.body);
        }
    }
}

#[tokio::test]
async fn delete_selected_with_nothing_ticked_goes_back_to_the_list_which_says_so() {
    let console = Console::new().await;
    let cookie = Some(console.cookie.as_str());
    for (path, list, words) in [
        (
            "/users/delete?domain=alpha.test",
            "/users?domain=alpha.test&deleted=0",
            "Nothing was deleted: tick the accounts to delete, then choose Delete selected…",
        ),
        (
            "/users/delete",
            "/users?deleted=0",
            "Nothing was deleted: tick the accounts to delete",
        ),
        (
            "/aliases/delete?domain=alpha.test",
            "/aliases?domain=alpha.test&deleted=0",
            "Nothing was deleted: tick the aliases to delete, then choose Delete selected…",
        ),
    ] {
        let reply = console.server.get(path, cookie).await;
        assert!(reply.status.is_redirection(), "{path}: {}", reply.status);
        assert_eq!(reply.header("location"), Some(list), "{path}");
        let page = console.server.get(list, cookie).await;
        assert_eq!(page.status, axum::http::StatusCode::OK, "{list}");
        assert!(page.body.contains(words), "{list}: {}", page.body);
    }
}
