//! A private Postfix for the tests: its own configuration, queue and data directories, SMTP on
//! a loopback port of its own, the settings and lookup tables an operator uses, delivering to a
//! private Dovecot's LMTP. Its master runs in the foreground as our child and is stopped when
//! the value is dropped, a failing test's panic included. And a tiny SMTP client.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Child;
use std::time::{Duration, Instant};

use server::demo_mail::PostfixPlaces;
use server::postfix::PostfixConfig;
use tempfile::TempDir;

use super::dovecot::Dovecot;

/// How long the client waits for an answer.
const READ_TIMEOUT: Duration = Duration::from_secs(30);

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
        let places = PostfixPlaces {
            config_dir: dir.path().join("etc"),
            queue: dovecot.postfix_queue.clone(),
            data: dir.path().join("data"),
            log: dir.path().join("postfix.log"),
        };
        let config = PostfixConfig {
            data_dir: data_dir.canonicalize().unwrap(),
            database_url: dovecot.database_url.clone(),
            tables_dir: places.config_dir.clone(),
            mail_roles_dir: dovecot.mail_roles_dir.clone(),
        };
        places.configure(&config, smtp, relay).unwrap();
        let log = places.log.clone();

        let output = std::fs::File::create(dir.path().join("stderr")).unwrap();
        let child = places.master(output).expect("Postfix's master starts");
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
