//! Room kept on the data directory's disk for the console itself. Mail, logs or anything else
//! can fill the disk; when it is nearly full this reserve is released, so that the postmaster
//! can still log on and delete accounts. Adding accounts, which takes the most
//! room, waits until the disk has room for them and for the reserve again.

use std::ffi::CString;
use std::io::{self, Write};
use std::os::fd::AsRawFd;
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};

use super::mailstore::MailStore;
use crate::error::AppError;

/// The reserve's size: thousands of log-ons, deletes and their audit rows.
pub const RESERVE_BYTES: u64 = 8 << 20;

/// The reserve's file in the data directory.
pub const RESERVE_FILE: &str = "reserved-space";

/// Room an account takes at most: its rows, and a Maildir of four directories.
const BYTES_PER_ACCOUNT: u64 = 64 << 10;

/// Below this much free room the reserve is released.
const LOW_WATER_BYTES: u64 = 4 << 20;

/// Makes the reserve of `data_dir` when it is missing and the disk has room for it. A disk
/// without room yet is not an error: the reserve is made when adding accounts finds room.
pub fn keep(data_dir: &Path) {
    if let Err(error) = make(&data_dir.join(RESERVE_FILE)) {
        tracing::warn!(%error, "cannot keep room on the disk for the console");
    }
}

/// Releases the reserve when the disk of the mail store is nearly full, so that the request
/// about to run (a log-on, a delete) still has room. Cheap enough for every request.
pub fn release_when_low(store: &MailStore) {
    let low = free_bytes(store.root()).is_ok_and(|free| free < LOW_WATER_BYTES);
    if low && std::fs::remove_file(reserve_of(store)).is_ok() {
        tracing::error!(
            "the disk is nearly full: released the room kept for the console, so that the \
             postmaster can still log on and delete; adding accounts waits for room"
        );
    }
}

/// Refuses with [`AppError::DiskFull`] unless the disk of the mail store has room for
/// `accounts` new accounts beside the reserve, which is made again if it was released.
pub fn room_for(store: &MailStore, accounts: usize) -> Result<(), AppError> {
    let needed = BYTES_PER_ACCOUNT.saturating_mul(accounts as u64);
    let path = reserve_of(store);
    let reserve_missing = !path.exists();
    let free = free_bytes(store.root()).map_err(|error| {
        tracing::error!(%error, "cannot read the free space of the disk");
        AppError::Internal
    })?;
    let wanted = needed.saturating_add(if reserve_missing { RESERVE_BYTES } else { 0 });
    if free < wanted {
        tracing::warn!(free, wanted, "not enough room on the disk to add accounts");
        return Err(AppError::DiskFull);
    }
    if reserve_missing {
        make(&path).map_err(|error| {
            tracing::error!(%error, "cannot make the room kept for the console");
            AppError::DiskFull
        })?;
    }
    Ok(())
}

/// The reserve beside the mail store, in the data directory.
fn reserve_of(store: &MailStore) -> PathBuf {
    let root = store.root();
    root.parent().unwrap_or(root).join(RESERVE_FILE)
}

/// Allocates the reserve in full (a sparse file would keep no room), owner-only.
fn make(path: &Path) -> io::Result<()> {
    if path.exists() {
        return Ok(());
    }
    let parent = path.parent().unwrap_or(Path::new("."));
    if free_bytes(parent)? < 2 * RESERVE_BYTES {
        return Ok(());
    }
    let partial = path.with_extension("part");
    // What a crash left, or anything put in its place, is removed (never followed) and the
    // file made anew.
    match std::fs::remove_file(&partial) {
        Err(error) if error.kind() != io::ErrorKind::NotFound => return Err(error),
        _ => {}
    }
    let made = allocate(&partial).and_then(|()| std::fs::rename(&partial, path));
    if made.is_err() {
        let _ = std::fs::remove_file(&partial);
    }
    made
}

/// Allocates [`RESERVE_BYTES`] to a new file, writing zeros where the file system cannot
/// allocate without writing. The file must not exist: the mail user owns the data directory
/// and could have put a symlink there, which a root process must not follow.
fn allocate(path: &Path) -> io::Result<()> {
    let mut file = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .custom_flags(libc::O_NOFOLLOW)
        .mode(0o600)
        .open(path)?;
    // SAFETY: the descriptor is open for writing for the whole call.
    let result =
        unsafe { libc::posix_fallocate(file.as_raw_fd(), 0, RESERVE_BYTES as libc::off_t) };
    if result == 0 {
        return Ok(());
    }
    if result != libc::EOPNOTSUPP && result != libc::EINVAL {
        return Err(io::Error::from_raw_os_error(result));
    }
    let block = vec![0u8; 1 << 20];
    for _ in 0..RESERVE_BYTES / block.len() as u64 {
        file.write_all(&block)?;
    }
    file.sync_all()
}

/// The bytes an unprivileged writer may still use on the file system holding `path`.
fn free_bytes(path: &Path) -> io::Result<u64> {
    let c_path = CString::new(path.as_os_str().as_bytes())
        .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, "a NUL in the path"))?;
    let mut stat: libc::statvfs = unsafe { std::mem::zeroed() };
    // SAFETY: `c_path` is a valid C string and `stat` a writable statvfs.
    if unsafe { libc::statvfs(c_path.as_ptr(), &mut stat) } != 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(stat.f_bavail.saturating_mul(stat.f_frsize))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_symlink_where_the_reserve_is_made_is_removed_not_followed() {
        let dir = tempfile::TempDir::new().unwrap();
        let victim = dir.path().join("victim");
        std::fs::write(&victim, "precious").unwrap();
        let data = dir.path().join("data");
        std::fs::create_dir(&data).unwrap();
        std::os::unix::fs::symlink(&victim, data.join("reserved-space.part")).unwrap();

        keep(&data);

        let target = std::fs::read(&victim).unwrap();
        assert!(target == b"precious", "the link's target was written");
        let reserve = std::fs::symlink_metadata(data.join(RESERVE_FILE)).unwrap();
        assert!(reserve.is_file());
        assert_eq!(reserve.len(), RESERVE_BYTES);
    }
}
