//! A private Postfix for the tests: its own configuration, queue and data directories, SMTP on
//! a loopback port of its own, the settings and lookup tables an operator uses, delivering to a
//! private Dovecot's LMTP. Its master runs in the foreground as our child and is stopped when
//! the value is dropped, a failing test's panic included. And a tiny SMTP client.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::ssr::mailstore::MailUser;
use server::postfix::PostfixConfig;
use tempfile::TempDir;

use super::dovecot::Dovecot;

const MASTER: &str = "/usr/lib/postfix/sbin/master";
/// How long Postfix may take to start or stop.
/// How long the client waits for an answer.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// The services a receiving Postfix runs; SMTP listens on `{SMTP}` only.
const MASTER_CF: &str = "\
{SMTP} inet n - n - - smtpd
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000 0 flush
proxymap unix - - n - - proxymap
smtp unix - - n - - smtp
relay unix - - n - - smtp
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
";

/// Queue subdirectories that Postfix's unprivileged processes write to.
const QUEUE_DIRS: [&str; 10] = [
    "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "saved",
    "trace",
];

/// A Postfix answering SMTP for the console's domains, delivering to `dovecot`.
pub struct Postfix {
    child: Option<Child>,
    pub smtp: SocketAddr,
    log: std::path::PathBuf,
    _dir: TempDir,
}

impl Postfix {
    /// Configures a Postfix over the database `dovecot` reads (`data_dir`'s SQLite file, or its
    /// PostgreSQL URL) whose queue is the one `dovecot`'s sockets are in, starts it, and
    /// returns once SMTP greets.
    pub fn start(data_dir: &Path, dovecot: &Dovecot) -> Postfix {
        Postfix::start_relaying(data_dir, dovecot, None)
    }

    /// As [`Postfix::start`], sending mail for outside domains to `relay` when given.
    pub fn start_relaying(
        data_dir: &Path,
        dovecot: &Dovecot,
        relay: Option<SocketAddr>,
    ) -> Postfix {
        let dir = TempDir::new().unwrap();
        std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o755)).unwrap();
        let smtp = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap();
        let etc = dir.path().join("etc");
        let data = dir.path().join("data");
        let log = dir.path().join("postfix.log");
        let queue = &dovecot.postfix_queue;
        let postfix = MailUser::resolve("postfix", None, None).unwrap();
        let postdrop = group_id("postdrop");
        std::fs::create_dir_all(&etc).unwrap();
        for (path, gid, mode) in QUEUE_DIRS
            .iter()
            .map(|name| (queue.join(name), postfix.gid, 0o700))
            .chain([
                (data.clone(), postfix.gid, 0o700),
                (queue.join("public"), postdrop, 0o710),
                (queue.join("maildrop"), postdrop, 0o1730),
            ])
        {
            std::fs::create_dir_all(&path).unwrap();
            std::os::unix::fs::chown(&path, Some(postfix.uid), Some(gid)).unwrap();
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        }
        std::fs::create_dir_all(queue.join("pid")).unwrap();

        let config = PostfixConfig {
            data_dir: data_dir.canonicalize().unwrap(),
            database_url: dovecot.database_url.clone(),
            tables_dir: etc.clone(),
        };
        let main = format!(
            "{}\ncompatibility_level = 3.6\nqueue_directory = {}\ndata_directory = {}\n\
             maillog_file = {}\nmaillog_file_prefixes = {}\ninet_interfaces = 127.0.0.1\ninet_protocols = ipv4\n\
             myhostname = mx.vpm.test\nmydestination =\nalias_maps =\nalias_database =\n\
             biff = no\nrelayhost = {}\n",
            config.main().unwrap(),
            queue.display(),
            data.display(),
            log.display(),
            dir.path().display(),
            relay.map_or(String::new(), |relay| format!("[{}]:{}", relay.ip(), relay.port())),
        );
        std::fs::write(etc.join("main.cf"), main).unwrap();
        std::fs::write(
            etc.join("master.cf"),
            MASTER_CF.replace("{SMTP}", &smtp.to_string()),
        )
        .unwrap();
        // With the owner and mode the README's `postfix-config --write` gives them.
        server::config_files::write(&config.files(&postfix).unwrap(), false).unwrap();

        let output = std::fs::File::create(dir.path().join("stderr")).unwrap();
        let child = Command::new(MASTER)
            .arg("-d")
            .arg("-c")
            .arg(&etc)
            .stdin(Stdio::null())
            .stdout(output.try_clone().unwrap())
            .stderr(output)
            .spawn()
            .expect("Postfix's master starts");
        let mut postfix = Postfix {
            child: Some(child),
            smtp,
            log,
            _dir: dir,
        };
        let started = Instant::now();
        while TcpStream::connect(smtp).is_err() {
            let exited = postfix
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten());
            assert!(
                exited.is_none() && started.elapsed() < super::dovecot::PATIENCE,
                "Postfix did not start ({exited:?}): {}\n{}",
                postfix.read_log(),
                std::fs::read_to_string(postfix._dir.path().join("stderr")).unwrap_or_default()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
        postfix
    }

    /// Postfix's log so far.
    pub fn read_log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// An SMTP session, after the greeting and EHLO.
    pub fn smtp(&self) -> Smtp {
        Smtp::connect(self.smtp).unwrap_or_else(|error| panic!("{error}\n{}", self.read_log()))
    }
}

impl Drop for Postfix {
    fn drop(&mut self) {
        if let Some(child) = self.child.take() {
            super::dovecot::stop_master(child);
        }
    }
}

fn group_id(name: &str) -> u32 {
    let output = Command::new("getent")
        .args(["group", name])
        .output()
        .unwrap();
    let line = String::from_utf8(output.stdout).unwrap();
    line.split(':')
        .nth(2)
        .and_then(|gid| gid.trim().parse().ok())
        .unwrap_or_else(|| panic!("the group {name} exists (make test installs postfix)"))
}

/// The envelope sender of the tests' mail unless they give one.
const SENDER: &str = "sender@elsewhere.test";

/// An SMTP session.
pub struct Smtp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Smtp {
    pub fn connect(address: SocketAddr) -> Result<Smtp, String> {
        let stream = TcpStream::connect(address).unwrap();
        stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
        let mut smtp = Smtp {
            reader: BufReader::new(stream.try_clone().unwrap()),
            writer: stream,
        };
        let greeting = smtp.reply();
        if !greeting.starts_with("220") {
            return Err(greeting);
        }
        let ehlo = smtp.command("EHLO client.test");
        if !ehlo.starts_with("250") {
            return Err(ehlo);
        }
        Ok(smtp)
    }

    /// The last line of the server's reply: its code, enhanced status and text.
    fn reply(&mut self) -> String {
        loop {
            let mut line = String::new();
            if let Err(error) = self.reader.read_line(&mut line) {
                return format!("connection lost: {error}");
            }
            if line.is_empty() {
                return "connection closed".to_owned();
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                return line.trim_end().to_owned();
            }
        }
    }

    /// Sends one command line and returns the reply's last line.
    pub fn command(&mut self, command: &str) -> String {
        write!(self.writer, "{command}\r\n").unwrap();
        self.reply()
    }

    /// A new envelope to `to`, declaring `size` bytes: the answer to RCPT TO.
    pub fn envelope(&mut self, to: &str, size: usize) -> String {
        self.envelope_from(SENDER, to, size)
    }

    /// A new envelope from `from` to `to`: the answer to RCPT TO.
    pub fn envelope_from(&mut self, from: &str, to: &str, size: usize) -> String {
        let reset = self.command("RSET");
        assert!(reset.starts_with("250"), "{reset}");
        let mail = self.command(&format!("MAIL FROM:<{from}> SIZE={size}"));
        assert!(mail.starts_with("250"), "{mail}");
        self.command(&format!("RCPT TO:<{to}>"))
    }

    /// Sends `message` (CRLF lines) to `to`; `Err` with the refusal.
    pub fn send(&mut self, to: &str, message: &[u8]) -> Result<(), String> {
        self.send_from(SENDER, to, message)
    }

    /// Sends `message` (CRLF lines) from `from` to `to`; `Err` with the refusal.
    pub fn send_from(&mut self, from: &str, to: &str, message: &[u8]) -> Result<(), String> {
        let rcpt = self.envelope_from(from, to, message.len());
        if !rcpt.starts_with("250") {
            return Err(rcpt);
        }
        let data = self.command("DATA");
        assert!(data.starts_with("354"), "{data}");
        for line in message.split_inclusive(|&b| b == b'\n') {
            if line.starts_with(b".") {
                self.writer.write_all(b".").unwrap();
            }
            self.writer.write_all(line).unwrap();
        }
        let done = self.command(".");
        if done.starts_with("250") {
            Ok(())
        } else {
            Err(done)
        }
    }
}
