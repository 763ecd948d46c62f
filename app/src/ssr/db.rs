//! Opening the SQLite database under the data directory and bringing its schema up to date.

use std::path::{Path, PathBuf};
use std::str::FromStr;
use std::time::Duration;

use sqlx::migrate::Migrator;
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::SqlitePool;

/// The schema, embedded in the binary and applied at every start.
pub static MIGRATOR: Migrator = sqlx::migrate!("../migrations");

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "vpostmaster.db";
/// What SQLite appends to the database's name for its other files in WAL mode.
pub const DB_FILE_SUFFIXES: [&str; 3] = ["", "-wal", "-shm"];

/// Why the database could not be opened; each reads as one line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create or protect the data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("cannot open the database {}: {source}", path.display())]
    Open { path: PathBuf, source: sqlx::Error },
    #[error(
        "the database {} was written by a newer version of vpostmaster (schema {found}, this \
         version knows up to {known}); run the newer version or restore a backup",
        path.display()
    )]
    Newer {
        path: PathBuf,
        found: i64,
        known: i64,
    },
    #[error("cannot update the database schema of {}: {source}", path.display())]
    Migrate {
        path: PathBuf,
        source: sqlx::migrate::MigrateError,
    },
}

/// Mode of the data directory: it holds every password hash, so no other local user enters.
/// The mail user's group may pass through to the database: Postfix's lookups run as the group
/// `postfix`, which is therefore the mail user's group (README.md, "Mail server").
pub const DATA_DIR_MODE: u32 = 0o710;
/// Mode of the database and its `-wal`/`-shm` files (SQLite gives new ones the database's):
/// the group reads, and opens it read-only.
pub const DB_FILE_MODE: u32 = 0o640;

/// Creates the data directory if needed, opens `vpostmaster.db` in it (WAL, full sync, foreign
/// keys, busy timeout) with owner-only modes, and applies the embedded migrations, refusing a
/// database from a newer version. Room is kept on the disk for it (see [`super::reserve`]).
pub async fn open(data_dir: &Path) -> Result<SqlitePool, OpenError> {
    let dir_error = |source| OpenError::DataDir {
        path: data_dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(dir_error)?;
    set_mode(data_dir, DATA_DIR_MODE).map_err(dir_error)?;
    let path = data_dir.join(DB_FILE);
    let open_error = |source| OpenError::Open {
        path: path.clone(),
        source,
    };
    let options = SqliteConnectOptions::from_str("sqlite:")
        .map_err(open_error)?
        .filename(&path)
        .create_if_missing(true)
        .journal_mode(SqliteJournalMode::Wal)
        // An account is a row and a Maildir: a committed row must survive a power cut too.
        .synchronous(SqliteSynchronous::Full)
        .foreign_keys(true)
        .busy_timeout(Duration::from_secs(5));
    let pool = SqlitePoolOptions::new()
        .max_connections(8)
        .connect_with(options)
        .await
        .map_err(open_error)?;
    for suffix in DB_FILE_SUFFIXES {
        let file = data_dir.join(format!("{DB_FILE}{suffix}"));
        match set_mode(&file, DB_FILE_MODE) {
            Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                return Err(dir_error(error))
            }
            _ => {}
        }
    }
    refuse_newer_schema(&pool, &path).await?;
    MIGRATOR
        .run(&pool)
        .await
        .map_err(|source| OpenError::Migrate {
            path: path.clone(),
            source,
        })?;
    super::reserve::keep(data_dir);
    Ok(pool)
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// A database migrated by a newer build has versions this build does not know; migrating it
/// "back" is impossible, so say so plainly instead of sqlx's generic error.
async fn refuse_newer_schema(pool: &SqlitePool, path: &Path) -> Result<(), OpenError> {
    let known = MIGRATOR.iter().map(|m| m.version).max().unwrap_or(0);
    let has_table: bool = sqlx::query_scalar(
        "SELECT EXISTS (SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations')",
    )
    .fetch_one(pool)
    .await
    .map_err(|source| OpenError::Open { path: path.to_path_buf(), source })?;
    if !has_table {
        return Ok(());
    }
    let found: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .map_err(|source| OpenError::Open {
            path: path.to_path_buf(),
            source,
        })?;
    match found {
        Some(found) if found > known => Err(OpenError::Newer {
            path: path.to_path_buf(),
            found,
            known,
        }),
        _ => Ok(()),
    }
}
