//! `vpostmaster backup` and `restore`, run as the real binary over the console's services.

mod support;

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Output;
use std::str::FromStr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;

use app::ssr::access::two_factor::{SecretKey, KEY_FILE};
use sqlx::sqlite::SqliteConnectOptions;
use sqlx::{AnyPool, Connection, SqliteConnection};
use support::{vmail, TestServer, PASSWORD, POSTMASTER_A};
use tempfile::TempDir;

const ACCOUNT_PW: &str = "Tr4in#Lamp";

/// Runs `vpostmaster --data-dir DATA ARGS…` with the test's user as the mail user.
fn run(data_dir: &Path, args: &[&str]) -> Output {
    support::binary::vpostmaster(data_dir)
        .args(args)
        .env_remove("VPM_DATA_DIR")
        .env(
            "VPM_MAIL_USER",
            app::ssr::storage::mailstore::MailUser::current().name,
        )
        .output()
        .expect("vpostmaster runs")
}

fn ok(data_dir: &Path, args: &[&str]) -> String {
    let output = run(data_dir, args);
    assert!(
        output.status.success(),
        "{args:?} failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    String::from_utf8_lossy(&output.stdout).into_owned()
}

/// Fails with one line on stderr, which is returned.
fn fails(data_dir: &Path, args: &[&str]) -> String {
    let output = run(data_dir, args);
    assert!(!output.status.success(), "{args:?} succeeded");
    let stderr = String::from_utf8_lossy(&output.stderr).into_owned();
    assert_eq!(stderr.lines().count(), 1, "one line for {args:?}: {stderr}");
    assert!(stderr.starts_with("vpostmaster: "), "{stderr}");
    stderr
}

fn arg(path: &Path) -> &str {
    path.to_str().unwrap()
}

/// A database file opened read-only, as it is on disk.
async fn read_only(path: &Path) -> SqliteConnection {
    let options = SqliteConnectOptions::from_str("sqlite:")
        .unwrap()
        .filename(path)
        .read_only(true);
    SqliteConnection::connect_with(&options).await.unwrap()
}

async fn live_accounts(conn: &mut SqliteConnection) -> Vec<String> {
    sqlx::query_scalar("SELECT email FROM mailboxes WHERE deleted_at IS NULL ORDER BY email")
        .fetch_all(conn)
        .await
        .unwrap()
}

/// sqlx closes a pool's SQLite handles on their threads after `close` returns; the last one
/// out removes the `-shm` file.
async fn until_closed(data_dir: &Path) {
    for _ in 0..50 {
        if !data_dir.join("vpostmaster.db-shm").exists() {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    panic!("the database stays open");
}

async fn domains(db: &AnyPool) -> Vec<String> {
    sqlx::query_scalar("SELECT name FROM domains ORDER BY name")
        .fetch_all(db)
        .await
        .unwrap()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_backup_taken_while_accounts_are_added_is_consistent_and_restores() {
    if support::database::skipped_on_postgres("the backup of the database file") {
        return;
    }
    let server = Arc::new(TestServer::new().await);
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let stop = Arc::new(AtomicBool::new(false));
    let adder = {
        let (server, stop) = (server.clone(), stop.clone());
        tokio::spawn(async move {
            let mut added = 0;
            while !stop.load(Ordering::Relaxed) || added < 3 {
                let text = format!("user{added} {ACCOUNT_PW} {ACCOUNT_PW}\n");
                server.add_accounts(&cookie, &text).await;
                added += 1;
            }
            added
        })
    };
    while server.count("SELECT COUNT(*) FROM mailboxes").await < 2 {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let backups = TempDir::new().unwrap();
    let dir = backups.path().join("backup");
    let data = server.data_dir.clone();
    let out = {
        let dir = dir.clone();
        tokio::task::spawn_blocking(move || ok(&data, &["backup", arg(&dir)]))
            .await
            .unwrap()
    };
    stop.store(true, Ordering::Relaxed);
    let added = adder.await.unwrap();
    assert!(out.contains("accounts"), "{out}");

    let db_file = dir.join("vpostmaster.db");
    let mode = std::fs::metadata(&db_file).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o640);
    let manifest = std::fs::read_to_string(dir.join("backup.manifest")).unwrap();
    assert!(manifest.contains("mail no"), "{manifest}");
    let mut backup = read_only(&db_file).await;
    let accounts = live_accounts(&mut backup).await;
    assert!(
        accounts.len() >= 2 && accounts.len() <= added,
        "{accounts:?}"
    );
    assert!(
        out.contains(&format!("{} accounts", accounts.len())),
        "{out}"
    );
    // Each account comes with its audit row and each audit row with its account: the copy
    // holds whole transactions only.
    let audited: Vec<String> = sqlx::query_scalar(
        "SELECT target FROM audit_log WHERE action = 'mailbox.add' AND outcome = 'ok'
         ORDER BY target",
    )
    .fetch_all(&mut backup)
    .await
    .unwrap();
    assert_eq!(audited, accounts);
    let integrity: String = sqlx::query_scalar("PRAGMA integrity_check")
        .fetch_one(&mut backup)
        .await
        .unwrap();
    assert_eq!(integrity, "ok");

    let target = TempDir::new().unwrap();
    let restored = target.path().join("data");
    let out = ok(&restored, &["restore", arg(&dir)]);
    assert!(
        out.contains(&format!("Restored {} accounts", accounts.len())),
        "{out}"
    );
    let mut conn = read_only(&restored.join("vpostmaster.db")).await;
    assert_eq!(live_accounts(&mut conn).await, accounts);
    let mode = std::fs::metadata(&restored).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o710);
}

#[tokio::test]
async fn with_mail_the_maildirs_are_copied_byte_for_byte_and_restored() {
    if support::database::skipped_on_postgres("the backup of the database file") {
        return;
    }
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    server
        .add_accounts(&cookie, &format!("jane {ACCOUNT_PW} {ACCOUNT_PW}\n"))
        .await;
    let maildir: String = sqlx::query_scalar("SELECT maildir FROM mailboxes")
        .fetch_one(&server.db)
        .await
        .unwrap();
    let message = b"From: a@b.test\r\nSubject: hello\r\n\r\n\xffbinary body\r\n".to_vec();
    let name = "1700000000.M1P1.host,S=52:2,S";
    let inbox = server.store.path_of(&maildir).unwrap();
    std::fs::write(inbox.join("cur").join(name), &message).unwrap();
    std::os::unix::fs::symlink("/etc/passwd", inbox.join("new/planted")).unwrap();

    let backups = TempDir::new().unwrap();
    let dir = backups.path().join("backup");
    let out = ok(&server.data_dir, &["backup", arg(&dir), "--mail"]);
    assert!(out.contains("Copied the mail store: 1 files"), "{out}");
    let copy = dir.join("mail").join(&maildir);
    assert_eq!(std::fs::read(copy.join("cur").join(name)).unwrap(), message);
    assert!(std::fs::symlink_metadata(copy.join("new/planted")).is_err());
    let mode = std::fs::metadata(&copy).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    assert!(std::fs::read_to_string(dir.join("backup.manifest"))
        .unwrap()
        .contains("mail yes"));

    let target = TempDir::new().unwrap();
    let restored = target.path().join("data");
    let out = ok(&restored, &["restore", arg(&dir)]);
    assert!(out.contains("Restored the mail store: 1 files"), "{out}");
    let back = restored.join("mail").join(&maildir).join("cur").join(name);
    assert_eq!(std::fs::read(&back).unwrap(), message);
    let original = std::fs::metadata(inbox.join("cur").join(name)).unwrap();
    let copied = std::fs::metadata(&back).unwrap();
    assert_eq!(copied.permissions().mode(), original.permissions().mode());
    assert_eq!(copied.modified().unwrap(), original.modified().unwrap());
}

#[tokio::test]
async fn restore_over_a_database_needs_replace_and_keeps_the_old_database_and_key_aside() {
    if support::database::skipped_on_postgres("the backup of the database file") {
        return;
    }
    let work = TempDir::new().unwrap();
    let data = work.path().join("data");
    ok(&data, &["domain", "add", "kept.test"]);
    let key = data.join(KEY_FILE);
    SecretKey::load_or_create(&key).unwrap();
    let backed_up_key = std::fs::read(&key).unwrap();
    let dir = work.path().join("backup");
    let out = ok(&data, &["backup", arg(&dir)]);
    assert!(out.contains("two-factor key"), "{out}");
    let copy = std::fs::metadata(dir.join(KEY_FILE)).unwrap();
    assert_eq!(copy.permissions().mode() & 0o777, 0o600);
    ok(&data, &["domain", "add", "later.test"]);
    // A key made anew (say, by a console started on an empty data directory).
    std::fs::remove_file(&key).unwrap();
    SecretKey::load_or_create(&key).unwrap();
    let newer_key = std::fs::read(&key).unwrap();

    let err = fails(&data, &["restore", arg(&dir)]);
    assert!(err.contains("--replace"), "{err}");

    let open = support::database::open(&data).await;
    let err = fails(&data, &["restore", arg(&dir), "--replace"]);
    assert!(err.contains("is open"), "{err}");
    open.close().await;
    until_closed(&data).await;

    let out = ok(&data, &["restore", arg(&dir), "--replace"]);
    assert!(out.contains("vpostmaster.db.before-restore-"), "{out}");
    assert_eq!(std::fs::read(&key).unwrap(), backed_up_key);
    assert_eq!(
        std::fs::metadata(&key).unwrap().permissions().mode() & 0o777,
        0o600
    );
    let key_aside = std::fs::read_dir(&data)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .find(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("two-factor.key.before-restore-")
        })
        .expect("the replaced key is kept aside");
    assert_eq!(std::fs::read(key_aside).unwrap(), newer_key);
    let db = support::database::open(&data).await;
    assert_eq!(domains(&db).await, ["kept.test"]);
    db.close().await;
    let aside: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|entry| entry.unwrap().path())
        .filter(|path| {
            let name = path.file_name().unwrap().to_string_lossy();
            name.starts_with("vpostmaster.db.before-restore-") && !name.ends_with("-wal")
        })
        .collect();
    assert_eq!(aside.len(), 1, "{aside:?}");
    let mut old = read_only(&aside[0]).await;
    let names: Vec<String> = sqlx::query_scalar("SELECT name FROM domains ORDER BY name")
        .fetch_all(&mut old)
        .await
        .unwrap();
    assert_eq!(names, ["kept.test", "later.test"]);
}

#[tokio::test]
async fn a_backup_from_a_newer_schema_is_refused_and_changes_nothing() {
    if support::database::skipped_on_postgres("the backup of the database file") {
        return;
    }
    let work = TempDir::new().unwrap();
    let data = work.path().join("data");
    ok(&data, &["domain", "add", "kept.test"]);
    let dir = work.path().join("backup");
    ok(&data, &["backup", arg(&dir)]);
    let mut backup = SqliteConnection::connect_with(
        &SqliteConnectOptions::from_str("sqlite:")
            .unwrap()
            .filename(dir.join("vpostmaster.db")),
    )
    .await
    .unwrap();
    sqlx::query(
        "INSERT INTO _sqlx_migrations (version, description, success, checksum, execution_time)
         VALUES (99990101000000, 'from the future', 1, x'00', 0)",
    )
    .execute(&mut backup)
    .await
    .unwrap();
    backup.close().await.unwrap();

    let fresh = work.path().join("fresh");
    let err = fails(&fresh, &["restore", arg(&dir)]);
    assert!(err.contains("newer version of vpostmaster"), "{err}");
    assert!(!fresh.join("vpostmaster.db").exists());
    let left: Vec<_> = std::fs::read_dir(&fresh).unwrap().collect();
    assert!(left.is_empty(), "{left:?}");
}

#[tokio::test]
async fn a_directory_that_is_not_empty_is_refused() {
    if support::database::skipped_on_postgres("the backup of the database file") {
        return;
    }
    let work = TempDir::new().unwrap();
    let data = work.path().join("data");
    ok(&data, &["domain", "add", "kept.test"]);
    let dir = work.path().join("backup");
    std::fs::create_dir(&dir).unwrap();
    std::fs::write(dir.join("notes.txt"), "mine").unwrap();
    let err = fails(&data, &["backup", arg(&dir)]);
    assert!(err.contains("is not empty"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("notes.txt")).unwrap(),
        "mine"
    );

    ok(&data, &["backup", arg(&work.path().join("first"))]);
    let err = fails(&data, &["backup", arg(&work.path().join("first"))]);
    assert!(err.contains("is not empty"), "{err}");
    let err = fails(&data, &["restore", arg(&dir)]);
    assert!(err.contains("not a vpostmaster backup"), "{err}");
}

/// The Maildir of the mail user's data directories.
const MAILDIR: &str = "kept.test/ann.1700000000.00000000";

/// A data directory of the mail user `vmail` under `work`, made by a root command: a domain,
/// the two-factor key the console makes, and `messages` messages in one Maildir.
fn mail_user_data(work: &Path, messages: usize) -> std::path::PathBuf {
    let data = work.join("data");
    vmail::ok(&data, &["domain", "add", "kept.test"]);
    SecretKey::load_or_create(&data.join(KEY_FILE)).unwrap();
    let maildir = data.join("mail").join(MAILDIR);
    for sub in ["cur", "new", "tmp"] {
        std::fs::create_dir_all(maildir.join(sub)).unwrap();
    }
    for n in 0..messages {
        let name = format!("1700000000.M{n}P1.host:2,S");
        std::fs::write(
            maildir.join("cur").join(name),
            format!("Subject: {n}\r\n\r\nhi\r\n"),
        )
        .unwrap();
    }
    vmail::give(&data.join("mail"));
    vmail::give(&data.join(KEY_FILE));
    data
}

/// Every name under `dir`, `dir` included, with its owner.
fn owners(dir: &Path) -> Vec<(std::path::PathBuf, u32, u32)> {
    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::symlink_metadata(dir).unwrap();
    let mut found = vec![(dir.to_path_buf(), meta.uid(), meta.gid())];
    if meta.is_dir() {
        for entry in std::fs::read_dir(dir).unwrap() {
            found.extend(owners(&entry.unwrap().path()));
        }
    }
    found
}

#[tokio::test]
async fn a_backup_taken_as_root_is_roots_alone_and_never_goes_into_the_mail_users_directory() {
    if support::database::skipped_on_postgres("the backup of the database file") {
        return;
    }
    let work = vmail::passable_dir();
    let data = mail_user_data(work.path(), 2);
    let dir = work.path().join("backup");
    let out = vmail::ok(&data, &["backup", arg(&dir), "--mail"]);
    assert!(out.contains("Copied the mail store: 2 files"), "{out}");
    assert!(out.contains("two-factor key"), "{out}");

    let mode = std::fs::metadata(&dir).unwrap().permissions().mode();
    assert_eq!(mode & 0o777, 0o700);
    let owned = owners(&dir);
    assert!(owned.len() > 8, "{owned:?}");
    let theirs: Vec<_> = owned
        .iter()
        .filter(|(_, uid, gid)| (*uid, *gid) != (0, 0))
        .collect();
    assert!(theirs.is_empty(), "not root's: {theirs:?}");

    // A directory the mail user owns would let it plant links where the backup writes.
    let given = work.path().join("given");
    std::fs::create_dir(&given).unwrap();
    vmail::give(&given);
    let err = vmail::fails(&data, &["backup", arg(&given)]);
    assert!(err.contains("belongs to another user"), "{err}");
    assert_eq!(std::fs::read_dir(&given).unwrap().count(), 0);
}

#[tokio::test]
async fn restore_reads_no_key_or_database_through_a_link_the_mail_user_planted() {
    if support::database::skipped_on_postgres("the backup of the database file") {
        return;
    }
    let work = vmail::passable_dir();
    let data = mail_user_data(work.path(), 0);
    let dir = work.path().join("backup");
    vmail::ok(&data, &["backup", arg(&dir)]);
    // A backup the mail user owns, as earlier versions handed it over, with the key a link to
    // a secret of root's of the key's length.
    vmail::give(&dir);
    let secret = work.path().join("secret");
    std::fs::write(&secret, [7u8; 32]).unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let key = dir.join(KEY_FILE);
    vmail::does(&format!(
        "ln -sf {} {}",
        vmail::quoted(&secret),
        vmail::quoted(&key)
    ));

    let fresh = work.path().join("fresh");
    let err = vmail::fails(&fresh, &["restore", arg(&dir)]);
    assert!(
        err.contains("two-factor key") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(std::fs::symlink_metadata(fresh.join(KEY_FILE)).is_err());
    assert!(!fresh.join("vpostmaster.db").exists());
    // The console refuses such a key the same way.
    assert!(SecretKey::load_or_create(&key).is_err());

    // Nor is anything but a plain file of the key's length read as one.
    vmail::does(&format!(
        "rm {0} && head -c 33 /dev/zero > {0}",
        vmail::quoted(&key)
    ));
    let err = vmail::fails(&fresh, &["restore", arg(&dir)]);
    assert!(err.contains("not a plain file of 32 bytes"), "{err}");
    vmail::does(&format!("rm {0} && mkfifo {0}", vmail::quoted(&key)));
    let err = vmail::fails(&fresh, &["restore", arg(&dir)]);
    assert!(err.contains("not a plain file of 32 bytes"), "{err}");

    // The database is read the same way.
    vmail::does(&format!("rm {}", vmail::quoted(&key)));
    let db = dir.join("vpostmaster.db");
    vmail::does(&format!(
        "mv {0} {0}.moved && ln -s {0}.moved {0}",
        vmail::quoted(&db)
    ));
    let err = vmail::fails(&fresh, &["restore", arg(&dir)]);
    assert!(
        err.contains("vpostmaster.db") && err.contains("symbolic link"),
        "{err}"
    );
    assert!(!fresh.join("vpostmaster.db").exists());
}

/// Runs `script` as the mail user in the background until it is done or the test ends.
struct Planter(std::process::Child);

impl Planter {
    fn start(script: &str) -> Planter {
        Planter(vmail::shell(script).spawn().expect("sh starts"))
    }
}

impl Drop for Planter {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

#[tokio::test]
async fn the_restored_key_swapped_for_a_link_gives_the_mail_user_nothing() {
    if support::database::skipped_on_postgres("the backup of the database file") {
        return;
    }
    let work = vmail::passable_dir();
    let data = mail_user_data(work.path(), 0);
    let dir = work.path().join("backup");
    vmail::ok(&data, &["backup", arg(&dir)]);
    // Without a key in the data directory, the first one to appear is the one restored.
    std::fs::remove_file(data.join(KEY_FILE)).unwrap();
    let secret = work.path().join("secret");
    std::fs::write(&secret, "root's alone").unwrap();
    std::fs::set_permissions(&secret, std::fs::Permissions::from_mode(0o600)).unwrap();
    let key = vmail::quoted(&data.join(KEY_FILE));
    let planter = Planter::start(&format!(
        "while :; do if [ -f {key} ] && [ ! -L {key} ]; then \
         mv {key} {key}.moved; ln -s {} {key}; exit 0; fi; done",
        vmail::quoted(&secret)
    ));

    vmail::ok(&data, &["restore", arg(&dir), "--replace"]);
    drop(planter);

    use std::os::unix::fs::MetadataExt;
    let meta = std::fs::metadata(&secret).unwrap();
    assert_eq!((meta.uid(), meta.gid()), (0, 0));
    assert_eq!(meta.permissions().mode() & 0o7777, 0o600);
    assert_eq!(std::fs::read_to_string(&secret).unwrap(), "root's alone");
}

#[tokio::test]
async fn restoring_mail_writes_nowhere_else_when_the_mail_user_swaps_the_mail_store() {
    if support::database::skipped_on_postgres("the backup of the database file") {
        return;
    }
    let work = vmail::passable_dir();
    let data = mail_user_data(work.path(), 1000);
    let dir = work.path().join("backup");
    vmail::ok(&data, &["backup", arg(&dir), "--mail"]);
    std::fs::remove_dir_all(data.join("mail")).unwrap();
    // The mail user's decoy leads the Maildir's path to a folder of root's laid out like it.
    let elsewhere = work.path().join("elsewhere");
    let (_, name) = MAILDIR.split_once('/').unwrap();
    std::fs::create_dir_all(elsewhere.join(name).join("cur")).unwrap();
    let decoy = work.path().join("decoy");
    std::fs::create_dir(&decoy).unwrap();
    std::os::unix::fs::symlink(&elsewhere, decoy.join("kept.test")).unwrap();
    vmail::give(&decoy);
    let mail = vmail::quoted(&data.join("mail"));
    // Once restore is under way in the new mail store, it becomes a link to the decoy.
    let planter = Planter::start(&format!(
        "while :; do if [ -d {mail} ] && [ ! -L {mail} ]; then sleep 0.1; \
         mv {mail} {mail}.moved; ln -s {} {mail}; exit 0; fi; done",
        vmail::quoted(&decoy)
    ));

    let out = vmail::run(&data, &["restore", arg(&dir), "--replace"]);
    drop(planter);

    let written: Vec<_> = std::fs::read_dir(elsewhere.join(name).join("cur"))
        .unwrap()
        .collect();
    assert!(
        written.is_empty(),
        "{} files written elsewhere",
        written.len()
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
