//! The console, a private Dovecot and a private Postfix over one data directory, as the
//! delivery tests drive them: the postmaster's calls, SMTP in, POP3 out.

use std::time::Duration;

use app::api::accounts::{AddAccounts, DeleteAccounts, UpdateAccount};
use app::ssr::storage::mailstore::MailUser;
use leptos::server_fn::ServerFn;

use super::dovecot::{mail_user, Dovecot};
use super::postfix::Postfix;
use super::{TestServer, PASSWORD, POSTMASTER_A};

pub const JANE: &str = "jane@alpha.test";
pub const JANE_PW: &str = "Tr4in#Lamp";
pub const JOHN: &str = "john@alpha.test";
pub const JOHN_PW: &str = "Wq7!river";
/// How long a delivery may take to show in the mailbox.
pub const DELIVERY: Duration = Duration::from_secs(30);

/// The console, a private Dovecot and a private Postfix over the same data directory, with
/// jane and john made by Add many accounts.
/// Where the mail servers send what leaves them, when not to the system's own Postfix.
#[derive(Debug, Clone, Copy, Default)]
pub struct Outgoing {
    /// Postfix's relay for outside addresses (forwarding, alias targets).
    pub relay: Option<std::net::SocketAddr>,
    /// The SMTP server Dovecot sends auto-replies to.
    pub replies: Option<std::net::SocketAddr>,
}

pub struct Mail {
    // Declared first: the servers stop before the data directory goes.
    pub postfix: Postfix,
    pub dovecot: Dovecot,
    pub server: TestServer,
    pub cookie: String,
}

impl Mail {
    pub async fn start() -> Mail {
        Mail::start_with(Outgoing::default()).await
    }

    /// As [`Mail::start`], with what leaves the mail servers sent where `outgoing` says.
    pub async fn start_with(outgoing: Outgoing) -> Mail {
        // Postfix's lookups run with the group postfix, so the mail user's group is Postfix's.
        let user = MailUser {
            gid: MailUser::resolve("postfix", None, None).unwrap().gid,
            ..mail_user()
        };
        let mut dovecot = Dovecot::prepare();
        dovecot.submission_host = outgoing.replies;
        let server = TestServer::with_mail(user.clone(), Some(dovecot.doveadm())).await;
        dovecot.start(&server.data_dir, server.database_url.as_deref(), &user);
        let postfix = Postfix::start_relaying(&server.data_dir, &dovecot, outgoing.relay);
        let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
        let mail = Mail {
            postfix,
            dovecot,
            server,
            cookie,
        };
        mail.call(
            AddAccounts::PATH,
            &[
                ("domain", "alpha.test"),
                (
                    "text",
                    &format!("jane {JANE_PW} {JANE_PW}\njohn {JOHN_PW} {JOHN_PW}\n"),
                ),
            ],
        )
        .await;
        mail
    }

    /// Calls a server function as the postmaster; panics unless it succeeds.
    pub async fn call(&self, path: &str, form: &[(&str, &str)]) -> String {
        self.server.call_ok(path, form, &self.cookie).await
    }

    /// The answer to RCPT TO for `to`, in a new SMTP session.
    pub fn rcpt(&self, to: &str) -> String {
        self.postfix.smtp().envelope(to, 100)
    }

    /// Sends a message to `to`, panicking with Postfix's answer when it is refused.
    pub fn send(&self, to: &str, message: &[u8]) {
        if let Err(refusal) = self.postfix.smtp().send(to, message) {
            panic!("{to} refused: {refusal}\n{}", self.postfix.read_log());
        }
    }

    /// The account's messages over POP3 once there are `count` of them.
    pub fn wait_for(&self, email: &str, password: &str, count: usize) -> Vec<Vec<u8>> {
        super::dovecot::wait_for_mail(self.dovecot.pop3, email, password, count, DELIVERY, || {
            format!("{}\n{}", self.postfix.read_log(), self.dovecot.read_log())
        })
    }

    pub async fn delete(&self, email: &str) {
        self.call(
            DeleteAccounts::PATH,
            &[("domain", "alpha.test"), ("emails", email)],
        )
        .await;
    }

    /// Sets an account's quota on Edit, as the postmaster does.
    pub async fn set_quota_mb(&self, email: &str, quota_mb: &str) {
        self.call(
            UpdateAccount::PATH,
            &[
                ("email", email),
                ("first_name", ""),
                ("last_name", ""),
                ("active", "on"),
                ("quota_mb", quota_mb),
            ],
        )
        .await;
    }
}
