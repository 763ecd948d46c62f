//! The README's mail-server set-up, run as written, delivers mail; and `make run` as root serves
//! the demo account its mail. The private root they run in is `support::deployment`'s.

mod support;

use std::net::SocketAddr;
use std::time::{Duration, Instant};

use support::deployment::{PrivateRoot, PASSWORD};
use support::dovecot::{wait_for_mail, Imap, PATIENCE};

/// A message of `lines` lines of 78 characters, one starting with a dot.
fn message(from: &str, to: &str, subject: &str, lines: usize) -> Vec<u8> {
    let mut text = format!(
        "From: <{from}>\r\nTo: <{to}>\r\nSubject: {subject}\r\n\
         Date: Mon, 7 Dec 2026 10:00:00 +0000\r\nMessage-ID: <{subject}@readme.test>\r\n\r\n\
         .a line that SMTP dot-stuffs\r\n"
    );
    for n in 0..lines {
        text.push_str(&format!("{n:06} {}\r\n", "x".repeat(71)));
    }
    text.into_bytes()
}

/// The account's messages over POP3 once there are `count` of them (or more).
fn wait_for(pop3: SocketAddr, email: &str, count: usize, root: &PrivateRoot) -> Vec<Vec<u8>> {
    wait_for_mail(pop3, email, PASSWORD, count, PATIENCE, || root.log())
}

#[test]
fn the_readme_set_up_run_as_written_delivers_mail() {
    let root = PrivateRoot::readme_deployment();

    // The files have the owners and modes of their readers, as `check` says.
    let dict = std::fs::metadata(root.outside("/etc/dovecot/vpostmaster-dict.conf.ext")).unwrap();
    let vmail = support::dovecot::mail_user();
    use std::os::unix::fs::MetadataExt;
    assert_eq!((dict.uid(), dict.mode() & 0o777), (vmail.uid, 0o600));
    assert!(
        root.outside("/etc/dovecot")
            .read_dir()
            .unwrap()
            .flatten()
            .any(|entry| entry
                .file_name()
                .to_string_lossy()
                .starts_with("dovecot.conf.before-vpostmaster-")),
        "Debian's dovecot.conf is kept beside the new one"
    );

    // The postmaster's day: a domain, accounts from a paste, an alias.
    root.ok("vpostmaster domain add example.com");
    let accounts = format!(
        "address,password,password again,first name,last name,quota\n\
         ann@example.com,{PASSWORD},{PASSWORD},Ann,Lee,0\n\
         bob@example.com,{PASSWORD},{PASSWORD},Bob,Ray,0\n\
         full@example.com,{PASSWORD},{PASSWORD},Full,Box,1\n"
    );
    std::fs::write(root.outside("/srv/accounts.csv"), accounts).unwrap();
    root.ok("vpostmaster import example.com /srv/accounts.csv");
    root.ok("vpostmaster alias add team@example.com ann@example.com bob@example.com");

    root.join_network();
    let smtp: SocketAddr = "127.0.0.1:25".parse().unwrap();
    let pop3: SocketAddr = "127.0.0.1:110".parse().unwrap();
    let imap: SocketAddr = "127.0.0.1:143".parse().unwrap();

    // SMTP in, POP3 and IMAP out, byte for byte under the trace headers.
    let mut client = support::postfix::Smtp::connect(smtp).expect("Postfix answers on port 25");
    let sent = message("someone@elsewhere.test", "ann@example.com", "hello", 20);
    client.send("ann@example.com", &sent).unwrap();
    let fetched = wait_for(pop3, "ann@example.com", 1, &root);
    assert!(
        fetched[0].ends_with(&sent),
        "{}",
        String::from_utf8_lossy(&fetched[0])
    );
    let mut session = Imap::log_on(imap, "ann@example.com", PASSWORD).unwrap();
    assert_eq!(session.select_inbox().unwrap(), 1);
    assert_eq!(session.fetch(1).unwrap(), fetched[0]);
    session.logout();

    // An alias reaches both its accounts.
    let to_team = message("someone@elsewhere.test", "team@example.com", "team", 3);
    client.send("team@example.com", &to_team).unwrap();
    assert!(wait_for(pop3, "bob@example.com", 1, &root)[0].ends_with(&to_team));
    assert!(wait_for(pop3, "ann@example.com", 2, &root)[1].ends_with(&to_team));

    // A full mailbox is refused at RCPT; its first message is taken.
    client
        .send(
            "full@example.com",
            &message("someone@elsewhere.test", "full@example.com", "big", 13_500),
        )
        .unwrap();
    wait_for(pop3, "full@example.com", 1, &root);
    let answer = client.envelope("full@example.com", 100_000);
    assert!(answer.starts_with("552 5.2.2"), "{answer}\n{}", root.log());

    // Usage reaches the console's database, which Users and the CSV export show.
    let usage_of_ann = || {
        let csv = root.ok("vpostmaster export example.com");
        let cells = |line: &str| -> Vec<String> {
            line.trim_end()
                .split(',')
                .map(|cell| cell.trim_matches('"').to_owned())
                .collect()
        };
        let mut lines = csv.lines();
        let column = lines
            .next()
            .and_then(|header| cells(header).iter().position(|name| name == "usage bytes"))
            .expect("the export has a usage column");
        let ann = cells(lines.find(|line| line.contains("ann@example.com")).unwrap());
        ann[column].parse::<u64>().unwrap_or(0)
    };
    let started = Instant::now();
    while usage_of_ann() < (sent.len() + to_team.len()) as u64 {
        assert!(
            started.elapsed() < PATIENCE,
            "no usage for ann\n{}",
            root.log()
        );
        std::thread::sleep(Duration::from_millis(100));
    }

    // Bob writes to Ann, whose auto-reply answers him through Postfix.
    root.ok(
        "vpostmaster mailbox autoreply ann@example.com --subject Away --text 'Back on Monday.'",
    );
    let from_bob = message("bob@example.com", "ann@example.com", "question", 2);
    client
        .send_from("bob@example.com", "ann@example.com", &from_bob)
        .unwrap();
    let bobs = wait_for(pop3, "bob@example.com", 2, &root);
    let reply = String::from_utf8_lossy(&bobs[1]);
    assert!(
        reply.contains("Subject: Away") && reply.contains("Back on Monday."),
        "{reply}"
    );

    // And the check says all is well, a delivery through the whole path included.
    let report = root.run("vpostmaster check --deliver bob@example.com");
    let text = String::from_utf8_lossy(&report.stdout);
    assert!(
        report.status.success(),
        "{text}{}",
        String::from_utf8_lossy(&report.stderr)
    );
    assert!(text.lines().all(|line| line.starts_with("OK ")), "{text}");
    assert!(
        text.contains("a test message to bob@example.com went through"),
        "{text}"
    );
    assert_eq!(
        wait_for(pop3, "bob@example.com", 2, &root).len(),
        2,
        "the test message is removed"
    );

    // The README's earlier set-up left the dict part root's: every delivery then waited in
    // the queue while the check said all was well. Now the check names the file, the dict
    // service that cannot read it, and where the test message stopped.
    root.ok("chown root /etc/dovecot/vpostmaster-dict.conf.ext && doveadm reload");
    let report = root.run("vpostmaster check --deliver ann@example.com");
    let text = String::from_utf8_lossy(&report.stdout);
    assert_eq!(report.status.code(), Some(1), "{text}");
    let problems: Vec<&str> = text
        .lines()
        .filter(|line| line.starts_with("PROBLEM"))
        .collect();
    assert!(
        problems.iter().any(
            |line| line.contains("vpostmaster-dict.conf.ext has owner 0:")
                && line.contains("the mail user vmail")
        ),
        "{text}"
    );
    assert!(
        problems
            .iter()
            .any(|line| line.contains("Dovecot's dict service")),
        "{text}"
    );
    assert!(
        problems.iter().any(|line| line.contains(
            "a test message to ann@example.com was accepted and waits in Postfix's deferred queue"
        )),
        "{text}"
    );
}

/// The value after `label` on the first line of `text` that has it.
fn after<'a>(text: &'a str, label: &str) -> &'a str {
    text.lines()
        .find_map(|line| line.trim().strip_prefix(label))
        .unwrap_or_else(|| panic!("{label:?} in:\n{text}"))
        .trim()
}

#[test]
fn make_run_as_root_serves_the_demo_account_its_mail() {
    let vmail = support::dovecot::mail_user();
    // What `make run` runs as root, with the debug binary; no page is asked for, so the site
    // is an empty one.
    let root = PrivateRoot::start(
        "mkdir -p /srv/site/pkg && vpostmaster --data-dir /srv/data demo --mail-account >/srv/demo.out && \
         (vpostmaster --data-dir /srv/data demo-mail-server >/srv/mail-server.out 2>&1 &) && \
         (vpostmaster --data-dir /srv/data serve --site-dir /srv/site >/var/log/vpostmaster.log 2>&1 &) && \
         until grep -q '^Read it' /srv/mail-server.out; do sleep 0.1; done",
    );
    let demo = std::fs::read_to_string(root.outside("/srv/demo.out")).unwrap();
    assert!(
        demo.contains("Added the mail account demo@example.test."),
        "{demo}"
    );
    let password = demo
        .split("Added the mail account demo@example.test.")
        .nth(1)
        .map(|rest| after(rest, "Password:").to_owned())
        .unwrap();
    let shown = std::fs::read_to_string(root.outside("/srv/mail-server.out")).unwrap();
    let send = shown
        .lines()
        .skip_while(|line| !line.starts_with("Send demo@example.test a message:"))
        .nth(1)
        .unwrap_or_else(|| panic!("how to send, in:\n{shown}"));
    let read = shown
        .lines()
        .skip_while(|line| !line.starts_with("Read it"))
        .nth(1)
        .map(|line| line.replace("PASSWORD", &password))
        .unwrap_or_else(|| panic!("how to read, in:\n{shown}"));

    // The newcomer's two commands, as printed.
    root.ok(send);
    let started = Instant::now();
    loop {
        let out = root.run(&read);
        let text = String::from_utf8_lossy(&out.stdout);
        if text.contains("It works.") {
            assert!(text.contains("Subject: Hello"), "{text}");
            break;
        }
        assert!(started.elapsed() < PATIENCE, "{text}\n{}", root.log());
        std::thread::sleep(Duration::from_millis(100));
    }
    // The demo's state is beside the data directory, not in it, and the mail in the
    // account's Maildir belongs to the mail user.
    assert!(root
        .outside("/srv/data-mail-server/postfix/main.cf")
        .is_file());
    let maildirs = root.outside("/srv/data/mail/example.test");
    let demo_maildir = std::fs::read_dir(&maildirs)
        .unwrap()
        .flatten()
        .next()
        .unwrap()
        .path();
    // Read once over POP3, it has moved from new/ to cur/.
    let message = ["new", "cur"]
        .iter()
        .flat_map(|folder| {
            std::fs::read_dir(demo_maildir.join(folder))
                .unwrap()
                .flatten()
        })
        .next()
        .expect("the message is in the Maildir");
    use std::os::unix::fs::MetadataExt;
    assert_eq!(message.metadata().unwrap().uid(), vmail.uid);
}
