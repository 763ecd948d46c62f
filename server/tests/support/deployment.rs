//! The deployment the README describes, made in a private root: mount, network and PID
//! namespaces of its own, where the system's paths (`/etc/dovecot`, `/etc/postfix`, Postfix's
//! queue, `/srv`, ...) are private directories and the standard ports are on a private
//! loopback. The README's "Mail server" commands are read out of README.md each time and run as
//! root as written; only what must differ there is substituted, each in [`substitute`]: the
//! packages are installed already, so Debian's "Internet Site" configuration is made the way
//! its installer makes it, and the services start without systemd.

use std::fs::File;
use std::os::fd::AsRawFd;
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

use tempfile::TempDir;

use super::dovecot::PATIENCE;

/// Where the `vpostmaster` binary under test is: cargo names it for the tests; the benchmarks
/// run beside it (`target/release/examples/`).
fn vpostmaster_dir() -> PathBuf {
    #[cfg(test)]
    let binary = PathBuf::from(env!("CARGO_BIN_EXE_vpostmaster"));
    #[cfg(not(test))]
    let binary = std::env::current_exe()
        .unwrap()
        .parent()
        .and_then(Path::parent)
        .unwrap()
        .join("vpostmaster");
    binary.parent().unwrap().to_owned()
}

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
pub const DATA_DIR: &str = "/srv/vpostmaster/data";
pub const PASSWORD: &str = "Xk4#pq9!zz";

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
pub struct PrivateRoot {
    holder: Option<Child>,
    dir: TempDir,
}

impl PrivateRoot {
    /// The README's "Mail server" commands run as written (but for [`substitute`]), then the
    /// console as its service unit runs it: the deployment users make.
    pub fn readme_deployment() -> PrivateRoot {
        super::dovecot::mail_user();
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
        let console =
            "mkdir -p /srv/site/pkg && (umask 0027; setpriv --reuid=vmail --regid=postfix \
                       --clear-groups env VPM_DATA_DIR=/srv/vpostmaster/data \
                       VPM_DOVECOT_CONF=/etc/dovecot/dovecot.conf vpostmaster serve \
                       --site-dir /srv/site >/var/log/vpostmaster.log 2>&1 &) && \
                       until (exec 3<>/dev/tcp/127.0.0.1/8000) 2>/dev/null; do sleep 0.1; done";
        PrivateRoot::start(&format!("{}\n{console}", script.join("\n")))
    }

    /// Makes the private directories, runs `script` in new mount, network and PID namespaces,
    /// and returns once it has written `ready` (its last command before it waits).
    pub fn start(script: &str) -> PrivateRoot {
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
        let bin_dir = vpostmaster_dir();
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

    pub fn holder_pid(&self) -> u32 {
        self.holder.as_ref().unwrap().id()
    }

    /// The private root's first process, in its PID namespace too: `doveadm` and `postfix`
    /// find their masters by the PIDs that namespace gives them.
    pub fn init_pid(&self) -> String {
        let holder = self.holder_pid();
        std::fs::read_to_string(format!("/proc/{holder}/task/{holder}/children"))
            .unwrap()
            .split_whitespace()
            .next()
            .expect("the private root's first process runs")
            .to_owned()
    }

    /// The script's trace and Postfix's log, for a failure's message.
    pub fn log(&self) -> String {
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
    pub fn join_network(&self) {
        let ns = File::open(format!("/proc/{}/ns/net", self.holder_pid())).unwrap();
        // SAFETY: setns on this thread with a namespace descriptor we hold open.
        let joined = unsafe { libc::setns(ns.as_raw_fd(), libc::CLONE_NEWNET) };
        assert_eq!(joined, 0, "setns: {}", std::io::Error::last_os_error());
    }

    /// Runs `command` in bash in the private root as root, with the README's environment.
    pub fn run(&self, command: &str) -> Output {
        Command::new("nsenter")
            .arg(format!("--target={}", self.init_pid()))
            .args(["--mount", "--net", "--pid", "--"])
            .args(["bash", "-c", command])
            .env(
                "PATH",
                format!(
                    "{}:{}",
                    vpostmaster_dir().display(),
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
    pub fn ok(&self, command: &str) -> String {
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
    pub fn outside(&self, path: &str) -> PathBuf {
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
