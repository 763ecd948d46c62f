//! The password rules, each one a separate outcome for a live checklist.

use super::check::{Check, Level, Rule};

/// Fewest characters a password may have.
pub const PASSWORD_MIN: usize = 8;
/// Most characters a password may have.
pub const PASSWORD_MAX: usize = 128;

/// Name parts shorter than this are ignored: forbidding every password
/// that contains "jo" or "li" would refuse far too much.
const PART_MIN: usize = 3;

/// Context fields are cut to this many characters before their parts are
/// taken. Real ones are far shorter (names and usernames have 64 at most);
/// the cut only keeps a malformed context from costing time.
const CONTEXT_MAX: usize = 256;

/// The name rule looks at no more than this many characters of the password.
/// Anything longer already fails the length rule; the cut keeps a pasted
/// megabyte from being scanned once per name part.
const INSPECT_MAX: usize = 2 * PASSWORD_MAX;

/// Domain labels that say nothing about the company: registry second-level
/// labels (`acme.co.uk`, `acme.com.au`) and common mail host prefixes
/// (`mail.acme.test`). Labels shorter than [`PART_MIN`] are ignored anyway.
const GENERIC_LABELS: &[&str] = &[
    "com", "net", "org", "gov", "edu", "mil", "int", "ltd", "plc", "sch", "nhs", "gen", "biz",
    "info", "nom", "www", "mail", "smtp", "imap", "pop", "pop3", "webmail",
];

const LENGTH: &str = "8 to 128 characters";
const LETTER: &str = "At least one letter";
const DIGIT: &str = "At least one digit (0-9)";
const SYMBOL: &str = "At least one symbol, such as ! @ # ~";
const NO_SPACE: &str = "No spaces or invisible characters";
const NO_NAME: &str = "No name, username or company name";
const NOT_EMAIL: &str = "Not close to the email address";
const COMMA: &str = "Better without a comma";

/// Who the password is for: the rules refuse passwords built from these.
///
/// `username` may be the local part or a full address (only the part before
/// the last `@` is used); `domain` is the managed domain. Empty fields are
/// simply not checked against.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct PasswordContext<'a> {
    /// The account's username (local part, or a full address).
    pub username: &'a str,
    /// The account holder's first name, possibly empty.
    pub first_name: &'a str,
    /// The account holder's last name, possibly empty.
    pub last_name: &'a str,
    /// The managed domain, e.g. `example.test`.
    pub domain: &'a str,
}

/// Runs every password rule and returns one outcome per rule, in a fixed
/// order: length, letter, digit, symbol, no-space, no-name, not-email, comma.
///
/// - length: 8 to 128 characters (Unicode scalar values).
/// - letter: at least one alphabetic character (any script).
/// - digit: at least one of `0`-`9`.
/// - symbol: at least one visible character that is neither a letter nor a
///   digit (`~`, `!`, `€`, ...).
/// - no-space: no whitespace of any kind, no control character and no
///   invisible formatting character (zero-width space, BOM, ...).
/// - no-name: see [`PasswordContext`]; case-insensitive, ignores parts
///   shorter than 3 characters. The first name, last name and username are
///   checked whole and split on whitespace, `.`, `-`, `_`, `,` and
///   apostrophes. The domain contributes its labels without the last one
///   (the TLD) and without generic labels such as `co`, `com` or `mail`,
///   each label also split on `-`: `mail.acme-widgets.co.uk` gives
///   `acme-widgets`, `acme` and `widgets`. A single-label domain is used whole.
/// - not-email: fails when the case-insensitive edit distance (Levenshtein:
///   one insertion, deletion or substitution of a character each) between the
///   password and either the full address or the username is at most
///   `max(3, n / 3)`, `n` being the length of that address or username
///   (integer division). For `someone@example.test` (20 characters) that is 6,
///   for `someone` 3. Not evaluated (passes) when there is no username or when
///   the password is longer than 128 characters, which the length rule refuses.
/// - comma: a warning, never a failure: some mail programs mishandle commas.
pub fn check_password(pw: &str, ctx: &PasswordContext) -> Vec<Check> {
    vec![
        length(pw),
        letter(pw),
        digit(pw),
        symbol(pw),
        no_space(pw),
        no_name(pw, ctx),
        not_email(pw, ctx),
        comma(pw),
    ]
}

/// Only the failing outcomes of [`check_password`]: empty when the password
/// may be used. Warnings are left out, since they do not block.
pub fn password_problems(pw: &str, ctx: &PasswordContext) -> Vec<Check> {
    check_password(pw, ctx)
        .into_iter()
        .filter(Check::is_fail)
        .collect()
}

/// Whether the password may be used (warnings allowed).
pub fn is_acceptable(pw: &str, ctx: &PasswordContext) -> bool {
    password_problems(pw, ctx).is_empty()
}

/// Characters that show nothing or control layout: controls plus the Unicode
/// format characters people paste by accident. Shared with the name rule of
/// the bulk parser.
pub(super) fn is_invisible(c: char) -> bool {
    c.is_control()
        || matches!(
            c,
            '\u{ad}'
                | '\u{34f}'
                | '\u{61c}'
                | '\u{115f}'
                | '\u{1160}'
                | '\u{17b4}'
                | '\u{17b5}'
                | '\u{180b}'..='\u{180f}'
                | '\u{200b}'..='\u{200f}'
                | '\u{202a}'..='\u{202e}'
                | '\u{2060}'..='\u{206f}'
                | '\u{3164}'
                | '\u{feff}'
                | '\u{ffa0}'
                | '\u{fff0}'..='\u{fffb}'
                | '\u{1d173}'..='\u{1d17a}'
                | '\u{e0000}'..='\u{e007f}'
        )
}

fn verdict(rule: Rule, ok: bool, message: &str) -> Check {
    let level = if ok { Level::Pass } else { Level::Fail };
    Check::new(rule, level, message)
}

fn length(pw: &str) -> Check {
    // Counting stops just past the maximum so a huge paste is not walked twice.
    let n = pw.chars().take(PASSWORD_MAX + 1).count();
    verdict(
        Rule::Length,
        (PASSWORD_MIN..=PASSWORD_MAX).contains(&n),
        LENGTH,
    )
}

fn letter(pw: &str) -> Check {
    verdict(Rule::Letter, pw.chars().any(char::is_alphabetic), LETTER)
}

fn digit(pw: &str) -> Check {
    verdict(Rule::Digit, pw.chars().any(|c| c.is_ascii_digit()), DIGIT)
}

fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !is_invisible(c)
}

fn symbol(pw: &str) -> Check {
    verdict(Rule::Symbol, pw.chars().any(is_symbol), SYMBOL)
}

fn no_space(pw: &str) -> Check {
    let bad = pw.chars().any(|c| c.is_whitespace() || is_invisible(c));
    verdict(Rule::NoSpace, !bad, NO_SPACE)
}

fn comma(pw: &str) -> Check {
    if pw.contains(',') {
        Check::warn(Rule::Comma, COMMA)
    } else {
        Check::pass(Rule::Comma, COMMA)
    }
}

/// Where a forbidden part came from; decides the failure message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Source {
    FirstName,
    LastName,
    Username,
    Company,
}

impl Source {
    fn message(self) -> &'static str {
        match self {
            Source::FirstName => "Must not contain the first name",
            Source::LastName => "Must not contain the last name",
            Source::Username => "Must not contain the username",
            Source::Company => "Must not contain the company name",
        }
    }
}

fn no_name(pw: &str, ctx: &PasswordContext) -> Check {
    let inspected = lowercase_prefix(pw, INSPECT_MAX);
    let hit = forbidden_parts(ctx)
        .into_iter()
        .find(|(_, part)| inspected.contains(part.as_str()));
    match hit {
        Some((source, _)) => Check::fail(Rule::NoName, source.message()),
        None => Check::pass(Rule::NoName, NO_NAME),
    }
}

fn lowercase_prefix(text: &str, max_chars: usize) -> String {
    let end = text
        .char_indices()
        .nth(max_chars)
        .map_or(text.len(), |(i, _)| i);
    text[..end].to_lowercase()
}

/// Every lowercase string the password must not contain, in the order the
/// failure is reported: first name, last name, username, company.
fn forbidden_parts(ctx: &PasswordContext) -> Vec<(Source, String)> {
    let mut parts = Vec::new();
    push_parts(&mut parts, Source::FirstName, ctx.first_name);
    push_parts(&mut parts, Source::LastName, ctx.last_name);
    push_parts(&mut parts, Source::Username, local_of(ctx.username));
    for label in company_labels(ctx.domain) {
        push_parts(&mut parts, Source::Company, &label);
    }
    parts
}

fn push_parts(out: &mut Vec<(Source, String)>, source: Source, text: &str) {
    let lower = lowercase_prefix(text, CONTEXT_MAX);
    let whole = lower.trim();
    let pieces = whole.split(is_part_separator);
    for part in std::iter::once(whole).chain(pieces) {
        if part.chars().count() >= PART_MIN && !out.iter().any(|(_, p)| p == part) {
            out.push((source, part.to_owned()));
        }
    }
}

fn is_part_separator(c: char) -> bool {
    matches!(c, '.' | '-' | '_' | ',' | '\'' | '\u{2019}') || c.is_whitespace()
}

/// The labels of `domain` that name the company (see [`check_password`]).
fn company_labels(domain: &str) -> Vec<String> {
    let lower = lowercase_prefix(domain, CONTEXT_MAX);
    let mut labels: Vec<&str> = lower
        .trim_end_matches('.')
        .split('.')
        .filter(|l| !l.is_empty())
        .collect();
    if labels.len() > 1 {
        labels.pop();
    }
    labels
        .into_iter()
        .filter(|l| !GENERIC_LABELS.contains(l))
        .map(str::to_owned)
        .collect()
}

/// The local part of a username that may be a full address.
fn local_of(username: &str) -> &str {
    username
        .rsplit_once('@')
        .map_or(username, |(local, _)| local)
}

fn not_email(pw: &str, ctx: &PasswordContext) -> Check {
    verdict(Rule::NotEmail, !close_to_email(pw, ctx), NOT_EMAIL)
}

fn close_to_email(pw: &str, ctx: &PasswordContext) -> bool {
    let local = local_of(ctx.username).to_lowercase();
    if local.is_empty() || pw.chars().nth(PASSWORD_MAX).is_some() {
        return false;
    }
    let pw: Vec<char> = pw.to_lowercase().chars().collect();
    let domain = ctx.domain.trim_end_matches('.').to_lowercase();
    let address = if domain.is_empty() {
        None
    } else {
        Some(format!("{local}@{domain}"))
    };
    std::iter::once(&local)
        .chain(address.as_ref())
        .any(|target| within_reach(&pw, target))
}

/// Whether `pw` is within `max(3, n / 3)` edits of `target` (`n` = its length).
fn within_reach(pw: &[char], target: &str) -> bool {
    let target: Vec<char> = target.chars().collect();
    let limit = (target.len() / 3).max(3);
    // The distance is at least the difference in length: this skips the
    // table entirely for unrelated lengths, and bounds the table to
    // at most about 128 x 200 cells when it is built.
    pw.len().abs_diff(target.len()) <= limit && levenshtein(pw, &target) <= limit
}

/// Classic two-row edit distance over characters.
fn levenshtein(a: &[char], b: &[char]) -> usize {
    let mut previous: Vec<usize> = (0..=b.len()).collect();
    let mut current = vec![0; b.len() + 1];
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            let delete = previous[j + 1] + 1;
            let insert = current[j] + 1;
            current[j + 1] = substitute.min(delete).min(insert);
        }
        std::mem::swap(&mut previous, &mut current);
    }
    previous[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    const SEED: PasswordContext<'static> = PasswordContext {
        username: "someone",
        first_name: "",
        last_name: "",
        domain: "example.test",
    };

    fn level(pw: &str, ctx: &PasswordContext, rule: Rule) -> Level {
        check_password(pw, ctx)
            .into_iter()
            .find(|c| c.rule == rule)
            .map(|c| c.level)
            .expect("every rule is reported")
    }

    fn failing_rules(pw: &str, ctx: &PasswordContext) -> Vec<Rule> {
        password_problems(pw, ctx).iter().map(|c| c.rule).collect()
    }

    #[test]
    fn seed_vectors() {
        for pw in ["abcde67~", "12345fg~"] {
            assert!(is_acceptable(pw, &SEED), "{pw} should be valid");
            assert!(check_password(pw, &SEED)
                .iter()
                .all(|c| c.level == Level::Pass));
        }
        let refused: &[(&str, &[Rule])] = &[
            ("abcdefgh", &[Rule::Digit, Rule::Symbol]),
            ("12345678", &[Rule::Letter, Rule::Symbol]),
            ("1234567~", &[Rule::Letter]),
        ];
        for (pw, rules) in refused {
            assert_eq!(failing_rules(pw, &SEED), *rules, "{pw}");
        }
    }

    #[test]
    fn every_rule_reported_in_order() {
        let rules: Vec<Rule> = check_password("", &SEED).iter().map(|c| c.rule).collect();
        assert_eq!(
            rules,
            [
                Rule::Length,
                Rule::Letter,
                Rule::Digit,
                Rule::Symbol,
                Rule::NoSpace,
                Rule::NoName,
                Rule::NotEmail,
                Rule::Comma
            ]
        );
    }

    #[test]
    fn length_boundaries() {
        let make = |n: usize| format!("a1~{}", "x".repeat(n - 3));
        let cases = [
            (0, Level::Fail),
            (7, Level::Fail),
            (8, Level::Pass),
            (128, Level::Pass),
            (129, Level::Fail),
        ];
        for (n, want) in cases {
            let pw = if n == 0 { String::new() } else { make(n) };
            assert_eq!(level(&pw, &SEED, Rule::Length), want, "{n} chars");
        }
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let eight = "é1~ééééé";
        assert_eq!(eight.chars().count(), 8);
        assert_eq!(level(eight, &SEED, Rule::Length), Level::Pass);
        let long = format!("a1~{}", "é".repeat(125));
        assert_eq!(level(&long, &SEED, Rule::Length), Level::Pass);
        let too_long = format!("{long}é");
        assert_eq!(level(&too_long, &SEED, Rule::Length), Level::Fail);
    }

    #[test]
    fn letter_digit_symbol() {
        let cases: &[(&str, Rule, Level)] = &[
            ("1234567~", Rule::Letter, Level::Fail),
            ("é234567~", Rule::Letter, Level::Pass),
            ("абвгдеж1~", Rule::Letter, Level::Pass),
            ("abcdefg~", Rule::Digit, Level::Fail),
            ("abcdef٣~", Rule::Digit, Level::Fail),
            ("abcdefg9", Rule::Symbol, Level::Fail),
            ("abcdef9€", Rule::Symbol, Level::Pass),
            ("abcdef9😀", Rule::Symbol, Level::Pass),
            ("abcdef9\u{200b}", Rule::Symbol, Level::Fail),
            ("abcdef9\u{7}", Rule::Symbol, Level::Fail),
            ("abcdef9 ", Rule::Symbol, Level::Fail),
        ];
        for (pw, rule, want) in cases {
            assert_eq!(level(pw, &SEED, *rule), *want, "{pw:?} {rule:?}");
        }
    }

    #[test]
    fn every_kind_of_whitespace_and_control_fails() {
        let bad = [
            ' ', '\t', '\n', '\r', '\u{b}', '\u{c}', '\u{a0}', '\u{1680}', '\u{2003}', '\u{2028}',
            '\u{202f}', '\u{205f}', '\u{3000}', '\u{0}', '\u{1b}', '\u{7f}', '\u{85}', '\u{9f}',
            '\u{200b}', '\u{200d}', '\u{2060}', '\u{feff}', '\u{ad}', '\u{202e}',
        ];
        for c in bad {
            for pw in [
                format!("{c}abcd12~"),
                format!("abc{c}d12~"),
                format!("abcd12~{c}"),
            ] {
                assert_eq!(level(&pw, &SEED, Rule::NoSpace), Level::Fail, "{c:?}");
            }
        }
        assert_eq!(level("abcd12~x", &SEED, Rule::NoSpace), Level::Pass);
        assert_eq!(level("", &SEED, Rule::NoSpace), Level::Pass);
    }

    #[test]
    fn names_inside_passwords() {
        let ctx = PasswordContext {
            username: "jane.doe-smith",
            first_name: "Jane",
            last_name: "O'Connor-Smith",
            domain: "acme-widgets.co.uk",
        };
        let cases: &[(&str, Level, &str)] = &[
            ("xJANEx1~", Level::Fail, "Must not contain the first name"),
            ("xjAnEx1~", Level::Fail, "Must not contain the first name"),
            ("1~connorX", Level::Fail, "Must not contain the last name"),
            ("1~SMITHxx", Level::Fail, "Must not contain the last name"),
            (
                "1~o'connor-smith",
                Level::Fail,
                "Must not contain the last name",
            ),
            ("1~xDOExyz", Level::Fail, "Must not contain the username"),
            (
                "1~xACMEyz",
                Level::Fail,
                "Must not contain the company name",
            ),
            (
                "1~Widgets",
                Level::Fail,
                "Must not contain the company name",
            ),
            ("1~zz-co-uk", Level::Pass, NO_NAME),
            ("1~janxdox", Level::Pass, NO_NAME),
        ];
        for (pw, want, message) in cases {
            let check = &check_password(pw, &ctx)[5];
            assert_eq!(check.rule, Rule::NoName);
            assert_eq!(
                (check.level, check.message.as_str()),
                (*want, *message),
                "{pw}"
            );
        }
    }

    #[test]
    fn short_parts_are_ignored() {
        let ctx = PasswordContext {
            username: "jo.li",
            first_name: "Al",
            last_name: "Ng",
            domain: "ab.test",
        };
        assert_eq!(level("jo~al12ngab", &ctx, Rule::NoName), Level::Pass);
        // The whole username is three characters or more, so it still counts.
        assert_eq!(level("xjo.li1~", &ctx, Rule::NoName), Level::Fail);
        let three = PasswordContext {
            first_name: "Ann",
            ..ctx
        };
        assert_eq!(level("xANNx12~", &three, Rule::NoName), Level::Fail);
    }

    #[test]
    fn company_labels_drop_tld_and_generic_labels() {
        let cases: &[(&str, &[&str])] = &[
            ("example.test", &["example"]),
            ("Example.Test.", &["example"]),
            ("mail.acme.co.uk", &["acme", "co"]),
            ("acme.com.au", &["acme"]),
            ("localhost", &["localhost"]),
            ("", &[]),
            ("..", &[]),
        ];
        for (domain, want) in cases {
            assert_eq!(company_labels(domain), *want, "{domain}");
        }
        let ctx = PasswordContext {
            domain: "mail.acme.co.uk",
            ..PasswordContext::default()
        };
        assert_eq!(level("mail12~x", &ctx, Rule::NoName), Level::Pass);
        assert_eq!(level("com12~xuk", &ctx, Rule::NoName), Level::Pass);
    }

    #[test]
    fn username_given_as_full_address() {
        let ctx = PasswordContext {
            username: "Someone@Example.Test",
            domain: "example.test",
            ..PasswordContext::default()
        };
        assert_eq!(level("xSOMEONE1~", &ctx, Rule::NoName), Level::Fail);
    }

    #[test]
    fn edit_distance() {
        let d = |a: &str, b: &str| {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            levenshtein(&a, &b)
        };
        assert_eq!(d("", ""), 0);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("flaw", "lawn"), 2);
        assert_eq!(d("héllo", "hello"), 1);
    }

    #[test]
    fn near_email_boundary_on_the_username() {
        // "someone" has 7 characters: the limit is max(3, 7 / 3) = 3.
        let cases = [
            ("s0me0ne!", Level::Fail),  // 2 substitutions + 1 insertion = 3
            ("s0m30ne!", Level::Pass),  // 3 substitutions + 1 insertion = 4
            ("SOMEONE1", Level::Fail),  // case is ignored: 1 insertion
            ("s0m30n3!!", Level::Pass), // far enough
        ];
        for (pw, want) in cases {
            assert_eq!(level(pw, &SEED, Rule::NotEmail), want, "{pw}");
        }
    }

    #[test]
    fn near_email_boundary_on_the_address() {
        // "someone@example.test" has 20 characters: the limit is 20 / 3 = 6.
        let cases = [
            ("someone@e______.test", Level::Fail), // 6 substitutions
            ("someone@_______.test", Level::Pass), // 7 substitutions
            ("SomeOne@Example.Tes", Level::Fail),  // case ignored, 1 deletion
            ("someone@example.test", Level::Fail),
        ];
        for (pw, want) in cases {
            assert_eq!(level(pw, &SEED, Rule::NotEmail), want, "{pw}");
        }
    }

    #[test]
    fn near_email_long_address_uses_a_third() {
        // 30-character local part: limit 10 for it.
        let ctx = PasswordContext {
            username: "abcdefghijklmnopqrstuvwxyz1234",
            domain: "x.test",
            ..PasswordContext::default()
        };
        let ten = "__________klmnopqrstuvwxyz1234";
        let eleven = "___________lmnopqrstuvwxyz1234";
        assert_eq!(level(ten, &ctx, Rule::NotEmail), Level::Fail);
        assert_eq!(level(eleven, &ctx, Rule::NotEmail), Level::Pass);
    }

    #[test]
    fn near_email_short_address_uses_three() {
        let ctx = PasswordContext {
            username: "ab",
            domain: "c.de",
            ..PasswordContext::default()
        };
        // "ab@c.de" has 7 characters: limit 3.
        assert_eq!(level("ab@c.de!", &ctx, Rule::NotEmail), Level::Fail);
        assert_eq!(level("xy@c.de!", &ctx, Rule::NotEmail), Level::Fail); // 3 edits
        assert_eq!(level("xy@c.de!!", &ctx, Rule::NotEmail), Level::Pass); // 4 edits
        assert_eq!(level("xy@z.de!!", &ctx, Rule::NotEmail), Level::Pass);
    }

    #[test]
    fn near_email_needs_a_username() {
        let ctx = PasswordContext {
            domain: "example.test",
            ..PasswordContext::default()
        };
        assert_eq!(level("@example.test", &ctx, Rule::NotEmail), Level::Pass);
    }

    #[test]
    fn comma_is_only_a_warning() {
        let checks = check_password("abc,de67~", &SEED);
        let comma = checks.last().expect("comma rule");
        assert_eq!((comma.rule, comma.level), (Rule::Comma, Level::Warn));
        assert!(is_acceptable("abc,de67~", &SEED));
        assert!(password_problems("abc,de67~", &SEED).is_empty());
        assert_eq!(level("abcde67~", &SEED, Rule::Comma), Level::Pass);
        // A comma counts as the symbol.
        assert_eq!(level("abcde67,", &SEED, Rule::Symbol), Level::Pass);
    }

    #[test]
    fn messages_are_stable() {
        let messages: Vec<String> = check_password("abcde67~", &SEED)
            .into_iter()
            .map(|c| c.message)
            .collect();
        assert_eq!(
            messages,
            [LENGTH, LETTER, DIGIT, SYMBOL, NO_SPACE, NO_NAME, NOT_EMAIL, COMMA]
        );
    }

    #[test]
    fn huge_inputs_are_cheap() {
        let pw = "aé1~".repeat(1 << 18);
        let big_name = "abc.".repeat(1 << 16);
        let ctx = PasswordContext {
            username: &big_name,
            first_name: &big_name,
            last_name: &big_name,
            domain: &big_name,
        };
        let checks = check_password(&pw, &ctx);
        assert_eq!(checks[0].level, Level::Fail);
        let near = "abc.".repeat(32);
        assert_eq!(check_password(&near, &ctx)[5].level, Level::Fail);
    }
}
