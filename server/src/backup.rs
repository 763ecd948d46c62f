//! `vpostmaster backup` and `restore`: a consistent copy of the database taken while the console
//! runs (SQLite's `VACUUM INTO`, one read transaction), the two-factor key, optionally the
//! Maildirs after it, and putting such a copy back.

mod copy;

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use app::ssr::db::{self, OpenError, DB_FILE, DB_FILE_MODE, DB_FILE_SUFFIXES};
use app::ssr::mailstore::{current_uid, is_root, MAIL_DIR};
use app::ssr::two_factor::{read_key_file, KEY_FILE, KEY_LEN};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Connection, SqliteConnection};

use crate::cli::MailArgs;
use copy::{copy_tree, Owners};

/// The file that marks a directory as a backup and says what it holds.
pub const MANIFEST: &str = "backup.manifest";
/// More than any manifest holds.
const MAX_MANIFEST_BYTES: u64 = 4096;

/// Copies the database of `data_dir` into the new or empty directory `dir`, then with `mail`
/// the mail store, and prints what was copied. Everything in `dir` belongs to whoever runs the
/// backup, root included: never to the mail user, who could then plant symlinks in it.
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
    if let Some(key) = read_key(data_dir)? {
        write_key(&key, dir)?;
        println!(
            "Copied the two-factor key {}: keep the backup as private as the data directory.",
            dir.join(KEY_FILE).display()
        );
    }
    // After the database: a message delivered meanwhile is in the copy, and an account added
    // meanwhile (not in the database copy) only has a Maildir too many, which restore keeps.
    if with_mail {
        let copied = copy_tree(store.root(), &dir.join(MAIL_DIR), Owners::Runner)?;
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
    let path = dir.join(MANIFEST);
    let fail = |error: std::io::Error| format!("cannot write {}: {error}", path.display());
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| file.write_all(manifest.as_bytes()))
        .map_err(fail)
}

/// Puts the backup in `dir` back into `data_dir`, keeping what it replaces aside. Run as root,
/// it reads the backup as root and works in the data directory as the mail user, except for
/// the mail, which it copies as root through directory handles and hands to the mail user.
pub async fn restore(
    data_dir: &Path,
    mail: &MailArgs,
    dir: &Path,
    replace: bool,
) -> Result<(), String> {
    let manifest = read_manifest(dir)?;
    let with_mail = manifest.lines().any(|line| line == "mail yes");
    let created = manifest
        .lines()
        .find_map(|line| line.strip_prefix("created "))
        .unwrap_or("unknown date")
        .to_owned();
    let backup_db = open_in_backup(&dir.join(DB_FILE))?;
    let backup_key = read_key(dir)?;
    let acting = mail.act_in(data_dir)?;
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
    // Migrated in a folder of its own first, so that a refusal leaves the data directory as
    // it was.
    let staging = data_dir.join(format!(".restore-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&staging);
    create_private_dir(&staging)?;
    let prepared = prepare(backup_db, &staging, dir).await;
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
    if let Some(key) = backup_key {
        let live_key = data_dir.join(KEY_FILE);
        if live_key.symlink_metadata().is_ok() {
            rename(&live_key, &aside(KEY_FILE))?;
            println!(
                "Kept the two-factor key it replaces as {}.",
                aside(KEY_FILE).display()
            );
        }
        write_key(&key, data_dir)?;
    }
    // Opening sets the modes.
    open(data_dir).await?.close().await;
    drop(acting);
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
            let mail_user = mail.user()?;
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
    println!(
        "Restored {} accounts and {} aliases from the backup of {created}.",
        summary.accounts, summary.aliases
    );
    Ok(())
}

/// Copies the backup's database into `staging` and brings it up to date there; returns what
/// it holds and the time to name what it replaces by.
async fn prepare(
    mut backup_db: File,
    staging: &Path,
    dir: &Path,
) -> Result<(Summary, String, AnyPool), String> {
    let staged = staging.join(DB_FILE);
    let fail = |error: std::io::Error| {
        format!(
            "cannot copy {} to {}: {error}",
            dir.join(DB_FILE).display(),
            staged.display()
        )
    };
    let mut copy = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(DB_FILE_MODE)
        .open(&staged)
        .map_err(fail)?;
    std::io::copy(&mut backup_db, &mut copy).map_err(fail)?;
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
        (Ok(stamp), Ok(summary)) => Ok((summary, stamp)),
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

/// What a database copy holds.
struct Summary {
    accounts: i64,
    aliases: i64,
    schema: i64,
    /// The clock at reading.
    now: String,
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
        })
    }
}

/// The two-factor key of the directory `dir`, `None` when it has none; one that is a symlink
/// or not a plain file of the key's length is refused, never read.
fn read_key(dir: &Path) -> Result<Option<[u8; KEY_LEN]>, String> {
    let path = dir.join(KEY_FILE);
    read_key_file(&path).map_err(|error| {
        let error = match error.raw_os_error() {
            Some(libc::ELOOP) => "it is a symbolic link".to_owned(),
            _ => error.to_string(),
        };
        format!("cannot use the two-factor key {}: {error}", path.display())
    })
}

/// Writes `key` as the two-factor key of the directory `to`, readable by its owner only; never
/// over anything, a symlink included.
fn write_key(key: &[u8], to: &Path) -> Result<(), String> {
    let target = to.join(KEY_FILE);
    let fail = |error: std::io::Error| format!("cannot write {}: {error}", target.display());
    let mut file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&target)
        .map_err(fail)?;
    file.write_all(key)
        .and_then(|()| file.sync_all())
        .map_err(fail)
}

/// The backup's manifest, which marks a directory as a backup.
fn read_manifest(dir: &Path) -> Result<String, String> {
    use std::io::Read;
    let not_a_backup = || {
        format!(
            "{} is not a vpostmaster backup: it has no {MANIFEST}",
            dir.display()
        )
    };
    let file = open_in_backup(&dir.join(MANIFEST)).map_err(|_| not_a_backup())?;
    let mut manifest = String::new();
    // A manifest is a few short lines.
    file.take(MAX_MANIFEST_BYTES)
        .read_to_string(&mut manifest)
        .map_err(|_| not_a_backup())?;
    Ok(manifest)
}

/// Opens a file of a backup for reading: a plain file, never through a symlink.
fn open_in_backup(path: &Path) -> Result<File, String> {
    let fail = |error: String| format!("cannot read {}: {error}", path.display());
    let file = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(path)
        .map_err(|error| match error.raw_os_error() {
            Some(libc::ELOOP) => fail("it is a symbolic link".into()),
            _ => fail(error.to_string()),
        })?;
    match file.metadata() {
        Ok(meta) if meta.is_file() => Ok(file),
        Ok(_) => Err(fail("not a plain file".into())),
        Err(error) => Err(fail(error.to_string())),
    }
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

/// Creates `dir` if needed, for its owner alone: it holds every password hash. One that
/// belongs to another user is refused: its owner could put a symlink where a file is written.
fn create_private_dir(dir: &Path) -> Result<(), String> {
    use std::os::unix::fs::{MetadataExt, PermissionsExt};
    let fail = |error: std::io::Error| format!("cannot create {}: {error}", dir.display());
    std::fs::create_dir_all(dir).map_err(fail)?;
    if std::fs::metadata(dir).map_err(fail)?.uid() != current_uid() {
        return Err(format!(
            "{} belongs to another user; use a directory of your own",
            dir.display()
        ));
    }
    std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700)).map_err(fail)
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
    let Ok(shm) = OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW | libc::O_NONBLOCK)
        .open(data_dir.join(format!("{DB_FILE}-shm")))
    else {
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
