//! Postfix and Dovecot get no more of the database than their lookups need. The printed lookup
//! tables and Dovecot's SQL part answer over the views on either database; on PostgreSQL they
//! log on as the roles `vpostmaster mail-roles` makes, and those roles can read nothing else
//! (administrators, hashes through the tables) and write nothing but Dovecot's mailbox usage.

mod support;

use std::collections::HashMap;
use std::path::Path;

use sqlx::{AnyConnection, Connection, Row};
use support::binary::run;
use support::database::{on_postgres, psql_script, url_for};
use tempfile::TempDir;

const PASSWORD: &str = "abcde67~x";

/// Runs `vpostmaster ARGS…` on the data directory's database; its standard output.
fn ok(data_dir: &Path, args: &[&str]) -> String {
    let output = run(data_dir, args, None);
    assert!(
        output.status.success(),
        "vpostmaster {args:?}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8(output.stdout).unwrap()
}

/// A domain with an account, an alias, a catch-all, an auto-reply and a superadmin.
fn seeded() -> TempDir {
    let dir = TempDir::new().unwrap();
    let data = dir.path();
    ok(data, &["domain", "add", "alpha.test"]);
    let csv = dir.path().join("accounts.csv");
    std::fs::write(
        &csv,
        format!("address,password,password again\nann@alpha.test,{PASSWORD},{PASSWORD}\n"),
    )
    .unwrap();
    ok(data, &["import", "alpha.test", csv.to_str().unwrap()]);
    ok(data, &["alias", "add", "team@alpha.test", "ann@alpha.test"]);
    ok(
        data,
        &["domain", "catch-all", "alpha.test", "ann@alpha.test"],
    );
    ok(
        data,
        &[
            "account",
            "autoreply",
            "ann@alpha.test",
            "--subject",
            "Away",
            "--text",
            "Back soon",
        ],
    );
    let output = run(
        data,
        &["admin", "add", "root@alpha.test", "--superadmin"],
        None,
    );
    assert!(output.status.success());
    dir
}

/// The `name = value` lines of a printed file, continuation lines joined.
fn settings(text: &str) -> HashMap<String, String> {
    let joined = text.replace("\\\n", " ");
    let mut settings = HashMap::new();
    let mut last: Option<String> = None;
    for line in joined.lines() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        match (line.starts_with(' '), &last) {
            (true, Some(name)) => {
                let value: &mut String = settings.get_mut(name).unwrap();
                value.push(' ');
                value.push_str(line.trim());
            }
            _ => {
                if let Some((name, value)) = line.split_once(" = ") {
                    settings.insert(name.trim().to_owned(), value.trim().to_owned());
                    last = Some(name.trim().to_owned());
                }
            }
        }
    }
    settings
}

/// Connects as a printed Postfix table does.
async fn as_postfix_table(table: &HashMap<String, String>) -> AnyConnection {
    let url = match table.get("dbpath") {
        Some(path) => format!("sqlite://{}", path.trim_start_matches("file:")),
        None => format!(
            "postgres://{}:{}@{}/{}",
            table["user"],
            table["password"],
            table["hosts"].trim_start_matches("inet:"),
            table["dbname"]
        ),
    };
    sqlx::any::install_default_drivers();
    AnyConnection::connect(&url).await.expect("Postfix's login")
}

/// Connects as Dovecot's printed SQL part does.
async fn as_dovecot(sql: &HashMap<String, String>) -> AnyConnection {
    let connect = &sql["connect"];
    let url = if connect.starts_with('/') {
        format!("sqlite://{connect}?mode=ro")
    } else {
        let parts: HashMap<&str, &str> = connect
            .split(' ')
            .filter_map(|part| part.split_once('='))
            .collect();
        format!(
            "postgres://{}:{}@{}:{}/{}",
            parts["user"], parts["password"], parts["host"], parts["port"], parts["dbname"]
        )
    };
    sqlx::any::install_default_drivers();
    AnyConnection::connect(&url).await.expect("Dovecot's login")
}

/// The first column of the first row `sql` answers, as text.
async fn answer(db: &mut AnyConnection, sql: &str) -> Option<String> {
    column(db, sql, 0).await
}

/// A column of the first row `sql` answers, as text.
async fn column(db: &mut AnyConnection, sql: &str, index: usize) -> Option<String> {
    sqlx::query(sql)
        .fetch_optional(db)
        .await
        .unwrap_or_else(|error| panic!("{sql}: {error}"))
        .map(|row| row.get::<String, _>(index))
}

/// Whether `sql` is refused for want of privilege.
async fn refused(db: &mut AnyConnection, sql: &str) -> bool {
    match sqlx::query(sql).execute(db).await {
        Ok(_) => false,
        Err(error) => {
            let text = error.to_string();
            assert!(text.contains("permission denied"), "{sql}: {text}");
            true
        }
    }
}

/// A Postfix query with its key filled in as Postfix does (`%s` the key, `%d` its domain).
fn lookup(query: &str, key: &str) -> String {
    let domain = key.rsplit_once('@').map_or("", |(_, domain)| domain);
    query.replace("%s", key).replace("%d", domain)
}

#[tokio::test]
async fn postfix_reads_its_three_lookups_and_nothing_else() {
    let dir = seeded();
    let data = dir.path();
    let roles = dir.path().join("roles");
    let roles_flag = ["--mail-roles-dir", roles.to_str().unwrap()];
    if on_postgres() {
        let sql = ok(data, &[&["mail-roles"][..], &roles_flag].concat());
        psql_script(url_for(data).as_deref().unwrap(), &sql);
        // Run again, it keeps the passwords.
        assert_eq!(sql, ok(data, &[&["mail-roles"][..], &roles_flag].concat()));
    } else {
        let output = run(data, &[&["mail-roles"][..], &roles_flag].concat(), None);
        assert!(!output.status.success());
        assert!(String::from_utf8_lossy(&output.stderr).contains("is for a console on PostgreSQL"));
    }
    let table = |name: &str| {
        settings(&ok(
            data,
            &[&["postfix-config", "--table", name][..], &roles_flag].concat(),
        ))
    };
    let (domains, mailboxes, aliases) = (table("domains"), table("mailboxes"), table("aliases"));
    let mut db = as_postfix_table(&domains).await;
    let ask = |table: &HashMap<String, String>, key: &str| lookup(&table["query"], key);
    assert_eq!(
        answer(&mut db, &ask(&domains, "alpha.test"))
            .await
            .as_deref(),
        Some("OK")
    );
    assert_eq!(answer(&mut db, &ask(&domains, "other.test")).await, None);
    let maildir = answer(&mut db, &ask(&mailboxes, "ann@alpha.test")).await;
    assert!(maildir.unwrap().starts_with("alpha.test/ann"));
    assert_eq!(
        answer(&mut db, &ask(&mailboxes, "bob@alpha.test")).await,
        None
    );
    for (key, found) in [
        ("team@alpha.test", Some("ann@alpha.test")),
        ("ann@alpha.test", Some("ann@alpha.test")),
        ("bob@alpha.test", None),
        ("@alpha.test", Some("ann@alpha.test")),
    ] {
        assert_eq!(
            answer(&mut db, &ask(&aliases, key)).await.as_deref(),
            found,
            "{key}"
        );
    }
    if on_postgres() {
        assert!(domains["user"].ends_with("_postfix"), "{domains:?}");
        for sql in [
            "SELECT password_hash FROM admins",
            "SELECT code_hash FROM recovery_codes",
            "SELECT password_hash FROM mailboxes",
            "SELECT email FROM dovecot_accounts",
            "SELECT script FROM sieve_scripts",
            "INSERT INTO domains (name) VALUES ('evil.test')",
            "UPDATE domains SET catch_all = 'thief@evil.test'",
            "UPDATE autoreplies SET script = ''",
            "INSERT INTO mailbox_usage (email, bytes, messages) VALUES ('x@alpha.test', 0, 0)",
            "DELETE FROM aliases",
            "CREATE TABLE planted (a INTEGER)",
        ] {
            assert!(refused(&mut db, sql).await, "{sql}");
        }
    }
}

#[tokio::test]
async fn dovecot_logs_on_and_writes_usage_and_nothing_else() {
    let dir = seeded();
    let data = dir.path();
    let roles = dir.path().join("roles");
    let roles_flag = ["--mail-roles-dir", roles.to_str().unwrap()];
    if on_postgres() {
        let sql = ok(data, &[&["mail-roles"][..], &roles_flag].concat());
        psql_script(url_for(data).as_deref().unwrap(), &sql);
    }
    let config = |part: &str| {
        ok(
            data,
            &[&["dovecot-config", part][..], &roles_flag, &["--no-ssl"]].concat(),
        )
    };
    let sql = settings(&config("--sql"));
    let dict = config("--dict");
    assert!(dict.contains(&format!("\nconnect = {}\n", sql["connect"])));
    let mut db = as_dovecot(&sql).await;
    let password = column(
        &mut db,
        &sql["password_query"].replace("%u", "ann@alpha.test"),
        1,
    )
    .await
    .unwrap();
    assert!(password.starts_with("{ARGON2ID}$argon2id$"));
    let home = answer(&mut db, &sql["user_query"].replace("%u", "ann@alpha.test")).await;
    assert!(home.unwrap().contains("/mail/alpha.test/ann"));
    assert_eq!(
        answer(
            &mut db,
            &sql["password_query"].replace("%u", "x@alpha.test")
        )
        .await,
        None
    );
    let script = answer(
        &mut db,
        "SELECT script FROM sieve_scripts WHERE email = 'ann@alpha.test'",
    )
    .await;
    assert!(script.unwrap().contains("Back soon"));
    if on_postgres() {
        assert!(sql["connect"].contains("_dovecot "), "{sql:?}");
        // Dovecot's dict writes usage as an upsert on the key.
        for bytes in [10, 20] {
            sqlx::query(&format!(
                "INSERT INTO mailbox_usage (email, bytes, messages) \
                 VALUES ('ann@alpha.test', {bytes}, 1) \
                 ON CONFLICT (email) DO UPDATE SET bytes = {bytes}, messages = 1"
            ))
            .execute(&mut db)
            .await
            .expect("usage is written");
        }
        for sql in [
            "SELECT password_hash FROM admins",
            "SELECT code_hash FROM recovery_codes",
            "SELECT token_hash FROM sessions",
            "SELECT targets FROM postfix_aliases",
            "UPDATE mailboxes SET password_hash = 'x'",
            "UPDATE autoreplies SET script = 'redirect \"thief@evil.test\";'",
            "INSERT INTO aliases (domain_id, local_part, address, targets) \
             VALUES (1, 'x', 'x@alpha.test', 'thief@evil.test')",
            "INSERT INTO admins (email, password_hash, superadmin) VALUES ('x@evil.test', 'x', 1)",
            "DELETE FROM mailbox_usage",
            "CREATE TABLE planted (a INTEGER)",
        ] {
            assert!(refused(&mut db, sql).await, "{sql}");
        }
    }
}

#[test]
fn check_reports_a_role_password_others_can_read_and_mail_roles_puts_it_right() {
    if support::database::skipped_on_sqlite("the mail servers' roles are PostgreSQL's") {
        return;
    }
    use std::os::unix::fs::PermissionsExt;
    let dir = TempDir::new().unwrap();
    let data = dir.path().join("data");
    let roles = dir.path().join("roles");
    let roles_flag = ["--mail-roles-dir", roles.to_str().unwrap()];
    ok(&data, &[&["mail-roles"][..], &roles_flag].concat());
    let file = roles.join("postfix-database-password");
    let check = || {
        let output = run(&data, &[&["check"][..], &roles_flag].concat(), None);
        String::from_utf8(output.stdout).unwrap()
    };
    let shown = file.display().to_string();
    let report = check();
    assert!(
        report.lines().any(|line| line.starts_with("OK ")
            && line.contains(&shown)
            && line.contains("owner root:root, mode 0600")),
        "{report}"
    );
    std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
    let report = check();
    let problem = report
        .lines()
        .find(|line| line.contains(&shown))
        .unwrap_or_else(|| panic!("{report}"));
    assert!(problem.starts_with("PROBLEM"), "{problem}");
    assert!(
        problem.contains("mode 0644") && problem.contains("vpostmaster mail-roles sets them"),
        "{problem}"
    );
    ok(&data, &[&["mail-roles"][..], &roles_flag].concat());
    let mode = std::fs::metadata(&file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o600);
}
