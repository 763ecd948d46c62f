//! `vpostmaster check`: what is wrong with a deployment, one line per check with what to do.
//! It only looks: nothing is created, changed or handed over, so it is safe on a live server;
//! only `--deliver` sends one message, and removes it once it has arrived.

mod configs;
mod database;
mod deliver;
mod files;
mod reach;

use std::fmt;
use std::path::Path;

use app::ssr::db::Location;

use crate::cli::{CheckArgs, MailArgs};
use crate::config_files;
use crate::dovecot::{LMTP_SOCKET, QUOTA_STATUS_SOCKET};
use crate::postfix::PostfixConfig;
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
    let postfix_user = config_files::postfix_user();
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
            files::passable(&data_dir, "Postfix", postfix_user.as_ref().ok()),
            files::postfix_group(&mail_user, postfix_user.as_ref().ok()),
        ]);
    }
    let dovecot = args.dovecot.config(
        data_dir.clone(),
        database.url().map(str::to_owned),
        mail_user.clone(),
    );
    let dovecot_conf = mail.dovecot_conf_path();
    lines.extend(configs::files(
        dovecot.files(&dovecot_conf),
        "Dovecot's files",
    ));
    let postfix = PostfixConfig {
        data_dir: data_dir.clone(),
        database_url: database.url().map(str::to_owned),
        tables_dir: args.tables_dir.clone(),
        mail_roles_dir: args.dovecot.roles.mail_roles_dir.clone(),
    };
    if database.url().is_some() {
        lines.extend(configs::files(
            crate::mail_roles::files(&args.dovecot.roles.mail_roles_dir),
            "The mail servers' roles",
        ));
    }
    lines.extend(configs::files(
        postfix_user
            .as_ref()
            .map_err(Clone::clone)
            .and_then(|user| postfix.files(user)),
        "Postfix's tables",
    ));
    lines.push(configs::postfix_main(&args.postfix_main_cf, &postfix));
    let queue = &args.dovecot.postfix_queue;
    let postfix_user = postfix_user.ok();
    lines.extend([
        reach::lmtp(&queue.join(LMTP_SOCKET), postfix_user.as_ref()),
        reach::quota_status(&queue.join(QUOTA_STATUS_SOCKET), postfix_user.as_ref()),
        reach::dict(&dovecot.base_dir(), &mail_user),
        reach::auth_userdb(&dovecot.base_dir()),
        reach::smtp(args.smtp),
    ]);
    let postfix_config_dir = args
        .postfix_main_cf
        .parent()
        .unwrap_or(Path::new("/etc/postfix"));
    lines.push(deliver::deferred(postfix_config_dir));
    if let Some(address) = &args.deliver {
        let delivery = deliver::Delivery {
            database,
            data_dir: &data_dir,
            address,
            smtp: args.smtp,
            postfix_config_dir,
            dovecot_conf: Some(&dovecot_conf)
                .filter(|conf| conf.is_file())
                .map(|conf| conf.as_path()),
        };
        lines.push(delivery.run().await);
    }

    for line in &lines {
        println!("{line}");
    }
    match lines.iter().filter(|line| !line.ok).count() {
        0 => Ok(()),
        1 => Err("1 problem found".to_owned()),
        n => Err(format!("{n} problems found")),
    }
}
