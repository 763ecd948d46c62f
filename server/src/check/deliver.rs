//! Mail that waits in Postfix's queue, and `check --deliver`: one message sent through Postfix's
//! SMTP to an account and watched until it is in the account's Maildir, then removed; where it
//! stopped when it does not arrive.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpStream};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};

use app::ssr::db::{sqlite_url, Location};
use app::ssr::mailstore::MAIL_DIR;
use app::words::counted;
use sqlx::{AnyConnection, Connection};

use super::Line;

/// How long a test message may take to reach the Maildir: Postfix's queue manager picks new
/// mail up at once, so this is only for a loaded server.
const DELIVERY_WAIT: Duration = Duration::from_secs(30);
/// How often the queue is read while waiting: a deferral ends the wait.
const QUEUE_READ_EVERY: Duration = Duration::from_secs(1);
/// How long the SMTP server may take to answer one command.
const SMTP_TIMEOUT: Duration = Duration::from_secs(30);
/// The header that marks the test message, with a value of its own for each check.
const MARK: &str = "X-Vpostmaster-Check";

/// One message in Postfix's queue, as `postqueue -j` prints it.
#[derive(serde::Deserialize)]
struct Queued {
    queue_name: String,
    queue_id: String,
    recipients: Vec<Recipient>,
}

#[derive(serde::Deserialize)]
struct Recipient {
    address: String,
    #[serde(default)]
    delay_reason: Option<String>,
}

/// Postfix's queue, read with `postqueue` for the Postfix whose configuration is in
/// `config_dir`.
fn queue(config_dir: &Path) -> Result<Vec<Queued>, String> {
    let output = Command::new("postqueue")
        .arg("-c")
        .arg(config_dir)
        .arg("-j")
        .output()
        .map_err(|error| format!("cannot run postqueue ({error}): install Postfix"))?;
    if !output.status.success() {
        return Err(format!(
            "postqueue failed: {}",
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .map(|line| serde_json::from_str(line).map_err(|error| error.to_string()))
        .collect()
}

/// No mail waits in Postfix's deferred queue: a message there is one Postfix could not
/// deliver and keeps trying until it bounces.
pub fn deferred(config_dir: &Path) -> Line {
    let queued = match queue(config_dir) {
        Ok(queued) => queued,
        Err(error) => return Line::problem(format!("Postfix's queue: {error}")),
    };
    let deferred: Vec<&Queued> = queued
        .iter()
        .filter(|message| message.queue_name == "deferred")
        .collect();
    match deferred.first() {
        None => Line::ok("Postfix's queue holds no deferred mail"),
        Some(first) => Line::problem(format!(
            "Postfix's queue holds {} deferred, which bounce when Postfix stops \
             retrying; the first, {}, {}",
            counted(deferred.len() as u64, "message", "messages"),
            first.queue_id,
            reasons(first)
        )),
    }
}

/// Where a message that has not arrived waits, and why.
fn waiting(message: &Queued) -> String {
    format!(
        "was accepted and waits in Postfix's {} queue as {}: {}",
        message.queue_name,
        message.queue_id,
        reasons(message)
    )
}

/// Why each recipient of a queued message waits.
fn reasons(message: &Queued) -> String {
    message
        .recipients
        .iter()
        .map(|recipient| {
            format!(
                "to {}: {}",
                recipient.address,
                recipient.delay_reason.as_deref().unwrap_or("waiting")
            )
        })
        .collect::<Vec<_>>()
        .join("; ")
}

/// Where `check --deliver` sends and looks.
pub struct Delivery<'a> {
    pub database: &'a Location,
    pub data_dir: &'a Path,
    pub address: &'a str,
    pub smtp: SocketAddr,
    pub postfix_config_dir: &'a Path,
    /// Dovecot's configuration, to expunge the message through Dovecot so that its usage
    /// stays right; without it the file is removed.
    pub dovecot_conf: Option<&'a Path>,
}

impl Delivery<'_> {
    /// Sends the test message and waits for it in the account's Maildir.
    pub async fn run(&self) -> Line {
        let what = format!("a test message to {}", self.address);
        match self.deliver().await {
            Ok(done) => Line::ok(format!("{what} {done}")),
            Err(problem) => Line::problem(format!("{what} {problem}")),
        }
    }

    async fn deliver(&self) -> Result<String, String> {
        let maildir = self.maildir().await?;
        let mut token = [0u8; 12];
        getrandom::fill(&mut token).map_err(|error| error.to_string())?;
        let token: String = token.iter().map(|byte| format!("{byte:02x}")).collect();
        let started = Instant::now();
        let queue_id = self.send(&token)?;
        let mut queue_read = started;
        while started.elapsed() < DELIVERY_WAIT {
            if let Some(file) = find_marked(&maildir, &token) {
                let took = started.elapsed().as_millis();
                self.remove(&file, &token);
                return Ok(format!(
                    "went through Postfix and Dovecot into the Maildir in {took} ms, and was removed"
                ));
            }
            // A deferral is final for this check: Postfix retries only minutes later.
            if queue_read.elapsed() >= QUEUE_READ_EVERY {
                queue_read = Instant::now();
                if let Some(message) = self.queued(&queue_id)? {
                    if message.queue_name == "deferred" {
                        return Err(waiting(&message));
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        Err(match self.queued(&queue_id)? {
            Some(message) => waiting(&message),
            None => format!(
                "was accepted as {queue_id} but is neither in the Maildir {} after {} s nor in \
                 Postfix's queue: it bounced, or the account forwards its mail without a copy; \
                 Postfix's log says which",
                maildir.display(),
                DELIVERY_WAIT.as_secs()
            ),
        })
    }

    /// The message `queue_id` in Postfix's queue, if it is still there.
    fn queued(&self, queue_id: &str) -> Result<Option<Queued>, String> {
        Ok(queue(self.postfix_config_dir)?
            .into_iter()
            .find(|message| message.queue_id == queue_id))
    }

    /// The account's Maildir, from the console's database.
    async fn maildir(&self) -> Result<PathBuf, String> {
        let url = match self.database {
            Location::File(path) => sqlite_url(path, "rw"),
            Location::Server(url) => url.clone(),
        };
        sqlx::any::install_default_drivers();
        let mut connection = AnyConnection::connect(&url)
            .await
            .map_err(|error| format!("cannot be sent: the database cannot be opened ({error})"))?;
        let found: Option<String> = sqlx::query_scalar(
            "SELECT maildir FROM mailboxes WHERE email = lower($1) AND deleted_at IS NULL",
        )
        .bind(self.address)
        .fetch_optional(&mut connection)
        .await
        .map_err(|error| format!("cannot be sent: {error}"))?;
        let _ = connection.close().await;
        found
            .map(|maildir| self.data_dir.join(MAIL_DIR).join(maildir))
            .ok_or_else(|| "cannot be sent: there is no such account".to_owned())
    }

    /// Sends the message with an empty envelope sender (no auto-reply answers it) and returns
    /// the queue id Postfix gave it.
    fn send(&self, token: &str) -> Result<String, String> {
        let stream = TcpStream::connect_timeout(&self.smtp, SMTP_TIMEOUT).map_err(|error| {
            format!(
                "cannot be sent: Postfix's SMTP does not answer at {} ({error})",
                self.smtp
            )
        })?;
        stream
            .set_read_timeout(Some(SMTP_TIMEOUT))
            .map_err(|error| error.to_string())?;
        let mut smtp = Smtp {
            reader: BufReader::new(stream.try_clone().map_err(|error| error.to_string())?),
            writer: stream,
        };
        let at = |step: &str, reply: String| format!("was refused at {step}: {reply}");
        smtp.expect(None, "220")
            .map_err(|reply| at("the greeting", reply))?;
        smtp.expect(Some("EHLO localhost"), "250")
            .map_err(|reply| at("EHLO", reply))?;
        smtp.expect(Some("MAIL FROM:<>"), "250")
            .map_err(|reply| at("MAIL FROM", reply))?;
        smtp.expect(Some(&format!("RCPT TO:<{}>", self.address)), "250")
            .map_err(|reply| at("RCPT TO", reply))?;
        smtp.expect(Some("DATA"), "354")
            .map_err(|reply| at("DATA", reply))?;
        let message = format!(
            "{MARK}: {token}\r\nFrom: Virtual Postmaster <MAILER-DAEMON>\r\nTo: <{0}>\r\n\
             Subject: Delivery check\r\n\r\nA delivery check sent by `vpostmaster check \
             --deliver`; it removes this message once it has arrived.\r\n.",
            self.address
        );
        let accepted = smtp
            .expect(Some(&message), "250")
            .map_err(|reply| at("the end of the message", reply))?;
        let _ = smtp.expect(Some("QUIT"), "221");
        Ok(accepted
            .split_once("queued as ")
            .map_or("", |(_, id)| id.trim())
            .to_owned())
    }

    /// Removes the delivered test message: through Dovecot when its configuration is known,
    /// so that the account's usage counts it out; else the file itself.
    fn remove(&self, file: &Path, token: &str) {
        let expunged = self.dovecot_conf.is_some_and(|conf| {
            Command::new("doveadm")
                .arg("-c")
                .arg(conf)
                .args([
                    "expunge",
                    "-u",
                    self.address,
                    "mailbox",
                    "INBOX",
                    "header",
                    MARK,
                    token,
                ])
                .output()
                .is_ok_and(|output| output.status.success())
        });
        if !expunged {
            let _ = std::fs::remove_file(file);
        }
    }
}

/// The message file in the Maildir's `new/` or `cur/` that carries the mark with `token`.
fn find_marked(maildir: &Path, token: &str) -> Option<PathBuf> {
    let mark = format!("{MARK}: {token}");
    ["new", "cur"].iter().find_map(|folder| {
        std::fs::read_dir(maildir.join(folder))
            .ok()?
            .flatten()
            .map(|entry| entry.path())
            .find(|path| {
                std::fs::read(path).is_ok_and(|bytes| {
                    String::from_utf8_lossy(&bytes[..bytes.len().min(4096)]).contains(&mark)
                })
            })
    })
}

/// The few SMTP steps the check takes.
struct Smtp {
    reader: BufReader<TcpStream>,
    writer: TcpStream,
}

impl Smtp {
    /// Sends `command` (if any) and reads the reply, whose last line is returned when it has
    /// the `code` and is the error otherwise.
    fn expect(&mut self, command: Option<&str>, code: &str) -> Result<String, String> {
        if let Some(command) = command {
            write!(self.writer, "{command}\r\n").map_err(|error| error.to_string())?;
        }
        loop {
            let mut line = String::new();
            match self.reader.read_line(&mut line) {
                Ok(0) => return Err("the connection was closed".to_owned()),
                Err(error) => return Err(format!("no answer ({error})")),
                Ok(_) => {}
            }
            if line.as_bytes().get(3) != Some(&b'-') {
                let line = line.trim_end().to_owned();
                return if line.starts_with(code) {
                    Ok(line)
                } else {
                    Err(line)
                };
            }
        }
    }
}
