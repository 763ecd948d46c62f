//! Property tests of the account rules: nothing panics on any input, what the
//! parser accepts the single-account rules accept too, formatted accounts
//! read back unchanged, and generated passwords always pass.

use app::validate::{
    check_password, format_line, generate_password, is_acceptable, parse_bulk, parse_username,
    password_problems, BulkOptions, BulkReport, Level, NewAccount, PasswordContext, Rule,
    PASSWORD_MAX, PASSWORD_MIN, USERNAME_MAX,
};
use proptest::prelude::*;

const DOMAIN: &str = "example.test";

/// Pieces that steer random text into the parser's interesting corners.
fn token() -> impl Strategy<Value = String> {
    prop_oneof![
        Just(" ".to_owned()),
        Just("\t".to_owned()),
        Just(",".to_owned()),
        Just("\"".to_owned()),
        Just("\"\"".to_owned()),
        Just("#".to_owned()),
        Just("\n".to_owned()),
        Just("\r\n".to_owned()),
        Just("\r".to_owned()),
        Just("\u{feff}".to_owned()),
        Just("\u{a0}".to_owned()),
        Just("\u{200b}".to_owned()),
        Just("@example.test".to_owned()),
        Just("@Other.Test".to_owned()),
        Just(".".to_owned()),
        Just("..".to_owned()),
        Just("jdoe".to_owned()),
        Just("abcde67~".to_owned()),
        Just("Example".to_owned()),
        "[a-zA-Z0-9~!]{1,12}",
        "\\PC{1,6}",
        any::<char>().prop_map(String::from),
    ]
}

fn token_soup() -> impl Strategy<Value = String> {
    prop::collection::vec(token(), 0..80).prop_map(|parts| parts.concat())
}

/// A valid username: no leading dash, no edge or doubled dot.
fn username() -> impl Strategy<Value = String> {
    "[a-z0-9_][a-z0-9_-]{0,9}(\\.[a-z0-9_-]{1,10}){0,3}"
}

fn name() -> impl Strategy<Value = String> {
    "[A-Za-zÀ-ÿ\"',. -]{0,24}".prop_map(|n| n.trim().to_owned())
}

/// A password with a letter, a digit and a symbol, possibly with commas and
/// quotes; it may still contain a name, which the account filter drops.
fn password() -> impl Strategy<Value = String> {
    (
        "[!-~àé€😀]{0,24}",
        "[a-zA-Zé]",
        "[0-9]",
        "[!-/:-@~€]",
        "[!-~]{0,6}",
    )
        .prop_map(|(a, b, c, d, e)| format!("{a}{b}{c}{d}{e}"))
        .prop_filter("too short", |p| p.chars().count() >= PASSWORD_MIN)
}

fn context<'a>(account: &'a NewAccount) -> PasswordContext<'a> {
    PasswordContext {
        username: &account.username,
        first_name: &account.first_name,
        last_name: &account.last_name,
        domain: DOMAIN,
    }
}

fn is_valid(account: &NewAccount) -> bool {
    account
        .password
        .as_deref()
        .is_none_or(|pw| is_acceptable(pw, &context(account)))
}

fn account() -> impl Strategy<Value = NewAccount> {
    (
        username(),
        prop::option::weighted(0.8, password()),
        name(),
        name(),
    )
        .prop_map(|(username, password, first_name, last_name)| NewAccount {
            username,
            password,
            first_name,
            last_name,
        })
}

/// Valid accounts with distinct usernames; invalid ones are dropped rather
/// than rejected, so proptest never runs out of candidates.
fn accounts() -> impl Strategy<Value = Vec<NewAccount>> {
    prop::collection::vec(account(), 0..25).prop_map(|mut list| {
        let mut seen = std::collections::HashSet::new();
        list.retain(|a| is_valid(a) && seen.insert(a.username.clone()));
        list
    })
}

fn valid_domain() -> impl Strategy<Value = String> {
    "[a-z0-9-]{1,20}(\\.[a-z0-9-]{1,20}){0,3}\\.[a-z]{2,6}"
}

fn assert_consistent(report: &BulkReport) {
    if report.too_big.is_some() {
        assert!(report.lines.is_empty());
        return;
    }
    assert_eq!(report.ready + report.need_attention, report.lines.len());
    assert!(report.lines.windows(2).all(|w| w[0].number < w[1].number));
    for line in &report.lines {
        assert!(line.number >= 1);
        assert_eq!(line.account.is_some(), line.problems.is_empty());
        assert!(line.problems.windows(2).all(|w| w[0].field <= w[1].field));
        let Some(account) = &line.account else {
            continue;
        };
        // The server re-checks each account with the single-account rules:
        // they must agree with the parser.
        assert_eq!(line.username.as_ref(), Some(&account.username));
        assert_eq!(
            parse_username(&account.username, DOMAIN).as_ref(),
            Ok(&account.username)
        );
        if let Some(pw) = &account.password {
            assert!(is_acceptable(pw, &context(account)));
        }
        assert!(account.first_name.chars().count() <= 64);
        assert!(account.last_name.chars().count() <= 64);
    }
}

proptest! {
    #[test]
    fn username_never_panics_and_normalises(input in any::<String>(), domain in any::<String>()) {
        if let Ok(name) = parse_username(&input, &domain) {
            prop_assert!(!name.is_empty() && name.len() <= USERNAME_MAX);
            prop_assert!(name.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b"._-".contains(&b)));
            prop_assert!(!name.starts_with('.') && !name.ends_with('.') && !name.contains(".."));
            prop_assert_eq!(parse_username(&name, &domain), Ok(name.clone()));
        }
    }

    #[test]
    fn username_from_soup(input in token_soup()) {
        let _ = parse_username(&input, DOMAIN);
    }

    #[test]
    fn password_checks_never_panic(
        pw in any::<String>(),
        username in any::<String>(),
        first in any::<String>(),
        last in any::<String>(),
        domain in any::<String>(),
    ) {
        let ctx = PasswordContext { username: &username, first_name: &first, last_name: &last, domain: &domain };
        let checks = check_password(&pw, &ctx);
        prop_assert_eq!(checks.len(), 8);
        let problems = password_problems(&pw, &ctx);
        prop_assert!(problems.iter().all(|c| c.level == Level::Fail));
        prop_assert_eq!(problems.len(), checks.iter().filter(|c| c.level == Level::Fail).count());
        prop_assert_eq!(is_acceptable(&pw, &ctx), problems.is_empty());
        // Only the comma rule ever warns.
        prop_assert!(checks.iter().all(|c| c.level != Level::Warn || c.rule == Rule::Comma));
    }

    #[test]
    fn bulk_never_panics_on_any_string(text in any::<String>(), generate in any::<bool>()) {
        let report = parse_bulk(&text, DOMAIN, BulkOptions { generate_missing: generate });
        assert_consistent(&report);
    }

    #[test]
    fn bulk_never_panics_on_token_soup(text in token_soup(), generate in any::<bool>()) {
        let report = parse_bulk(&text, DOMAIN, BulkOptions { generate_missing: generate });
        assert_consistent(&report);
    }

    #[test]
    fn formatted_accounts_parse_back(
        list in accounts(),
        crlf in any::<bool>(),
        comments in any::<bool>(),
        bom in any::<bool>(),
    ) {
        let end = if crlf { "\r\n" } else { "\n" };
        let mut text = String::from(if bom { "\u{feff}" } else { "" });
        for account in &list {
            if comments {
                text.push_str("# next one");
                text.push_str(end);
                text.push_str(end);
            }
            text.push_str(&format_line(account));
            text.push_str(end);
        }
        let report = parse_bulk(&text, DOMAIN, BulkOptions { generate_missing: true });
        assert_consistent(&report);
        let parsed: Vec<NewAccount> = report.accounts().cloned().collect();
        prop_assert_eq!(&parsed, &list, "{:?}", text);
        prop_assert_eq!(report.need_attention, 0);
    }

    #[test]
    fn generated_passwords_always_pass(
        username in username(),
        first in "\\PC{0,30}",
        last in "\\PC{0,30}",
        domain in valid_domain(),
        len in 0usize..300,
    ) {
        let ctx = PasswordContext { username: &username, first_name: &first, last_name: &last, domain: &domain };
        let pw = generate_password(&ctx, len).map_err(|e| TestCaseError::fail(e.to_string()))?;
        prop_assert_eq!(pw.chars().count(), len.clamp(PASSWORD_MIN, PASSWORD_MAX));
        let checks = check_password(&pw, &ctx);
        prop_assert!(checks.iter().all(|c| c.level == Level::Pass), "{:?}", checks);
    }
}
