//! Numbers in the words a reader expects: "1 account" and "2 accounts", never "account(s)";
//! "1,000" rather than "1000"; "about 15 minutes" rather than "898 seconds".

/// `n` with a comma between each group of three digits: "5,000".
pub fn grouped(n: u64) -> String {
    let digits = n.to_string();
    let mut out = String::with_capacity(digits.len() + digits.len() / 3);
    for (i, digit) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(digit);
    }
    out
}

/// `n` and the noun in the number it needs: "1 account", "1,204 accounts".
pub fn counted(n: u64, one: &str, many: &str) -> String {
    format!("{} {}", grouped(n), if n == 1 { one } else { many })
}

/// A wait of `seconds`, as a person would say it: exact under a minute, then rounded up to
/// whole minutes or hours with "about", since the wait ends on its own a little earlier.
pub fn wait(seconds: u64) -> String {
    match seconds {
        0..60 => counted(seconds.max(1), "second", "seconds"),
        60..3600 => format!(
            "about {}",
            counted(seconds.div_ceil(60), "minute", "minutes")
        ),
        _ => format!("about {}", counted(seconds.div_ceil(3600), "hour", "hours")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn one_is_singular_and_everything_else_plural() {
        assert_eq!(counted(0, "account", "accounts"), "0 accounts");
        assert_eq!(counted(1, "account", "accounts"), "1 account");
        assert_eq!(counted(1204, "alias", "aliases"), "1,204 aliases");
    }

    #[test]
    fn thousands_are_grouped() {
        assert_eq!(grouped(0), "0");
        assert_eq!(grouped(999), "999");
        assert_eq!(grouped(1000), "1,000");
        assert_eq!(grouped(1_000_000), "1,000,000");
    }

    #[test]
    fn waits_read_as_spoken() {
        assert_eq!(wait(1), "1 second");
        assert_eq!(wait(42), "42 seconds");
        assert_eq!(wait(60), "about 1 minute");
        assert_eq!(wait(61), "about 2 minutes");
        // Five wrong passwords: the wait is what is left of the quarter of an hour.
        assert_eq!(wait(898), "about 15 minutes");
        assert_eq!(wait(3600), "about 1 hour");
    }
}
