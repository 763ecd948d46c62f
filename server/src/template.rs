//! Filling the configuration templates under `deploy/` for Dovecot and Postfix, with values
//! checked to be ones both configurations and an SQL string literal hold as they are.

use std::path::{Path, PathBuf};

/// Replaces every `@NAME@`; a name left over is a mistake in the template.
pub fn fill(template: &str, values: &[(&str, String)]) -> Result<String, String> {
    let mut text = template.to_owned();
    for (name, value) in values {
        text = text.replace(&format!("@{name}@"), value);
    }
    if has_placeholder(&text) {
        Err("a configuration template has a value left unfilled".to_owned())
    } else {
        Ok(text)
    }
}

/// Whether `text` still holds an `@NAME@`.
fn has_placeholder(text: &str) -> bool {
    text.split('@')
        .skip(1)
        .any(|part| !part.is_empty() && part.bytes().all(|b| b.is_ascii_uppercase() || b == b'_'))
}

/// An absolute path that Dovecot's and Postfix's configurations and an SQL string literal can
/// hold as it is: no spaces, quotes, `%` (a variable of both), `#` (a comment), `$` (a
/// setting) or `?` (a query in an SQLite file URI).
pub fn value(path: &Path) -> Result<String, String> {
    let text = path.to_str().unwrap_or("");
    let plain = text.starts_with('/')
        && text.chars().all(|c| {
            c.is_ascii_alphanumeric()
                || matches!(c, '/' | '.' | '_' | '-' | '+' | ',' | ':' | '=' | '~')
        });
    if plain {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{} cannot be written into the mail server's configuration: use an absolute path \
             of letters, digits and / . _ - only",
            path.display()
        ))
    }
}

/// A user or instance name: letters, digits, `.`, `_`, `-`.
pub fn word(text: &str) -> Result<String, String> {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
    {
        Ok(text.to_owned())
    } else {
        Err(format!(
            "{text:?} cannot be written into the mail server's configuration"
        ))
    }
}

/// `dir` made absolute (resolved when it exists), as both servers need it.
pub fn absolute(dir: &Path) -> Result<PathBuf, String> {
    dir.canonicalize()
        .or_else(|_| std::path::absolute(dir))
        .map_err(|error| format!("cannot resolve {}: {error}", dir.display()))
}
