//! The operator's command line, run as the real binary against SQLite files in temp dirs.

mod support;

use std::io::{Read, Write};
use std::path::Path;
use std::process::Command;

use app::ssr::storage::db::Backend;
use app::ssr::storage::hashing::verify_password;
use sqlx::AnyPool;
use support::binary::{fails, ok, run, self_signed, site, stdout, Served};
use tempfile::TempDir;

async fn db(data_dir: &Path) -> AnyPool {
    support::database::open(data_dir).await
}

async fn count(db: &AnyPool, table: &str) -> i64 {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(db)
        .await
        .unwrap()
}

/// The generated password that a command printed once.
fn printed_password(out: &str) -> String {
    let line = out
        .lines()
        .find_map(|line| line.strip_prefix("Password: "))
        .expect("a password is printed");
    assert!(out.contains("shown only this once"), "{out}");
    line.to_owned()
}

#[tokio::test]
async fn a_new_database_is_created_and_migrated_and_a_second_start_keeps_it() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let out = ok(&data, &["domain", "list"], None);
    assert!(out.contains("No domains yet"), "{out}");
    assert!(support::database::on_postgres() || data.join("vpostmaster.db").is_file());
    ok(&data, &["domain", "add", "example.com"], None);
    // Second start: migrations already applied, data intact.
    let out = ok(&data, &["domain", "list"], None);
    assert!(out.starts_with("example.com\tactive\t0 accounts"), "{out}");
    let db = db(&data).await;
    let applied: i64 = sqlx::query_scalar("SELECT COUNT(*) FROM _sqlx_migrations WHERE success")
        .fetch_one(&db)
        .await
        .unwrap();
    let known = app::ssr::storage::db::Backend::of(&db)
        .migrator()
        .iter()
        .count();
    assert_eq!(applied, known as i64);
    if !support::database::on_postgres() {
        let journal: String = sqlx::query_scalar("PRAGMA journal_mode")
            .fetch_one(&db)
            .await
            .unwrap();
        assert_eq!(journal, "wal");
    }
}

#[tokio::test]
async fn a_database_from_a_newer_version_is_refused() {
    let dir = TempDir::new().unwrap();
    ok(dir.path(), &["domain", "list"], None);
    let db = db(dir.path()).await;
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99990101000000, 'from the future', TRUE, $1, 0)",
    )
    .bind(vec![0u8])
    .execute(&db)
    .await
    .unwrap();
    db.close().await;
    let err = fails(dir.path(), &["domain", "list"], None);
    assert!(err.contains("newer version of vpostmaster"), "{err}");
}

#[tokio::test]
async fn domains_are_added_listed_and_audited() {
    let dir = TempDir::new().unwrap();
    let out = ok(
        dir.path(),
        &[
            "domain",
            "add",
            "Example.COM",
            "--description",
            "Example Ltd",
        ],
        None,
    );
    assert_eq!(out, "Added the domain example.com.\n");
    let out = ok(dir.path(), &["domain", "list"], None);
    assert_eq!(out, "example.com\tactive\t0 accounts\tExample Ltd\n");
    let db = db(dir.path()).await;
    let (actor, action, target, outcome): (String, String, String, String) =
        sqlx::query_as("SELECT actor, action, target, outcome FROM audit_log")
            .fetch_one(&db)
            .await
            .unwrap();
    assert_eq!(
        (
            actor.as_str(),
            action.as_str(),
            target.as_str(),
            outcome.as_str()
        ),
        ("cli", "domain.add", "example.com", "ok")
    );
}

#[tokio::test]
async fn bad_domains_are_refused_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    ok(dir.path(), &["domain", "add", "example.com"], None);
    for (args, expected) in [
        (
            vec!["domain", "add", "not a domain"],
            "is not a domain name",
        ),
        (vec!["domain", "add", "localhost"], "needs a dot"),
        (vec!["domain", "add", "EXAMPLE.com"], "already exists"),
        (
            vec![
                "domain",
                "add",
                "new.example",
                "--description",
                "two\nlines",
            ],
            "one line",
        ),
    ] {
        let err = fails(dir.path(), &args, None);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let db = db(dir.path()).await;
    assert_eq!(count(&db, "domains").await, 1);
    assert_eq!(count(&db, "audit_log").await, 1);
}

#[tokio::test]
async fn a_postmaster_gets_a_generated_password_shown_once_and_stored_as_argon2id() {
    let dir = TempDir::new().unwrap();
    ok(dir.path(), &["domain", "add", "example.com"], None);
    let out = ok(
        dir.path(),
        &[
            "admin",
            "add",
            "PostMaster@Example.com",
            "--domain",
            "example.com",
        ],
        None,
    );
    assert!(
        out.starts_with("Added the postmaster postmaster@example.com for example.com.\n"),
        "{out}"
    );
    let password = printed_password(&out);
    let db = db(dir.path()).await;
    let hash: String = sqlx::query_scalar(
        "SELECT password_hash FROM admins WHERE email = 'postmaster@example.com'",
    )
    .fetch_one(&db)
    .await
    .unwrap();
    assert!(
        hash.starts_with("$argon2id$v=19$m=19456,t=2,p=1$"),
        "{hash}"
    );
    assert!(verify_password(&password, &hash));
    assert!(!hash.contains(&password));
    let out = ok(dir.path(), &["admin", "list"], None);
    assert_eq!(out, "postmaster@example.com\tactive\texample.com\n");
    let audit: Vec<(String, String)> =
        sqlx::query_as("SELECT action, target FROM audit_log ORDER BY id")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(
        audit[1],
        ("admin.add".to_owned(), "postmaster@example.com".to_owned())
    );
    let details: Vec<String> = sqlx::query_scalar("SELECT details FROM audit_log")
        .fetch_all(&db)
        .await
        .unwrap();
    assert!(
        details.iter().all(|d| !d.contains(&password)),
        "no password in the audit log"
    );
}

#[tokio::test]
async fn a_superadmin_takes_its_password_from_stdin() {
    let dir = TempDir::new().unwrap();
    let out = ok(
        dir.path(),
        &[
            "admin",
            "add",
            "root@hosting.example",
            "--superadmin",
            "--password-stdin",
        ],
        Some("Xk4#pq9!zz\n"),
    );
    assert_eq!(out, "Added the superadmin root@hosting.example.\n");
    let out = ok(dir.path(), &["admin", "list"], None);
    assert_eq!(out, "root@hosting.example\tactive\tsuperadmin\n");
    let db = db(dir.path()).await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM admins")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(verify_password("Xk4#pq9!zz", &hash));
}

#[tokio::test]
async fn bad_administrators_are_refused_and_nothing_is_written() {
    let dir = TempDir::new().unwrap();
    ok(dir.path(), &["domain", "add", "example.com"], None);
    ok(
        dir.path(),
        &[
            "admin",
            "add",
            "postmaster@example.com",
            "--domain",
            "example.com",
        ],
        None,
    );
    for (args, stdin, expected) in [
        (
            vec!["admin", "add", "pm@example.com", "--domain", "nope.example"],
            None,
            "The domain nope.example was not found.",
        ),
        (
            vec![
                "admin",
                "add",
                "POSTMASTER@example.com",
                "--domain",
                "example.com",
            ],
            None,
            "already exists",
        ),
        (
            vec!["admin", "add", "no-at-sign", "--domain", "example.com"],
            None,
            "is not a full address",
        ),
        (
            vec![
                "admin",
                "add",
                "a..b@example.com",
                "--domain",
                "example.com",
            ],
            None,
            "is not a valid address",
        ),
        (vec!["admin", "add", "pm@example.com"], None, "--domain"),
        (
            vec![
                "admin",
                "add",
                "pm@example.com",
                "--domain",
                "example.com",
                "--password-stdin",
            ],
            Some("abcdefgh\n"),
            "Password: At least one digit",
        ),
        (
            vec!["admin", "passwd", "nobody@example.com", "--password-stdin"],
            Some("Xk4#pq9!zz\n"),
            "was not found",
        ),
    ] {
        let err = fails(dir.path(), &args, stdin);
        assert!(err.contains(expected), "{args:?}: {err}");
    }
    let db = db(dir.path()).await;
    assert_eq!(count(&db, "admins").await, 1);
    assert_eq!(count(&db, "audit_log").await, 2);
}

#[tokio::test]
async fn a_password_change_replaces_the_hash_and_is_audited() {
    let dir = TempDir::new().unwrap();
    ok(dir.path(), &["domain", "add", "example.com"], None);
    let first = printed_password(&ok(
        dir.path(),
        &["admin", "add", "pm@example.com", "--domain", "example.com"],
        None,
    ));
    let out = ok(
        dir.path(),
        &["admin", "passwd", "PM@example.com", "--password-stdin"],
        Some("Xk4#pq9!zz\r\n"),
    );
    assert_eq!(out, "Changed the password of pm@example.com.\n");
    let db = db(dir.path()).await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM admins")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(
        verify_password("Xk4#pq9!zz", &hash),
        "the CRLF line ending is not part of the password"
    );
    assert!(!verify_password(&first, &hash));
    let second = printed_password(&ok(
        dir.path(),
        &["admin", "passwd", "pm@example.com"],
        None,
    ));
    assert_ne!(first, second);
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(
        actions,
        ["domain.add", "admin.add", "admin.passwd", "admin.passwd"]
    );
}

#[tokio::test]
async fn demo_creates_what_is_missing_once() {
    let dir = TempDir::new().unwrap();
    let out = ok(dir.path(), &["demo"], None);
    assert!(out.contains("Added the demo domain example.test."), "{out}");
    let password = printed_password(&out);
    let out = ok(dir.path(), &["demo"], None);
    assert!(out.contains("exists; its password is unchanged"), "{out}");
    assert!(!out.contains("Password:"));
    let db = db(dir.path()).await;
    let hash: String = sqlx::query_scalar("SELECT password_hash FROM admins")
        .fetch_one(&db)
        .await
        .unwrap();
    assert!(verify_password(&password, &hash));
}

#[test]
fn unknown_flags_and_unusable_data_directories_are_one_clear_line() {
    let dir = TempDir::new().unwrap();
    let output = run(dir.path(), &["domain", "list", "--colour"], None);
    assert_eq!(output.status.code(), Some(2));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("--colour"), "{stderr}");

    let file = dir.path().join("a-file");
    std::fs::write(&file, "").unwrap();
    let err = fails(&file.join("data"), &["domain", "list"], None);
    assert!(
        err.contains("cannot create or protect the data directory"),
        "{err}"
    );
}

#[test]
fn serve_refuses_a_port_in_use_clear_text_and_an_untrusted_proxy_on_the_network_without_writing() {
    let dir = TempDir::new().unwrap();
    let site = site(dir.path());
    let data = dir.path().join("data");
    let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = taken.local_addr().unwrap().to_string();
    let err = fails(
        &data,
        &["serve", "--listen", &addr, "--site-dir", &site],
        None,
    );
    assert!(err.contains(&format!("cannot listen on {addr}")), "{err}");
    let err = fails(
        &data,
        &["serve", "--listen", "0.0.0.0:0", "--site-dir", &site],
        None,
    );
    assert!(err.contains("--behind-proxy"), "{err}");
    let public_proxy = [
        "serve",
        "--listen",
        "0.0.0.0:0",
        "--behind-proxy",
        "--site-dir",
        &site,
    ];
    let err = fails(&data, &public_proxy, None);
    assert!(
        err.contains("refusing to take the client's address from anyone")
            && err.contains("--trusted-proxy"),
        "{err}"
    );
    let err = fails(
        &data,
        &["serve", "--trusted-proxy", "192.0.2.1", "--site-dir", &site],
        None,
    );
    assert!(err.contains("--behind-proxy"), "{err}");
    assert!(!data.exists(), "nothing written");
}

#[test]
fn serve_answers_and_stops_cleanly_on_sigterm() {
    let dir = TempDir::new().unwrap();
    let site = site(dir.path());
    let served = Served::start(&dir.path().join("data"), &site, &[]);
    let addr = served.url.trim_start_matches("http://");
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    stream
        .write_all(b"GET /log-on HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
        .unwrap();
    let mut response = String::new();
    stream.read_to_string(&mut response).unwrap();
    assert!(response.starts_with("HTTP/1.1 200"), "{response}");
    assert!(response.contains("Postmaster address"));
    served.stop();
}

#[test]
fn serve_speaks_tls_with_hsts_and_secure_cookies() {
    let dir = TempDir::new().unwrap();
    let site = site(dir.path());
    let (cert, key) = self_signed(dir.path());
    let data = dir.path().join("data");
    ok(&data, &["domain", "add", "example.com"], None);
    ok(
        &data,
        &[
            "admin",
            "add",
            "pm@example.com",
            "--domain",
            "example.com",
            "--password-stdin",
        ],
        Some("Xk4#pq9!zz\n"),
    );
    let tls = [
        "--tls-cert",
        &cert.to_string_lossy(),
        "--tls-key",
        &key.to_string_lossy(),
        "--max-connections",
        "1",
        "--max-connections-per-client",
        "2",
    ]
    .map(str::to_owned);
    let tls: Vec<&str> = tls.iter().map(String::as_str).collect();
    let served = Served::start(&data, &site, &tls);
    let url = &served.url;
    assert!(url.starts_with("https://"), "{url}");
    let curl = |args: &[&str]| {
        let output = Command::new("curl")
            .args(["-sk", "-D", "-", "-o", "/dev/null"])
            .args(args)
            .output()
            .unwrap();
        String::from_utf8_lossy(&output.stdout).to_lowercase()
    };
    let page = curl(&[&format!("{url}/log-on")]);
    // HTTP/1.1 alone is offered: its every wait for a request is bounded.
    assert!(page.starts_with("http/1.1 200"), "{page}");
    assert!(
        page.contains("strict-transport-security: max-age="),
        "{page}"
    );
    let log_on = <app::api::auth::LogOn as leptos::server_fn::ServerFn>::PATH;
    let reply = curl(&[
        "-X",
        "POST",
        "-H",
        &format!("Origin: {url}"),
        "--data",
        "email=pm@example.com&password=Xk4%23pq9%21zz",
        &format!("{url}{log_on}"),
    ]);
    let cookie = reply
        .lines()
        .find(|line| line.starts_with("set-cookie: __host-vpm_session="))
        .unwrap_or_else(|| panic!("{reply}"));
    assert!(cookie.contains("; secure"), "{cookie}");
    // The connection limit holds for TLS too: while a client that never says hello holds the
    // one place, another is not answered; once it leaves, the other is.
    let holder = std::net::TcpStream::connect(url.trim_start_matches("https://")).unwrap();
    let waiting = curl(&["--max-time", "2", &format!("{url}/log-on")]);
    assert!(waiting.is_empty(), "{waiting}");
    drop(holder);
    let page = curl(&[&format!("{url}/log-on")]);
    assert!(page.contains(" 200"), "{page}");
    served.stop();
}

#[tokio::test]
async fn purge_removes_the_accounts_deleted_more_than_30_days_ago() {
    let dir = TempDir::new().unwrap();
    ok(dir.path(), &["domain", "add", "example.com"], None);
    let out = ok(dir.path(), &["purge"], None);
    assert_eq!(out, "Purged 0 accounts deleted more than 30 days ago.\n");
    let db = db(dir.path()).await;
    for (local, deleted_days_ago) in [
        ("old", Some(31)),
        ("older", Some(45)),
        ("recent", Some(29)),
        ("live", None),
    ] {
        sqlx::query(&format!(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, maildir, deleted_at)
             VALUES ((SELECT id FROM domains WHERE name = 'example.com'), $1, $1 || '@example.com', 'x',
                     'example.com/' || $1 || '.1/',
                     CASE WHEN $2 IS NULL THEN NULL ELSE {} END)",
            Backend::of(&db).seconds_ago("$2 * 86400")
        ))
        .bind(local)
        .bind(deleted_days_ago)
        .execute(&db)
        .await
        .unwrap();
    }
    let out = ok(dir.path(), &["purge"], None);
    assert_eq!(out, "Purged 2 accounts deleted more than 30 days ago.\n");
    let left: Vec<String> = sqlx::query_scalar("SELECT local_part FROM mailboxes ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(left, ["recent", "live"]);
    let audited: Vec<(String, String, String)> = sqlx::query_as(
        "SELECT actor, domain, target FROM audit_log WHERE action = 'mailbox.purge' ORDER BY target",
    )
    .fetch_all(&db)
    .await
    .unwrap();
    let system = |target: &str| {
        (
            "system".to_owned(),
            "example.com".to_owned(),
            target.to_owned(),
        )
    };
    assert_eq!(
        audited,
        [system("old@example.com"), system("older@example.com")]
    );
}

#[tokio::test]
async fn a_clock_that_jumped_ahead_holds_the_purge_until_the_operator_confirms_it() {
    let dir = TempDir::new().unwrap();
    ok(dir.path(), &["domain", "add", "example.com"], None);
    ok(dir.path(), &["purge"], None);
    let db = db(dir.path()).await;
    sqlx::query(&format!(
        "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, maildir, deleted_at)
         VALUES ((SELECT id FROM domains WHERE name = 'example.com'), 'old', 'old@example.com',
                 'x', 'example.com/old.1/', {})",
        Backend::of(&db).seconds_ago("31 * 86400")
    ))
    .execute(&db)
    .await
    .unwrap();
    // The server last saw the clock three days ago: as if it had jumped three days ahead. A
    // minute short of three, so that the seconds the commands take still count as 3 days.
    sqlx::query("UPDATE clock_mark SET last_seen = last_seen - 3 * 86400 + 60")
        .execute(&db)
        .await
        .unwrap();
    for _ in 0..2 {
        let error = fails(dir.path(), &["purge"], None);
        assert!(
            error.contains("The clock is 3 days ahead")
                && error.contains("vpostmaster purge --clock-is-right"),
            "{error}"
        );
        assert_eq!(
            count(&db, "mailboxes").await,
            1,
            "nothing purged while held"
        );
    }
    let out = ok(dir.path(), &["purge", "--clock-is-right"], None);
    assert_eq!(out, "Purged 1 account deleted more than 30 days ago.\n");
    let confirmed: Vec<(String, String)> =
        sqlx::query_as("SELECT actor, details FROM audit_log WHERE action = 'clock.confirm'")
            .fetch_all(&db)
            .await
            .unwrap();
    assert_eq!(confirmed.len(), 1, "{confirmed:?}");
    assert_eq!(confirmed[0].0, "cli");
    // The confirmed time is the new mark: the next purge runs without a word.
    let out = ok(dir.path(), &["purge"], None);
    assert_eq!(out, "Purged 0 accounts deleted more than 30 days ago.\n");
}

#[tokio::test]
async fn a_domain_is_disabled_and_enabled_again_audited() {
    let dir = TempDir::new().unwrap();
    ok(dir.path(), &["domain", "add", "example.com"], None);
    let out = ok(dir.path(), &["domain", "disable", "Example.com"], None);
    assert!(
        out.starts_with(
            "Disabled example.com: its accounts can no longer log in, nor its postmasters manage it."
        ),
        "{out}"
    );
    assert!(ok(dir.path(), &["domain", "list"], None).starts_with("example.com\tdisabled\t"));
    let err = fails(dir.path(), &["domain", "disable", "nope.example"], None);
    assert!(
        err.contains("The domain nope.example was not found."),
        "{err}"
    );
    ok(dir.path(), &["domain", "enable", "example.com"], None);
    assert!(ok(dir.path(), &["domain", "list"], None).starts_with("example.com\tactive\t"));
    let db = db(dir.path()).await;
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(actions, ["domain.add", "domain.disable", "domain.enable"]);
}

#[tokio::test]
async fn an_administrator_is_disabled_enabled_and_removed_audited() {
    let dir = TempDir::new().unwrap();
    ok(dir.path(), &["domain", "add", "example.com"], None);
    ok(
        dir.path(),
        &["admin", "add", "pm@example.com", "--domain", "example.com"],
        None,
    );
    let out = ok(dir.path(), &["admin", "disable", "PM@example.com"], None);
    assert_eq!(
        out,
        "Disabled the administrator pm@example.com; their sessions have ended.\n"
    );
    assert!(ok(dir.path(), &["admin", "list"], None).contains("pm@example.com"));
    ok(dir.path(), &["admin", "enable", "pm@example.com"], None);
    let out = ok(dir.path(), &["admin", "remove", "pm@example.com"], None);
    assert_eq!(out, "Removed the administrator pm@example.com.\n");
    let err = fails(dir.path(), &["admin", "remove", "pm@example.com"], None);
    assert!(
        err.contains("The administrator pm@example.com was not found."),
        "{err}"
    );
    let db = db(dir.path()).await;
    assert_eq!(count(&db, "admins").await, 0);
    let actions: Vec<String> = sqlx::query_scalar("SELECT action FROM audit_log ORDER BY id")
        .fetch_all(&db)
        .await
        .unwrap();
    assert_eq!(
        actions,
        [
            "domain.add",
            "admin.add",
            "admin.disable",
            "admin.enable",
            "admin.remove"
        ]
    );
}

/// Two domains, alpha.test with two accounts (one named like a formula) and an empty beta.test.
async fn two_domains(dir: &Path) {
    ok(dir, &["domain", "add", "alpha.test"], None);
    ok(dir, &["domain", "add", "beta.test"], None);
    std::fs::write(
        dir.join("alpha.csv"),
        "ann,Tq7$mw2!Lp,Tq7$mw2!Lp,=cmd(),\"Smith, Jr\",250\nbob,Hv3%kx8?Rn,Hv3%kx8?Rn,Bob\n",
    )
    .unwrap();
    ok(
        dir,
        &[
            "import",
            "alpha.test",
            dir.join("alpha.csv").to_str().unwrap(),
        ],
        None,
    );
}

#[tokio::test]
async fn an_export_imports_into_another_domain_after_a_dry_run() {
    let dir = TempDir::new().unwrap();
    two_domains(dir.path()).await;
    // Disabled on the Edit screen: the export says so, and the import keeps it.
    sqlx::query("UPDATE mailboxes SET active = 0 WHERE email = 'bob@alpha.test'")
        .execute(&db(dir.path()).await)
        .await
        .unwrap();
    let export = ok(dir.path(), &["export", "alpha.test"], None);
    assert!(
        export.contains("\"bob@alpha.test\",\"Bob\",\"\",\"disabled\""),
        "{export}"
    );
    assert!(export.starts_with("\"address\",\"first name\",\"last name\",\"status\",\"quota MB\""));
    assert!(export.contains("\"ann@alpha.test\",\"'=cmd()\",\"Smith, Jr\",\"active\",\"250\""));
    assert!(!export.contains("argon2"));
    let file = dir.path().join("export.csv");
    std::fs::write(&file, &export).unwrap();
    let file = file.to_str().unwrap();

    let checked = ok(
        dir.path(),
        &[
            "import",
            "beta.test",
            file,
            "--generate-missing",
            "--dry-run",
        ],
        None,
    );
    assert_eq!(checked, "", "a dry run prints no passwords");
    let pool = db(dir.path()).await;
    let in_beta = "SELECT COUNT(*) FROM mailboxes WHERE email LIKE '%@beta.test'";
    let none: i64 = sqlx::query_scalar(in_beta).fetch_one(&pool).await.unwrap();
    assert_eq!(none, 0, "a dry run adds nothing");

    let passwords = ok(
        dir.path(),
        &["import", "beta.test", file, "--generate-missing"],
        None,
    );
    let rows: Vec<&str> = passwords.lines().collect();
    assert_eq!(rows[0], "\"email\",\"password\"");
    assert_eq!(rows.len(), 3, "{passwords}");
    assert!(rows[1].starts_with("\"ann@beta.test\",\""));
    let (first, last, quota): (String, String, i64) = sqlx::query_as(
        "SELECT first_name, last_name, quota_mb FROM mailboxes WHERE email = 'ann@beta.test'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(
        (first.as_str(), last.as_str(), quota),
        ("=cmd()", "Smith, Jr", 250)
    );
    let active: Vec<(String, i64)> = sqlx::query_as(
        "SELECT email, active FROM mailboxes WHERE email LIKE '%@beta.test' ORDER BY email",
    )
    .fetch_all(&pool)
    .await
    .unwrap();
    assert_eq!(
        active,
        [
            ("ann@beta.test".to_string(), 1),
            ("bob@beta.test".to_string(), 0)
        ]
    );
    let audited: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.add' AND actor = 'cli' AND target LIKE '%@beta.test'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(audited, 2);
    let exports: i64 = sqlx::query_scalar(
        "SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.export' AND actor = 'cli' AND domain = 'alpha.test'",
    )
    .fetch_one(&pool)
    .await
    .unwrap();
    assert_eq!(exports, 1);
}

#[tokio::test]
async fn a_refused_import_adds_nothing_and_names_each_line() {
    let dir = TempDir::new().unwrap();
    two_domains(dir.path()).await;
    let file = dir.path().join("bad.csv");
    std::fs::write(
        &file,
        "username,password,password again,first name,last name,quota\n\
         carl,Wj5&pz4!Qs,Wj5&pz4!Qs\n\
         ann,Tq7$mw2!Lp,Tq7$mw2!Lp\n\
         dora,Wj5&pz4!Qs,different1!A,,,lots\n",
    )
    .unwrap();
    let output = run(
        dir.path(),
        &["import", "alpha.test", file.to_str().unwrap()],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Line 3, username: ann@alpha.test is already an account."),
        "{stderr}"
    );
    assert!(stderr.contains("\nLine 4, password again: "), "{stderr}");
    assert!(stderr.contains("\nLine 4, quota: "), "{stderr}");
    assert!(!stderr.contains("Line 2"), "{stderr}");
    assert_eq!(stdout(&output), "");
    let pool = db(dir.path()).await;
    assert_eq!(count(&pool, "mailboxes").await, 2, "nothing was added");
}

#[test]
fn the_database_url_is_read_from_a_file_and_never_shown() {
    let dir = TempDir::new().unwrap();
    let file = dir.path().join("database-url");
    std::fs::write(
        &file,
        "postgres://vpm:S3cret-pw@db.example.net:5433/mail?sslmode=verify-full\n# a note\n",
    )
    .unwrap();
    let file = file.to_str().unwrap();
    let data = dir.path().join("data");
    let roles = dir.path().join("roles");
    std::fs::create_dir(&roles).unwrap();
    std::fs::write(roles.join("dovecot-database-password"), "R0le-pw\n").unwrap();
    let sql = support::binary::run_on(
        &data,
        None,
        &[
            "dovecot-config",
            "--sql",
            "--database-url-file",
            file,
            "--mail-roles-dir",
            roles.to_str().unwrap(),
        ],
        None,
    );
    assert!(sql.status.success(), "{sql:?}");
    let sql = stdout(&sql);
    assert!(
        sql.contains(
            "host=db.example.net port=5433 dbname=mail user=mail_dovecot password=R0le-pw"
        ),
        "{sql}"
    );
    assert!(!sql.contains("S3cret-pw"), "{sql}");

    // Without the test run's own URL in the environment, which the flag cannot go with.
    let refused = |args: &[&str]| {
        let output = support::binary::run_on(&data, None, args, None);
        assert!(!output.status.success(), "{args:?} succeeded");
        String::from_utf8_lossy(&output.stderr).into_owned()
    };
    let empty = dir.path().join("empty");
    std::fs::write(&empty, "\n").unwrap();
    let err = refused(&[
        "domain",
        "list",
        "--database-url-file",
        empty.to_str().unwrap(),
    ]);
    assert!(err.contains("holds no database URL"), "{err}");
    let missing = dir.path().join("missing");
    let err = refused(&[
        "domain",
        "list",
        "--database-url-file",
        missing.to_str().unwrap(),
    ]);
    assert!(
        err.contains("cannot read the database URL from") && err.contains("missing"),
        "{err}"
    );
    let err = refused(&[
        "domain",
        "list",
        "--database-url",
        "postgres://vpm:S3cret-pw@db.example.net/mail",
        "--database-url-file",
        file,
    ]);
    assert!(!err.contains("S3cret-pw"), "{err}");
    // A file holding something else is refused without showing it.
    let wrong = dir.path().join("wrong");
    std::fs::write(&wrong, "mysql://vpm:S3cret-pw@db.example.net/mail\n").unwrap();
    let err = refused(&[
        "domain",
        "list",
        "--database-url-file",
        wrong.to_str().unwrap(),
    ]);
    assert!(err.contains("must start with postgres://"), "{err}");
    assert!(!err.contains("S3cret-pw"), "{err}");
}

#[test]
fn a_remote_database_is_reached_over_tls_that_checks_its_certificate() {
    let (Some(ca), true) = (
        std::env::var_os("VPM_TEST_POSTGRES_CA"),
        support::database::on_postgres(),
    ) else {
        eprintln!("skipped: runs against PostgreSQL only (server/tests/with-postgres)");
        return;
    };
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let url = support::database::url_for(&data).unwrap();
    let list = |sslmode: &str, root: &std::ffi::OsStr| {
        support::binary::vpostmaster(&data)
            .args(["domain", "list"])
            .env("VPM_DATABASE_URL", format!("{url}?sslmode={sslmode}"))
            .env("PGSSLROOTCERT", root)
            .env("VPM_MAIL_USER", support::binary::mail_user())
            .output()
            .unwrap()
    };
    let verified = list("verify-full", &ca);
    assert!(
        verified.status.success(),
        "{}",
        String::from_utf8_lossy(&verified.stderr)
    );
    assert!(stdout(&verified).contains("No domains yet"));
    // Another CA's certificate is not the server's: nothing is sent to it.
    let other = dir.path().join("other-ca.pem");
    let (cert, _) = self_signed(dir.path());
    std::fs::rename(cert, &other).unwrap();
    let refused = list("verify-full", other.as_os_str());
    assert!(!refused.status.success());
}

#[tokio::test]
async fn an_import_is_refused_for_its_size_before_it_is_read_and_for_an_unknown_column() {
    let dir = TempDir::new().unwrap();
    two_domains(dir.path()).await;
    // Past the first MiB the file is not text: it is refused for its size, unread.
    let large = dir.path().join("large.csv");
    let mut bytes = "dan,Wj5&pz4!Qs,Wj5&pz4!Qs\n".repeat(50_000).into_bytes();
    bytes.extend([0xff; 16]);
    std::fs::write(&large, bytes).unwrap();
    let err = fails(
        dir.path(),
        &["import", "alpha.test", large.to_str().unwrap()],
        None,
    );
    assert!(
        err.contains("large.csv is larger than 1 MiB: split it into smaller files"),
        "{err}"
    );

    let file = dir.path().join("columns.csv");
    std::fs::write(
        &file,
        "username,password,password_again,first_name\ncarl,Wj5&pz4!Qs,Wj5&pz4!Qs,Carl\n",
    )
    .unwrap();
    let output = run(
        dir.path(),
        &["import", "alpha.test", file.to_str().unwrap()],
        None,
    );
    assert_eq!(output.status.code(), Some(1));
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        stderr.contains("Line 1: the import knows no column \"password_again\". Its columns are username, password, password again, first name, last name, quota"),
        "{stderr}"
    );
    assert!(!stderr.contains("Line 2"), "{stderr}");
    assert_eq!(count(&db(dir.path()).await, "mailboxes").await, 2);
}
