//! A private Dovecot for the tests, configured by the same templates an operator uses, and
//! tiny POP3 and IMAP clients to check mail with it.
//!
//! It runs as root, as CI runs the tests: Dovecot's master must start as root, and so must
//! whatever hands files to the mail user. The Dovecot is stopped when its value is dropped,
//! a failing test's panic included.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::{Duration, Instant};

use app::ssr::storage::mailstore::{is_root, Doveadm, MailUser};
use server::dovecot::{DovecotConfig, Instance, Submission, DEFAULT_SENDMAIL};
use tempfile::TempDir;

/// The mail user's name, as in production.
pub const MAIL_USER: &str = "vmail";
/// How long Dovecot may take to start or stop.
/// How long a client waits for an answer.
const READ_TIMEOUT: Duration = Duration::from_secs(20);

/// The `vmail` system user, created when missing. Panics with what to do when the tests
/// cannot run: they need root and Debian's Dovecot packages.
pub fn mail_user() -> MailUser {
    static USER: OnceLock<MailUser> = OnceLock::new();
    USER.get_or_init(|| {
        assert!(
            is_root(),
            "the Dovecot tests run as root (Dovecot's master and the hand-over of files to \
             the mail user need it), as CI does"
        );
        assert!(
            Path::new("/usr/sbin/dovecot").is_file() && Path::new("/usr/bin/doveadm").is_file(),
            "the Dovecot tests need dovecot-core, dovecot-pop3d, dovecot-imapd, \
             dovecot-sqlite, dovecot-lmtpd and dovecot-sieve (make test installs them)"
        );
        // As the README makes it: its group is Postfix's, which reads the database with it.
        if MailUser::resolve(MAIL_USER, None, None).is_err() {
            let status = Command::new("useradd")
                .args(["--system", "--gid", "postfix", "--no-create-home"])
                .args(["--shell", "/usr/sbin/nologin", MAIL_USER])
                .status()
                .expect("useradd runs");
            // 9: created meanwhile by another test binary.
            assert!(
                status.success() || status.code() == Some(9),
                "useradd {MAIL_USER}: {status}"
            );
        }
        let user = MailUser::resolve(MAIL_USER, None, None).expect("the mail user exists");
        let postfix = MailUser::resolve("postfix", None, None).expect("Postfix is installed");
        if user.gid != postfix.gid {
            let status = Command::new("usermod")
                .args(["--gid", "postfix", MAIL_USER])
                .status()
                .expect("usermod runs");
            assert!(status.success(), "usermod {MAIL_USER}: {status}");
            return MailUser::resolve(MAIL_USER, None, None).expect("the mail user exists");
        }
        user
    })
    .clone()
}

/// A Dovecot serving POP3 and IMAP on loopback ports of its own for one data directory.
pub struct Dovecot {
    child: Option<Child>,
    pub pop3: SocketAddr,
    pub imap: SocketAddr,
    /// Its `dovecot.conf`, for `doveadm -c`.
    pub config: PathBuf,
    pub log: PathBuf,
    /// The queue directory of the Postfix it serves: its LMTP and quota-status sockets are in
    /// `private/`.
    pub postfix_queue: PathBuf,
    /// Where auto-replies go, when not to the system's sendmail: set before [`Dovecot::start`].
    pub submission_host: Option<SocketAddr>,
    /// The console's database URL it was started with (`None`: the SQLite file), which the
    /// Postfix delivering to it reads too.
    pub database_url: Option<String>,
    /// Where the passwords of the PostgreSQL roles it and Postfix log on as are kept.
    pub mail_roles_dir: PathBuf,
    dir: TempDir,
}

impl Dovecot {
    /// A Dovecot to be started: its directory, ports and configuration path are chosen, so
    /// that the console can be told about `doveadm` first.
    pub fn prepare() -> Dovecot {
        let dir = TempDir::new().unwrap();
        // Dovecot's unprivileged processes find their sockets under it.
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let (pop3, imap) = free_ports();
        Dovecot {
            child: None,
            pop3,
            imap,
            config: dir.path().join("dovecot.conf"),
            log: dir.path().join("dovecot.log"),
            postfix_queue: dir.path().join("postfix-queue"),
            submission_host: None,
            database_url: None,
            mail_roles_dir: dir.path().join("roles"),
            dir,
        }
    }

    /// `doveadm` with this Dovecot's configuration, for Rebuild mailbox's resync.
    pub fn doveadm(&self) -> Doveadm {
        Doveadm {
            program: PathBuf::from("/usr/bin/doveadm"),
            config: self.config.clone(),
        }
    }

    /// Writes the configuration for `data_dir` and the console's database (`database_url`, or
    /// the SQLite file when `None`) and starts Dovecot, returning once both ports greet.
    /// `data_dir`'s parent is opened for the mail user to pass through.
    pub fn start(&mut self, data_dir: &Path, database_url: Option<&str>, user: &MailUser) {
        self.database_url = database_url.map(str::to_owned);
        if let Some(parent) = data_dir.parent() {
            std::fs::set_permissions(parent, std::fs::Permissions::from_mode(0o711)).unwrap();
        }
        let dir = self.dir.path();
        let config = DovecotConfig {
            data_dir: data_dir.canonicalize().unwrap(),
            database_url: self.database_url.clone(),
            mail_user: user.clone(),
            sql_conf: dir.join("vpostmaster-sql.conf.ext"),
            listen: "127.0.0.1".into(),
            pop3_port: self.pop3.port(),
            imap_port: self.imap.port(),
            tls: None,
            instance: Some(Instance {
                name: format!(
                    "vpm-test-{}",
                    dir.file_name()
                        .unwrap()
                        .to_string_lossy()
                        .trim_start_matches('.')
                ),
                base_dir: dir.join("run"),
                state_dir: dir.join("state"),
                log_path: self.log.clone(),
            }),
            postfix_queue: self.postfix_queue.clone(),
            submission: match self.submission_host {
                Some(host) => Submission::Host(host.to_string()),
                None => Submission::Sendmail(DEFAULT_SENDMAIL.into()),
            },
            mail_roles_dir: self.mail_roles_dir.clone(),
        };
        super::database::make_mail_roles(self.database_url.as_deref(), &self.mail_roles_dir);
        make_postfix_private(&self.postfix_queue);
        // With the owners and modes the README's `dovecot-config --write` gives them.
        server::config_files::write(&config.files(&self.config).unwrap(), true).unwrap();
        std::fs::create_dir_all(dir.join("state")).unwrap();
        let output = std::fs::File::create(dir.join("stderr")).unwrap();
        let child = Command::new("/usr/sbin/dovecot")
            .arg("-F")
            .arg("-c")
            .arg(&self.config)
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .expect("dovecot starts");
        self.child = Some(child);
        let started = Instant::now();
        for address in [self.pop3, self.imap] {
            loop {
                if TcpStream::connect(address).is_ok() {
                    break;
                }
                let exited = self
                    .child
                    .as_mut()
                    .and_then(|c| c.try_wait().ok().flatten());
                assert!(
                    exited.is_none() && started.elapsed() < PATIENCE,
                    "Dovecot did not start ({exited:?}): {}\n{}",
                    self.read_log(),
                    std::fs::read_to_string(dir.join("stderr")).unwrap_or_default()
                );
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }

    /// Dovecot's log so far.
    pub fn read_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Logs on over POP3.
    pub fn pop3(&self, user: &str, password: &str) -> Result<Pop3, String> {
        Pop3::log_on(self.pop3, user, password)
    }

    /// Logs on over IMAP.
    pub fn imap(&self, user: &str, password: &str) -> Result<Imap, String> {
        Imap::log_on(self.imap, user, password)
    }
}

impl Drop for Dovecot {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            stop_master(child);
        }
    }
}

/// A Postfix queue directory's `private/`, as Postfix makes it (root's directory, Postfix's
/// `private/`), for Dovecot's sockets to go in before Postfix starts.
fn make_postfix_private(queue: &Path) {
    let private = queue.join("private");
    std::fs::create_dir_all(&private).unwrap();
    std::fs::set_permissions(queue, std::fs::Permissions::from_mode(0o755)).unwrap();
    std::fs::set_permissions(&private, std::fs::Permissions::from_mode(0o700)).unwrap();
    let postfix = MailUser::resolve("postfix", None, None)
        .expect("the Postfix user exists (make test installs postfix)");
    std::os::unix::fs::chown(&private, Some(postfix.uid), Some(postfix.gid)).unwrap();
}

/// Two loopback ports free right now.
fn free_ports() -> (SocketAddr, SocketAddr) {
    let first = TcpListener::bind("127.0.0.1:0").unwrap();
    let second = TcpListener::bind("127.0.0.1:0").unwrap();
    (first.local_addr().unwrap(), second.local_addr().unwrap())
}

fn connect(address: SocketAddr) -> (BufReader<TcpStream>, TcpStream) {
    let stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    (BufReader::new(stream.try_clone().unwrap()), stream)
}

fn read_line(reader: &mut BufReader<TcpStream>) -> String {
    let mut line = String::new();
    if let Err(error) = reader.read_line(&mut line) {
        return format!("connection lost: {error}");
    }
    line.trim_end_matches(['\r', '\n']).to_owned()
}

/// The account's messages over POP3 at `pop3` once there are `count` of them (or more),
/// waiting up to `patience`; a failure says what `log` gives.
pub fn wait_for_mail(
    pop3: SocketAddr,
    email: &str,
    password: &str,
    count: usize,
    patience: Duration,
    log: impl Fn() -> String,
) -> Vec<Vec<u8>> {
    let started = Instant::now();
    loop {
        let mut session = Pop3::log_on(pop3, email, password)
            .unwrap_or_else(|error| panic!("POP3 log-on of {email}: {error}\n{}", log()));
        let messages = session.all().unwrap();
        session.quit();
        if messages.len() >= count {
            return messages;
        }
        assert!(
            started.elapsed() < patience,
            "{email} has {} of {count} messages\n{}",
            messages.len(),
            log()
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// A POP3 session after log-on.
pub struct Pop3 {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Pop3 {
    /// USER and PASS; the server's `-ERR` line when it refuses.
    pub fn log_on(address: SocketAddr, user: &str, password: &str) -> Result<Pop3, String> {
        let (reader, writer) = connect(address);
        let mut pop3 = Pop3 { reader, writer };
        let greeting = read_line(&mut pop3.reader);
        assert!(greeting.starts_with("+OK"), "{greeting}");
        pop3.command(&format!("USER {user}"))?;
        pop3.command(&format!("PASS {password}"))?;
        Ok(pop3)
    }

    /// Sends one command and reads its status line: `Ok` with the text after `+OK`.
    pub fn command(&mut self, command: &str) -> Result<String, String> {
        // A server that gave up may have closed already: its last line still says why.
        let sent = write!(self.writer, "{command}\r\n");
        let line = read_line(&mut self.reader);
        match (sent, line.strip_prefix("+OK")) {
            (Ok(()), Some(rest)) => Ok(rest.trim().to_owned()),
            _ => Err(line),
        }
    }

    /// Messages and octets.
    pub fn stat(&mut self) -> Result<(u64, u64), String> {
        let status = self.command("STAT")?;
        let mut numbers = status.split_whitespace().map(|n| n.parse::<u64>().unwrap());
        Ok((numbers.next().unwrap(), numbers.next().unwrap()))
    }

    /// Message `n`, dot-unstuffed, lines ending in CRLF.
    pub fn retr(&mut self, n: u64) -> Result<Vec<u8>, String> {
        self.command(&format!("RETR {n}"))?;
        let mut message = Vec::new();
        loop {
            let mut line = Vec::new();
            self.reader.read_until(b'\n', &mut line).unwrap();
            assert!(!line.is_empty(), "the connection closed within a message");
            if line == b".\r\n" {
                return Ok(message);
            }
            let line = line.strip_prefix(b".").unwrap_or(&line);
            message.extend_from_slice(line);
        }
    }

    /// Every message, in order.
    pub fn all(&mut self) -> Result<Vec<Vec<u8>>, String> {
        let (count, _) = self.stat()?;
        (1..=count).map(|n| self.retr(n)).collect()
    }

    pub fn quit(mut self) {
        let _ = self.command("QUIT");
    }
}

/// An IMAP session after log-on.
pub struct Imap {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
    tag: u32,
}

impl Imap {
    /// LOGIN; the tagged `NO`/`BAD` line when the server refuses.
    pub fn log_on(address: SocketAddr, user: &str, password: &str) -> Result<Imap, String> {
        let (reader, writer) = connect(address);
        let mut imap = Imap {
            reader,
            writer,
            tag: 0,
        };
        let greeting = read_line(&mut imap.reader);
        assert!(greeting.starts_with("* OK"), "{greeting}");
        imap.command(&format!("LOGIN {} {}", quoted(user), quoted(password)))?;
        Ok(imap)
    }

    /// Sends a command and reads up to its tagged answer: the untagged data (literals
    /// included) when it is `OK`, the tagged line otherwise.
    pub fn command(&mut self, command: &str) -> Result<Vec<u8>, String> {
        self.tag += 1;
        let tag = format!("t{}", self.tag);
        write!(self.writer, "{tag} {command}\r\n").unwrap();
        let mut data = Vec::new();
        loop {
            let mut line = Vec::new();
            self.reader.read_until(b'\n', &mut line).unwrap();
            assert!(!line.is_empty(), "the connection closed during {command}");
            if let Some(rest) = line.strip_prefix(format!("{tag} ").as_bytes()) {
                let rest = String::from_utf8_lossy(rest).trim_end().to_owned();
                return if rest.starts_with("OK") {
                    Ok(data)
                } else {
                    Err(rest)
                };
            }
            data.extend_from_slice(&line);
            if let Some(size) = literal_size(&line) {
                let mut literal = vec![0; size];
                self.reader.read_exact(&mut literal).unwrap();
                data.extend_from_slice(&literal);
            }
        }
    }

    /// Selects INBOX and returns how many messages it has.
    pub fn select_inbox(&mut self) -> Result<u64, String> {
        let data = String::from_utf8_lossy(&self.command("SELECT INBOX")?).into_owned();
        Ok(data
            .lines()
            .find_map(|line| {
                line.strip_prefix("* ")?
                    .strip_suffix(" EXISTS")?
                    .parse()
                    .ok()
            })
            .unwrap_or(0))
    }

    /// The whole of message `n` of the selected mailbox.
    pub fn fetch(&mut self, n: u64) -> Result<Vec<u8>, String> {
        let data = self.command(&format!("FETCH {n} BODY.PEEK[]"))?;
        let start = data
            .windows(3)
            .position(|w| w == b"}\r\n")
            .ok_or_else(|| String::from_utf8_lossy(&data).into_owned())?;
        let header = String::from_utf8_lossy(&data[..start]);
        let size: usize = header
            .rsplit('{')
            .next()
            .and_then(|n| n.parse().ok())
            .ok_or_else(|| header.to_string())?;
        Ok(data[start + 3..start + 3 + size].to_vec())
    }

    pub fn logout(mut self) {
        let _ = self.command("LOGOUT");
    }
}

/// An IMAP quoted string.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// The size of the literal that ends this line (`{42}\r\n`), if any.
fn literal_size(line: &[u8]) -> Option<usize> {
    let line = line.strip_suffix(b"\r\n")?.strip_suffix(b"}")?;
    let open = line.iter().rposition(|&b| b == b'{')?;
    std::str::from_utf8(&line[open + 1..]).ok()?.parse().ok()
}

/// How long a private mail server may take to start or to stop.
pub const PATIENCE: std::time::Duration = std::time::Duration::from_secs(30);

/// Stops a private Dovecot or Postfix master: SIGTERM, which makes it stop its children;
/// SIGKILL if it lingers past [`PATIENCE`].
pub fn stop_master(mut child: std::process::Child) {
    if let Ok(pid) = i32::try_from(child.id()) {
        // SAFETY: kill has no memory preconditions; the pid is our own child's.
        unsafe {
            libc::kill(pid, libc::SIGTERM);
        }
    }
    let asked = std::time::Instant::now();
    while asked.elapsed() < PATIENCE {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(std::time::Duration::from_millis(10));
    }
    let _ = child.kill();
    let _ = child.wait();
}
