//! The Maildir store under `<data dir>/mail/`: one Maildir per account at
//! `<domain>/<local>.<stamp>.<random>/` (the `maildir` column, relative to the mail root), with
//! `cur/`, `new/` and `tmp/` of mode 0700, owned by the mail user Dovecot reads mail as.
//!
//! A path is only ever built from a `maildir` value checked name by name (the characters of
//! validated domains and usernames, no `.` or `..`, nothing absolute, nothing overlong) and,
//! once on disk, resolved again to prove it is a real directory under the mail root: neither a
//! crafted name nor a planted symlink can make the store touch anything else. Everything here is
//! blocking file-system work; async callers run it on the blocking pool.

mod owner;
mod rebuild;
pub(crate) mod removals;

use std::collections::BTreeSet;
use std::io;
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};

use sqlx::AnyPool;

use crate::error::AppError;
use crate::validate::domain::parse_domain;

pub use owner::{current_uid, is_root, ActingAs, MailUser};
pub use rebuild::{RebuildReport, Resync};

/// The mail root's name inside the data directory.
pub const MAIL_DIR: &str = "mail";
/// The folders of every Maildir.
pub const MAILDIR_SUBDIRS: [&str; 3] = ["cur", "new", "tmp"];
/// Mode of every directory of the store: the mail user's alone.
pub const DIR_MODE: u32 = 0o700;
/// Mode of every file of the store.
pub const FILE_MODE: u32 = 0o600;
/// Longest file name of common Unix file systems.
const MAX_NAME_BYTES: usize = 255;
/// Longest `maildir` value: a domain (253) and a Maildir name, with room for the slashes.
const MAX_MAILDIR_BYTES: usize = 512;

/// Why the store refused or failed. Paths in these messages are relative to the mail root,
/// except for I/O failures, which name the file for the server log.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{0:?} is not a valid Maildir path")]
    Invalid(String),
    #[error("{0:?} resolves outside the mail root")]
    Escapes(String),
    #[error("the Maildir {0} already exists")]
    Exists(String),
    #[error("the Maildir {0} does not exist")]
    Missing(String),
    #[error("cannot {action} {}: {source}", path.display())]
    Io {
        action: &'static str,
        path: PathBuf,
        source: io::Error,
    },
}

impl StoreError {
    fn io(action: &'static str, path: &Path) -> impl FnOnce(io::Error) -> StoreError {
        let path = path.to_path_buf();
        move |source| StoreError::Io {
            action,
            path,
            source,
        }
    }
}

impl From<StoreError> for AppError {
    fn from(error: StoreError) -> Self {
        tracing::error!(%error, "mail store error");
        match error {
            StoreError::Io { source, .. } if source.kind() == io::ErrorKind::StorageFull => {
                AppError::DiskFull
            }
            _ => AppError::Internal,
        }
    }
}

/// Where `doveadm` is and which Dovecot configuration it should use, for a resync.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Doveadm {
    pub program: PathBuf,
    pub config: PathBuf,
}

impl Doveadm {
    /// `doveadm` from `PATH` with `config`, when both exist.
    pub fn find(config: &Path) -> Option<Doveadm> {
        let program = std::env::var_os("PATH").and_then(|paths| {
            std::env::split_paths(&paths)
                .map(|dir| dir.join("doveadm"))
                .find(|candidate| candidate.is_file())
        })?;
        config.is_file().then(|| Doveadm {
            program,
            config: config.to_path_buf(),
        })
    }
}

/// The mail root and who owns what is in it.
#[derive(Debug, Clone)]
pub struct MailStore {
    /// Absolute and canonical: every resolved path must start with it.
    root: PathBuf,
    owner: MailUser,
    /// Hand what we create to `owner`: only root can, and only root needs to.
    chown: bool,
    doveadm: Option<Doveadm>,
}

/// What the start-up reconciliation found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ReconcileReport {
    /// Live accounts whose Maildir was checked.
    pub checked: usize,
    /// Maildirs of live accounts that were missing and are now created.
    pub created: Vec<String>,
    /// Maildirs on disk that no account, live or deleted, refers to; left untouched.
    pub orphans: Vec<String>,
    /// Maildir values that could not be created or are not valid paths.
    pub problems: Vec<String>,
    /// Maildirs of accounts purged or never added, left behind by a crash; now removed.
    pub removed: Vec<String>,
}

impl MailStore {
    /// Opens (creating if needed) `<data_dir>/mail`, to be owned by `owner`.
    pub fn open(data_dir: &Path, owner: MailUser) -> Result<MailStore, StoreError> {
        let root = data_dir.join(MAIL_DIR);
        let chown = is_root();
        ensure_dir(&root, &owner, chown)?;
        let root = root
            .canonicalize()
            .map_err(StoreError::io("resolve", &root))?;
        Ok(MailStore {
            root,
            owner,
            chown,
            doveadm: None,
        })
    }

    /// The store that asks `doveadm` to resync after a rebuild.
    pub fn with_doveadm(mut self, doveadm: Option<Doveadm>) -> MailStore {
        self.doveadm = doveadm;
        self
    }

    /// The absolute mail root.
    pub fn root(&self) -> &Path {
        &self.root
    }

    /// The mail user.
    pub fn owner(&self) -> &MailUser {
        &self.owner
    }

    /// Hands the data directory and the database's files to the mail user when running as
    /// root; see [`MailUser::hand_over_database`].
    pub fn hand_over_database(&self, data_dir: &Path, db_file: &str) -> Result<(), StoreError> {
        if self.chown {
            self.owner.hand_over_database(data_dir, db_file)?;
        }
        Ok(())
    }

    /// The absolute path of a Maildir, after checking every name in `maildir`. Nothing on disk
    /// is touched; use it to show or log a location, never to act on one.
    pub fn path_of(&self, maildir: &str) -> Result<PathBuf, StoreError> {
        let (domain, name) = split_maildir(maildir)?;
        Ok(self.root.join(domain).join(name))
    }

    /// Whether the Maildir exists as a real directory under the root.
    pub fn exists(&self, maildir: &str) -> bool {
        self.existing(maildir).is_ok()
    }

    /// Creates a new Maildir with `cur/`, `new/` and `tmp/`; refuses one that already exists,
    /// so that undoing a failed account creation can never remove somebody's mail.
    pub fn create(&self, maildir: &str) -> Result<PathBuf, StoreError> {
        let (domain, name) = split_maildir(maildir)?;
        let domain_dir = self.root.join(domain);
        ensure_dir(&domain_dir, &self.owner, self.chown)?;
        self.check_inside(&domain_dir, maildir)?;
        let path = domain_dir.join(name);
        match std::fs::DirBuilder::new().mode(DIR_MODE).create(&path) {
            Ok(()) => {}
            Err(error) if error.kind() == io::ErrorKind::AlreadyExists => {
                return Err(StoreError::Exists(maildir.to_owned()))
            }
            Err(error) => return Err(StoreError::io("create", &path)(error)),
        }
        let made = self
            .hand_to_owner(&path)
            .and_then(|()| self.ensure_subdirs(&path).map(|_| ()));
        if let Err(error) = made {
            let _ = std::fs::remove_dir_all(&path);
            return Err(error);
        }
        Ok(path)
    }

    /// Creates whatever is missing of a Maildir (the folder itself, `cur/`, `new/`, `tmp/`) and
    /// returns the names it created, relative to the mail root.
    pub fn ensure(&self, maildir: &str) -> Result<Vec<String>, StoreError> {
        let (domain, name) = split_maildir(maildir)?;
        let domain_dir = self.root.join(domain);
        ensure_dir(&domain_dir, &self.owner, self.chown)?;
        self.check_inside(&domain_dir, maildir)?;
        let path = domain_dir.join(name);
        let mut created = Vec::new();
        if ensure_dir(&path, &self.owner, self.chown)? {
            created.push(format!("{domain}/{name}"));
        }
        self.check_inside(&path, maildir)?;
        for sub in self.ensure_subdirs(&path)? {
            created.push(format!("{domain}/{name}/{sub}"));
        }
        Ok(created)
    }

    /// Removes a Maildir and all its mail, for the purge. `Ok(false)` when it was not there.
    /// Symlinks inside are removed, never followed.
    pub fn remove(&self, maildir: &str) -> Result<bool, StoreError> {
        let path = match self.existing(maildir) {
            Ok(path) => path,
            Err(StoreError::Missing(_)) => return Ok(false),
            Err(error) => return Err(error),
        };
        let (domain, name) = split_maildir(maildir)?;
        // The mail user, who owns the folders above, could swap one for a symlink between the
        // check above and the removal: hold each open (never through a symlink) and remove
        // below those handles, so the removal stays inside whatever happens to the names.
        let open =
            |path: &Path| rebuild::open_no_follow(path, true).map_err(StoreError::io("open", path));
        let root = open(&self.root)?;
        let domain_dir = open(&below(&root, domain))?;
        let anchored = below(&domain_dir, name);
        // std's remove_dir_all refuses a symlink as its last name and walks below it by handles.
        std::fs::remove_dir_all(&anchored).map_err(StoreError::io("remove", &path))?;
        Ok(true)
    }

    /// Counts the messages (files in `cur/` and `new/` of every folder) and their bytes.
    pub fn measure(&self, maildir: &str) -> Result<(u64, u64), StoreError> {
        let path = self.existing(maildir)?;
        Ok(rebuild::measure(&path))
    }

    /// Repairs a Maildir so that checking mail works again; see [`rebuild`](rebuild::run).
    pub fn rebuild(&self, maildir: &str, email: &str) -> Result<RebuildReport, StoreError> {
        let path = match self.existing(maildir) {
            Ok(path) => path,
            Err(StoreError::Missing(_)) => {
                self.ensure(maildir)?;
                self.existing(maildir)?
            }
            Err(error) => return Err(error),
        };
        Ok(rebuild::run(self, &path, email))
    }

    /// Creates the missing Maildirs of `live` accounts; the report names those created and
    /// those that could not be. Never removes anything.
    pub fn ensure_all(&self, live: &[String]) -> ReconcileReport {
        let mut report = ReconcileReport::default();
        for maildir in live {
            match self.ensure(maildir) {
                Ok(created) if created.is_empty() => {}
                Ok(_) => report.created.push(normalise(maildir)),
                Err(error) => report.problems.push(format!("{maildir}: {error}")),
            }
        }
        report
    }

    /// The Maildirs present under the root, as `<domain>/<name>`.
    pub fn on_disk(&self) -> Vec<String> {
        let mut found = Vec::new();
        for domain in read_dir_names(&self.root) {
            let domain_dir = self.root.join(&domain);
            if !is_real_dir(&domain_dir) {
                continue;
            }
            for name in read_dir_names(&domain_dir) {
                if is_real_dir(&domain_dir.join(&name)) {
                    found.push(format!("{domain}/{name}"));
                }
            }
        }
        found.sort();
        found
    }

    /// The path of a Maildir that exists as a real directory under the root.
    fn existing(&self, maildir: &str) -> Result<PathBuf, StoreError> {
        let path = self.path_of(maildir)?;
        match std::fs::symlink_metadata(&path) {
            Ok(meta) if meta.is_dir() => {}
            Ok(_) => return Err(StoreError::Escapes(maildir.to_owned())),
            Err(error) if error.kind() == io::ErrorKind::NotFound => {
                return Err(StoreError::Missing(maildir.to_owned()))
            }
            Err(error) => return Err(StoreError::io("inspect", &path)(error)),
        }
        self.check_inside(&path, maildir)?;
        Ok(path)
    }

    /// Canonicalize-and-compare: `path` must resolve to itself, under the root.
    fn check_inside(&self, path: &Path, maildir: &str) -> Result<(), StoreError> {
        let resolved = path
            .canonicalize()
            .map_err(StoreError::io("resolve", path))?;
        if resolved.starts_with(&self.root) && resolved == path {
            Ok(())
        } else {
            Err(StoreError::Escapes(maildir.to_owned()))
        }
    }

    /// Creates the missing `cur/`, `new/`, `tmp/` of `path`; returns the names created.
    fn ensure_subdirs(&self, path: &Path) -> Result<Vec<&'static str>, StoreError> {
        let mut created = Vec::new();
        for sub in MAILDIR_SUBDIRS {
            if ensure_dir(&path.join(sub), &self.owner, self.chown)? {
                created.push(sub);
            }
        }
        Ok(created)
    }

    fn hand_to_owner(&self, path: &Path) -> Result<(), StoreError> {
        if self.chown {
            std::os::unix::fs::lchown(path, Some(self.owner.uid), Some(self.owner.gid))
                .map_err(StoreError::io("hand over", path))?;
        }
        Ok(())
    }

    /// Whether rebuild may change owners (running as root).
    fn can_chown(&self) -> bool {
        self.chown
    }

    fn doveadm(&self) -> Option<&Doveadm> {
        self.doveadm.as_ref()
    }
}

/// A new `maildir` value for an account: `<domain>/<local>.<unix seconds>.<8 hex digits>/`.
/// The stamp keeps a re-created account away from a deleted one's mail, the random part two
/// accounts re-created in the same second.
pub fn new_maildir(domain: &str, local: &str, now: i64) -> Result<String, StoreError> {
    let mut random = [0u8; 4];
    getrandom::fill(&mut random).map_err(|error| StoreError::Io {
        action: "draw random bytes for",
        path: PathBuf::from(domain),
        source: io::Error::other(error.to_string()),
    })?;
    let maildir = format!("{domain}/{local}.{now}.{}/", hex::encode(random));
    split_maildir(&maildir)?;
    Ok(maildir)
}

/// `maildir` checked name by name: exactly `<domain>/<name>` with an optional trailing `/`,
/// the domain valid and lowercase, the name of lowercase letters, digits, `.`, `-`, `_`, not
/// starting with a dot or dash. Rejects `..`, absolute paths, NUL, any other slash and
/// overlong names before anything touches the disk.
pub fn split_maildir(maildir: &str) -> Result<(&str, &str), StoreError> {
    let invalid = || StoreError::Invalid(maildir.escape_debug().to_string());
    if maildir.len() > MAX_MAILDIR_BYTES {
        return Err(invalid());
    }
    let trimmed = maildir.strip_suffix('/').unwrap_or(maildir);
    let (domain, name) = trimmed.split_once('/').ok_or_else(invalid)?;
    if parse_domain(domain).ok().as_deref() != Some(domain) {
        return Err(invalid());
    }
    let name_ok = !name.is_empty()
        && name.len() <= MAX_NAME_BYTES
        && !name.starts_with(['.', '-'])
        && !name.contains("..")
        && name
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b));
    if name_ok {
        Ok((domain, name))
    } else {
        Err(invalid())
    }
}

/// `maildir` without its trailing slash, as the store names Maildirs on disk.
fn normalise(maildir: &str) -> String {
    maildir.strip_suffix('/').unwrap_or(maildir).to_owned()
}

/// Creates `path` (mode 0700, handed to `owner` when `chown`) unless it is already a real
/// directory; refuses a symlink or a file in its place. `Ok(true)` when created.
fn ensure_dir(path: &Path, owner: &MailUser, chown: bool) -> Result<bool, StoreError> {
    match std::fs::symlink_metadata(path) {
        Ok(meta) if meta.is_dir() => return Ok(false),
        Ok(_) => {
            return Err(StoreError::io("use", path)(io::Error::new(
                io::ErrorKind::AlreadyExists,
                "not a directory",
            )))
        }
        Err(error) if error.kind() == io::ErrorKind::NotFound => {}
        Err(error) => return Err(StoreError::io("inspect", path)(error)),
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(DIR_MODE)
        .create(path)
        .map_err(StoreError::io("create", path))?;
    // Mode and owner are set through a handle: the mail user, who owns the directory above,
    // could have swapped the new one for a symlink meanwhile, which must not be followed.
    let made = rebuild::open_no_follow(path, true).map_err(StoreError::io("open", path))?;
    // The umask may have narrowed the mode; it cannot have widened it.
    made.set_permissions(std::fs::Permissions::from_mode(DIR_MODE))
        .map_err(StoreError::io("set the mode of", path))?;
    if chown {
        std::os::unix::fs::fchown(&made, Some(owner.uid), Some(owner.gid))
            .map_err(StoreError::io("hand over", path))?;
    }
    Ok(true)
}

fn is_real_dir(path: &Path) -> bool {
    std::fs::symlink_metadata(path).is_ok_and(|meta| meta.is_dir())
}

/// The UTF-8 names in a directory, unsorted; unreadable entries are skipped.
fn read_dir_names(dir: &Path) -> Vec<String> {
    std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .filter_map(Result::ok)
                .filter_map(|entry| entry.file_name().into_string().ok())
                .collect()
        })
        .unwrap_or_default()
}

/// Runs blocking store work on the blocking pool.
pub async fn blocking<T: Send + 'static>(
    work: impl FnOnce() -> T + Send + 'static,
) -> Result<T, AppError> {
    tokio::task::spawn_blocking(work).await.map_err(|error| {
        tracing::error!(%error, "mail store task failed");
        AppError::Internal
    })
}

/// Maildirs created for accounts whose rows are not committed yet. Unless [`keep`](Self::keep)
/// is called after the commit, dropping them removes them again, so a failed, refused or
/// abandoned creation leaves no folder behind. Only Maildirs this value created are removed:
/// [`MailStore::create`] refuses one that exists.
pub struct PendingMaildirs {
    store: MailStore,
    maildirs: Vec<String>,
    kept: bool,
}

impl PendingMaildirs {
    /// Creates every Maildir, or none: a failure removes those already made.
    pub async fn create(store: &MailStore, maildirs: Vec<String>) -> Result<Self, AppError> {
        let store = store.clone();
        blocking(move || {
            let mut pending = PendingMaildirs {
                store,
                maildirs: Vec::with_capacity(maildirs.len()),
                kept: false,
            };
            for maildir in maildirs {
                pending.store.create(&maildir)?;
                pending.maildirs.push(maildir);
            }
            Ok(pending)
        })
        .await?
    }

    /// The rows are committed: the Maildirs stay.
    pub fn keep(mut self) {
        self.kept = true;
    }
}

impl Drop for PendingMaildirs {
    fn drop(&mut self) {
        if self.kept {
            return;
        }
        for maildir in &self.maildirs {
            if let Err(error) = self.store.remove(maildir) {
                tracing::error!(%error, %maildir, "cannot remove the Maildir of an account not created");
            }
        }
    }
}

/// The Maildirs on disk (`found`) that no row in `known` (live or deleted accounts) refers to.
pub fn orphans(found: Vec<String>, known: &[String]) -> Vec<String> {
    let known: BTreeSet<String> = known.iter().map(|m| normalise(m)).collect();
    found.into_iter().filter(|m| !known.contains(m)).collect()
}

/// Reconciles the store with the database: [`finish_removals`], then [`reconcile_maildirs`].
pub async fn reconcile(db: &AnyPool, store: &MailStore) -> Result<ReconcileReport, AppError> {
    let removed = finish_removals(db, store).await?;
    let mut report = reconcile_maildirs(db, store).await?;
    report.removed = removed;
    Ok(report)
}

/// The Maildirs a crash left listed for removal (see [`removals`]) go, logged. The server does
/// this before it serves: an address re-created meanwhile must not get the old mail.
pub async fn finish_removals(db: &AnyPool, store: &MailStore) -> Result<Vec<String>, AppError> {
    let removed = removals::finish(db, store).await?;
    for maildir in &removed {
        tracing::warn!(%maildir, "removed the Maildir of an account purged or never added");
    }
    Ok(removed)
}

/// Maildirs checked per task: between two, the server serves and a stop ends the work.
const RECONCILE_CHUNK: usize = 1_000;

/// Every live account gets its Maildir; other Maildirs of no account are reported in the log,
/// never removed. Safe while the server serves (it runs in the background after start-up): it
/// only creates what a live account lacks, and reads the accounts again before naming orphans,
/// so one added meanwhile is not one.
pub async fn reconcile_maildirs(
    db: &AnyPool,
    store: &MailStore,
) -> Result<ReconcileReport, AppError> {
    let live: Vec<String> =
        sqlx::query_scalar("SELECT maildir FROM mailboxes WHERE deleted_at IS NULL")
            .fetch_all(db)
            .await?;
    let mut report = ReconcileReport {
        checked: live.len(),
        ..ReconcileReport::default()
    };
    for chunk in live.chunks(RECONCILE_CHUNK) {
        let (store, chunk) = (store.clone(), chunk.to_vec());
        let done = blocking(move || store.ensure_all(&chunk)).await?;
        report.created.extend(done.created);
        report.problems.extend(done.problems);
    }
    let found = {
        let store = store.clone();
        blocking(move || store.on_disk()).await?
    };
    let known: Vec<String> = sqlx::query_scalar("SELECT maildir FROM mailboxes")
        .fetch_all(db)
        .await?;
    report.orphans = orphans(found, &known);
    for maildir in &report.created {
        tracing::warn!(%maildir, "created the missing Maildir of a live account");
    }
    for maildir in &report.orphans {
        tracing::warn!(%maildir, "a Maildir belongs to no account; left in place");
    }
    for problem in &report.problems {
        tracing::error!(%problem, "cannot reconcile a Maildir");
    }
    Ok(report)
}

/// The path of `name` inside the directory held open as `dir`, whatever its path is now.
fn below(dir: &std::fs::File, name: &str) -> PathBuf {
    use std::os::fd::AsRawFd;
    PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd())).join(name)
}

#[cfg(test)]
mod tests;
