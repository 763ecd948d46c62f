use std::fs;
use std::os::unix::fs::{symlink, MetadataExt, PermissionsExt};
use std::time::{Duration, SystemTime};

use tempfile::TempDir;

use super::*;

const MAILDIR: &str = "alpha.test/jane.1764000000.0a1b2c3d/";

/// A store under a fresh temporary data directory, owned by whoever runs the tests.
fn store() -> (TempDir, MailStore) {
    let dir = TempDir::new().unwrap();
    // SAFETY: geteuid and getegid have no preconditions and cannot fail.
    let (uid, gid) = unsafe { (libc::geteuid(), libc::getegid()) };
    let owner = MailUser {
        name: "tester".into(),
        uid,
        gid,
    };
    let store = MailStore::open(dir.path(), owner).unwrap();
    (dir, store)
}

fn mode(path: &Path) -> u32 {
    fs::symlink_metadata(path).unwrap().mode() & 0o7777
}

fn message(subject: &str) -> String {
    format!("From: a@example.test\r\nSubject: {subject}\r\n\r\nHello.\r\n")
}

/// Every file under `dir`, as sorted (relative path, contents) pairs.
fn snapshot(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(path) = pending.pop() {
        for entry in fs::read_dir(&path).unwrap() {
            let entry = entry.unwrap();
            let kind = entry.file_type().unwrap();
            if kind.is_dir() {
                pending.push(entry.path());
            } else if kind.is_file() {
                let relative = entry.path().strip_prefix(dir).unwrap().to_owned();
                found.push((
                    relative.to_string_lossy().into_owned(),
                    fs::read(entry.path()).unwrap(),
                ));
            }
        }
    }
    found.sort();
    found
}

#[test]
fn maildir_values_are_checked_name_by_name() {
    assert_eq!(
        split_maildir(MAILDIR).unwrap(),
        ("alpha.test", "jane.1764000000.0a1b2c3d")
    );
    assert_eq!(
        split_maildir("alpha.test/j_o-e.1").unwrap(),
        ("alpha.test", "j_o-e.1")
    );
    let long = format!("alpha.test/{}", "a".repeat(256));
    let crafted = [
        "",
        "/",
        "alpha.test",
        "alpha.test/",
        "alpha.test//",
        "/etc/passwd",
        "/alpha.test/jane",
        "../jane",
        "alpha.test/..",
        "alpha.test/.",
        "alpha.test/../../etc",
        "alpha.test/jane/..",
        "alpha.test/jane/../../x",
        "alpha.test/a..b",
        "alpha.test/.hidden",
        "alpha.test/-option",
        "alpha.test/jane/cur",
        "alpha.test/ja\0ne",
        "alpha.test\0/jane",
        "alpha.test/ja ne",
        "alpha.test/ja\\ne",
        "alpha.test/Jane",
        "Alpha.test/jane",
        "localhost/jane",
        "..test/jane",
        "alpha..test/jane",
        "alpha.test/jané",
        &long,
    ];
    for maildir in crafted {
        assert!(
            matches!(split_maildir(maildir), Err(StoreError::Invalid(_))),
            "{maildir:?} must be refused"
        );
    }
    let overlong = format!("{}.test/a", "a".repeat(600));
    assert!(split_maildir(&overlong).is_err());
}

#[test]
fn new_maildirs_are_valid_and_unique() {
    let first = new_maildir("alpha.test", "jane.doe", 1_764_000_000).unwrap();
    let second = new_maildir("alpha.test", "jane.doe", 1_764_000_000).unwrap();
    assert!(
        first.starts_with("alpha.test/jane.doe.1764000000."),
        "{first}"
    );
    assert!(first.ends_with('/'));
    assert_ne!(first, second, "the random part tells them apart");
    assert!(new_maildir("alpha.test", "../x", 1).is_err());
    assert!(new_maildir("alpha.test/..", "x", 1).is_err());
}

#[test]
fn create_makes_the_three_folders_private_and_refuses_twice() {
    let (_dir, store) = store();
    let path = store.create(MAILDIR).unwrap();
    assert_eq!(path, store.path_of(MAILDIR).unwrap());
    assert!(path.starts_with(store.root()));
    assert_eq!(mode(&path), 0o700);
    for sub in MAILDIR_SUBDIRS {
        assert_eq!(mode(&path.join(sub)), 0o700, "{sub}");
    }
    assert_eq!(mode(path.parent().unwrap()), 0o700, "the domain folder");
    assert!(store.exists(MAILDIR));
    fs::write(path.join("new/1.M1.host"), message("kept")).unwrap();
    assert!(matches!(store.create(MAILDIR), Err(StoreError::Exists(_))));
    assert!(path.join("new/1.M1.host").exists(), "nothing was touched");
}

#[test]
fn remove_deletes_the_maildir_and_only_it() {
    let (_dir, store) = store();
    let path = store.create(MAILDIR).unwrap();
    let other = store.create("alpha.test/john.1.00000000").unwrap();
    fs::write(path.join("cur/1.M1.host:2,S"), message("gone")).unwrap();
    let outside = TempDir::new().unwrap();
    fs::write(outside.path().join("precious"), "keep").unwrap();
    symlink(outside.path(), path.join("link-out")).unwrap();
    assert!(store.remove(MAILDIR).unwrap());
    assert!(!path.exists());
    assert!(other.exists());
    assert!(
        outside.path().join("precious").exists(),
        "symlinks are not followed"
    );
    assert!(!store.remove(MAILDIR).unwrap(), "already gone");
}

/// A mail-user process swapping the domain folder for a symlink to elsewhere while a purge
/// runs: the removal takes the real Maildir or nothing, never the one the symlink points to.
#[test]
fn a_domain_folder_swapped_for_a_symlink_mid_removal_leads_nowhere() {
    let outside = TempDir::new().unwrap();
    let decoy = outside
        .path()
        .join(MAILDIR.trim_end_matches('/').split('/').nth(1).unwrap());
    for _ in 0..200 {
        let (_dir, store) = store();
        store.create(MAILDIR).unwrap();
        fs::create_dir_all(decoy.join("cur")).unwrap();
        fs::write(decoy.join("cur/precious"), "keep").unwrap();
        let domain = store.root().join("alpha.test");
        let moved = store.root().join("alpha.moved");
        let swapper = {
            let (domain, moved, target) =
                (domain.clone(), moved.clone(), outside.path().to_owned());
            std::thread::spawn(move || {
                fs::rename(&domain, &moved).unwrap();
                symlink(&target, &domain).unwrap();
            })
        };
        let _ = store.remove(MAILDIR);
        swapper.join().unwrap();
        assert!(
            decoy.join("cur/precious").exists(),
            "the symlink was followed"
        );
    }
}

/// A mail-user process swapping a folder the store has just made for a symlink: the folder's
/// mode and owner are set on the folder made, never on the symlink's target.
#[test]
fn a_new_folder_swapped_for_a_symlink_gets_its_mode_not_the_target() {
    use std::sync::atomic::{AtomicBool, Ordering};
    use std::sync::Arc;
    let outside = TempDir::new().unwrap();
    fs::set_permissions(outside.path(), fs::Permissions::from_mode(0o755)).unwrap();
    for _ in 0..200 {
        let (_dir, store) = store();
        let done = Arc::new(AtomicBool::new(false));
        let swapper = {
            let domain = store.root().join("alpha.test");
            let moved = store.root().join("alpha.moved");
            let (target, done) = (outside.path().to_owned(), done.clone());
            std::thread::spawn(move || {
                while fs::symlink_metadata(&domain).is_err() {
                    if done.load(Ordering::Relaxed) {
                        return;
                    }
                }
                // The store may make the folder again meanwhile: then there is no link.
                if fs::rename(&domain, &moved).is_ok() {
                    let _ = symlink(&target, &domain);
                }
            })
        };
        let _ = store.ensure(MAILDIR);
        done.store(true, Ordering::Relaxed);
        swapper.join().unwrap();
        assert_eq!(mode(outside.path()), 0o755, "the symlink was followed");
    }
}

#[test]
fn crafted_names_never_reach_outside_the_root() {
    let (dir, store) = store();
    let victim = dir.path().join("victim");
    fs::create_dir(&victim).unwrap();
    fs::write(victim.join("file"), "keep").unwrap();
    for crafted in [
        "../victim",
        "alpha.test/../../victim",
        "/tmp",
        "alpha.test/..",
        "alpha.test/x\0/../../victim",
    ] {
        assert!(store.create(crafted).is_err(), "{crafted:?}");
        assert!(store.remove(crafted).is_err(), "{crafted:?}");
        assert!(store.rebuild(crafted, "jane@alpha.test").is_err());
        assert!(store.ensure(crafted).is_err());
    }
    // A domain folder planted as a symlink to elsewhere is refused, not followed.
    symlink(&victim, store.root().join("beta.test")).unwrap();
    assert!(store.create("beta.test/jane.1.00000000").is_err());
    assert!(store.ensure("beta.test/jane.1.00000000").is_err());
    assert!(!victim.join("jane.1.00000000").exists());
    // So is a Maildir planted as a symlink.
    fs::create_dir(store.root().join("alpha.test")).unwrap();
    symlink(&victim, store.root().join("alpha.test/evil.1.00000000")).unwrap();
    assert!(store.remove("alpha.test/evil.1.00000000").is_err());
    assert!(store
        .rebuild("alpha.test/evil.1.00000000", "e@alpha.test")
        .is_err());
    assert!(store.measure("alpha.test/evil.1.00000000").is_err());
    assert!(!store.exists("alpha.test/evil.1.00000000"));
    assert_eq!(fs::read_to_string(victim.join("file")).unwrap(), "keep");
    assert_eq!(fs::read_dir(&victim).unwrap().count(), 1);
}

#[test]
fn reconcile_creates_what_is_missing_and_only_reports_strays() {
    let (_dir, store) = store();
    let live = "alpha.test/jane.1.00000001/".to_owned();
    let deleted = "alpha.test/old.1.00000002/".to_owned();
    let partial = "beta.test/bob.1.00000003/".to_owned();
    store.create(&deleted).unwrap();
    let bob = store.create(&partial).unwrap();
    fs::remove_dir(bob.join("tmp")).unwrap();
    let stray = store.create("alpha.test/stray.1.00000004").unwrap();
    fs::write(stray.join("new/1.M1.host"), message("mine")).unwrap();
    let known = vec![live.clone(), deleted.clone(), partial.clone()];
    let report = store.ensure_all(&[live.clone(), partial.clone()]);
    assert_eq!(
        report.created,
        vec![
            "alpha.test/jane.1.00000001".to_owned(),
            "beta.test/bob.1.00000003".to_owned()
        ]
    );
    assert_eq!(
        super::orphans(store.on_disk(), &known),
        vec!["alpha.test/stray.1.00000004".to_owned()]
    );
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(store.exists(&live) && bob.join("tmp").is_dir());
    assert!(stray.join("new/1.M1.host").exists(), "strays are kept");
    let again = store.ensure_all(&[live, partial]);
    assert!(again.created.is_empty());
    let bad = store.ensure_all(&["../../etc".to_owned()]);
    assert_eq!(bad.problems.len(), 1);
}

#[test]
fn rebuild_repairs_and_keeps_every_message() {
    let (_dir, store) = store();
    let path = store.create(MAILDIR).unwrap();
    fs::create_dir_all(path.join(".Sent/cur")).unwrap();
    let messages = [
        "cur/1700000001.M1P1.host:2,S",
        "new/1700000002.M2P1.host",
        ".Sent/cur/1700000003.M3P1.host:2,S",
    ];
    for (i, name) in messages.iter().enumerate() {
        fs::write(path.join(name), message(&format!("m{i}"))).unwrap();
    }
    let (count, bytes) = store.measure(MAILDIR).unwrap();
    assert_eq!(count, 3);
    // Breakages: cur/ of the inbox gone (its message moved to new/ first, as a manual
    // repair would), a stray document, a picture and a folder in cur/, an empty file in
    // new/, a stale and a fresh file in tmp/, index, cache and lock files, loose modes.
    fs::rename(
        path.join("cur/1700000001.M1P1.host:2,S"),
        path.join("new/1700000001.M1P1.host:2,S"),
    )
    .unwrap();
    fs::remove_dir(path.join("cur")).unwrap();
    fs::write(path.join(".Sent/cur/notes.txt"), "Meeting at ten").unwrap();
    fs::write(path.join(".Sent/cur/photo.png"), b"\x89PNG\r\n\x1a\n").unwrap();
    fs::create_dir(path.join(".Sent/cur/subfolder")).unwrap();
    fs::write(path.join("new/empty"), "").unwrap();
    let stale = path.join("tmp/1600000000.M9P9.host");
    fs::write(&stale, "partial delivery").unwrap();
    fs::File::options()
        .write(true)
        .open(&stale)
        .unwrap()
        .set_modified(SystemTime::now() - Duration::from_secs(37 * 3600))
        .unwrap();
    let fresh = path.join("tmp/1764000000.M8P8.host");
    fs::write(&fresh, "delivery in progress").unwrap();
    for name in [
        "dovecot.index",
        "dovecot.index.cache",
        "dovecot.index.log",
        "dovecot-uidlist.lock",
        "dovecot.list.index.log",
        ".Sent/dovecot.index.cache",
    ] {
        fs::write(path.join(name), b"\0garbage\xff").unwrap();
    }
    fs::write(path.join("dovecot-uidlist"), "3 V1 N4\n").unwrap();
    fs::set_permissions(
        path.join("new/1700000002.M2P1.host"),
        fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    fs::set_permissions(path.join("new"), fs::Permissions::from_mode(0o755)).unwrap();

    let report = store.rebuild(MAILDIR, "jane@alpha.test").unwrap();

    assert_eq!(
        report.folders_created,
        vec![
            "cur".to_owned(),
            ".Sent/new".to_owned(),
            ".Sent/tmp".to_owned()
        ]
    );
    assert_eq!((report.message_count, report.mailbox_bytes), (count, bytes));
    assert_eq!(store.measure(MAILDIR).unwrap(), (count, bytes));
    for name in [
        "new/1700000001.M1P1.host:2,S",
        "new/1700000002.M2P1.host",
        ".Sent/cur/1700000003.M3P1.host:2,S",
    ] {
        assert!(path.join(name).is_file(), "{name} is still there");
    }
    assert_eq!(report.quarantined.len(), 4, "{:?}", report.quarantined);
    let quarantine = fs::read_dir(path.join(QUARANTINE))
        .unwrap()
        .next()
        .unwrap()
        .unwrap()
        .path();
    assert_eq!(
        fs::read_to_string(quarantine.join(".Sent/cur/notes.txt")).unwrap(),
        "Meeting at ten"
    );
    assert!(quarantine.join(".Sent/cur/photo.png").is_file());
    assert!(quarantine.join(".Sent/cur/subfolder").is_dir());
    assert!(quarantine.join("new/empty").is_file());
    assert_eq!(
        report.stale_tmp_removed,
        vec!["tmp/1600000000.M9P9.host".to_owned()]
    );
    assert!(!stale.exists() && fresh.exists());
    assert_eq!(
        report.index_files_removed.len(),
        6,
        "{:?}",
        report.index_files_removed
    );
    assert!(!path.join("dovecot.index").exists());
    assert!(
        path.join("dovecot-uidlist").exists(),
        "message ids are kept"
    );
    assert_eq!(mode(&path.join("new/1700000002.M2P1.host")), 0o600);
    assert_eq!(mode(&path.join("new")), 0o700);
    assert!(report.modes_fixed >= 2);
    assert_eq!(report.resync, Resync::NotConfigured);
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    assert!(report
        .lines()
        .iter()
        .any(|line| line.contains("3 messages")));

    let again = store.rebuild(MAILDIR, "jane@alpha.test").unwrap();
    assert!(again.folders_created.is_empty() && again.quarantined.is_empty());
    assert_eq!((again.owners_fixed, again.modes_fixed), (0, 0));
    assert_eq!(again.message_count, count);
}

#[test]
fn rebuild_replaces_a_file_in_place_of_a_folder_and_recreates_a_lost_maildir() {
    let (_dir, store) = store();
    let path = store.create(MAILDIR).unwrap();
    fs::remove_dir(path.join("tmp")).unwrap();
    fs::write(path.join("tmp"), "not a folder").unwrap();
    let report = store.rebuild(MAILDIR, "jane@alpha.test").unwrap();
    assert_eq!(report.folders_created, vec!["tmp".to_owned()]);
    assert_eq!(report.quarantined.len(), 1);
    assert!(path.join("tmp").is_dir());

    let before = snapshot(&path);
    fs::remove_dir_all(&path).unwrap();
    let report = store.rebuild(MAILDIR, "jane@alpha.test").unwrap();
    assert_eq!(report.message_count, 0);
    assert!(path.join("cur").is_dir());
    assert!(!before.is_empty());
}

#[test]
fn rebuild_gives_files_back_to_the_mail_user_when_root() {
    if !is_root() {
        return;
    }
    let (_dir, store) = store();
    let path = store.create(MAILDIR).unwrap();
    let file = path.join("cur/1700000001.M1P1.host:2,S");
    fs::write(&file, message("owned elsewhere")).unwrap();
    std::os::unix::fs::lchown(&file, Some(4242), Some(4242)).unwrap();
    std::os::unix::fs::lchown(path.join("new"), Some(4242), Some(4242)).unwrap();
    let report = store.rebuild(MAILDIR, "jane@alpha.test").unwrap();
    assert_eq!(report.owners_fixed, 2);
    let meta = fs::metadata(&file).unwrap();
    assert_eq!(
        (meta.uid(), meta.gid()),
        (store.owner().uid, store.owner().gid)
    );
    assert_eq!(report.message_count, 1);
}

#[test]
fn rebuild_never_follows_a_symlink_out_of_the_maildir() {
    let (dir, store) = store();
    let path = store.create(MAILDIR).unwrap();
    let outside = dir.path().join("outside.txt");
    fs::write(&outside, "From: not yours\r\n").unwrap();
    fs::set_permissions(&outside, fs::Permissions::from_mode(0o644)).unwrap();
    if is_root() {
        std::os::unix::fs::lchown(&outside, Some(4242), Some(4242)).unwrap();
    }
    let before = fs::metadata(&outside).unwrap();
    symlink(&outside, path.join("cur/1700000001.M1P1.host:2,S")).unwrap();
    symlink(dir.path(), path.join("linked-folder")).unwrap();
    let report = store.rebuild(MAILDIR, "jane@alpha.test").unwrap();
    assert_eq!(report.quarantined.len(), 1, "{report:?}");
    assert_eq!(report.message_count, 0);
    let after = fs::metadata(&outside).unwrap();
    assert_eq!(
        (after.uid(), after.gid(), after.mode()),
        (before.uid(), before.gid(), before.mode())
    );
    assert_eq!(fs::read_to_string(&outside).unwrap(), "From: not yours\r\n");
}

#[test]
fn the_database_goes_to_the_mail_user_when_root() {
    let (dir, store) = store();
    fs::write(dir.path().join("vpostmaster.db"), "").unwrap();
    store
        .hand_over_database(dir.path(), "vpostmaster.db")
        .unwrap();
    let meta = fs::metadata(dir.path().join("vpostmaster.db")).unwrap();
    assert_eq!(meta.uid(), store.owner().uid);
}

const QUARANTINE: &str = rebuild::QUARANTINE_DIR;
