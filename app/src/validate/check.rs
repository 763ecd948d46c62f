//! Outcome types shared by every rule: a rule id, a level and a short message.
//!
//! The browser renders these as a live checklist and the server returns the
//! same values when it refuses, so the ids and messages are part of the
//! interface: change them only together with the UI and the agreement corpus.

use serde::{Deserialize, Serialize};

/// How a rule judged an input.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[serde(rename_all = "lowercase")]
pub enum Level {
    /// The input satisfies the rule.
    Pass,
    /// The input breaks the rule and must be refused.
    Fail,
    /// The input is allowed, but the user should know about something.
    Warn,
}

/// Stable id of a rule, serialised as a short kebab-case string
/// (`"length"`, `"no-space"`, `"username-dots"`, ...).
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Rule {
    /// A username was given at all.
    UsernameRequired,
    /// A username contains no whitespace.
    UsernameSpace,
    /// A username uses only letters, digits, `.`, `-` and `_`.
    UsernameChars,
    /// A username has at most 64 characters.
    UsernameLength,
    /// A username has no leading, trailing or doubled dot.
    UsernameDots,
    /// A username does not start with a dash.
    UsernameDash,
    /// A full address names the managed domain.
    Domain,
    /// A password has 8 to 128 characters.
    Length,
    /// A password has at least one letter.
    Letter,
    /// A password has at least one digit.
    Digit,
    /// A password has at least one symbol.
    Symbol,
    /// A password has no whitespace, control or invisible characters.
    NoSpace,
    /// A password contains no name, username or company name.
    NoName,
    /// A password is not close to the email address.
    NotEmail,
    /// A password is better without a comma (a warning only).
    Comma,
    /// A password is given.
    PasswordMissing,
    /// A password is typed a second time.
    PasswordAgainMissing,
    /// A password typed twice is the same both times.
    PasswordsDiffer,
    /// The current password typed is the administrator's.
    CurrentPassword,
    /// An address is not held by a live account or alias.
    AddressTaken,
    /// A first or last name has at most 64 characters.
    NameLength,
    /// A first or last name has no control or invisible character.
    NameInvisible,
}

impl Rule {
    /// The id as serialised, usable as a stable key or HTML id suffix.
    pub fn id(self) -> &'static str {
        match self {
            Rule::UsernameRequired => "username-required",
            Rule::UsernameSpace => "username-space",
            Rule::UsernameChars => "username-chars",
            Rule::UsernameLength => "username-length",
            Rule::UsernameDots => "username-dots",
            Rule::UsernameDash => "username-dash",
            Rule::Domain => "domain",
            Rule::Length => "length",
            Rule::Letter => "letter",
            Rule::Digit => "digit",
            Rule::Symbol => "symbol",
            Rule::NoSpace => "no-space",
            Rule::NoName => "no-name",
            Rule::NotEmail => "not-email",
            Rule::Comma => "comma",
            Rule::PasswordMissing => "password-missing",
            Rule::PasswordAgainMissing => "password-again-missing",
            Rule::PasswordsDiffer => "passwords-differ",
            Rule::CurrentPassword => "current-password",
            Rule::AddressTaken => "address-taken",
            Rule::NameLength => "name-length",
            Rule::NameInvisible => "name-invisible",
        }
    }
}

/// The outcome of one rule for one input.
///
/// Messages never repeat the password itself, because a refusal can end up
/// in a URL when the browser runs without JavaScript.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Check {
    /// Which rule this is.
    pub rule: Rule,
    /// What the rule decided.
    pub level: Level,
    /// A short sentence a non-expert understands.
    pub message: String,
}

impl Check {
    /// An outcome with the given level.
    pub fn new(rule: Rule, level: Level, message: impl Into<String>) -> Self {
        Check {
            rule,
            level,
            message: message.into(),
        }
    }

    /// A passing outcome.
    pub fn pass(rule: Rule, message: impl Into<String>) -> Self {
        Check::new(rule, Level::Pass, message)
    }

    /// A failing outcome.
    pub fn fail(rule: Rule, message: impl Into<String>) -> Self {
        Check::new(rule, Level::Fail, message)
    }

    /// A warning.
    pub fn warn(rule: Rule, message: impl Into<String>) -> Self {
        Check::new(rule, Level::Warn, message)
    }

    /// Whether this outcome refuses the input.
    pub fn is_fail(&self) -> bool {
        self.level == Level::Fail
    }

    /// Whether this outcome is a warning.
    pub fn is_warn(&self) -> bool {
        self.level == Level::Warn
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const ALL: [Rule; 22] = [
        Rule::UsernameRequired,
        Rule::UsernameSpace,
        Rule::UsernameChars,
        Rule::UsernameLength,
        Rule::UsernameDots,
        Rule::UsernameDash,
        Rule::Domain,
        Rule::Length,
        Rule::Letter,
        Rule::Digit,
        Rule::Symbol,
        Rule::NoSpace,
        Rule::NoName,
        Rule::NotEmail,
        Rule::Comma,
        Rule::PasswordMissing,
        Rule::PasswordAgainMissing,
        Rule::PasswordsDiffer,
        Rule::CurrentPassword,
        Rule::AddressTaken,
        Rule::NameLength,
        Rule::NameInvisible,
    ];

    #[test]
    fn id_matches_serialised_form() {
        for rule in ALL {
            let json = serde_json::to_string(&rule).expect("a rule serialises");
            assert_eq!(json, format!("\"{}\"", rule.id()));
        }
    }

    #[test]
    fn ids_are_distinct() {
        let mut ids: Vec<&str> = ALL.iter().map(|r| r.id()).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), ALL.len());
    }

    #[test]
    fn check_round_trips_through_json() {
        let check = Check::warn(Rule::Comma, "Better without a comma");
        let json = serde_json::to_string(&check).expect("a check serialises");
        assert_eq!(
            json,
            r#"{"rule":"comma","level":"warn","message":"Better without a comma"}"#
        );
        let back: Check = serde_json::from_str(&json).expect("a check deserialises");
        assert_eq!(back, check);
    }

    #[test]
    fn level_helpers() {
        assert!(Check::fail(Rule::Length, "x").is_fail());
        assert!(!Check::fail(Rule::Length, "x").is_warn());
        assert!(Check::warn(Rule::Comma, "x").is_warn());
        assert!(!Check::pass(Rule::Comma, "x").is_fail());
    }
}
