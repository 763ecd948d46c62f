//! The real `vpostmaster` binary run as the operator runs it, over a data directory of the
//! test's own.

use std::io::Write;
use std::path::Path;
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
    app::ssr::mailstore::MailUser::current().name
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
