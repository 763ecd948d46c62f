//! `vpostmaster check`, run as the real binary against deployments laid out in temp dirs, with
//! stand-ins for Dovecot's socket and Postfix's port: no system Dovecot or Postfix is needed.

use std::net::TcpListener;
use std::os::unix::fs::PermissionsExt;
use std::os::unix::net::UnixListener;
use std::path::PathBuf;
use std::process::{Command, Output};

use tempfile::TempDir;

/// A deployment in a temp dir: the data directory, Dovecot's and Postfix's configuration
/// directories and Postfix's queue.
struct Deployment {
    dir: TempDir,
}

impl Deployment {
    /// A data directory made by the console, and empty configuration directories.
    fn new() -> Self {
        let deployment = Deployment {
            dir: TempDir::new().unwrap(),
        };
        for dir in ["dovecot", "postfix", "queue/private"] {
            std::fs::create_dir_all(deployment.path(dir)).unwrap();
        }
        let out = deployment.run(&["domain", "list"], &[]);
        assert!(out.status.success(), "{}", stderr(&out));
        deployment
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    fn data(&self) -> PathBuf {
        self.path("data")
    }

    /// The flags that place Dovecot's files and sockets in this deployment.
    fn dovecot_places(&self) -> Vec<String> {
        self.flags(&[
            ("--sql-conf", "dovecot/vpostmaster-sql.conf.ext"),
            ("--postfix-queue", "queue"),
        ])
    }

    /// The flags that place Postfix's files in this deployment.
    fn postfix_places(&self) -> Vec<String> {
        self.flags(&[
            ("--tables-dir", "postfix"),
            ("--postfix-main-cf", "postfix/main.cf"),
        ])
    }

    /// `--flag PATH` for each flag and name in this deployment.
    fn flags(&self, places: &[(&str, &str)]) -> Vec<String> {
        places
            .iter()
            .flat_map(|(flag, name)| [flag.to_string(), self.path(name).display().to_string()])
            .collect()
    }

    /// Runs `vpostmaster --data-dir DATA ARGS… EXTRA…` as the mail user's owner.
    fn run(&self, args: &[&str], extra: &[String]) -> Output {
        Command::new(env!("CARGO_BIN_EXE_vpostmaster"))
            .arg("--data-dir")
            .arg(self.data())
            .arg("--dovecot-conf")
            .arg(self.path("dovecot/dovecot.conf"))
            .args(args)
            .args(extra)
            .env_remove("VPM_DATA_DIR")
            .env_remove("VPM_DOVECOT_CONF")
            .env("VPM_MAIL_USER", mail_user())
            .output()
            .expect("vpostmaster runs")
    }

    /// Every file the config commands write, where the flags place them, as the README has
    /// the operator do; and a main.cf with Debian's own settings around the console's.
    fn configure(&self) {
        for (command, places) in [
            ("dovecot-config", self.dovecot_places()),
            ("postfix-config", self.flags(&[("--tables-dir", "postfix")])),
        ] {
            let out = self.run(&[command, "--write"], &places);
            assert!(out.status.success(), "{command}: {}", stderr(&out));
        }
        let settings = self.run(
            &["postfix-config"],
            &self.flags(&[("--tables-dir", "postfix")]),
        );
        let main_cf = format!(
            "myhostname = mx.example.test\n{}\ninet_protocols = all\n",
            String::from_utf8_lossy(&settings.stdout)
        );
        std::fs::write(self.path("postfix/main.cf"), main_cf).unwrap();
    }

    /// Runs `check` with this deployment's places and `extra` flags; its lines and status.
    fn check(&self, extra: &[&str]) -> (String, Output) {
        let mut flags = self.dovecot_places();
        flags.extend(self.postfix_places());
        flags.extend(extra.iter().map(|flag| flag.to_string()));
        let out = self.run(&["check"], &flags);
        (String::from_utf8_lossy(&out.stdout).into_owned(), out)
    }
}

/// The user running the tests owns the mail, so that no system user is needed here.
fn mail_user() -> String {
    app::ssr::storage::mailstore::MailUser::current().name
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// The one line of `report` that starts with `status` and holds `text`.
fn line<'a>(report: &'a str, status: &str, text: &str) -> &'a str {
    let found: Vec<&str> = report
        .lines()
        .filter(|line| line.starts_with(status) && line.contains(text))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "one {status} line with {text:?} in:\n{report}"
    );
    found[0]
}

/// A local port that nothing listens on.
fn closed_port() -> String {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    drop(listener);
    addr.to_string()
}

#[test]
fn a_data_directory_made_by_the_console_passes_its_checks() {
    let deployment = Deployment::new();
    let (report, _) = deployment.check(&["--smtp", &closed_port()]);
    let data = deployment.data();
    line(
        &report,
        "OK ",
        &format!("data directory {}: mode 0710", data.display()),
    );
    line(
        &report,
        "OK ",
        &format!(
            "database {}: mode 0640",
            data.join("vpostmaster.db").display()
        ),
    );
    line(&report, "OK ", "database schema of");
    line(&report, "OK ", "the mail user (");
    assert!(
        report
            .lines()
            .all(|line| line.starts_with("OK       ") || line.starts_with("PROBLEM  ")),
        "{report}"
    );
}

#[test]
fn a_database_others_can_read_is_a_problem_naming_the_mode_and_the_fix() {
    let deployment = Deployment::new();
    let db = deployment.data().join("vpostmaster.db");
    std::fs::set_permissions(&db, std::fs::Permissions::from_mode(0o644)).unwrap();
    let (report, out) = deployment.check(&["--smtp", &closed_port()]);
    let problem = line(&report, "PROBLEM", &format!("database {}:", db.display()));
    assert!(
        problem.contains(&format!(
            "mode 0644, should be 0640: chmod 0640 {}",
            db.display()
        )),
        "{problem}"
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("problems found"), "{}", stderr(&out));
    // The check only looks: the mode is left for the operator to fix.
    let mode = std::fs::metadata(&db).unwrap().permissions().mode() & 0o7777;
    assert_eq!(mode, 0o644);
}

#[test]
fn files_written_by_the_config_commands_compare_ok_and_an_edited_one_differs() {
    let deployment = Deployment::new();
    deployment.configure();
    let (report, _) = deployment.check(&["--smtp", &closed_port()]);
    for (name, access) in [
        ("dovecot/dovecot.conf", "owner root:root, mode 0644"),
        (
            "dovecot/vpostmaster-sql.conf.ext",
            "owner root:root, mode 0600",
        ),
        ("dovecot/vpostmaster-dict.conf.ext", "owner root, mode 0600"),
        (
            "postfix/vpostmaster-domains.cf",
            "owner root:postfix, mode 0640",
        ),
        (
            "postfix/vpostmaster-mailboxes.cf",
            "owner root:postfix, mode 0640",
        ),
        (
            "postfix/vpostmaster-aliases.cf",
            "owner root:postfix, mode 0640",
        ),
    ] {
        line(
            &report,
            "OK ",
            &format!(
                "{} is what vpostmaster writes, {access}",
                deployment.path(name).display()
            ),
        );
    }
    line(&report, "OK ", "main.cf has the settings");

    let sql = deployment.path("dovecot/vpostmaster-sql.conf.ext");
    let edited = std::fs::read_to_string(&sql).unwrap() + "# edited by hand\n";
    std::fs::write(&sql, edited).unwrap();
    let main_cf = deployment.path("postfix/main.cf");
    let edited = std::fs::read_to_string(&main_cf).unwrap().replace(
        "virtual_transport = lmtp:unix:private/dovecot-lmtp",
        "virtual_transport = virtual",
    );
    std::fs::write(&main_cf, edited).unwrap();
    std::fs::remove_file(deployment.path("postfix/vpostmaster-aliases.cf")).unwrap();
    // A table others may read: on PostgreSQL it holds the database's password.
    let domains = deployment.path("postfix/vpostmaster-domains.cf");
    std::fs::set_permissions(&domains, std::fs::Permissions::from_mode(0o644)).unwrap();

    let (report, out) = deployment.check(&["--smtp", &closed_port()]);
    line(
        &report,
        "PROBLEM",
        &format!(
            "{} differs from what vpostmaster writes; write it again with: \
             vpostmaster dovecot-config --write --replace",
            sql.display()
        ),
    );
    line(
        &report,
        "PROBLEM",
        &format!(
            "{} differs from what vpostmaster would print in virtual_transport;",
            main_cf.display()
        ),
    );
    line(
        &report,
        "PROBLEM",
        "vpostmaster-aliases.cf is missing; write it with: vpostmaster postfix-config --write",
    );
    line(
        &report,
        "PROBLEM",
        &format!(
            "{} has owner 0:{} and mode 0644; Postfix's lookups, as group postfix, reads it, so \
             it must be root:postfix",
            domains.display(),
            postfix_gid()
        ),
    );
    line(&report, "OK ", "dovecot.conf is what vpostmaster writes");
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn writing_over_a_file_that_differs_needs_replace_and_keeps_the_old_one() {
    let deployment = Deployment::new();
    let conf = deployment.path("dovecot/dovecot.conf");
    std::fs::write(&conf, "# Debian's own\n").unwrap();
    let out = deployment.run(&["dovecot-config", "--write"], &deployment.dovecot_places());
    assert!(!out.status.success());
    assert!(
        stderr(&out).contains("already there with other text: give --replace"),
        "{}",
        stderr(&out)
    );
    assert_eq!(std::fs::read_to_string(&conf).unwrap(), "# Debian's own\n");
    assert!(
        !deployment.path("dovecot/vpostmaster-sql.conf.ext").exists(),
        "nothing is written when one file is refused"
    );

    let out = deployment.run(
        &["dovecot-config", "--write", "--replace"],
        &deployment.dovecot_places(),
    );
    assert!(out.status.success(), "{}", stderr(&out));
    let kept: Vec<_> = std::fs::read_dir(deployment.path("dovecot"))
        .unwrap()
        .flatten()
        .filter(|entry| {
            entry
                .file_name()
                .to_string_lossy()
                .starts_with("dovecot.conf.before-vpostmaster-")
        })
        .collect();
    assert_eq!(kept.len(), 1, "{}", String::from_utf8_lossy(&out.stdout));
    assert_eq!(
        std::fs::read_to_string(kept[0].path()).unwrap(),
        "# Debian's own\n"
    );
    assert!(std::fs::read_to_string(&conf)
        .unwrap()
        .contains("protocols = imap pop3 lmtp"));

    // Written again with nothing changed: the same files, and nothing more kept aside.
    let out = deployment.run(&["dovecot-config", "--write"], &deployment.dovecot_places());
    assert!(out.status.success(), "{}", stderr(&out));
    assert!(String::from_utf8_lossy(&out.stdout).contains("was already right"));
    assert_eq!(
        std::fs::read_dir(deployment.path("dovecot"))
            .unwrap()
            .count(),
        4
    );
}

/// A stand-in server that greets every connection with `greeting`, as LMTP and SMTP do.
fn greeter<L: Send + 'static, S: std::io::Write + 'static>(
    listener: L,
    accept: fn(&L) -> std::io::Result<S>,
    greeting: &'static str,
) {
    std::thread::spawn(move || {
        while let Ok(mut stream) = accept(&listener) {
            let _ = stream.write_all(greeting.as_bytes());
        }
    });
}

fn postfix_gid() -> u32 {
    app::ssr::storage::mailstore::MailUser::resolve("postfix", None, None)
        .expect("Postfix is installed")
        .gid
}

#[test]
fn servers_that_do_not_answer_are_reported_and_fail_the_check() {
    let deployment = Deployment::new();
    deployment.configure();
    // Dovecot's LMTP, as Postfix reaches it: a socket of the user postfix that greets.
    let lmtp = deployment.path("queue/private/dovecot-lmtp");
    let listener = UnixListener::bind(&lmtp).unwrap();
    std::os::unix::fs::chown(&lmtp, Some(postfix_uid()), None).unwrap();
    greeter(
        listener,
        |l| l.accept().map(|(s, _)| s),
        "220 LMTP ready\r\n",
    );
    let smtp = TcpListener::bind("127.0.0.1:0").unwrap();
    let smtp_addr = smtp.local_addr().unwrap().to_string();
    greeter(smtp, |l| l.accept().map(|(s, _)| s), "220 mx ESMTP\r\n");
    let (report, _) = deployment.check(&["--smtp", &smtp_addr]);
    line(
        &report,
        "OK ",
        &format!("Dovecot's LMTP answers to postfix at {}", lmtp.display()),
    );
    line(&report, "OK ", "Postfix's SMTP answers at 127.0.0.1:");
    line(&report, "PROBLEM", "Dovecot's quota-status at");
    line(&report, "PROBLEM", "Dovecot's dict service at");

    // A socket Postfix may not open answers root, but not Postfix.
    std::os::unix::fs::chown(&lmtp, Some(0), None).unwrap();
    std::fs::set_permissions(&lmtp, std::fs::Permissions::from_mode(0o600)).unwrap();
    let closed = closed_port();
    let (report, out) = deployment.check(&["--smtp", &closed]);
    let problem = line(&report, "PROBLEM", "Dovecot's LMTP at");
    assert!(
        problem.contains("to postfix: does not answer (Permission denied"),
        "{problem}"
    );
    line(
        &report,
        "PROBLEM",
        &format!("Postfix's SMTP does not answer at {closed}"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
}

fn postfix_uid() -> u32 {
    app::ssr::storage::mailstore::MailUser::resolve("postfix", None, None)
        .expect("Postfix is installed")
        .uid
}

#[test]
fn a_directory_above_the_data_that_the_mail_user_cannot_pass_is_named() {
    let deployment = Deployment::new();
    // Temp dirs are private to their maker; only the directory made below is to be named.
    std::fs::set_permissions(
        deployment.dir.path(),
        std::fs::Permissions::from_mode(0o755),
    )
    .unwrap();
    let locked = deployment.path("locked");
    std::fs::create_dir(&locked).unwrap();
    std::fs::set_permissions(&locked, std::fs::Permissions::from_mode(0o700)).unwrap();
    let data = locked.join("data");
    let out = Command::new(env!("CARGO_BIN_EXE_vpostmaster"))
        .args(["check", "--smtp", &closed_port()])
        .arg("--data-dir")
        .arg(&data)
        .args(["--mail-uid", "65534", "--mail-gid", "65534"])
        .env_remove("VPM_DATA_DIR")
        .env("VPM_MAIL_USER", "no-such-user-vpm")
        .output()
        .unwrap();
    let report = String::from_utf8_lossy(&out.stdout);
    let blocked = format!("cannot pass {0}: chmod o+x {0}", locked.display());
    assert!(
        report
            .lines()
            .any(|line| line.starts_with("PROBLEM  the mail user (") && line.ends_with(&blocked)),
        "{report}"
    );
    line(
        &report,
        "PROBLEM",
        &format!("data directory {}: missing", data.display()),
    );
    assert!(!data.exists(), "the check creates nothing");
}

#[test]
fn a_setting_the_config_commands_refuse_is_one_problem_line() {
    let deployment = Deployment::new();
    let (report, _) = deployment.check(&["--sendmail-path", "sendmail", "--smtp", &closed_port()]);
    line(
        &report,
        "PROBLEM",
        "Dovecot's files: sendmail cannot be written into the mail server's configuration",
    );
    assert!(!report.contains("\n\n"), "{report}");
}
