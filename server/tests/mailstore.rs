//! Accounts and their Maildirs as one unit: created together or not at all, restored where
//! they were, purged together, reconciled at start; Rebuild mailbox through the web and the
//! command line; the Dovecot configuration the command line prints.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::os::unix::fs::MetadataExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use app::api::accounts::{
    AddAccounts, DeleteAccounts, LastRebuild, ListDeleted, RebuildAccount, RestoreAccount,
};
use app::model::accounts::DeletedRow;
use app::model::deleted::DeletedPage;
use app::model::rebuild::{RebuildRecord, RebuildReport, Resync};
use app::ssr::services::accounts::{purge_expired, RETENTION_DAYS};
use app::ssr::storage::db::Backend;
use app::ssr::storage::mailstore::{reconcile, MailUser};
use leptos::server_fn::ServerFn;
use support::*;
use tempfile::TempDir;

const PW: &str = "Tr4in#Lamp";

/// Adds accounts to alpha.test as its postmaster; the raw reply.
async fn add(server: &TestServer, cookie: &str, text: &str) -> Reply {
    server
        .call(
            AddAccounts::PATH,
            &[("domain", "alpha.test"), ("text", text)],
            Some(cookie),
        )
        .await
}

async fn maildirs(server: &TestServer) -> Vec<(String, String)> {
    sqlx::query_as("SELECT email, maildir FROM mailboxes ORDER BY email")
        .fetch_all(&server.db)
        .await
        .unwrap()
}

/// The Maildirs on disk under the domain's folder.
fn on_disk(server: &TestServer, domain: &str) -> Vec<String> {
    let dir = server.store.root().join(domain);
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|entry| entry.unwrap().file_name().into_string().unwrap())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn every_added_account_gets_its_own_private_maildir() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let reply = add(&server, &cookie, &format!("ann {PW} {PW}\nbob {PW} {PW}")).await;
    assert!(reply.header("location").is_some(), "{}", reply.body);
    let rows = maildirs(&server).await;
    assert_eq!(rows.len(), 2);
    for (email, maildir) in &rows {
        let local = email.split('@').next().unwrap();
        assert!(
            maildir.starts_with(&format!("alpha.test/{local}.")),
            "{maildir}"
        );
        let path = server.store.path_of(maildir).unwrap();
        for sub in ["cur", "new", "tmp"] {
            let meta = std::fs::metadata(path.join(sub)).unwrap();
            assert!(meta.is_dir());
            assert_eq!(meta.mode() & 0o777, 0o700, "{maildir}{sub}");
        }
    }
    assert_eq!(on_disk(&server, "alpha.test").len(), 2);
}

#[tokio::test]
async fn a_failed_commit_leaves_no_maildir() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    // The audit row of the second account cannot be written: the transaction fails after
    // the folders were made.
    let failing: &[&str] = match Backend::of(&server.db) {
        Backend::Sqlite => &["CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log
             WHEN NEW.target = 'bob@alpha.test' BEGIN SELECT RAISE(ABORT, 'disk full'); END"],
        Backend::Postgres => &[
            "CREATE FUNCTION fail_audit() RETURNS trigger LANGUAGE plpgsql AS $$
             BEGIN
                 IF NEW.target = 'bob@alpha.test' THEN RAISE EXCEPTION 'disk full'; END IF;
                 RETURN NEW;
             END $$",
            "CREATE TRIGGER fail_audit BEFORE INSERT ON audit_log
             FOR EACH ROW EXECUTE FUNCTION fail_audit()",
        ],
    };
    for statement in failing {
        sqlx::query(statement).execute(&server.db).await.unwrap();
    }
    let reply = add(&server, &cookie, &format!("ann {PW} {PW}\nbob {PW} {PW}")).await;
    assert!(reply.body.contains("Internal"), "{}", reply.body);
    assert!(maildirs(&server).await.is_empty(), "no row");
    assert!(on_disk(&server, "alpha.test").is_empty(), "no folder");
}

#[tokio::test]
async fn a_failed_maildir_leaves_no_account() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    // Something that is not a folder sits where the domain's Maildirs go.
    std::fs::write(server.store.root().join("alpha.test"), "in the way").unwrap();
    let reply = add(&server, &cookie, &format!("ann {PW} {PW}")).await;
    assert!(reply.body.contains("Internal"), "{}", reply.body);
    assert!(maildirs(&server).await.is_empty(), "no row");
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.add'")
            .await,
        0
    );
}

#[tokio::test]
async fn restore_finds_the_maildir_and_purge_removes_it_with_the_row() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    add(&server, &cookie, &format!("ann {PW} {PW}\nbob {PW} {PW}")).await;
    let rows = maildirs(&server).await;
    let ann = server.store.path_of(&rows[0].1).unwrap();
    let bob = server.store.path_of(&rows[1].1).unwrap();
    std::fs::write(ann.join("new/1.M1.test"), "Subject: keep me\r\n\r\nhi\r\n").unwrap();

    let delete = || async {
        server
            .call(
                DeleteAccounts::PATH,
                &[("domain", "alpha.test"), ("emails", "ann@alpha.test")],
                Some(&cookie),
            )
            .await
    };
    delete().await;
    assert!(ann.join("new/1.M1.test").exists(), "delete moves nothing");
    let listed = server
        .call(
            ListDeleted::PATH,
            &[("domain", "alpha.test")],
            Some(&cookie),
        )
        .await;
    let deleted: DeletedPage<DeletedRow> = serde_json::from_str(&listed.body).unwrap();
    let id = deleted.rows[0].id.to_string();
    server
        .call(
            RestoreAccount::PATH,
            &[("domain", "alpha.test"), ("id", &id)],
            Some(&cookie),
        )
        .await;
    assert_eq!(maildirs(&server).await, rows, "the same Maildir");
    assert!(ann.join("new/1.M1.test").exists());

    delete().await;
    sqlx::query(
        "UPDATE mailboxes SET deleted_at = '2000-01-01T00:00:00Z' WHERE email = 'ann@alpha.test'",
    )
    .execute(&server.db)
    .await
    .unwrap();
    let purged = purge_expired(&server.db, &server.store, RETENTION_DAYS)
        .await
        .unwrap();
    assert_eq!(purged, ["ann@alpha.test"]);
    assert!(!ann.exists(), "the Maildir goes with the row");
    assert!(bob.join("cur").is_dir(), "only that one");
    assert_eq!(maildirs(&server).await.len(), 1);
}

#[tokio::test]
async fn a_restored_account_whose_maildir_was_lost_gets_an_empty_one() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    add(&server, &cookie, &format!("ann {PW} {PW}")).await;
    let ann = server.store.path_of(&maildirs(&server).await[0].1).unwrap();
    server
        .call(
            DeleteAccounts::PATH,
            &[("domain", "alpha.test"), ("emails", "ann@alpha.test")],
            Some(&cookie),
        )
        .await;
    std::fs::remove_dir_all(&ann).unwrap();
    let id: i64 = sqlx::query_scalar("SELECT id FROM mailboxes")
        .fetch_one(&server.db)
        .await
        .unwrap();
    server
        .call(
            RestoreAccount::PATH,
            &[("domain", "alpha.test"), ("id", &id.to_string())],
            Some(&cookie),
        )
        .await;
    assert!(ann.join("cur").is_dir());
}

#[tokio::test]
async fn reconcile_creates_missing_maildirs_and_reports_strays_without_removing_them() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    add(&server, &cookie, &format!("ann {PW} {PW}")).await;
    let ann = server.store.path_of(&maildirs(&server).await[0].1).unwrap();
    std::fs::remove_dir_all(&ann).unwrap();
    let stray = server.store.create("alpha.test/ghost.1.00000000").unwrap();
    std::fs::write(stray.join("new/1.M1.test"), "Subject: mine\r\n\r\n").unwrap();

    let report = reconcile(&server.db, &server.store).await.unwrap();
    assert_eq!(report.created.len(), 1);
    assert_eq!(report.orphans, ["alpha.test/ghost.1.00000000"]);
    assert!(ann.join("cur").is_dir());
    assert!(stray.join("new/1.M1.test").exists(), "never removed");
}

#[tokio::test]
async fn rebuild_mailbox_reports_stores_the_size_and_is_audited() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    add(&server, &cookie, &format!("ann {PW} {PW}")).await;
    let ann = server.store.path_of(&maildirs(&server).await[0].1).unwrap();
    let message = "Subject: hello\r\n\r\nhi\r\n";
    std::fs::write(ann.join("new/1.M1.test"), message).unwrap();
    std::fs::write(ann.join("new/picture.jpg"), b"\xff\xd8\xff\xe0").unwrap();
    std::fs::remove_dir(ann.join("tmp")).unwrap();

    let reply = server
        .call(
            RebuildAccount::PATH,
            &[("email", "Ann@alpha.test")],
            Some(&cookie),
        )
        .await;
    let report: RebuildReport =
        serde_json::from_str(&reply.body).unwrap_or_else(|error| panic!("{error}: {}", reply.body));
    assert_eq!(report.folders_created, ["tmp"]);
    assert_eq!(report.quarantined.len(), 1);
    assert_eq!(report.resync, Resync::NotConfigured);
    assert_eq!(
        (report.message_count, report.mailbox_bytes),
        (1, message.len() as u64)
    );
    let stored: (i64, i64) = sqlx::query_as(
        "SELECT message_count, mailbox_bytes FROM mailboxes WHERE email = 'ann@alpha.test'",
    )
    .fetch_one(&server.db)
    .await
    .unwrap();
    assert_eq!(stored, (1, message.len() as i64));
    let audited: (String, String, String) = sqlx::query_as(
        "SELECT actor, outcome, details FROM audit_log WHERE action = 'mailbox.rebuild' AND target = 'ann@alpha.test' AND domain = 'alpha.test'",
    )
    .fetch_one(&server.db)
    .await
    .unwrap();
    assert_eq!(audited.0, POSTMASTER_A);
    assert_eq!(audited.1, "ok");
    assert!(
        audited.2.starts_with("1 messages") && audited.2.contains("quarantined 1"),
        "{}",
        audited.2
    );
    assert!(!audited.2.contains("picture"), "counts only: {}", audited.2);

    let last = server
        .call(
            LastRebuild::PATH,
            &[("email", "ann@alpha.test")],
            Some(&cookie),
        )
        .await;
    let last: Option<RebuildRecord> = serde_json::from_str(&last.body).unwrap();
    let last = last.expect("the rebuild is on record");
    assert_eq!(
        (last.actor.as_str(), last.summary),
        (POSTMASTER_A, audited.2)
    );

    let unknown = server
        .call(
            RebuildAccount::PATH,
            &[("email", "nobody@alpha.test")],
            Some(&cookie),
        )
        .await;
    assert!(unknown.body.contains("NotFound"), "{}", unknown.body);
    server
        .call(
            DeleteAccounts::PATH,
            &[("domain", "alpha.test"), ("emails", "ann@alpha.test")],
            Some(&cookie),
        )
        .await;
    let deleted = server
        .call(
            RebuildAccount::PATH,
            &[("email", "ann@alpha.test")],
            Some(&cookie),
        )
        .await;
    assert!(
        deleted.body.contains("NotFound"),
        "only live accounts: {}",
        deleted.body
    );
}

/// `vpostmaster --data-dir DATA ARGS…` with this process's user as the mail user.
fn vpostmaster(data: &Path, args: &[&str]) -> std::process::Output {
    support::binary::vpostmaster(data)
        .args(args)
        .env("VPM_MAIL_USER", MailUser::current().name)
        .env_remove("VPM_MAIL_UID")
        .env_remove("VPM_MAIL_GID")
        .env_remove("VPM_DOVECOT_CONF")
        .output()
        .unwrap()
}

#[tokio::test]
async fn the_command_line_rebuilds_a_mailbox_and_prints_the_report() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    add(&server, &cookie, &format!("ann {PW} {PW}")).await;
    let ann = server.store.path_of(&maildirs(&server).await[0].1).unwrap();
    std::fs::write(ann.join("cur/notes.txt"), "not mail").unwrap();
    std::fs::write(ann.join("new/1.M1.test"), "Subject: hello\r\n\r\n").unwrap();

    let out = vpostmaster(&server.data_dir, &["account", "rebuild", "ann@alpha.test"]);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        stdout.starts_with("Rebuilt the mailbox of ann@alpha.test.\n"),
        "{stdout}"
    );
    assert!(
        stdout.contains("Moved 1 file that is not a message"),
        "{stdout}"
    );
    assert!(stdout.contains("holds 1 message, 18 bytes"), "{stdout}");
    assert_eq!(
        server
            .count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.rebuild' AND actor = 'cli'"
            )
            .await,
        1
    );

    let missing = vpostmaster(
        &server.data_dir,
        &["account", "rebuild", "nobody@alpha.test"],
    );
    assert!(!missing.status.success());
    let stderr = String::from_utf8_lossy(&missing.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(
        stderr.contains("nobody@alpha.test was not found"),
        "{stderr}"
    );
}

#[test]
fn dovecot_config_is_printed_for_the_data_directory() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir_all(&data).unwrap();
    let data = data.canonicalize().unwrap();
    let main = vpostmaster(&data, &["dovecot-config"]);
    assert!(
        main.status.success(),
        "{}",
        String::from_utf8_lossy(&main.stderr)
    );
    let main = String::from_utf8(main.stdout).unwrap();
    let user = MailUser::current();
    assert!(
        main.contains(&format!("mail_uid = {}\n", user.uid)),
        "{main}"
    );
    assert!(
        main.contains(&format!("  user = {}\n", user.name)),
        "{main}"
    );
    assert!(main.contains("args = /etc/dovecot/vpostmaster-sql.conf.ext\n"));
    assert!(main.contains("ssl = required\n"));
    // On PostgreSQL Dovecot logs on as its own role, whose password `mail-roles` keeps; its
    // grants name the schema's views, which any command that opens the database makes.
    assert!(vpostmaster(&data, &["domain", "list"]).status.success());
    let roles = dir.path().join("roles");
    support::database::make_mail_roles(support::database::url_for(&data).as_deref(), &roles);
    let roles_dir = roles.to_str().unwrap();
    let sql = vpostmaster(
        &data,
        &["dovecot-config", "--sql", "--mail-roles-dir", roles_dir],
    );
    assert!(
        sql.status.success(),
        "{}",
        String::from_utf8_lossy(&sql.stderr)
    );
    let sql = String::from_utf8(sql.stdout).unwrap();
    // The console's database: the SQLite file, or the tests' PostgreSQL server.
    let connect = match support::database::url_for(&data) {
        None => format!("connect = {}/vpostmaster.db\n", data.display()),
        Some(_) => "connect = host=127.0.0.1 ".to_owned(),
    };
    assert!(sql.contains(&connect), "{sql}");
    assert!(
        sql.contains(&format!("'{}/mail/' || maildir", data.display())),
        "{sql}"
    );
    if Path::new("/usr/bin/doveconf").is_file() {
        // Dovecot itself reads it without complaint.
        let conf = dir.path().join("dovecot.conf");
        let no_ssl = vpostmaster(&data, &["dovecot-config", "--no-ssl"]);
        std::fs::write(&conf, no_ssl.stdout).unwrap();
        let checked = Command::new("/usr/bin/doveconf")
            .arg("-c")
            .arg(&conf)
            .arg("-n")
            .output()
            .unwrap();
        assert!(
            checked.status.success(),
            "{}",
            String::from_utf8_lossy(&checked.stderr)
        );
    }
    let spaced = dir.path().join("with space");
    std::fs::create_dir_all(&spaced).unwrap();
    let refused = vpostmaster(
        &spaced,
        &["dovecot-config", "--sql", "--mail-roles-dir", roles_dir],
    );
    assert!(!refused.status.success());
    assert!(String::from_utf8_lossy(&refused.stderr).contains("cannot be written"));
}

/// Starts `serve` and returns it with its address.
fn serve(data: &Path, site: &Path) -> (Child, String) {
    let mut child = support::binary::vpostmaster(data)
        .args(["serve", "--listen", "127.0.0.1:0", "--site-dir"])
        .arg(site)
        .env("VPM_MAIL_USER", MailUser::current().name)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    let address = line
        .split("http://")
        .nth(1)
        .unwrap_or_else(|| panic!("{line}"))
        .split('/')
        .next()
        .unwrap()
        .to_owned();
    (child, address)
}

/// Posts a form to a server function over HTTP/1.1; the whole response.
fn post(address: &str, path: &str, body: &str, cookie: Option<&str>) -> String {
    let mut stream = std::net::TcpStream::connect(address).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(60)))
        .unwrap();
    let cookie = cookie.map_or_else(String::new, |c| format!("Cookie: {c}\r\n"));
    write!(
        stream,
        "POST {path} HTTP/1.1\r\nHost: {address}\r\nOrigin: http://{address}\r\n\
         Content-Type: application/x-www-form-urlencoded\r\nContent-Length: {}\r\n{cookie}\
         Connection: close\r\n\r\n{body}",
        body.len()
    )
    .unwrap();
    let mut response = String::new();
    let _ = stream.read_to_string(&mut response);
    response
}

#[tokio::test]
async fn a_server_killed_during_a_bulk_add_leaves_all_accounts_or_none() {
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let site = dir.path().join("site");
    std::fs::create_dir_all(site.join("pkg")).unwrap();
    let setup = |args: &[&str]| {
        let out = vpostmaster(&data, args);
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
    };
    setup(&["domain", "add", "alpha.test"]);
    let admin = support::binary::vpostmaster(&data)
        .args([
            "admin",
            "add",
            POSTMASTER_A,
            "--domain",
            "alpha.test",
            "--password-stdin",
        ])
        .env("VPM_MAIL_USER", MailUser::current().name)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .and_then(|mut child| {
            child.stdin.take().unwrap().write_all(PASSWORD.as_bytes())?;
            child.wait()
        })
        .unwrap();
    assert!(admin.success());

    let accounts = 24;
    // Kill points from "while hashing" to "just after the answer".
    let kill_after = [Some(50u64), Some(400), Some(900), Some(1500), None];
    for (round, delay_ms) in kill_after.into_iter().enumerate() {
        let (mut child, address) = serve(&data, &site);
        let log_on = post(
            &address,
            LOG_ON,
            &encode(&[("email", POSTMASTER_A), ("password", PASSWORD)]),
            None,
        );
        let cookie = log_on
            .lines()
            .find_map(|line| {
                let (name, value) = line.split_once(": ")?;
                name.eq_ignore_ascii_case("set-cookie").then_some(value)
            })
            .and_then(|value| value.split(';').next())
            .unwrap_or_else(|| panic!("{log_on}"))
            .to_owned();
        let text: String = (0..accounts)
            .map(|n| format!("r{round}u{n} {PW} {PW}\n"))
            .collect();
        let body = encode(&[("domain", "alpha.test"), ("text", &text)]);
        let request = {
            let address = address.clone();
            let cookie = cookie.clone();
            std::thread::spawn(move || post(&address, AddAccounts::PATH, &body, Some(&cookie)))
        };
        match delay_ms {
            Some(delay_ms) => {
                std::thread::sleep(Duration::from_millis(delay_ms));
                child.kill().unwrap();
                let _ = request.join();
            }
            None => {
                let answer = request.join().unwrap();
                assert!(answer.contains("/users/added?batch="), "{answer}");
                child.kill().unwrap();
            }
        }
        child.wait().unwrap();

        // The next start reconciles; then every live account has its Maildir, and either the
        // whole round's list exists or none of it.
        let (mut child, _) = serve(&data, &site);
        let db = support::database::open(&data).await;
        let rows: Vec<String> =
            sqlx::query_scalar("SELECT maildir FROM mailboxes WHERE local_part LIKE $1")
                .bind(format!("r{round}u%"))
                .fetch_all(&db)
                .await
                .unwrap();
        assert!(
            rows.is_empty() || rows.len() == accounts,
            "round {round}: {} of {accounts} accounts",
            rows.len()
        );
        if delay_ms.is_none() {
            assert_eq!(rows.len(), accounts, "an answered add is all there");
        }
        for maildir in &rows {
            let path = data.join("mail").join(maildir);
            assert!(path.join("cur").is_dir(), "{maildir}");
        }
        db.close().await;
        child.kill().unwrap();
        child.wait().unwrap();
    }
}

#[tokio::test]
async fn the_data_directory_and_database_are_closed_to_other_local_users() {
    let server = TestServer::new().await;
    // A write makes SQLite's -wal and -shm files exist.
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    assert!(add(&server, &cookie, &format!("jane {PW} {PW}\n"))
        .await
        .status
        .is_success());
    let mode = |path: &Path| std::fs::metadata(path).unwrap().mode() & 0o777;
    assert_eq!(mode(&server.data_dir), 0o710, "the data directory");
    // The SQLite file and its companions; PostgreSQL keeps its files itself.
    let files = if support::database::on_postgres() {
        &[][..]
    } else {
        &["", "-wal", "-shm"][..]
    };
    for suffix in files {
        let file = server
            .data_dir
            .join(format!("{}{suffix}", app::ssr::storage::db::DB_FILE));
        assert_eq!(mode(&file), 0o640, "{}", file.display());
    }

    // A data directory left open by an older version is closed at the next start.
    std::fs::set_permissions(
        &server.data_dir,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    support::database::open(&server.data_dir).await;
    assert_eq!(mode(&server.data_dir), 0o710);
}

#[test]
fn operator_commands_run_as_root_work_as_the_mail_user_and_still_read_the_operators_file() {
    use std::os::unix::fs::PermissionsExt;
    let work = vmail::passable_dir();
    let data = work.path().join("data");
    vmail::ok(&data, &["domain", "add", "alpha.test"]);
    // The operator's file, in a folder of root's alone.
    let private = work.path().join("private");
    std::fs::create_dir(&private).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let csv = private.join("staff.csv");
    std::fs::write(&csv, format!("ann,{PW},{PW},Ann,Lee,\n")).unwrap();

    let out = vmail::run(&data, &["import", "alpha.test", csv.to_str().unwrap()]);
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );

    // Everything the commands made in the data directory is the mail user's own doing.
    let mail_user = dovecot::mail_user();
    let mut made = vec![data.join("mail"), data.join("mail/alpha.test")];
    let maildirs = std::fs::read_dir(data.join("mail/alpha.test")).unwrap();
    made.extend(maildirs.map(|entry| entry.unwrap().path()));
    if database::url_for(&data).is_none() {
        made.extend(["vpostmaster.db", "reserved-space"].map(|name| data.join(name)));
    }
    assert!(made.len() >= 3, "{made:?}");
    for path in &made {
        let meta = std::fs::symlink_metadata(path).unwrap();
        assert_eq!(
            (meta.uid(), meta.gid()),
            (mail_user.uid, mail_user.gid),
            "{}",
            path.display()
        );
    }

    // Rebuild mailbox stays root, to give back what a copy as root took away.
    let message = made[2].join("cur/1700000000.M1P1.host:2,S");
    std::fs::write(&message, "Subject: copied\r\n\r\nhi\r\n").unwrap();
    vmail::ok(&data, &["account", "rebuild", "ann@alpha.test"]);
    let meta = std::fs::metadata(&message).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (mail_user.uid, mail_user.gid));
}

#[test]
fn a_root_command_refuses_a_data_directory_the_mail_user_cannot_enter() {
    use std::os::unix::fs::PermissionsExt;
    let work = TempDir::new().unwrap();
    std::fs::set_permissions(work.path(), std::fs::Permissions::from_mode(0o700)).unwrap();
    let data = work.path().join("data");
    let err = vmail::fails(&data, &["domain", "list"]);
    assert!(
        err.contains("cannot enter") && err.contains("chmod o+x"),
        "{err}"
    );
}
