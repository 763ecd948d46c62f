//! Opening the database, the SQLite file under the data directory or a PostgreSQL server, and
//! bringing its schema up to date. Every service reaches it through sqlx's `Any` driver, so one
//! text of each query runs on both: placeholders are `$1, $2, …`, flags are integers 0/1, and
//! times are ISO text in UTC, the same on both.

use std::path::{Path, PathBuf};

use sqlx::any::{AnyPoolOptions, AnyValueRef};
use sqlx::migrate::Migrator;
use sqlx::{Any, AnyPool, Decode, Executor, Transaction, Type, Value, ValueRef};

/// The schema of each backend, embedded in the binary and applied at every start: the same
/// versions, tables and columns in each dialect.
pub static SQLITE_MIGRATOR: Migrator = sqlx::migrate!("../migrations/sqlite");
pub static POSTGRES_MIGRATOR: Migrator = sqlx::migrate!("../migrations/postgres");

/// The database file's name inside the data directory.
pub const DB_FILE: &str = "vpostmaster.db";
/// What SQLite appends to the database's name for its other files in WAL mode.
pub const DB_FILE_SUFFIXES: [&str; 3] = ["", "-wal", "-shm"];

/// Which database the console runs on.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Backend {
    /// The embedded default: one file in the data directory, one machine.
    Sqlite,
    /// A server that several consoles and mail hosts share.
    Postgres,
}

impl Backend {
    /// The backend a pool was opened on.
    pub fn of(db: &AnyPool) -> Backend {
        if db.connect_options().database_url.scheme() == "sqlite" {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }

    pub fn migrator(self) -> &'static Migrator {
        match self {
            Backend::Sqlite => &SQLITE_MIGRATOR,
            Backend::Postgres => &POSTGRES_MIGRATOR,
        }
    }
}

impl Backend {
    /// The backend a connection (or a transaction, through `&mut *tx`) talks to.
    pub fn of_conn(conn: &sqlx::AnyConnection) -> Backend {
        if conn.backend_name() == "SQLite" {
            Backend::Sqlite
        } else {
            Backend::Postgres
        }
    }

    /// The current time as every table stores it: ISO text in UTC, to the second.
    pub fn now(self) -> &'static str {
        match self {
            Backend::Sqlite => "strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
            // The schema's function, which its column defaults use too.
            Backend::Postgres => "utc_now_text()",
        }
    }

    /// The time `seconds` (an SQL expression, e.g. a placeholder) before now, as stored.
    pub fn seconds_ago(self, seconds: &str) -> String {
        match self {
            Backend::Sqlite => {
                format!("strftime('%Y-%m-%dT%H:%M:%SZ', 'now', '-' || ({seconds}) || ' seconds')")
            }
            Backend::Postgres => format!(
                "to_char(now() AT TIME ZONE 'UTC' - make_interval(secs => {seconds}), \
                 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            ),
        }
    }

    /// The time of `unix` (an SQL expression of seconds since 1970), as stored.
    pub fn from_unix(self, unix: &str) -> String {
        match self {
            Backend::Sqlite => format!("strftime('%Y-%m-%dT%H:%M:%SZ', {unix}, 'unixepoch')"),
            Backend::Postgres => format!(
                "to_char(to_timestamp({unix}) AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS\"Z\"')"
            ),
        }
    }

    /// The whole days left, never below 0, of something kept `days` (an SQL expression) from
    /// the stored time `column`: what a deleted account or alias shows before its purge.
    pub fn days_left(self, days: &str, column: &str) -> String {
        match self {
            Backend::Sqlite => {
                format!("MAX(0, {days} - CAST(julianday('now') - julianday({column}) AS INTEGER))")
            }
            Backend::Postgres => format!(
                "GREATEST(0, {days} - CAST(floor(EXTRACT(EPOCH FROM now() - \
                 CAST({column} AS timestamptz)) / 86400) AS BIGINT))"
            ),
        }
    }

    /// The texts of a JSON array bound as text, as a one-column `value` table.
    pub fn json_texts(self, array: &str) -> String {
        match self {
            Backend::Sqlite => format!("SELECT value FROM json_each({array})"),
            Backend::Postgres => {
                format!(
                    "SELECT value FROM json_array_elements_text(CAST({array} AS json)) AS value"
                )
            }
        }
    }

    /// The rows of a group as one JSON text, an array of arrays of `columns` (SQL expressions)
    /// in `order`; `[]` for none. A page read this way crosses the driver as one value instead
    /// of one per column and row, each of which sqlx copies and converts.
    pub fn json_rows(self, columns: &str, order: &str) -> String {
        match self {
            Backend::Sqlite => format!("json_group_array(json_array({columns}) ORDER BY {order})"),
            Backend::Postgres => format!(
                "COALESCE(CAST(json_agg(json_build_array({columns}) ORDER BY {order}) AS TEXT), '[]')"
            ),
        }
    }

    /// The texts of `expression` over a group, joined by commas.
    pub fn joined(self, expression: &str) -> String {
        match self {
            Backend::Sqlite => format!("group_concat({expression}, ',')"),
            Backend::Postgres => format!("string_agg({expression}, ',')"),
        }
    }
}

/// A `LIKE` pattern (with `ESCAPE '\'`) that finds `term` anywhere in a text, its `%`, `_` and
/// `\` taken as themselves.
pub fn contains_pattern(term: &str) -> String {
    format!("%{}%", escape_like(term))
}

/// A term as one FTS5 phrase: quoted, its quotes doubled, so `OR`, `NEAR`, `*` or `"` in it are
/// text to find, never query syntax.
pub fn fts_phrase(term: &str) -> String {
    format!("\"{}\"", term.replace('"', "\"\""))
}

/// `text` as LIKE matches it literally under `ESCAPE '\'`: its `\`, `%` and `_` escaped.
pub fn escape_like(text: &str) -> String {
    text.replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_")
}

/// Where the database is: the SQLite file of a data directory, or a PostgreSQL URL.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Location {
    File(PathBuf),
    Server(String),
}

impl Location {
    /// The PostgreSQL server of `url` when given (`postgres://` or `postgresql://`), else the
    /// SQLite file in `data_dir`.
    pub fn new(data_dir: &Path, url: Option<&str>) -> Result<Location, OpenError> {
        match url.map(str::trim).filter(|url| !url.is_empty()) {
            None => Ok(Location::File(data_dir.join(DB_FILE))),
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => {
                Ok(Location::Server(url.to_string()))
            }
            Some(_) => Err(OpenError::Url),
        }
    }

    pub fn backend(&self) -> Backend {
        match self {
            Location::File(_) => Backend::Sqlite,
            Location::Server(_) => Backend::Postgres,
        }
    }

    /// The PostgreSQL URL, for the mail servers' configuration; `None` for the SQLite file.
    pub fn url(&self) -> Option<&str> {
        match self {
            Location::File(_) => None,
            Location::Server(url) => Some(url),
        }
    }

    /// How the operator's messages name it: the file, or the server without its password.
    pub fn shown(&self) -> String {
        match self {
            Location::File(path) => path.display().to_string(),
            Location::Server(url) => match url::Url::parse(url) {
                Ok(mut parsed) => {
                    let _ = parsed.set_password(None);
                    parsed.to_string()
                }
                Err(_) => "the PostgreSQL server".to_string(),
            },
        }
    }
}

/// Why the database could not be opened; each reads as one line for the operator.
#[derive(Debug, thiserror::Error)]
pub enum OpenError {
    #[error("cannot create or protect the data directory {}: {source}", path.display())]
    DataDir {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error(
        "the database URL must start with postgres:// or postgresql:// (leave it out for the \
         SQLite file in the data directory)"
    )]
    Url,
    #[error("cannot open the database {shown}: {source}")]
    Open { shown: String, source: sqlx::Error },
    #[error(
        "the database {shown} was written by a newer version of vpostmaster (schema {found}, \
         this version knows up to {known}); run the newer version or restore a backup"
    )]
    Newer {
        shown: String,
        found: i64,
        known: i64,
    },
    #[error("cannot update the database schema of {shown}: {source}")]
    Migrate {
        shown: String,
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

/// Every SQLite connection: WAL, and a committed row must survive a power cut too (an account
/// is a row and a Maildir); foreign keys enforced; writers wait for each other.
const SQLITE_SETTINGS: &str = "PRAGMA journal_mode = WAL; PRAGMA synchronous = FULL; \
                               PRAGMA foreign_keys = ON; PRAGMA busy_timeout = 5000;";

/// Creates the data directory if needed and opens the database of `url`, or else
/// `vpostmaster.db` in the data directory with owner-only modes, then applies that backend's
/// embedded migrations, refusing a database from a newer version. Room is kept on the disk for
/// the SQLite file (see [`super::reserve`]).
pub async fn open(data_dir: &Path, url: Option<&str>) -> Result<AnyPool, OpenError> {
    open_at(data_dir, &Location::new(data_dir, url)?).await
}

/// [`open`] at a location already resolved.
pub async fn open_at(data_dir: &Path, location: &Location) -> Result<AnyPool, OpenError> {
    sqlx::any::install_default_drivers();
    let dir_error = |source| OpenError::DataDir {
        path: data_dir.to_path_buf(),
        source,
    };
    std::fs::create_dir_all(data_dir).map_err(dir_error)?;
    set_mode(data_dir, DATA_DIR_MODE).map_err(dir_error)?;
    let shown = location.shown();
    let open_error = |source| OpenError::Open {
        shown: shown.clone(),
        source,
    };
    let pool = match location {
        Location::File(path) => {
            let url = sqlite_url(path, "rwc");
            let pool = AnyPoolOptions::new()
                .max_connections(8)
                .after_connect(|conn, _| {
                    Box::pin(async move {
                        conn.execute(sqlx::raw_sql(SQLITE_SETTINGS)).await?;
                        Ok(())
                    })
                })
                .connect(&url)
                .await
                .map_err(open_error)?;
            for suffix in DB_FILE_SUFFIXES {
                let file = PathBuf::from(format!("{}{suffix}", path.display()));
                match set_mode(&file, DB_FILE_MODE) {
                    Err(error) if error.kind() != std::io::ErrorKind::NotFound => {
                        return Err(dir_error(error))
                    }
                    _ => {}
                }
            }
            pool
        }
        Location::Server(url) => AnyPoolOptions::new()
            .max_connections(16)
            .connect(url)
            .await
            .map_err(open_error)?,
    };
    let migrator = location.backend().migrator();
    refuse_newer_schema(&pool, migrator, &shown).await?;
    migrator
        .run(&pool)
        .await
        .map_err(|source| OpenError::Migrate {
            shown: shown.clone(),
            source,
        })?;
    if let Location::File(_) = location {
        super::reserve::keep(data_dir);
    }
    Ok(pool)
}

/// The sqlx URL of the SQLite file at `path` opened in `mode` (`rw`, `rwc`): sqlx
/// percent-decodes the path, so what it would read as the URL's query is escaped.
pub fn sqlite_url(path: &Path, mode: &str) -> String {
    let mut url = String::from("sqlite://");
    for c in path.display().to_string().chars() {
        match c {
            '%' | '?' | '#' => url.push_str(&format!("%{:02X}", c as u32)),
            _ => url.push(c),
        }
    }
    format!("{url}?mode={mode}")
}

fn set_mode(path: &Path, mode: u32) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
}

/// A database migrated by a newer build has versions this build does not know; migrating it
/// "back" is impossible, so say so plainly instead of sqlx's generic error.
async fn refuse_newer_schema(
    pool: &AnyPool,
    migrator: &Migrator,
    shown: &str,
) -> Result<(), OpenError> {
    let open_error = |source| OpenError::Open {
        shown: shown.to_string(),
        source,
    };
    let known = migrator.iter().map(|m| m.version).max().unwrap_or(0);
    let has_table: i64 = sqlx::query_scalar(match Backend::of(pool) {
        Backend::Sqlite => {
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'table' AND name = '_sqlx_migrations'"
        }
        Backend::Postgres => {
            "SELECT COUNT(*) FROM information_schema.tables
             WHERE table_schema = current_schema() AND table_name = '_sqlx_migrations'"
        }
    })
    .fetch_one(pool)
    .await
    .map_err(open_error)?;
    if has_table == 0 {
        return Ok(());
    }
    let found: Option<i64> = sqlx::query_scalar("SELECT MAX(version) FROM _sqlx_migrations")
        .fetch_one(pool)
        .await
        .map_err(open_error)?;
    match found {
        Some(found) if found > known => Err(OpenError::Newer {
            shown: shown.to_string(),
            found,
            known,
        }),
        _ => Ok(()),
    }
}

/// The key of the one advisory lock that serialises PostgreSQL's write transactions.
const WRITE_LOCK: i64 = 0x7670_6d77; // "vpmw"

/// A transaction that holds the database's write lock from its first statement, so that what
/// it read stays true until it commits (the throttle's count, the loop check of aliases): on
/// SQLite `BEGIN IMMEDIATE`; on PostgreSQL one advisory lock taken by every such transaction
/// of every console sharing the database, released at commit or rollback.
pub async fn begin_write(db: &AnyPool) -> Result<Transaction<'static, Any>, sqlx::Error> {
    match Backend::of(db) {
        Backend::Sqlite => db.begin_with("BEGIN IMMEDIATE").await,
        Backend::Postgres => {
            let mut tx = db.begin().await?;
            sqlx::query("SELECT pg_advisory_xact_lock($1)")
                .bind(WRITE_LOCK)
                .execute(&mut *tx)
                .await?;
            Ok(tx)
        }
    }
}

/// A yes or no read from either database: SQLite answers a comparison or `EXISTS` with 0 or 1,
/// PostgreSQL with a boolean, and flag columns are integers on both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Flag(pub bool);

impl From<Flag> for bool {
    fn from(flag: Flag) -> bool {
        flag.0
    }
}

impl Type<Any> for Flag {
    fn type_info() -> sqlx::any::AnyTypeInfo {
        <i64 as Type<Any>>::type_info()
    }

    fn compatible(ty: &sqlx::any::AnyTypeInfo) -> bool {
        <bool as Type<Any>>::compatible(ty) || <i64 as Type<Any>>::compatible(ty)
    }
}

impl<'r> Decode<'r, Any> for Flag {
    fn decode(value: AnyValueRef<'r>) -> Result<Self, sqlx::error::BoxDynError> {
        let value = ValueRef::to_owned(&value);
        match value.try_decode::<bool>() {
            Ok(flag) => Ok(Flag(flag)),
            Err(_) => Ok(Flag(value.try_decode::<i64>()? != 0)),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::contains_pattern;

    #[test]
    fn a_search_term_is_found_as_typed_anywhere() {
        assert_eq!(contains_pattern("jane"), "%jane%");
        assert_eq!(contains_pattern(r"50%_a\b"), r"%50\%\_a\\b%");
    }
}
