//! Users › Export as CSV, through the real router: what the file holds, how its cells are
//! written for spreadsheets, and who may download it.

mod support;

use support::*;

const EXPORT: &str = "/users/export.csv?domain=alpha.test";

#[tokio::test]
async fn the_export_lists_live_accounts_with_formulas_made_text_and_no_hash() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    server
        .add_accounts(
            &cookie,
            "ann,Tq7$mw2!Lp,Tq7$mw2!Lp,=cmd(),\"Smith, \"\"Jr\"\"\"\nbob Hv3%kx8?Rn Hv3%kx8?Rn Bob Stone\ncarl Wj5&pz4!Qs Wj5&pz4!Qs",
        )
        .await;
    sqlx::query("UPDATE mailboxes SET active = 0, quota_mb = 250, mailbox_bytes = 1234 WHERE email = 'bob@alpha.test'")
        .execute(&server.db)
        .await
        .unwrap();
    sqlx::query("UPDATE mailboxes SET deleted_at = created_at WHERE email = 'carl@alpha.test'")
        .execute(&server.db)
        .await
        .unwrap();

    let reply = server.get(EXPORT, Some(&cookie)).await;
    assert_eq!(reply.status, 200, "{}", reply.body);
    assert_eq!(
        reply.header("content-type"),
        Some("text/csv; charset=utf-8")
    );
    let disposition = reply.header("content-disposition").unwrap();
    assert!(
        disposition.starts_with("attachment; filename=\"alpha.test-accounts-20")
            && disposition.ends_with(".csv\""),
        "{disposition}"
    );
    let lines: Vec<&str> = reply.body.split_terminator("\r\n").collect();
    assert_eq!(
        lines[0],
        "\"address\",\"first name\",\"last name\",\"status\",\"quota MB\",\"usage bytes\",\"created\""
    );
    assert_eq!(lines.len(), 3, "the deleted account is left out: {lines:?}");
    assert!(
        lines[1].starts_with(
            "\"ann@alpha.test\",\"'=cmd()\",\"Smith, \"\"Jr\"\"\",\"active\",\"0\",\"\",\"20"
        ),
        "{}",
        lines[1]
    );
    assert!(
        lines[2]
            .starts_with("\"bob@alpha.test\",\"Bob\",\"Stone\",\"disabled\",\"250\",\"1234\",\"20"),
        "{}",
        lines[2]
    );
    let hashes: Vec<String> = sqlx::query_scalar("SELECT password_hash FROM mailboxes")
        .fetch_all(&server.db)
        .await
        .unwrap();
    for hash in hashes {
        assert!(!reply.body.contains(&hash));
    }
    assert!(!reply.body.contains("$argon2"));
    let audited = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.export' AND domain = 'alpha.test' AND actor = 'postmaster@alpha.test'")
        .await;
    assert_eq!(
        audited, 1,
        "who took the list of accounts is in the activity"
    );
}

#[tokio::test]
async fn a_domain_of_another_postmaster_is_not_found_and_audited() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let reply = server
        .get("/users/export.csv?domain=beta.test", Some(&cookie))
        .await;
    assert_eq!(reply.status, 404);
    assert!(!reply.body.contains("address"), "{}", reply.body);
    let refused = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'authorize' AND outcome = 'refused' AND target = 'beta.test' AND actor = 'postmaster@alpha.test'")
        .await;
    assert_eq!(refused, 1);
}

#[tokio::test]
async fn without_a_session_the_export_sends_to_log_on() {
    let server = TestServer::new().await;
    let reply = server.get(EXPORT, None).await;
    assert!(reply.status.is_redirection(), "{}", reply.status);
    assert_eq!(
        reply.header("location"),
        Some("/log-on?next=%2Fusers%2Fexport.csv%3Fdomain%3Dalpha.test")
    );
    assert!(!reply.body.contains("alpha.test\""));
}

#[tokio::test]
async fn the_users_screen_offers_the_export() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    server
        .add_accounts(&cookie, "ann Tq7$mw2!Lp Tq7$mw2!Lp")
        .await;
    let reply = server.get("/users?domain=alpha.test", Some(&cookie)).await;
    assert!(
        reply
            .body
            .contains("href=\"/users/export.csv?domain=alpha.test\""),
        "{}",
        reply.body
    );
    assert!(reply.body.contains("Export as CSV"));
}
