//! An account's auto-reply with real mail servers: Postfix hands mail to Dovecot's LMTP, whose
//! Sieve plugin reads the script the console saved through the SQL dict and sends the reply to
//! an SMTP server of the test's own, which keeps it.
//!
//! These tests run as root with Debian's Postfix and Dovecot (with dovecot-sieve) packages
//! installed, as CI does.

mod support;

use std::time::{Duration, Instant};

use app::api::aliases::AddAlias;
use app::api::autoreply::{GetAutoreply, SetAutoreply};
use app::error::AppError;
use app::model::autoreply::AutoReplySettings;
use app::ssr::storage::mailstore::MailUser;
use axum::body::Body;
use axum::http::header;
use leptos::server_fn::ServerFn;
use support::mail::{Mail, Outgoing, DELIVERY, JANE, JANE_PW};
use support::sink::{Sent, Sink};
use support::*;

/// The console, a private Dovecot that sends auto-replies to `sink`, and a private Postfix
/// over the same data directory, with the accounts jane and john.
struct Replies {
    mail: Mail,
    sink: Sink,
    /// Messages Postfix has delivered so far.
    delivered: usize,
}

impl Replies {
    async fn start() -> Replies {
        let sink = Sink::start();
        let mail = Mail::start_with(Outgoing {
            replies: Some(sink.address),
            ..Outgoing::default()
        })
        .await;
        Replies {
            mail,
            sink,
            delivered: 0,
        }
    }

    async fn call(&self, path: &str, form: &[(&str, &str)]) {
        self.mail.call(path, form).await;
    }

    /// Turns jane's auto-reply on with this subject, text and days.
    async fn turn_on(&self, subject: &str, text: &str, starts_on: &str, ends_on: &str) {
        let form = [
            ("email", JANE),
            ("enabled", "on"),
            ("subject", subject),
            ("text", text),
            ("starts_on", starts_on),
            ("ends_on", ends_on),
        ];
        self.call(SetAutoreply::PATH, &form).await;
    }

    async fn turn_off(&self) {
        let form = [
            ("email", JANE),
            ("subject", ""),
            ("text", ""),
            ("starts_on", ""),
            ("ends_on", ""),
        ];
        self.call(SetAutoreply::PATH, &form).await;
    }

    /// Sends a message from `from` to jane with these extra header lines, and returns once
    /// Postfix has handed it over: Dovecot answers LMTP only after Sieve has run, replies
    /// sent included. Returns the replies the sink holds then.
    fn send(&mut self, from: &str, headers: &str) -> Vec<Sent> {
        self.send_to(from, JANE, headers)
    }

    /// As [`Replies::send`], to `to`.
    fn send_to(&mut self, from: &str, to: &str, headers: &str) -> Vec<Sent> {
        let message = format!(
            "From: <{from}>\r\nTo: <{to}>\r\nSubject: Hello\r\n{headers}\r\nAre you there?\r\n"
        );
        if let Err(refusal) = self
            .mail
            .postfix
            .smtp()
            .send_from(from, to, message.as_bytes())
        {
            panic!("refused: {refusal}\n{}", self.mail.postfix.read_log());
        }
        self.delivered += 1;
        let asked = Instant::now();
        while self.mail.postfix.read_log().matches("status=sent").count() < self.delivered {
            assert!(
                asked.elapsed() < DELIVERY,
                "not delivered\n{}\n{}",
                self.mail.postfix.read_log(),
                self.mail.dovecot.read_log()
            );
            std::thread::sleep(Duration::from_millis(20));
        }
        self.sink.sent()
    }

    /// The day `days` from today, as Dovecot's clock (the server's local time) counts.
    async fn day(&self, days: i32) -> String {
        let output = std::process::Command::new("date")
            .args(["-d", &format!("{days} days"), "+%F"])
            .output()
            .expect("date runs");
        String::from_utf8(output.stdout).unwrap().trim().to_owned()
    }
}

/// The header `name` of `message`, unfolded.
fn header(message: &str, name: &str) -> Option<String> {
    let head = message.split("\r\n\r\n").next()?.replace("\r\n ", " ");
    head.lines().find_map(|line| {
        let (key, value) = line.split_once(':')?;
        key.eq_ignore_ascii_case(name)
            .then(|| value.trim().to_owned())
    })
}

#[tokio::test]
async fn a_sender_gets_the_reply_once_until_it_is_turned_off() {
    let mut mail = Replies::start().await;
    let (yesterday, tomorrow) = (mail.day(-1).await, mail.day(1).await);
    let subject = r#"Away until "Monday" \ back then"#;
    mail.turn_on(
        subject,
        "I am away.\r\n.A line with a dot\r\nBack on Monday.",
        &yesterday,
        &tomorrow,
    )
    .await;

    let sent = mail.send("ann@outside.test", "");
    assert_eq!(sent.len(), 1, "{}", mail.mail.dovecot.read_log());
    let reply = &sent[0];
    assert_eq!(reply.to, ["ann@outside.test"]);
    assert_eq!(
        reply.from, JANE,
        "the reply's envelope sender is the account"
    );
    assert_eq!(header(&reply.data, "Subject").as_deref(), Some(subject));
    assert_eq!(
        header(&reply.data, "To").as_deref(),
        Some("<ann@outside.test>")
    );
    assert!(header(&reply.data, "From").unwrap().contains(JANE));
    assert!(header(&reply.data, "Auto-Submitted").is_some());
    assert!(
        reply
            .data
            .contains("I am away.\r\n.A line with a dot\r\nBack on Monday."),
        "{}",
        reply.data
    );

    // Within the days, the same sender gets no second reply; another sender gets one.
    assert_eq!(mail.send("ann@outside.test", "").len(), 1);
    assert_eq!(mail.send("bob@outside.test", "").len(), 2);

    mail.turn_off().await;
    assert_eq!(mail.send("cat@outside.test", "").len(), 2);

    // Every message was kept.
    let mut pop3 = mail.mail.dovecot.pop3(JANE, JANE_PW).unwrap();
    assert_eq!(pop3.stat().unwrap().0, 4);
    pop3.quit();
}

#[tokio::test]
async fn no_reply_outside_its_days_nor_to_lists_and_bulk_mail() {
    let mut mail = Replies::start().await;
    let (in_two_days, in_three_days) = (mail.day(2).await, mail.day(3).await);
    mail.turn_on("Away", "Away.", &in_two_days, &in_three_days)
        .await;
    assert!(mail.send("ann@outside.test", "").is_empty());

    let (last_week, yesterday) = (mail.day(-7).await, mail.day(-1).await);
    mail.turn_on("Away", "Away.", &last_week, &yesterday).await;
    assert!(mail.send("bob@outside.test", "").is_empty());

    mail.turn_on("Away", "Away.", "", "").await;
    assert!(mail
        .send("cat@outside.test", "Precedence: bulk\r\n")
        .is_empty());
    assert!(mail
        .send("dan@outside.test", "List-Id: <news.outside.test>\r\n")
        .is_empty());
    assert!(mail
        .send(
            "fay@outside.test",
            "List-Unsubscribe: <mailto:off@outside.test>\r\n"
        )
        .is_empty());
    // The script itself stopped them, before Pigeonhole's own checks.
    assert!(
        !mail
            .mail
            .dovecot
            .read_log()
            .contains("discarding vacation response"),
        "{}",
        mail.mail.dovecot.read_log()
    );
    let sent = mail.send("eve@outside.test", "");
    assert_eq!(sent.len(), 1, "{}", mail.mail.dovecot.read_log());
    assert_eq!(sent[0].to, ["eve@outside.test"]);
}

#[tokio::test]
async fn mail_that_reached_the_account_through_an_alias_gets_no_reply() {
    let mut mail = Replies::start().await;
    let form = [
        ("domain", "alpha.test"),
        ("name", "team"),
        ("targets", JANE),
    ];
    mail.call(AddAlias::PATH, &form).await;
    mail.turn_on("Away", "Away.", "", "").await;
    assert!(
        mail.send_to("ann@outside.test", "team@alpha.test", "")
            .is_empty(),
        "a team alias does not answer with one member's absence"
    );
    assert_eq!(mail.send("bob@outside.test", "").len(), 1);
}

/// The error a server function refused with.
fn refusal(reply: &Reply) -> AppError {
    assert!(
        !reply.status.is_success() && !reply.status.is_redirection(),
        "{}",
        reply.body
    );
    serde_json::from_str(&reply.body).unwrap_or_else(|error| panic!("{error}: {}", reply.body))
}

/// What Dovecot finds for jane: the script's id and text.
async fn script_of(server: &TestServer) -> Option<(String, String)> {
    sqlx::query_as("SELECT id, script FROM sieve_scripts WHERE email = $1 AND name = 'autoreply'")
        .bind(JANE)
        .fetch_optional(&server.db)
        .await
        .unwrap()
}

/// Runs `vpostmaster --data-dir DIR mailbox autoreply ARGS…`: its success and what it printed.
fn cli(server: &TestServer, args: &[&str]) -> (bool, String) {
    let output = support::binary::vpostmaster(&server.data_dir)
        .args(["account", "autoreply"])
        .args(args)
        .env_remove("VPM_DATA_DIR")
        .env("VPM_MAIL_USER", MailUser::current().name)
        .output()
        .unwrap();
    let text = if output.status.success() {
        output.stdout
    } else {
        output.stderr
    };
    (
        output.status.success(),
        String::from_utf8_lossy(&text).into_owned(),
    )
}

#[tokio::test]
async fn the_postmaster_and_the_operator_set_it_checked_and_audited() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let text = format!("jane {JANE_PW} {JANE_PW}\n");
    server.add_accounts(&cookie, &text).await;
    let form = |subject: &'static str, starts_on: &'static str, ends_on: &'static str| {
        vec![
            ("email", JANE),
            ("enabled", "on"),
            ("subject", subject),
            ("text", "Away.\r\nBack soon."),
            ("starts_on", starts_on),
            ("ends_on", ends_on),
        ]
    };

    // Every rule broken is named, and nothing is saved.
    let refused = server
        .call(
            SetAutoreply::PATH,
            &form("", "2026-02-30", "x"),
            Some(&cookie),
        )
        .await;
    // The refusal keeps what was typed, to draw the form again as it was sent.
    let AppError::Refused(refused) = refusal(&refused) else {
        panic!("{}", refused.body)
    };
    assert_eq!(refused.typed("ends_on"), Some("x"));
    let message = refused.to_string();
    assert!(message.contains("Enter a subject"), "{message}");
    assert!(
        message.contains("First day: 2026-02-30 is not a day"),
        "{message}"
    );
    assert!(message.contains("Last day: "), "{message}");
    let backwards = server
        .call(
            SetAutoreply::PATH,
            &form("Away", "2026-07-02", "2026-07-01"),
            Some(&cookie),
        )
        .await;
    assert!(
        matches!(refusal(&backwards), AppError::Refused(r) if r.to_string().contains("before the first day"))
    );
    assert_eq!(server.count("SELECT COUNT(*) FROM autoreplies").await, 0);

    // Saved, it goes back to Edit with a notice, and Dovecot finds its script.
    let saved = server
        .call(
            SetAutoreply::PATH,
            &form("Away", "2026-07-01", "2026-07-31"),
            Some(&cookie),
        )
        .await;
    assert_eq!(
        saved.header("location"),
        Some("/users/edit?email=jane%40alpha.test&autoreply=on#autoreply"),
        "at the card, low on Edit"
    );
    let (first_id, script) = script_of(&server).await.unwrap();
    assert!(
        script.contains(":subject \"Away\" text:\nAway.\nBack soon.\n.\n;"),
        "{script}"
    );
    let got = server
        .call(GetAutoreply::PATH, &[("email", JANE)], Some(&cookie))
        .await;
    let settings: AutoReplySettings = serde_json::from_str(&got.body).unwrap();
    assert_eq!(
        settings,
        AutoReplySettings {
            enabled: true,
            subject: "Away".into(),
            text: "Away.\nBack soon.".into(),
            starts_on: "2026-07-01".into(),
            ends_on: "2026-07-31".into(),
        }
    );
    // Another save is a new id, so Dovecot compiles the script again.
    server
        .call(SetAutoreply::PATH, &form("Away!", "", ""), Some(&cookie))
        .await;
    let (second_id, _) = script_of(&server).await.unwrap();
    assert_ne!(first_id, second_id);
    assert_eq!(
        server
            .count(
                "SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.autoreply' AND \
                 actor = 'postmaster@alpha.test' AND target = 'jane@alpha.test' AND \
                 domain = 'alpha.test' AND outcome = 'ok' AND \
                 details IN ('on; from 2026-07-01; until 2026-07-31', 'on')"
            )
            .await,
        2
    );

    // Another domain's postmaster finds no such account, and changes nothing.
    let other = server.log_on(POSTMASTER_B, PASSWORD).await;
    let outside = server
        .call(SetAutoreply::PATH, &form("Mine", "", ""), Some(&other))
        .await;
    assert!(matches!(refusal(&outside), AppError::NotFound(_)));
    let outside = server
        .call(GetAutoreply::PATH, &[("email", JANE)], Some(&other))
        .await;
    assert!(matches!(refusal(&outside), AppError::NotFound(_)));
    assert_eq!(script_of(&server).await.unwrap().0, second_id);

    // Off: Dovecot finds nothing, and the text waits for the next time.
    let off = [
        ("email", JANE),
        ("subject", ""),
        ("text", ""),
        ("starts_on", ""),
        ("ends_on", ""),
    ];
    server.call(SetAutoreply::PATH, &off, Some(&cookie)).await;
    assert!(script_of(&server).await.is_none());
    let got = server
        .call(GetAutoreply::PATH, &[("email", JANE)], Some(&cookie))
        .await;
    let settings: AutoReplySettings = serde_json::from_str(&got.body).unwrap();
    assert!(!settings.enabled);
    assert_eq!(settings.subject, "Away!");

    // The operator's command runs the same service.
    let (ok, out) = cli(
        &server,
        &[
            JANE,
            "--subject",
            "Closed",
            "--text",
            "Closed\nuntil May.",
            "--until",
            "2030-05-01",
        ],
    );
    assert!(ok, "{out}");
    assert_eq!(out.trim(), "Turned on the auto-reply of jane@alpha.test.");
    let (_, script) = script_of(&server).await.unwrap();
    assert!(
        script.contains("\"le\" \"date\" \"2030-05-01\""),
        "{script}"
    );
    let (ok, out) = cli(
        &server,
        &[
            JANE,
            "--subject",
            "x",
            "--text",
            "y",
            "--from",
            "2030-13-01",
        ],
    );
    assert!(!ok);
    assert_eq!(out.trim().lines().count(), 1, "{out}");
    assert!(
        out.contains("First day: 2030-13-01 is not a day of the calendar"),
        "{out}"
    );
    let (ok, out) = cli(&server, &["nobody@alpha.test", "--off"]);
    assert!(
        !ok && out.contains("nobody@alpha.test was not found"),
        "{out}"
    );
    let (ok, out) = cli(&server, &[JANE, "--off"]);
    assert!(ok, "{out}");
    assert!(script_of(&server).await.is_none());
    assert_eq!(
        server
            .count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.autoreply' AND actor = 'cli'")
            .await,
        2
    );
}

#[tokio::test]
async fn edit_shows_the_card_and_takes_plain_form_posts() {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let text = format!("jane {JANE_PW} {JANE_PW}\n");
    server.add_accounts(&cookie, &text).await;
    let edit = "/users/edit?email=jane%40alpha.test";
    let plain_post = |form: &[(&str, &str)]| {
        post(SetAutoreply::PATH, Some(&cookie))
            .header(header::ACCEPT, "text/html")
            .header(header::REFERER, format!("http://console.test{edit}"))
            .body(Body::from(encode(form)))
            .unwrap()
    };

    let page = server.get(edit, Some(&cookie)).await;
    assert!(page.body.contains("Auto-reply"), "{}", page.body);
    assert!(page.body.contains(r#"name="enabled""#));
    assert!(page.body.contains(r#"type="date""#));

    let reply = server
        .send(plain_post(&[
            ("email", JANE),
            ("enabled", "on"),
            ("subject", "Gone <fishing> & back"),
            ("text", "Back in May."),
            ("starts_on", ""),
            ("ends_on", "2030-05-01"),
        ]))
        .await;
    let location = reply.header("location").unwrap().to_owned();
    assert_eq!(location, format!("{edit}&autoreply=on#autoreply"));
    let (location, _) = location.split_once('#').unwrap();
    let page = server.get(location, Some(&cookie)).await;
    assert!(page.body.contains("The auto-reply is on"), "{}", page.body);
    assert!(
        page.body.contains("Gone &lt;fishing&gt; &amp; back"),
        "{}",
        page.body
    );
    assert!(
        page.body.contains(">Back in May.</textarea>"),
        "{}",
        page.body
    );
    assert!(page.body.contains(r#"value="2030-05-01""#), "{}", page.body);

    // A refusal comes back to Edit in the address, and the page shows it.
    let reply = server
        .send(plain_post(&[
            ("email", JANE),
            ("enabled", "on"),
            ("subject", "Away"),
            ("text", " "),
            ("starts_on", ""),
            ("ends_on", ""),
        ]))
        .await;
    let location = reply.header("location").unwrap().to_owned();
    assert!(location.contains("__err="), "{location}");
    let page = server.get(&location, Some(&cookie)).await;
    assert!(
        page.body.contains("Enter the text of the reply."),
        "{}",
        page.body
    );
    assert_eq!(
        server.count("SELECT COUNT(*) FROM sieve_scripts").await,
        1,
        "the saved auto-reply stays"
    );
}
