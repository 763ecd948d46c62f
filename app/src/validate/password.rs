//! The password rules, each one a separate outcome for a live checklist.

use super::check::{Check, Level, Rule};

/// Fewest characters a password may have.
pub const PASSWORD_MIN: usize = 8;
/// Most characters a password may have.
pub const PASSWORD_MAX: usize = 128;

/// The one wording of the rule that a password typed twice must match, wherever it is checked.
pub const PASSWORDS_DIFFER: &str = "The two passwords differ";

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
    password_outcomes(pw, ctx, &Company::of(ctx.domain))
        .into_iter()
        .map(Outcome::check)
        .collect()
}

/// [`check_password`] before its outcomes become [`Check`]s, with the
/// domain's share worked out beforehand. The bulk parser checks up to 5,000
/// passwords for one domain and keeps only failures and warnings, so it
/// builds the [`Company`] once and allocates no message for a rule that
/// passes. `company` must come from `ctx.domain`.
pub(super) fn password_outcomes(
    pw: &str,
    ctx: &PasswordContext,
    company: &Company,
) -> [Outcome; 8] {
    // Shared by the two rules that compare text case-insensitively.
    let lower = lowercase_prefix(pw, INSPECT_MAX);
    [
        length(pw),
        letter(pw),
        digit(pw),
        symbol(pw),
        no_space(pw),
        no_name(&lower, ctx, company),
        not_email(pw, &lower, ctx, company),
        comma(pw),
    ]
}

/// One rule's outcome with its message still a constant.
#[derive(Clone, Copy, Debug)]
pub(super) struct Outcome {
    rule: Rule,
    /// What the rule decided.
    pub(super) level: Level,
    message: &'static str,
}

impl Outcome {
    fn new(rule: Rule, level: Level, message: &'static str) -> Self {
        Outcome {
            rule,
            level,
            message,
        }
    }

    /// The outcome as the [`Check`] the interface shows.
    pub(super) fn check(self) -> Check {
        Check::new(self.rule, self.level, self.message)
    }
}

/// What the name and address rules take from the managed domain, in the
/// lowercase form they compare with.
pub(super) struct Company {
    /// The parts of the company labels, in order (see [`check_password`]).
    parts: Vec<String>,
    /// The domain without a trailing dot, for the full address.
    domain: Vec<char>,
}

impl Company {
    /// Works out the company parts and address domain of `domain`.
    pub(super) fn of(domain: &str) -> Self {
        let mut parts = Vec::new();
        for label in company_labels(domain) {
            let lower = lowercase_prefix(&label, CONTEXT_MAX);
            parts.extend(parts_of(&lower).map(str::to_owned));
        }
        Company {
            parts,
            domain: domain
                .trim_end_matches('.')
                .to_lowercase()
                .chars()
                .collect(),
        }
    }
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

fn verdict(rule: Rule, ok: bool, message: &'static str) -> Outcome {
    let level = if ok { Level::Pass } else { Level::Fail };
    Outcome::new(rule, level, message)
}

fn length(pw: &str) -> Outcome {
    // Counting stops just past the maximum so a huge paste is not walked twice.
    let n = pw.chars().take(PASSWORD_MAX + 1).count();
    verdict(
        Rule::Length,
        (PASSWORD_MIN..=PASSWORD_MAX).contains(&n),
        LENGTH,
    )
}

fn letter(pw: &str) -> Outcome {
    verdict(Rule::Letter, pw.chars().any(char::is_alphabetic), LETTER)
}

fn digit(pw: &str) -> Outcome {
    verdict(Rule::Digit, pw.chars().any(|c| c.is_ascii_digit()), DIGIT)
}

fn is_symbol(c: char) -> bool {
    !c.is_alphanumeric() && !c.is_whitespace() && !is_invisible(c)
}

fn symbol(pw: &str) -> Outcome {
    verdict(Rule::Symbol, pw.chars().any(is_symbol), SYMBOL)
}

fn no_space(pw: &str) -> Outcome {
    let bad = pw.chars().any(|c| c.is_whitespace() || is_invisible(c));
    verdict(Rule::NoSpace, !bad, NO_SPACE)
}

fn comma(pw: &str) -> Outcome {
    if pw.contains(',') {
        Outcome::new(Rule::Comma, Level::Warn, COMMA)
    } else {
        Outcome::new(Rule::Comma, Level::Pass, COMMA)
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

/// `inspected` is the lowercase start of the password ([`INSPECT_MAX`]).
/// The parts are tried in the order the failure is reported: first name,
/// last name, username, company; the first one found names the source.
fn no_name(inspected: &str, ctx: &PasswordContext, company: &Company) -> Outcome {
    let people = [
        (Source::FirstName, ctx.first_name),
        (Source::LastName, ctx.last_name),
        (Source::Username, local_of(ctx.username)),
    ];
    let hit = people
        .into_iter()
        .find(|(_, text)| {
            parts_of(&lowercase_prefix(text, CONTEXT_MAX)).any(|part| occurs(inspected, part))
        })
        .map(|(source, _)| source)
        .or_else(|| {
            let company_hit = company.parts.iter().any(|part| occurs(inspected, part));
            company_hit.then_some(Source::Company)
        });
    match hit {
        Some(source) => Outcome::new(Rule::NoName, Level::Fail, source.message()),
        None => Outcome::new(Rule::NoName, Level::Pass, NO_NAME),
    }
}

/// Whether `part` occurs in `text`: the answer of `str::contains`, which
/// prepares a two-way searcher on every call. For a password of a few bytes
/// that preparation costs more than trying every position.
fn occurs(text: &str, part: &str) -> bool {
    part.is_empty()
        || text
            .as_bytes()
            .windows(part.len())
            .any(|window| window == part.as_bytes())
}

fn lowercase_prefix(text: &str, max_chars: usize) -> String {
    // No more bytes than `max_chars` means no more characters either.
    let end = if text.len() <= max_chars {
        text.len()
    } else {
        text.char_indices()
            .nth(max_chars)
            .map_or(text.len(), |(i, _)| i)
    };
    text[..end].to_lowercase()
}

/// The strings of lowercase `lower` a password must not contain: the whole
/// (trimmed) and its pieces, each at least [`PART_MIN`] characters. A part
/// may come twice; only the first match counts anyway.
fn parts_of(lower: &str) -> impl Iterator<Item = &str> {
    let whole = lower.trim();
    std::iter::once(whole)
        .chain(whole.split(is_part_separator))
        .filter(|part| part.chars().count() >= PART_MIN)
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

/// `lower` is the lowercase start of the password ([`INSPECT_MAX`]).
fn not_email(pw: &str, lower: &str, ctx: &PasswordContext, company: &Company) -> Outcome {
    verdict(
        Rule::NotEmail,
        !close_to_email(pw, lower, ctx, company),
        NOT_EMAIL,
    )
}

fn close_to_email(pw: &str, lower: &str, ctx: &PasswordContext, company: &Company) -> bool {
    let local = local_of(ctx.username).to_lowercase();
    if local.is_empty() || pw.chars().nth(PASSWORD_MAX).is_some() {
        return false;
    }
    // The password has at most 128 characters here, so `lower` holds all of it.
    let mut pw = Vec::with_capacity(lower.len());
    pw.extend(lower.chars());
    // The full address, whose first characters are the username.
    let mut address = Vec::with_capacity(local.len() + 1 + company.domain.len());
    address.extend(local.chars());
    let local_len = address.len();
    if !company.domain.is_empty() {
        address.push('@');
        address.extend(&company.domain);
    }
    within_reach(&pw, &address[..local_len])
        || (address.len() > local_len && within_reach(&pw, &address))
}

/// Whether `pw` is within `max(3, n / 3)` edits of `target` (`n` = its length).
fn within_reach(pw: &[char], target: &[char]) -> bool {
    let limit = (target.len() / 3).max(3);
    // The distance is at least the difference in length: this skips the
    // table entirely for unrelated lengths, and bounds the table to
    // at most about 128 x 200 cells when it is built.
    pw.len().abs_diff(target.len()) <= limit && levenshtein(pw, target, limit).is_some()
}

/// Classic two-row edit distance over characters, when it is at most
/// `limit`. Gives up as soon as a whole row exceeds `limit`: row minimums
/// never decrease, so the distance would too.
fn levenshtein(a: &[char], b: &[char], limit: usize) -> Option<usize> {
    let mut rows = vec![0; 2 * (b.len() + 1)];
    let (mut previous, mut current) = rows.split_at_mut(b.len() + 1);
    for (j, cell) in previous.iter_mut().enumerate() {
        *cell = j;
    }
    for (i, &ca) in a.iter().enumerate() {
        current[0] = i + 1;
        let mut row_min = current[0];
        for (j, &cb) in b.iter().enumerate() {
            let substitute = previous[j] + usize::from(ca != cb);
            let delete = previous[j + 1] + 1;
            let insert = current[j] + 1;
            current[j + 1] = substitute.min(delete).min(insert);
            row_min = row_min.min(current[j + 1]);
        }
        if row_min > limit {
            return None;
        }
        std::mem::swap(&mut previous, &mut current);
    }
    Some(previous[b.len()]).filter(|&d| d <= limit)
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
            levenshtein(&a, &b, usize::MAX).expect("no distance exceeds usize::MAX")
        };
        assert_eq!(d("", ""), 0);
        assert_eq!(d("abc", ""), 3);
        assert_eq!(d("", "abc"), 3);
        assert_eq!(d("kitten", "sitting"), 3);
        assert_eq!(d("flaw", "lawn"), 2);
        assert_eq!(d("héllo", "hello"), 1);
        let within = |a: &str, b: &str, limit: usize| {
            let a: Vec<char> = a.chars().collect();
            let b: Vec<char> = b.chars().collect();
            levenshtein(&a, &b, limit)
        };
        assert_eq!(within("kitten", "sitting", 3), Some(3));
        assert_eq!(within("kitten", "sitting", 2), None);
        assert_eq!(within("abcdefgh", "zyxwvuts", 3), None);
        assert_eq!(within("", "abc", 3), Some(3));
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
