//! A full disk: adding accounts fails with a clear message and leaves nothing half made, and
//! the postmaster can still log on and delete. The data directory lies on a small tmpfs that
//! the test mounts and unmounts (as root, as CI runs the tests).

mod support;

use std::fs::File;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::Command;

use app::api::accounts::{AddAccounts, DeleteAccounts};
use app::error::AppError;
use app::ssr::storage::mailstore::is_root;
use app::ssr::storage::reserve;
use leptos::server_fn::ServerFn;
use support::console::outcome;
use support::*;
use tempfile::TempDir;

/// A tmpfs of `size`, unmounted when dropped, even when the test fails.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        assert!(
            is_root(),
            "the full-disk test mounts a tmpfs: run it as root"
        );
        let status = Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(at)
            .status()
            .unwrap();
        assert!(status.success(), "cannot mount a tmpfs on {}", at.display());
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let _ = Command::new("umount").arg("-l").arg(&self.0).status();
    }
}

/// Writes to `path` until the file system has no room left, and returns the file's size.
fn fill(path: &Path) -> u64 {
    let mut file = File::create(path).unwrap();
    let chunk = vec![0u8; 4096];
    let mut written = 0;
    loop {
        match file.write(&chunk) {
            Ok(0) => break,
            Ok(n) => written += n as u64,
            Err(error) => {
                assert_eq!(error.kind(), std::io::ErrorKind::StorageFull, "{error}");
                break;
            }
        }
    }
    // Whatever the page cache held must reach the disk too.
    let _ = file.sync_all();
    written
}

async fn paste(server: &TestServer, cookie: &str, names: &[&str]) -> Result<(), AppError> {
    let text: String = names
        .iter()
        .map(|name| format!("{name} Xk4#pq9!zz Xk4#pq9!zz\n"))
        .collect();
    let form = [("domain", "alpha.test"), ("text", text.as_str())];
    outcome::<()>(&server.call(AddAccounts::PATH, &form, Some(cookie)).await)
}

/// The Maildirs of alpha.test on disk.
fn maildirs(server: &TestServer) -> Vec<String> {
    let dir = server.data_dir.join("mail/alpha.test");
    let mut names: Vec<String> = std::fs::read_dir(dir)
        .map(|entries| {
            entries
                .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[tokio::test]
async fn a_full_disk_refuses_new_accounts_clearly_and_keeps_log_on_and_delete() {
    let base = TempDir::new().unwrap();
    let _tmpfs = Tmpfs::mount(base.path(), "48m");
    let server = TestServer::in_dir(base.path()).await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    paste(&server, &cookie, &["ann", "bob", "carl"])
        .await
        .unwrap();
    assert_eq!(maildirs(&server).len(), 3);

    let reserve = server.data_dir.join(reserve::RESERVE_FILE);
    assert_eq!(
        std::fs::metadata(&reserve).unwrap().len(),
        reserve::RESERVE_BYTES
    );

    let filler = base.path().join("filler");
    assert!(fill(&filler) > 0);
    let many: Vec<String> = (0..40).map(|n| format!("user{n}")).collect();
    let many: Vec<&str> = many.iter().map(String::as_str).collect();
    let refused = paste(&server, &cookie, &many).await;
    assert_eq!(refused, Err(AppError::DiskFull));
    assert!(AppError::DiskFull.to_string().contains("disk is full"));
    assert_eq!(
        server.count("SELECT COUNT(*) FROM mailboxes").await,
        3,
        "no account of the refused paste"
    );
    assert_eq!(
        maildirs(&server).len(),
        3,
        "no Maildir of the refused paste"
    );

    // The postmaster still gets in, on the room kept for the console, and can delete.
    let again = server.log_on(POSTMASTER_A, PASSWORD).await;
    assert!(!reserve.exists(), "the reserve was released");
    let form = [("domain", "alpha.test"), ("emails", "carl@alpha.test")];
    outcome::<()>(&server.call(DeleteAccounts::PATH, &form, Some(&again)).await).unwrap();
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM mailboxes WHERE deleted_at IS NOT NULL")
            .await,
        1
    );

    // With room again, the same paste goes through whole.
    std::fs::remove_file(&filler).unwrap();
    paste(&server, &again, &many).await.unwrap();
    assert_eq!(server.count("SELECT COUNT(*) FROM mailboxes").await, 43);
    assert_eq!(maildirs(&server).len(), 43);
    assert!(reserve.exists(), "the reserve is kept again");
}

#[test]
fn a_root_command_makes_the_reserve_as_the_mail_user_and_never_through_a_link() {
    use std::os::unix::fs::MetadataExt;
    if database::skipped_on_postgres("the reserve beside the SQLite file") {
        return;
    }
    let work = vmail::passable_dir();
    let data = work.path().join("data");
    vmail::ok(&data, &["domain", "list"]);
    let reserve = data.join(reserve::RESERVE_FILE);
    let mail_user = dovecot::mail_user();
    let made = std::fs::symlink_metadata(&reserve).unwrap();
    assert_eq!((made.uid(), made.gid()), (mail_user.uid, mail_user.gid));

    // Released (the disk was nearly full); the mail user puts a link where it is made again.
    std::fs::remove_file(&reserve).unwrap();
    let victim = work.path().join("victim");
    std::fs::write(&victim, "precious").unwrap();
    let part = data.join(format!("{}.part", reserve::RESERVE_FILE));
    vmail::does(&format!(
        "ln -s {} {}",
        vmail::quoted(&victim),
        vmail::quoted(&part)
    ));
    vmail::ok(&data, &["domain", "list"]);

    assert_eq!(std::fs::read_to_string(&victim).unwrap(), "precious");
    let made = std::fs::symlink_metadata(&reserve).unwrap();
    assert!(made.is_file());
    assert_eq!(made.len(), reserve::RESERVE_BYTES);
    assert_eq!(made.uid(), mail_user.uid);
}
