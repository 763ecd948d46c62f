//! `vpostmaster check`: what is wrong with a deployment, one line per check with what to do.
//! It only looks: nothing is created, changed or handed over, so it is safe on a live server.

mod configs;
mod database;
mod files;
mod reach;

use std::fmt;
use std::path::Path;

use app::ssr::db::Location;
use app::ssr::mailstore::MailUser;

use crate::cli::{CheckArgs, MailArgs};
use crate::dovecot::{DEFAULT_DOVECOT_CONF, LMTP_SOCKET, QUOTA_STATUS_SOCKET};
use crate::postfix::{PostfixConfig, Table};
use crate::template::absolute;

/// The outcome of one check: one line for the operator.
#[derive(Debug)]
pub struct Line {
    ok: bool,
    text: String,
}

impl Line {
    fn ok(text: impl Into<String>) -> Line {
        Line {
            ok: true,
            text: text.into(),
        }
    }

    fn problem(text: impl Into<String>) -> Line {
        Line {
            ok: false,
            text: text.into(),
        }
    }
}

impl fmt::Display for Line {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let status = if self.ok { "OK" } else { "PROBLEM" };
        write!(f, "{status:<8} {}", self.text)
    }
}

/// Runs every check and prints its line; any problem fails the command, after all have run.
pub async fn run(
    data_dir: &Path,
    database: &Location,
    mail: &MailArgs,
    args: &CheckArgs,
) -> Result<(), String> {
    let data_dir = absolute(data_dir)?;
    let mail_user = mail.user()?;
    let postfix_user = MailUser::lookup(files::POSTFIX_USER).ok().flatten();
    let mut lines = vec![files::data_dir(&data_dir, &mail_user)];
    // Postfix and Dovecot read the SQLite file through the data directory; a PostgreSQL
    // server they reach over the network.
    if let Location::File(_) = database {
        lines.push(files::database_files(&data_dir, &mail_user));
    }
    lines.push(database::schema(database).await);
    if let Location::File(_) = database {
        lines.extend([
            files::passable(&data_dir, "the mail user", Some(&mail_user)),
            files::passable(&data_dir, "Postfix", postfix_user.as_ref()),
            files::postfix_group(&mail_user, postfix_user.as_ref()),
        ]);
    }
    let dovecot_conf = mail
        .dovecot_conf
        .clone()
        .unwrap_or_else(|| DEFAULT_DOVECOT_CONF.into());
    lines.extend(configs::dovecot(
        &dovecot_conf,
        &args.dovecot.config(
            data_dir.clone(),
            database.url().map(str::to_owned),
            mail_user,
        ),
    ));
    let postfix = PostfixConfig {
        data_dir,
        database_url: database.url().map(str::to_owned),
        tables_dir: args.tables_dir.clone(),
    };
    for table in Table::ALL {
        lines.push(configs::postfix_table(&postfix, table));
    }
    lines.push(configs::postfix_main(&args.postfix_main_cf, &postfix));
    let queue = &args.dovecot.postfix_queue;
    lines.push(reach::unix_socket(&queue.join(LMTP_SOCKET), "Dovecot's LMTP").await);
    lines
        .push(reach::unix_socket(&queue.join(QUOTA_STATUS_SOCKET), "Dovecot's quota-status").await);
    lines.push(reach::tcp(args.smtp, "Postfix's SMTP").await);

    for line in &lines {
        println!("{line}");
    }
    match lines.iter().filter(|line| !line.ok).count() {
        0 => Ok(()),
        1 => Err("1 problem found".to_owned()),
        n => Err(format!("{n} problems found")),
    }
}
