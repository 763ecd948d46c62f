//! The authorization matrix: every server function refuses without a session, and a
//! postmaster of one domain can reach nothing of another's. Extend it with every new function.

mod support;

use app::error::AppError;
use app::validate::NUL_REFUSED;
use axum::http::StatusCode;
use leptos::server_fn::ServerFn;
use support::*;

/// Functions anyone may call: they open or close a session (the code step of a two-factor
/// log-on needs its pending log-on's cookie instead, see `two_factor_web`).
fn is_public(path: &str) -> bool {
    path == LOG_ON || path == LOG_OFF || path == app::api::auth::LogOnCode::PATH
}

/// Plausible values for every argument of every function, so that each gets past decoding
/// to its authorization; unknown fields are ignored.
const ANY_ARGUMENTS: &[(&str, &str)] = &[
    ("domain", "alpha.test"),
    ("search", ""),
    ("page", "1"),
    ("current", PASSWORD),
    ("password", "New#secret42"),
    ("password_again", "New#secret42"),
    ("text", "jdoe"),
    ("generate", "on"),
    ("username", "jdoe"),
    ("first_name", "John"),
    ("last_name", "Doe"),
    ("email", "jdoe@alpha.test"),
    ("active", "on"),
    ("emails", "jdoe@alpha.test"),
    ("id", "1"),
    ("batch", "00112233445566778899aabbccddeeff"),
    ("action", ""),
    ("target", "jdoe@alpha.test"),
    ("name", "sales"),
    ("address", "sales@alpha.test"),
    ("addresses", "sales@alpha.test"),
    ("targets", "jdoe@alpha.test"),
    ("subject", "Away"),
    ("starts_on", ""),
    ("ends_on", ""),
    ("code", "123456"),
    ("current_password", PASSWORD),
    ("renew_password", PASSWORD),
    ("renew_code", "123456"),
];

#[tokio::test]
async fn every_server_function_needs_a_session() {
    let server = TestServer::new().await;
    let paths: Vec<&str> = leptos::server_fn::axum::server_fn_paths()
        .map(|(path, _)| path)
        .filter(|path| !is_public(path))
        .collect();
    assert!(paths.len() >= 4, "the functions are registered: {paths:?}");
    for path in paths {
        let reply = server.call(path, ANY_ARGUMENTS, None).await;
        assert!(
            reply.body.contains("Unauthenticated") || reply.body.contains("Please log on"),
            "{path}: {} {}",
            reply.status,
            reply.body
        );
    }
}

#[tokio::test]
async fn a_postmaster_cannot_reach_another_domain() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let list = app::api::accounts::ListAccounts::PATH;
    let own = server
        .call(
            list,
            &[("domain", "alpha.test"), ("search", ""), ("page", "1")],
            Some(&cookie),
        )
        .await;
    assert!(own.status.is_success(), "{}", own.body);
    let other = server
        .call(
            list,
            &[("domain", "beta.test"), ("search", ""), ("page", "1")],
            Some(&cookie),
        )
        .await;
    assert!(
        other.body.contains("NotFound"),
        "answers as not found: {}",
        other.body
    );
    let refused = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'authorize' AND outcome = 'refused' AND target = 'beta.test' AND actor = 'postmaster@alpha.test'")
        .await;
    assert_eq!(refused, 1, "the attempt is audited");
    let domains = server
        .call(app::api::accounts::ListDomains::PATH, &[], Some(&cookie))
        .await;
    assert!(
        domains.body.contains("alpha.test") && !domains.body.contains("beta.test"),
        "{}",
        domains.body
    );
}

#[tokio::test]
async fn a_nul_anywhere_is_refused_as_not_valid_before_anything_reads_it() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let reply = server
        .call(
            app::api::accounts::DeleteAccounts::PATH,
            &[("domain", "beta\0.test"), ("emails", "")],
            Some(&cookie),
        )
        .await;
    let refusal: AppError = serde_json::from_str(&reply.body).unwrap();
    assert_eq!(
        (reply.status, refusal),
        (
            StatusCode::BAD_REQUEST,
            AppError::Invalid(format!("{NUL_REFUSED}."))
        )
    );
    // In a page's address, and in a form posted without JavaScript: a page that says so.
    for reply in [
        server.get("/activity?action=a%00b", Some(&cookie)).await,
        server
            .send(
                post(app::api::aliases::AddAlias::PATH, Some(&cookie))
                    .header(axum::http::header::ACCEPT, "text/html")
                    .body(axum::body::Body::from(
                        "domain=alpha.test&name=a%00&targets=x%40y.test",
                    ))
                    .unwrap(),
            )
            .await,
    ] {
        assert_eq!(reply.status, StatusCode::BAD_REQUEST, "{}", reply.body);
        assert!(reply.body.contains("NUL character"), "{}", reply.body);
    }
    assert_eq!(server.count("SELECT COUNT(*) FROM aliases").await, 0);
    // Whatever content type the request names, or none: a server function reads any body as
    // its form, so a NUL there would reach the database as well.
    for content_type in ["text/plain", "APPLICATION/X-WWW-FORM-URLENCODED", ""] {
        let mut request = axum::http::Request::post(app::api::activity::ListActivity::PATH)
            .header(axum::http::header::HOST, "console.test")
            .header(axum::http::header::ORIGIN, "http://console.test")
            .header(axum::http::header::COOKIE, &cookie);
        if !content_type.is_empty() {
            request = request.header(axum::http::header::CONTENT_TYPE, content_type);
        }
        let body = "domain=alpha.test&action=a%00b&page=0";
        let reply = server
            .send(request.body(axum::body::Body::from(body)).unwrap())
            .await;
        let refusal: AppError = serde_json::from_str(&reply.body).unwrap();
        assert_eq!(
            (reply.status, refusal),
            (
                StatusCode::BAD_REQUEST,
                AppError::Invalid(format!("{NUL_REFUSED}."))
            ),
            "sent as {content_type:?}"
        );
    }
}

/// Refusal rows of alpha's postmaster, by the domain whose log holds them.
async fn refusals_in(server: &TestServer, domain: &str) -> i64 {
    server
        .count(&format!(
            "SELECT COUNT(*) FROM audit_log WHERE action = 'authorize' AND outcome = 'refused'
             AND actor = 'postmaster@alpha.test' AND COALESCE(domain, '') = '{domain}'"
        ))
        .await
}

#[tokio::test]
async fn a_refusal_is_logged_in_the_callers_own_log_bounded_and_at_a_limited_rate() {
    use app::api::accounts::DeleteAccounts;
    use app::api::aliases::DeleteAliases;
    use app::ssr::access::caller::REFUSALS_LOGGED;

    let server = TestServer::new().await;
    let alpha = server.log_on(POSTMASTER_A, PASSWORD).await;
    for path in [DeleteAliases::PATH, DeleteAccounts::PATH] {
        let form = [
            ("domain", "alpha.test"),
            ("addresses", "Anything@Beta.test"),
            ("emails", "Anything@Beta.test"),
        ];
        let reply = server.call(path, &form, Some(&alpha)).await;
        assert!(reply.body.contains("NotFound"), "{}", reply.body);
    }
    assert_eq!(
        refusals_in(&server, "beta.test").await,
        0,
        "nothing in beta's log"
    );
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM audit_log WHERE domain = 'alpha.test' AND target = 'anything@beta.test' AND outcome = 'refused'")
            .await,
        2,
        "both in alpha's own"
    );
    // A domain not theirs goes to the operator's log.
    let form = [("domain", "beta.test"), ("addresses", "x@beta.test")];
    server.call(DeleteAliases::PATH, &form, Some(&alpha)).await;
    assert_eq!(refusals_in(&server, "").await, 1);

    // Of a megabyte typed, the log keeps a fixed word.
    let huge = format!("{}@beta.test", "a".repeat(1 << 20));
    let form = [("domain", "alpha.test"), ("addresses", huge.as_str())];
    server.call(DeleteAliases::PATH, &form, Some(&alpha)).await;
    assert_eq!(
        server
            .count("SELECT MAX(LENGTH(target)) FROM audit_log WHERE outcome = 'refused'")
            .await,
        "(too long to be an address)".len() as i64
    );

    // Past the limit, refusals are answered the same but no longer written.
    let logged = refusals_in(&server, "alpha.test").await + refusals_in(&server, "").await;
    for n in logged..REFUSALS_LOGGED + 5 {
        let typed = format!("n{n}@beta.test");
        let form = [("domain", "alpha.test"), ("addresses", typed.as_str())];
        let reply = server.call(DeleteAliases::PATH, &form, Some(&alpha)).await;
        assert!(reply.body.contains("NotFound"), "{}", reply.body);
    }
    assert_eq!(
        refusals_in(&server, "alpha.test").await + refusals_in(&server, "").await,
        REFUSALS_LOGGED
    );
    // Another administrator's refusals are counted apart.
    let beta = server.log_on(POSTMASTER_B, PASSWORD).await;
    let form = [("domain", "beta.test"), ("addresses", "x@alpha.test")];
    server.call(DeleteAliases::PATH, &form, Some(&beta)).await;
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM audit_log WHERE actor = 'postmaster@beta.test' AND outcome = 'refused' AND domain = 'beta.test'")
            .await,
        1
    );
}

/// Beta's accounts and the audit rows that are not refusals, to compare before and after.
async fn beta_state(server: &TestServer) -> (Vec<String>, i64) {
    let rows: Vec<String> = sqlx::query_scalar(
        "SELECT id || '|' || email || '|' || password_hash || '|' || first_name || '|' || last_name
                || '|' || active || '|' || updated_at || '|' || password_changed_at || '|'
                || COALESCE(deleted_at, '') || '|' || COALESCE(CAST(message_count AS TEXT), '') || '|'
                || COALESCE(CAST(mailbox_bytes AS TEXT), '') || '|' || forward_to || '|' || forward_keep_copy
         FROM mailboxes WHERE email LIKE '%@beta.test'
         UNION ALL SELECT 'catch-all|' || catch_all FROM domains WHERE name = 'beta.test'
         UNION ALL SELECT 'autoreply|' || mailbox_id || '|' || enabled || '|' || version
           FROM autoreplies WHERE mailbox_id IN
             (SELECT id FROM mailboxes WHERE email LIKE '%@beta.test')
         ORDER BY 1",
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
async fn a_postmaster_cannot_touch_another_domains_accounts() {
    use app::api::accounts::*;
    use app::api::activity::ListActivity;
    use app::api::autoreply::*;
    use app::api::forwarding::*;

    let server = TestServer::new().await;
    let beta = server.log_on(POSTMASTER_B, PASSWORD).await;
    let added = server
        .call(
            AddAccounts::PATH,
            &[
                ("domain", "beta.test"),
                ("text", "someone\nformer"),
                ("generate", "on"),
            ],
            Some(&beta),
        )
        .await;
    let batch = added
        .header("location")
        .and_then(|location| location.strip_prefix("/users/added?batch="))
        .unwrap_or_else(|| panic!("{}", added.body))
        .to_owned();
    let deleted = server
        .call(
            DeleteAccounts::PATH,
            &[("domain", "beta.test"), ("emails", "former@beta.test")],
            Some(&beta),
        )
        .await;
    assert!(deleted.status.is_success(), "{}", deleted.body);
    let former: i64 =
        sqlx::query_scalar("SELECT id FROM mailboxes WHERE email = 'former@beta.test'")
            .fetch_one(&server.db)
            .await
            .unwrap();
    let former = former.to_string();

    let alpha = server.log_on(POSTMASTER_A, PASSWORD).await;
    let before = beta_state(&server).await;
    let someone = "someone@beta.test";
    let attempts: Vec<(&str, Vec<(&str, &str)>)> = vec![
        (
            AddAccounts::PATH,
            vec![
                ("domain", "beta.test"),
                ("text", "intruder"),
                ("generate", "on"),
            ],
        ),
        (
            AddAccount::PATH,
            vec![
                ("domain", "beta.test"),
                ("username", "intruder"),
                ("first_name", ""),
                ("last_name", ""),
                ("password", "New#secret42"),
                ("password_again", "New#secret42"),
            ],
        ),
        (GetAccount::PATH, vec![("email", someone)]),
        (
            UpdateAccount::PATH,
            vec![
                ("email", someone),
                ("first_name", "Pwned"),
                ("last_name", ""),
            ],
        ),
        (
            SetAccountPassword::PATH,
            vec![
                ("email", someone),
                ("password", "New#secret42"),
                ("password_again", "New#secret42"),
            ],
        ),
        (
            DeleteAccounts::PATH,
            vec![("domain", "beta.test"), ("emails", someone)],
        ),
        // Their own domain named, another's account listed.
        (
            DeleteAccounts::PATH,
            vec![("domain", "alpha.test"), ("emails", someone)],
        ),
        (ListDeleted::PATH, vec![("domain", "beta.test")]),
        (
            RestoreAccount::PATH,
            vec![("domain", "beta.test"), ("id", &former)],
        ),
        (
            RestoreAccount::PATH,
            vec![("domain", "alpha.test"), ("id", &former)],
        ),
        (
            ListActivity::PATH,
            vec![("domain", "beta.test"), ("action", ""), ("page", "1")],
        ),
        (
            ListAccounts::PATH,
            vec![("domain", "BETA.test"), ("search", ""), ("page", "1")],
        ),
        (RebuildAccount::PATH, vec![("email", someone)]),
        (LastRebuild::PATH, vec![("email", someone)]),
        (GetForwarding::PATH, vec![("email", someone)]),
        (
            SetForwarding::PATH,
            vec![("email", someone), ("targets", "thief@outside.test")],
        ),
        (GetCatchAll::PATH, vec![("domain", "beta.test")]),
        (GetAutoreply::PATH, vec![("email", someone)]),
        (
            SetAutoreply::PATH,
            vec![
                ("email", someone),
                ("enabled", "on"),
                ("subject", "Hijacked"),
                ("text", "Send your password"),
                ("starts_on", ""),
                ("ends_on", ""),
            ],
        ),
        (
            SetCatchAll::PATH,
            vec![("domain", "beta.test"), ("target", "thief@outside.test")],
        ),
    ];
    for (path, form) in &attempts {
        let refused_before = server
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'authorize' AND outcome = 'refused' AND actor = 'postmaster@alpha.test'")
            .await;
        let reply = server.call(path, form, Some(&alpha)).await;
        assert!(
            reply.body.contains("NotFound"),
            "{path} {form:?} answers as not found: {}",
            reply.body
        );
        assert!(
            !reply.body.contains("someone@beta.test was"),
            "{}",
            reply.body
        );
        let refused_after = server
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'authorize' AND outcome = 'refused' AND actor = 'postmaster@alpha.test' AND COALESCE(domain, 'alpha.test') = 'alpha.test'")
            .await;
        assert_eq!(
            refused_after,
            refused_before + 1,
            "{path} {form:?} is audited"
        );
    }
    // The one-time results of beta's add are not alpha's to read, and stay for beta.
    assert_eq!(
        refusals_in(&server, "beta.test").await,
        0,
        "nothing in beta's log"
    );
    let stolen = server
        .call(AddedAccounts::PATH, &[("batch", &batch)], Some(&alpha))
        .await;
    assert!(stolen.body.contains("NotFound"), "{}", stolen.body);
    assert_eq!(
        beta_state(&server).await,
        before,
        "beta's data is unchanged"
    );
    let shown = server
        .call(AddedAccounts::PATH, &[("batch", &batch)], Some(&beta))
        .await;
    assert!(shown.body.contains("someone@beta.test"), "{}", shown.body);
}

#[tokio::test]
async fn a_disabled_domain_or_administrator_closes_the_console_at_once() {
    use app::ssr::storage::audit::Actor;
    use app::ssr::{access::admins, storage::domains};
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    domains::set_active(&server.db, "alpha.test", false, Actor::CLI)
        .await
        .unwrap();
    let page = server.get("/users", Some(&cookie)).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER, "the open session ends");
    let again = server
        .call(
            LOG_ON,
            &[("email", POSTMASTER_A), ("password", PASSWORD)],
            None,
        )
        .await;
    assert!(again.session_cookie().is_none(), "{}", again.body);
    domains::set_active(&server.db, "alpha.test", true, Actor::CLI)
        .await
        .unwrap();
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    admins::set_active(&server.db, POSTMASTER_A, false, Actor::CLI)
        .await
        .unwrap();
    assert_eq!(
        server.get("/users", Some(&cookie)).await.status,
        StatusCode::SEE_OTHER
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM sessions s JOIN admins a ON a.id = s.admin_id WHERE a.email = 'postmaster@alpha.test'").await, 0);
    server.log_on(POSTMASTER_B, PASSWORD).await;
}
