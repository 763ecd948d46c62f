//! `vpostmaster migrate-to URL`: moves the data directory's SQLite database into an empty
//! PostgreSQL database, in one transaction, and checks that every table arrived whole. The
//! SQLite file is only read and stays as it was, so going back is starting without the URL.

use std::path::Path;

use app::ssr::db::{self, Location};
use futures_util::TryStreamExt;
use sqlx::any::AnyRow;
use sqlx::{Any, AnyConnection, AnyPool, Row};

/// Every table that holds data, parents before the tables that refer to them. The per-domain
/// account and alias counts and Activity's counts per action are not copied: PostgreSQL's
/// triggers count the rows as they arrive. SQLite's trigram indexes of accounts and aliases have no table on PostgreSQL, whose
/// indexes need none.
pub const TABLES: [&str; 17] = [
    "domains",
    "admins",
    "admin_domains",
    "mailboxes",
    "aliases",
    "autoreplies",
    "mailbox_usage",
    "maildir_removals",
    "audit_log",
    "sessions",
    "pending_log_ons",
    "admin_two_factor",
    "recovery_codes",
    "log_on_attempts",
    "log_on_refusals",
    "code_attempts",
    "clock_mark",
];

/// Tables of the PostgreSQL schema that are deliberately not copied.
pub const DERIVED: [&str; 3] = [
    "domain_account_counts",
    "domain_alias_counts",
    "audit_counts",
];

/// Rows sent in one INSERT: few round trips, well under PostgreSQL's 65,535 parameters.
const BATCH_ROWS: usize = 500;

/// A column as PostgreSQL types it, which says how to read SQLite's value for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Kind {
    Integer,
    Real,
    Text,
    Bytes,
}

/// Moves the database, then prints what arrived.
pub async fn run(data_dir: &Path, database: &Location, url: &str) -> Result<(), String> {
    let Location::File(file) = database else {
        return Err(
            "migrate-to reads the data directory's SQLite database: leave out --database-url \
             (and VPM_DATABASE_URL, --database-url-file)"
                .to_owned(),
        );
    };
    let target_location = Location::new(data_dir, Some(url)).map_err(|error| error.to_string())?;
    if !file.is_file() {
        return Err(format!(
            "there is no database to move at {}",
            file.display()
        ));
    }
    let source = db::open_at(data_dir, database)
        .await
        .map_err(|error| error.to_string())?;
    let target = db::open_at(data_dir, &target_location)
        .await
        .map_err(|error| error.to_string())?;
    let result = copy(&source, &target).await;
    source.close().await;
    target.close().await;
    let copied = result?;
    for (table, rows) in copied {
        println!("{table}: {rows} rows");
    }
    println!(
        "moved to {}; start the console, Dovecot and Postfix with it (VPM_DATABASE_URL, \
         dovecot-config, postfix-config)",
        target_location.shown()
    );
    Ok(())
}

/// Copies every table in one transaction, after checking that the target holds no data, and
/// returns each table's row count, compared on both sides.
async fn copy(source: &AnyPool, target: &AnyPool) -> Result<Vec<(&'static str, i64)>, String> {
    let fail = |error: sqlx::Error| format!("cannot move the database: {error}");
    let mut tx = target.begin().await.map_err(fail)?;
    for table in TABLES {
        if count(&mut tx, table).await.map_err(fail)? > 0 {
            return Err(format!(
                "the PostgreSQL database already holds data (table {table}): migrate-to fills \
                 only a new, empty database"
            ));
        }
    }
    let mut copied = Vec::new();
    for table in TABLES {
        let columns = columns(&mut tx, table).await.map_err(fail)?;
        let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
        let select = format!("SELECT {} FROM {table}", names.join(", "));
        let mut rows = sqlx::query(&select).fetch(source);
        let mut batch = Vec::with_capacity(BATCH_ROWS);
        let mut read = 0;
        while let Some(row) = rows.try_next().await.map_err(fail)? {
            batch.push(row);
            read += 1;
            if batch.len() == BATCH_ROWS {
                insert(&mut tx, table, &columns, &batch)
                    .await
                    .map_err(fail)?;
                batch.clear();
            }
        }
        if !batch.is_empty() {
            insert(&mut tx, table, &columns, &batch)
                .await
                .map_err(fail)?;
        }
        let arrived = count(&mut tx, table).await.map_err(fail)?;
        if arrived != read {
            return Err(format!(
                "table {table}: {read} rows read but {arrived} written; nothing was moved"
            ));
        }
        if names.contains(&"id") {
            // Identity columns take explicit ids without moving on: start after the last.
            sqlx::query(&format!(
                "SELECT setval(pg_get_serial_sequence('{table}', 'id'), \
                 COALESCE((SELECT MAX(id) FROM {table}), 0) + 1, false)"
            ))
            .execute(&mut *tx)
            .await
            .map_err(fail)?;
        }
        copied.push((table, arrived));
    }
    tx.commit().await.map_err(fail)?;
    Ok(copied)
}

async fn count(conn: &mut AnyConnection, table: &str) -> sqlx::Result<i64> {
    sqlx::query_scalar(&format!("SELECT COUNT(*) FROM {table}"))
        .fetch_one(conn)
        .await
}

/// The table's columns in PostgreSQL, in order, with how each is typed there.
async fn columns(conn: &mut AnyConnection, table: &str) -> sqlx::Result<Vec<(String, Kind)>> {
    let rows: Vec<(String, String)> = sqlx::query_as(
        "SELECT column_name::text, data_type::text FROM information_schema.columns
         WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position",
    )
    .bind(table)
    .fetch_all(conn)
    .await?;
    Ok(rows
        .into_iter()
        .map(|(name, data_type)| {
            let kind = match data_type.as_str() {
                "bigint" | "integer" | "smallint" => Kind::Integer,
                "double precision" | "real" | "numeric" => Kind::Real,
                "bytea" => Kind::Bytes,
                _ => Kind::Text,
            };
            (name, kind)
        })
        .collect())
}

/// One multi-row INSERT of `rows`, each value read as its PostgreSQL column wants it.
async fn insert(
    conn: &mut AnyConnection,
    table: &str,
    columns: &[(String, Kind)],
    rows: &[AnyRow],
) -> sqlx::Result<()> {
    let width = columns.len();
    let tuples: Vec<String> = (0..rows.len())
        .map(|row| {
            let places: Vec<String> = (1..=width)
                .map(|column| format!("${}", row * width + column))
                .collect();
            format!("({})", places.join(", "))
        })
        .collect();
    let names: Vec<&str> = columns.iter().map(|(name, _)| name.as_str()).collect();
    let sql = format!(
        "INSERT INTO {table} ({}) VALUES {}",
        names.join(", "),
        tuples.join(", ")
    );
    let mut query = sqlx::query::<Any>(&sql);
    for row in rows {
        for (index, (_, kind)) in columns.iter().enumerate() {
            query = match kind {
                Kind::Integer => query.bind(row.try_get::<Option<i64>, _>(index)?),
                Kind::Real => query.bind(row.try_get::<Option<f64>, _>(index)?),
                Kind::Text => query.bind(row.try_get::<Option<String>, _>(index)?),
                Kind::Bytes => query.bind(row.try_get::<Option<Vec<u8>>, _>(index)?),
            };
        }
    }
    query.execute(conn).await?;
    Ok(())
}
