//! `vpostmaster backup` and `restore`: a consistent copy of the database taken while the console
//! runs (SQLite's `VACUUM INTO`, one read transaction), the two-factor key, optionally the
//! Maildirs after it, and putting such a copy back.

mod copy;

use std::fs::OpenOptions;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use app::ssr::db::{self, OpenError, DB_FILE, DB_FILE_MODE, DB_FILE_SUFFIXES};
use app::ssr::mailstore::{is_root, MAIL_DIR};
use app::ssr::two_factor::KEY_FILE;
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Connection, SqliteConnection};

use crate::cli::MailArgs;
use copy::{copy_tree, Owners};

/// The file that marks a directory as a backup and says what it holds.
pub const MANIFEST: &str = "backup.manifest";

/// Copies the database of `data_dir` into the new or empty directory `dir`, then with `mail`
/// the mail store, and prints what was copied.
pub async fn backup(
    data_dir: &Path,
    mail: &MailArgs,
    dir: &Path,
    with_mail: bool,
) -> Result<(), String> {
    if !data_dir.join(DB_FILE).is_file() {
        return Err(format!(
            "there is no database to back up in {}",
            data_dir.display()
        ));
    }
    refuse_non_empty(dir)?;
    let store = mail.store(data_dir)?;
    let live = open(data_dir).await?;
    create_private_dir(dir)?;
    let target = dir.join(DB_FILE);
    // VACUUM INTO wants no file or an empty one: an empty one made with the database's mode
    // is never readable by others, not even for a moment.
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(DB_FILE_MODE)
        .open(&target)
        .map_err(|error| format!("cannot create {}: {error}", target.display()))?;
    let copied = sqlx::query("VACUUM INTO ?")
        .bind(target.to_string_lossy().into_owned())
        .execute(&live)
        .await;
    live.close().await;
    copied.map_err(|error| {
        // Leave the directory reusable for the next try.
        let _ = std::fs::remove_file(&target);
        format!(
            "cannot copy the database into {}: {error}",
            target.display()
        )
    })?;
    store
        .hand_over_database(dir, DB_FILE)
        .map_err(|error| error.to_string())?;
    let summary = Summary::read(&target).await?;
    let bytes = std::fs::metadata(&target)
        .map(|meta| meta.len())
        .unwrap_or(0);
    println!(
        "Backed up the database to {}: {} accounts, {} aliases, {bytes} bytes.",
        target.display(),
        summary.accounts,
        summary.aliases
    );
    if copy_key(data_dir, dir)? {
        println!(
            "Copied the two-factor key {}: keep the backup as private as the data directory.",
            dir.join(KEY_FILE).display()
        );
    }
    // After the database: a message delivered meanwhile is in the copy, and an account added
    // meanwhile (not in the database copy) only has a Maildir too many, which restore keeps.
    if with_mail {
        let owners = if is_root() {
            Owners::Source
        } else {
            Owners::Runner
        };
        let copied = copy_tree(store.root(), &dir.join(MAIL_DIR), owners)?;
        println!(
            "Copied the mail store: {} files, {} bytes.",
            copied.files, copied.bytes
        );
        for skipped in &copied.skipped {
            println!(
                "  left out {} (not a plain file or folder)",
                skipped.display()
            );
        }
    }
    let manifest = format!(
        "vpostmaster backup\ncreated {}\nschema {}\nmail {}\n",
        summary.now,
        summary.schema,
        if with_mail { "yes" } else { "no" }
    );
    std::fs::write(dir.join(MANIFEST), manifest)
        .map_err(|error| format!("cannot write {}: {error}", dir.join(MANIFEST).display()))
}

/// Puts the backup in `dir` back into `data_dir`, keeping what it replaces aside.
pub async fn restore(
    data_dir: &Path,
    mail: &MailArgs,
    dir: &Path,
    replace: bool,
) -> Result<(), String> {
    let manifest = std::fs::read_to_string(dir.join(MANIFEST)).map_err(|_| {
        format!(
            "{} is not a vpostmaster backup: it has no {MANIFEST}",
            dir.display()
        )
    })?;
    let with_mail = manifest.lines().any(|line| line == "mail yes");
    let backup_db = dir.join(DB_FILE);
    if !backup_db.is_file() {
        return Err(format!("the backup {} has no {DB_FILE}", dir.display()));
    }
    let live = data_dir.join(DB_FILE);
    let mail_dir = data_dir.join(MAIL_DIR);
    let has_mail = std::fs::read_dir(&mail_dir).is_ok_and(|mut entries| entries.next().is_some());
    if !replace && (live.exists() || (with_mail && has_mail)) {
        return Err(format!(
            "{} already has a database or mail; give --replace to restore over it (what it \
             replaces is kept aside, named .before-restore-TIME)",
            data_dir.display()
        ));
    }
    if in_use(data_dir) {
        return Err(format!(
            "the database in {} is open: stop the console and Dovecot, then restore",
            data_dir.display()
        ));
    }
    let mail_user = mail.user()?;
    // Migrated in a folder of its own first, so that a refusal leaves the data directory as
    // it was.
    let staging = data_dir.join(format!(".restore-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    create_private_dir(&staging)?;
    let prepared = prepare(&backup_db, &staging, dir).await;
    let (summary, stamp, staged) = match prepared {
        Ok(prepared) => prepared,
        Err(error) => {
            let _ = std::fs::remove_dir_all(&staging);
            return Err(error);
        }
    };
    let aside = |name: &str| data_dir.join(format!("{name}.before-restore-{stamp}"));
    let had_db = live.exists();
    for suffix in DB_FILE_SUFFIXES {
        let old = data_dir.join(format!("{DB_FILE}{suffix}"));
        if old.exists() {
            let kept = PathBuf::from(format!("{}{suffix}", aside(DB_FILE).display()));
            rename(&old, &kept)?;
        }
    }
    // Written out whole from the staged copy, whose pool is still open: a file moved out from
    // under SQLite could lack what its write-ahead log still held.
    let written = sqlx::query("VACUUM INTO ?")
        .bind(live.to_string_lossy().into_owned())
        .execute(&staged)
        .await;
    staged.close().await;
    let _ = std::fs::remove_dir_all(&staging);
    written.map_err(|error| format!("cannot write {}: {error}", live.display()))?;
    if had_db {
        println!(
            "Kept the database it replaces as {}.",
            aside(DB_FILE).display()
        );
    }
    // The restored secrets were sealed with the backup's key; one taken without it (before
    // two-factor log-on existed) leaves the current key alone.
    let live_key = data_dir.join(KEY_FILE);
    if dir.join(KEY_FILE).is_file() {
        if live_key.exists() {
            rename(&live_key, &aside(KEY_FILE))?;
            println!(
                "Kept the two-factor key it replaces as {}.",
                aside(KEY_FILE).display()
            );
        }
        copy_key(dir, data_dir)?;
    }
    if with_mail {
        if has_mail {
            rename(&mail_dir, &aside(MAIL_DIR))?;
            println!(
                "Kept the mail store it replaces as {}.",
                aside(MAIL_DIR).display()
            );
        } else {
            let _ = std::fs::remove_dir(&mail_dir);
        }
        let owners = if is_root() {
            Owners::To(mail_user.uid, mail_user.gid)
        } else {
            Owners::Runner
        };
        let copied = copy_tree(&dir.join(MAIL_DIR), &mail_dir, owners)?;
        println!(
            "Restored the mail store: {} files, {} bytes.",
            copied.files, copied.bytes
        );
    }
    // Opening sets the modes; the store hands the database to the mail user when root.
    open(data_dir).await?.close().await;
    mail.store(data_dir)?
        .hand_over_database(data_dir, DB_FILE)
        .map_err(|error| error.to_string())?;
    // Whoever the database was handed to runs the console, which reads the key.
    if is_root() && live_key.exists() {
        use std::os::unix::fs::MetadataExt;
        let owner = std::fs::metadata(&live).map_err(|error| error.to_string())?;
        std::os::unix::fs::chown(&live_key, Some(owner.uid()), Some(owner.gid()))
            .map_err(|error| format!("cannot hand over {}: {error}", live_key.display()))?;
    }
    println!(
        "Restored {} accounts and {} aliases from the backup of {}.",
        summary.accounts, summary.aliases, summary.created
    );
    Ok(())
}

/// Copies the backup's database into `staging` and brings it up to date there; returns what
/// it holds and the time to name what it replaces by.
async fn prepare(
    backup_db: &Path,
    staging: &Path,
    dir: &Path,
) -> Result<(Summary, String, AnyPool), String> {
    let staged = staging.join(DB_FILE);
    std::fs::copy(backup_db, &staged)
        .map_err(|error| format!("cannot copy {}: {error}", backup_db.display()))?;
    let pool = db::open(staging, None).await.map_err(|error| match error {
        OpenError::Newer { found, known, .. } => format!(
            "the backup {} was made by a newer version of vpostmaster (schema {found}, this \
             version knows up to {known}); restore it with that version",
            dir.display()
        ),
        error => error.to_string(),
    })?;
    let stamp: Result<String, sqlx::Error> =
        sqlx::query_scalar("SELECT strftime('%Y%m%dT%H%M%SZ', 'now')")
            .fetch_one(&pool)
            .await;
    let summary = match (stamp, Summary::read(&staged).await) {
        (Ok(stamp), Ok(mut summary)) => {
            summary.created = manifest_created(dir).unwrap_or_else(|| "unknown date".into());
            Ok((summary, stamp))
        }
        (Err(error), _) => Err(format!("cannot read the clock: {error}")),
        (_, Err(error)) => Err(error),
    };
    match summary {
        Ok((summary, stamp)) => Ok((summary, stamp, pool)),
        Err(error) => {
            pool.close().await;
            Err(error)
        }
    }
}

fn manifest_created(dir: &Path) -> Option<String> {
    let manifest = std::fs::read_to_string(dir.join(MANIFEST)).ok()?;
    manifest
        .lines()
        .find_map(|line| line.strip_prefix("created "))
        .map(str::to_owned)
}

/// What a database copy holds.
struct Summary {
    accounts: i64,
    aliases: i64,
    schema: i64,
    /// The clock at reading, or the backup's time.
    now: String,
    created: String,
}

impl Summary {
    /// Reads the copy at `path`, read-only.
    async fn read(path: &Path) -> Result<Summary, String> {
        let fail = |error: sqlx::Error| format!("cannot read {}: {error}", path.display());
        let options = SqliteConnectOptions::from_str("sqlite:")
            .map_err(fail)?
            .filename(path)
            .read_only(true);
        let mut conn = SqliteConnection::connect_with(&options)
            .await
            .map_err(fail)?;
        let (accounts, aliases, schema, now): (i64, i64, i64, String) = sqlx::query_as(
            "SELECT (SELECT COUNT(*) FROM mailboxes WHERE deleted_at IS NULL),
                    (SELECT COUNT(*) FROM aliases WHERE deleted_at IS NULL),
                    (SELECT COALESCE(MAX(version), 0) FROM _sqlx_migrations),
                    strftime('%Y-%m-%dT%H:%M:%SZ', 'now')",
        )
        .fetch_one(&mut conn)
        .await
        .map_err(fail)?;
        conn.close().await.map_err(fail)?;
        Ok(Summary {
            accounts,
            aliases,
            schema,
            now,
            created: String::new(),
        })
    }
}

/// Copies the two-factor key from the directory `from` into `to`, readable by its owner only,
/// when there is one; says whether there was.
fn copy_key(from: &Path, to: &Path) -> Result<bool, String> {
    let source = from.join(KEY_FILE);
    let key = match std::fs::read(&source) {
        Ok(key) => key,
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => return Ok(false),
        Err(error) => return Err(format!("cannot read {}: {error}", source.display())),
    };
    let target = to.join(KEY_FILE);
    let fail = |error: std::io::Error| format!("cannot write {}: {error}", target.display());
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&target)
        .map_err(fail)?;
    file.write_all(&key)
        .and_then(|()| file.sync_all())
        .map_err(fail)?;
    Ok(true)
}

async fn open(data_dir: &Path) -> Result<AnyPool, String> {
    db::open(data_dir, None)
        .await
        .map_err(|error| error.to_string())
}

/// Refuses a `dir` that exists and holds anything: a backup is never written over another.
fn refuse_non_empty(dir: &Path) -> Result<(), String> {
    match std::fs::read_dir(dir) {
        Ok(mut entries) => match entries.next() {
            Some(_) => Err(format!(
                "{} is not empty; back up into a new or empty directory",
                dir.display()
            )),
            None => Ok(()),
        },
        Err(error) if error.kind() == std::io::ErrorKind::NotFound => Ok(()),
        Err(error) => Err(format!("cannot use {}: {error}", dir.display())),
    }
}

/// Creates `dir` if needed with the data directory's mode: it holds every password hash.
fn create_private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    let fail = |error: std::io::Error| format!("cannot create {}: {error}", dir.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(db::DATA_DIR_MODE)).map_err(fail)
}

fn rename(from: &Path, to: &Path) -> Result<(), String> {
    std::fs::rename(from, to).map_err(|error| {
        format!(
            "cannot move {} to {}: {error}",
            from.display(),
            to.display()
        )
    })
}

/// Whether a process has the database of `data_dir` open: every SQLite connection in WAL mode
/// holds a shared lock on one byte of the `-shm` file (its "DMS" slot, at offset 128) for as
/// long as it is open, even a reader.
fn in_use(data_dir: &Path) -> bool {
    use std::os::fd::AsRawFd;
    let Ok(shm) = std::fs::File::open(data_dir.join(format!("{DB_FILE}-shm"))) else {
        return false;
    };
    // SAFETY: a zeroed flock is a valid value; F_GETLK only writes into it.
    let mut lock: libc::flock = unsafe { std::mem::zeroed() };
    lock.l_type = libc::F_WRLCK as libc::c_short;
    lock.l_whence = libc::SEEK_SET as libc::c_short;
    lock.l_start = 128;
    lock.l_len = 1;
    // SAFETY: the descriptor is open for the call and `lock` outlives it.
    let asked = unsafe { libc::fcntl(shm.as_raw_fd(), libc::F_GETLK, &mut lock) };
    asked == 0 && lock.l_type != libc::F_UNLCK as libc::c_short
}
