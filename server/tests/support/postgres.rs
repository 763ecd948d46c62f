//! The tests' PostgreSQL: when `VPM_TEST_POSTGRES` holds the superuser's URL of a private
//! server (`server/tests/with-postgres` starts one), every test server gets a database of its
//! own on it, so tests running at once never see each other's rows; without it the tests use
//! SQLite, the default.

use sqlx::{Connection, Executor, PgConnection};

/// The variable `server/tests/with-postgres` sets.
pub const TEST_POSTGRES: &str = "VPM_TEST_POSTGRES";

/// The URL of a new, empty database on the tests' PostgreSQL, or `None` when the tests run on
/// SQLite. Panics when the variable is set but the server cannot make the database: a suite
/// meant for PostgreSQL must not pass on SQLite unnoticed.
pub async fn database_url() -> Option<String> {
    let server = std::env::var(TEST_POSTGRES).ok()?;
    let mut random = [0u8; 8];
    getrandom::fill(&mut random).expect("the system's random numbers");
    let name = format!("vpm_{:016x}", u64::from_le_bytes(random));
    let mut connection = PgConnection::connect(&server)
        .await
        .unwrap_or_else(|error| panic!("{TEST_POSTGRES}={server}: {error}"));
    connection
        .execute(format!("CREATE DATABASE {name}").as_str())
        .await
        .unwrap_or_else(|error| panic!("CREATE DATABASE {name} on {server}: {error}"));
    connection.close().await.ok();
    Some(with_database(&server, &name))
}

/// `url` naming the database `name` instead of its own (the server's URL names one, as
/// `with-postgres` gives it), its parameters kept.
fn with_database(url: &str, name: &str) -> String {
    let (base, query) = url.split_once('?').unwrap_or((url, ""));
    let server = base.rsplit_once('/').map_or(base, |(server, _)| server);
    let query = if query.is_empty() {
        String::new()
    } else {
        format!("?{query}")
    };
    format!("{server}/{name}{query}")
}
