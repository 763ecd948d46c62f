//! Where Dovecot and Postfix find the console's database: its SQLite file in the data
//! directory, or the PostgreSQL server of a `postgres://` URL, taken apart into the settings
//! their pgsql drivers read.

use std::path::Path;

use app::ssr::db::DB_FILE;

use crate::template::value;

/// The console's database as the mail servers reach it for their lookups (the console itself
/// opens it as a [`app::ssr::db::Location`], and speaks its dialect by [`app::ssr::db::Backend`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LookupDatabase {
    /// The SQLite file, by its absolute path.
    Sqlite(String),
    Postgres(Postgres),
}

/// A PostgreSQL database's connection settings, each one the configurations hold as it is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Postgres {
    pub host: String,
    pub port: u16,
    pub dbname: String,
    pub user: String,
    pub password: Option<String>,
    /// libpq's `sslmode`, when the URL gives one.
    pub sslmode: Option<String>,
}

/// PostgreSQL's port when the URL names none, as libpq and the console assume.
const DEFAULT_PORT: u16 = 5432;
/// The sslmodes libpq knows.
const SSLMODES: [&str; 6] = [
    "disable",
    "allow",
    "prefer",
    "require",
    "verify-ca",
    "verify-full",
];

impl LookupDatabase {
    /// The database of a console run with `--data-dir data_dir` and `--database-url url`.
    pub fn new(data_dir: &Path, url: Option<&str>) -> Result<LookupDatabase, String> {
        match url {
            None => Ok(LookupDatabase::Sqlite(value(&data_dir.join(DB_FILE))?)),
            Some(url) => Postgres::parse(url).map(LookupDatabase::Postgres),
        }
    }
}

impl Postgres {
    /// `postgres://USER[:PASSWORD]@HOST[:PORT][/DBNAME][?sslmode=MODE]`, percent-decoded. A
    /// missing database is the user's, as libpq takes it. Refused: a URL without a user (Dovecot
    /// and Postfix run as system users of their own, so libpq's default would differ from the
    /// console's), without a host (a Unix socket), with several hosts, or with other parameters
    /// or characters the drivers' settings cannot carry.
    pub fn parse(url: &str) -> Result<Postgres, String> {
        let rest = url
            .strip_prefix("postgres://")
            .or_else(|| url.strip_prefix("postgresql://"))
            .ok_or("the database URL must start with postgres:// or postgresql://")?;
        let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
        let (authority, path) = rest.split_once('/').unwrap_or((rest, ""));
        let (user_info, host_port) = authority
            .rsplit_once('@')
            .ok_or("the database URL must name its user: postgres://USER@HOST/DATABASE")?;
        let (user, password) = match user_info.split_once(':') {
            Some((user, password)) => (user, Some(decode(password, "password")?)),
            None => (user_info, None),
        };
        let user = decode(user, "user")?;
        if user.is_empty() {
            return Err(
                "the database URL must name its user: postgres://USER@HOST/DATABASE".into(),
            );
        }
        let (host, port) = host_and_port(host_port)?;
        let dbname = match decode(path, "database name")? {
            name if name.is_empty() => user.clone(),
            name => name,
        };
        let mut sslmode = None;
        for parameter in query.split('&').filter(|p| !p.is_empty()) {
            match parameter.split_once('=') {
                Some(("sslmode", mode)) if SSLMODES.contains(&mode) => {
                    sslmode = Some(mode.to_owned())
                }
                _ => {
                    return Err(format!(
                        "the database URL's parameter {:?} cannot be passed to Dovecot and \
                         Postfix: only sslmode (disable, allow, prefer, require, verify-ca, \
                         verify-full) can",
                        parameter.split('=').next().unwrap_or_default()
                    ))
                }
            }
        }
        Ok(Postgres {
            host,
            port,
            dbname,
            user,
            password,
            sslmode,
        })
    }

    /// libpq's connection string, as Dovecot's `connect` takes it.
    pub fn conninfo(&self) -> String {
        let mut text = format!(
            "host={} port={} dbname={} user={}",
            self.host, self.port, self.dbname, self.user
        );
        if let Some(password) = &self.password {
            text.push_str(&format!(" password={password}"));
        }
        if let Some(mode) = &self.sslmode {
            text.push_str(&format!(" sslmode={mode}"));
        }
        text
    }

    /// The connection settings of a Postfix pgsql table. Postfix has no sslmode setting and
    /// splits `inet:HOST:PORT` at a colon, so with an sslmode or an IPv6 address its `hosts` is
    /// a connection URI carrying everything, which libpq reads whole.
    pub fn postfix_settings(&self) -> String {
        let hosts = if self.sslmode.is_none() && !self.host.contains(':') {
            format!("inet:{}:{}", self.host, self.port)
        } else {
            format!(
                "postgresql://{}{}@{}:{}/{}{}",
                encode(&self.user),
                self.password
                    .as_deref()
                    .map_or(String::new(), |p| format!(":{}", encode(p))),
                host_in_uri(&self.host),
                self.port,
                encode(&self.dbname),
                self.sslmode
                    .as_deref()
                    .map_or(String::new(), |mode| format!("?sslmode={mode}"))
            )
        };
        let mut text = format!("hosts = {hosts}\nuser = {}\n", self.user);
        if let Some(password) = &self.password {
            text.push_str(&format!("password = {password}\n"));
        }
        text.push_str(&format!("dbname = {}", self.dbname));
        text
    }
}

/// The host (brackets taken off an IPv6 address) and port of `HOST[:PORT]`.
fn host_and_port(text: &str) -> Result<(String, u16), String> {
    let (host, port) = match text.strip_prefix('[') {
        Some(v6) => {
            let (host, rest) = v6
                .split_once(']')
                .ok_or("the database URL's IPv6 address lacks its closing ]")?;
            (host, rest.strip_prefix(':'))
        }
        None => match text.split_once(':') {
            Some((host, port)) => (host, Some(port)),
            None => (text, None),
        },
    };
    let port = match port {
        None => DEFAULT_PORT,
        Some(port) => port
            .parse()
            .map_err(|_| format!("the database URL's port {port:?} is not a port number"))?,
    };
    let plain = !host.is_empty()
        && host
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | ':'));
    if plain {
        Ok((host.to_owned(), port))
    } else {
        Err(
            "the database URL must name one host, by name or address: Dovecot and Postfix \
             cannot reach a Unix socket or a list of hosts through it"
                .into(),
        )
    }
}

/// A percent-decoded part of the URL, refused when it holds what Dovecot's or Postfix's
/// configuration cannot carry as it is: space, quotes, `\`, `#` (a comment), `$` and `%`
/// (their variables), braces (Dovecot's sections), or a control or non-ASCII character.
fn decode(text: &str, what: &str) -> Result<String, String> {
    let mut bytes = Vec::with_capacity(text.len());
    let mut rest = text.as_bytes();
    while let Some((&byte, tail)) = rest.split_first() {
        if byte == b'%' {
            let hex = tail
                .get(..2)
                .and_then(|h| std::str::from_utf8(h).ok())
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(|| format!("the database URL's {what} has a broken %-escape"))?;
            bytes.push(hex);
            rest = &tail[2..];
        } else {
            bytes.push(byte);
            rest = tail;
        }
    }
    if fits_settings(&bytes) {
        Ok(String::from_utf8(bytes).expect("ASCII"))
    } else {
        // The password itself is never shown.
        Err(format!(
            "the database URL's {what} cannot be written into Dovecot's and Postfix's \
             configuration: use no spaces, quotes, backslashes, braces or # $ %"
        ))
    }
}

/// Whether Dovecot's and Postfix's configuration, and an SQL string literal, can carry `bytes`
/// as they are: none of space, quotes, `\`, `#` (a comment), `$` and `%` (their variables),
/// braces (Dovecot's sections), or a control or non-ASCII character.
pub fn fits_settings(bytes: &[u8]) -> bool {
    bytes.iter().all(|&b| {
        b.is_ascii_graphic()
            && !matches!(b, b'\'' | b'"' | b'\\' | b'#' | b'$' | b'%' | b'{' | b'}')
    })
}

/// `text` percent-encoded for a URI's user, password or path: all but unreserved characters.
fn encode(text: &str) -> String {
    text.bytes()
        .map(|b| {
            if b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~') {
                char::from(b).to_string()
            } else {
                format!("%{b:02X}")
            }
        })
        .collect()
}

/// A host as a URI writes it: an IPv6 address in brackets.
fn host_in_uri(host: &str) -> String {
    if host.contains(':') {
        format!("[{host}]")
    } else {
        host.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_url_gives_the_drivers_settings() {
        let full = Postgres::parse(
            "postgres://vpm:s%3Acr3t%40x@db.example.com:5433/mail?sslmode=verify-full",
        )
        .unwrap();
        assert_eq!(
            full.conninfo(),
            "host=db.example.com port=5433 dbname=mail user=vpm password=s:cr3t@x \
             sslmode=verify-full"
        );
        assert_eq!(
            full.postfix_settings(),
            "hosts = postgresql://vpm:s%3Acr3t%40x@db.example.com:5433/mail?sslmode=verify-full\n\
             user = vpm\npassword = s:cr3t@x\ndbname = mail"
        );
        let short = Postgres::parse("postgresql://vpm@10.0.0.5").unwrap();
        assert_eq!(
            short.conninfo(),
            "host=10.0.0.5 port=5432 dbname=vpm user=vpm"
        );
        assert_eq!(
            short.postfix_settings(),
            "hosts = inet:10.0.0.5:5432\nuser = vpm\ndbname = vpm"
        );
        let v6 = Postgres::parse("postgres://vpm:pw@[2001:db8::5]:6432/mail").unwrap();
        assert_eq!(
            v6.conninfo(),
            "host=2001:db8::5 port=6432 dbname=mail user=vpm password=pw"
        );
        assert!(v6
            .postfix_settings()
            .starts_with("hosts = postgresql://vpm:pw@[2001:db8::5]:6432/mail\n"));
    }

    #[test]
    fn urls_the_drivers_cannot_express_are_refused_without_the_password() {
        for url in [
            "mysql://vpm@db/mail",
            "postgres://db.example.com/mail",
            "postgres://:pw@db/mail",
            "postgres://vpm@/mail",
            "postgres://vpm@db1,db2/mail",
            "postgres://vpm@db:port/mail",
            "postgres://vpm@db/mail?host=/run/postgresql",
            "postgres://vpm@db/mail?sslmode=sometimes",
            "postgres://vpm:Zq9%20x@db/mail",
            "postgres://vpm:Zq9'x@db/mail",
            "postgres://vpm:Zq9$x@db/mail",
            "postgres://vpm:Zq9%zzx@db/mail",
            "postgres://vpm@db/ma%0Ail",
            "postgres://vpm@[::1/mail",
        ] {
            let error = Postgres::parse(url).unwrap_err();
            assert!(!error.contains("Zq9"), "{url}: {error}");
            assert!(!error.contains('\n'), "{url}: {error}");
        }
    }

    #[test]
    fn without_a_url_the_sqlite_file_is_read() {
        assert_eq!(
            LookupDatabase::new(Path::new("/srv/vpm/data"), None).unwrap(),
            LookupDatabase::Sqlite("/srv/vpm/data/vpostmaster.db".into())
        );
        assert!(matches!(
            LookupDatabase::new(Path::new("/srv/vpm/data"), Some("postgres://vpm@db/mail"))
                .unwrap(),
            LookupDatabase::Postgres(_)
        ));
    }
}
