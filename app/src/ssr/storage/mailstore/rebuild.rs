//! Rebuild mailbox: repairs what makes a client's "check mail" fail, and never deletes mail.
//!
//! Seen with Dovecot 2.3: a folder the mail user cannot read answers POP3 with
//! `-ERR [SYS/TEMP] Internal error`, a message it cannot read is reported as expunged, and any
//! file in `cur/` or `new/` is served as a message. So, for the Maildir and each of its
//! Maildir++ folders (`.Sent`, ...): recreate missing `cur/`, `new/`, `tmp/`; hand every entry
//! to the mail user with modes 0700/0600; clear abandoned deliveries from `tmp/`; move what is
//! not a message out of `cur/` and `new/` into a quarantine folder; drop Dovecot's index, cache
//! and lock files, which Dovecot rebuilds from the messages; ask Dovecot to resync; count.

use std::io::Read;
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant, SystemTime};

pub use crate::model::rebuild::{RebuildReport, Resync};

use super::{ensure_dir, is_real_dir, read_dir_names, MailStore, DIR_MODE, FILE_MODE};

/// Files in `tmp/` older than this are abandoned deliveries (the Maildir convention).
pub const STALE_TMP: Duration = Duration::from_secs(36 * 60 * 60);
/// The folder, inside the Maildir, that receives what is not mail. Without a leading dot,
/// Dovecot never takes it for a mail folder.
pub const QUARANTINE_DIR: &str = "quarantine";
/// How long `doveadm force-resync` may take before it is stopped.
const RESYNC_TIMEOUT: Duration = Duration::from_secs(120);
/// Bytes read from the start of a file to tell a message from anything else.
const SNIFF_BYTES: usize = 1024;

/// Rebuilds the Maildir at `maildir` (an existing real directory under the store's root) for
/// the account `email`.
pub(super) fn run(store: &MailStore, maildir: &Path, email: &str) -> RebuildReport {
    let mut work = Rebuild {
        store,
        maildir,
        quarantine: None,
        report: RebuildReport {
            folders_created: Vec::new(),
            owners_fixed: 0,
            modes_fixed: 0,
            stale_tmp_removed: Vec::new(),
            quarantined: Vec::new(),
            index_files_removed: Vec::new(),
            resync: Resync::NotConfigured,
            problems: Vec::new(),
            message_count: 0,
            mailbox_bytes: 0,
        },
    };
    let folders = folders(maildir);
    for folder in &folders {
        work.recreate_subdirs(folder);
    }
    work.fix_owners_and_modes();
    for folder in &folders {
        work.clear_stale_tmp(folder);
        work.quarantine_non_messages(folder);
        work.drop_index_files(folder);
    }
    work.report.resync = resync(store, email);
    let (count, bytes) = measure(maildir);
    work.report.message_count = count;
    work.report.mailbox_bytes = bytes;
    work.report
}

/// Counts the messages in `cur/` and `new/` of every folder and sums their sizes.
pub(super) fn measure(maildir: &Path) -> (u64, u64) {
    let mut count = 0;
    let mut bytes = 0;
    for folder in folders(maildir) {
        for sub in ["cur", "new"] {
            let dir = maildir.join(&folder).join(sub);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            for entry in entries.filter_map(Result::ok) {
                let hidden = entry.file_name().as_encoded_bytes().starts_with(b".");
                if let Ok(meta) = entry.metadata() {
                    if meta.is_file() && !hidden {
                        count += 1;
                        bytes += meta.len();
                    }
                }
            }
        }
    }
    (count, bytes)
}

/// The mail folders of a Maildir, relative to it: `""` (the inbox) and every Maildir++ folder
/// (`.Sent`, `.Archive.2024`), which is a real directory whose name starts with a dot.
fn folders(maildir: &Path) -> Vec<String> {
    let mut folders = vec![String::new()];
    let mut sub: Vec<String> = read_dir_names(maildir)
        .into_iter()
        .filter(|name| name.starts_with('.') && name != "." && name != "..")
        .filter(|name| is_real_dir(&maildir.join(name)))
        .collect();
    sub.sort();
    folders.extend(sub);
    folders
}

struct Rebuild<'a> {
    store: &'a MailStore,
    maildir: &'a Path,
    /// `quarantine/<stamp>`, created on first use.
    quarantine: Option<PathBuf>,
    report: RebuildReport,
}

impl Rebuild<'_> {
    fn relative(&self, path: &Path) -> String {
        path.strip_prefix(self.maildir)
            .unwrap_or(path)
            .to_string_lossy()
            .into_owned()
    }

    fn problem(&mut self, path: &Path, what: impl std::fmt::Display) {
        let relative = self.relative(path);
        self.report.problems.push(format!("{relative}: {what}"));
    }

    /// `cur/`, `new/`, `tmp/` of a folder: created when missing; anything else in their place
    /// is moved to the quarantine first.
    fn recreate_subdirs(&mut self, folder: &str) {
        for sub in super::MAILDIR_SUBDIRS {
            let path = self.maildir.join(folder).join(sub);
            match std::fs::symlink_metadata(&path) {
                Ok(meta) if meta.is_dir() => continue,
                Ok(_) => {
                    if !self.move_to_quarantine(&path) {
                        continue;
                    }
                }
                Err(error) if error.kind() == std::io::ErrorKind::NotFound => {}
                Err(error) => {
                    self.problem(&path, error);
                    continue;
                }
            }
            match ensure_dir(&path, self.store.owner(), self.store.can_chown()) {
                Ok(_) => {
                    let relative = self.relative(&path);
                    self.report.folders_created.push(relative);
                }
                Err(error) => self.problem(&path, error),
            }
        }
    }

    /// Every folder and file under the Maildir: owned by the mail user, folders 0700, files
    /// 0600. Symlinks and special files are left alone. Changes go through a handle opened
    /// without following symlinks, so an entry swapped for a symlink meanwhile can never lead
    /// them (made as root) anywhere else.
    fn fix_owners_and_modes(&mut self) {
        let owner = self.store.owner().clone();
        let chown = self.store.can_chown();
        let euid = super::current_uid();
        let mut pending = vec![self.maildir.to_path_buf()];
        while let Some(path) = pending.pop() {
            let seen = match std::fs::symlink_metadata(&path) {
                Ok(meta) => meta,
                Err(error) => {
                    self.problem(&path, error);
                    continue;
                }
            };
            let is_dir = seen.is_dir();
            let wanted = match (is_dir, seen.is_file()) {
                (true, _) => DIR_MODE,
                (false, true) => FILE_MODE,
                (false, false) => continue,
            };
            let handle = match open_no_follow(&path, is_dir) {
                Ok(handle) => handle,
                Err(error) if error.raw_os_error() == Some(libc::ELOOP) => continue,
                Err(error) => {
                    self.problem(&path, error);
                    continue;
                }
            };
            let meta = match handle.metadata() {
                Ok(meta) if meta.dev() == seen.dev() && meta.ino() == seen.ino() => meta,
                Ok(_) => continue,
                Err(error) => {
                    self.problem(&path, error);
                    continue;
                }
            };
            if chown && (meta.uid() != owner.uid || meta.gid() != owner.gid) {
                match std::os::unix::fs::fchown(&handle, Some(owner.uid), Some(owner.gid)) {
                    Ok(()) => self.report.owners_fixed += 1,
                    Err(error) => self.problem(&path, error),
                }
            } else if !chown && meta.uid() != euid {
                self.problem(
                    &path,
                    format!(
                        "owned by uid {}; run the rebuild as root to give it back to the mail user",
                        meta.uid()
                    ),
                );
                continue;
            }
            if meta.mode() & 0o7777 != wanted {
                match handle.set_permissions(std::fs::Permissions::from_mode(wanted)) {
                    Ok(()) => self.report.modes_fixed += 1,
                    Err(error) => self.problem(&path, error),
                }
            }
            if is_dir {
                match std::fs::read_dir(&path) {
                    Ok(entries) => {
                        pending.extend(entries.filter_map(Result::ok).map(|entry| entry.path()))
                    }
                    Err(error) => self.problem(&path, error),
                }
            }
        }
    }

    /// Files in `tmp/` untouched for 36 hours: deliveries that never completed, not mail.
    fn clear_stale_tmp(&mut self, folder: &str) {
        let tmp = self.maildir.join(folder).join("tmp");
        let Ok(entries) = std::fs::read_dir(&tmp) else {
            return;
        };
        let now = SystemTime::now();
        for entry in entries.filter_map(Result::ok) {
            let path = entry.path();
            let Ok(meta) = std::fs::symlink_metadata(&path) else {
                continue;
            };
            let stale = meta
                .modified()
                .ok()
                .and_then(|modified| now.duration_since(modified).ok())
                .is_some_and(|age| age > STALE_TMP);
            if stale && !meta.is_dir() {
                match std::fs::remove_file(&path) {
                    Ok(()) => {
                        let relative = self.relative(&path);
                        self.report.stale_tmp_removed.push(relative);
                    }
                    Err(error) => self.problem(&path, error),
                }
            }
        }
    }

    /// Moves every entry of `cur/` and `new/` that is not a message to the quarantine.
    fn quarantine_non_messages(&mut self, folder: &str) {
        for sub in ["cur", "new"] {
            let dir = self.maildir.join(folder).join(sub);
            let Ok(entries) = std::fs::read_dir(&dir) else {
                continue;
            };
            let mut strays: Vec<PathBuf> = Vec::new();
            for entry in entries.filter_map(Result::ok) {
                let path = entry.path();
                match is_message(&path) {
                    Ok(true) => {}
                    Ok(false) => strays.push(path),
                    Err(error) => self.problem(&path, error),
                }
            }
            strays.sort();
            for path in strays {
                self.move_to_quarantine(&path);
            }
        }
    }

    /// Moves `path` to the same place under `quarantine/<stamp>/`; `false` when it cannot.
    fn move_to_quarantine(&mut self, path: &Path) -> bool {
        let relative = self.relative(path);
        let Some(base) = self.quarantine_dir() else {
            self.problem(path, "the quarantine folder cannot be created");
            return false;
        };
        let mut target = base.join(&relative);
        if let Some(parent) = target.parent() {
            if let Err(error) = self.make_dirs(&base, parent) {
                self.problem(path, error);
                return false;
            }
        }
        let mut attempt = 1;
        while std::fs::symlink_metadata(&target).is_ok() {
            attempt += 1;
            target = base.join(format!("{relative}.{attempt}"));
        }
        match std::fs::rename(path, &target) {
            Ok(()) => {
                let to = self.relative(&target);
                self.report.quarantined.push(format!("{relative} -> {to}"));
                true
            }
            Err(error) => {
                self.problem(path, error);
                false
            }
        }
    }

    fn quarantine_dir(&mut self) -> Option<PathBuf> {
        if self.quarantine.is_none() {
            let stamp = SystemTime::now()
                .duration_since(SystemTime::UNIX_EPOCH)
                .map_or(0, |since| since.as_secs());
            let top = self.maildir.join(super::rebuild::QUARANTINE_DIR);
            let mut dir = top.join(stamp.to_string());
            let mut attempt = 1;
            while std::fs::symlink_metadata(&dir).is_ok() {
                attempt += 1;
                dir = top.join(format!("{stamp}.{attempt}"));
            }
            self.make_dirs(self.maildir, &dir).ok()?;
            self.quarantine = Some(dir);
        }
        self.quarantine.clone()
    }

    /// Creates each missing directory from `base` down to `dir`, handed to the mail user.
    fn make_dirs(&self, base: &Path, dir: &Path) -> Result<(), super::StoreError> {
        let mut path = base.to_path_buf();
        if let Ok(rest) = dir.strip_prefix(base) {
            for part in rest.components() {
                path.push(part);
                ensure_dir(&path, self.store.owner(), self.store.can_chown())?;
            }
        }
        Ok(())
    }

    /// Dovecot's index, cache and lock files of a folder: Dovecot rebuilds them from the
    /// messages, and a corrupt or stale one is what makes a mailbox misbehave. The UID list
    /// (`dovecot-uidlist`) stays, so that clients keep their message ids.
    fn drop_index_files(&mut self, folder: &str) {
        let dir = self.maildir.join(folder);
        let mut names = read_dir_names(&dir);
        names.sort();
        for name in names {
            let index = name.starts_with("dovecot.index") || name.starts_with("dovecot.list.index");
            let lock = name.starts_with("dovecot") && name.ends_with(".lock");
            if !(index || lock) {
                continue;
            }
            let path = dir.join(&name);
            if std::fs::symlink_metadata(&path).is_ok_and(|meta| meta.is_dir()) {
                continue;
            }
            match std::fs::remove_file(&path) {
                Ok(()) => {
                    let relative = self.relative(&path);
                    self.report.index_files_removed.push(relative);
                }
                Err(error) => self.problem(&path, error),
            }
        }
    }
}

/// Whether a file-system entry of `cur/` or `new/` is a message: a regular file (not a
/// symlink), not hidden, that starts with a header field (`Name: value`) or an mbox
/// `From ` line. An empty file, a directory, a document or a picture is not.
fn is_message(path: &Path) -> std::io::Result<bool> {
    let hidden = path
        .file_name()
        .is_some_and(|name| name.as_encoded_bytes().starts_with(b"."));
    let meta = std::fs::symlink_metadata(path)?;
    if hidden || !meta.is_file() {
        return Ok(false);
    }
    let mut start = Vec::with_capacity(SNIFF_BYTES);
    open_no_follow(path, false)?
        .take(SNIFF_BYTES as u64)
        .read_to_end(&mut start)?;
    Ok(starts_with_header(&start))
}

/// Opens `path` for reading without following a symlink (which fails with `ELOOP`) and
/// without blocking on a FIFO.
pub(super) fn open_no_follow(path: &Path, directory: bool) -> std::io::Result<std::fs::File> {
    let mut flags = libc::O_NOFOLLOW | libc::O_NONBLOCK;
    if directory {
        flags |= libc::O_DIRECTORY;
    }
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(flags)
        .open(path)
}

/// `From ` (mbox) or a header field name (printable ASCII but `:`) followed by `:`.
fn starts_with_header(start: &[u8]) -> bool {
    if start.starts_with(b"From ") {
        return true;
    }
    let name_len = start
        .iter()
        .take_while(|&&b| (0x21..=0x7e).contains(&b) && b != b':')
        .count();
    name_len > 0 && start.get(name_len) == Some(&b':')
}

/// Asks Dovecot to resync every folder of the account, when `doveadm` is set up.
fn resync(store: &MailStore, email: &str) -> Resync {
    let Some(doveadm) = store.doveadm() else {
        return Resync::NotConfigured;
    };
    let child = Command::new(&doveadm.program)
        .arg("-c")
        .arg(&doveadm.config)
        .args(["force-resync", "-u", email, "*"])
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn();
    let mut child = match child {
        Ok(child) => child,
        Err(error) => {
            tracing::warn!(%error, "cannot run doveadm");
            return Resync::Failed("doveadm could not be started".to_owned());
        }
    };
    let started = Instant::now();
    // This runs on the blocking pool, where waiting in small steps is the way to time out.
    let status = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() < RESYNC_TIMEOUT => {
                std::thread::sleep(Duration::from_millis(20))
            }
            Ok(None) | Err(_) => {
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
        }
    };
    let mut stderr = String::new();
    if let Some(mut pipe) = child.stderr.take() {
        let _ = pipe.read_to_string(&mut stderr);
    }
    match status {
        Some(status) if status.success() => Resync::Done,
        Some(status) => {
            tracing::warn!(%email, %status, stderr = %stderr.trim(), "doveadm force-resync failed");
            Resync::Failed(match status.code() {
                Some(67) => "the account cannot log in".to_owned(),
                Some(code) => format!("doveadm exited with status {code}"),
                None => "doveadm was stopped".to_owned(),
            })
        }
        None => Resync::Failed("doveadm took too long".to_owned()),
    }
}

#[cfg(test)]
mod tests {
    use super::starts_with_header;

    #[test]
    fn messages_start_with_a_header_field() {
        assert!(starts_with_header(b"Return-Path: <a@b>\r\n"));
        assert!(starts_with_header(b"From: a@b\n\nbody"));
        assert!(starts_with_header(
            b"From someone Mon Jan  1 00:00:00 2024\n"
        ));
        assert!(starts_with_header(b"X-Odd_Name.1:value"));
        assert!(!starts_with_header(b""));
        assert!(!starts_with_header(b"Meeting notes\nSubject: no"));
        assert!(!starts_with_header(b": no name"));
        assert!(!starts_with_header(b"\x89PNG\r\n\x1a\n"));
        assert!(!starts_with_header(b"no colon at all"));
    }
}
