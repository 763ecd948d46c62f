//! A tiny client for both paths: SMTP into Postfix and LMTP (RFC 2033) into Dovecot differ
//! only in the greeting verb when each transaction has one recipient, so one client sends
//! both, and neither path pays for a slower client. A session carries many transactions, and a
//! message goes out in one write.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::os::unix::net::UnixStream;
use std::path::Path;
use std::time::Duration;

const READ_TIMEOUT: Duration = Duration::from_secs(30);

/// A session after EHLO or LHLO.
pub struct Session<S> {
    reader: BufReader<S>,
    writer: S,
    /// Whether the server takes MAIL FROM's SIZE (Postfix does, Dovecot's LMTP does not).
    size: bool,
}

/// SMTP to Postfix.
pub fn smtp(address: SocketAddr) -> Session<TcpStream> {
    let stream = TcpStream::connect(address).unwrap();
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    // As mail servers send: a command waits for no acknowledgement of the one before (with
    // Nagle's algorithm each step of a transaction waited for the server's delayed ACK).
    stream.set_nodelay(true).unwrap();
    Session::open(stream.try_clone().unwrap(), stream, "EHLO client.test")
}

/// LMTP to Dovecot's socket.
pub fn lmtp(socket: &Path) -> Session<UnixStream> {
    let stream =
        UnixStream::connect(socket).unwrap_or_else(|error| panic!("{}: {error}", socket.display()));
    stream.set_read_timeout(Some(READ_TIMEOUT)).unwrap();
    Session::open(stream.try_clone().unwrap(), stream, "LHLO mx.vpm.test")
}

impl<S: Read + Write> Session<S> {
    /// Reads the greeting and says `hello`; panics unless the server answers 220 and 250.
    fn open(reader: S, writer: S, hello: &str) -> Session<S> {
        let mut session = Session {
            reader: BufReader::new(reader),
            writer,
            size: false,
        };
        let greeting = session.reply();
        assert!(greeting.starts_with("220"), "{greeting}");
        let answer = session.command(hello);
        assert!(answer.starts_with("250"), "{answer}");
        session.size = answer.lines().any(|line| line[4..].starts_with("SIZE"));
        session
    }

    /// A whole reply, its lines ending in CRLF.
    fn reply(&mut self) -> String {
        let mut reply = String::new();
        loop {
            let mut line = String::new();
            if let Err(error) = self.reader.read_line(&mut line) {
                return format!("connection lost: {error}");
            }
            if line.is_empty() {
                return "connection closed".to_owned();
            }
            reply.push_str(&line);
            if line.as_bytes().get(3) != Some(&b'-') {
                return reply;
            }
        }
    }

    fn command(&mut self, command: &str) -> String {
        write!(self.writer, "{command}\r\n").unwrap();
        self.reply()
    }

    /// Sends `message` (CRLF lines) to `to`; `Err` with the refusal. With one recipient, LMTP
    /// too answers the end of DATA once.
    pub fn send(&mut self, to: &str, message: &[u8]) -> Result<(), String> {
        let size = match self.size {
            true => format!(" SIZE={}", message.len()),
            false => String::new(),
        };
        let from = self.command(&format!("MAIL FROM:<sender@elsewhere.test>{size}"));
        if !from.starts_with("250") {
            return Err(from);
        }
        let rcpt = self.command(&format!("RCPT TO:<{to}>"));
        if !rcpt.starts_with("250") {
            self.command("RSET");
            return Err(rcpt);
        }
        let data = self.command("DATA");
        if !data.starts_with("354") {
            return Err(data);
        }
        let mut stuffed = Vec::with_capacity(message.len() + 16);
        for line in message.split_inclusive(|&b| b == b'\n') {
            if line.starts_with(b".") {
                stuffed.push(b'.');
            }
            stuffed.extend_from_slice(line);
        }
        stuffed.extend_from_slice(b".\r\n");
        self.writer.write_all(&stuffed).unwrap();
        let done = self.reply();
        if done.starts_with("250") {
            Ok(())
        } else {
            Err(done)
        }
    }

    pub fn quit(mut self) {
        self.command("QUIT");
    }
}
