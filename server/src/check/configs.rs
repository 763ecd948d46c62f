//! Dovecot's and Postfix's files hold what `dovecot-config` and `postfix-config` write now, with
//! the same owners and modes: the same builders make the expectation, so a check can never
//! disagree with them.

use std::collections::HashMap;
use std::path::Path;

use crate::config_files::ConfigFile;
use crate::postfix::PostfixConfig;

use super::Line;

/// Each file holds what vpostmaster writes, with the owner and mode of what reads it.
pub fn files(files: Result<Vec<ConfigFile>, String>, what: &str) -> Vec<Line> {
    match files {
        Ok(files) => files
            .iter()
            .map(|file| match file.problem() {
                None => Line::ok(format!(
                    "{} is what vpostmaster writes, {}",
                    file.path.display(),
                    file.access()
                )),
                Some(problem) => Line::problem(problem),
            })
            .collect(),
        Err(error) => vec![Line::problem(format!("{what}: {error}"))],
    }
}

/// Postfix's `main.cf` holds the settings `postfix-config` prints, among its own.
pub fn postfix_main(main_cf: &Path, config: &PostfixConfig) -> Line {
    let shown = main_cf.display();
    let expected = match config.main() {
        Ok(text) => settings(&text),
        Err(error) => return Line::problem(format!("{shown}: {error}")),
    };
    let found = match std::fs::read_to_string(main_cf) {
        Ok(text) => settings(&text),
        Err(error) => {
            return Line::problem(format!(
                "{shown} cannot be read ({error}): install Postfix, or give --postfix-main-cf"
            ))
        }
    };
    let mut wrong: Vec<&str> = expected
        .iter()
        .filter(|(name, value)| found.get(*name) != Some(*value))
        .map(|(name, _)| name.as_str())
        .collect();
    wrong.sort_unstable();
    if wrong.is_empty() {
        Line::ok(format!(
            "{shown} has the settings `vpostmaster postfix-config` prints"
        ))
    } else {
        Line::problem(format!(
            "{shown} differs from what vpostmaster would print in {}; set them again with: \
             vpostmaster postfix-config | grep '^[a-z]' | xargs -d '\\n' postconf -e",
            wrong.join(", ")
        ))
    }
}

/// The `name = value` settings of a Postfix configuration, the last one winning as in Postfix;
/// a line starting with white space continues the one before.
fn settings(text: &str) -> HashMap<String, String> {
    let mut settings = HashMap::new();
    let mut current: Option<(String, String)> = None;
    for line in text.lines() {
        let trimmed = line.trim();
        if trimmed.is_empty() || trimmed.starts_with('#') {
            continue;
        }
        if line.starts_with(char::is_whitespace) {
            if let Some((_, value)) = current.as_mut() {
                value.push(' ');
                value.push_str(trimmed);
            }
            continue;
        }
        if let Some((name, value)) = current.take() {
            settings.insert(name, value);
        }
        current = trimmed
            .split_once('=')
            .map(|(name, value)| (name.trim().to_owned(), value.trim().to_owned()));
    }
    if let Some((name, value)) = current {
        settings.insert(name, value);
    }
    settings
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn settings_follow_postfix_continuation_and_override() {
        let parsed = settings(
            "# comment\nmydomain = a.test\nrelay = x,\n   y\n\nmydomain=b.test\nnot a setting\n",
        );
        assert_eq!(parsed["mydomain"], "b.test");
        assert_eq!(parsed["relay"], "x, y");
        assert_eq!(parsed.len(), 2);
    }
}
