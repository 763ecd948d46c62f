//! The tests' database: the SQLite file in the data directory, or, when `VPM_TEST_POSTGRES`
//! holds the URL of a private PostgreSQL server's superuser (`server/tests/with-postgres`
//! sets it), a database of its own on that server for each data directory, made on first use.
//! The server is thrown away after the run, so the databases are never dropped.

use std::collections::hash_map::DefaultHasher;
use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::path::Path;
use std::process::Command;
use std::sync::Mutex;

use sqlx::AnyPool;

/// The environment variable that names the PostgreSQL server to test against.
pub const POSTGRES_ENV: &str = "VPM_TEST_POSTGRES";

/// Whether this run tests PostgreSQL.
pub fn on_postgres() -> bool {
    std::env::var_os(POSTGRES_ENV).is_some_and(|url| !url.is_empty())
}

/// True, after saying why, when the run tests PostgreSQL and the test is about the SQLite file
/// (its backup, its indexes) or cannot run there yet: the SQLite run covers it.
pub fn skipped_on_postgres(about: &str) -> bool {
    let skip = on_postgres();
    if skip {
        eprintln!("skipped on PostgreSQL: {about}");
    }
    skip
}

/// True, after saying why, when the run tests SQLite and the test is about PostgreSQL alone:
/// the PostgreSQL run covers it.
pub fn skipped_on_sqlite(about: &str) -> bool {
    let skip = !on_postgres();
    if skip {
        eprintln!("skipped on SQLite: {about}");
    }
    skip
}

/// The database URL the console takes for `data_dir`: `None` for its SQLite file.
pub fn url_for(data_dir: &Path) -> Option<String> {
    let server = std::env::var(POSTGRES_ENV)
        .ok()
        .filter(|url| !url.is_empty())?;
    let mut hasher = DefaultHasher::new();
    data_dir.hash(&mut hasher);
    let name = format!("vpm_{:016x}", hasher.finish());
    // Asked for on every server and command of a test: the server is asked once per process.
    static MADE: Mutex<BTreeSet<String>> = Mutex::new(BTreeSet::new());
    let mut made = MADE.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
    if !made.contains(&name) {
        let exists = psql(
            &server,
            &format!("SELECT 1 FROM pg_database WHERE datname = '{name}'"),
        );
        if exists.trim() != "1" {
            psql(&server, &format!("CREATE DATABASE {name}"));
        }
        made.insert(name.clone());
    }
    drop(made);
    let (base, _) = server
        .rsplit_once('/')
        .expect("the server URL names a database");
    Some(format!("{base}/{name}"))
}

/// Opens (creating and migrating) the database the console takes for `data_dir`.
pub async fn open(data_dir: &Path) -> AnyPool {
    app::ssr::storage::db::open(data_dir, url_for(data_dir).as_deref())
        .await
        .expect("the database opens")
}

/// Opens the SQLite file of `data_dir`, whatever the run tests.
pub async fn open_sqlite(data_dir: &Path) -> AnyPool {
    app::ssr::storage::db::open(data_dir, None)
        .await
        .expect("the database opens")
}

/// On PostgreSQL, makes the roles Postfix and Dovecot log on as to the database of
/// `database_url`, as the README says: the SQL `vpostmaster mail-roles` prints, with the
/// passwords it keeps in `roles_dir`, run by the superuser. Nothing on SQLite.
pub fn make_mail_roles(database_url: Option<&str>, roles_dir: &Path) {
    let Some(url) = database_url else { return };
    let sql = server::mail_roles::sql_for(Some(url), roles_dir).expect("the roles' SQL");
    // The tests' console logs on as the server's superuser.
    psql_script(url, &sql);
}

/// Runs `script` through psql's standard input, as an operator pipes it.
pub fn psql_script(url: &str, script: &str) -> String {
    use std::io::Write;
    let mut child = Command::new("psql")
        .args(["-XAtq", "-v", "ON_ERROR_STOP=1", url])
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("psql runs");
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let output = child.wait_with_output().unwrap();
    assert!(
        output.status.success(),
        "psql: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

fn psql(server: &str, sql: &str) -> String {
    let output = Command::new("psql")
        .args(["-XAtq", "-v", "ON_ERROR_STOP=1", server, "-c", sql])
        .output()
        .expect("psql runs");
    assert!(
        output.status.success(),
        "psql {sql}: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}
