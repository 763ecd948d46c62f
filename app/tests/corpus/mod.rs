//! The agreement corpus: fixed inputs (`inputs.json`) and the verdicts the
//! rules give them (`verdicts.json`).
//!
//! The native test and the browser (WebAssembly) test both run [`verdicts`]
//! on the same inputs and compare the result with the same verdicts file, so
//! a difference between the two builds of the rules (a Unicode table, a
//! platform-dependent width, a random source) shows up as a failing test.
//! No file system or environment access here: the browser has neither.

use app::validate::{
    check_password, generate_password, is_acceptable, parse_bulk, parse_username, BulkOptions,
    BulkReport, Check, Level, PasswordContext,
};
use serde::{Deserialize, Serialize};

/// One case of `inputs.json`, told apart by its `kind`. A `note` field, if
/// present, only explains the case to a reader and is ignored.
#[derive(Deserialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Input {
    Username {
        input: String,
        domain: String,
    },
    Password {
        password: String,
        #[serde(flatten)]
        who: Who,
    },
    Bulk {
        text: String,
        domain: String,
        #[serde(default)]
        generate_missing: bool,
        /// Repeats `text` this many times, so size limits can be tested
        /// without megabytes of JSON.
        #[serde(default = "once")]
        repeat: usize,
    },
    Generate {
        len: usize,
        #[serde(flatten)]
        who: Who,
    },
}

/// The account a password is for.
#[derive(Deserialize)]
struct Who {
    #[serde(default)]
    username: String,
    #[serde(default)]
    first_name: String,
    #[serde(default)]
    last_name: String,
    domain: String,
}

impl Who {
    fn context(&self) -> PasswordContext<'_> {
        PasswordContext {
            username: &self.username,
            first_name: &self.first_name,
            last_name: &self.last_name,
            domain: &self.domain,
        }
    }
}

fn once() -> usize {
    1
}

#[derive(Serialize)]
struct Verdict {
    case: usize,
    #[serde(flatten)]
    outcome: Outcome,
}

#[derive(Serialize)]
#[serde(tag = "kind", rename_all = "kebab-case")]
enum Outcome {
    Username {
        result: Result<String, Check>,
    },
    Password {
        acceptable: bool,
        checks: Vec<Check>,
    },
    Bulk {
        report: BulkReport,
    },
    /// Generated passwords are random, so only their properties are compared.
    Generate {
        length: usize,
        passes: bool,
    },
}

fn judge(input: &Input) -> Outcome {
    match input {
        Input::Username { input, domain } => Outcome::Username {
            result: parse_username(input, domain),
        },
        Input::Password { password, who } => Outcome::Password {
            acceptable: is_acceptable(password, &who.context()),
            checks: check_password(password, &who.context()),
        },
        Input::Bulk {
            text,
            domain,
            generate_missing,
            repeat,
        } => {
            let opts = BulkOptions {
                generate_missing: *generate_missing,
            };
            Outcome::Bulk {
                report: parse_bulk(&text.repeat(*repeat), domain, opts),
            }
        }
        Input::Generate { len, who } => {
            let ctx = who.context();
            match generate_password(&ctx, *len) {
                Ok(pw) => Outcome::Generate {
                    length: pw.chars().count(),
                    passes: check_password(&pw, &ctx)
                        .iter()
                        .all(|c| c.level == Level::Pass),
                },
                Err(_) => Outcome::Generate {
                    length: 0,
                    passes: false,
                },
            }
        }
    }
}

/// Runs every input of `inputs_json` (the text of `inputs.json`) through the
/// rules and returns the verdicts as pretty JSON with a final newline, in
/// input order: the exact expected text of `verdicts.json`.
pub fn verdicts(inputs_json: &str) -> String {
    let inputs: Vec<Input> =
        serde_json::from_str(inputs_json).expect("inputs.json is a list of known cases");
    let verdicts: Vec<Verdict> = inputs
        .iter()
        .enumerate()
        .map(|(case, input)| Verdict {
            case,
            outcome: judge(input),
        })
        .collect();
    let mut out = serde_json::to_string_pretty(&verdicts).expect("verdicts serialise");
    out.push('\n');
    out
}
