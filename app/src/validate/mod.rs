//! Account rules shared by the browser and the server.
//!
//! The same code runs in the WebAssembly bundle, for instant feedback as the
//! postmaster types, and on the server, which re-checks every input and is
//! the authority. So this module stays pure: no I/O, no framework, no cargo
//! features, and nothing from the rest of the crate.
//!
//! - [`Address`]: a full address taken apart once, local part and domain in lowercase.
//! - [`parse_username`]: the part before the `@`, normalised to lowercase.
//! - [`check_password`]: one [`Check`] per password rule, for a live
//!   checklist; [`password_problems`] and [`is_acceptable`] for refusals.
//! - [`parse_bulk`]: the "Add many accounts" paste, with line and field for
//!   every problem; [`check_account`] the same rules for one account typed
//!   field by field, and [`name_problems`] for a name alone.
//! - [`parse_targets`]: where an alias or a forwarding delivers; [`check_routes`] the rule
//!   that mail neither loops nor passes through too many of them, and [`parse_alias_paste`]
//!   the "Add many aliases" paste.
//! - [`check_text`]: the length and NUL rule of every free-text input, such as a search.
//! - [`check_autoreply`]: an auto-reply's subject, text and days.
//! - [`read_import`]: the operator's import file, read into a paste with a quota per line.
//! - [`parse_quota_mb`]: an account's quota in whole MB, 0 for no limit.
//! - [`generate_password`]: a random password that passes every rule.
//! - [`FieldProblem`]: a refusal's problem by field (and line), and the one wording of the
//!   rules several forms refuse by.

#![warn(missing_docs)]

mod address;
mod alias;
mod autoreply;
mod bulk;
mod check;
pub mod domain;
mod generate;
mod import;
mod password;
mod quota;
mod refusal;
mod routing;
mod text;
mod username;

pub use address::Address;
pub use alias::{
    join_targets, parse_alias_paste, parse_target, parse_targets, split_targets, AliasLine,
    AliasReport, ADDRESS_MAX, ALIAS_PASTE_MAX, TARGETS_MAX,
};
pub use autoreply::{
    check_autoreply, check_reply_period, parse_reply_date, parse_reply_subject, parse_reply_text,
    AutoReplyText, AUTOREPLY_SUBJECT_MAX, AUTOREPLY_TEXT_MAX,
};
pub use bulk::{
    check_account, format_line, name_problems, parse_bulk, split_lines, AccountFields, BulkLine,
    BulkOptions, BulkReport, NewAccount, BULK_MAX_ACCOUNTS, BULK_MAX_BYTES, NAME_MAX,
};
pub use check::{Check, Level, Rule};
pub use generate::{
    generate_password, starts_like_formula, GenerateError, DEFAULT_LEN, FORMULA_START,
};
pub use import::{read_import, ImportText};
pub use password::{
    check_password, is_acceptable, password_problems, PasswordContext, PASSWORDS_DIFFER,
    PASSWORD_MAX, PASSWORD_MIN,
};
pub use quota::{parse_quota_mb, QUOTA_MB_MAX};
pub use refusal::{
    address_taken, loggable_target, Field, FieldProblem, Problem, CURRENT_PASSWORD_WRONG,
    PASSWORD_AGAIN_MISSING, PASSWORD_MISSING,
};
pub use routing::{
    check_routes, describe_route, Chain, OutOfBudget, RouteProblem, OUTSIDE_MAX, ROUTE_DEPTH_MAX,
};
pub use text::{check_text, encoded_nul, NUL_REFUSED, SEARCH_MAX};
pub use username::{parse_username, USERNAME_MAX};
