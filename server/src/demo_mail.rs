//! `vpostmaster demo-mail-server`: a private Postfix and Dovecot for `make run`, so that a
//! newcomer can send the demo account a message and read it. They listen on loopback ports of
//! their own, keep their state beside the data directory, are configured by the same builders
//! as a deployment (with the owners and modes `--write` gives), and stop with this command.
//! The test suite's private mail servers are made the same way.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use app::ssr::mailstore::{is_root, MailUser};

use crate::config_files::{self, postfix_user};
use crate::dovecot::{DovecotConfig, Instance, Submission};
use crate::mail_roles::DEFAULT_MAIL_ROLES_DIR;
use crate::postfix::PostfixConfig;

/// Postfix's master, run in the foreground as this command's child.
pub const POSTFIX_MASTER: &str = "/usr/lib/postfix/sbin/master";
const DOVECOT: &str = "/usr/sbin/dovecot";

/// The demo's ports on 127.0.0.1.
pub const SMTP_PORT: u16 = 2525;
pub const POP3_PORT: u16 = 1110;
pub const IMAP_PORT: u16 = 1143;

/// How long a master may take to start answering.
const PATIENCE: Duration = Duration::from_secs(30);

/// The services a receiving Postfix runs; SMTP listens on `{SMTP}` only.
pub const MASTER_CF: &str = "\
{SMTP} inet n - n - - smtpd
pickup unix n - n 60 1 pickup
cleanup unix n - n - 0 cleanup
qmgr unix n - n 300 1 qmgr
rewrite unix - - n - - trivial-rewrite
bounce unix - - n - 0 bounce
defer unix - - n - 0 bounce
trace unix - - n - 0 bounce
verify unix - - n - 1 verify
flush unix n - n 1000 0 flush
proxymap unix - - n - - proxymap
showq unix n - n - - showq
smtp unix - - n - - smtp
relay unix - - n - - smtp
error unix - - n - - error
retry unix - - n - - error
discard unix - - n - - discard
lmtp unix - - n - - lmtp
anvil unix - - n - 1 anvil
scache unix - - n - 1 scache
postlog unix-dgram n - n - 1 postlogd
";

/// Queue subdirectories that Postfix's unprivileged processes write to.
const QUEUE_DIRS: [&str; 10] = [
    "active", "bounce", "corrupt", "defer", "deferred", "flush", "hold", "incoming", "saved",
    "trace",
];

/// A private Postfix's directories: configuration, queue, data and log.
#[derive(Debug, Clone)]
pub struct PostfixPlaces {
    pub config_dir: PathBuf,
    pub queue: PathBuf,
    pub data: PathBuf,
    pub log: PathBuf,
}

impl PostfixPlaces {
    /// Makes the queue and data directories with Postfix's owners and modes, and writes
    /// `main.cf` (the console's settings for `config` and a receiving-only host on
    /// `127.0.0.1`, sending to `relay` when given), `master.cf` (SMTP on `smtp`) and the
    /// tables.
    pub fn configure(
        &self,
        config: &PostfixConfig,
        smtp: std::net::SocketAddr,
        relay: Option<std::net::SocketAddr>,
    ) -> Result<(), String> {
        let postfix = postfix_user()?;
        let postdrop = group_id("postdrop")?;
        let io = |error: std::io::Error| error.to_string();
        for (path, gid, mode) in QUEUE_DIRS
            .iter()
            .map(|name| (self.queue.join(name), postfix.gid, 0o700))
            .chain([
                (self.data.clone(), postfix.gid, 0o700),
                (self.queue.join("private"), postfix.gid, 0o700),
                (self.queue.join("public"), postdrop, 0o710),
                (self.queue.join("maildrop"), postdrop, 0o1730),
            ])
        {
            std::fs::create_dir_all(&path).map_err(io)?;
            std::os::unix::fs::chown(&path, Some(postfix.uid), Some(gid)).map_err(io)?;
            set_mode(&path, mode)?;
        }
        std::fs::create_dir_all(self.queue.join("pid")).map_err(io)?;
        std::fs::create_dir_all(&self.config_dir).map_err(io)?;
        // recipient_delimiter as Debian's main.cf sets it, so that plus-addressed mail is looked
        // up as on the servers the console is for.
        let main = format!(
            "{}\ncompatibility_level = 3.6\nqueue_directory = {}\ndata_directory = {}\n\
             maillog_file = {}\nmaillog_file_prefixes = {}\ninet_interfaces = 127.0.0.1\n\
             inet_protocols = ipv4\nmyhostname = mx.vpm.test\nmydestination =\nalias_maps =\n\
             alias_database =\nbiff = no\nrecipient_delimiter = +\nrelayhost = {}\n",
            config.main()?,
            self.queue.display(),
            self.data.display(),
            self.log.display(),
            self.log.parent().unwrap_or(Path::new("/")).display(),
            relay.map_or(String::new(), |relay| format!(
                "[{}]:{}",
                relay.ip(),
                relay.port()
            )),
        );
        std::fs::write(self.config_dir.join("main.cf"), main).map_err(io)?;
        std::fs::write(
            self.config_dir.join("master.cf"),
            MASTER_CF.replace("{SMTP}", &smtp.to_string()),
        )
        .map_err(io)?;
        config_files::write(&config.files(&postfix)?, true)?;
        Ok(())
    }

    /// Postfix's master in the foreground, its output to `output`.
    pub fn master(&self, output: std::fs::File) -> Result<Child, String> {
        Command::new(POSTFIX_MASTER)
            .arg("-d")
            .arg("-c")
            .arg(&self.config_dir)
            .stdin(Stdio::null())
            .stdout(output.try_clone().map_err(|error| error.to_string())?)
            .stderr(output)
            .spawn()
            .map_err(|error| format!("Postfix's master does not start: {error}"))
    }
}

/// Serves the demo domain's mail until this process is told to stop, then stops both masters.
pub async fn run(data_dir: &Path, mail_user: MailUser, account: &str) -> Result<(), String> {
    if !is_root() {
        return Err(
            "the demo's Postfix and Dovecot need root (their masters start as root)".to_owned(),
        );
    }
    for program in [DOVECOT, POSTFIX_MASTER] {
        if !Path::new(program).is_file() {
            return Err(format!(
                "{program} is missing: install Debian's dovecot and postfix packages \
                 (make tools does)"
            ));
        }
    }
    let data_dir = crate::template::absolute(data_dir)?;
    // Beside the data directory, not in it: Dovecot's unprivileged processes pass through it.
    let dir = data_dir.with_file_name(format!(
        "{}-mail-server",
        data_dir.file_name().unwrap_or_default().to_string_lossy()
    ));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).map_err(|error| error.to_string())?;
    set_mode(&dir, 0o755)?;
    let smtp = ([127, 0, 0, 1], SMTP_PORT).into();
    let postfix = PostfixPlaces {
        config_dir: dir.join("postfix"),
        queue: dir.join("postfix-queue"),
        data: dir.join("postfix-data"),
        log: dir.join("postfix.log"),
    };
    let dovecot = DovecotConfig {
        data_dir: data_dir.clone(),
        database_url: None,
        mail_user,
        sql_conf: dir.join("dovecot/vpostmaster-sql.conf.ext"),
        listen: "127.0.0.1".into(),
        pop3_port: POP3_PORT,
        imap_port: IMAP_PORT,
        tls: None,
        instance: Some(Instance {
            name: "vpostmaster-demo".into(),
            base_dir: dir.join("dovecot-run"),
            state_dir: dir.join("dovecot-state"),
            log_path: dir.join("dovecot.log"),
        }),
        postfix_queue: postfix.queue.clone(),
        submission: Submission::Host(format!("127.0.0.1:{SMTP_PORT}")),
        mail_roles_dir: DEFAULT_MAIL_ROLES_DIR.into(),
    };
    for made in [dir.join("dovecot"), dir.join("dovecot-state")] {
        std::fs::create_dir_all(made).map_err(|error| error.to_string())?;
    }
    let dovecot_conf = dir.join("dovecot/dovecot.conf");
    config_files::write(&dovecot.files(&dovecot_conf)?, true)?;
    postfix.configure(
        &PostfixConfig {
            data_dir,
            database_url: None,
            tables_dir: postfix.config_dir.clone(),
            mail_roles_dir: DEFAULT_MAIL_ROLES_DIR.into(),
        },
        smtp,
        None,
    )?;
    let output =
        |name: &str| std::fs::File::create(dir.join(name)).map_err(|error| error.to_string());
    let dovecot_master = Command::new(DOVECOT)
        .arg("-F")
        .arg("-c")
        .arg(&dovecot_conf)
        .stdin(Stdio::null())
        .stdout(output("dovecot.out")?)
        .stderr(output("dovecot.err")?)
        .spawn()
        .map_err(|error| format!("Dovecot does not start: {error}"))?;
    let mut masters = Masters(vec![dovecot_master]);
    masters.0.push(postfix.master(output("postfix.out")?)?);
    for port in [POP3_PORT, IMAP_PORT, SMTP_PORT] {
        masters.wait_for(port, &dir)?;
    }
    let shown = dir.display();
    println!(
        "The demo's mail server answers on 127.0.0.1: SMTP {SMTP_PORT}, POP3 {POP3_PORT}, IMAP \
         {IMAP_PORT} (state and logs in {shown}).\n\
         Send {account} a message:\n  \
         printf 'Subject: Hello\\r\\n\\r\\nIt works.\\r\\n' | curl -s smtp://127.0.0.1:{SMTP_PORT} \
         --mail-from you@example.org --mail-rcpt {account} -T -\n\
         Read it (with the account's password):\n  \
         curl -s --user '{account}:PASSWORD' pop3://127.0.0.1:{POP3_PORT}/1\n\
         Or check the whole path: vpostmaster check --deliver {account} --smtp 127.0.0.1:{SMTP_PORT} \
         --postfix-main-cf {}/main.cf --dovecot-conf {}",
        postfix.config_dir.display(),
        dovecot_conf.display()
    );
    // Ctrl-C in `make run` reaches every process of the terminal; `make` ends this one with
    // SIGTERM when the console stops first.
    let mut terminate = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
        .map_err(|error| error.to_string())?;
    tokio::select! {
        _ = tokio::signal::ctrl_c() => {}
        _ = terminate.recv() => {}
    }
    drop(masters);
    Ok(())
}

/// The running masters, stopped when dropped: SIGTERM, which makes each stop its children,
/// then SIGKILL for one that lingers.
struct Masters(Vec<Child>);

impl Masters {
    /// Returns once `port` on 127.0.0.1 accepts, or why not.
    fn wait_for(&mut self, port: u16, dir: &Path) -> Result<(), String> {
        let started = Instant::now();
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            let exited = self
                .0
                .iter_mut()
                .any(|child| child.try_wait().ok().flatten().is_some());
            if exited || started.elapsed() > PATIENCE {
                return Err(format!(
                    "the demo's mail server did not start on port {port}: its logs are in {}",
                    dir.display()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(())
    }
}

impl Drop for Masters {
    fn drop(&mut self) {
        for child in &self.0 {
            if let Ok(pid) = i32::try_from(child.id()) {
                // SAFETY: kill has no memory preconditions; the pid is our own child's.
                unsafe {
                    libc::kill(pid, libc::SIGTERM);
                }
            }
        }
        for child in &mut self.0 {
            let asked = Instant::now();
            while !matches!(child.try_wait(), Ok(Some(_))) {
                if asked.elapsed() > PATIENCE {
                    let _ = child.kill();
                    let _ = child.wait();
                    break;
                }
                std::thread::sleep(Duration::from_millis(10));
            }
        }
    }
}

fn set_mode(path: &Path, mode: u32) -> Result<(), String> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode))
        .map_err(|error| format!("{}: {error}", path.display()))
}

/// A group's id, from the system's group database.
fn group_id(name: &str) -> Result<u32, String> {
    let output = Command::new("getent")
        .args(["group", name])
        .output()
        .map_err(|error| error.to_string())?;
    String::from_utf8_lossy(&output.stdout)
        .split(':')
        .nth(2)
        .and_then(|gid| gid.trim().parse().ok())
        .ok_or_else(|| format!("there is no group {name}: install Postfix"))
}
