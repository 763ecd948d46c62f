//! The command line: every flag also has an environment variable.

use std::io::Read;
use std::net::SocketAddr;
use std::path::{Path, PathBuf};

use app::ssr::db::Location;
use app::ssr::mailstore::MailUser;
use clap::error::ErrorKind;
use clap::{Args, FromArgMatches, Parser, Subcommand};

use crate::dovecot::{DovecotConfig, Tls};

/// Virtual Postmaster: the web console where a company's postmaster manages the mail accounts
/// of their domain, and the operator's commands for domains and administrators.
#[derive(Debug, Parser)]
#[command(name = "vpostmaster", version)]
pub struct Cli {
    /// Directory of the database (vpostmaster.db) and the mail store.
    #[arg(long, env = "VPM_DATA_DIR", default_value = "./data", global = true)]
    pub data_dir: PathBuf,
    /// The accounts in PostgreSQL instead of the data directory's SQLite file:
    /// postgres://USER:PASSWORD@HOST:PORT/DATABASE. For consoles on several hosts, and mail
    /// hosts that cannot share a file; see README.md, "Choosing the database". Give it in the
    /// environment or with --database-url-file: every user sees a command's arguments.
    #[arg(long, env = "VPM_DATABASE_URL", global = true, hide_env_values = true)]
    pub database_url: Option<String>,
    /// A file whose first line is the --database-url, which then appears in no process list.
    #[arg(
        long,
        env = "VPM_DATABASE_URL_FILE",
        global = true,
        conflicts_with = "database_url"
    )]
    pub database_url_file: Option<PathBuf>,
    #[command(flatten)]
    pub mail: MailArgs,
    #[command(subcommand)]
    pub command: Option<Command>,
}

impl Cli {
    /// Where the accounts are: the PostgreSQL server of `--database-url`, else the SQLite file
    /// in the data directory.
    pub fn database(&self) -> Result<Location, String> {
        let from_file = self
            .database_url_file
            .as_deref()
            .map(read_url_file)
            .transpose()?;
        Location::new(
            &self.data_dir,
            from_file.as_deref().or(self.database_url.as_deref()),
        )
        .map_err(|error| error.to_string())
    }
}

/// The longest file a database URL is read from: a URL is a line.
const URL_FILE_MAX_BYTES: u64 = 64 * 1024;

/// The database URL on the first line of the file at `path`. A message names the file, never
/// what it holds.
pub fn read_url_file(path: &Path) -> Result<String, String> {
    let cannot = |error: std::io::Error| {
        format!(
            "cannot read the database URL from {}: {error}",
            path.display()
        )
    };
    let mut text = String::new();
    std::fs::File::open(path)
        .and_then(|file| file.take(URL_FILE_MAX_BYTES).read_to_string(&mut text))
        .map_err(cannot)?;
    text.lines()
        .next()
        .map(str::trim)
        .filter(|url| !url.is_empty())
        .map(str::to_owned)
        .ok_or_else(|| format!("{} holds no database URL", path.display()))
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Serve the web console (the default command).
    Serve(ServeArgs),
    #[command(flatten)]
    Operator(OperatorCommand),
    /// Print the Dovecot configuration that serves these accounts over POP3 and IMAP.
    DovecotConfig(DovecotConfigArgs),
    /// Print the Postfix settings that deliver mail to these accounts through Dovecot.
    PostfixConfig(PostfixConfigArgs),
    /// On PostgreSQL: print the SQL that makes the roles Postfix and Dovecot log on as, which
    /// read only what their lookups need and write only mailbox usage, to be run by a
    /// superuser (psql). Their passwords are kept in --mail-roles-dir, made there when missing;
    /// dovecot-config and postfix-config read them.
    MailRoles(MailRolesArgs),
    /// Report what is wrong with this deployment: the data directory and database, the
    /// Dovecot and Postfix files `dovecot-config` and `postfix-config` print, and whether
    /// Dovecot and Postfix answer. Takes the same flags as those two commands.
    Check(CheckArgs),
    /// Copy the database into a new or empty directory while the console runs, and with
    /// --mail the Maildirs after it.
    Backup(BackupArgs),
    /// Put a backup back into the data directory; stop the console and Dovecot first.
    Restore(RestoreArgs),
    /// Move the data directory's SQLite database into a new, empty PostgreSQL database; the
    /// SQLite file is left as it was.
    MigrateTo(MigrateToArgs),
    /// Serve the demo domain's mail with a private Postfix and Dovecot on 127.0.0.1 (SMTP 2525,
    /// POP3 1110, IMAP 1143) until stopped; `make run` starts it when run as root.
    DemoMailServer,
}

#[derive(Debug, Clone, Args)]
pub struct MigrateToArgs {
    /// The PostgreSQL database: postgres://USER:PASSWORD@HOST:PORT/DATABASE. Better given
    /// with --url-file: every user sees a command's arguments.
    #[arg(required_unless_present = "url_file", conflicts_with = "url_file")]
    pub url: Option<String>,
    /// A file whose first line is the URL (the one the console then reads with
    /// --database-url-file).
    #[arg(long)]
    pub url_file: Option<PathBuf>,
}

impl MigrateToArgs {
    /// The URL of the database to move into.
    pub fn url(&self) -> Result<String, String> {
        match (&self.url, &self.url_file) {
            (Some(url), _) => Ok(url.clone()),
            (None, Some(file)) => read_url_file(file),
            (None, None) => Err("give the URL of the database to move into".to_owned()),
        }
    }
}

#[derive(Debug, Clone, Args)]
pub struct BackupArgs {
    /// Where the backup goes: a new or empty directory.
    pub dir: PathBuf,
    /// Copy the Maildirs too (the mail store), after the database.
    #[arg(long)]
    pub mail: bool,
}

#[derive(Debug, Clone, Args)]
pub struct RestoreArgs {
    /// The directory `backup` wrote.
    pub dir: PathBuf,
    /// Restore over a database or mail store already there, keeping them aside.
    #[arg(long)]
    pub replace: bool,
}

/// Who owns the mail, and how to reach Dovecot.
#[derive(Debug, Clone, Args)]
pub struct MailArgs {
    /// The user Dovecot reads and writes mail as; it owns the Maildirs and the database.
    #[arg(long, env = "VPM_MAIL_USER", default_value = "vmail", global = true)]
    pub mail_user: String,
    /// The mail user's uid, instead of the one the user database gives.
    #[arg(long, env = "VPM_MAIL_UID", global = true)]
    pub mail_uid: Option<u32>,
    /// The mail user's gid, instead of the one the user database gives.
    #[arg(long, env = "VPM_MAIL_GID", global = true)]
    pub mail_gid: Option<u32>,
    /// Dovecot's configuration file: with it, Rebuild mailbox asks Dovecot to resync the
    /// mailbox (doveadm force-resync).
    #[arg(long, env = "VPM_DOVECOT_CONF", global = true)]
    pub dovecot_conf: Option<PathBuf>,
}

#[derive(Debug, Clone, Args)]
pub struct DovecotConfigArgs {
    /// Print the SQL part instead, to be saved where --sql-conf says.
    #[arg(long)]
    pub sql: bool,
    /// Print the dict part instead (where Dovecot copies each account's mailbox usage), to be
    /// saved beside the SQL part as vpostmaster-dict.conf.ext.
    #[arg(long, conflicts_with = "sql")]
    pub dict: bool,
    /// Write the three files instead (dovecot.conf where --dovecot-conf says, the SQL and dict
    /// parts where --sql-conf says), each with the owner and mode of what reads it.
    #[arg(long, conflicts_with_all = ["sql", "dict"])]
    pub write: bool,
    /// With --write: replace files that hold other text, keeping each beside it as
    /// NAME.before-vpostmaster-TIME.
    #[arg(long, requires = "write")]
    pub replace: bool,
    #[command(flatten)]
    pub server: DovecotServerArgs,
}

/// The settings of the Dovecot configuration, whichever part is printed or checked.
#[derive(Debug, Clone, Args)]
pub struct DovecotServerArgs {
    /// Where the SQL part is saved; the main configuration refers to it, and to the dict part
    /// beside it.
    #[arg(long, default_value = crate::dovecot::DEFAULT_SQL_CONF)]
    pub sql_conf: PathBuf,
    /// The addresses Dovecot listens on.
    #[arg(long = "dovecot-listen", default_value = "*, ::")]
    pub listen: String,
    /// The POP3 port (995 serves POP3 over TLS).
    #[arg(long, default_value_t = 110)]
    pub pop3_port: u16,
    /// The IMAP port (993 serves IMAP over TLS).
    #[arg(long, default_value_t = 143)]
    pub imap_port: u16,
    /// Dovecot's TLS certificate (PEM).
    #[arg(long, default_value = "/etc/dovecot/private/dovecot.pem")]
    pub ssl_cert: PathBuf,
    /// Dovecot's TLS private key (PEM).
    #[arg(long, default_value = "/etc/dovecot/private/dovecot.key")]
    pub ssl_key: PathBuf,
    /// No TLS: only for a Dovecot reached from this host alone, which is the only place
    /// Dovecot then accepts passwords from.
    #[arg(long, conflicts_with_all = ["ssl_cert", "ssl_key"])]
    pub no_ssl: bool,
    /// Postfix's queue directory, where Dovecot puts its LMTP and quota-status sockets.
    #[arg(long, default_value = crate::dovecot::DEFAULT_POSTFIX_QUEUE)]
    pub postfix_queue: PathBuf,
    /// The sendmail program that sends auto-replies.
    #[arg(long, default_value = crate::dovecot::DEFAULT_SENDMAIL)]
    pub sendmail_path: PathBuf,
    /// Send auto-replies to this SMTP server (HOST:PORT) instead of through sendmail.
    #[arg(long, conflicts_with = "sendmail_path")]
    pub submission_host: Option<String>,
    #[command(flatten)]
    pub roles: MailRolesArgs,
}

impl DovecotServerArgs {
    /// How these flags say auto-replies are sent.
    pub fn submission(&self) -> crate::dovecot::Submission {
        match &self.submission_host {
            Some(host) => crate::dovecot::Submission::Host(host.clone()),
            None => crate::dovecot::Submission::Sendmail(self.sendmail_path.clone()),
        }
    }

    /// The configuration these flags describe for an (absolute) data directory and the
    /// console's database URL.
    pub fn config(
        &self,
        data_dir: PathBuf,
        database_url: Option<String>,
        mail_user: MailUser,
    ) -> DovecotConfig {
        DovecotConfig {
            data_dir,
            database_url,
            mail_user,
            sql_conf: self.sql_conf.clone(),
            listen: self.listen.clone(),
            pop3_port: self.pop3_port,
            imap_port: self.imap_port,
            tls: (!self.no_ssl).then(|| Tls {
                cert: self.ssl_cert.clone(),
                key: self.ssl_key.clone(),
            }),
            instance: None,
            postfix_queue: self.postfix_queue.clone(),
            submission: self.submission(),
            mail_roles_dir: self.roles.mail_roles_dir.clone(),
        }
    }
}

/// Where the mail servers' PostgreSQL roles keep their passwords.
#[derive(Debug, Clone, Args)]
pub struct MailRolesArgs {
    /// The directory of the files holding the passwords of Postfix's and Dovecot's PostgreSQL
    /// roles (postfix-database-password, dovecot-database-password), readable by root only.
    #[arg(long, env = "VPM_MAIL_ROLES_DIR", default_value = crate::mail_roles::DEFAULT_MAIL_ROLES_DIR)]
    pub mail_roles_dir: PathBuf,
}

#[derive(Debug, Clone, Args)]
pub struct PostfixConfigArgs {
    /// Print this lookup table instead of the main.cf settings.
    #[arg(long, value_enum)]
    pub table: Option<crate::postfix::Table>,
    /// Write the three lookup tables into --tables-dir instead, readable by Postfix's group.
    #[arg(long, conflicts_with = "table")]
    pub write: bool,
    /// With --write: replace tables that hold other text, keeping each beside it as
    /// NAME.before-vpostmaster-TIME.
    #[arg(long, requires = "write")]
    pub replace: bool,
    /// Where the lookup tables are saved; the main.cf settings refer to them.
    #[arg(long, default_value = crate::postfix::DEFAULT_TABLES_DIR)]
    pub tables_dir: PathBuf,
    #[command(flatten)]
    pub roles: MailRolesArgs,
}

/// Where `check` looks besides the Dovecot settings.
#[derive(Debug, Clone, Args)]
pub struct CheckArgs {
    #[command(flatten)]
    pub dovecot: DovecotServerArgs,
    /// Where the Postfix lookup tables are saved.
    #[arg(long, default_value = crate::postfix::DEFAULT_TABLES_DIR)]
    pub tables_dir: PathBuf,
    /// Postfix's main.cf, which must hold the settings `postfix-config` prints.
    #[arg(long, default_value = crate::postfix::DEFAULT_MAIN_CF)]
    pub postfix_main_cf: PathBuf,
    /// Where Postfix answers SMTP.
    #[arg(long, default_value = "127.0.0.1:25")]
    pub smtp: SocketAddr,
    /// Also send one message to this account through Postfix's SMTP, wait until it is in its
    /// Maildir, and remove it; or say where it stopped.
    #[arg(long, value_name = "ADDRESS")]
    pub deliver: Option<String>,
}

/// The operator's commands on the database.
#[derive(Debug, Subcommand)]
pub enum OperatorCommand {
    /// Add, list, disable and enable domains.
    #[command(subcommand)]
    Domain(DomainCommand),
    /// Add, list, disable, enable and remove administrators, and set their passwords.
    #[command(subcommand)]
    Admin(AdminCommand),
    /// Create the demo domain example.test and postmaster@example.test if they are missing.
    Demo {
        /// Also the mail account demo@example.test, for the demo's mail server.
        #[arg(long)]
        mail_account: bool,
    },
    /// Work on one mail account (`mailbox` is its older name, still understood).
    #[command(subcommand, visible_alias = "mailbox")]
    Account(AccountCommand),
    /// Add, list, change, remove and restore a domain's aliases.
    #[command(subcommand)]
    Alias(AliasCommand),
    /// Print a domain's live accounts as CSV, as the Users screen's "Export as CSV" does.
    Export {
        /// The domain.
        domain: String,
    },
    /// Add a domain's accounts from a CSV file with the rules of "Add many accounts": all of
    /// them, or none and every problem by line. Columns: username (or address), password,
    /// password again, first name, last name, quota in MB; a header line may name them (and no
    /// others), so a file `export` wrote imports as it is. At most 1 MiB.
    Import {
        /// The domain.
        domain: String,
        /// The CSV file.
        file: PathBuf,
        /// Check the file and report, adding nothing.
        #[arg(long)]
        dry_run: bool,
        /// Generate the passwords of lines that give none; they are printed once as CSV.
        #[arg(long)]
        generate_missing: bool,
    },
    /// Remove for good the accounts and aliases deleted more than 30 days ago (the server also
    /// does this every hour).
    Purge {
        /// The clock jumped ahead and purges wait: it has been checked and is right.
        #[arg(long)]
        clock_is_right: bool,
    },
}

#[derive(Debug, Clone, Args)]
pub struct ServeArgs {
    /// Address and port to listen on.
    #[arg(long, env = "VPM_LISTEN", default_value = "127.0.0.1:8000")]
    pub listen: SocketAddr,
    /// Serve HTTPS with this certificate chain (PEM); needs --tls-key.
    #[arg(long, env = "VPM_TLS_CERT", requires = "tls_key")]
    pub tls_cert: Option<PathBuf>,
    /// The private key (PEM) of --tls-cert.
    #[arg(long, env = "VPM_TLS_KEY", requires = "tls_cert")]
    pub tls_key: Option<PathBuf>,
    /// Allow a non-loopback address without TLS, because TLS ends at a reverse proxy.
    #[arg(long, env = "VPM_BEHIND_PROXY")]
    pub behind_proxy: bool,
    /// The reverse proxy's address (repeat, or separate with commas): only its
    /// X-Forwarded-For names the client, and it has no share of connections of its own.
    /// Needed with --behind-proxy unless the console listens on a loopback address, where a
    /// proxy on the same host is trusted.
    #[arg(
        long = "trusted-proxy",
        env = "VPM_TRUSTED_PROXIES",
        value_delimiter = ',',
        requires = "behind_proxy"
    )]
    pub trusted_proxies: Vec<std::net::IpAddr>,
    /// Minutes without activity after which a session ends.
    #[arg(long, env = "VPM_SESSION_IDLE_MINUTES", default_value_t = 30, value_parser = clap::value_parser!(u64).range(1..=1440))]
    pub session_idle_minutes: u64,
    /// Hours after log on at which a session ends, however busy.
    #[arg(long, env = "VPM_SESSION_MAX_HOURS", default_value_t = 12, value_parser = clap::value_parser!(u64).range(1..=168))]
    pub session_max_hours: u64,
    /// Directory of the built site (the WASM app, styles); found beside the binary by default.
    #[arg(long, env = "VPM_SITE_DIR")]
    pub site_dir: Option<PathBuf>,
    /// A host name browsers use to reach the console (repeat, or separate with commas). When
    /// given, requests naming another host are refused; a loopback listener always accepts
    /// localhost, 127.0.0.1 and [::1], and only those unless names are given.
    #[arg(long = "host-name", env = "VPM_HOST_NAMES", value_delimiter = ',')]
    pub host_names: Vec<String>,
    /// Days the audit log keeps its rows.
    #[arg(long, env = "VPM_AUDIT_RETENTION_DAYS", default_value_t = app::ssr::retention::AUDIT_RETENTION_DAYS, value_parser = clap::value_parser!(u32).range(1..=36500))]
    pub audit_retention_days: u32,
    /// Connections served at once; more wait until one ends.
    #[arg(long, env = "VPM_MAX_CONNECTIONS", default_value_t = crate::limits::MAX_CONNECTIONS, value_parser = parse_positive)]
    pub max_connections: usize,
    /// Connections one client (an IPv4 address, or an IPv6 /64) may hold, counting those that
    /// wait; more are closed at once. Default: an eighth of --max-connections, at least 16.
    #[arg(long, env = "VPM_MAX_CONNECTIONS_PER_CLIENT", value_parser = parse_positive)]
    pub max_connections_per_client: Option<usize>,
    /// Seconds a connection may take to finish its TLS handshake, to send a request's
    /// headers, or to start its next request, and its client may take nothing of an answer;
    /// then it is closed.
    #[arg(long, env = "VPM_IDLE_TIMEOUT", default_value_t = crate::limits::IDLE_TIMEOUT_SECONDS, value_parser = clap::value_parser!(u64).range(1..=3600))]
    pub idle_timeout: u64,
    /// Every administrator must use two-factor log-on: one without it is sent, after the
    /// password, to turn it on before anything else.
    #[arg(long = "require-2fa", env = "VPM_REQUIRE_2FA")]
    pub require_2fa: bool,
}

fn parse_positive(text: &str) -> Result<usize, String> {
    match text.parse::<usize>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("{text:?} is not a whole number above 0")),
    }
}

#[derive(Debug, Subcommand)]
pub enum DomainCommand {
    /// Add a domain.
    Add {
        /// The domain name, e.g. example.com.
        name: String,
        /// A note for the operator.
        #[arg(long, default_value = "")]
        description: String,
    },
    /// List the domains with their number of accounts.
    List,
    /// Stop every account of a domain from logging in to the mail, and its postmasters from
    /// using the console for it, keeping everything.
    Disable {
        /// The domain name.
        name: String,
    },
    /// Let a disabled domain's accounts log in again.
    Enable {
        /// The domain name.
        name: String,
    },
    /// Send mail to the domain's addresses that are neither accounts nor aliases to one
    /// address, or (--off) refuse it again. Spam to made-up addresses reaches it too.
    CatchAll {
        /// The domain name.
        name: String,
        /// An account or alias of the console, or an outside address.
        #[arg(required_unless_present = "off", conflicts_with = "off")]
        target: Option<String>,
        /// Turn the catch-all off.
        #[arg(long)]
        off: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AccountCommand {
    /// Repair an account's mailbox so that checking mail works again, and print what it found
    /// and did. Mail is never deleted. Run it as root to give files back to the mail user.
    Rebuild {
        /// The account's full address.
        email: String,
    },
    /// Forward an account's mail to other addresses, keeping a copy unless --no-copy; or
    /// (--off) stop forwarding.
    Forward {
        /// The account's full address.
        email: String,
        /// Where to forward to.
        #[arg(required_unless_present = "off", conflicts_with = "off")]
        targets: Vec<String>,
        /// Do not keep a copy in the account's mailbox.
        #[arg(long, conflicts_with = "off")]
        no_copy: bool,
        /// Stop forwarding.
        #[arg(long)]
        off: bool,
    },
    /// Turn an account's auto-reply on (each sender gets it once every 3 days, lists and
    /// automatic mail never), or off with --off.
    Autoreply {
        /// The account's full address.
        email: String,
        /// The reply's subject.
        #[arg(long, required_unless_present = "off")]
        subject: Option<String>,
        /// The reply's text; several lines as one argument, e.g. --text "$(cat away.txt)".
        #[arg(long, required_unless_present = "off")]
        text: Option<String>,
        /// The first day it answers (YYYY-MM-DD); from now if not given.
        #[arg(long)]
        from: Option<String>,
        /// The last day it answers (YYYY-MM-DD); until turned off if not given.
        #[arg(long)]
        until: Option<String>,
        /// Turn it off, keeping its text.
        #[arg(long, conflicts_with_all = ["subject", "text", "from", "until"])]
        off: bool,
    },
}

#[derive(Debug, Subcommand)]
pub enum AliasCommand {
    /// Add an alias that delivers to one or more addresses.
    Add {
        /// The alias's full address, e.g. sales@example.com.
        address: String,
        /// Where its mail goes: accounts, other aliases or outside addresses.
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// List a domain's aliases and where they deliver.
    List {
        /// The domain name.
        domain: String,
    },
    /// Change where an alias delivers.
    Edit {
        /// The alias's full address.
        address: String,
        /// The new targets, replacing the old ones.
        #[arg(required = true)]
        targets: Vec<String>,
    },
    /// Delete an alias; it can be restored for 30 days.
    Remove {
        /// The alias's full address.
        address: String,
    },
    /// Bring back the alias deleted last at an address.
    Restore {
        /// The alias's full address.
        address: String,
    },
}

#[derive(Debug, Subcommand)]
pub enum AdminCommand {
    /// Add a postmaster for a domain, or a superadmin for all domains.
    Add {
        /// The administrator's full address, used to log on.
        email: String,
        /// The domain this postmaster manages.
        #[arg(
            long,
            required_unless_present = "superadmin",
            conflicts_with = "superadmin"
        )]
        domain: Option<String>,
        /// Manage every domain.
        #[arg(long)]
        superadmin: bool,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Set an administrator's password.
    Passwd {
        /// The administrator's full address.
        email: String,
        /// Read the password from the first line of standard input instead of generating one.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List the administrators and their domains.
    List,
    /// Stop an administrator from logging on to the console, ending their sessions.
    Disable {
        /// The administrator's full address.
        email: String,
    },
    /// Let a disabled administrator log on again.
    Enable {
        /// The administrator's full address.
        email: String,
    },
    /// Remove an administrator for good; the audit log keeps their history.
    Remove {
        /// The administrator's full address.
        email: String,
    },
    /// Turn two-factor log-on off for an administrator who lost their phone and recovery
    /// codes; they log on with the password alone and may enrol again.
    #[command(name = "reset-2fa")]
    Reset2fa {
        /// The administrator's full address.
        email: String,
    },
}

impl Cli {
    /// Parses the arguments; a mistake prints one line on stderr and exits with status 2.
    pub fn parse_or_exit() -> Self {
        match Cli::try_parse() {
            Ok(cli) => cli,
            Err(error)
                if matches!(
                    error.kind(),
                    ErrorKind::DisplayHelp | ErrorKind::DisplayVersion
                ) =>
            {
                error.exit()
            }
            Err(error) => {
                // Clap's first paragraph says what is wrong; its usage block follows.
                let rendered = error.render().to_string();
                let first: Vec<&str> = rendered
                    .lines()
                    .map(str::trim)
                    .take_while(|line| !line.is_empty())
                    .collect();
                let first = first.join(" ");
                let first = first.strip_prefix("error: ").unwrap_or(&first);
                eprintln!("vpostmaster: {first} (see vpostmaster --help)");
                std::process::exit(2);
            }
        }
    }
}

impl ServeArgs {
    /// The serve settings from the environment and defaults, for a bare `vpostmaster`.
    pub fn from_env() -> Result<Self, String> {
        let matches = ServeArgs::augment_args(clap::Command::new("vpostmaster"))
            .try_get_matches_from(["vpostmaster"])
            .map_err(|error| error.to_string())?;
        ServeArgs::from_arg_matches(&matches).map_err(|error| error.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use clap::CommandFactory;

    #[test]
    fn definitions_are_consistent() {
        Cli::command().debug_assert();
    }
}
