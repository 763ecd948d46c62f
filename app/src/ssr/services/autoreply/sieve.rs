//! The Sieve script (RFC 5228) that Dovecot's Pigeonhole runs for an account's auto-reply: a
//! `vacation` (RFC 5230) between its days (`currentdate`, RFC 5260), made from checked text.
//! The postmaster's words only ever land inside Sieve strings, escaped, so they cannot add
//! commands.

use crate::validate::AutoReplyText;

/// Days before the same sender gets the reply again.
pub const REPLY_DAYS: u32 = 3;

/// The script for `reply`.
pub fn vacation_script(reply: &AutoReplyText) -> String {
    let dated = reply.starts_on.is_some() || reply.ends_on.is_some();
    let require = if dated {
        r#"["date", "relational", "vacation"]"#
    } else {
        r#""vacation""#
    };
    let mut script = format!("# The auto-reply set in Virtual Postmaster.\nrequire {require};\n\n");
    // Pigeonhole already leaves out lists, bulk and auto-submitted mail; this also stops at
    // newsletters that only carry List-Unsubscribe. One `exists` per header: given a list,
    // `exists` is true only when every header of it is there.
    script.push_str(
        "if anyof (exists \"list-id\", exists \"list-unsubscribe\",\n          \
         header :is \"precedence\" [\"bulk\", \"list\", \"junk\"]) {\n  stop;\n}\n",
    );
    // The days are the server's: `currentdate` reads its local time.
    for (relation, day) in [("ge", &reply.starts_on), ("le", &reply.ends_on)] {
        if let Some(day) = day {
            script.push_str(&format!(
                "if not currentdate :value \"{relation}\" \"date\" {} {{\n  stop;\n}}\n",
                quoted(day)
            ));
        }
    }
    script.push_str(&format!(
        "vacation :days {REPLY_DAYS} :subject {} {};\n",
        quoted(&reply.subject),
        multiline(&reply.text)
    ));
    script
}

/// A quoted string: inside one only `"` and `\` are special, each escaped by a `\`.
fn quoted(text: &str) -> String {
    format!("\"{}\"", text.replace('\\', "\\\\").replace('"', "\\\""))
}

/// A multi-line string: its lines as they are, with a line that starts with a dot given one
/// more, up to a line holding only a dot, after which the command goes on. It knows no
/// escapes, so a `\` stays itself.
fn multiline(text: &str) -> String {
    let mut out = String::from("text:\n");
    for line in text.replace("\r\n", "\n").replace('\r', "\n").split('\n') {
        if line.starts_with('.') {
            out.push('.');
        }
        out.push_str(line);
        out.push('\n');
    }
    out.push_str(".\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(subject: &str, text: &str, starts: Option<&str>, ends: Option<&str>) -> AutoReplyText {
        AutoReplyText {
            subject: subject.into(),
            text: text.into(),
            starts_on: starts.map(Into::into),
            ends_on: ends.map(Into::into),
        }
    }

    #[test]
    fn an_undated_reply() {
        let script = vacation_script(&reply("Away", "Back on Monday.", None, None));
        assert_eq!(
            script,
            "# The auto-reply set in Virtual Postmaster.\n\
             require \"vacation\";\n\
             \n\
             if anyof (exists \"list-id\", exists \"list-unsubscribe\",\n          \
             header :is \"precedence\" [\"bulk\", \"list\", \"junk\"]) {\n  stop;\n}\n\
             vacation :days 3 :subject \"Away\" text:\nBack on Monday.\n.\n;\n"
        );
    }

    #[test]
    fn the_days_bound_it() {
        let both = vacation_script(&reply("a", "b", Some("2026-07-01"), Some("2026-07-31")));
        assert!(both.contains("require [\"date\", \"relational\", \"vacation\"];\n"));
        assert!(both.contains(
            "if not currentdate :value \"ge\" \"date\" \"2026-07-01\" {\n  stop;\n}\n\
             if not currentdate :value \"le\" \"date\" \"2026-07-31\" {\n  stop;\n}\nvacation "
        ));
        let until = vacation_script(&reply("a", "b", None, Some("2026-07-31")));
        assert!(!until.contains("\"ge\""));
        assert!(until.contains("\"le\" \"date\" \"2026-07-31\""));
    }

    #[test]
    fn quotes_and_backslashes_stay_in_the_subject() {
        let script = vacation_script(&reply("Away\" ; discard; vacation \"x\\", "b", None, None));
        assert!(script.contains(r#":subject "Away\" ; discard; vacation \"x\\" text:"#));
    }

    #[test]
    fn the_text_is_dot_stuffed_and_not_unescaped() {
        let script = vacation_script(&reply(
            "a",
            "Hi\n.\n;\ndiscard;\n..two\n\\ \"q\"\n.",
            None,
            None,
        ));
        assert!(script.ends_with("text:\nHi\n..\n;\ndiscard;\n...two\n\\ \"q\"\n..\n.\n;\n"));
        // The only line that is a lone dot is the one that ends the text.
        assert_eq!(script.lines().filter(|line| *line == ".").count(), 1);
    }

    #[test]
    fn carriage_returns_end_lines_too() {
        let script = vacation_script(&reply("a", "one\r\n.two\rthree", None, None));
        assert!(script.contains("text:\none\n..two\nthree\n.\n;"));
    }
}
