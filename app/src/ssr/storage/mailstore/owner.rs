//! The mail user: who owns the Maildirs, and whom Dovecot reads and writes mail as.

use std::ffi::{CStr, CString};
use std::io;
use std::path::Path;

use super::StoreError;

/// The mail user's name and ids.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MailUser {
    pub name: String,
    pub uid: u32,
    pub gid: u32,
}

/// Whether this process runs as root, and so must hand what it creates to the mail user
/// (Dovecot refuses to access mail as uid 0).
pub fn is_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

/// This process's effective uid.
pub fn current_uid() -> u32 {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() }
}

impl MailUser {
    /// This process's own user: the mail user of a server that runs as the mail user.
    pub fn current() -> MailUser {
        // SAFETY: geteuid and getegid have no preconditions and cannot fail.
        let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
        MailUser {
            name: by_uid(uid)
                .ok()
                .flatten()
                .map_or_else(|| uid.to_string(), |user| user.name),
            uid,
            gid,
        }
    }

    /// Run as root, acts on files as this user until the value returned is dropped: effective
    /// user and group become this user's, with no other group. The mail user owns every name
    /// in the data directory and could swap one for a symlink; acting as the mail user, a
    /// command that follows it reaches only what the mail user could reach anyway. `None`
    /// when nothing changes: not root, or root is the mail user.
    pub fn act_as(&self) -> io::Result<Option<ActingAs>> {
        if !is_root() || self.uid == 0 {
            return Ok(None);
        }
        // SAFETY: getegid has no preconditions; getgroups is asked for the count first, then
        // given a buffer of that length.
        let (egid, groups) = unsafe {
            let egid = libc::getegid();
            let count = libc::getgroups(0, std::ptr::null_mut());
            let mut groups =
                vec![0; usize::try_from(count).map_err(|_| io::Error::last_os_error())?];
            let count = libc::getgroups(count, groups.as_mut_ptr());
            groups.truncate(usize::try_from(count).map_err(|_| io::Error::last_os_error())?);
            (egid, groups)
        };
        let acting = ActingAs { egid, groups };
        // Groups first: once the effective user is not root, they can no longer change. glibc
        // applies each call to every thread of the process. Should one fail, dropping
        // `acting` gives back what was changed.
        // SAFETY: plain system calls with valid arguments; the one-element list outlives its call.
        let changed = unsafe {
            libc::setgroups(1, &self.gid) == 0
                && libc::setegid(self.gid) == 0
                && libc::seteuid(self.uid) == 0
        };
        if changed {
            Ok(Some(acting))
        } else {
            Err(io::Error::last_os_error())
        }
    }

    /// Gives the data directory, the database and its `-wal`/`-shm` files to this user, never
    /// through a symlink: Dovecot's SQLite reader runs as the mail user and must be able to
    /// open them for writing (a WAL reader writes the `-shm` index). Files SQLite creates later
    /// as root follow the database file's owner by themselves. Only root can.
    pub fn hand_over_database(&self, data_dir: &Path, db_file: &str) -> Result<(), StoreError> {
        let mut paths = vec![data_dir.to_path_buf()];
        for suffix in crate::ssr::storage::db::DB_FILE_SUFFIXES {
            let path = data_dir.join(format!("{db_file}{suffix}"));
            if path.symlink_metadata().is_ok() {
                paths.push(path);
            }
        }
        for path in paths {
            std::os::unix::fs::lchown(&path, Some(self.uid), Some(self.gid))
                .map_err(StoreError::io("hand over", &path))?;
        }
        Ok(())
    }

    /// The user called `name` in the user database, if there is one.
    pub fn lookup(name: &str) -> io::Result<Option<MailUser>> {
        by_name(name)
    }

    /// The mail user from the settings: the user called `name`, with `uid`/`gid` overriding its
    /// ids when given. Without such a user, explicit ids are used as they are; and a process
    /// that is not root, which cannot give files away anyway, is its own mail user.
    pub fn resolve(name: &str, uid: Option<u32>, gid: Option<u32>) -> Result<MailUser, String> {
        let lookup_failed =
            |error: io::Error| format!("cannot look up the mail user {name}: {error}");
        if let Some(user) = by_name(name).map_err(lookup_failed)? {
            return Ok(MailUser {
                uid: uid.unwrap_or(user.uid),
                gid: gid.unwrap_or(user.gid),
                name: user.name,
            });
        }
        match (uid, gid) {
            (Some(uid), Some(gid)) => Ok(MailUser {
                name: by_uid(uid)
                    .ok()
                    .flatten()
                    .map_or_else(|| name.to_owned(), |user| user.name),
                uid,
                gid,
            }),
            _ if !is_root() => Ok(MailUser::current()),
            _ => Err(format!(
                "the mail user {name} does not exist: create it (useradd --system {name}) or \
                 give --mail-uid and --mail-gid"
            )),
        }
    }
}

/// Acting as the mail user (see [`MailUser::act_as`]); dropping it gives root back.
#[must_use = "the process acts as the mail user only while this is held"]
pub struct ActingAs {
    egid: libc::gid_t,
    groups: Vec<libc::gid_t>,
}

impl Drop for ActingAs {
    fn drop(&mut self) {
        // SAFETY: plain system calls; the saved user id is still root, so seteuid(0) is allowed,
        // and `groups` outlives the call.
        let back = unsafe {
            libc::seteuid(0) == 0
                && libc::setegid(self.egid) == 0
                && libc::setgroups(self.groups.len(), self.groups.as_ptr()) == 0
        };
        if !back {
            // Failing here leaves the process with less power, never more.
            tracing::error!(error = %io::Error::last_os_error(), "cannot act as root again");
        }
    }
}

enum Key {
    Name(CString),
    Uid(u32),
}

fn by_name(name: &str) -> io::Result<Option<MailUser>> {
    let name = CString::new(name).map_err(|_| io::Error::from(io::ErrorKind::InvalidInput))?;
    passwd(Key::Name(name))
}

fn by_uid(uid: u32) -> io::Result<Option<MailUser>> {
    passwd(Key::Uid(uid))
}

/// One entry of the user database (files, LDAP, ... as the system's NSS says).
fn passwd(key: Key) -> io::Result<Option<MailUser>> {
    let mut buffer: Vec<libc::c_char> = vec![0; 1024];
    loop {
        // SAFETY: an all-zero `passwd` is a valid value of this plain C struct.
        let mut entry: libc::passwd = unsafe { std::mem::zeroed() };
        let mut found: *mut libc::passwd = std::ptr::null_mut();
        // SAFETY: every pointer is valid for the call and the buffer's true length is passed;
        // the entry's strings point into `buffer`, which outlives their use below.
        let status = unsafe {
            match &key {
                Key::Name(name) => libc::getpwnam_r(
                    name.as_ptr(),
                    &mut entry,
                    buffer.as_mut_ptr(),
                    buffer.len(),
                    &mut found,
                ),
                Key::Uid(uid) => libc::getpwuid_r(
                    *uid,
                    &mut entry,
                    buffer.as_mut_ptr(),
                    buffer.len(),
                    &mut found,
                ),
            }
        };
        if status == libc::ERANGE && buffer.len() < 1 << 20 {
            buffer.resize(buffer.len() * 2, 0);
            continue;
        }
        if status != 0 {
            return Err(io::Error::from_raw_os_error(status));
        }
        if found.is_null() {
            return Ok(None);
        }
        // SAFETY: on success `pw_name` is a NUL-terminated string inside `buffer`.
        let name = unsafe { CStr::from_ptr(entry.pw_name) }
            .to_string_lossy()
            .into_owned();
        return Ok(Some(MailUser {
            name,
            uid: entry.pw_uid,
            gid: entry.pw_gid,
        }));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn root_resolves_by_name_and_ids_override() {
        let root = MailUser::resolve("root", None, None).unwrap();
        assert_eq!((root.name.as_str(), root.uid, root.gid), ("root", 0, 0));
        let custom = MailUser::resolve("root", Some(4321), Some(8765)).unwrap();
        assert_eq!((custom.uid, custom.gid), (4321, 8765));
    }

    #[test]
    fn a_missing_user_needs_ids_when_root() {
        let missing = MailUser::resolve("no-such-user-vpm", Some(5000), Some(5001)).unwrap();
        assert_eq!((missing.uid, missing.gid), (5000, 5001));
        let implicit = MailUser::resolve("no-such-user-vpm", None, None);
        if is_root() {
            let error = implicit.unwrap_err();
            assert!(error.contains("does not exist"), "{error}");
        } else {
            assert!(implicit.is_ok());
        }
        assert!(MailUser::resolve("nul\0name", None, None).is_err());
    }
}
