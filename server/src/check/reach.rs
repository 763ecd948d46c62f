//! Whether the servers that delivery goes through answer, each asked in its own protocol by
//! the user that asks it in a delivery: Postfix's SMTP port; as `postfix`, Dovecot's LMTP and
//! quota-status sockets; as the mail user, the dict service that saves usage and reads
//! auto-replies; and Dovecot's auth service, which finds the accounts. A server that is stopped
//! is a problem to report, not a reason to stop checking.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::time::Duration;

use app::ssr::mailstore::{is_root, MailUser};

use super::Line;

/// Long enough for a busy server to answer, short enough for an operator to wait.
const ANSWER_TIMEOUT: Duration = Duration::from_secs(5);

/// An address no console holds, to ask about without touching an account.
const NOBODY: &str = "vpostmaster-check@nonexistent.invalid";

/// Dovecot's LMTP greets `postfix` at `path`.
pub fn lmtp(path: &Path, postfix: Option<&MailUser>) -> Line {
    ask_socket(path, "Dovecot's LMTP", postfix, |stream| {
        let greeting = read_line(stream)?;
        if greeting.starts_with("220") {
            Ok(greeting)
        } else {
            Err(format!("it greets with {greeting:?}"))
        }
    })
}

/// Dovecot's quota-status answers `postfix`'s policy request for an unknown recipient with
/// a verdict that lets mail through: Postfix asks it before accepting any recipient.
pub fn quota_status(path: &Path, postfix: Option<&MailUser>) -> Line {
    ask_socket(path, "Dovecot's quota-status", postfix, |stream| {
        write!(
            stream.get_ref(),
            "request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient={NOBODY}\n\n"
        )
        .map_err(|error| error.to_string())?;
        let answer = read_line(stream)?;
        match answer.strip_prefix("action=") {
            Some(action) if !action.starts_with(['4', '5']) && !action.starts_with("DEFER") => {
                Ok(answer)
            }
            _ => Err(format!(
                "it answers {answer:?}: Postfix would refuse or defer every recipient"
            )),
        }
    })
}

/// Dovecot's dict service, asked by the mail user for an account's usage, reads the console's
/// database: the dict part must be readable by it, or every delivery is deferred.
pub fn dict(base_dir: &Path, mail_user: &MailUser) -> Line {
    let path = base_dir.join("dict");
    ask_socket(&path, "Dovecot's dict service", Some(mail_user), |stream| {
        // Dovecot 2.3's dict protocol: a hello naming the dict, a lookup naming the user; the
        // answer is "+id<TAB>" then O (found), N (not found) or F (failed).
        write!(
            stream.get_ref(),
            "H3\t2\t0\t{NOBODY}\tusage\nLpriv/quota/storage\t{NOBODY}\n"
        )
        .map_err(|error| error.to_string())?;
        loop {
            let line = read_line(stream)?;
            if line.starts_with('*') {
                continue;
            }
            let verdict = line.split('\t').nth(1).unwrap_or("");
            return if line.starts_with('+') && verdict.starts_with(['O', 'N']) {
                Ok("a usage lookup reads the database".to_owned())
            } else {
                Err(format!(
                    "a usage lookup fails ({}): Dovecot's log says why; often the dict part is \
                     not readable by the mail user",
                    verdict.trim_start_matches('F')
                ))
            };
        }
    })
}

/// Dovecot's auth service looks an address up in the console's database, as LMTP does for
/// each recipient.
pub fn auth_userdb(base_dir: &Path) -> Line {
    let path = base_dir.join("auth-userdb");
    ask_socket(&path, "Dovecot's auth service", None, |stream| {
        write!(
            stream.get_ref(),
            "VERSION\t1\t0\nUSER\t1\t{NOBODY}\tservice=lmtp\n"
        )
        .map_err(|error| error.to_string())?;
        loop {
            let line = read_line(stream)?;
            if line.starts_with("NOTFOUND\t1") || line.starts_with("USER\t1") {
                return Ok("an account lookup reads the database".to_owned());
            }
            if line.starts_with("FAIL\t1") {
                return Err(
                    "an account lookup fails: Dovecot's log says why; often the SQL part is \
                     missing or names another database"
                        .to_owned(),
                );
            }
        }
    })
}

/// A TCP port greets as an SMTP server.
pub fn smtp(addr: SocketAddr) -> Line {
    let what = "Postfix's SMTP";
    let answer = TcpStream::connect_timeout(&addr, ANSWER_TIMEOUT)
        .map_err(|error| error.to_string())
        .and_then(|stream| {
            stream
                .set_read_timeout(Some(ANSWER_TIMEOUT))
                .map_err(|error| error.to_string())?;
            read_line(&mut BufReader::new(stream))
        });
    match answer {
        Ok(greeting) if greeting.starts_with("220") => {
            Line::ok(format!("{what} answers at {addr}"))
        }
        Ok(greeting) => Line::problem(format!("{what} at {addr} greets with {greeting:?}")),
        Err(error) => Line::problem(format!(
            "{what} does not answer at {addr} ({error}): start Postfix, or give --smtp"
        )),
    }
}

/// Connects to the socket at `path` as `user` (root when `None`) and has `ask` talk to it.
fn ask_socket(
    path: &Path,
    what: &str,
    user: Option<&MailUser>,
    ask: impl FnOnce(&mut BufReader<UnixStream>) -> Result<String, String> + Send,
) -> Line {
    let shown = path.display();
    let asker = match user {
        Some(user) if is_root() => format!(" to {}", user.name),
        _ => String::new(),
    };
    let path: PathBuf = path.to_owned();
    let answer = as_user(user, move || {
        let stream = UnixStream::connect(&path).map_err(|error| {
            format!(
                "does not answer ({error}): start Dovecot with the configuration `vpostmaster \
                 dovecot-config --write` writes, or give the flags it was written with"
            )
        })?;
        stream
            .set_read_timeout(Some(ANSWER_TIMEOUT))
            .and_then(|()| stream.set_write_timeout(Some(ANSWER_TIMEOUT)))
            .map_err(|error| error.to_string())?;
        ask(&mut BufReader::new(stream))
    });
    match answer {
        Ok(_) => Line::ok(format!("{what} answers{asker} at {shown}")),
        Err(problem) => Line::problem(format!("{what} at {shown}{asker}: {problem}")),
    }
}

/// One line of an answer, without its end.
fn read_line(stream: &mut impl BufRead) -> Result<String, String> {
    let mut line = String::new();
    match stream.read_line(&mut line) {
        Ok(0) => Err("it closed the connection without answering".to_owned()),
        Ok(_) => Ok(line.trim_end().to_owned()),
        Err(error) => Err(format!("no answer ({error})")),
    }
}

/// Runs `work` on a thread of its own whose file-system identity is `user`'s (uid, primary
/// group, no other group), as Dovecot and Postfix run their processes: the socket's owner and
/// mode then decide as they would for that process. Without root, or without a user, `work`
/// runs as whoever runs the check.
fn as_user<T: Send>(
    user: Option<&MailUser>,
    work: impl FnOnce() -> Result<T, String> + Send,
) -> Result<T, String> {
    let identity = user.filter(|_| is_root()).map(|user| (user.uid, user.gid));
    std::thread::scope(|scope| {
        scope
            .spawn(move || {
                if let Some((uid, gid)) = identity {
                    // The raw calls change this thread only; glibc's setgroups would change
                    // every thread of the process. The thread ends with the work.
                    // SAFETY: plain system calls on this thread's credentials.
                    let dropped = unsafe {
                        libc::syscall(libc::SYS_setgroups, 0, std::ptr::null::<libc::gid_t>())
                    };
                    if dropped != 0 {
                        return Err("cannot take the user's identity".to_owned());
                    }
                    unsafe {
                        libc::setfsgid(gid);
                        libc::setfsuid(uid);
                    }
                }
                work()
            })
            .join()
            .unwrap_or_else(|_| Err("the check of this server failed".to_owned()))
    })
}
