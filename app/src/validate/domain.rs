//! Domain names and full addresses, as the operator types them on the command line and the
//! postmaster on the log-on screen.

/// Longest domain name DNS allows.
pub const DOMAIN_MAX: usize = 253;
/// Longest label between two dots.
const MAX_LABEL_LEN: usize = 63;

/// Checks a domain name and returns it in lowercase: dot-separated labels of ASCII letters,
/// digits and inner hyphens, at least two labels, a top-level label that is not all digits.
pub fn parse_domain(input: &str) -> Result<String, String> {
    let name = input
        .strip_suffix('.')
        .unwrap_or(input)
        .to_ascii_lowercase();
    let invalid = |why: &str| {
        Err(format!(
            "\"{}\" is not a domain name: {why}",
            input.escape_debug()
        ))
    };
    if name.is_empty() {
        return invalid("it is empty");
    }
    if name.len() > DOMAIN_MAX {
        return invalid("it is longer than 253 characters");
    }
    let labels: Vec<&str> = name.split('.').collect();
    if labels.len() < 2 {
        return invalid("it needs a dot, as in example.com");
    }
    for label in &labels {
        if label.is_empty() {
            return invalid("it has an empty part between dots");
        }
        if label.len() > MAX_LABEL_LEN {
            return invalid("a part between dots is longer than 63 characters");
        }
        if !label
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'-')
        {
            return invalid("only letters, digits, dots and hyphens are allowed");
        }
        if label.starts_with('-') || label.ends_with('-') {
            return invalid("a part cannot begin or end with a hyphen");
        }
    }
    if labels
        .last()
        .is_some_and(|tld| tld.bytes().all(|b| b.is_ascii_digit()))
    {
        return invalid("the last part cannot be a number");
    }
    Ok(name)
}

/// Splits a full address into its lowercase local part and domain, each checked.
pub fn parse_address(input: &str) -> Result<(String, String), String> {
    let Some((local, domain)) = input.rsplit_once('@') else {
        return Err(format!(
            "\"{}\" is not a full address: it needs an @ and a domain, as in postmaster@example.com",
            input.escape_debug()
        ));
    };
    let domain = parse_domain(domain)?;
    let local = super::parse_username(local, &domain).map_err(|check| {
        format!(
            "\"{}\" is not a valid address: {}",
            input.escape_debug(),
            check.message
        )
    })?;
    Ok((local, domain))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_and_lowercases_domains() {
        for (input, want) in [
            ("example.test", "example.test"),
            ("Mail.Example.COM", "mail.example.com"),
            ("example.com.", "example.com"),
            ("a-b.c0.org", "a-b.c0.org"),
            ("xn--bcher-kva.example", "xn--bcher-kva.example"),
        ] {
            assert_eq!(parse_domain(input).as_deref(), Ok(want), "{input}");
        }
    }

    #[test]
    fn refuses_malformed_domains() {
        let long_label = format!("{}.com", "a".repeat(64));
        let long_name = format!("{}.com", ["abcdefghi"; 26].join("."));
        for input in [
            "",
            "localhost",
            "exa mple.com",
            "-a.com",
            "a-.com",
            "a..com",
            ".a.com",
            "a.b/c",
            "a_b.com",
            "1.2.3.4",
            "bücher.de",
            &long_label,
            &long_name,
        ] {
            assert!(parse_domain(input).is_err(), "{input:?} accepted");
        }
    }

    #[test]
    fn splits_full_addresses() {
        assert_eq!(
            parse_address("PostMaster@Example.Test"),
            Ok(("postmaster".to_string(), "example.test".to_string()))
        );
        for input in [
            "postmaster",
            "@example.test",
            "a b@example.test",
            "a@localhost",
            "a..b@x.test",
        ] {
            assert!(parse_address(input).is_err(), "{input:?} accepted");
        }
    }
}
