//! The username rule: the part of an address before the `@`.

use super::check::{Check, Rule};

/// Most characters a username may have.
pub const USERNAME_MAX: usize = 64;

const REQUIRED: &str = "Enter a username";
const NO_SPACE: &str = "A username cannot contain spaces";
const CHARS: &str = "Use only letters (a-z), digits, dots, dashes and underscores";
const TOO_LONG: &str = "A username has at most 64 characters";
const EDGE_DOT: &str = "A username cannot start or end with a dot";
const DOUBLE_DOT: &str = "A username cannot have two dots in a row";
const LEADING_DASH: &str = "A username cannot start with a dash";

/// Checks a username and returns it normalised to lowercase.
///
/// `input` is either the local part (`jane.doe`) or a full address
/// (`Jane.Doe@example.test`); a full address is accepted only when its domain
/// is `domain`, compared case-insensitively. Whitespace anywhere is an error
/// rather than being trimmed, so what is stored is exactly what was seen.
/// Rules: 1 to 64 characters of ASCII letters, digits, `.`, `-`, `_`, with no
/// leading, trailing or doubled dot, and no leading dash: `-name` reads as an
/// option to command-line tools (`doveadm -u`), and the mail store refuses a
/// Maildir named so.
pub fn parse_username(input: &str, domain: &str) -> Result<String, Check> {
    if input.trim().is_empty() {
        return Err(Check::fail(Rule::UsernameRequired, REQUIRED));
    }
    if input.chars().any(char::is_whitespace) {
        return Err(Check::fail(Rule::UsernameSpace, NO_SPACE));
    }
    let local = local_part(input, domain)?;
    check_local(local)?;
    Ok(local.to_ascii_lowercase())
}

/// Strips `@domain` when it names the managed domain; refuses any other.
fn local_part<'a>(input: &'a str, domain: &str) -> Result<&'a str, Check> {
    // The last `@` separates the domain; an `@` before it is then caught
    // by the character rule instead of producing a confusing domain error.
    match input.rsplit_once('@') {
        None => Ok(input),
        Some((local, given)) if same_domain(given, domain) => Ok(local),
        Some(_) => Err(Check::fail(
            Rule::Domain,
            format!(
                "Only addresses ending in @{} can be added here",
                domain.to_lowercase()
            ),
        )),
    }
}

fn same_domain(given: &str, managed: &str) -> bool {
    given.to_lowercase() == managed.to_lowercase()
}

fn check_local(local: &str) -> Result<(), Check> {
    if local.is_empty() {
        return Err(Check::fail(Rule::UsernameRequired, REQUIRED));
    }
    if !local.chars().all(is_username_char) {
        return Err(Check::fail(Rule::UsernameChars, CHARS));
    }
    // All characters are ASCII here, so bytes are characters.
    if local.len() > USERNAME_MAX {
        return Err(Check::fail(Rule::UsernameLength, TOO_LONG));
    }
    if local.starts_with('.') || local.ends_with('.') {
        return Err(Check::fail(Rule::UsernameDots, EDGE_DOT));
    }
    if local.contains("..") {
        return Err(Check::fail(Rule::UsernameDots, DOUBLE_DOT));
    }
    if local.starts_with('-') {
        return Err(Check::fail(Rule::UsernameDash, LEADING_DASH));
    }
    Ok(())
}

fn is_username_char(c: char) -> bool {
    c.is_ascii_alphanumeric() || matches!(c, '.' | '-' | '_')
}

#[cfg(test)]
mod tests {
    use super::*;

    const DOMAIN: &str = "example.test";

    fn rule_of(input: &str) -> Option<Rule> {
        parse_username(input, DOMAIN).err().map(|c| c.rule)
    }

    #[test]
    fn accepted_and_normalised() {
        let sixty_four = "a".repeat(64);
        let cases: &[(&str, &str)] = &[
            ("a", "a"),
            ("jane", "jane"),
            ("Jane.Doe", "jane.doe"),
            ("JANE_DOE-2", "jane_doe-2"),
            ("j.a.n.e", "j.a.n.e"),
            ("x-", "x-"),
            ("x-y", "x-y"),
            ("_x", "_x"),
            ("_", "_"),
            ("007", "007"),
            (&sixty_four, &sixty_four),
            ("jane@example.test", "jane"),
            ("Jane@EXAMPLE.TEST", "jane"),
            ("JANE@Example.Test", "jane"),
        ];
        for (input, want) in cases {
            assert_eq!(
                parse_username(input, DOMAIN).as_deref(),
                Ok(*want),
                "{input:?}"
            );
        }
    }

    #[test]
    fn refused_with_the_right_rule() {
        let sixty_five = "a".repeat(65);
        let long_address = format!("{sixty_five}@example.test");
        let cases: &[(&str, Rule)] = &[
            ("", Rule::UsernameRequired),
            (" ", Rule::UsernameRequired),
            ("\t\n", Rule::UsernameRequired),
            ("@example.test", Rule::UsernameRequired),
            ("jane doe", Rule::UsernameSpace),
            (" jane", Rule::UsernameSpace),
            ("jane ", Rule::UsernameSpace),
            ("jane\tdoe", Rule::UsernameSpace),
            ("jane\ndoe", Rule::UsernameSpace),
            ("jane\u{a0}doe", Rule::UsernameSpace),
            ("jane\u{2003}doe", Rule::UsernameSpace),
            ("jane\u{3000}doe", Rule::UsernameSpace),
            ("jane\u{0}doe", Rule::UsernameChars),
            ("jane\u{7f}", Rule::UsernameChars),
            ("jane\u{200b}doe", Rule::UsernameChars),
            ("jäne", Rule::UsernameChars),
            ("jane+tag", Rule::UsernameChars),
            ("jane,doe", Rule::UsernameChars),
            ("a@b@example.test", Rule::UsernameChars),
            (&sixty_five, Rule::UsernameLength),
            (&long_address, Rule::UsernameLength),
            (".jane", Rule::UsernameDots),
            ("jane.", Rule::UsernameDots),
            (".", Rule::UsernameDots),
            ("jane..doe", Rule::UsernameDots),
            ("-", Rule::UsernameDash),
            ("-x-", Rule::UsernameDash),
            ("-jane", Rule::UsernameDash),
            ("-jane@example.test", Rule::UsernameDash),
            ("-.-", Rule::UsernameDash),
            ("jane@other.test", Rule::Domain),
            ("jane@example.test.evil", Rule::Domain),
            ("jane@", Rule::Domain),
            ("jane@sub.example.test", Rule::Domain),
        ];
        for (input, rule) in cases {
            assert_eq!(rule_of(input), Some(*rule), "{input:?}");
        }
    }

    #[test]
    fn wrong_domain_names_the_managed_domain() {
        let err = parse_username("jane@other.test", "Example.Test").expect_err("refused");
        assert_eq!(
            err.message,
            "Only addresses ending in @example.test can be added here"
        );
    }

    #[test]
    fn messages_are_human() {
        assert_eq!(
            parse_username("", DOMAIN).expect_err("refused").message,
            "Enter a username"
        );
        assert_eq!(
            parse_username("a b", DOMAIN).expect_err("refused").message,
            "A username cannot contain spaces"
        );
        assert_eq!(
            parse_username("-jane", DOMAIN)
                .expect_err("refused")
                .message,
            "A username cannot start with a dash"
        );
    }

    #[test]
    fn huge_input_is_refused_quickly() {
        let huge = "a".repeat(1 << 20);
        assert_eq!(rule_of(&huge), Some(Rule::UsernameLength));
    }
}
