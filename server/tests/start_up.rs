//! Start-up serves at once: the server answers before every account's Maildir is checked,
//! the check runs in the background and says in the log when it is done, and it creates what
//! was missing as the check before serving did.

mod support;

use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::process::{Child, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use app::ssr::storage::mailstore::MailUser;
use support::*;

/// Accounts whose Maildirs are missing when the server starts.
const ACCOUNTS: usize = 3_000;
/// Long enough for a slow machine; the test waits by polling and ends as soon as it can.
const PATIENCE: Duration = Duration::from_secs(120);

/// The server process, stopped when the test ends, and everything it wrote to its log.
struct Running {
    child: Child,
    log: Arc<Mutex<String>>,
}

impl Drop for Running {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl Running {
    fn log(&self) -> String {
        self.log.lock().unwrap().clone()
    }

    /// Polls the log until `find` finds something in it.
    fn wait_for<T>(&self, find: impl Fn(&str) -> Option<T>) -> T {
        let deadline = Instant::now() + PATIENCE;
        loop {
            if let Some(found) = find(&self.log()) {
                return found;
            }
            assert!(Instant::now() < deadline, "not in the log: {}", self.log());
            std::thread::sleep(Duration::from_millis(20));
        }
    }
}

/// Starts `vpostmaster serve` on the data directory, on a port the kernel picks.
fn serve(server: &TestServer, site: &std::path::Path) -> Running {
    let mut child = support::binary::vpostmaster(&server.data_dir)
        .args(["serve", "--listen", "127.0.0.1:0", "--site-dir"])
        .arg(site)
        .env_remove("VPM_DATA_DIR")
        .env("VPM_MAIL_USER", MailUser::current().name)
        .env("VPM_LOG", "info")
        .env("NO_COLOR", "1")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let log = Arc::new(Mutex::new(String::new()));
    for stream in [
        Box::new(child.stdout.take().unwrap()) as Box<dyn Read + Send>,
        Box::new(child.stderr.take().unwrap()),
    ] {
        let log = log.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stream).lines().map_while(Result::ok) {
                let mut log = log.lock().unwrap();
                log.push_str(&line);
                log.push('\n');
            }
        });
    }
    Running { child, log }
}

/// The status line of `GET path`.
fn status_of(address: &str, path: &str) -> String {
    let mut stream = TcpStream::connect(address).unwrap();
    write!(
        stream,
        "GET {path} HTTP/1.1\r\nHost: {address}\r\nConnection: close\r\n\r\n"
    )
    .unwrap();
    let mut reply = String::new();
    BufReader::new(stream).read_line(&mut reply).unwrap();
    reply.trim_end().to_owned()
}

#[tokio::test]
async fn the_server_answers_at_once_and_reports_the_maildir_check_when_done() {
    let server = TestServer::new().await;
    let mut tx = server.db.begin().await.unwrap();
    for n in 0..ACCOUNTS {
        sqlx::query(
            "INSERT INTO mailboxes (domain_id, local_part, email, password_hash, maildir)
             SELECT id, $1, $2, 'x', $3 FROM domains WHERE name = 'alpha.test'",
        )
        .bind(format!("user{n:05}"))
        .bind(format!("user{n:05}@alpha.test"))
        .bind(format!("alpha.test/user{n:05}.seed/"))
        .execute(&mut *tx)
        .await
        .unwrap();
    }
    tx.commit().await.unwrap();
    let site = tempfile::tempdir().unwrap();
    std::fs::create_dir(site.path().join("pkg")).unwrap();

    let running = serve(&server, site.path());
    let address = running.wait_for(|log| {
        let at = log.find("serving http://")? + "serving http://".len();
        Some(log[at..].split('/').next()?.to_owned())
    });
    assert_eq!(status_of(&address, "/log-on"), "HTTP/1.1 200 OK");

    let done = running.wait_for(|log| {
        log.lines()
            .find(|line| line.contains("reconciled the Maildirs"))
            .map(str::to_owned)
    });
    assert!(done.contains(&format!("accounts={ACCOUNTS}")), "{done}");
    assert!(done.contains(&format!("created={ACCOUNTS}")), "{done}");
    assert!(done.contains("seconds="), "{done}");
    for n in [0, ACCOUNTS / 2, ACCOUNTS - 1] {
        let maildir = server
            .store
            .path_of(&format!("alpha.test/user{n:05}.seed/"))
            .unwrap();
        assert!(maildir.join("cur").is_dir(), "{}", maildir.display());
    }
    assert_eq!(status_of(&address, "/log-on"), "HTTP/1.1 200 OK");
}
