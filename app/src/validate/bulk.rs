//! The "Add many accounts" parser: one account per line, every problem
//! reported with its line number and field.
//!
//! # Line format
//!
//! `username password password-again [first-name [last-name]]`, fields
//! separated by runs of spaces or tabs. Blank lines, lines whose first
//! non-blank character is `#`, and lines made only of commas, semicolons,
//! spaces and tabs (an empty spreadsheet row) are skipped. Lines end at LF,
//! CRLF or a lone CR; a UTF-8 byte order mark at the start is ignored.
//!
//! A first line of column headings, as a spreadsheet exports it
//! (`Username,Password,Password again,First name,Last name`), is recognised
//! and skipped: its first field names the username column and every other
//! field names a column too. The report says so ([`BulkReport::header`]).
//!
//! # Comma- and semicolon-separated lines
//!
//! A line is read as comma-separated (as spreadsheets export it) when the
//! text before its first comma is at most one word, and as
//! semicolon-separated (as spreadsheets set to European conventions export
//! it) in the same way when a semicolon comes before any comma. A username
//! can contain neither a comma, a semicolon nor a space, so in the
//! space-separated form a separator can only come after the username and at
//! least one more word; passwords with commas or semicolons therefore keep
//! working in that form, except a password that *starts* with one, which
//! needs a separated form (quoted).
//! In a separated line:
//! spaces and tabs around a field are dropped; a field may be quoted
//! (`"Smith, Jr"`), with `""` standing for one `"`; empty trailing fields
//! are ignored; empty password fields count as missing, which is how a
//! spreadsheet line asks for a generated password while still giving names:
//! `jdoe,,,John,Doe`.
//!
//! # Generated passwords
//!
//! With [`BulkOptions::generate_missing`], a line that gives a username but no
//! password (nothing after it, or empty password fields in the comma form)
//! is ready with `password: None`, meaning "generate one". Without it, such a
//! line is a problem. A space-separated line has no way to give names without
//! passwords: `jdoe John Doe` reads as two passwords that differ.
//!
//! Whether a username is already taken is not checked here: only the server
//! knows, and it checks again anyway.

use std::borrow::Cow;
use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::check::{Level, Rule};
use super::password::{
    is_invisible, password_outcomes, Company, PasswordContext, PASSWORDS_DIFFER,
};
use super::refusal::{Field, Problem, PASSWORD_AGAIN_MISSING, PASSWORD_MISSING};
use super::username::parse_username;

/// Most accounts one paste may hold; a longer paste is refused whole.
pub const BULK_MAX_ACCOUNTS: usize = 5_000;
/// Most bytes of text one paste may hold (1 MiB); a larger paste is refused whole.
pub const BULK_MAX_BYTES: usize = 1_048_576;
/// Most characters of a first or last name.
pub const NAME_MAX: usize = 64;
/// Most fields a line may have.
const FIELDS_MAX: usize = 5;
/// How spreadsheets head the username column, in lower case.
const USERNAME_HEADINGS: [&str; 9] = [
    "username",
    "user name",
    "user",
    "login",
    "email",
    "e-mail",
    "address",
    "account",
    "mailbox",
];
/// How spreadsheets head the other columns, in lower case.
const OTHER_HEADINGS: [&str; 16] = [
    "password",
    "pass",
    "password again",
    "repeat password",
    "confirm password",
    "password 2",
    "password2",
    "first name",
    "firstname",
    "given name",
    "last name",
    "lastname",
    "surname",
    "family name",
    "name",
    "full name",
];
/// How many other lines a duplicate message lists before summing up.
const DUPLICATES_LISTED: usize = 3;

/// Choices the postmaster makes for a paste.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct BulkOptions {
    /// Accept lines that give only a username; their password is generated later.
    pub generate_missing: bool,
}

/// An account a line asks for, with every field valid.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct NewAccount {
    /// The username, lowercase, without the domain.
    pub username: String,
    /// The password, or `None` when one is to be generated.
    pub password: Option<String>,
    /// The first name, trimmed; may be empty.
    pub first_name: String,
    /// The last name, trimmed; may be empty.
    pub last_name: String,
}

/// The verdict on one account line.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct BulkLine {
    /// 1-based line number in the pasted text (skipped lines count).
    pub number: usize,
    /// The normalised username when the username itself is valid.
    pub username: Option<String>,
    /// The account to create, present exactly when `problems` is empty.
    pub account: Option<NewAccount>,
    /// What blocks this line, in field order.
    pub problems: Vec<Problem>,
    /// What the postmaster should know but does not block (a comma in a password).
    pub warnings: Vec<Problem>,
}

/// The verdict on a whole paste.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct BulkReport {
    /// One entry per account line, skipped lines left out.
    pub lines: Vec<BulkLine>,
    /// How many lines are ready to create.
    pub ready: usize,
    /// How many lines have problems.
    pub need_attention: usize,
    /// Set when the whole paste is refused for its size; `lines` is then empty.
    pub too_big: Option<String>,
    /// The number of a first line read as column headings and skipped.
    pub header: Option<usize>,
}

impl BulkReport {
    /// Every problem of every line, with its line number.
    pub fn problems(&self) -> impl Iterator<Item = (usize, &Problem)> {
        self.lines
            .iter()
            .flat_map(|line| line.problems.iter().map(move |p| (line.number, p)))
    }

    /// The accounts ready to create, in line order.
    pub fn accounts(&self) -> impl Iterator<Item = &NewAccount> {
        self.lines.iter().filter_map(|line| line.account.as_ref())
    }

    /// Whether the paste can be created as it is: not refused, at least one
    /// account, and no line with a problem.
    pub fn is_ready(&self) -> bool {
        self.too_big.is_none() && self.ready > 0 && self.need_attention == 0
    }

    fn refused(message: String) -> Self {
        BulkReport {
            too_big: Some(message),
            ..BulkReport::default()
        }
    }

    fn from_lines(lines: Vec<BulkLine>) -> Self {
        let ready = lines.iter().filter(|l| l.account.is_some()).count();
        let need_attention = lines.iter().filter(|l| !l.problems.is_empty()).count();
        BulkReport {
            lines,
            ready,
            need_attention,
            too_big: None,
            header: None,
        }
    }
}

/// Parses a pasted list of accounts for `domain` (see the module docs for the
/// format). Never fails: everything wrong is in the report.
pub fn parse_bulk(text: &str, domain: &str, opts: BulkOptions) -> BulkReport {
    if text.len() > BULK_MAX_BYTES {
        return BulkReport::refused(
            "The list is larger than 1 MiB. Split it into smaller lists and add them one after another."
                .to_owned(),
        );
    }
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut entries: Vec<(usize, &str)> = split_lines(text)
        .into_iter()
        .enumerate()
        .map(|(i, line)| (i + 1, line))
        .filter(|(_, line)| !is_skipped(line))
        .collect();
    let header = entries
        .first()
        .filter(|(_, line)| is_header(line))
        .map(|&(number, _)| number);
    if header.is_some() {
        entries.remove(0);
    }
    if entries.len() > BULK_MAX_ACCOUNTS {
        return BulkReport::refused(format!(
            "The list has {} accounts; at most 5,000 can be added at once. Split it into smaller lists.",
            entries.len()
        ));
    }
    let company = Company::of(domain);
    let mut lines: Vec<BulkLine> = entries
        .into_iter()
        .map(|(number, line)| parse_line(number, line, domain, &company, opts))
        .collect();
    flag_duplicates(&mut lines);
    BulkReport {
        header,
        ..BulkReport::from_lines(lines)
    }
}

/// Whether a line is a spreadsheet's column headings rather than an account: a username and
/// at least one more heading ("user" alone may well be an account to add).
fn is_header(line: &str) -> bool {
    let Split { fields, .. } = split_line(line);
    let heading = |field: &str, headings: &[&str]| {
        let field = field.trim().to_lowercase();
        headings.contains(&field.as_str())
    };
    fields.len() >= 2
        && heading(&fields[0], &USERNAME_HEADINGS)
        && fields[1..]
            .iter()
            .all(|field| heading(field, &OTHER_HEADINGS) || heading(field, &USERNAME_HEADINGS))
}

/// Formats an account as a line that [`parse_bulk`] reads back to the same
/// account (with `generate_missing` on when the password is `None`).
/// Uses the space-separated form when it reads back unchanged, otherwise the
/// comma-separated one (a name that is empty or has a space, a password that
/// starts with a comma).
pub fn format_line(account: &NewAccount) -> String {
    let password = account.password.as_deref().unwrap_or("");
    let mut fields = vec![account.username.as_str(), password, password];
    fields.push(&account.first_name);
    fields.push(&account.last_name);
    while fields.len() > 1 && fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    let plain = |f: &&str| !f.is_empty() && !f.contains([' ', '\t']);
    let spaced = fields.join(" ");
    if fields.iter().all(plain) && separator(&spaced).is_none() {
        spaced
    } else {
        let quoted: Vec<String> = fields.iter().map(|f| csv_field(f)).collect();
        quoted.join(",")
    }
}

pub(super) fn csv_field(value: &str) -> String {
    if value.contains([',', ';', '"', ' ', '\t']) {
        format!("\"{}\"", value.replace('"', "\"\""))
    } else {
        value.to_owned()
    }
}

/// Splits at LF, CRLF and a lone CR: a browser's text box shows all three
/// as a line break, so line numbers must count them all.
pub fn split_lines(text: &str) -> Vec<&str> {
    let mut lines = Vec::new();
    let mut start = 0;
    let mut rest = text.char_indices().peekable();
    while let Some((i, c)) = rest.next() {
        if c == '\r' && rest.next_if(|&(_, next)| next == '\n').is_some() {
            lines.push(&text[start..i]);
            start = i + 2;
        } else if c == '\r' || c == '\n' {
            lines.push(&text[start..i]);
            start = i + 1;
        }
    }
    if start < text.len() {
        lines.push(&text[start..]);
    }
    lines
}

pub(super) fn is_skipped(line: &str) -> bool {
    let rest = line.trim_start();
    rest.is_empty()
        || rest.starts_with('#')
        || rest.chars().all(|c| matches!(c, ',' | ';' | ' ' | '\t'))
}

/// Fields of a line, and a problem with its quoting if any. A field borrows
/// from the line unless unquoting changed it, which saves several
/// allocations per line of a large paste.
pub(super) struct Split<'a> {
    pub(super) fields: Vec<Cow<'a, str>>,
    pub(super) problem: Option<Problem>,
}

fn split_line(line: &str) -> Split<'_> {
    if let Some(separator) = separator(line) {
        split_separated(line, separator)
    } else {
        let fields = line
            .split([' ', '\t'])
            .filter(|f| !f.is_empty())
            .map(Cow::Borrowed)
            .collect();
        Split {
            fields,
            problem: None,
        }
    }
}

/// The separator of a comma- or semicolon-separated line: the first of the two on the line,
/// when at most one word comes before it. `None` for a space-separated line.
fn separator(line: &str) -> Option<char> {
    let at = line.find([',', ';'])?;
    let words = line[..at].split([' ', '\t']).filter(|w| !w.is_empty());
    (words.count() <= 1).then(|| line[at..].chars().next().unwrap_or(','))
}

/// The fields of a comma-separated line, as a CSV file has them.
pub(super) fn split_csv(line: &str) -> Split<'_> {
    split_separated(line, ',')
}

fn split_separated(line: &str, separator: char) -> Split<'_> {
    let mut fields = Vec::new();
    let mut problem = None;
    let mut rest = line;
    loop {
        rest = rest.trim_start_matches([' ', '\t']);
        let (value, after, trouble) = if let Some(quoted) = rest.strip_prefix('"') {
            let (value, after, trouble) = read_quoted(quoted, separator);
            (Cow::Owned(value), after, trouble)
        } else {
            let end = rest.find(separator).unwrap_or(rest.len());
            let value = rest[..end].trim_end_matches([' ', '\t']);
            (Cow::Borrowed(value), &rest[end..], None)
        };
        fields.push(value);
        problem = problem.or(trouble);
        match after.strip_prefix(separator) {
            Some(next) => rest = next,
            None => break,
        }
    }
    while fields.last().is_some_and(|f| f.is_empty()) {
        fields.pop();
    }
    Split { fields, problem }
}

/// Reads a quoted field whose opening quote is already consumed. Returns the
/// value, the text from the separator that ends the field, and a problem when
/// the quoting is broken. Broken quoting blocks the line rather than guessing,
/// since a guess could silently change a password.
fn read_quoted(text: &str, separator: char) -> (String, &str, Option<Problem>) {
    let mut value = String::new();
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        if c != '"' {
            value.push(c);
            continue;
        }
        if chars.next_if(|&(_, next)| next == '"').is_some() {
            value.push('"');
            continue;
        }
        let after = text[i + 1..].trim_start_matches([' ', '\t']);
        if after.is_empty() || after.starts_with(separator) {
            return (value, after, None);
        }
        let end = after.find(separator).unwrap_or(after.len());
        let problem = Problem::new(Field::Line, "Text after a closing quote");
        return (value, &after[end..], Some(problem));
    }
    let problem = Problem::new(Field::Line, "A quote is not closed");
    (value, "", Some(problem))
}

fn field<'a>(fields: &'a [Cow<'_, str>], index: usize) -> &'a str {
    fields.get(index).map_or("", |f| f.as_ref())
}

fn parse_line(
    number: usize,
    line: &str,
    domain: &str,
    company: &Company,
    opts: BulkOptions,
) -> BulkLine {
    let Split { fields, problem } = split_line(line);
    let mut problems: Vec<Problem> = problem.into_iter().collect();
    if fields.len() > FIELDS_MAX {
        problems.push(too_many_fields(fields.len(), separator(line).is_none()));
    }
    let given = AccountFields {
        username: field(&fields, 0),
        password: field(&fields, 1),
        password_again: field(&fields, 2),
        first_name: field(&fields, 3),
        last_name: field(&fields, 4),
    };
    check_fields(number, &given, domain, company, opts, problems)
}

/// The problem of a line with more than [`FIELDS_MAX`] fields. A space-separated one most
/// likely holds a name with a space in it: the advice shows such a line written with commas,
/// where a name may hold spaces. It names no field of the line, since which of them are
/// passwords is what is in doubt.
fn too_many_fields(count: usize, spaced: bool) -> Problem {
    let given = format!(
        "This line has {count} fields; a line takes at most {FIELDS_MAX}: username, password, password again, first name, last name."
    );
    let advice = if spaced {
        "For a name with spaces, separate the fields with commas instead, as in: jdoe,password,password,Anna Maria,Berg"
    } else {
        "Put a field that holds the separator in double quotes."
    };
    Problem::new(Field::Line, format!("{given} {advice}"))
}

/// One account given field by field, as the "Add one account" form sends it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AccountFields<'a> {
    /// The username, or a full address in the managed domain.
    pub username: &'a str,
    /// The password, typed.
    pub password: &'a str,
    /// The password, typed again.
    pub password_again: &'a str,
    /// The first name, possibly empty.
    pub first_name: &'a str,
    /// The last name, possibly empty.
    pub last_name: &'a str,
}

/// Checks one account with exactly the rules of a pasted line, reported as
/// line 1. With `generate_missing`, both passwords left empty ask for one to be generated
/// (`password: None`); otherwise an empty one is a problem.
pub fn check_account(given: &AccountFields, domain: &str, generate_missing: bool) -> BulkLine {
    let opts = BulkOptions { generate_missing };
    check_fields(1, given, domain, &Company::of(domain), opts, Vec::new())
}

/// The problems of a first or last name: too long, or holding a character
/// that would be invisible in a mail client. Empty when the trimmed name
/// may be stored.
pub fn name_problems(raw: &str, field: Field) -> Vec<Problem> {
    let mut problems = Vec::new();
    check_name(raw, field, &mut problems);
    problems
}

fn check_fields(
    number: usize,
    given: &AccountFields,
    domain: &str,
    company: &Company,
    opts: BulkOptions,
    mut problems: Vec<Problem>,
) -> BulkLine {
    let mut warnings = Vec::new();
    let raw_username = given.username;
    let username = match parse_username(raw_username, domain) {
        Ok(name) => Some(name),
        Err(check) => {
            problems.push(Problem::from_check(Field::Username, check));
            None
        }
    };
    let first_name = check_name(given.first_name, Field::FirstName, &mut problems);
    let last_name = check_name(given.last_name, Field::LastName, &mut problems);
    let ctx = PasswordContext {
        username: raw_username,
        first_name: &first_name,
        last_name: &last_name,
        domain,
    };
    let pair = (given.password, given.password_again);
    let password = check_passwords(pair, &ctx, company, opts, &mut problems, &mut warnings);
    let account = match (&username, problems.is_empty()) {
        (Some(name), true) => Some(NewAccount {
            username: name.clone(),
            password,
            first_name,
            last_name,
        }),
        _ => None,
    };
    problems.sort_by_key(|p| p.field);
    BulkLine {
        number,
        username,
        account,
        problems,
        warnings,
    }
}

/// Checks the two password fields and returns the password to store, `None`
/// meaning "generate one". The result only reaches an account when no
/// problem was recorded on the line.
fn check_passwords(
    (password, again): (&str, &str),
    ctx: &PasswordContext,
    company: &Company,
    opts: BulkOptions,
    problems: &mut Vec<Problem>,
    warnings: &mut Vec<Problem>,
) -> Option<String> {
    match (password.is_empty(), again.is_empty()) {
        (true, true) if opts.generate_missing => return None,
        (true, _) => {
            problems.push(Problem::by_rule(
                Field::Password,
                Rule::PasswordMissing,
                PASSWORD_MISSING,
            ));
            return None;
        }
        (false, true) => problems.push(Problem::by_rule(
            Field::PasswordAgain,
            Rule::PasswordAgainMissing,
            PASSWORD_AGAIN_MISSING,
        )),
        (false, false) if password != again => problems.push(Problem::by_rule(
            Field::PasswordAgain,
            Rule::PasswordsDiffer,
            PASSWORDS_DIFFER,
        )),
        (false, false) => {}
    }
    for outcome in password_outcomes(password, ctx, company) {
        match outcome.level {
            Level::Fail => problems.push(Problem::from_check(Field::Password, outcome.check())),
            Level::Warn => warnings.push(Problem::from_check(Field::Password, outcome.check())),
            Level::Pass => {}
        }
    }
    Some(password.to_owned())
}

/// Returns the trimmed name, recording a problem when it is too long or
/// holds characters that would be invisible in a mail client.
fn check_name(raw: &str, field: Field, problems: &mut Vec<Problem>) -> String {
    let name = raw.trim();
    let which = if field == Field::FirstName {
        "first"
    } else {
        "last"
    };
    if name.chars().nth(NAME_MAX).is_some() {
        problems.push(Problem::by_rule(
            field,
            Rule::NameLength,
            format!("A {which} name has at most 64 characters"),
        ));
    }
    if name.chars().any(is_invisible) {
        problems.push(Problem::by_rule(
            field,
            Rule::NameInvisible,
            format!("The {which} name contains a control or invisible character"),
        ));
    }
    name.to_owned()
}

/// Blocks every line whose username appears on another line too, naming the
/// other lines, so no account is created with the wrong one of two passwords.
fn flag_duplicates(lines: &mut [BulkLine]) {
    let mut seen: HashMap<&str, Vec<usize>> = HashMap::new();
    for (index, line) in lines.iter().enumerate() {
        if let Some(name) = &line.username {
            seen.entry(name).or_default().push(index);
        }
    }
    let groups: Vec<Vec<usize>> = seen.into_values().filter(|g| g.len() > 1).collect();
    for group in groups {
        let numbers: Vec<usize> = group.iter().map(|&i| lines[i].number).collect();
        for &index in &group {
            let line = &mut lines[index];
            let message = also_on(&numbers, line.number);
            line.problems.push(Problem::new(Field::Username, message));
            line.problems.sort_by_key(|p| p.field);
            line.account = None;
        }
    }
}

/// "Also on line 3", "Also on lines 3 and 9", "Also on lines 3, 7, 9 and 12 more".
fn also_on(numbers: &[usize], own: usize) -> String {
    // Line numbers are distinct, so `own` is in `numbers` exactly once.
    let count = numbers.len().saturating_sub(1);
    let listed: Vec<String> = numbers
        .iter()
        .filter(|&&n| n != own)
        .take(DUPLICATES_LISTED)
        .map(usize::to_string)
        .collect();
    match (count, listed.as_slice()) {
        (1, [one]) => format!("Also on line {one}"),
        (2, [a, b]) => format!("Also on lines {a} and {b}"),
        (3, [a, b, c]) => format!("Also on lines {a}, {b} and {c}"),
        _ => format!(
            "Also on lines {} and {} more",
            listed.join(", "),
            count - listed.len()
        ),
    }
}

#[cfg(test)]
mod tests {
    use super::super::password::check_password;
    use super::*;

    const DOMAIN: &str = "example.test";
    const ON: BulkOptions = BulkOptions {
        generate_missing: true,
    };
    const OFF: BulkOptions = BulkOptions {
        generate_missing: false,
    };

    fn parse(text: &str) -> BulkReport {
        parse_bulk(text, DOMAIN, OFF)
    }

    fn account(username: &str, password: Option<&str>, first: &str, last: &str) -> NewAccount {
        NewAccount {
            username: username.to_owned(),
            password: password.map(str::to_owned),
            first_name: first.to_owned(),
            last_name: last.to_owned(),
        }
    }

    fn only_account(text: &str, opts: BulkOptions) -> NewAccount {
        let report = parse_bulk(text, DOMAIN, opts);
        assert_eq!(report.lines.len(), 1, "{text:?}: {report:#?}");
        let line = &report.lines[0];
        assert!(line.problems.is_empty(), "{text:?}: {:#?}", line.problems);
        line.account.clone().expect("ready line has an account")
    }

    fn problems_of(text: &str, opts: BulkOptions) -> Vec<(usize, Field, String)> {
        parse_bulk(text, DOMAIN, opts)
            .problems()
            .map(|(n, p)| (n, p.field, p.message.clone()))
            .collect()
    }

    #[test]
    fn space_separated_lines() {
        let cases: &[(&str, NewAccount)] = &[
            (
                "jdoe abcde67~ abcde67~",
                account("jdoe", Some("abcde67~"), "", ""),
            ),
            (
                "JDoe abcde67~ abcde67~ John",
                account("jdoe", Some("abcde67~"), "John", ""),
            ),
            (
                "jdoe\tabcde67~\t\tabcde67~   John \t Smith",
                account("jdoe", Some("abcde67~"), "John", "Smith"),
            ),
            (
                "  jdoe abcde67~ abcde67~ John Smith  ",
                account("jdoe", Some("abcde67~"), "John", "Smith"),
            ),
            (
                "jdoe@EXAMPLE.test abcde67~ abcde67~",
                account("jdoe", Some("abcde67~"), "", ""),
            ),
            (
                "jdoe abc,e67~ abc,e67~ Smith,Jr",
                account("jdoe", Some("abc,e67~"), "Smith,Jr", ""),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(&only_account(line, OFF), want, "{line:?}");
        }
    }

    #[test]
    fn comma_separated_lines() {
        let cases: &[(&str, NewAccount)] = &[
            (
                "jdoe,abcde67~,abcde67~,John,Smith",
                account("jdoe", Some("abcde67~"), "John", "Smith"),
            ),
            (
                "jdoe, abcde67~ , abcde67~,\tJohn , Smith",
                account("jdoe", Some("abcde67~"), "John", "Smith"),
            ),
            (
                "jdoe,abcde67~,abcde67~,Mary Ann,\"Smith, Jr\"",
                account("jdoe", Some("abcde67~"), "Mary Ann", "Smith, Jr"),
            ),
            (
                "\"jdoe\",\"ab\"\"de67~\",\"ab\"\"de67~\",\"Ann \"\"Nan\"\"\"",
                account("jdoe", Some("ab\"de67~"), "Ann \"Nan\"", ""),
            ),
            (
                "jdoe,\"a,b,c67~\",\"a,b,c67~\"",
                account("jdoe", Some("a,b,c67~"), "", ""),
            ),
            (
                "jdoe,abcde67~,abcde67~,,Smith",
                account("jdoe", Some("abcde67~"), "", "Smith"),
            ),
            (
                "jdoe,abcde67~,abcde67~,John,Smith,,,",
                account("jdoe", Some("abcde67~"), "John", "Smith"),
            ),
            (
                "jdoe ,abcde67~,abcde67~",
                account("jdoe", Some("abcde67~"), "", ""),
            ),
            (
                "jdoe,pa\"ss67~,pa\"ss67~",
                account("jdoe", Some("pa\"ss67~"), "", ""),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(&only_account(line, OFF), want, "{line:?}");
        }
    }

    #[test]
    fn semicolon_separated_lines() {
        let cases: &[(&str, NewAccount)] = &[
            (
                "jdoe;abcde67~;abcde67~;John;Smith",
                account("jdoe", Some("abcde67~"), "John", "Smith"),
            ),
            (
                "jdoe; ab,de67~ ;ab,de67~;Mary Ann;\"Smith; Jr\"",
                account("jdoe", Some("ab,de67~"), "Mary Ann", "Smith; Jr"),
            ),
            (
                "jdoe abc;e67~ abc;e67~",
                account("jdoe", Some("abc;e67~"), "", ""),
            ),
        ];
        for (line, want) in cases {
            assert_eq!(&only_account(line, OFF), want, "{line:?}");
        }
        let with_names = "jdoe;;;John;Smith";
        assert_eq!(
            only_account(with_names, ON),
            account("jdoe", None, "John", "Smith")
        );
        assert!(is_skipped(";;;;"));
    }

    #[test]
    fn a_first_line_of_column_headings_is_skipped_and_said() {
        for heading in [
            "Username,Password,Password again,First name,Last name",
            "E-mail;Password;Repeat password;Given name;Surname",
            "# staff\nlogin password password firstname lastname",
        ] {
            let text = format!("{heading}\njdoe,abcde67~,abcde67~,John,Smith\n");
            let report = parse(&text);
            let numbers: Vec<usize> = report.lines.iter().map(|l| l.number).collect();
            let first = heading.lines().count();
            assert_eq!(numbers, [first + 1], "{heading:?}");
            assert_eq!(report.header, Some(first), "{heading:?}");
            assert!(report.is_ready(), "{heading:?}");
        }
        // Headings after the first line, and a lone "user", are accounts to check.
        let report = parse("jdoe abcde67~ abcde67~\nusername,password,password\n");
        assert_eq!((report.header, report.need_attention), (None, 1));
        let generated = parse_bulk("user\n", "example.test", ON);
        assert_eq!((generated.header, generated.ready), (None, 1));
    }

    #[test]
    fn which_form_a_line_uses() {
        assert_eq!(separator("jdoe,a,b"), Some(','));
        assert_eq!(separator(" jdoe ,a,b"), Some(','));
        assert_eq!(separator(",a,b"), Some(','));
        assert_eq!(separator("jdoe;a,b;a,b"), Some(';'));
        assert_eq!(separator("jdoe,a;b,a;b"), Some(','));
        assert_eq!(separator("jdoe a,b a,b"), None);
        assert_eq!(separator("jdoe a;b a;b"), None);
        assert_eq!(separator("jdoe abc abc x,y"), None);
        assert_eq!(separator("jdoe"), None);
    }

    #[test]
    fn broken_quotes_block_the_line() {
        let cases = [
            ("jdoe,\"abcde67~,abcde67~", "A quote is not closed"),
            ("jdoe,\"abc\"de67~,abcde67~", "Text after a closing quote"),
        ];
        for (line, message) in cases {
            let problems = problems_of(line, OFF);
            assert!(
                problems.contains(&(1, Field::Line, message.to_owned())),
                "{line:?}: {problems:?}"
            );
        }
    }

    #[test]
    fn skipped_lines_keep_numbering() {
        let text = "\u{feff}# new staff\r\n\r\n   \r\n  # indented comment\r\n,,,,\r\njdoe abcde67~ abcde67~\r\n\t\r\nann 12345fg~ 12345fg~\r\n";
        let report = parse(text);
        let numbers: Vec<usize> = report.lines.iter().map(|l| l.number).collect();
        assert_eq!(numbers, [6, 8]);
        assert_eq!((report.ready, report.need_attention), (2, 0));
        assert!(report.is_ready());
    }

    #[test]
    fn line_ends() {
        let cases: &[(&str, &[&str])] = &[
            ("", &[]),
            ("a", &["a"]),
            ("a\n", &["a"]),
            ("a\r\n", &["a"]),
            ("a\rb", &["a", "b"]),
            ("a\r\nb\nc\rd", &["a", "b", "c", "d"]),
            ("\n\r\n\r", &["", "", ""]),
            ("a\n\nb", &["a", "", "b"]),
            ("é\r\n€", &["é", "€"]),
        ];
        for (text, want) in cases {
            assert_eq!(split_lines(text), *want, "{text:?}");
        }
        let report = parse("a abcde67~ abcde67~\rb abcde67~ abcde67~\r\n\rc abcde67~ abcde67~");
        let numbers: Vec<usize> = report.lines.iter().map(|l| l.number).collect();
        assert_eq!(numbers, [1, 2, 4]);
    }

    #[test]
    fn bom_only_at_the_start() {
        assert_eq!(
            only_account("\u{feff}jdoe abcde67~ abcde67~", OFF).username,
            "jdoe"
        );
        let problems = problems_of("ann 12345fg~ 12345fg~\n\u{feff}jdoe abcde67~ abcde67~", OFF);
        assert_eq!(problems[0].0, 2);
        assert_eq!(problems[0].1, Field::Username);
    }

    #[test]
    fn empty_paste() {
        for text in ["", "\n\n", "# only a comment", "\u{feff}"] {
            let report = parse(text);
            assert_eq!(report, BulkReport::default(), "{text:?}");
            assert!(!report.is_ready());
        }
    }

    #[test]
    fn structural_problems() {
        let cases: &[(&str, BulkOptions, Field, &str)] = &[
            ("jdoe", OFF, Field::Password, "Password missing"),
            ("jdoe,,", OFF, Field::Password, "Password missing"),
            ("jdoe,,abcde67~", ON, Field::Password, "Password missing"),
            ("jdoe abcde67~", OFF, Field::PasswordAgain, "Type the password a second time"),
            ("jdoe abcde67~", ON, Field::PasswordAgain, "Type the password a second time"),
            ("jdoe abcde67~ abcde68~", OFF, Field::PasswordAgain, "The two passwords differ"),
            ("jdoe John Smith", ON, Field::PasswordAgain, "The two passwords differ"),
            ("jdoe abcde67~ abcde67~ Mary Ann Smith", OFF, Field::Line, "This line has 6 fields; a line takes at most 5: username, password, password again, first name, last name. For a name with spaces, separate the fields with commas instead, as in: jdoe,password,password,Anna Maria,Berg"),
            ("jdoe,abcde67~,abcde67~,Mary,Ann,Smith", OFF, Field::Line, "This line has 6 fields; a line takes at most 5: username, password, password again, first name, last name. Put a field that holds the separator in double quotes."),
            (",abcde67~,abcde67~", OFF, Field::Username, "Enter a username"),
            ("j..doe abcde67~ abcde67~", OFF, Field::Username, "A username cannot have two dots in a row"),
            ("jdoe@other.test abcde67~ abcde67~", OFF, Field::Username, "Only addresses ending in @example.test can be added here"),
            ("j\u{a0}doe abcde67~ abcde67~", OFF, Field::Username, "A username cannot contain spaces"),
        ];
        for (line, opts, field, message) in cases {
            let problems = problems_of(line, *opts);
            assert!(
                problems.contains(&(1, *field, (*message).to_owned())),
                "{line:?}: {problems:?}"
            );
        }
    }

    #[test]
    fn password_rules_are_reported_per_rule() {
        let report = parse("jdoe abcdefgh abcdefgh");
        let line = &report.lines[0];
        let rules: Vec<(Field, Option<Rule>, &str)> = line
            .problems
            .iter()
            .map(|p| (p.field, p.rule, p.message.as_str()))
            .collect();
        assert_eq!(
            rules,
            [
                (
                    Field::Password,
                    Some(Rule::Digit),
                    "At least one digit (0-9)"
                ),
                (
                    Field::Password,
                    Some(Rule::Symbol),
                    "At least one symbol, such as ! @ # ~"
                ),
            ]
        );
        assert_eq!(line.username.as_deref(), Some("jdoe"));
        assert_eq!(line.account, None);
    }

    #[test]
    fn password_rules_use_the_line_context() {
        let cases = [
            (
                "jdoe xJohnx1~ xJohnx1~ John Smith",
                "Must not contain the first name",
            ),
            (
                "jdoe xsmithx1~ xsmithx1~ John Smith",
                "Must not contain the last name",
            ),
            ("jdoe xJDOEx1~ xJDOEx1~", "Must not contain the username"),
            (
                "jdoe Example1~ Example1~",
                "Must not contain the company name",
            ),
            (
                "someone s0me0ne! s0me0ne!",
                "Not close to the email address",
            ),
        ];
        for (line, message) in cases {
            let problems = problems_of(line, OFF);
            assert!(
                problems.contains(&(1, Field::Password, message.to_owned())),
                "{line:?}: {problems:?}"
            );
        }
    }

    #[test]
    fn comma_is_a_warning_not_a_problem() {
        let report = parse("jdoe ab,de67~ ab,de67~");
        let line = &report.lines[0];
        assert!(line.problems.is_empty());
        assert_eq!(
            line.warnings,
            [Problem {
                field: Field::Password,
                rule: Some(Rule::Comma),
                message: "Better without a comma".to_owned()
            }]
        );
        assert_eq!((report.ready, report.need_attention), (1, 0));
    }

    #[test]
    fn names_are_checked() {
        let long = "N".repeat(65);
        let max = "N".repeat(64);
        let ok = format!("jdoe,abcde67~,abcde67~,{max},{max}");
        assert_eq!(only_account(&ok, OFF).first_name, max);
        let cases = [
            (
                format!("jdoe abcde67~ abcde67~ {long}"),
                Field::FirstName,
                "A first name has at most 64 characters",
            ),
            (
                format!("jdoe abcde67~ abcde67~ John {long}"),
                Field::LastName,
                "A last name has at most 64 characters",
            ),
            (
                "jdoe,abcde67~,abcde67~,\"Jo\thn\"".to_owned(),
                Field::FirstName,
                "The first name contains a control or invisible character",
            ),
            (
                "jdoe abcde67~ abcde67~ John Sm\u{200b}ith".to_owned(),
                Field::LastName,
                "The last name contains a control or invisible character",
            ),
        ];
        for (line, field, message) in cases {
            let problems = problems_of(&line, OFF);
            assert!(
                problems.contains(&(1, field, message.to_owned())),
                "{line:?}: {problems:?}"
            );
        }
    }

    #[test]
    fn duplicates_are_flagged_on_every_line() {
        let text = "jdoe abcde67~ abcde67~\nann 12345fg~ 12345fg~\nJDoe@example.test 12345fg~ 12345fg~\n# x\njdoe,abcde67~,abcde67~";
        let problems = problems_of(text, OFF);
        assert_eq!(
            problems,
            [
                (1, Field::Username, "Also on lines 3 and 5".to_owned()),
                (3, Field::Username, "Also on lines 1 and 5".to_owned()),
                (5, Field::Username, "Also on lines 1 and 3".to_owned()),
            ]
        );
        let report = parse(text);
        assert_eq!((report.ready, report.need_attention), (1, 3));
        assert_eq!(report.accounts().count(), 1);
    }

    #[test]
    fn duplicate_messages() {
        assert_eq!(also_on(&[2, 7], 7), "Also on line 2");
        assert_eq!(also_on(&[2, 7, 9], 2), "Also on lines 7 and 9");
        assert_eq!(also_on(&[1, 2, 7, 9], 2), "Also on lines 1, 7 and 9");
        assert_eq!(
            also_on(&[1, 2, 3, 4, 5, 6], 1),
            "Also on lines 2, 3, 4 and 2 more"
        );
    }

    #[test]
    fn problems_come_in_field_order() {
        let report = parse("j..doe abcdefgh abcdefgi John\u{7} Smith extra");
        let fields: Vec<Field> = report.lines[0].problems.iter().map(|p| p.field).collect();
        let mut sorted = fields.clone();
        sorted.sort();
        assert_eq!(fields, sorted);
        assert_eq!(fields.first(), Some(&Field::Line));
    }

    #[test]
    fn generate_missing() {
        assert_eq!(only_account("jdoe", ON), account("jdoe", None, "", ""));
        assert_eq!(only_account("jdoe,,,", ON), account("jdoe", None, "", ""));
        assert_eq!(
            only_account("jdoe,,,John,Smith", ON),
            account("jdoe", None, "John", "Smith")
        );
        assert_eq!(
            only_account("jdoe abcde67~ abcde67~", ON),
            account("jdoe", Some("abcde67~"), "", "")
        );
        let off = parse_bulk("jdoe\nann", DOMAIN, OFF);
        assert_eq!((off.ready, off.need_attention), (0, 2));
    }

    #[test]
    fn size_limits() {
        let exactly = "a".repeat(BULK_MAX_BYTES);
        let report = parse(&exactly);
        assert_eq!(report.too_big, None);
        assert_eq!(report.lines[0].problems[0].rule, Some(Rule::UsernameLength));

        let over = "a".repeat(BULK_MAX_BYTES + 1);
        let report = parse(&over);
        assert!(report.lines.is_empty());
        assert_eq!(
            report.too_big.as_deref(),
            Some("The list is larger than 1 MiB. Split it into smaller lists and add them one after another.")
        );
        assert!(!report.is_ready());

        let big_line = format!("jdoe {} {}", "a1~".repeat(100_000), "a1~".repeat(100_000));
        let report = parse(&big_line);
        assert_eq!(report.need_attention, 1);
    }

    #[test]
    fn account_limit() {
        let lines = |n: usize| -> String {
            (0..n)
                .map(|i| format!("user{i} abcde67~ abcde67~\n# comment\n"))
                .collect()
        };
        let report = parse(&lines(BULK_MAX_ACCOUNTS));
        assert_eq!(report.too_big, None);
        assert_eq!(report.ready, 5_000);
        assert!(report.is_ready());

        let report = parse(&lines(BULK_MAX_ACCOUNTS + 1));
        assert!(report.lines.is_empty());
        assert_eq!(
            report.too_big.as_deref(),
            Some("The list has 5001 accounts; at most 5,000 can be added at once. Split it into smaller lists.")
        );
    }

    #[test]
    fn counts_add_up() {
        let text = "a abcde67~ abcde67~\nb bad bad\nc ab,de67~ ab,de67~\nd";
        let report = parse(text);
        assert_eq!((report.ready, report.need_attention), (2, 2));
        assert_eq!(report.lines.len(), 4);
    }

    #[test]
    fn format_line_round_trips() {
        let accounts = [
            account("jdoe", Some("abcde67~"), "", ""),
            account("jdoe", Some("abcde67~"), "John", "Smith"),
            account("jdoe", Some("ab,de67~"), "Smith,Jr", ""),
            account("jdoe", Some("abcde67~"), "Mary Ann", "Smith, Jr"),
            account("jdoe", Some("ab\"de67~"), "", "O\"Neil"),
            account("jdoe", Some("\"bcde67~"), "", ""),
            account("jdoe", Some(",bcde67~"), "", ""),
            account("jdoe", Some("abcde67,"), "", ""),
            account("jdoe", Some("abcde67~"), "", "Smith"),
            account("jdoe", None, "", ""),
            account("jdoe", None, "John", ""),
            account("jdoe", None, "", "Smith"),
        ];
        for want in accounts {
            let line = format_line(&want);
            assert_eq!(only_account(&line, ON), want, "{line:?}");
        }
        assert_eq!(
            format_line(&account("jdoe", Some("abcde67~"), "John", "Smith")),
            "jdoe abcde67~ abcde67~ John Smith"
        );
        assert_eq!(
            format_line(&account("jdoe", None, "John", "")),
            "jdoe,,,John"
        );
    }

    #[test]
    fn report_serialises_with_stable_names() {
        let report = parse("jdoe ab,de67~ ab,de67~");
        let json = serde_json::to_value(&report).expect("serialises");
        assert_eq!(json["lines"][0]["warnings"][0]["field"], "password");
        assert_eq!(json["lines"][0]["warnings"][0]["rule"], "comma");
        let back: BulkReport = serde_json::from_value(json).expect("deserialises");
        assert_eq!(back, report);
        let level = check_password("ab,de67~", &PasswordContext::default())[7].level;
        assert_eq!(level, Level::Warn);
    }

    fn fields<'a>(username: &'a str, password: &'a str, again: &'a str) -> AccountFields<'a> {
        AccountFields {
            username,
            password,
            password_again: again,
            first_name: "",
            last_name: "",
        }
    }

    #[test]
    fn one_account_follows_the_rules_of_a_pasted_line() {
        let ok = check_account(
            &AccountFields {
                first_name: " John ",
                last_name: "Smith",
                ..fields("JDoe@Example.test", "abcde67~", "abcde67~")
            },
            DOMAIN,
            false,
        );
        assert_eq!(
            ok.account,
            Some(account("jdoe", Some("abcde67~"), "John", "Smith"))
        );
        let cases: &[(AccountFields, Field, &str)] = &[
            (
                fields("jdoe", "abcde67~", "abcde67!"),
                Field::PasswordAgain,
                "The two passwords differ",
            ),
            (
                fields("jdoe", "abcde67~", ""),
                Field::PasswordAgain,
                "Type the password a second time",
            ),
            (fields("jdoe", "", ""), Field::Password, "Password missing"),
            (
                fields("jdoe", "abcdefgh", "abcdefgh"),
                Field::Password,
                "At least one digit (0-9)",
            ),
            (
                fields("j doe", "abcde67~", "abcde67~"),
                Field::Username,
                "A username cannot contain spaces",
            ),
            (
                fields("#jdoe", "abcde67~", "abcde67~"),
                Field::Username,
                "Use only letters (a-z), digits, dots, dashes and underscores",
            ),
        ];
        for (given, field, message) in cases {
            let line = check_account(given, DOMAIN, false);
            assert_eq!(line.account, None, "{given:?}");
            assert!(
                line.problems
                    .iter()
                    .any(|p| p.field == *field && p.message == *message),
                "{given:?}: {:?}",
                line.problems
            );
        }
        let named = check_account(
            &AccountFields {
                first_name: "Bell\u{7}",
                ..fields("jdoe", "abcde67~", "abcde67~")
            },
            DOMAIN,
            false,
        );
        assert_eq!(named.problems[0].field, Field::FirstName);
    }

    #[test]
    fn names_alone_are_checked_as_in_a_paste() {
        assert!(name_problems(" Ann-Marie O'Neil ", Field::FirstName).is_empty());
        assert!(name_problems(&"x".repeat(NAME_MAX), Field::LastName).is_empty());
        let long = name_problems(&"x".repeat(NAME_MAX + 1), Field::LastName);
        assert_eq!(long[0].message, "A last name has at most 64 characters");
        let hidden = name_problems("Ann\u{200b}", Field::FirstName);
        assert_eq!(hidden[0].field, Field::FirstName);
        assert_eq!(Field::PasswordAgain.label(), "password again");
        assert_eq!(Field::Line.label(), "line");
    }
}
