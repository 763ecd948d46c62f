//! Fuzzing of the configuration values: the command line (every flag and subcommand, with
//! values near and far from valid, and arguments that are not UTF-8) must parse or give an
//! error, never panic; and what parses into `dovecot-config` or `postfix-config` must give
//! a configuration or refuse, never panic.

#[path = "../../app/tests/support/fuzz.rs"]
mod fuzz;

use std::ffi::OsString;
use std::os::unix::ffi::OsStringExt;
use std::path::PathBuf;

use app::ssr::storage::mailstore::MailUser;
use clap::Parser;
use proptest::prelude::*;
use server::cli::{Cli, Command};
use server::dovecot::{DovecotConfig, Instance, Submission, Tls};
use server::postfix::{PostfixConfig, Table};

const WORDS: &[&str] = &[
    "serve",
    "domain",
    "admin",
    "account",
    "mailbox",
    "demo",
    "purge",
    "dovecot-config",
    "postfix-config",
    "help",
    "add",
    "list",
    "disable",
    "enable",
    "passwd",
    "remove",
    "rebuild",
    "--data-dir",
    "--database-url-file",
    "--url-file",
    "--mail-user",
    "--mail-uid",
    "--mail-gid",
    "--dovecot-conf",
    "--listen",
    "--tls-cert",
    "--tls-key",
    "--behind-proxy",
    "--trusted-proxy",
    "--session-idle-minutes",
    "--session-max-hours",
    "--site-dir",
    "--host-name",
    "--audit-retention-days",
    "--max-connections",
    "--max-connections-per-client",
    "--idle-timeout",
    "--sql",
    "--sql-conf",
    "--dovecot-listen",
    "--pop3-port",
    "--imap-port",
    "--ssl-cert",
    "--ssl-key",
    "--no-ssl",
    "--postfix-queue",
    "--sendmail-path",
    "--submission-host",
    "--table",
    "--tables-dir",
    "--domain",
    "--superadmin",
    "--password-stdin",
    "--description",
    "--clock-is-right",
    "--help",
    "-h",
    "--version",
    "-V",
    "--",
    "-",
    "=",
    "--listen=",
    "--pop3-port=995",
];

const VALUES: &[&str] = &[
    "",
    "0",
    "1",
    "-1",
    "65535",
    "65536",
    "1440",
    "1441",
    "36500",
    "18446744073709551616",
    "127.0.0.1:0",
    "127.0.0.1:8000",
    "[::1]:8000",
    "0.0.0.0:80",
    "localhost:80",
    "*, ::",
    "/tmp/vpm-fuzz",
    "/var/lib/vpostmaster",
    "relative/dir",
    "/a b",
    "/a%u",
    "/a#b",
    "/a$b",
    "/a\"b",
    "/a'b",
    "/a\nb",
    "/a;b",
    "/",
    "vmail",
    "root",
    "nobody",
    "no-such-user",
    "example.test",
    "postmaster@example.test",
    "domains",
    "mailboxes",
    "console.test,,x",
    "@SQL_CONF@",
    "\0",
];

fn piece() -> impl Strategy<Value = OsString> {
    prop_oneof![
        6 => prop::sample::select(WORDS).prop_map(OsString::from),
        6 => prop::sample::select(VALUES).prop_map(OsString::from),
        2 => any::<String>().prop_map(OsString::from),
        1 => prop::collection::vec(any::<u8>(), 0..16).prop_map(OsString::from_vec),
    ]
}

/// A path: near-valid, any text, or bytes that are not UTF-8.
fn path() -> impl Strategy<Value = PathBuf> {
    prop_oneof![
        4 => prop::sample::select(VALUES).prop_map(PathBuf::from),
        2 => "/[a-z0-9/._ %#$'\"-]{0,20}".prop_map(PathBuf::from),
        1 => any::<String>().prop_map(PathBuf::from),
        1 => prop::collection::vec(any::<u8>(), 0..16)
            .prop_map(|b| PathBuf::from(OsString::from_vec(b))),
    ]
}

/// PostgreSQL URLs, well-formed and not, with characters the configurations cannot carry.
fn database_url() -> impl Strategy<Value = String> {
    prop_oneof![
        2 => "postgres(ql)?://[a-z%:@/?&=.\\[\\]0-9'# -]{0,30}",
        1 => any::<String>().prop_map(|rest| format!("postgres://{rest}")),
    ]
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        3 => prop::sample::select(VALUES).prop_map(str::to_owned),
        1 => any::<String>(),
    ]
}

/// What `dovecot-config` and `postfix-config` print for the parsed command line.
fn generate(cli: &Cli) {
    if !cli.data_dir.is_absolute() {
        return;
    }
    match &cli.command {
        Some(Command::DovecotConfig(args)) => {
            let Ok(mail_user) =
                MailUser::resolve(&cli.mail.mail_user, cli.mail.mail_uid, cli.mail.mail_gid)
            else {
                return;
            };
            let config = args.server.config(cli.data_dir.clone(), None, mail_user);
            let _ = config.main();
            let _ = config.sql();
        }
        Some(Command::PostfixConfig(args)) => {
            let config = PostfixConfig {
                data_dir: cli.data_dir.clone(),
                database_url: None,
                tables_dir: args.tables_dir.clone(),
                mail_roles_dir: args.roles.mail_roles_dir.clone(),
            };
            let _ = config.main();
            let _ = args.table.map(|table| config.table(table));
        }
        _ => {}
    }
}

proptest! {
    #![proptest_config(fuzz::config(fuzz::cases(1)))]

    #[test]
    fn fuzz_command_line(args in prop::collection::vec(piece(), 0..10)) {
        let argv = std::iter::once(OsString::from("vpostmaster")).chain(args);
        if let Ok(cli) = Cli::try_parse_from(argv) {
            generate(&cli);
        }
    }

    #[test]
    fn fuzz_config_generators(
        data_dir in path(),
        sql_conf in path(),
        listen in text(),
        pop3_port in any::<u16>(),
        imap_port in any::<u16>(),
        tls in prop::option::of((path(), path())),
        instance in prop::option::of((text(), path(), path(), path())),
        postfix_queue in path(),
        submission_host in prop::option::of(text()),
        sendmail_path in path(),
        tables_dir in path(),
        table in prop::option::of(prop::sample::select(Table::ALL.to_vec())),
        database_url in prop::option::of(database_url()),
    ) {
        let config = DovecotConfig {
            data_dir: data_dir.clone(),
            database_url: database_url.clone(),
            mail_user: MailUser::current(),
            sql_conf,
            listen,
            pop3_port,
            imap_port,
            tls: tls.map(|(cert, key)| Tls { cert, key }),
            instance: instance.map(|(name, base_dir, state_dir, log_path)| Instance {
                name,
                base_dir,
                state_dir,
                log_path,
            }),
            postfix_queue,
            submission: match submission_host {
                Some(host) => Submission::Host(host),
                None => Submission::Sendmail(sendmail_path),
            },
            mail_roles_dir: tables_dir.clone(),
        };
        let _ = config.main();
        let _ = config.sql();
        let postfix = PostfixConfig {
            data_dir,
            database_url,
            mail_roles_dir: tables_dir.clone(),
            tables_dir,
        };
        let _ = postfix.main();
        let _ = table.map(|table| postfix.table(table));
    }
}
