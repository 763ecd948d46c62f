//! The Postfix settings and lookup tables that deliver mail for the console's domains to their
//! accounts through Dovecot's LMTP, filled in from the templates in `deploy/postfix/`.

use std::path::PathBuf;

use app::ssr::mailstore::MailUser;

use crate::config_files::ConfigFile;
use crate::database::LookupDatabase;
use crate::mail_roles::{self, MailRole};
use crate::template::{fill, value};

const MAIN_TEMPLATE: &str = include_str!("../../deploy/postfix/main.cf.in");
const DOMAINS_TEMPLATE: &str = include_str!("../../deploy/postfix/vpostmaster-domains.cf.in");
const MAILBOXES_TEMPLATE: &str = include_str!("../../deploy/postfix/vpostmaster-mailboxes.cf.in");
const ALIASES_TEMPLATE: &str = include_str!("../../deploy/postfix/vpostmaster-aliases.cf.in");

/// Where the lookup tables are saved by default, next to Debian's own configuration.
pub const DEFAULT_TABLES_DIR: &str = "/etc/postfix";
/// Debian's Postfix main configuration, where the settings of [`PostfixConfig::main`] go.
pub const DEFAULT_MAIN_CF: &str = "/etc/postfix/main.cf";

/// Postfix's lookup tables over the database, by the name `--table` takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum Table {
    /// `virtual_mailbox_domains`: the domains the console holds.
    Domains,
    /// `virtual_mailbox_maps`: the live accounts.
    Mailboxes,
    /// `virtual_alias_maps`: aliases, forwarding and catch-alls.
    Aliases,
}

impl Table {
    /// Every table, as an operator saves them.
    pub const ALL: [Table; 3] = [Table::Domains, Table::Mailboxes, Table::Aliases];

    /// The file's name in the tables directory, as the main settings refer to it.
    pub fn file_name(self) -> &'static str {
        match self {
            Table::Domains => "vpostmaster-domains.cf",
            Table::Mailboxes => "vpostmaster-mailboxes.cf",
            Table::Aliases => "vpostmaster-aliases.cf",
        }
    }
}

/// Everything the templates need.
#[derive(Debug, Clone)]
pub struct PostfixConfig {
    /// The console's data directory (absolute).
    pub data_dir: PathBuf,
    /// The console's `--database-url`: `None` for the SQLite file in the data directory.
    pub database_url: Option<String>,
    /// Where the lookup tables are saved: the main settings refer to them.
    pub tables_dir: PathBuf,
    /// Where the password of Postfix's PostgreSQL role is kept ([`crate::mail_roles`]).
    pub mail_roles_dir: PathBuf,
}

impl PostfixConfig {
    /// The settings to add to `main.cf`.
    pub fn main(&self) -> Result<String, String> {
        let map_type = match self.database()? {
            LookupDatabase::Sqlite(_) => "sqlite",
            LookupDatabase::Postgres(_) => "pgsql",
        };
        fill(
            MAIN_TEMPLATE,
            &[
                ("TABLES", value(&self.tables_dir)?),
                ("MAP_TYPE", map_type.to_owned()),
            ],
        )
    }

    /// A lookup table, to be saved as [`Table::file_name`] in [`tables_dir`](Self::tables_dir).
    /// An SQLite database is opened read-only (a file URI): Postfix's lookups can never write
    /// to it. On PostgreSQL a table logs on as Postfix's own role, which may read the views of
    /// the three lookups and nothing else, and holds that role's password.
    pub fn table(&self, table: Table) -> Result<String, String> {
        let template = match table {
            Table::Domains => DOMAINS_TEMPLATE,
            Table::Mailboxes => MAILBOXES_TEMPLATE,
            Table::Aliases => ALIASES_TEMPLATE,
        };
        let login = mail_roles::login(
            &self.data_dir,
            self.database_url.as_deref(),
            &self.mail_roles_dir,
            MailRole::Postfix,
        )?;
        let connect = match login {
            LookupDatabase::Sqlite(path) => format!("dbpath = file:{path}?mode=ro"),
            LookupDatabase::Postgres(postgres) => postgres.postfix_settings(),
        };
        fill(template, &[("CONNECT", connect)])
    }

    /// The three lookup tables as files for Postfix's lookups, which read them with the group
    /// of `postfix`: a table can hold the password of Postfix's role.
    pub fn files(&self, postfix: &MailUser) -> Result<Vec<ConfigFile>, String> {
        Table::ALL
            .into_iter()
            .map(|table| {
                let path = self.tables_dir.join(table.file_name());
                Ok(ConfigFile::root(path, self.table(table)?, 0o640)
                    .owned(0, postfix.gid, format!("root:{}", postfix.name))
                    .read_by(
                        format!("Postfix's lookups, as group {},", postfix.name),
                        "vpostmaster postfix-config --write",
                    ))
            })
            .collect()
    }

    fn database(&self) -> Result<LookupDatabase, String> {
        LookupDatabase::new(&self.data_dir, self.database_url.as_deref())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config() -> PostfixConfig {
        PostfixConfig {
            data_dir: PathBuf::from("/srv/vpostmaster/data"),
            database_url: None,
            tables_dir: PathBuf::from(DEFAULT_TABLES_DIR),
            mail_roles_dir: PathBuf::from("/nonexistent"),
        }
    }

    #[test]
    fn on_postgresql_the_pgsql_maps_log_on_as_postfix_s_role_and_run_the_same_queries() {
        let roles = std::env::temp_dir().join(format!("vpm-postfix-roles-{}", std::process::id()));
        std::fs::create_dir_all(&roles).unwrap();
        std::fs::write(MailRole::Postfix.password_file(&roles), "R0le\n").unwrap();
        let postgres = PostfixConfig {
            database_url: Some("postgresql://vpm:s3cret@10.0.0.5:6432/mail".into()),
            mail_roles_dir: roles.clone(),
            ..config()
        };
        let main = postgres.main().unwrap();
        for table in Table::ALL {
            let map = format!("pgsql:/etc/postfix/{}\n", table.file_name());
            assert!(main.contains(&map), "{main}");
            let text = postgres.table(table).unwrap();
            assert!(
                text.contains(
                    "\nhosts = inet:10.0.0.5:6432\nuser = mail_postfix\npassword = R0le\n\
                     dbname = mail\nquery = "
                ),
                "{text}"
            );
            assert!(!text.contains("s3cret"), "{text}");
            let query = |text: &str| text.split_once("query = ").unwrap().1.to_owned();
            assert_eq!(query(&text), query(&config().table(table).unwrap()));
        }
        let without_role = PostfixConfig {
            mail_roles_dir: roles.join("elsewhere"),
            ..postgres
        };
        assert!(without_role
            .table(Table::Domains)
            .unwrap_err()
            .contains("vpostmaster mail-roles"));
        let unusable = PostfixConfig {
            database_url: Some("postgres://postfix@db/mail?application_name=x".into()),
            ..config()
        };
        assert!(unusable.main().unwrap_err().contains("application_name"));
        assert!(unusable.table(Table::Domains).is_err());
        std::fs::remove_dir_all(&roles).unwrap();
    }

    #[test]
    fn the_templates_are_filled_completely() {
        let main = config().main().unwrap();
        assert!(
            main.contains("virtual_mailbox_maps = sqlite:/etc/postfix/vpostmaster-mailboxes.cf\n")
        );
        assert!(main.contains("virtual_transport = lmtp:unix:private/dovecot-lmtp\n"));
        assert!(main.contains("virtual_alias_maps = sqlite:/etc/postfix/vpostmaster-aliases.cf\n"));
        for table in Table::ALL {
            let text = config().table(table).unwrap();
            assert!(!text.contains("@DB"), "{text}");
            assert!(
                text.contains("dbpath = file:/srv/vpostmaster/data/vpostmaster.db?mode=ro\n"),
                "{text}"
            );
        }
        let mailboxes = config().table(Table::Mailboxes).unwrap();
        assert!(mailboxes.contains("FROM postfix_mailboxes WHERE email = lower('%s')"));
    }

    #[test]
    fn paths_postfix_cannot_hold_are_refused() {
        for dir in [
            "relative",
            "/srv/a b",
            "/srv/x?mode=rw",
            "/srv/%s",
            "/srv/x\ny",
        ] {
            let config = PostfixConfig {
                data_dir: PathBuf::from(dir),
                database_url: None,
                tables_dir: PathBuf::from(dir),
                mail_roles_dir: PathBuf::from(dir),
            };
            assert!(config.main().is_err(), "{dir:?}");
            assert!(config.table(Table::Domains).is_err(), "{dir:?}");
        }
    }
}
