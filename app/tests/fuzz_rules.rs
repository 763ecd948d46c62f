//! Fuzzing of every rule and parser of `validate`: generated text, near-valid text and text
//! past the size limits, and nothing may panic. Each target runs `VPM_FUZZ_CASES` inputs
//! (see `support/fuzz.rs`); the laws the rules keep are in `validate_props.rs`.

#[path = "support/fuzz.rs"]
mod fuzz;

use app::validate::domain::{parse_address, parse_domain};
use app::validate::{
    check_account, check_password, format_line, generate_password, is_acceptable, name_problems,
    parse_bulk, parse_username, password_problems, starts_like_formula, AccountFields, BulkOptions,
    Field, NewAccount, PasswordContext, BULK_MAX_BYTES, PASSWORD_MAX, PASSWORD_MIN,
};
use proptest::prelude::*;

/// Pieces near what the rules expect, and the characters that split, quote or hide text.
fn piece() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            " ", "\t", ",", "\"", "\"\"", "#", "\n", "\r\n", "\r", "\0", "\u{feff}", "\u{a0}",
            "\u{200b}", "\u{202e}", "@", "@example.test", "@EXAMPLE.TEST.", "@other.test", ".",
            "..", "-", "_", "jdoe", "Xk4#pq9!zz", "example", "test", "=", "+", "é", "😀",
        ])
        .prop_map(str::to_owned),
        2 => "[a-zA-Z0-9._~!@#-]{1,16}",
        1 => "\\PC{1,8}",
        1 => any::<char>().prop_map(String::from),
    ]
}

/// Text made of up to `max` pieces.
fn soup(max: usize) -> impl Strategy<Value = String> {
    prop::collection::vec(piece(), 0..max).prop_map(|parts| parts.concat())
}

/// Any string, or a soup of pieces: half random, half near-valid.
fn text(max: usize) -> impl Strategy<Value = String> {
    prop_oneof![any::<String>(), soup(max)]
}

fn domain() -> impl Strategy<Value = String> {
    prop_oneof![
        Just("example.test".to_owned()),
        "[a-z0-9-]{1,20}(\\.[a-z0-9-]{1,20}){0,3}\\.[a-z]{2,6}",
        text(8),
    ]
}

fn field() -> impl Strategy<Value = Field> {
    prop::sample::select(vec![
        Field::Line,
        Field::Username,
        Field::Password,
        Field::PasswordAgain,
        Field::FirstName,
        Field::LastName,
    ])
}

proptest! {
    #![proptest_config(fuzz::config(fuzz::cases(1)))]

    #[test]
    fn fuzz_username(input in text(24), domain in domain()) {
        let _ = parse_username(&input, &domain);
    }

    #[test]
    fn fuzz_password(
        pw in text(24),
        username in text(6),
        first in text(4),
        last in text(4),
        domain in domain(),
    ) {
        let ctx = PasswordContext { username: &username, first_name: &first, last_name: &last, domain: &domain };
        let checks = check_password(&pw, &ctx);
        let problems = password_problems(&pw, &ctx);
        prop_assert_eq!(is_acceptable(&pw, &ctx), problems.is_empty());
        prop_assert!(problems.len() <= checks.len());
    }

    #[test]
    fn fuzz_bulk_paste(text in text(200), domain in domain(), generate in any::<bool>()) {
        let report = parse_bulk(&text, &domain, BulkOptions { generate_missing: generate });
        prop_assert_eq!(report.ready + report.need_attention, report.lines.len());
        for account in report.accounts() {
            // What the parser takes, written back out, reads the same.
            let again = parse_bulk(&format_line(account), &domain, BulkOptions { generate_missing: true });
            prop_assert_eq!(again.accounts().next(), Some(account));
        }
    }

    #[test]
    fn fuzz_one_account(
        username in text(8),
        password in text(12),
        again in prop_oneof![Just(None), text(12).prop_map(Some)],
        first in text(6),
        last in text(6),
        domain in domain(),
    ) {
        let given = AccountFields {
            username: &username,
            password: &password,
            password_again: again.as_deref().unwrap_or(&password),
            first_name: &first,
            last_name: &last,
        };
        let line = check_account(&given, &domain, false);
        prop_assert_eq!(line.account.is_some(), line.problems.is_empty());
    }

    #[test]
    fn fuzz_names(name in text(40), field in field()) {
        let _ = name_problems(&name, field);
    }

    #[test]
    fn fuzz_domain_and_address(input in text(16), local in text(6), domain in domain()) {
        if let Ok(name) = parse_domain(&input) {
            prop_assert_eq!(parse_domain(&name), Ok(name.clone()));
        }
        let _ = parse_address(&input);
        if let Ok((local, domain)) = parse_address(&format!("{local}@{domain}")) {
            prop_assert_eq!(parse_address(&format!("{local}@{domain}")), Ok((local, domain)));
        }
    }

    #[test]
    fn fuzz_generated_password(
        username in text(6),
        first in text(4),
        last in text(4),
        domain in domain(),
        len in any::<usize>(),
    ) {
        let ctx = PasswordContext { username: &username, first_name: &first, last_name: &last, domain: &domain };
        // Names that fill every candidate may make generation give up; it must say so, not panic.
        if let Ok(pw) = generate_password(&ctx, len) {
            prop_assert_eq!(pw.chars().count(), len.clamp(PASSWORD_MIN, PASSWORD_MAX));
            prop_assert!(!starts_like_formula(&pw));
        }
    }

    #[test]
    fn fuzz_format_line(
        username in text(6),
        password in prop_oneof![Just(None), text(8).prop_map(Some)],
        first in text(6),
        last in text(6),
    ) {
        let account = NewAccount { username, password, first_name: first, last_name: last };
        let _ = parse_bulk(&format_line(&account), "example.test", BulkOptions::default());
    }
}

proptest! {
    // A paste near and past the 1 MiB limit costs about a thousand small ones.
    #![proptest_config(fuzz::config(fuzz::cases(1_000)))]

    #[test]
    fn fuzz_huge_paste(line in soup(40), extra in 0usize..4096, generate in any::<bool>()) {
        let mut text = line.repeat(BULK_MAX_BYTES / line.len().max(1) + 1);
        text.truncate(text.floor_char_boundary(BULK_MAX_BYTES - 2048 + extra));
        let report = parse_bulk(&text, "example.test", BulkOptions { generate_missing: generate });
        prop_assert!(report.too_big.is_some() || text.len() <= BULK_MAX_BYTES);
    }
}
