//! The files that `dovecot-config --write` and `postfix-config --write` put in place: each with
//! the owner and mode of the process that reads it and no more, so that a file holding the
//! database's password is never readable by others. `check` holds the files against the same
//! description.

use std::io::{ErrorKind, Write};
use std::os::unix::fs::{MetadataExt, OpenOptionsExt, PermissionsExt};
use std::path::{Path, PathBuf};

use app::ssr::mailstore::{is_root, MailUser};

/// Postfix's system user: its lookups read the tables with its group.
pub const POSTFIX_USER: &str = "postfix";

/// One configuration file: where it goes, what it holds, and who may read it.
#[derive(Debug, Clone)]
pub struct ConfigFile {
    pub path: PathBuf,
    pub text: String,
    pub uid: u32,
    pub gid: u32,
    /// The owner and group by name, as the operator reads them.
    pub owner: String,
    pub mode: u32,
    /// Which process reads it, as the operator knows it: why it has this owner and mode.
    pub reader: String,
    /// The command that writes it, for the operator to run when it is wrong.
    pub write: &'static str,
}

impl ConfigFile {
    /// Owned by root, for a reader running as root.
    pub fn root(path: PathBuf, text: String, mode: u32) -> ConfigFile {
        ConfigFile {
            path,
            text,
            uid: 0,
            gid: 0,
            owner: "root:root".to_owned(),
            mode,
            reader: String::new(),
            write: "",
        }
    }

    /// The same file, read by `reader`, written by `write`.
    pub fn read_by(self, reader: impl Into<String>, write: &'static str) -> ConfigFile {
        ConfigFile {
            reader: reader.into(),
            write,
            ..self
        }
    }

    /// The same file, owned by `uid` and group `gid`, named `owner` (`user:group`).
    pub fn owned(self, uid: u32, gid: u32, owner: String) -> ConfigFile {
        ConfigFile {
            uid,
            gid,
            owner,
            ..self
        }
    }

    /// What is wrong with the file on disk, if anything: `None` when it is there with this
    /// text, owner and mode.
    pub fn problem(&self) -> Option<String> {
        let shown = self.path.display();
        let meta = match std::fs::symlink_metadata(&self.path) {
            Ok(meta) => meta,
            Err(error) if error.kind() == ErrorKind::NotFound => {
                return Some(format!("{shown} is missing; write it with: {}", self.write))
            }
            Err(error) => {
                return Some(format!(
                    "{shown} cannot be read ({error}): run the check as root"
                ))
            }
        };
        match std::fs::read_to_string(&self.path) {
            Ok(found) if found == self.text => {}
            Ok(_) => {
                return Some(format!(
                    "{shown} differs from what vpostmaster writes; write it again with: {} \
                     --replace (the one there is kept beside it)",
                    self.write
                ))
            }
            Err(error) => {
                return Some(format!(
                    "{shown} cannot be read ({error}): run the check as root"
                ))
            }
        }
        let found = (meta.uid(), meta.gid(), meta.mode() & 0o7777);
        if meta.file_type().is_symlink() || found != (self.uid, self.gid, self.mode) {
            return Some(format!(
                "{shown} has owner {}:{} and mode {:04o}; {} reads it, so it must be {} ({}:{}) \
                 with mode {:04o}, readable by no one else: {} sets them",
                found.0,
                found.1,
                found.2,
                self.reader,
                self.owner,
                self.uid,
                self.gid,
                self.mode,
                self.write
            ));
        }
        None
    }

    /// The file's owner and mode, for the line that says it is right.
    pub fn access(&self) -> String {
        format!("owner {}, mode {:04o}", self.owner, self.mode)
    }
}

/// Postfix's user, whose group reads the lookup tables.
pub fn postfix_user() -> Result<MailUser, String> {
    MailUser::lookup(POSTFIX_USER)
        .map_err(|error| error.to_string())?
        .ok_or_else(no_postfix_user)
}

/// What to do when the system has no Postfix user.
pub fn no_postfix_user() -> String {
    format!("there is no user {POSTFIX_USER}: install Postfix (README.md, \"Mail server\")")
}

/// Writes `files`, all or none: a file that is there with other text is refused unless
/// `replace`, and then kept beside it as `NAME.before-vpostmaster-TIME`. A file already right
/// only gets its owner and mode set. Each file is written whole under a temporary name and
/// renamed into place, so a reader never sees half of one. Returns one line per file.
pub fn write(files: &[ConfigFile], replace: bool) -> Result<Vec<String>, String> {
    if !is_root() {
        return Err(
            "writing Dovecot's and Postfix's files needs root: each gets the owner of the \
             process that reads it"
                .to_owned(),
        );
    }
    let mut differing = Vec::new();
    for file in files {
        match std::fs::read(&file.path) {
            Ok(found) if found != file.text.as_bytes() => differing.push(file.path.display()),
            Ok(_) => {}
            Err(error) if error.kind() == ErrorKind::NotFound => {}
            Err(error) => return Err(format!("{}: {error}", file.path.display())),
        }
    }
    if !differing.is_empty() && !replace {
        return Err(format!(
            "{} already there with other text: give --replace to write it anyway, keeping it \
             beside as NAME.before-vpostmaster-TIME; nothing was written",
            differing
                .iter()
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    let stamp = utc_stamp();
    files
        .iter()
        .map(|file| {
            write_one(file, &stamp).map_err(|error| format!("{}: {error}", file.path.display()))
        })
        .collect()
}

fn write_one(file: &ConfigFile, stamp: &str) -> std::io::Result<String> {
    let shown = file.path.display();
    let access = file.access();
    match std::fs::read(&file.path) {
        Ok(found) if found == file.text.as_bytes() => {
            // Not following a link: the file itself gets the owner and mode.
            let handle = std::fs::OpenOptions::new()
                .read(true)
                .custom_flags(libc::O_NOFOLLOW)
                .open(&file.path)?;
            std::os::unix::fs::fchown(&handle, Some(file.uid), Some(file.gid))?;
            handle.set_permissions(std::fs::Permissions::from_mode(file.mode))?;
            return Ok(format!("{shown} was already right; now {access}"));
        }
        Ok(_) => {}
        Err(error) if error.kind() == ErrorKind::NotFound => {}
        Err(error) => return Err(error),
    }
    let temporary = sibling(&file.path, &format!("vpostmaster-{}", std::process::id()));
    let _ = std::fs::remove_file(&temporary);
    let mut handle = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&temporary)?;
    let written = (|| {
        handle.write_all(file.text.as_bytes())?;
        std::os::unix::fs::fchown(&handle, Some(file.uid), Some(file.gid))?;
        handle.set_permissions(std::fs::Permissions::from_mode(file.mode))?;
        handle.sync_all()
    })();
    if let Err(error) = written {
        let _ = std::fs::remove_file(&temporary);
        return Err(error);
    }
    let kept = if file.path.exists() {
        let aside = sibling(&file.path, &format!("before-vpostmaster-{stamp}"));
        std::fs::hard_link(&file.path, &aside)?;
        format!(" (the one before kept as {})", aside.display())
    } else {
        String::new()
    };
    std::fs::rename(&temporary, &file.path)?;
    Ok(format!("wrote {shown}, {access}{kept}"))
}

/// `path` with `.suffix` added to its name.
fn sibling(path: &Path, suffix: &str) -> PathBuf {
    let mut name = path.file_name().unwrap_or_default().to_owned();
    name.push(format!(".{suffix}"));
    path.with_file_name(name)
}

/// The time now in UTC, as `20261207T153000Z`.
fn utc_stamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |since| since.as_secs()) as libc::time_t;
    // SAFETY: gmtime_r writes into the zeroed struct it is given and keeps no pointer.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    unsafe { libc::gmtime_r(&now, &mut tm) };
    format!(
        "{:04}{:02}{:02}T{:02}{:02}{:02}Z",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}
