//! An account's auto-reply: its subject, its text and the days it answers between.

/// Most characters of an auto-reply's subject.
pub const AUTOREPLY_SUBJECT_MAX: usize = 200;
/// Most characters of an auto-reply's text.
pub const AUTOREPLY_TEXT_MAX: usize = 4_000;

/// An auto-reply that passes every rule, normalised as it is stored.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AutoReplyText {
    /// The subject, trimmed.
    pub subject: String,
    /// The text, lines ending in `\n`, without trailing blank space.
    pub text: String,
    /// The first day it answers, `YYYY-MM-DD`; `None`: from now.
    pub starts_on: Option<String>,
    /// The last day it answers, `YYYY-MM-DD`; `None`: until it is turned off.
    pub ends_on: Option<String>,
}

/// Checks the subject of an auto-reply and returns it trimmed.
pub fn parse_reply_subject(input: &str) -> Result<String, String> {
    let subject = input.trim();
    if subject.is_empty() {
        return Err("Enter a subject, such as \u{201c}Out of the office\u{201d}".to_owned());
    }
    if subject.chars().count() > AUTOREPLY_SUBJECT_MAX {
        return Err(format!(
            "The subject may have at most {AUTOREPLY_SUBJECT_MAX} characters"
        ));
    }
    if subject.chars().any(char::is_control) {
        return Err("The subject must be one line, without tabs or control characters".to_owned());
    }
    Ok(subject.to_owned())
}

/// Checks the text of an auto-reply and returns it with `\n` line ends (a pasted `\r\n` or
/// `\r` becomes one) and no blank space at its end.
pub fn parse_reply_text(input: &str) -> Result<String, String> {
    let text = input.replace("\r\n", "\n").replace('\r', "\n");
    let text = text.trim_end();
    if text.trim_start().is_empty() {
        return Err("Enter the text of the reply".to_owned());
    }
    if text.chars().count() > AUTOREPLY_TEXT_MAX {
        return Err(format!(
            "The text may have at most {AUTOREPLY_TEXT_MAX} characters"
        ));
    }
    if text
        .chars()
        .any(|c| c.is_control() && c != '\n' && c != '\t')
    {
        return Err("The text may not hold control characters".to_owned());
    }
    Ok(text.to_owned())
}

/// Checks a day as a date field sends it, `YYYY-MM-DD`; empty is no day (`None`).
pub fn parse_reply_date(input: &str) -> Result<Option<String>, String> {
    let text = input.trim();
    if text.is_empty() {
        return Ok(None);
    }
    let wrong = || {
        format!(
            "\u{201c}{}\u{201d} is not a date: write it as YYYY-MM-DD, such as 2026-07-31",
            text.escape_debug()
        )
    };
    let parts: Vec<&str> = text.split('-').collect();
    let [year, month, day] = parts.as_slice() else {
        return Err(wrong());
    };
    let number = |part: &str, digits: usize| -> Option<u32> {
        (part.len() == digits && part.bytes().all(|b| b.is_ascii_digit()))
            .then(|| part.parse().ok())
            .flatten()
    };
    let (Some(year), Some(month), Some(day)) = (number(year, 4), number(month, 2), number(day, 2))
    else {
        return Err(wrong());
    };
    if !(2000..=9999).contains(&year) {
        return Err(format!("{text}: give a year from 2000 on"));
    }
    if !(1..=12).contains(&month) || day == 0 || day > days_in_month(year, month) {
        return Err(format!("{text} is not a day of the calendar"));
    }
    Ok(Some(text.to_owned()))
}

fn days_in_month(year: u32, month: u32) -> u32 {
    match month {
        2 if year.is_multiple_of(4) && (!year.is_multiple_of(100) || year.is_multiple_of(400)) => {
            29
        }
        2 => 28,
        4 | 6 | 9 | 11 => 30,
        _ => 31,
    }
}

/// Refuses a last day before the first; either may be missing. Both are checked dates.
pub fn check_reply_period(starts_on: Option<&str>, ends_on: Option<&str>) -> Result<(), String> {
    match (starts_on, ends_on) {
        // `YYYY-MM-DD` sorts as the days do.
        (Some(start), Some(end)) if end < start => Err(format!(
            "The last day ({end}) is before the first day ({start})"
        )),
        _ => Ok(()),
    }
}

/// Every rule of an auto-reply at once: the checked reply, or each problem's message.
pub fn check_autoreply(
    subject: &str,
    text: &str,
    starts_on: &str,
    ends_on: &str,
) -> Result<AutoReplyText, Vec<String>> {
    let subject = parse_reply_subject(subject);
    let text = parse_reply_text(text);
    let starts_on = parse_reply_date(starts_on);
    let ends_on = parse_reply_date(ends_on);
    match (subject, text, starts_on, ends_on) {
        (Ok(subject), Ok(text), Ok(starts_on), Ok(ends_on)) => {
            check_reply_period(starts_on.as_deref(), ends_on.as_deref()).map_err(|e| vec![e])?;
            Ok(AutoReplyText {
                subject,
                text,
                starts_on,
                ends_on,
            })
        }
        (subject, text, starts_on, ends_on) => Err([
            subject.err(),
            text.err(),
            starts_on.err().map(|e| format!("First day: {e}")),
            ends_on.err().map(|e| format!("Last day: {e}")),
        ]
        .into_iter()
        .flatten()
        .collect()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn subjects() {
        assert_eq!(parse_reply_subject("  Away  ").unwrap(), "Away");
        assert_eq!(
            parse_reply_subject("Abwesend \"bis\" \\ Montag").unwrap(),
            "Abwesend \"bis\" \\ Montag"
        );
        for bad in ["", "   ", "a\nb", "a\tb", "a\u{7f}b", "a\u{85}b"] {
            assert!(parse_reply_subject(bad).is_err(), "{bad:?}");
        }
        let longest = "é".repeat(AUTOREPLY_SUBJECT_MAX);
        assert!(parse_reply_subject(&longest).is_ok());
        assert!(parse_reply_subject(&format!("{longest}x")).is_err());
    }

    #[test]
    fn texts() {
        assert_eq!(
            parse_reply_text("Hello,\r\n\r\nback soon.\r\n\r\n").unwrap(),
            "Hello,\n\nback soon."
        );
        assert_eq!(parse_reply_text("a\rb\tc").unwrap(), "a\nb\tc");
        for bad in ["", " \n\t\r\n", "a\u{0}b", "a\u{1b}[31mb"] {
            assert!(parse_reply_text(bad).is_err(), "{bad:?}");
        }
        let longest = "x".repeat(AUTOREPLY_TEXT_MAX);
        assert!(parse_reply_text(&longest).is_ok());
        assert!(parse_reply_text(&format!("{longest}x")).is_err());
    }

    #[test]
    fn dates() {
        for (input, expected) in [
            ("", None),
            ("  ", None),
            ("2026-07-31", Some("2026-07-31")),
            (" 2028-02-29 ", Some("2028-02-29")),
            ("2000-02-29", Some("2000-02-29")),
        ] {
            assert_eq!(
                parse_reply_date(input).unwrap().as_deref(),
                expected,
                "{input:?}"
            );
        }
        for bad in [
            "2026-02-29",
            "1900-02-29",
            "2026-13-01",
            "2026-00-10",
            "2026-04-31",
            "2026-04-00",
            "2026-4-3",
            "26-04-03",
            "31.07.2026",
            "2026-07-31T00:00",
            "1999-12-31",
            "+202-07-31",
            "２０２６-07-31",
        ] {
            assert!(parse_reply_date(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn periods() {
        assert!(check_reply_period(Some("2026-07-01"), Some("2026-07-01")).is_ok());
        assert!(check_reply_period(Some("2026-07-01"), None).is_ok());
        assert!(check_reply_period(None, Some("2026-07-01")).is_ok());
        let refused = check_reply_period(Some("2026-07-02"), Some("2026-07-01")).unwrap_err();
        assert!(refused.contains("before the first day"), "{refused}");
    }

    #[test]
    fn a_whole_reply() {
        let reply = check_autoreply(" Away ", "Back on Monday.\n", "2026-07-01", "").unwrap();
        assert_eq!(
            reply,
            AutoReplyText {
                subject: "Away".into(),
                text: "Back on Monday.".into(),
                starts_on: Some("2026-07-01".into()),
                ends_on: None,
            }
        );
        let problems = check_autoreply("", "", "2026-02-30", "x").unwrap_err();
        assert_eq!(problems.len(), 4, "{problems:?}");
        assert!(problems[2].starts_with("First day: "));
        assert!(problems[3].starts_with("Last day: "));
        let backwards = check_autoreply("a", "b", "2026-07-02", "2026-07-01").unwrap_err();
        assert_eq!(backwards.len(), 1);
    }
}
