//! An SMTP server on a loopback port that keeps every message it is given, for the tests to
//! read what the mail servers sent out. It serves one session at a time on a thread of its
//! own, which stops when the value is dropped.

use std::io::{BufRead, BufReader, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

/// A message as it was handed over.
#[derive(Debug, Clone)]
pub struct Sent {
    pub from: String,
    pub to: Vec<String>,
    /// Dot-unstuffed, lines ending in CRLF.
    pub data: String,
}

pub struct Sink {
    pub address: SocketAddr,
    sent: Arc<Mutex<Vec<Sent>>>,
    stop: Arc<AtomicBool>,
    thread: Option<JoinHandle<()>>,
}

impl Sink {
    pub fn start() -> Sink {
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        listener.set_nonblocking(true).unwrap();
        let address = listener.local_addr().unwrap();
        let sent = Arc::new(Mutex::new(Vec::new()));
        let stop = Arc::new(AtomicBool::new(false));
        let thread = {
            let (sent, stop) = (sent.clone(), stop.clone());
            std::thread::spawn(move || {
                while !stop.load(Ordering::Relaxed) {
                    match listener.accept() {
                        Ok((stream, _)) => serve(stream, &sent),
                        Err(_) => std::thread::sleep(Duration::from_millis(10)),
                    }
                }
            })
        };
        Sink {
            address,
            sent,
            stop,
            thread: Some(thread),
        }
    }

    /// Every message so far.
    pub fn sent(&self) -> Vec<Sent> {
        self.sent.lock().unwrap().clone()
    }
}

impl Drop for Sink {
    fn drop(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// One SMTP session: each message is kept before its 250, so a sender that got the answer
/// finds it kept.
fn serve(stream: TcpStream, sent: &Mutex<Vec<Sent>>) {
    let _ = stream.set_nonblocking(false);
    let _ = stream.set_read_timeout(Some(Duration::from_secs(30)));
    let Ok(mut writer) = stream.try_clone() else {
        return;
    };
    let mut reader = BufReader::new(stream);
    let mut say = |text: &str| writer.write_all(format!("{text}\r\n").as_bytes()).is_ok();
    let (mut from, mut to) = (String::new(), Vec::new());
    say("220 sink.test ESMTP");
    loop {
        let mut line = String::new();
        if reader.read_line(&mut line).unwrap_or(0) == 0 {
            return;
        }
        let command = line.trim_end().to_owned();
        let verb = command.get(..4).unwrap_or(&command).to_ascii_uppercase();
        let path = || {
            let start = command.find('<').map_or(command.len(), |i| i + 1);
            let end = command.rfind('>').unwrap_or(command.len()).max(start);
            command[start..end].to_owned()
        };
        let answered = match verb.as_str() {
            "EHLO" | "HELO" => say("250 sink.test"),
            "MAIL" => {
                (from, to) = (path(), Vec::new());
                say("250 2.1.0 OK")
            }
            "RCPT" => {
                to.push(path());
                say("250 2.1.5 OK")
            }
            "DATA" => {
                say("354 Go on");
                let mut data = String::new();
                loop {
                    let mut line = String::new();
                    if reader.read_line(&mut line).unwrap_or(0) == 0 {
                        return;
                    }
                    if line == ".\r\n" || line == ".\n" {
                        break;
                    }
                    data.push_str(line.strip_prefix('.').unwrap_or(&line));
                }
                sent.lock().unwrap().push(Sent {
                    from: from.clone(),
                    to: std::mem::take(&mut to),
                    data,
                });
                say("250 2.0.0 Kept")
            }
            "RSET" | "NOOP" => say("250 2.0.0 OK"),
            "QUIT" => {
                say("221 2.0.0 Bye");
                return;
            }
            _ => say("502 5.5.2 Not here"),
        };
        if !answered {
            return;
        }
    }
}
