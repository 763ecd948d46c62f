//! The operator's commands run as root on a data directory of the mail user `vmail`, as on a
//! mail server, and the mail user's own doings there: planting symlinks where root works.

use std::os::unix::fs::PermissionsExt;
use std::os::unix::process::CommandExt;
use std::path::Path;
use std::process::{Command, Output};

use tempfile::TempDir;

use super::dovecot::mail_user;

/// A directory for data directories that the mail user may pass, as every directory above a
/// data directory must let it.
pub fn passable_dir() -> TempDir {
    let dir = TempDir::new().unwrap();
    std::fs::set_permissions(dir.path(), std::fs::Permissions::from_mode(0o711)).unwrap();
    dir
}

/// Runs `vpostmaster --data-dir DATA ARGS…` as root with `vmail` as the mail user.
pub fn run(data_dir: &Path, args: &[&str]) -> Output {
    super::binary::vpostmaster(data_dir)
        .args(args)
        .env("VPM_MAIL_USER", mail_user().name)
        .output()
        .expect("vpostmaster runs")
}

/// [`run`], which must succeed; its standard output.
pub fn ok(data_dir: &Path, args: &[&str]) -> String {
    let output = run(data_dir, args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    super::binary::stdout(&output)
}

/// [`run`], which must fail; its standard error.
pub fn fails(data_dir: &Path, args: &[&str]) -> String {
    let output = run(data_dir, args);
    assert!(
        !output.status.success(),
        "{args:?} succeeded: {}",
        super::binary::stdout(&output)
    );
    String::from_utf8_lossy(&output.stderr).into_owned()
}

/// `sh -c SCRIPT` as the mail user, with its group alone.
pub fn shell(script: &str) -> Command {
    let user = mail_user();
    let mut command = Command::new("sh");
    command.args(["-c", script]).uid(user.uid).gid(user.gid);
    command
}

/// Runs `script` as the mail user, which must succeed.
pub fn does(script: &str) {
    let status = shell(script).status().expect("sh runs");
    assert!(status.success(), "{script}: {status}");
}

/// Gives `path` and everything below it to the mail user, symlinks themselves included.
pub fn give(path: &Path) {
    let user = mail_user();
    let status = Command::new("chown")
        .args(["-hR", &format!("{}:{}", user.uid, user.gid)])
        .arg(path)
        .status()
        .expect("chown runs");
    assert!(status.success());
}

/// The path as a shell word.
pub fn quoted(path: &Path) -> String {
    format!("'{}'", path.display().to_string().replace('\'', r"'\''"))
}
