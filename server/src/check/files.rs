//! The data directory and database: there, with the modes and owner that keep the password
//! hashes from other local users, and reachable by the mail user and Postfix.

use std::io::ErrorKind;
use std::os::unix::fs::MetadataExt;
use std::path::Path;

use app::ssr::db::{DATA_DIR_MODE, DB_FILE, DB_FILE_MODE, DB_FILE_SUFFIXES};
use app::ssr::mailstore::MailUser;

use super::Line;
use crate::config_files::{self, POSTFIX_USER};

/// How to make a missing data directory or database: any command does.
const MAKE_IT: &str =
    "start the console, or run `vpostmaster domain list`, as root or the mail user";

/// The data directory: 0710, the mail user's.
pub fn data_dir(dir: &Path, user: &MailUser) -> Line {
    let what = format!("data directory {}", dir.display());
    match owned(dir, DATA_DIR_MODE, user) {
        Ok(()) => Line::ok(format!(
            "{what}: mode {DATA_DIR_MODE:04o}, owner {}",
            user.name
        )),
        Err(problem) => Line::problem(format!("{what}: {problem}")),
    }
}

/// The database and its `-wal`/`-shm` files (when SQLite has them): 0640, the mail user's.
pub fn database_files(dir: &Path, user: &MailUser) -> Line {
    let db = dir.join(DB_FILE);
    let what = format!("database {}", db.display());
    let mut problems = Vec::new();
    for suffix in DB_FILE_SUFFIXES {
        let path = dir.join(format!("{DB_FILE}{suffix}"));
        match owned(&path, DB_FILE_MODE, user) {
            Ok(()) => {}
            Err(_) if !suffix.is_empty() && !path.exists() => {}
            Err(problem) if suffix.is_empty() => problems.push(problem),
            Err(problem) => problems.push(format!("{}{suffix}: {problem}", DB_FILE)),
        }
    }
    if problems.is_empty() {
        Line::ok(format!(
            "{what}: mode {DB_FILE_MODE:04o}, owner {}",
            user.name
        ))
    } else {
        Line::problem(format!("{what}: {}", problems.join("; ")))
    }
}

/// `path` exists with `mode` and belongs to `user`; else what is wrong and the command that
/// puts it right.
fn owned(path: &Path, mode: u32, user: &MailUser) -> Result<(), String> {
    let meta = match std::fs::metadata(path) {
        Ok(meta) => meta,
        Err(error) if error.kind() == ErrorKind::NotFound => {
            return Err(format!("missing: {MAKE_IT}"))
        }
        Err(error) => return Err(format!("cannot be read ({error}): run the check as root")),
    };
    let mut problems = Vec::new();
    let found = meta.mode() & 0o7777;
    if found != mode {
        problems.push(format!(
            "mode {found:04o}, should be {mode:04o}: chmod {mode:04o} {}",
            path.display()
        ));
    }
    if (meta.uid(), meta.gid()) != (user.uid, user.gid) {
        problems.push(format!(
            "owned by {}:{}, should be the mail user {} ({}:{}): chown {}:{} {}",
            meta.uid(),
            meta.gid(),
            user.name,
            user.uid,
            user.gid,
            user.uid,
            user.gid,
            path.display()
        ));
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems.join("; "))
    }
}

/// Every directory above the data directory lets `who` in. Dovecot's mail processes and
/// Postfix's lookups run with their user's own group and no other, so supplementary groups
/// are not counted.
pub fn passable(data_dir: &Path, who: &str, user: Option<&MailUser>) -> Line {
    let Some(user) = user else {
        return no_postfix(who);
    };
    let mut above: Vec<&Path> = data_dir.ancestors().skip(1).collect();
    above.reverse();
    let mut blocked = Vec::new();
    for dir in above {
        match std::fs::metadata(dir) {
            Ok(meta) if can_pass(meta.mode(), meta.uid(), meta.gid(), user) => {}
            Ok(_) => blocked.push(dir.display().to_string()),
            Err(error) if error.kind() == ErrorKind::NotFound => break,
            Err(error) => {
                return Line::problem(format!(
                    "cannot read {} ({error}): run the check as root",
                    dir.display()
                ))
            }
        }
    }
    if blocked.is_empty() {
        Line::ok(format!(
            "{who} ({}) can pass every directory above the data directory",
            user.name
        ))
    } else {
        Line::problem(format!(
            "{who} ({}) cannot pass {}: chmod o+x {}",
            user.name,
            blocked.join(", "),
            blocked.join(" ")
        ))
    }
}

/// The mail user's group is Postfix's: the data directory and database belong to that group,
/// and Postfix's lookups read the database through it.
pub fn postfix_group(mail_user: &MailUser, postfix: Option<&MailUser>) -> Line {
    let Some(postfix) = postfix else {
        return no_postfix("Postfix");
    };
    if mail_user.gid == postfix.gid {
        Line::ok(format!(
            "the mail user {}'s group is {POSTFIX_USER}'s ({}): Postfix may read the database",
            mail_user.name, postfix.gid
        ))
    } else {
        Line::problem(format!(
            "the mail user {}'s group is {}, not {POSTFIX_USER}'s ({}): Postfix cannot read the \
             database: usermod -g {POSTFIX_USER} {0}, then restart the console",
            mail_user.name, mail_user.gid, postfix.gid
        ))
    }
}

fn no_postfix(who: &str) -> Line {
    Line::problem(format!("{who}: {}", config_files::no_postfix_user()))
}

/// Whether a directory with these permissions lets `user` through (search permission).
fn can_pass(mode: u32, owner: u32, group: u32, user: &MailUser) -> bool {
    let bit = if user.uid == 0 {
        return true;
    } else if user.uid == owner {
        0o100
    } else if user.gid == group {
        0o010
    } else {
        0o001
    };
    mode & bit != 0
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn search_permission_follows_owner_then_group_then_others() {
        let user = MailUser {
            name: "vmail".into(),
            uid: 5000,
            gid: 105,
        };
        assert!(can_pass(0o700, 5000, 0, &user));
        assert!(
            !can_pass(0o070, 5000, 105, &user),
            "the owner bits count alone"
        );
        assert!(can_pass(0o710, 0, 105, &user));
        assert!(
            !can_pass(0o701, 0, 105, &user),
            "the group bits count alone"
        );
        assert!(can_pass(0o711, 0, 0, &user));
        assert!(!can_pass(0o770, 0, 0, &user));
        let root = MailUser {
            name: "root".into(),
            uid: 0,
            gid: 0,
        };
        assert!(can_pass(0o000, 5000, 5000, &root));
    }
}
