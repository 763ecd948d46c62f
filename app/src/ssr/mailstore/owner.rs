//! The mail user: who owns the Maildirs, and whom Dovecot reads and writes mail as.

use std::ffi::{CStr, CString};
use std::io;

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
