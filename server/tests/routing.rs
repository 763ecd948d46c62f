//! Forwarding and the catch-all: what the postmaster sets on the console, the refusals that
//! keep mail from going round or nowhere, and what a real Postfix then does with the mail
//! (Debian's Postfix and Dovecot, as root, as CI runs them; outside addresses go to a loopback
//! SMTP sink standing for the world).

mod support;

use app::api::aliases::{AddAlias, DeleteAliases};
use app::api::forwarding::{GetCatchAll, GetForwarding, SetCatchAll, SetForwarding};
use app::model::forwarding::Forwarding;
use leptos::server_fn::ServerFn;
use support::mail::*;
use support::sink::Sink;
use support::*;

const OUTSIDE: &str = "friend@outside.test";

/// A console with jane and john in alpha.test, signed in as alpha's postmaster.
async fn console() -> (TestServer, String) {
    let server = TestServer::new().await;
    let cookie = server.log_on(POSTMASTER_A, PASSWORD).await;
    let text = format!("jane {JANE_PW} {JANE_PW}\njohn {JOHN_PW} {JOHN_PW}\n");
    server.add_accounts(&cookie, &text).await;
    (server, cookie)
}

async fn forwarding(server: &TestServer, cookie: &str, email: &str) -> Forwarding {
    let reply = server
        .call(GetForwarding::PATH, &[("email", email)], Some(cookie))
        .await;
    serde_json::from_str(&reply.body).unwrap_or_else(|_| panic!("{}", reply.body))
}

/// Sets forwarding as the Edit form posts it; the refusal's text when refused.
async fn forward(
    server: &TestServer,
    cookie: &str,
    email: &str,
    targets: &str,
    keep_copy: bool,
) -> Result<(), String> {
    let mut form = vec![("email", email), ("targets", targets)];
    if keep_copy {
        form.push(("keep_copy", "on"));
    }
    let reply = server.call(SetForwarding::PATH, &form, Some(cookie)).await;
    said(&reply)
}

/// Nothing when the form was taken; the words of its refusal otherwise.
fn said(reply: &Reply) -> Result<(), String> {
    if reply.status.is_success() || reply.status.is_redirection() {
        return Ok(());
    }
    let error: app::error::AppError =
        serde_json::from_str(&reply.body).unwrap_or_else(|_| panic!("{}", reply.body));
    Err(error.to_string())
}

async fn set_catch_all(server: &TestServer, cookie: &str, target: &str) -> Result<(), String> {
    let reply = server
        .call(
            SetCatchAll::PATH,
            &[("domain", "alpha.test"), ("target", target)],
            Some(cookie),
        )
        .await;
    said(&reply)
}

async fn catch_all(server: &TestServer, cookie: &str) -> Option<String> {
    let reply = server
        .call(GetCatchAll::PATH, &[("domain", "alpha.test")], Some(cookie))
        .await;
    let (_, target): (String, Option<String>) = serde_json::from_str(&reply.body).unwrap();
    target
}

#[tokio::test]
async fn forwarding_is_saved_and_shown_and_refused_when_it_loops_or_is_not_an_address() {
    let (server, cookie) = console().await;
    let none = forwarding(&server, &cookie, JANE).await;
    assert_eq!((none.targets.len(), none.keep_copy), (0, true));

    forward(
        &server,
        &cookie,
        JANE,
        "Friend@Outside.test,\njohn@alpha.test",
        false,
    )
    .await
    .unwrap();
    let set = forwarding(&server, &cookie, JANE).await;
    assert_eq!(set.targets, [OUTSIDE, JOHN]);
    assert!(!set.keep_copy);

    // A loop through another tenant's alias names only this domain's addresses.
    let beta = server.log_on(POSTMASTER_B, PASSWORD).await;
    let form = [("domain", "beta.test"), ("name", "back"), ("targets", JOHN)];
    server.call(AddAlias::PATH, &form, Some(&beta)).await;
    let looped = forward(&server, &cookie, JOHN, "back@beta.test", true)
        .await
        .unwrap_err();
    assert!(
        looped.contains(
            "john@alpha.test \u{2192} an address of another domain \u{2192} john@alpha.test"
        ) && !looped.contains("back@beta.test"),
        "{looped}"
    );
    // john → jane → john: refused with the chain named, and nothing changes.
    let looped = forward(&server, &cookie, JOHN, JANE, true)
        .await
        .unwrap_err();
    assert!(
        looped.contains("john@alpha.test \u{2192} jane@alpha.test \u{2192} john@alpha.test"),
        "{looped}"
    );
    assert!(forwarding(&server, &cookie, JOHN).await.targets.is_empty());

    let malformed = forward(&server, &cookie, JANE, "friend at outside", true)
        .await
        .unwrap_err();
    assert!(malformed.contains("needs an @"), "{malformed}");
    let itself = forward(&server, &cookie, JANE, JANE, false)
        .await
        .unwrap_err();
    assert!(itself.contains("cannot forward to itself"), "{itself}");
    assert_eq!(
        forwarding(&server, &cookie, JANE).await,
        set,
        "kept as it was"
    );

    forward(&server, &cookie, JANE, "  ", false).await.unwrap();
    let off = forwarding(&server, &cookie, JANE).await;
    assert!(off.targets.is_empty() && off.keep_copy);
    let audited = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'mailbox.forward' AND target = 'jane@alpha.test' AND actor = 'postmaster@alpha.test'")
        .await;
    assert_eq!(audited, 2, "the two changes, not the refusals");
}

#[tokio::test]
async fn the_catch_all_is_off_until_set_and_takes_only_an_address_that_leads_somewhere() {
    let (server, cookie) = console().await;
    assert_eq!(catch_all(&server, &cookie).await, None);
    let nowhere = set_catch_all(&server, &cookie, "nobody@alpha.test")
        .await
        .unwrap_err();
    assert!(
        nowhere.contains("nobody@alpha.test is neither an account nor an alias"),
        "{nowhere}"
    );
    assert_eq!(catch_all(&server, &cookie).await, None);
    // Another tenant's addresses get one answer, whether they exist or not.
    let beta = server.log_on(POSTMASTER_B, PASSWORD).await;
    let form = [
        ("domain", "beta.test"),
        ("name", "sales"),
        ("targets", OUTSIDE),
    ];
    server.call(AddAlias::PATH, &form, Some(&beta)).await;
    for foreign in ["sales@beta.test", "nobody@beta.test"] {
        set_catch_all(&server, &cookie, foreign).await.unwrap();
        assert_eq!(catch_all(&server, &cookie).await.as_deref(), Some(foreign));
    }

    set_catch_all(&server, &cookie, "Jane@Alpha.test")
        .await
        .unwrap();
    assert_eq!(catch_all(&server, &cookie).await.as_deref(), Some(JANE));
    let page = server
        .get("/catch-all?domain=alpha.test", Some(&cookie))
        .await;
    assert!(
        page.body.contains("goes to jane@alpha.test"),
        "{}",
        page.body
    );
    set_catch_all(&server, &cookie, OUTSIDE).await.unwrap();
    set_catch_all(&server, &cookie, "").await.unwrap();
    assert_eq!(catch_all(&server, &cookie).await, None);
    let page = server
        .get("/catch-all?domain=alpha.test", Some(&cookie))
        .await;
    assert!(
        page.body.contains("Off: mail to an address"),
        "{}",
        page.body
    );
    let audited = server
        .count("SELECT COUNT(*) FROM audit_log WHERE action = 'domain.catch_all'")
        .await;
    assert_eq!(audited, 5);
}

/// Waits until the sink has taken a message for `to`, and returns its text.
fn relayed_to(sink: &Sink, mail: &Mail, to: &str) -> String {
    let asked = std::time::Instant::now();
    loop {
        if let Some(found) = sink
            .sent()
            .into_iter()
            .find(|message| message.to.iter().any(|r| r == to))
        {
            return found.data;
        }
        assert!(
            asked.elapsed() < DELIVERY,
            "nothing relayed to {to}\n{}",
            mail.postfix.read_log()
        );
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
}

fn message(subject: &str, to: &str) -> Vec<u8> {
    format!(
        "From: <sender@elsewhere.test>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\
         Message-ID: <{subject}@elsewhere.test>\r\n\r\n{subject}\r\n"
    )
    .into_bytes()
}

fn has_subject(messages: &[Vec<u8>], subject: &str) -> bool {
    let line = format!("Subject: {subject}\r\n");
    messages
        .iter()
        .any(|m| String::from_utf8_lossy(m).contains(&line))
}

#[tokio::test(flavor = "multi_thread")]
async fn forwarded_mail_goes_out_with_or_without_a_copy_in_the_mailbox() {
    let sink = Sink::start();
    let mail = Mail::start_with(Outgoing {
        relay: Some(sink.address),
        ..Outgoing::default()
    })
    .await;
    let (server, cookie) = (&mail.server, mail.cookie.as_str());

    forward(server, cookie, JANE, OUTSIDE, true).await.unwrap();
    mail.send(JANE, &message("kept", JANE));
    assert!(relayed_to(&sink, &mail, OUTSIDE).contains("Subject: kept"));
    let messages = mail.wait_for(JANE, JANE_PW, 1);
    assert!(has_subject(&messages, "kept"), "the copy stays");

    forward(server, cookie, JANE, &format!("{OUTSIDE} {JOHN}"), false)
        .await
        .unwrap();
    mail.send(JANE, &message("passed-on", JANE));
    let johns = mail.wait_for(JOHN, JOHN_PW, 1);
    assert!(has_subject(&johns, "passed-on"));
    let asked = std::time::Instant::now();
    while sink.sent().len() < 2 {
        assert!(asked.elapsed() < DELIVERY, "{}", mail.postfix.read_log());
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let janes = mail.wait_for(JANE, JANE_PW, 1);
    assert_eq!(janes.len(), 1, "no copy of the second message");
    assert!(!has_subject(&janes, "passed-on"));

    // Off again: mail stays in the mailbox, nothing more goes out.
    forward(server, cookie, JANE, "", false).await.unwrap();
    mail.send(JANE, &message("stays", JANE));
    let janes = mail.wait_for(JANE, JANE_PW, 2);
    assert!(has_subject(&janes, "stays"));
    assert_eq!(sink.sent().len(), 2);
}

#[tokio::test(flavor = "multi_thread")]
async fn the_catch_all_takes_unknown_addresses_only_while_it_is_on() {
    let mail = Mail::start().await;
    let (server, cookie) = (&mail.server, mail.cookie.as_str());
    let unknown = "no.such.person@alpha.test";
    assert!(mail.rcpt(unknown).starts_with("550"), "refused while off");

    set_catch_all(server, cookie, JOHN).await.unwrap();
    assert!(mail.rcpt(unknown).starts_with("250"));
    mail.send(unknown, &message("guessed", unknown));
    mail.send(JANE, &message("for-jane", JANE));
    let johns = mail.wait_for(JOHN, JOHN_PW, 1);
    assert!(has_subject(&johns, "guessed"));
    let janes = mail.wait_for(JANE, JANE_PW, 1);
    assert!(
        has_subject(&janes, "for-jane") && !has_subject(&johns, "for-jane"),
        "an account's own mail is never caught"
    );
    // Postfix asks for jane+news@ first (Debian's recipient_delimiter is +): the catch-all
    // answers only when it is asked for @alpha.test, after jane@ has answered.
    let plus = "jane+news@alpha.test";
    assert!(mail.rcpt(plus).starts_with("250"));
    mail.send(plus, &message("for-jane-plus", plus));
    let janes = mail.wait_for(JANE, JANE_PW, 2);
    assert!(has_subject(&janes, "for-jane-plus"));
    mail.send(unknown, &message("guessed-again", unknown));
    let johns = mail.wait_for(JOHN, JOHN_PW, 2);
    assert!(
        has_subject(&johns, "guessed-again") && !has_subject(&johns, "for-jane-plus"),
        "the catch-all takes no account's plus-addressed mail"
    );
    assert!(
        mail.rcpt("someone@beta.test").starts_with("550"),
        "another domain's catch-all is its own"
    );

    set_catch_all(server, cookie, "").await.unwrap();
    assert!(mail.rcpt(unknown).starts_with("550"), "refused again");
}

#[tokio::test(flavor = "multi_thread")]
async fn mail_to_an_alias_reaches_every_target_until_the_alias_is_deleted() {
    let sink = Sink::start();
    let mail = Mail::start_with(Outgoing {
        relay: Some(sink.address),
        ..Outgoing::default()
    })
    .await;
    let team = format!("{JANE}, {JOHN}, {OUTSIDE}");
    // An alias of an alias: Postfix expands both.
    for (name, targets) in [("team", team.as_str()), ("everyone", "team@alpha.test")] {
        let form = [
            ("domain", "alpha.test"),
            ("name", name),
            ("targets", targets),
        ];
        mail.call(AddAlias::PATH, &form).await;
    }

    mail.send(
        "team@alpha.test",
        &message("to-the-team", "team@alpha.test"),
    );
    mail.send(
        "everyone@alpha.test",
        &message("to-everyone", "everyone@alpha.test"),
    );
    for (email, password) in [(JANE, JANE_PW), (JOHN, JOHN_PW)] {
        let messages = mail.wait_for(email, password, 2);
        assert!(has_subject(&messages, "to-the-team") && has_subject(&messages, "to-everyone"));
    }
    assert!(relayed_to(&sink, &mail, OUTSIDE).contains("Subject: to-"));

    mail.call(
        DeleteAliases::PATH,
        &[("domain", "alpha.test"), ("addresses", "team@alpha.test")],
    )
    .await;
    let answer = mail.rcpt("team@alpha.test");
    assert!(
        answer.starts_with("550"),
        "a deleted alias is refused: {answer}"
    );
}

#[tokio::test]
async fn forwarding_through_aliases_reaches_at_most_fifty_addresses_at_other_servers() {
    let (server, cookie) = console().await;
    let fifty: Vec<String> = (0..50).map(|i| format!("friend{i}@outside.test")).collect();
    let form = [
        ("domain", "alpha.test"),
        ("name", "team"),
        ("targets", &fifty.join(", ")),
    ];
    let added = server.call(AddAlias::PATH, &form, Some(&cookie)).await;
    assert!(
        added.status.is_success(),
        "one alias may list fifty: {}",
        added.body
    );

    // Through the alias, one more outside address makes 51 copies sent out: refused.
    let refused = forward(
        &server,
        &cookie,
        JANE,
        "team@alpha.test, one@more.test",
        true,
    )
    .await
    .unwrap_err();
    assert!(
        refused.contains("Mail would be sent on to more than 50 addresses at other mail servers")
            && refused.contains("one address may reach at most 50"),
        "{refused}"
    );
    assert!(
        !refused.contains("friend"),
        "no address is named: {refused}"
    );
    assert!(forwarding(&server, &cookie, JANE).await.targets.is_empty());

    // Addresses of this server's domains, another tenant's among them, and the same outside
    // address twice are not copies sent out.
    forward(
        &server,
        &cookie,
        JANE,
        "team@alpha.test, john@alpha.test, someone@beta.test, friend0@outside.test",
        true,
    )
    .await
    .unwrap();
    // An alias of aliases is held to the same count.
    let form = [
        ("domain", "alpha.test"),
        ("name", "everyone"),
        ("targets", "jane@alpha.test, other@outside.test"),
    ];
    let refused = server.call(AddAlias::PATH, &form, Some(&cookie)).await;
    assert!(
        refused
            .body
            .contains("more than 50 addresses at other mail servers"),
        "{}",
        refused.body
    );
}
