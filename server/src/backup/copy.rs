//! Copying the mail store: a tree of directories and files, with their modes, times and (as
//! root) owners. The source is walked by directory handles opened without following symlinks,
//! as the mail store itself does: the mail user owns every name in it and could swap one for a
//! symlink while the copy runs, which must not make us read anything outside.

use std::ffi::OsStr;
use std::fs::{DirBuilder, File, OpenOptions};
use std::io;
use std::os::fd::AsRawFd;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Who owns what the copy makes.
#[derive(Debug, Clone, Copy)]
pub enum Owners {
    /// Whoever runs the copy (not root: it cannot give files away).
    Runner,
    /// The same uid and gid as the source (a backup keeps them as they were).
    Source,
    /// This uid and gid (a restore hands everything to the mail user).
    To(u32, u32),
}

/// What was copied, and what was left out.
#[derive(Debug, Default)]
pub struct Copied {
    pub files: u64,
    pub bytes: u64,
    /// Symlinks and special files, relative to the source: never followed nor copied.
    pub skipped: Vec<PathBuf>,
}

/// Copies the directory `from` to `to`, which must not exist yet. A file that disappears
/// meanwhile (Dovecot moved a message from `new/` to `cur/`) is left out without an error.
pub fn copy_tree(from: &Path, to: &Path, owners: Owners) -> Result<Copied, String> {
    let fail = |path: &Path| {
        let path = path.display().to_string();
        move |error: io::Error| format!("cannot copy {path}: {error}")
    };
    let source = open_no_follow(from, true).map_err(fail(from))?;
    let mut copied = Copied::default();
    copy_dir(&source, to, Path::new(""), owners, &mut copied)
        .map_err(|(path, error)| fail(&from.join(path))(error))?;
    Ok(copied)
}

type Failure = (PathBuf, io::Error);

fn copy_dir(
    source: &File,
    to: &Path,
    rel: &Path,
    owners: Owners,
    copied: &mut Copied,
) -> Result<(), Failure> {
    let at = |error| (rel.to_path_buf(), error);
    let meta = source.metadata().map_err(at)?;
    // Private while it fills; its own mode and owner once complete.
    DirBuilder::new().mode(0o700).create(to).map_err(at)?;
    for entry in std::fs::read_dir(below(source, OsStr::new(""))).map_err(at)? {
        let name = entry.map_err(at)?.file_name();
        let rel = rel.join(&name);
        let path = below(source, &name);
        let at = |error| (rel.clone(), error);
        let seen = match std::fs::symlink_metadata(&path) {
            Ok(seen) => seen,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(at(error)),
        };
        if !seen.is_dir() && !seen.is_file() {
            copied.skipped.push(rel);
            continue;
        }
        let handle = match open_no_follow(&path, seen.is_dir()) {
            Ok(handle) => handle,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) if error.raw_os_error() == Some(libc::ELOOP) => {
                copied.skipped.push(rel);
                continue;
            }
            Err(error) => return Err(at(error)),
        };
        let held = handle.metadata().map_err(at)?;
        if held.dev() != seen.dev() || held.ino() != seen.ino() {
            copied.skipped.push(rel);
            continue;
        }
        let target = to.join(&name);
        if held.is_dir() {
            copy_dir(&handle, &target, &rel, owners, copied)?;
        } else {
            copy_file(handle, &held, &target, owners).map_err(at)?;
            copied.files += 1;
            copied.bytes += held.len();
        }
    }
    let dir = open_no_follow(to, true).map_err(at)?;
    finish(&dir, &meta, owners).map_err(at)
}

fn copy_file(
    mut source: File,
    meta: &std::fs::Metadata,
    to: &Path,
    owners: Owners,
) -> io::Result<()> {
    let mut target = OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(to)?;
    io::copy(&mut source, &mut target)?;
    // Dovecot takes a message's received date from its file's time.
    target.set_modified(meta.modified()?)?;
    target.sync_all()?;
    finish(&target, meta, owners)
}

/// Gives `target` the source's mode and the owner `owners` says.
fn finish(target: &File, source: &std::fs::Metadata, owners: Owners) -> io::Result<()> {
    let ids = match owners {
        Owners::Runner => None,
        Owners::Source => Some((source.uid(), source.gid())),
        Owners::To(uid, gid) => Some((uid, gid)),
    };
    if let Some((uid, gid)) = ids {
        std::os::unix::fs::fchown(target, Some(uid), Some(gid))?;
    }
    target.set_permissions(std::fs::Permissions::from_mode(source.mode() & 0o7777))
}

/// Opens `path` for reading without following a symlink (`ELOOP`) or blocking on a FIFO.
fn open_no_follow(path: &Path, directory: bool) -> io::Result<File> {
    let mut flags = libc::O_NOFOLLOW | libc::O_NONBLOCK;
    if directory {
        flags |= libc::O_DIRECTORY;
    }
    OpenOptions::new().read(true).custom_flags(flags).open(path)
}

/// The path of `name` inside the directory held open as `dir`, whatever its path is now.
fn below(dir: &File, name: &OsStr) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd())).join(name)
}
