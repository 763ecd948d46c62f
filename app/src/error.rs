//! The one error type of every server function and service, shown to the user as it reads.

use leptos::prelude::{ServerAction, WithUntracked};
use leptos::server_fn::codec::JsonEncoding;
use leptos::server_fn::error::{FromServerFnError, ServerFnErrorErr};
use leptos::server_fn::ServerFn;
use serde::{Deserialize, Serialize};

use crate::validate::{Field, FieldProblem, Rule};

#[cfg(feature = "ssr")]
pub mod sent;

/// Problems one refusal lists; the rest are counted.
pub const PROBLEMS_LISTED: usize = 50;

/// What went wrong, in words a postmaster can act on. It never carries a password, a hash or
/// database text: details of internal failures go to the server log only.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, thiserror::Error)]
pub enum AppError {
    /// No valid session: the user must log on (again).
    #[error("Please log on to continue.")]
    Unauthenticated,
    /// Signed in, but this is not theirs to do.
    #[error("You are not allowed to do that.")]
    Forbidden,
    /// The input breaks a rule; the message says which.
    #[error("{0}")]
    Invalid(String),
    /// Inputs of a form break rules: each problem names its field, to be shown beside it.
    #[error("{0}")]
    Refused(Refusal),
    /// The input clashes with what exists (an address already taken, ...).
    #[error("{0}")]
    Conflict(String),
    /// The thing asked for does not exist, or is not this user's to see.
    #[error("{0} was not found.")]
    NotFound(String),
    /// The account asked for was deleted on the day given and can still be restored.
    #[error("The account {0} was deleted on {1}. It can be restored from Deleted accounts until it is purged.")]
    Deleted(String, String),
    /// Too many attempts; try again after this many seconds.
    #[error("Too many attempts. Please wait {} and try again.", crate::words::wait(*.0))]
    Throttled(u64),
    /// Too many wrong two-factor codes: the log-on or session they were typed in has ended,
    /// and the password must be given again.
    #[error("Too many wrong codes. Please log on again with your password.")]
    CodesUsedUp,
    /// Too much work is queued on the server (password hashing); nothing was done.
    #[error("The server is busy. Nothing was changed; please try again in a minute.")]
    Busy,
    /// The server's disk is full: what was asked was not done, and nothing was half made.
    #[error("The server's disk is full, so nothing was changed. Ask the operator to free some space, then try again.")]
    DiskFull,
    /// A failure on the server side that the user cannot fix.
    #[error("Something went wrong on the server. Please try again.")]
    Internal,
}

/// A refusal of a form: each problem beside the input it concerns, or a sentence for the
/// whole form, and what was typed into its inputs (never a password), so that the page that
/// answers the post, whose only news of it is this error, draws the form as it was sent.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Refusal {
    /// The problems, at most [`PROBLEMS_LISTED`].
    pub problems: Vec<FieldProblem>,
    /// How many problems there are beyond those listed.
    pub more: usize,
    /// What was typed, by input name; never into a password field.
    pub typed: Vec<(String, String)>,
    /// The sentence above the form, for a refusal of the form as a whole (a loop, a day
    /// before another, an address taken).
    pub said: Option<String>,
}

impl Refusal {
    /// The messages of the problems beside the input called `input`, as one sentence each.
    pub fn beside(&self, input: &str) -> Option<String> {
        let messages: Vec<String> = self
            .problems
            .iter()
            .filter(|problem| problem.input() == input)
            .map(|problem| match problem.line {
                Some(_) => problem.describe(),
                None => format!("{}.", problem.message),
            })
            .collect();
        // One a line: the problems of a paste are many.
        (!messages.is_empty()).then(|| messages.join("\n"))
    }

    /// What was typed into the input called `input`, when it was kept.
    pub fn typed(&self, input: &str) -> Option<&str> {
        self.typed
            .iter()
            .find(|(name, _)| name == input)
            .map(|(_, value)| value.as_str())
    }
}

impl std::fmt::Display for Refusal {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let mut lines: Vec<String> = self.said.iter().cloned().collect();
        lines.extend(self.problems.iter().map(FieldProblem::describe));
        if self.more > 0 {
            lines.push(format!("and {} more.", self.more));
        }
        f.write_str(&lines.join("\n"))
    }
}

impl AppError {
    /// Refuses with `problems`, at most [`PROBLEMS_LISTED`] of them listed; `Ok` when there
    /// are none.
    pub fn refuse(mut problems: Vec<FieldProblem>) -> Result<(), AppError> {
        if problems.is_empty() {
            return Ok(());
        }
        let more = problems.len().saturating_sub(PROBLEMS_LISTED);
        problems.truncate(PROBLEMS_LISTED);
        Err(AppError::Refused(Refusal {
            problems,
            more,
            ..Refusal::default()
        }))
    }

    /// The refusal of one field of a form.
    pub fn beside(field: Field, rule: Option<Rule>, message: impl Into<String>) -> AppError {
        AppError::Refused(Refusal {
            problems: vec![FieldProblem::new(field, rule, message)],
            ..Refusal::default()
        })
    }

    /// This error, when it is a refusal of what was typed (`Invalid` or `Conflict`), shown
    /// beside `field` instead of above the form.
    pub fn on_field(self, field: Field) -> AppError {
        match self {
            AppError::Invalid(message) | AppError::Conflict(message) => {
                AppError::beside(field, None, message)
            }
            other => other,
        }
    }

    /// This refusal of a form with what was typed into the form's inputs, to draw them again
    /// as they were sent; what was typed into a password field is never kept. Every form
    /// whose refusal comes back to it says so through this. Errors that lead away from the
    /// form (log on again, not allowed, nothing to change, wait) keep nothing.
    pub fn keeping(self, typed: &[(Field, &str)]) -> AppError {
        let mut refusal = match self {
            AppError::Refused(refusal) => refusal,
            away @ (AppError::Unauthenticated
            | AppError::Forbidden
            | AppError::NotFound(_)
            | AppError::Throttled(_)
            | AppError::CodesUsedUp) => return away,
            whole => Refusal {
                said: Some(whole.to_string()),
                ..Refusal::default()
            },
        };
        refusal.typed = typed
            .iter()
            .filter(|(field, _)| !field.is_secret())
            .map(|(field, value)| (field.input().to_owned(), (*value).to_owned()))
            .collect();
        AppError::Refused(refusal)
    }
}

impl FromServerFnError for AppError {
    type Encoder = JsonEncoding;

    fn from_server_fn_error(value: ServerFnErrorErr) -> Self {
        match value {
            // A body that does not decode (bytes that are not UTF-8, say) is the client's
            // mistake, like a missing field: a refusal, not a server fault.
            ServerFnErrorErr::Args(_)
            | ServerFnErrorErr::MissingArg(_)
            | ServerFnErrorErr::Deserialization(_) => {
                AppError::Invalid("The form was incomplete. Please fill it in again.".into())
            }
            ServerFnErrorErr::Request(_) => {
                AppError::Invalid("The server could not be reached. Check your connection.".into())
            }
            _ => AppError::Internal,
        }
    }

    // An error sent back to a plain form post travels in an address, which anyone can write:
    // the server notes what it sends and a page believes only that.
    #[cfg(feature = "ssr")]
    fn ser(&self) -> leptos::server_fn::Bytes {
        sent::encode(self)
    }

    #[cfg(feature = "ssr")]
    fn de(data: leptos::server_fn::Bytes) -> Self {
        sent::decode(data)
    }
}

#[cfg(feature = "ssr")]
impl From<sqlx::Error> for AppError {
    fn from(error: sqlx::Error) -> Self {
        /// SQLite's result code for a write that found the disk full.
        const SQLITE_FULL: &str = "13";
        if error
            .as_database_error()
            .and_then(|db| db.code())
            .is_some_and(|code| code == SQLITE_FULL)
        {
            tracing::error!(%error, "the disk is full");
            return AppError::DiskFull;
        }
        tracing::error!(%error, "database error");
        AppError::Internal
    }
}

/// What a form says above its fields when the server refused some of them.
pub const FIELDS_REFUSED: &str = "Nothing was changed. Correct what is marked below and try again.";

/// What a form's last post was refused for, read as the page that answers the post is drawn:
/// the message above the form, the one beside each field, and what was typed into the fields
/// that keep it (never a password). Islands take it as a prop.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct FormRefusal(Option<AppError>);

/// An island's prop holds the refusal as its JSON text, which the browser reads with the same
/// code that reads a server function's error: read as part of each island's props instead, the
/// error's reader was built a second time into the browser bundle.
impl Serialize for FormRefusal {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let json = serde_json::to_string(&self.0).map_err(serde::ser::Error::custom)?;
        serializer.serialize_str(&json)
    }
}

impl<'de> Deserialize<'de> for FormRefusal {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let json = String::deserialize(deserializer)?;
        serde_json::from_slice(json.as_bytes())
            .map(FormRefusal)
            .map_err(serde::de::Error::custom)
    }
}

impl FormRefusal {
    /// The refusal `action`'s last post came back with, if any.
    pub fn of<S>(action: ServerAction<S>) -> Self
    where
        S: ServerFn<Error = AppError> + Send + Sync + Clone + 'static,
        S::Output: Send + Sync + 'static,
    {
        FormRefusal(action.value().with_untracked(|outcome| {
            outcome
                .as_ref()
                .and_then(|result| result.as_ref().err().cloned())
        }))
    }

    /// The message above the form: the error itself, or for a refusal by field a line that
    /// points at the messages beside the fields.
    pub fn general(&self) -> Option<String> {
        match &self.0 {
            Some(AppError::Refused(Refusal {
                said: Some(said), ..
            })) => Some(said.clone()),
            Some(AppError::Refused(_)) => Some(FIELDS_REFUSED.to_owned()),
            Some(error) => Some(error.to_string()),
            None => None,
        }
    }

    /// Whether the post was refused because the session had ended.
    pub fn session_ended(&self) -> bool {
        matches!(self.0, Some(AppError::Unauthenticated))
    }

    /// The message beside the input called `input`.
    pub fn beside(&self, input: &str) -> Option<String> {
        match &self.0 {
            Some(AppError::Refused(refusal)) => refusal.beside(input),
            _ => None,
        }
    }

    /// The problems of a paste's lines, each with its line number.
    pub fn line_problems(&self) -> Vec<FieldProblem> {
        match &self.0 {
            Some(AppError::Refused(refusal)) => refusal
                .problems
                .iter()
                .filter(|problem| problem.line.is_some())
                .cloned()
                .collect(),
            _ => Vec::new(),
        }
    }

    /// What was typed into the input called `input`, when the refusal kept it.
    pub fn typed(&self, input: &str) -> Option<String> {
        match &self.0 {
            Some(AppError::Refused(refusal)) => refusal.typed(input).map(str::to_owned),
            _ => None,
        }
    }

    /// What the input called `input` shows: what was typed into it when the refusal kept
    /// that, else `saved`.
    pub fn typed_or(&self, input: &str, saved: String) -> String {
        self.typed(input).unwrap_or(saved)
    }

    /// Whether the checkbox called `input` is ticked: as it was sent when the refusal kept
    /// the form's inputs (an unticked box sends nothing), else as `saved`.
    pub fn ticked(&self, input: &str, saved: bool) -> bool {
        match &self.0 {
            Some(AppError::Refused(refusal)) if !refusal.typed.is_empty() => {
                refusal.typed(input).is_some_and(|value| !value.is_empty())
            }
            _ => saved,
        }
    }
}

impl From<AppError> for FormRefusal {
    fn from(error: AppError) -> Self {
        FormRefusal(Some(error))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refusal_reaches_the_island_whole_after_its_trip_through_the_props() {
        let refused = FormRefusal(Some(
            AppError::refuse(vec![FieldProblem::new(
                Field::Username,
                None,
                "bob@example.test is already an account",
            )])
            .unwrap_err(),
        ));
        for sent in [refused, FormRefusal::default()] {
            let props = serde_json::to_string(&sent).unwrap();
            let read: FormRefusal = serde_json::from_str(&props).unwrap();
            assert_eq!(read, sent);
        }
    }
}
