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

    /// Writes what a config command prints to `name`, as the README has the operator do.
    fn save(&self, args: &[&str], name: &str) {
        let places = match args[0] {
            "dovecot-config" => self.dovecot_places(),
            _ => self.flags(&[("--tables-dir", "postfix")]),
        };
        let out = self.run(args, &places);
        assert!(out.status.success(), "{args:?}: {}", stderr(&out));
        std::fs::write(self.path(name), &out.stdout).unwrap();
    }

    /// Every file the config commands print, saved where the flags place them, and a main.cf
    /// with Debian's own settings around the console's.
    fn configure(&self) {
        self.save(&["dovecot-config"], "dovecot/dovecot.conf");
        self.save(
            &["dovecot-config", "--sql"],
            "dovecot/vpostmaster-sql.conf.ext",
        );
        self.save(
            &["dovecot-config", "--dict"],
            "dovecot/vpostmaster-dict.conf.ext",
        );
        for table in ["domains", "mailboxes", "aliases"] {
            self.save(
                &["postfix-config", "--table", table],
                &format!("postfix/vpostmaster-{table}.cf"),
            );
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
    app::ssr::mailstore::MailUser::current().name
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
fn files_saved_from_the_config_commands_compare_ok_and_an_edited_one_differs() {
    let deployment = Deployment::new();
    deployment.configure();
    let (report, _) = deployment.check(&["--smtp", &closed_port()]);
    for name in [
        "dovecot/dovecot.conf",
        "dovecot/vpostmaster-sql.conf.ext",
        "dovecot/vpostmaster-dict.conf.ext",
        "postfix/vpostmaster-domains.cf",
        "postfix/vpostmaster-mailboxes.cf",
        "postfix/vpostmaster-aliases.cf",
    ] {
        line(
            &report,
            "OK ",
            &format!("{} is what `vpostmaster", deployment.path(name).display()),
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

    let (report, out) = deployment.check(&["--smtp", &closed_port()]);
    line(
        &report,
        "PROBLEM",
        &format!(
            "{0} differs from what vpostmaster would print; print it again with: \
             vpostmaster dovecot-config --sql > {0}",
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
        "vpostmaster-aliases.cf is missing; write it with: vpostmaster postfix-config --table aliases >",
    );
    line(
        &report,
        "OK ",
        "dovecot.conf is what `vpostmaster dovecot-config` prints",
    );
    assert_eq!(out.status.code(), Some(1));
}

#[test]
fn servers_that_do_not_answer_are_reported_and_fail_the_check() {
    let deployment = Deployment::new();
    deployment.configure();
    let lmtp = deployment.path("queue/private/dovecot-lmtp");
    let _lmtp = UnixListener::bind(&lmtp).unwrap();
    let smtp = TcpListener::bind("127.0.0.1:0").unwrap();
    let (report, _) = deployment.check(&["--smtp", &smtp.local_addr().unwrap().to_string()]);
    line(
        &report,
        "OK ",
        &format!("Dovecot's LMTP answers at {}", lmtp.display()),
    );
    line(&report, "OK ", "Postfix's SMTP answers at 127.0.0.1:");
    line(
        &report,
        "PROBLEM",
        "Dovecot's quota-status does not answer at",
    );

    let closed = closed_port();
    let (report, out) = deployment.check(&["--smtp", &closed]);
    line(
        &report,
        "PROBLEM",
        &format!("Postfix's SMTP does not answer at {closed}"),
    );
    assert_eq!(out.status.code(), Some(1));
    assert_eq!(stderr(&out).lines().count(), 1, "{}", stderr(&out));
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
        "dovecot.conf: sendmail cannot be written into the mail server's configuration",
    );
    assert!(!report.contains("\n\n"), "{report}");
}
