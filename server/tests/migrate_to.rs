//! `vpostmaster migrate-to`: a SQLite data directory moved into an empty PostgreSQL database
//! answers the operator's commands as it did, and a second move into the same database is
//! refused. Runs when the suite runs against PostgreSQL (`server/tests/with-postgres`).

mod support;

use std::path::Path;

use app::ssr::storage::hashing::verify_password;
use sqlx::AnyPool;
use support::binary::{run_on, stdout};
use support::database;
use tempfile::TempDir;

/// Runs the command on the SQLite file (`None`) or on PostgreSQL, and returns what it printed.
fn ok(data_dir: &Path, url: Option<&str>, args: &[&str], stdin: Option<&str>) -> String {
    let output = run_on(data_dir, url, args, stdin);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

fn refused(data_dir: &Path, url: Option<&str>, args: &[&str]) -> String {
    let output = run_on(data_dir, url, args, None);
    assert!(
        !output.status.success(),
        "{args:?} succeeded: {}",
        stdout(&output)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

async fn count(db: &AnyPool, sql: &str) -> i64 {
    sqlx::query_scalar(sql).fetch_one(db).await.unwrap()
}

#[tokio::test]
async fn a_moved_database_answers_as_the_sqlite_one_did() {
    if !database::on_postgres() {
        eprintln!("skipped: runs against PostgreSQL only (server/tests/with-postgres)");
        return;
    }
    let work = TempDir::new().unwrap();
    let data = work.path().join("data");
    ok(&data, None, &["domain", "add", "alpha.test"], None);
    ok(
        &data,
        None,
        &[
            "admin",
            "add",
            "pm@alpha.test",
            "--domain",
            "alpha.test",
            "--password-stdin",
        ],
        Some("Xk4#pq9!zz\n"),
    );
    let csv = work.path().join("accounts.csv");
    std::fs::write(
        &csv,
        "ann,Tq7$mw2!Lp,Tq7$mw2!Lp,Ann,Lee,100\nbob,Hv3%kx8?Rn,Hv3%kx8?Rn,Bob,Stone,\ncarl,Wj5&pz4!Qs,Wj5&pz4!Qs,Carl,Diaz,\n",
    )
    .unwrap();
    ok(
        &data,
        None,
        &["import", "alpha.test", csv.to_str().unwrap()],
        None,
    );
    ok(
        &data,
        None,
        &[
            "alias",
            "add",
            "team@alpha.test",
            "ann@alpha.test",
            "bob@alpha.test",
        ],
        None,
    );
    ok(
        &data,
        None,
        // `mailbox`, the command's older name, still works.
        &[
            "mailbox",
            "forward",
            "bob@alpha.test",
            "bob@elsewhere.example",
        ],
        None,
    );
    let sqlite = database::open_sqlite(&data).await;
    sqlx::query("UPDATE mailboxes SET deleted_at = updated_at WHERE email = 'carl@alpha.test'")
        .execute(&sqlite)
        .await
        .unwrap();
    sqlite.close().await;
    let export_before = ok(&data, None, &["export", "alpha.test"], None);
    let domains_before = ok(&data, None, &["domain", "list"], None);

    // The URL from a file, so that its password appears in no process list.
    let target = database::url_for(&work.path().join("target")).unwrap();
    let url_file = work.path().join("database-url");
    std::fs::write(&url_file, format!("{target}\n")).unwrap();
    let out = ok(
        &data,
        None,
        &["migrate-to", "--url-file", url_file.to_str().unwrap()],
        None,
    );
    assert!(out.contains("mailboxes: 3 rows"), "{out}");
    assert!(out.contains("moved to postgres"), "{out}");

    // The operator's view of the moved database is the same.
    let url = Some(target.as_str());
    assert_eq!(
        ok(&data, url, &["export", "alpha.test"], None),
        export_before
    );
    assert_eq!(ok(&data, url, &["domain", "list"], None), domains_before);
    let aliases = ok(&data, url, &["alias", "list", "alpha.test"], None);
    assert!(aliases.contains("team@alpha.test"), "{aliases}");
    let pg = app::ssr::storage::db::open(&data, url).await.unwrap();
    let hash: String =
        sqlx::query_scalar("SELECT password_hash FROM mailboxes WHERE email = 'ann@alpha.test'")
            .fetch_one(&pg)
            .await
            .unwrap();
    assert!(
        verify_password("Tq7$mw2!Lp", &hash),
        "the account's password still works"
    );
    // The triggers counted the accounts as they arrived: two live, one deleted.
    assert_eq!(
        count(&pg, "SELECT live FROM domain_account_counts").await,
        2
    );
    assert_eq!(
        count(&pg, "SELECT deleted FROM domain_account_counts").await,
        1
    );
    // And the live alias.
    assert_eq!(count(&pg, "SELECT live FROM domain_alias_counts").await, 1);
    // And Activity's entries, action by action.
    assert_eq!(
        count(&pg, "SELECT CAST(SUM(entries) AS BIGINT) FROM audit_counts").await,
        count(
            &pg,
            "SELECT COUNT(*) FROM audit_log WHERE domain IS NOT NULL"
        )
        .await
    );
    // New rows take ids after the moved ones.
    ok(&data, url, &["domain", "add", "beta.test"], None);
    assert_eq!(
        count(&pg, "SELECT COUNT(DISTINCT id) FROM domains").await,
        2
    );

    // Into a database that holds data, nothing is moved.
    let again = refused(&data, None, &["migrate-to", &target]);
    assert!(again.contains("already holds data"), "{again}");
    assert_eq!(count(&pg, "SELECT COUNT(*) FROM mailboxes").await, 3);
    // The source is the SQLite file, never another server.
    let from_server = refused(&data, url, &["migrate-to", &target]);
    assert!(
        from_server.contains("leave out --database-url"),
        "{from_server}"
    );
    pg.close().await;
}

#[test]
fn every_postgresql_table_is_moved_or_derived() {
    let sql: String = std::fs::read_dir(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../migrations/postgres"
    ))
    .unwrap()
    .map(|entry| std::fs::read_to_string(entry.unwrap().path()).unwrap())
    .collect();
    let created: Vec<String> = sql
        .split("CREATE TABLE ")
        .skip(1)
        .map(|rest| rest.split_whitespace().next().unwrap().to_owned())
        .collect();
    assert!(!created.is_empty());
    for table in &created {
        let dropped = sql.contains(&format!("DROP TABLE {table};"));
        let known = server::migrate_to::TABLES.contains(&table.as_str())
            || server::migrate_to::DERIVED.contains(&table.as_str());
        assert!(
            known || dropped,
            "migrate-to does not know the table {table}"
        );
    }
}
