//! The real `vpostmaster` binary run as the operator runs it, over a data directory of the
//! test's own.

use std::io::{BufRead, BufReader, Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

/// Runs `vpostmaster --data-dir DIR ARGS…` on the test run's database, feeding `stdin` when
/// given.
pub fn run(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> Output {
    run_on(
        data_dir,
        super::database::url_for(data_dir).as_deref(),
        args,
        stdin,
    )
}

/// [`run`] on the database of `database_url`, or on the SQLite file without one.
pub fn run_on(
    data_dir: &Path,
    database_url: Option<&str>,
    args: &[&str],
    stdin: Option<&str>,
) -> Output {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vpostmaster"));
    match database_url {
        Some(url) => command.env("VPM_DATABASE_URL", url),
        None => command.env_remove("VPM_DATABASE_URL"),
    };
    let mut child = command
        .arg("--data-dir")
        .arg(data_dir)
        .args(args)
        .env_remove("VPM_DATA_DIR")
        .env_remove("VPM_LISTEN")
        .env("VPM_MAIL_USER", mail_user())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vpostmaster starts");
    let mut pipe = child.stdin.take().expect("stdin is piped");
    if let Some(text) = stdin {
        pipe.write_all(text.as_bytes())
            .expect("stdin accepts the password");
    }
    drop(pipe);
    child.wait_with_output().expect("vpostmaster finishes")
}

/// `vpostmaster --data-dir DIR`, on the test run's database for that directory, for a test
/// that runs it its own way (a server, a child it kills).
pub fn vpostmaster(data_dir: &Path) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_vpostmaster"));
    command
        .arg("--data-dir")
        .arg(data_dir)
        .env_remove("VPM_DATA_DIR");
    match super::database::url_for(data_dir) {
        Some(url) => command.env("VPM_DATABASE_URL", url),
        None => command.env_remove("VPM_DATABASE_URL"),
    };
    command
}

/// The user running the tests owns the mail, so that no system user is needed here.
pub fn mail_user() -> String {
    app::ssr::storage::mailstore::MailUser::current().name
}

pub fn stdout(output: &Output) -> String {
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Succeeds, printing nothing on stderr.
pub fn ok(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let output = run(data_dir, args, stdin);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    stdout(&output)
}

/// Fails with exactly one line on stderr, which is returned.
pub fn fails(data_dir: &Path, args: &[&str], stdin: Option<&str>) -> String {
    let output = run(data_dir, args, stdin);
    assert!(
        !output.status.success(),
        "{args:?} succeeded: {}",
        stdout(&output)
    );
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(
        stderr.lines().count(),
        1,
        "one line on stderr for {args:?}, got: {stderr}"
    );
    assert!(stderr.starts_with("vpostmaster: "), "{stderr}");
    stderr
}

/// A site folder with the `pkg/` that `serve` expects.
pub fn site(dir: &Path) -> String {
    std::fs::create_dir_all(dir.join("site/pkg")).unwrap();
    dir.join("site").to_string_lossy().into_owned()
}

/// A `serve` process a test started, and the URL it printed. Dropped without [`Served::stop`]
/// (a failed assertion), it is killed: no server outlives its test.
pub struct Served {
    child: std::process::Child,
    out: BufReader<std::process::ChildStdout>,
    /// The URL it serves, without the final `/`.
    pub url: String,
}

impl Served {
    /// Starts `serve` on a free port.
    pub fn start(data: &Path, site: &str, extra: &[&str]) -> Served {
        let mut child = vpostmaster(data)
            .args(["serve", "--listen", "127.0.0.1:0", "--site-dir", site])
            .args(extra)
            .env("VPM_MAIL_USER", mail_user())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let out = BufReader::new(child.stdout.take().unwrap());
        let mut served = Served {
            child,
            out,
            url: String::new(),
        };
        let mut line = String::new();
        served.out.read_line(&mut line).unwrap();
        served.url = line
            .split_whitespace()
            .find(|word| word.contains("://"))
            .expect("the address is printed")
            .trim_end_matches('/')
            .to_owned();
        served
    }

    /// Sends SIGTERM and expects a clean exit that says so.
    pub fn stop(mut self) {
        let pid = self.child.id().to_string();
        assert!(Command::new("kill")
            .args(["-TERM", &pid])
            .status()
            .unwrap()
            .success());
        let status = self.child.wait().unwrap();
        assert!(status.success(), "clean exit on SIGTERM: {status}");
        let mut rest = String::new();
        self.out.read_to_string(&mut rest).unwrap();
        assert!(rest.contains("stopped"), "{rest}");
    }
}

impl Drop for Served {
    fn drop(&mut self) {
        // After `stop` the process has been waited for, and killing it does nothing.
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A self-signed certificate for `localhost` and its key, made in `dir`.
pub fn self_signed(dir: &Path) -> (PathBuf, PathBuf) {
    let (cert, key) = (dir.join("cert.pem"), dir.join("key.pem"));
    let made = Command::new("openssl")
        .args([
            "req",
            "-x509",
            "-newkey",
            "rsa:2048",
            "-nodes",
            "-days",
            "1",
            "-subj",
            "/CN=localhost",
        ])
        .arg("-keyout")
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .unwrap();
    assert!(made.success());
    (cert, key)
}
