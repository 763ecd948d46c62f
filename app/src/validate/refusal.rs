//! The vocabulary of every form's refusal: the [`Field`] a problem is about and the
//! [`Problem`] itself; then refusals by field: which input of a form a problem concerns, on which line of a paste, by
//! which rule, and the one wording of each rule that several forms refuse by (passwords that
//! differ: [`super::PASSWORDS_DIFFER`]).
//!
//! A service refuses with a list of [`FieldProblem`]s; a screen shows each beside the input
//! that [`FieldProblem::input`] names, and a command line prints [`FieldProblem::describe`].

use serde::{Deserialize, Serialize};

use super::alias::{parse_target, ADDRESS_MAX};
use super::check::{Check, Rule};
use super::domain::parse_domain;

/// A password field left empty where one is needed.
pub const PASSWORD_MISSING: &str = "Password missing";
/// The second password field left empty.
pub const PASSWORD_AGAIN_MISSING: &str = "Type the password a second time";
/// The administrator's current password, typed to change it, is not theirs.
pub const CURRENT_PASSWORD_WRONG: &str = "The current password is wrong";

/// The one wording of an address that a live account or alias already holds.
pub fn address_taken(address: &str, alias: bool) -> String {
    if alias {
        format!("{address} is already an alias")
    } else {
        format!("{address} is already an account")
    }
}

/// What the audit log keeps of a target typed into a refused request: the address, or the
/// domain name, as the rules read it (lowercase, at most an address's length); a fixed word when
/// it is neither. So a request can neither write what it likes into the log nor fill it.
pub fn loggable_target(typed: &str) -> String {
    let typed = typed.trim();
    if typed.len() > ADDRESS_MAX {
        return "(too long to be an address)".to_owned();
    }
    parse_target(typed)
        .or_else(|_| parse_domain(typed))
        .unwrap_or_else(|_| "(not an address)".to_owned())
}

/// The part of a line a problem is about. The order is the order of the
/// fields on a line, so problems sort naturally.
#[derive(Serialize, Deserialize, Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[serde(rename_all = "kebab-case")]
pub enum Field {
    /// The line as a whole (field count, quoting).
    Line,
    /// The first field.
    Username,
    /// The second field.
    Password,
    /// The third field.
    PasswordAgain,
    /// The fourth field.
    FirstName,
    /// The fifth field.
    LastName,
    /// An administrator's current password, on the form that changes it.
    Current,
    /// An account's quota.
    Quota,
    /// An alias's name.
    Alias,
    /// Where an alias delivers.
    Targets,
    /// A two-factor code: from the authenticator app, or a recovery code.
    Code,
    /// Whether an account may log in, on Edit.
    Active,
    /// Whether an auto-reply is to be on.
    ReplyOn,
    /// An auto-reply's subject.
    Subject,
    /// An auto-reply's text.
    ReplyText,
    /// The first day an auto-reply answers.
    StartsOn,
    /// The last day an auto-reply answers.
    EndsOn,
    /// Whether forwarding keeps a copy in the mailbox.
    KeepCopy,
    /// Where a domain's catch-all delivers.
    CatchAll,
    /// Whether the server is to generate a new account's password.
    Generate,
    /// The address an administrator logs on with.
    LogOnAddress,
}

impl Field {
    /// The field's name in a sentence: "password again".
    pub fn label(self) -> &'static str {
        match self {
            Field::Line => "line",
            Field::Username => "username",
            Field::Password => "password",
            Field::PasswordAgain => "password again",
            Field::FirstName => "first name",
            Field::LastName => "last name",
            Field::Current => "current password",
            Field::Quota => "quota",
            Field::Alias => "alias",
            Field::Targets => "targets",
            Field::Code => "code",
            Field::Active => "active",
            Field::ReplyOn => "auto-reply",
            Field::Subject => "subject",
            Field::ReplyText => "text",
            Field::StartsOn => "first day",
            Field::EndsOn => "last day",
            Field::KeepCopy => "keep a copy",
            Field::CatchAll => "catch-all",
            Field::Generate => "generate a password",
            Field::LogOnAddress => "address",
        }
    }

    /// The name of the form input that takes this field; a paste's line is its paste box.
    pub fn input(self) -> &'static str {
        match self {
            Field::Line => "text",
            Field::Username => "username",
            Field::Password => "password",
            Field::PasswordAgain => "password_again",
            Field::FirstName => "first_name",
            Field::LastName => "last_name",
            Field::Current => "current",
            Field::Quota => "quota_mb",
            Field::Alias => "name",
            Field::Targets => "targets",
            Field::Code => "code",
            Field::Active => "active",
            Field::ReplyOn => "enabled",
            Field::Subject => "subject",
            Field::ReplyText => "text",
            Field::StartsOn => "starts_on",
            Field::EndsOn => "ends_on",
            Field::KeepCopy => "keep_copy",
            Field::CatchAll => "target",
            Field::Generate => "generate",
            Field::LogOnAddress => "email",
        }
    }

    /// Whether what is typed in it is a password, never to be sent back or shown.
    pub fn is_secret(self) -> bool {
        matches!(
            self,
            Field::Password | Field::PasswordAgain | Field::Current
        )
    }
}

/// Something wrong with (or worth knowing about) one field of one line.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct Problem {
    /// Which field.
    pub field: Field,
    /// The rule behind it, when a username or password rule produced it.
    pub rule: Option<Rule>,
    /// A short sentence for the postmaster; never contains a password.
    pub message: String,
}

impl Problem {
    pub(super) fn new(field: Field, message: impl Into<String>) -> Self {
        Problem {
            field,
            rule: None,
            message: message.into(),
        }
    }

    pub(super) fn by_rule(field: Field, rule: Rule, message: impl Into<String>) -> Self {
        Problem {
            field,
            rule: Some(rule),
            message: message.into(),
        }
    }

    pub(super) fn from_check(field: Field, check: Check) -> Self {
        Problem {
            field,
            rule: Some(check.rule),
            message: check.message,
        }
    }
}

/// One problem with one input of a form (or one field of one line of a paste), in words for
/// the postmaster; never a password.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct FieldProblem {
    /// The part of the form or line it concerns.
    pub field: Field,
    /// The line of a paste, counted from 1; `None` for a form of fields.
    pub line: Option<usize>,
    /// The rule broken, when a rule of this module decided it.
    pub rule: Option<Rule>,
    /// A short sentence, without a final full stop.
    pub message: String,
}

impl FieldProblem {
    /// A problem of a form's `field`, by `rule`, worded by `message`.
    pub fn new(field: Field, rule: Option<Rule>, message: impl Into<String>) -> Self {
        FieldProblem {
            field,
            line: None,
            rule,
            message: message.into().trim_end_matches('.').to_owned(),
        }
    }

    /// `problem` of a form of fields (no line).
    pub fn of(problem: Problem) -> Self {
        FieldProblem::new(problem.field, problem.rule, problem.message)
    }

    /// `problem` on line `number` of a paste.
    pub fn on_line(number: usize, problem: Problem) -> Self {
        FieldProblem {
            line: Some(number),
            ..FieldProblem::of(problem)
        }
    }

    /// The name of the form input to show it beside: the paste box for a line of a paste.
    pub fn input(&self) -> &'static str {
        match self.line {
            Some(_) => Field::Line.input(),
            None => self.field.input(),
        }
    }

    /// "Line 3, password again: The two passwords differ." — or "Password again: …" on a form
    /// of fields, as a list of refusals or a command line prints it.
    pub fn describe(&self) -> String {
        let message = &self.message;
        match (self.line, self.field) {
            (Some(number), Field::Line) => format!("Line {number}: {message}."),
            (Some(number), field) => format!("Line {number}, {}: {message}.", field.label()),
            (None, field) => {
                let label = field.label();
                let mut chars = label.chars();
                let capital: String = chars
                    .next()
                    .map(|c| c.to_ascii_uppercase())
                    .into_iter()
                    .chain(chars)
                    .collect();
                format!("{capital}: {message}.")
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::PASSWORDS_DIFFER;
    use super::*;

    #[test]
    fn a_problem_is_described_with_its_line_and_field() {
        let differ = Problem {
            field: Field::PasswordAgain,
            rule: Some(Rule::PasswordsDiffer),
            message: PASSWORDS_DIFFER.into(),
        };
        let on_line = FieldProblem::on_line(3, differ.clone());
        assert_eq!(
            on_line.describe(),
            "Line 3, password again: The two passwords differ."
        );
        assert_eq!(
            on_line.input(),
            "text",
            "a paste's problem is beside the paste"
        );
        let on_form = FieldProblem::of(differ);
        assert_eq!(
            on_form.describe(),
            "Password again: The two passwords differ."
        );
        assert_eq!(on_form.input(), "password_again");
        let whole = FieldProblem {
            line: Some(2),
            ..FieldProblem::new(Field::Line, None, "A quote is not closed.")
        };
        assert_eq!(whole.describe(), "Line 2: A quote is not closed.");
    }

    #[test]
    fn the_log_keeps_only_an_address_or_a_domain_of_what_was_typed() {
        assert_eq!(
            loggable_target(" Anything@Other.TEST "),
            "anything@other.test"
        );
        assert_eq!(loggable_target("Other.Test"), "other.test");
        for junk in [
            "",
            "a b@x.test",
            "<script>@x.test",
            "x\0y@other.test",
            "@other.test",
        ] {
            assert_eq!(loggable_target(junk), "(not an address)", "{junk:?}");
        }
        let huge = format!("{}@other.test", "a".repeat(4 << 20));
        assert_eq!(loggable_target(&huge), "(too long to be an address)");
    }

    #[test]
    fn a_taken_address_is_worded_once_by_what_holds_it() {
        assert_eq!(
            address_taken("ann@example.test", false),
            "ann@example.test is already an account"
        );
        assert_eq!(
            address_taken("sales@example.test", true),
            "sales@example.test is already an alias"
        );
    }
}
