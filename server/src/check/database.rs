//! The database opens and its schema is the one this version of vpostmaster writes.

use app::ssr::db::{sqlite_url, Location};
use sqlx::migrate::Migrator;
use sqlx::{AnyConnection, Connection};

use super::Line;

/// One row of sqlx's migration table.
#[derive(sqlx::FromRow)]
struct Applied {
    version: i64,
    #[sqlx(try_from = "app::ssr::db::Flag")]
    success: bool,
    checksum: Vec<u8>,
}

/// Opens the database without creating, migrating or re-moding it, and compares the
/// migrations it has applied with those this binary carries.
pub async fn schema(database: &Location) -> Line {
    let what = format!("database schema of {}", database.shown());
    let url = match database {
        Location::File(path) if !path.is_file() => {
            return Line::problem(format!("{what}: no database to open"));
        }
        // Read-write, as Dovecot opens it: a read-only reader cannot open a WAL database that
        // nothing else has open. Run as root, SQLite gives any `-wal`/`-shm` it makes the
        // database's owner, and removes them again on close.
        Location::File(path) => sqlite_url(path, "rw"),
        Location::Server(url) => url.clone(),
    };
    sqlx::any::install_default_drivers();
    let mut connection = match AnyConnection::connect(&url).await {
        Ok(connection) => connection,
        Err(error) => return Line::problem(format!("{what}: cannot open it: {error}")),
    };
    let applied = sqlx::query_as::<_, Applied>(
        // A cast: the Any driver reads no SQLite BOOLEAN column.
        "SELECT version, CAST(success AS INTEGER) AS success, checksum FROM _sqlx_migrations
         ORDER BY version",
    )
    .fetch_all(&mut connection)
    .await;
    let _ = connection.close().await;
    match applied {
        Ok(applied) => compare(&what, database.backend().migrator(), &applied),
        Err(error) => Line::problem(format!(
            "{what}: cannot read its migrations ({error}): start the console once to create them"
        )),
    }
}

/// Whether the applied migrations are exactly this binary's.
fn compare(what: &str, migrator: &Migrator, applied: &[Applied]) -> Line {
    let known: Vec<_> = migrator
        .iter()
        .filter(|m| m.migration_type.is_up_migration())
        .collect();
    if let Some(newer) = applied
        .iter()
        .find(|row| known.iter().all(|m| m.version != row.version))
    {
        return Line::problem(format!(
            "{what}: migration {} comes from a newer version of vpostmaster: run that version or restore a backup",
            newer.version
        ));
    }
    if let Some(failed) = applied.iter().find(|row| !row.success) {
        return Line::problem(format!(
            "{what}: migration {} failed part-way: restore a backup",
            failed.version
        ));
    }
    if let Some(changed) = applied.iter().find(|row| {
        known
            .iter()
            .any(|m| m.version == row.version && *m.checksum != *row.checksum)
    }) {
        return Line::problem(format!(
            "{what}: migration {} differs from this version's: restore a backup made by this version",
            changed.version
        ));
    }
    let missing = known.len().saturating_sub(applied.len());
    if missing > 0 {
        return Line::problem(format!(
            "{what}: {missing} of {} migrations not applied yet: start the console (or run any vpostmaster command), which applies them",
            known.len()
        ));
    }
    Line::ok(format!("{what}: current ({} migrations)", known.len()))
}

#[cfg(test)]
mod tests {
    use super::*;

    use app::ssr::db::SQLITE_MIGRATOR;

    fn applied() -> Vec<Applied> {
        SQLITE_MIGRATOR
            .iter()
            .map(|m| Applied {
                version: m.version,
                success: true,
                checksum: m.checksum.to_vec(),
            })
            .collect()
    }

    #[test]
    fn only_exactly_this_versions_migrations_are_current() {
        assert!(compare("db", &SQLITE_MIGRATOR, &applied()).ok);
        let mut missing = applied();
        missing.pop();
        let line = compare("db", &SQLITE_MIGRATOR, &missing);
        assert!(!line.ok && line.text.contains("1 of"), "{}", line.text);
        let mut newer = applied();
        newer.push(Applied {
            version: 99990101000000,
            success: true,
            checksum: vec![0],
        });
        assert!(compare("db", &SQLITE_MIGRATOR, &newer)
            .text
            .contains("newer version"));
        let mut changed = applied();
        changed[0].checksum = vec![0];
        assert!(compare("db", &SQLITE_MIGRATOR, &changed)
            .text
            .contains("differs"));
        let mut failed = applied();
        failed[0].success = false;
        assert!(compare("db", &SQLITE_MIGRATOR, &failed)
            .text
            .contains("failed"));
    }
}
