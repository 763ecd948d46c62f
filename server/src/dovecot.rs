//! The Dovecot configuration that serves the console's accounts over POP3 and IMAP, filled in
//! from the templates in `deploy/dovecot/` for a data directory and a mail user.

use std::path::{Path, PathBuf};

use app::ssr::mailstore::{MailUser, MAIL_DIR};

use crate::config_files::ConfigFile;
use crate::database::LookupDatabase;
use crate::mail_roles::{self, MailRole};
use crate::template::{fill, value, word};

const MAIN_TEMPLATE: &str = include_str!("../../deploy/dovecot/dovecot.conf.in");
const SQL_TEMPLATE: &str = include_str!("../../deploy/dovecot/vpostmaster-sql.conf.ext.in");
const DICT_TEMPLATE: &str = include_str!("../../deploy/dovecot/vpostmaster-dict.conf.ext.in");

/// Where Debian's Dovecot reads its configuration.
pub const DEFAULT_DOVECOT_CONF: &str = "/etc/dovecot/dovecot.conf";
/// Where the SQL part is saved by default, next to Debian's own configuration.
pub const DEFAULT_SQL_CONF: &str = "/etc/dovecot/vpostmaster-sql.conf.ext";
/// Debian's Dovecot keeps its sockets here.
pub const DEFAULT_BASE_DIR: &str = "/run/dovecot";
/// The dict part's file name: it is saved beside the SQL part.
pub const DICT_CONF_NAME: &str = "vpostmaster-dict.conf.ext";
/// Debian's Postfix queue directory.
pub const DEFAULT_POSTFIX_QUEUE: &str = "/var/spool/postfix";
/// Dovecot's LMTP socket in Postfix's queue directory, as the template names it.
pub const LMTP_SOCKET: &str = "private/dovecot-lmtp";
/// Dovecot's quota-status socket in Postfix's queue directory, as the template names it.
pub const QUOTA_STATUS_SOCKET: &str = "private/dovecot-quota-status";
/// The system's sendmail program, which Postfix provides.
pub const DEFAULT_SENDMAIL: &str = "/usr/sbin/sendmail";

/// How Dovecot sends the mail that Sieve makes (auto-replies).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Submission {
    /// Through this sendmail program.
    Sendmail(PathBuf),
    /// To this SMTP server, `host:port`.
    Host(String),
}

impl Submission {
    /// The setting in `dovecot.conf`.
    fn setting(&self) -> Result<String, String> {
        match self {
            Submission::Sendmail(path) => Ok(format!("sendmail_path = {}", value(path)?)),
            Submission::Host(host) => {
                let plain = host.contains(':')
                    && host.chars().all(|c| {
                        c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':' | '[' | ']')
                    });
                if plain {
                    Ok(format!("submission_host = {host}"))
                } else {
                    Err(format!(
                        "{host:?} is not an SMTP server for Dovecot: give HOST:PORT"
                    ))
                }
            }
        }
    }
}

/// A private Dovecot's own directories, for one that runs beside a system Dovecot (tests).
#[derive(Debug, Clone)]
pub struct Instance {
    pub name: String,
    pub base_dir: PathBuf,
    pub state_dir: PathBuf,
    pub log_path: PathBuf,
}

/// Dovecot's TLS certificate and key (PEM files).
#[derive(Debug, Clone)]
pub struct Tls {
    pub cert: PathBuf,
    pub key: PathBuf,
}

/// Everything the templates need.
#[derive(Debug, Clone)]
pub struct DovecotConfig {
    /// The console's data directory (absolute).
    pub data_dir: PathBuf,
    /// The console's `--database-url`: `None` for the SQLite file in the data directory.
    pub database_url: Option<String>,
    pub mail_user: MailUser,
    /// Where the SQL part is saved: the main part refers to it.
    pub sql_conf: PathBuf,
    /// Dovecot's `listen`, e.g. `*, ::` or `127.0.0.1`.
    pub listen: String,
    pub pop3_port: u16,
    pub imap_port: u16,
    /// `None`: no TLS, for a Dovecot reached only from this host.
    pub tls: Option<Tls>,
    /// `None`: Debian's own directories and syslog.
    pub instance: Option<Instance>,
    /// Postfix's queue directory: Dovecot's LMTP and quota-status sockets go in its
    /// `private/`, where Postfix's processes reach them.
    pub postfix_queue: PathBuf,
    /// How auto-replies are sent.
    pub submission: Submission,
    /// Where the password of Dovecot's PostgreSQL role is kept ([`crate::mail_roles`]).
    pub mail_roles_dir: PathBuf,
}

impl DovecotConfig {
    /// `dovecot.conf`.
    pub fn main(&self) -> Result<String, String> {
        let (ssl, pop3s, imaps) = match &self.tls {
            Some(tls) => (
                format!(
                    "ssl = required\nssl_cert = <{}\nssl_key = <{}",
                    value(&tls.cert)?,
                    value(&tls.key)?
                ),
                "995",
                "993",
            ),
            None => ("ssl = no".to_owned(), "0", "0"),
        };
        let (name, base_dir, state_dir, log_path) = match &self.instance {
            Some(instance) => (
                word(&instance.name)?,
                value(&instance.base_dir)?,
                value(&instance.state_dir)?,
                value(&instance.log_path)?,
            ),
            None => (
                "dovecot".to_owned(),
                DEFAULT_BASE_DIR.to_owned(),
                "/var/lib/dovecot".to_owned(),
                "syslog".to_owned(),
            ),
        };
        if self.listen.is_empty()
            || !self.listen.chars().all(|c| {
                c.is_ascii_alphanumeric() || matches!(c, '.' | ':' | '*' | ',' | ' ' | '[' | ']')
            })
        {
            return Err(format!(
                "{:?} is not a list of addresses for Dovecot",
                self.listen
            ));
        }
        fill(
            MAIN_TEMPLATE,
            &[
                ("LISTEN", self.listen.clone()),
                ("BASE_DIR", base_dir),
                ("STATE_DIR", state_dir),
                ("INSTANCE_NAME", name),
                ("LOG_PATH", log_path),
                ("SSL", ssl),
                ("UID", self.mail_user.uid.to_string()),
                ("GID", self.mail_user.gid.to_string()),
                ("SQL_CONF", value(&self.sql_conf)?),
                ("DICT_CONF", value(&self.dict_conf())?),
                ("DRIVER", self.driver()?.to_owned()),
                ("MAIL_USER", word(&self.mail_user.name)?),
                ("IMAP_PORT", self.imap_port.to_string()),
                ("IMAPS_PORT", imaps.to_owned()),
                ("POP3_PORT", self.pop3_port.to_string()),
                ("POP3S_PORT", pop3s.to_owned()),
                ("POSTFIX_QUEUE", value(&self.postfix_queue)?),
                ("SUBMISSION", self.submission.setting()?),
            ],
        )
    }

    /// The three files, with `dovecot.conf` at `main_path`, each readable by what reads it:
    /// the master reads the main part as root; the auth process reads the SQL part as root
    /// before it drops its privileges; the dict service opens the dict part as the mail user
    /// when a delivery first needs it. On PostgreSQL the two parts hold the password of
    /// Dovecot's role.
    pub fn files(&self, main_path: &Path) -> Result<Vec<ConfigFile>, String> {
        const WRITE: &str = "vpostmaster dovecot-config --write";
        Ok(vec![
            ConfigFile::root(main_path.to_owned(), self.main()?, 0o644).read_by("Dovecot", WRITE),
            ConfigFile::root(self.sql_conf.clone(), self.sql()?, 0o600)
                .read_by("Dovecot's auth process, as root", WRITE),
            ConfigFile::root(self.dict_conf(), self.dict()?, 0o600)
                .owned(
                    self.mail_user.uid,
                    self.mail_user.gid,
                    self.mail_user.name.clone(),
                )
                .read_by(
                    format!(
                        "Dovecot's dict service, as the mail user {},",
                        self.mail_user.name
                    ),
                    WRITE,
                ),
        ])
    }

    /// Where Dovecot keeps its sockets: the dict's and the auth service's are there.
    pub fn base_dir(&self) -> PathBuf {
        match &self.instance {
            Some(instance) => instance.base_dir.clone(),
            None => PathBuf::from(DEFAULT_BASE_DIR),
        }
    }

    /// Where the dict part is saved: beside the SQL part, so one flag places both.
    pub fn dict_conf(&self) -> PathBuf {
        self.sql_conf.with_file_name(DICT_CONF_NAME)
    }

    /// The dict part, to be saved at [`dict_conf`](Self::dict_conf): where Dovecot copies each
    /// account's usage.
    pub fn dict(&self) -> Result<String, String> {
        fill(DICT_TEMPLATE, &[("CONNECT", self.connect()?)])
    }

    /// The SQL part, to be saved at [`sql_conf`](Self::sql_conf).
    pub fn sql(&self) -> Result<String, String> {
        fill(
            SQL_TEMPLATE,
            &[
                ("DRIVER", self.driver()?.to_owned()),
                ("CONNECT", self.connect()?),
                ("MAIL_ROOT", value(&self.data_dir.join(MAIL_DIR))?),
            ],
        )
    }

    /// Dovecot's SQL driver for the console's database.
    fn driver(&self) -> Result<&'static str, String> {
        Ok(
            match LookupDatabase::new(&self.data_dir, self.database_url.as_deref())? {
                LookupDatabase::Sqlite(_) => "sqlite",
                LookupDatabase::Postgres(_) => "pgsql",
            },
        )
    }

    /// The `connect` setting, the same for the passdb, the userdb and the dict: the SQLite
    /// file, or on PostgreSQL Dovecot's own role, which may read the accounts' and Sieve
    /// scripts' views and write mailbox usage, and nothing else.
    fn connect(&self) -> Result<String, String> {
        let login = mail_roles::login(
            &self.data_dir,
            self.database_url.as_deref(),
            &self.mail_roles_dir,
            MailRole::Dovecot,
        )?;
        Ok(match login {
            LookupDatabase::Sqlite(path) => path,
            LookupDatabase::Postgres(postgres) => postgres.conninfo(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> DovecotConfig {
        DovecotConfig {
            data_dir: PathBuf::from("/srv/vpostmaster/data"),
            database_url: None,
            mail_user: MailUser {
                name: "vmail".into(),
                uid: 5000,
                gid: 5001,
            },
            sql_conf: PathBuf::from(DEFAULT_SQL_CONF),
            listen: "*, ::".into(),
            pop3_port: 110,
            imap_port: 143,
            tls: Some(Tls {
                cert: "/etc/dovecot/private/dovecot.pem".into(),
                key: "/etc/dovecot/private/dovecot.key".into(),
            }),
            instance: None,
            postfix_queue: PathBuf::from(DEFAULT_POSTFIX_QUEUE),
            submission: Submission::Sendmail(DEFAULT_SENDMAIL.into()),
            mail_roles_dir: PathBuf::from("/nonexistent"),
        }
    }

    #[test]
    fn the_templates_are_filled_completely() {
        let main = config().main().unwrap();
        let sql = config().sql().unwrap();
        let dict = config().dict().unwrap();
        for text in [&main, &sql, &dict] {
            assert!(!text.contains("@"), "{text}");
        }
        assert!(main.contains("mail_uid = 5000\n"));
        assert!(main.contains("first_valid_uid = 5000\n"));
        assert!(main.contains("user = vmail\n"));
        assert!(main.contains("ssl = required\nssl_cert = </etc/dovecot/private/dovecot.pem\n"));
        assert!(main.contains("args = /etc/dovecot/vpostmaster-sql.conf.ext\n"));
        assert!(main.contains("port = 995\n"));
        assert!(sql.contains("connect = /srv/vpostmaster/data/vpostmaster.db\n"));
        assert!(sql.contains("'{ARGON2ID}' || password_hash AS password"));
        assert!(sql.contains("'/srv/vpostmaster/data/mail/' || maildir AS userdb_home"));
        assert!(sql.contains("FROM dovecot_accounts WHERE email = '%u'\n"));
        for socket in [LMTP_SOCKET, QUOTA_STATUS_SOCKET] {
            let listener = format!("unix_listener /var/spool/postfix/{socket} {{\n");
            assert!(main.contains(&listener), "{listener}");
        }
        assert!(sql.contains("'*:storage=' || quota_mb || 'M' AS userdb_quota_rule"));
        assert!(main.contains("usage = sqlite:/etc/dovecot/vpostmaster-dict.conf.ext\n"));
        assert!(dict.contains("connect = /srv/vpostmaster/data/vpostmaster.db\n"));
        assert!(dict.contains("table = mailbox_usage\n"));
    }

    #[test]
    fn on_postgresql_the_pgsql_driver_logs_on_as_dovecot_s_role_and_reads_the_same_queries() {
        let roles = std::env::temp_dir().join(format!("vpm-dovecot-roles-{}", std::process::id()));
        std::fs::create_dir_all(&roles).unwrap();
        std::fs::write(MailRole::Dovecot.password_file(&roles), "R0le\n").unwrap();
        let sqlite = config();
        let postgres = DovecotConfig {
            database_url: Some("postgres://vpm:s3cret@db.example.com/mail?sslmode=require".into()),
            mail_roles_dir: roles.clone(),
            ..config()
        };
        let connect = "connect = host=db.example.com port=5432 dbname=mail user=mail_dovecot \
                       password=R0le sslmode=require\n";
        let sql = postgres.sql().unwrap();
        assert!(sql.contains(&format!("driver = pgsql\n{connect}")), "{sql}");
        assert!(postgres.dict().unwrap().contains(connect));
        assert!(!sql.contains("s3cret") && !postgres.dict().unwrap().contains("s3cret"));
        assert!(postgres
            .main()
            .unwrap()
            .contains("usage = pgsql:/etc/dovecot/vpostmaster-dict.conf.ext\n"));
        let queries = |text: &str| text.split_once("password_query").unwrap().1.to_owned();
        assert_eq!(queries(&sql), queries(&sqlite.sql().unwrap()));
        assert!(sqlite.sql().unwrap().contains("driver = sqlite\n"));
        let unusable = DovecotConfig {
            database_url: Some("postgres://db.example.com/mail".into()),
            ..config()
        };
        for text in [unusable.main(), unusable.sql(), unusable.dict()] {
            assert!(text.unwrap_err().contains("user"));
        }
        std::fs::remove_dir_all(&roles).unwrap();
    }

    #[test]
    fn deliveries_run_the_autoreply_script_from_the_dict() {
        let main = config().main().unwrap();
        let dict = config().dict().unwrap();
        assert!(main.contains("  mail_plugins = $mail_plugins sieve\n"));
        assert!(main.contains("sieve = dict:proxy::usage;name=autoreply;bindir=~/sieve-bin\n"));
        assert!(main.contains("sendmail_path = /usr/sbin/sendmail\n"));
        assert!(!main.contains("submission_host"));
        assert!(dict.contains(
            "pattern = priv/sieve/name/$name\n  table = sieve_scripts\n  username_field = email\n  value_field = id\n"
        ));
        assert!(dict.contains(
            "pattern = priv/sieve/data/$id\n  table = sieve_scripts\n  username_field = email\n  value_field = script\n"
        ));
        let by_smtp = DovecotConfig {
            submission: Submission::Host("127.0.0.1:2525".into()),
            ..config()
        };
        let main = by_smtp.main().unwrap();
        assert!(main.contains("submission_host = 127.0.0.1:2525\n"));
        assert!(!main.contains("sendmail_path"));
        for bad in ["", "mx.example.com", "mx:25\nssl = no", "mx:25 # x"] {
            let config = DovecotConfig {
                submission: Submission::Host(bad.into()),
                ..config()
            };
            assert!(config.main().is_err(), "{bad:?}");
        }
        let relative = DovecotConfig {
            submission: Submission::Sendmail("sendmail".into()),
            ..config()
        };
        assert!(relative.main().is_err());
    }

    #[test]
    fn without_tls_the_tls_ports_are_closed() {
        let main = DovecotConfig {
            tls: None,
            ..config()
        }
        .main()
        .unwrap();
        assert!(main.contains("ssl = no\n"));
        assert!(main.contains("port = 0\n"));
        assert!(!main.contains("ssl_cert"));
    }

    #[test]
    fn paths_dovecot_cannot_hold_are_refused() {
        for dir in [
            "relative/data",
            "/srv/it's",
            "/srv/a b",
            "/srv/100%",
            "/srv/#x",
            "/srv/$x",
            "/srv/x\ny",
        ] {
            let config = DovecotConfig {
                data_dir: PathBuf::from(dir),
                ..config()
            };
            assert!(config.sql().is_err(), "{dir:?}");
        }
        let bad_listen = DovecotConfig {
            listen: "127.0.0.1\nssl = no".into(),
            ..config()
        };
        assert!(bad_listen.main().is_err());
    }
}
