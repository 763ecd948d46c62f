//! The README's mail-server set-up, run as written, delivers mail.
//!
//! The commands are read out of README.md's "Mail server" section each time, so an edit there is
//! what this test runs. They run as root in a private root: mount and network namespaces of
//! their own, where the system's paths (`/etc/dovecot`, `/etc/postfix`, Postfix's queue,
//! `/srv`, ...) are private directories and the standard ports are on a private loopback. Only
//! what must differ there is substituted, each in [`substitute`]: the packages are already
//! installed, so Debian's "Internet Site" configuration is made the way its installer makes it,
//! and the services start without systemd. Then mail goes in by SMTP and comes out by POP3 and
//! IMAP, through an alias, against a full mailbox, with usage and an auto-reply; and `check`
//! says so, `--deliver` included.

mod support;

use std::fs::File;
use std::net::SocketAddr;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use support::dovecot::{Imap, Pop3, PATIENCE};
use tempfile::TempDir;

/// The system paths that the set-up writes, each replaced by a private directory; the first
/// ones start as copies of the installed packages' files.
const PRIVATE: [(&str, bool); 9] = [
    ("/etc/dovecot", true),
    ("/etc/postfix", true),
    ("/var/spool/postfix", false),
    ("/var/lib/postfix", false),
    ("/var/lib/dovecot", false),
    ("/run/dovecot", false),
    ("/srv", false),
    ("/var/log", false),
    ("/var/mail", false),
];

/// Where the README puts the console's data.
const DATA_DIR: &str = "/srv/vpostmaster/data";
const PASSWORD: &str = "Xk4#pq9!zz";

/// README.md's first `sh` block after the heading that starts with `## Mail server`, one
/// command per line (continuation lines joined).
fn readme_commands() -> Vec<String> {
    let readme = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../README.md"))
        .expect("README.md is readable");
    let section = readme
        .split("\n## ")
        .find(|section| section.starts_with("Mail server"))
        .expect("README.md has a \"Mail server\" section");
    let block = section
        .split_once("```sh\n")
        .and_then(|(_, rest)| rest.split_once("\n```"))
        .expect("the \"Mail server\" section has an sh block")
        .0;
    block
        .replace("\\\n", " ")
        .lines()
        .map(str::to_owned)
        .collect()
}

/// What must differ in the private root, line by line: `None` drops a line, `Some` runs the
/// line given (the same line, most of the time).
fn substitute(line: &str, postfix_setup: &str) -> Option<String> {
    // Debian's installer answers: the packages are installed already (`make test` installs them
    // unconfigured), so the configuration it would make is made here instead.
    if line.contains("debconf-set-selections") {
        return None;
    }
    if line.contains("apt-get install") {
        return Some(postfix_setup.to_owned());
    }
    // The mail user is the system's own (users are not private): made as written if it is
    // missing, and otherwise it must be as the README makes it.
    if line.starts_with("useradd ") {
        return Some(format!(
            "if id vmail >/dev/null 2>&1; then [ \"$(id -gn vmail)\" = postfix ]; else {line}; fi"
        ));
    }
    // No systemd in the private root: the services start by their own commands.
    Some(
        line.replace("systemctl restart dovecot", "dovecot")
            .replace("systemctl restart postfix", "postfix start"),
    )
}

/// What Debian's postfix installer writes for "Internet Site" with the mail name the README
/// gives, logging to a file since the private root has no syslog.
fn internet_site(mailname: &str) -> String {
    format!(
        "cp /usr/share/postfix/main.cf.debian /etc/postfix/main.cf && \
         cp /usr/share/postfix/master.cf.dist /etc/postfix/master.cf && \
         postconf -e 'myhostname = {mailname}' 'myorigin = {mailname}' \
           'mydestination = $myhostname, {mailname}, localhost.localdomain, localhost' \
           'relayhost =' 'mynetworks = 127.0.0.0/8 [::ffff:127.0.0.0]/104 [::1]/128' \
           'mailbox_size_limit = 0' 'recipient_delimiter = +' 'inet_interfaces = all' \
           'inet_protocols = all' 'alias_maps = hash:/etc/aliases' \
           'alias_database = hash:/etc/aliases' \
           'smtpd_relay_restrictions = permit_mynetworks permit_sasl_authenticated defer_unauth_destination' \
           'maillog_file = /var/log/postfix.log' && \
         postfix post-install create-missing"
    )
}

/// The private root: its directory and the process that holds its namespaces, with everything
/// started in it. Dropping it kills that process and with it every process of the private
/// root, a failing test's included.
struct PrivateRoot {
    holder: Option<Child>,
    dir: TempDir,
}

impl PrivateRoot {
    /// Makes the private directories, runs `script` in new mount, network and PID namespaces,
    /// and returns once it has written `ready` (its last command before it waits).
    fn start(script: &str) -> PrivateRoot {
        let dir = TempDir::new().unwrap();
        let mut mounts = String::new();
        for (path, copied) in PRIVATE {
            let private = dir.path().join(path.trim_start_matches('/'));
            std::fs::create_dir_all(&private).unwrap();
            // Owned as the packages made the real one.
            if Path::new(path).exists() {
                let same = Command::new("bash")
                    .arg("-c")
                    .arg(format!(
                        "chown --reference={path} {0} && chmod --reference={path} {0}",
                        private.display()
                    ))
                    .status()
                    .unwrap();
                assert!(same.success(), "{path}'s owner and mode");
            }
            if copied {
                let copy = Command::new("cp")
                    .arg("-a")
                    .arg(format!("{path}/."))
                    .arg(&private)
                    .status()
                    .unwrap();
                assert!(copy.success(), "{path} is installed");
            }
            mounts.push_str(&format!(
                "mkdir -p {path} && mount --bind {} {path}\n",
                private.display()
            ));
        }
        let bin_dir = Path::new(env!("CARGO_BIN_EXE_vpostmaster"))
            .parent()
            .unwrap();
        let ready = dir.path().join("ready");
        let full_script = format!(
            "set -euo pipefail\nip link set lo up\n{mounts}export PATH={}:$PATH\n{script}\n\
             touch {}\nexec sleep infinity\n",
            bin_dir.display(),
            ready.display()
        );
        let log = File::create(dir.path().join("script.log")).unwrap();
        let mut command = Command::new("unshare");
        command
            .args(["--mount", "--net", "--pid", "--fork", "--kill-child"])
            .args(["--propagation", "private", "bash", "-xc", &full_script])
            .env_remove("VPM_DATA_DIR")
            .env_remove("VPM_DATABASE_URL")
            .stdin(Stdio::null())
            .stdout(log.try_clone().unwrap())
            .stderr(log);
        // SAFETY: prctl only marks this child to be killed when the thread that made it ends.
        unsafe {
            command.pre_exec(|| {
                libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
                Ok(())
            });
        }
        let holder = command.spawn().expect("unshare runs");
        let mut root = PrivateRoot {
            holder: Some(holder),
            dir,
        };
        let started = Instant::now();
        while !ready.exists() {
            let exited = root.holder.as_mut().unwrap().try_wait().unwrap();
            assert!(
                exited.is_none() && started.elapsed() < PATIENCE * 4,
                "the README's commands failed ({exited:?}):\n{}",
                root.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        root
    }

    fn holder_pid(&self) -> u32 {
        self.holder.as_ref().unwrap().id()
    }

    /// The private root's first process, in its PID namespace too: `doveadm` and `postfix`
    /// find their masters by the PIDs that namespace gives them.
    fn init_pid(&self) -> String {
        let holder = self.holder_pid();
        std::fs::read_to_string(format!("/proc/{holder}/task/{holder}/children"))
            .unwrap()
            .split_whitespace()
            .next()
            .expect("the private root's first process runs")
            .to_owned()
    }

    /// The script's trace and Postfix's log, for a failure's message.
    fn log(&self) -> String {
        let read =
            |name: &str| std::fs::read_to_string(self.dir.path().join(name)).unwrap_or_default();
        let dovecot = self
            .holder
            .as_ref()
            .map(|_| self.run("doveadm log errors"))
            .map(|out| String::from_utf8_lossy(&out.stdout).into_owned())
            .unwrap_or_default();
        format!(
            "{}\n--- Postfix's log:\n{}\n--- Dovecot's errors:\n{dovecot}\n--- the console's log:\n{}",
            read("script.log"),
            read("var/log/postfix.log"),
            read("var/log/vpostmaster.log")
        )
    }

    /// Puts the calling thread on the private root's network, so that its connections reach
    /// the private Postfix, Dovecot and console on their standard ports.
    fn join_network(&self) {
        let ns = File::open(format!("/proc/{}/ns/net", self.holder_pid())).unwrap();
        // SAFETY: setns on this thread with a namespace descriptor we hold open.
        let joined = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(joined, 0, "setns: {}", std::io::Error::last_os_error());
    }

    /// Runs `command` in bash in the private root as root, with the README's environment.
    fn run(&self, command: &str) -> Output {
        Command::new("nsenter")
            .arg(format!("--target={}", self.init_pid()))
            .args(["--mount", "--net", "--pid", "--"])
            .args(["bash", "-c", command])
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    Path::new(env!("CARGO_BIN_EXE_vpostmaster"))
                        .parent()
                        .unwrap()
                        .display(),
                    std::env::var("PATH").unwrap_or_default()
                ),
            )
            .env("VPM_DATA_DIR", DATA_DIR)
            .env("VPM_DOVECOT_CONF", "/etc/dovecot/dovecot.conf")
            .env_remove("VPM_DATABASE_URL")
            .stdin(Stdio::null())
            .output()
            .expect("nsenter runs")
    }

    /// [`run`](Self::run), which must succeed; its standard output.
    fn ok(&self, command: &str) -> String {
        let out = self.run(command);
        assert!(
            out.status.success(),
            "{command}: {}{}\n{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr),
            self.log()
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// A path of the private root as seen from outside it.
    fn outside(&self, path: &str) -> PathBuf {
        self.dir.path().join(path.trim_start_matches('/'))
    }
}

impl Drop for PrivateRoot {
    fn drop(&mut self) {
        if let Some(mut holder) = self.holder.take() {
            // --kill-child ends the namespace's first process, and with it every other one.
            let _ = holder.kill();
            let _ = holder.wait();
        }
    }
}

/// A message of `lines` lines of 78 characters, one starting with a dot.
fn message(from: &str, to: &str, subject: &str, lines: usize) -> Vec<u8> {
    let mut text = format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\
         Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{subject}@readme.test>\r\n\r\n\
         .a line that SMTP dot-stuffs\r\n"
    );
    for n in 0..lines {
        text.push_str(&format!("{n:06} {}\r\n", "x".repeat(71)));
    }
    text.into_bytes()
}

/// The account's messages over POP3 once there are `count` of them (or more).
fn wait_for(pop3: SocketAddr, email: &str, count: usize, root: &PrivateRoot) -> Vec<Vec<u8>> {
    let started = Instant::now();
    loop {
        let mut session = Pop3::log_on(pop3, email, PASSWORD)
            .unwrap_or_else(|error| panic!("POP3 log-on of {email}: {error}\n{}", root.log()));
        let all = session.all().unwrap();
        session.quit();
        if all.len() >= count {
            return all;
        }
        assert!(
            started.elapsed() < PATIENCE,
            "{email} has {} of {count} messages\n{}",
            all.len(),
            root.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn the_readme_set_up_run_as_written_delivers_mail() {
    support::dovecot::mail_user();
    let commands = readme_commands();
    let mailname = commands
        .iter()
        .find_map(|line| {
            line.split_once("postfix/mailname string ")?
                .1
                .split('\'')
                .next()
        })
        .expect("the README answers Postfix's mail name")
        .to_owned();
    let postfix_setup = internet_site(&mailname);
    let script: Vec<String> = commands
        .iter()
        .filter_map(|line| substitute(line, &postfix_setup))
        .collect();
    // The console as its service unit runs it: as vmail, group postfix, umask 0027; no page
    // is asked for, so its site is an empty one.
    let console = "mkdir -p /srv/site/pkg && (umask 0027; setpriv --reuid=vmail --regid=postfix \
                   --clear-groups env VPM_DATA_DIR=/srv/vpostmaster/data \
                   VPM_DOVECOT_CONF=/etc/dovecot/dovecot.conf vpostmaster serve \
                   --site-dir /srv/site >/var/log/vpostmaster.log 2>&1 &) && \
                   until (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; do sleep 0.1; done";
    let root = PrivateRoot::start(&format!("{}\n{console}", script.join("\n")));

    // The files have the owners and modes of their readers, as `check` says.
    let dict = std::fs::metadata(root.outside("/etc/dovecot/vpostmaster-dict.conf.ext")).unwrap();
    let vmail = support::dovecot::mail_user();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((dict.uid(), dict.mode() & 0o777), (vmail.uid, 0o600));
    assert!(
        root.outside("/etc/dovecot")
            .read_dir()
            .unwrap()
            .flatten()
            .any(|entry| entry
                .file_name()
                .to_string_lossy()
                .starts_with("dovecot.conf.before-vpostmaster-")),
        "Debian's dovecot.conf is kept beside the new one"
    );

    // The postmaster's day: a domain, accounts from a paste, an alias.
    root.ok("vpostmaster domain add example.com");
    let accounts = format!(
        "address,password,password again,first name,last name,quota\n\
         ann@example.com,{PASSWORD},{PASSWORD},Ann,Lee,0\n\
         bob@example.com,{PASSWORD},{PASSWORD},Bob,Ray,0\n\
         full@example.com,{PASSWORD},{PASSWORD},Full,Box,1\n"
    );
    std::fs::write(root.outside("/srv/accounts.csv"), accounts).unwrap();
    root.ok("vpostmaster import example.com /srv/accounts.csv");
    root.ok("vpostmaster alias add team@example.com ann@example.com bob@example.com");

    root.join_network();
    let smtp: SocketAddr = "127.0.0.1:25".parse().unwrap();
    let pop3: SocketAddr = "127.0.0.1:110".parse().unwrap();
    let imap: SocketAddr = "127.0.0.1:143".parse().unwrap();

    // SMTP in, POP3 and IMAP out, byte for byte under the trace headers.
    let mut client = support::postfix::Smtp::connect(smtp).expect("Postfix answers on port 25");
    let sent = message("someone@elsewhere.test", "ann@example.com", "hello", 20);
    client.send("ann@example.com", &sent).unwrap();
    let fetched = wait_for(pop3, "ann@example.com", 1, &root);
    assert!(
        fetched[0].ends_with(&sent),
        "{}",
        String::from_utf8_lossy(&fetched[0])
    );
    let mut session = Imap::log_on(imap, "ann@example.com", PASSWORD).unwrap();
    assert_eq!(session.select_inbox().unwrap(), 1);
    assert_eq!(session.fetch(1).unwrap(), fetched[0]);
    session.logout();

    // An alias reaches both its accounts.
    let to_team = message("someone@elsewhere.test", "team@example.com", "team", 3);
    client.send("team@example.com", &to_team).unwrap();
    assert!(wait_for(pop3, "bob@example.com", 1, &root)[0].ends_with(&to_team));
    assert!(wait_for(pop3, "ann@example.com", 2, &root)[1].ends_with(&to_team));

    // A full mailbox is refused at RCPT; its first message is taken.
    client
        .send(
            "full@example.com",
            &message("someone@elsewhere.test", "full@example.com", "big", 13_500),
        )
        .unwrap();
    wait_for(pop3, "full@example.com", 1, &root);
    let answer = client.envelope("full@example.com", 100_000);
    assert!(answer.starts_with("552 5.2.2"), "{answer}\n{}", root.log());

    // Usage reaches the console's database, which Users and the CSV export show.
    let usage_of_ann = || {
        let csv = root.ok("vpostmaster export example.com");
        let cells = |line: &str| -> Vec<String> {
            line.trim_end()
                .split(',')
                .map(|cell| cell.trim_matches('"').to_owned())
                .collect()
        };
        let mut lines = csv.lines();
        let column = lines
            .next()
            .and_then(|header| cells(header).iter().position(|name| name == "usage bytes"))
            .expect("the export has a usage column");
        let ann = cells(lines.find(|line| line.contains("ann@example.com")).unwrap());
        ann[column].parse::<u64>().unwrap_or(0)
    };
    let started = Instant::now();
    while usage_of_ann() < (sent.len() + to_team.len()) as u64 {
        assert!(
            started.elapsed() < PATIENCE,
            "no usage for ann\n{}",
            root.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Bob writes to Ann, whose auto-reply answers him through Postfix.
    root.ok(
        "vpostmaster mailbox autoreply ann@example.com --subject Away --text 'Back on Monday.'",
    );
    let from_bob = message("bob@example.com", "ann@example.com", "question", 2);
    client
        .send_from("bob@example.com", "ann@example.com", &from_bob)
        .unwrap();
    let bobs = wait_for(pop3, "bob@example.com", 2, &root);
    let reply = String::from_utf8_lossy(&bobs[1]);
    assert!(
        reply.contains("Subject: Away") && reply.contains("Back on Monday."),
        "{reply}"
    );

    // And the check says all is well, a delivery through the whole path included.
    let report = root.run("vpostmaster check --deliver bob@example.com");
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert!(text.lines().all(|line| line.starts_with("OK ")), "{text}");
    assert!(
        text.contains("a test message to bob@example.com went through"),
        "{text}"
    );
    assert_eq!(
        wait_for(pop3, "bob@example.com", 2, &root).len(),
        2,
        "the test message is removed"
    );

    // The README's earlier set-up left the dict part root's: every delivery then waited in
    // the queue while the check said all was well. Now the check names the file, the dict
    // service that cannot read it, and where the test message stopped.
    root.ok("chown root /etc/dovecot/vpostmaster-dict.conf.ext && doveadm reload");
    let report = root.run("vpostmaster check --deliver ann@example.com");
    let text = String::from_utf8_lossy(&report.stdout);
    assert_eq!(report.status.code(), Some(1), "{text}");
    let problems: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("PROBLEM"))
        .collect();
    assert!(
        problems.iter().any(
            |line| line.contains("vpostmaster-dict.conf.ext has owner 0:")
                && line.contains("the mail user vmail")
        ),
        "{text}"
    );
    assert!(
        problems
            .iter()
            .any(|line| line.contains("Dovecot's dict service")),
        "{text}"
    );
    assert!(
        problems.iter().any(|line| line.contains(
            "a test message to ann@example.com was accepted and waits in Postfix's deferred queue"
        )),
        "{text}"
    );
}

/// The value after `label` on the first line of `text` that has it.
fn after<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("{label:?} in:\n{text}"))
        .trim()
}

#[test]
fn make_run_as_root_serves_the_demo_account_its_mail() {
    let vmail = support::dovecot::mail_user();
    // What `make run` runs as root, with the debug binary; no page is asked for, so the site
    // is an empty one.
    let root = PrivateRoot::start(
        "mkdir -p /srv/site/pkg && vpostmaster --data-dir /srv/data demo --mail-account >/srv/demo.out && \
         (vpostmaster --data-dir /srv/data demo-mail-server >/srv/mail-server.out 2>&1 &) && \
         (vpostmaster --data-dir /srv/data serve --site-dir /srv/site >/var/log/vpostmaster.log 2>&1 &) && \
         until grep -q '^Read it' /srv/mail-server.out; do sleep 0.1; done",
    );
    let demo = std::fs::read_to_string(root.outside("/srv/demo.out")).unwrap();
    assert!(
        demo.contains("Added the mail account demo@example.test."),
        "{demo}"
    );
    let password = demo
        .split("Added the mail account demo@example.test.")
        .nth(1)
        .map(|rest| after(rest, "Password:").to_owned())
        .unwrap();
    let shown = std::fs::read_to_string(root.outside("/srv/mail-server.out")).unwrap();
    let send = shown
        .lines()
        .skip_while(|line| !line.starts_with("Send demo@example.test a message:"))
        .nth(1)
        .unwrap_or_else(|| panic!("how to send, in:\n{shown}"));
    let read = shown
        .lines()
        .skip_while(|line| !line.starts_with("Read it"))
        .nth(1)
        .map(|line| line.replace("PASSWORD", &password))
        .unwrap_or_else(|| panic!("how to read, in:\n{shown}"));

    // The newcomer's two commands, as printed.
    root.ok(send);
    let started = Instant::now();
    loop {
        let out = root.run(&read);
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("It works.") {
            assert!(text.contains("Subject: Hello"), "{text}");
            break;
        }
        assert!(started.elapsed() < PATIENCE, "{text}\n{}", root.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    // The demo's state is beside the data directory, not in it, and the mail in the
    // account's Maildir belongs to the mail user.
    assert!(root
        .outside("/srv/data-mail-server/postfix/main.cf")
        .is_file());
    let maildirs = root.outside("/srv/data/mail/example.test");
    let demo_maildir = std::fs::read_dir(&maildirs)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    // Read once over POP3, it has moved from new/ to cur/.
    let message = ["new", "cur"]
        .iter()
        .flat_map(|folder| {
            std::fs::read_dir(demo_maildir.join(folder))
                .unwrap()
                .flatten()
        })
        .next()
        .expect("the message is in the Maildir");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(message.metadata().unwrap().uid(), vmail.uid);
}
