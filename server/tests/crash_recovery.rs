//! What a crash leaves between an account's row and its Maildir, and the start-up that clears
//! it: Maildirs created for an add that never committed, and Maildirs of purged accounts whose
//! removal was cut short, are removed; an unexplained Maildir is still only reported.

mod support;

use app::api::accounts::AddAccounts;
use app::ssr::services::accounts::{purge_expired, RETENTION_DAYS};
use app::ssr::storage::mailstore::reconcile;
use leptos::server_fn::ServerFn;
use support::*;

const PW: &str = "Tr4in#Lamp";

async fn add(server: &TestServer, cookie: &str, text: &str) {
    let form = [("domain", "alpha.test"), ("text", text)];
    let reply = server.call(AddAccounts::PATH, &form, Some(cookie)).await;
    assert!(reply.status.is_success(), "{}", reply.body);
}

async fn maildir_of(server: &TestServer, email: &str) -> String {
    sqlx::query_scalar("SELECT maildir FROM mailboxes WHERE email = $1")
        .bind(email)
        .fetch_one(&server.db)
        .await
        .unwrap()
}

async fn listed(server: &TestServer) -> i64 {
    server.count("SELECT COUNT(*) FROM maildir_removals").await
}

#[tokio::test]
async fn the_start_removes_the_maildirs_a_crash_left_without_their_rows() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    add(&server, &cookie, &format!("ann {PW} {PW}\nbob {PW} {PW}")).await;
    assert_eq!(listed(&server).await, 0, "a committed add is off the list");

    // A purge that ran whole removes the Maildir and leaves nothing listed.
    let ann = maildir_of(&server, "ann@alpha.test").await;
    sqlx::query("UPDATE mailboxes SET deleted_at = '2000-01-01T00:00:00Z' WHERE email = $1")
        .bind("ann@alpha.test")
        .execute(&server.db)
        .await
        .unwrap();
    purge_expired(&server.db, &server.store, RETENTION_DAYS)
        .await
        .unwrap();
    assert!(!server.store.exists(&ann));
    assert_eq!(listed(&server).await, 0);

    // As a kill leaves them: bob purged (row gone, listed) with his mail still on disk; carl's
    // Maildir made for an add whose rows never committed; a Maildir nobody explains.
    let bob = maildir_of(&server, "bob@alpha.test").await;
    let mail = server.store.path_of(&bob).unwrap().join("new/1.M1.test");
    std::fs::write(&mail, "Subject: old\r\n\r\nmail\r\n").unwrap();
    let carl = "alpha.test/carl.1.00000001/";
    server.store.create(carl).unwrap();
    let ghost = server.store.create("alpha.test/ghost.1.00000002").unwrap();
    sqlx::query("DELETE FROM mailboxes WHERE email = 'bob@alpha.test'")
        .execute(&server.db)
        .await
        .unwrap();
    for maildir in [bob.as_str(), carl] {
        sqlx::query("INSERT INTO maildir_removals (maildir) VALUES ($1)")
            .bind(maildir)
            .execute(&server.db)
            .await
            .unwrap();
    }

    let report = reconcile(&server.db, &server.store).await.unwrap();
    let mut removed = report.removed.clone();
    removed.sort();
    let mut expected = vec![
        bob.trim_end_matches('/').to_owned(),
        carl.trim_end_matches('/').to_owned(),
    ];
    expected.sort();
    assert_eq!(removed, expected);
    assert!(!server.store.exists(&bob) && !server.store.exists(carl));
    assert_eq!(report.orphans, ["alpha.test/ghost.1.00000002"]);
    assert!(ghost.is_dir(), "an unlisted Maildir is never removed");
    assert_eq!(listed(&server).await, 0);
}
