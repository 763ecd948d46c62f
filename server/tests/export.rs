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

/// Adds `count` accounts `u0000`, `u0001`, ... to alpha.test, straight into the database.
async fn seed(server: &TestServer, count: usize) {
    let mut tx = server.db.begin().await.unwrap();
    for n in 0..count {
        sqlx::query(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, maildir)
             SELECT id, $1, $1 || '@alpha.test', 'x', 'alpha.test/' || $1 || '.seed/'
             FROM domains WHERE name = 'alpha.test'",
        )
        .bind(format!("u{n:04}"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
}

/// An export whose body the client has started to read and then stops reading.
type Stalled = axum::body::BodyDataStream;

impl TestServer {
    /// Asks for alpha.test's export with `cookie`: the answer's status and page when refused,
    /// else the download, stalled after its first piece.
    async fn stall_export(&self, cookie: &str) -> Result<Stalled, Reply> {
        use futures_util::StreamExt;
        use tower::ServiceExt;
        let mut request = axum::http::Request::get(EXPORT)
            .header(axum::http::header::COOKIE, cookie)
            .body(axum::body::Body::empty())
            .unwrap();
        request
            .extensions_mut()
            .insert(axum::extract::ConnectInfo(std::net::SocketAddr::from((
                [192, 0, 2, 1],
                40000,
            ))));
        let response = self.router.clone().oneshot(request).await.unwrap();
        if response.status() != 200 {
            let (parts, body) = response.into_parts();
            let bytes = axum::body::to_bytes(body, usize::MAX).await.unwrap();
            return Err(Reply {
                status: parts.status,
                headers: parts.headers,
                body: String::from_utf8_lossy(&bytes).into_owned(),
            });
        }
        let mut body = response.into_body().into_data_stream();
        let first = body.next().await.unwrap().unwrap();
        assert!(first.starts_with(b"\"address\""));
        Ok(body)
    }
}

/// Waits until every connection of the pool is back in it; false if one is still out after
/// far longer than a page takes.
async fn every_connection_idle(db: &sqlx::AnyPool) -> bool {
    for _ in 0..600 {
        if db.num_idle() == db.size() as usize {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}

#[tokio::test]
async fn a_stalled_download_holds_no_database_connection_and_the_others_are_limited() {
    let server = TestServer::new().await;
    seed(&server, 1234).await;
    let first = server.log_on(POSTMASTER_A, PASSWORD).await;
    let mine = [
        server.stall_export(&first).await.ok().unwrap(),
        server.stall_export(&first).await.ok().unwrap(),
    ];
    assert!(
        every_connection_idle(&server.db).await,
        "stalled downloads hold no connection, nor a read snapshot"
    );
    let page = server.get("/users?domain=alpha.test", Some(&first)).await;
    assert_eq!(page.status, 200, "{}", page.body);

    let Err(refused) = server.stall_export(&first).await else {
        panic!("a third export of one session is refused");
    };
    assert_eq!(refused.status, 429);
    assert!(
        refused
            .body
            .contains("Your last 2 exports are still being sent. Please wait for one to finish"),
        "{}",
        refused.body
    );
    let second = server.log_on(POSTMASTER_A, PASSWORD).await;
    let theirs = [
        server.stall_export(&second).await.ok().unwrap(),
        server.stall_export(&second).await.ok().unwrap(),
    ];
    let third = server.log_on(POSTMASTER_A, PASSWORD).await;
    let Err(refused) = server.stall_export(&third).await else {
        panic!("an export past the server's limit is refused");
    };
    assert_eq!(refused.status, 503);
    assert!(
        refused
            .body
            .contains("The server is sending as many exports as it can at once."),
        "{}",
        refused.body
    );
    let exports = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.export'")
        .await;
    assert_eq!(exports, 4, "a refused export is not recorded as taken");

    // A download that ends gives its place back; the whole list arrives, a page at a time.
    drop(theirs);
    let whole = server.get(EXPORT, Some(&third)).await;
    assert_eq!(whole.status, 200, "{}", whole.body);
    let addresses: Vec<&str> = whole
        .body
        .split_terminator("\r\n")
        .skip(1)
        .map(|line| line.split(',').next().unwrap())
        .collect();
    let expected: Vec<String> = (0..1234)
        .map(|n| format!("\"u{n:04}@alpha.test\""))
        .collect();
    assert_eq!(addresses, expected);
    drop(mine);
}
