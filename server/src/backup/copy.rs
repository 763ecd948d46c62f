//! Copying the mail store: a tree of directories and files, with their modes, times and (as
//! root) owners. Both sides are worked through directory handles opened without following
//! symlinks, as the mail store itself does: the mail user owns every name in the data
//! directory and could swap one for a symlink while the copy runs, which must make us neither
//! read nor write anything outside. Every directory the copy makes stays private to whoever
//! runs it until its content is complete, and only then gets its mode and owner.

use std::ffi::{CString, OsStr};
use std::fs::File;
use std::io;
use std::os::fd::{AsRawFd, FromRawFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};

/// Who owns what the copy makes.
#[derive(Debug, Clone, Copy)]
pub enum Owners {
    /// Whoever runs the copy (root's backup stays root's).
    Runner,
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

/// Copies the directory `from` to `to`, which must not exist yet (nor a symlink in its place).
/// A file that disappears meanwhile (Dovecot moved a message from `new/` to `cur/`) is left
/// out without an error.
pub fn copy_tree(from: &Path, to: &Path, owners: Owners) -> Result<Copied, String> {
    let fail = |path: &Path| {
        let path = path.display().to_string();
        move |error: io::Error| format!("cannot copy {path}: {error}")
    };
    let source = open_no_follow(from, true).map_err(fail(from))?;
    let (Some(parent), Some(name)) = (to.parent(), to.file_name()) else {
        return Err(format!("cannot copy into {}", to.display()));
    };
    let parent = File::open(parent).map_err(fail(to))?;
    let mut copied = Copied::default();
    copy_dir(&source, &parent, name, Path::new(""), owners, &mut copied)
        .map_err(|(path, error)| fail(&from.join(path))(error))?;
    Ok(copied)
}

type Failure = (PathBuf, io::Error);

/// Copies the directory held as `source` to a new directory `name` in `parent`.
fn copy_dir(
    source: &File,
    parent: &File,
    name: &OsStr,
    rel: &Path,
    owners: Owners,
    copied: &mut Copied,
) -> Result<(), Failure> {
    let at = |error| (rel.to_path_buf(), error);
    let meta = source.metadata().map_err(at)?;
    let target = make_dir_at(parent, name).map_err(at)?;
    for entry in std::fs::read_dir(below(source, OsStr::new(""))).map_err(at)? {
        let name = entry.map_err(at)?.file_name();
        let rel = rel.join(&name);
        let at = |error| (rel.clone(), error);
        let seen = match std::fs::symlink_metadata(below(source, &name)) {
            Ok(seen) => seen,
            Err(error) if error.kind() == io::ErrorKind::NotFound => continue,
            Err(error) => return Err(at(error)),
        };
        if !seen.is_dir() && !seen.is_file() {
            copied.skipped.push(rel);
            continue;
        }
        let handle = match open_at(source, &name, read_flags(seen.is_dir()), 0) {
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
        if held.is_dir() {
            copy_dir(&handle, &target, &name, &rel, owners, copied)?;
        } else {
            copy_file(handle, &held, &target, &name, owners).map_err(at)?;
            copied.files += 1;
            copied.bytes += held.len();
        }
    }
    finish(&target, &meta, owners).map_err(at)
}

fn copy_file(
    mut source: File,
    meta: &std::fs::Metadata,
    dir: &File,
    name: &OsStr,
    owners: Owners,
) -> io::Result<()> {
    let flags = libc::O_WRONLY | libc::O_CREAT | libc::O_EXCL | libc::O_NOFOLLOW;
    let mut target = open_at(dir, name, flags, 0o600)?;
    io::copy(&mut source, &mut target)?;
    // Dovecot takes a message's received date from its file's time.
    target.set_modified(meta.modified()?)?;
    target.sync_all()?;
    finish(&target, meta, owners)
}

/// Gives `target` the source's mode and the owner `owners` says.
fn finish(target: &File, source: &std::fs::Metadata, owners: Owners) -> io::Result<()> {
    if let Owners::To(uid, gid) = owners {
        std::os::unix::fs::fchown(target, Some(uid), Some(gid))?;
    }
    target.set_permissions(std::fs::Permissions::from_mode(source.mode() & 0o7777))
}

/// Makes the directory `name` in `parent`, private (0700) while it fills, and opens it.
/// Anything already there, a symlink included, is an error: `mkdirat` never follows.
fn make_dir_at(parent: &File, name: &OsStr) -> io::Result<File> {
    let c_name = c_name(name)?;
    // SAFETY: the descriptor is open and `c_name` a valid C string for the call.
    if unsafe { libc::mkdirat(parent.as_raw_fd(), c_name.as_ptr(), 0o700) } != 0 {
        return Err(io::Error::last_os_error());
    }
    // Had the directory been swapped since, by whoever can write `parent`, what is opened is
    // theirs to write anyway: the copy still writes nowhere else.
    open_at(parent, name, read_flags(true), 0)
}

fn read_flags(directory: bool) -> libc::c_int {
    let flags = libc::O_RDONLY | libc::O_NOFOLLOW | libc::O_NONBLOCK;
    if directory {
        flags | libc::O_DIRECTORY
    } else {
        flags
    }
}

/// Opens `name` in the directory held as `dir` (`openat`), whatever the directory's path is now.
fn open_at(dir: &File, name: &OsStr, flags: libc::c_int, mode: libc::mode_t) -> io::Result<File> {
    let c_name = c_name(name)?;
    // SAFETY: the descriptor is open and `c_name` a valid C string for the call.
    let fd = unsafe {
        libc::openat(
            dir.as_raw_fd(),
            c_name.as_ptr(),
            flags | libc::O_CLOEXEC,
            libc::c_uint::from(mode),
        )
    };
    if fd < 0 {
        return Err(io::Error::last_os_error());
    }
    // SAFETY: `fd` was just opened and nothing else owns it.
    Ok(unsafe { File::from_raw_fd(fd) })
}

/// One name, never a path: a slash would walk out of the directory handle.
fn c_name(name: &OsStr) -> io::Result<CString> {
    if name.as_bytes().contains(&b'/') {
        return Err(io::Error::from(io::ErrorKind::InvalidInput));
    }
    CString::new(name.as_bytes()).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))
}

/// Opens `path` for reading without following a symlink (`ELOOP`) or blocking on a FIFO.
fn open_no_follow(path: &Path, directory: bool) -> io::Result<File> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(read_flags(directory))
        .open(path)
}

/// The path of `name` inside the directory held open as `dir`, whatever its path is now.
fn below(dir: &File, name: &OsStr) -> PathBuf {
    PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd())).join(name)
}
