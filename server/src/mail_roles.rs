//! The PostgreSQL roles Postfix and Dovecot log on as instead of the console's: Postfix may read
//! the views of its three lookups, Dovecot those of its log-ons and Sieve scripts and write
//! mailbox usage, and neither anything else. `vpostmaster mail-roles` prints the SQL that makes
//! them; their passwords are kept in files that the configuration commands read, so no password
//! is ever on a command line.

use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::{DirBuilderExt, OpenOptionsExt};
use std::path::{Path, PathBuf};

use app::ssr::mailstore::is_root;

use crate::config_files::ConfigFile;
use crate::database::{fits_settings, LookupDatabase, Postgres};

/// Where the roles' password files are kept by default, beside the console's environment file.
pub const DEFAULT_MAIL_ROLES_DIR: &str = "/etc/vpostmaster";

/// PostgreSQL's longest name: a longer one is cut, and would no longer be the one configured.
const MAX_NAME_BYTES: usize = 63;
/// The longest password file read: a password is a line.
const PASSWORD_FILE_MAX_BYTES: u64 = 4096;

/// One of the mail servers' roles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MailRole {
    /// Postfix's lookup tables: reads `postfix_*`.
    Postfix,
    /// Dovecot's passdb, userdb and dict: reads `dovecot_accounts` and `sieve_scripts`, writes
    /// `mailbox_usage`.
    Dovecot,
}

impl MailRole {
    /// Both roles, as `mail-roles` makes them.
    pub const ALL: [MailRole; 2] = [MailRole::Postfix, MailRole::Dovecot];

    fn suffix(self) -> &'static str {
        match self {
            MailRole::Postfix => "postfix",
            MailRole::Dovecot => "dovecot",
        }
    }

    /// The role's name: the console database's name and the server's, so that the consoles of
    /// several databases on one PostgreSQL server each have their own pair.
    pub fn name(self, postgres: &Postgres) -> Result<String, String> {
        let name = format!("{}_{}", postgres.dbname, self.suffix());
        if name.len() > MAX_NAME_BYTES {
            return Err(format!(
                "the database name {:?} is too long to name the mail servers' roles after it \
                 ({name:?} is over {MAX_NAME_BYTES} bytes)",
                postgres.dbname
            ));
        }
        Ok(name)
    }

    /// The file in `dir` that holds the role's password.
    pub fn password_file(self, dir: &Path) -> PathBuf {
        dir.join(format!("{}-database-password", self.suffix()))
    }

    /// What the role may do besides connecting: the least its server's lookups need.
    fn grants(self, role: &str) -> String {
        match self {
            MailRole::Postfix => format!(
                "GRANT SELECT ON postfix_domains, postfix_mailboxes, postfix_aliases, \
                 postfix_catch_alls TO \"{role}\";\n"
            ),
            // Dovecot's dict writes usage as an upsert (INSERT ... ON CONFLICT DO UPDATE),
            // which reads the key it conflicts on.
            MailRole::Dovecot => format!(
                "GRANT SELECT ON dovecot_accounts, sieve_scripts TO \"{role}\";\n\
                 GRANT SELECT, INSERT, UPDATE ON mailbox_usage TO \"{role}\";\n"
            ),
        }
    }
}

/// How a mail server reaches the console's database: the SQLite file as it is, or on
/// PostgreSQL as `role`, with the password kept in `dir`.
pub fn login(
    data_dir: &Path,
    url: Option<&str>,
    dir: &Path,
    role: MailRole,
) -> Result<LookupDatabase, String> {
    Ok(match LookupDatabase::new(data_dir, url)? {
        LookupDatabase::Postgres(console) => {
            let password = read_password(dir, role)?;
            LookupDatabase::Postgres(Postgres {
                user: role.name(&console)?,
                password: Some(password),
                ..console
            })
        }
        sqlite => sqlite,
    })
}

/// The password on the first line of the role's file in `dir`. A message names the file, never
/// what it holds.
pub fn read_password(dir: &Path, role: MailRole) -> Result<String, String> {
    let path = role.password_file(dir);
    let mut text = String::new();
    let read = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .and_then(|file| file.take(PASSWORD_FILE_MAX_BYTES).read_to_string(&mut text));
    match read {
        Ok(_) => {}
        Err(error) if error.kind() == ErrorKind::NotFound => {
            return Err(format!(
                "{} is missing: make the mail servers' roles first with vpostmaster mail-roles \
                 (README.md, \"Choosing the database\")",
                path.display()
            ))
        }
        Err(error) => {
            return Err(format!(
                "cannot read {} ({error}): run as root",
                path.display()
            ))
        }
    }
    let password = text.lines().next().unwrap_or("").trim();
    if password.is_empty() || !fits_settings(password.as_bytes()) {
        return Err(format!(
            "{} must hold a password on its first line without spaces, quotes, backslashes, \
             braces or # $ %",
            path.display()
        ));
    }
    Ok(password.to_owned())
}

/// The role's password: the one in its file, or a new random one written there (mode 0600,
/// never through a link) when there is none.
fn password(dir: &Path, role: MailRole) -> Result<String, String> {
    let path = role.password_file(dir);
    if path.symlink_metadata().is_ok() {
        restrict(&path).map_err(|error| format!("{}: {error}", path.display()))?;
        return read_password(dir, role);
    }
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o750)
        .create(dir)
        .map_err(|error| format!("cannot make {}: {error}", dir.display()))?;
    let mut random = [0u8; 24];
    getrandom::fill(&mut random).map_err(|error| error.to_string())?;
    let password: String = random
        .iter()
        .map(|byte| char::from(ALPHABET[usize::from(*byte) % ALPHABET.len()]))
        .collect();
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .custom_flags(libc::O_NOFOLLOW)
        .open(&path)
        .and_then(|mut file| {
            file.write_all(format!("{password}\n").as_bytes())?;
            file.sync_all()
        });
    written.map_err(|error| format!("cannot write {}: {error}", path.display()))?;
    Ok(password)
}

/// Gives a password file kept before to root alone (its owner, when not run as root), with
/// mode 0600, not following a link.
fn restrict(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    let file = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOFOLLOW)
        .open(path)?;
    if is_root() {
        std::os::unix::fs::fchown(&file, Some(0), Some(0))?;
    }
    file.set_permissions(std::fs::Permissions::from_mode(0o600))
}

/// The password files as `check` holds them: root's alone, as `mail-roles` makes them.
pub fn files(dir: &Path) -> Result<Vec<ConfigFile>, String> {
    MailRole::ALL
        .into_iter()
        .map(|role| {
            read_password(dir, role)?;
            let path = role.password_file(dir);
            let text = std::fs::read_to_string(&path)
                .map_err(|error| format!("cannot read {} ({error})", path.display()))?;
            Ok(ConfigFile::root(path, text, 0o600).read_by(
                "vpostmaster (dovecot-config and postfix-config), as root,",
                "vpostmaster mail-roles",
            ))
        })
        .collect()
}

/// Letters and digits: 62 of them, so 24 characters carry about 142 bits (the byte's modulo
/// skews it a little, which leaves well over 128).
const ALPHABET: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

/// The SQL that makes (or brings back to this) both roles on the console's database, with
/// their passwords: for `vpostmaster mail-roles`, which makes the password files it lacks.
pub fn sql_for(url: Option<&str>, dir: &Path) -> Result<String, String> {
    let console =
        match url.map(Postgres::parse).transpose()? {
            Some(console) => console,
            None => return Err(
                "mail-roles is for a console on PostgreSQL: on SQLite, Postfix and Dovecot read \
                 the database file (README.md, \"Mail server\")"
                    .to_owned(),
            ),
        };
    let roles = MailRole::ALL
        .into_iter()
        .map(|role| Ok((role, role.name(&console)?, password(dir, role)?)))
        .collect::<Result<Vec<_>, String>>()?;
    Ok(sql(&console.dbname, &roles))
}

/// The SQL for `roles` (role, name, password) on the database `dbname`.
fn sql(dbname: &str, roles: &[(MailRole, String, String)]) -> String {
    let mut text = format!(
        "-- The roles Postfix and Dovecot log on to the database \"{dbname}\" as: Postfix reads \
         its three\n-- lookups, Dovecot its log-ons and Sieve scripts and writes mailbox \
         usage, and neither\n-- anything else. Made by `vpostmaster mail-roles`; run it as a \
         PostgreSQL superuser in\n-- that database after the console has made its tables, \
         e.g. piped to\n--   psql -X -v ON_ERROR_STOP=1 -d {dbname}\n-- It holds the \
         roles' passwords: keep it in no file. Run again, it changes nothing.\nBEGIN;\n"
    );
    for (role, name, password) in roles {
        text.push_str(&format!(
            "DO $$ BEGIN\n    CREATE ROLE \"{name}\";\nEXCEPTION WHEN duplicate_object THEN \
             NULL;\nEND $$;\nALTER ROLE \"{name}\" WITH LOGIN NOSUPERUSER NOCREATEDB \
             NOCREATEROLE NOREPLICATION NOBYPASSRLS NOINHERIT\n    PASSWORD '{password}';\n\
             GRANT CONNECT ON DATABASE \"{dbname}\" TO \"{name}\";\n\
             GRANT USAGE ON SCHEMA public TO \"{name}\";\n{}",
            role.grants(name)
        ));
    }
    text.push_str("COMMIT;\n");
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_sql_grants_each_role_its_views_alone() {
        let text = sql(
            "mail",
            &[
                (MailRole::Postfix, "mail_postfix".into(), "Pw1".into()),
                (MailRole::Dovecot, "mail_dovecot".into(), "Pw2".into()),
            ],
        );
        assert!(text.contains(
            "GRANT SELECT ON postfix_domains, postfix_mailboxes, postfix_aliases, \
             postfix_catch_alls TO \"mail_postfix\";\n"
        ));
        assert!(text.contains("NOINHERIT\n    PASSWORD 'Pw1';\n"));
        assert!(text.contains("GRANT SELECT, INSERT, UPDATE ON mailbox_usage TO \"mail_dovecot\""));
        assert_eq!(text.matches("GRANT").count(), 7, "{text}");
        assert!(!text.contains("GRANT ALL"));
    }

    #[test]
    fn a_password_file_is_made_once_and_read_after() {
        let dir = std::env::temp_dir().join(format!("vpm-roles-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        let first = sql_for(Some("postgres://vpm:x@db/mail"), &dir).unwrap();
        let again = sql_for(Some("postgres://vpm:x@db/mail"), &dir).unwrap();
        assert_eq!(first, again);
        let password = read_password(&dir, MailRole::Dovecot).unwrap();
        assert_eq!(password.len(), 24);
        assert!(first.contains(&format!("PASSWORD '{password}'")));
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(MailRole::Postfix.password_file(&dir))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::write(MailRole::Postfix.password_file(&dir), "it's\n").unwrap();
        assert!(read_password(&dir, MailRole::Postfix)
            .unwrap_err()
            .contains("quotes"));
        assert!(sql_for(None, &dir).unwrap_err().contains("PostgreSQL"));
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
