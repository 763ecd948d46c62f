//! Dovecot's and Postfix's files hold what `dovecot-config` and `postfix-config` print now:
//! the same builders make the expected text, so a check can never disagree with them.

use std::collections::HashMap;
use std::io::ErrorKind;
use std::path::Path;

use crate::dovecot::DovecotConfig;
use crate::postfix::{PostfixConfig, Table};

use super::Line;

/// `dovecot.conf` at `main_path`, and the SQL and dict parts where it refers to them.
pub fn dovecot(main_path: &Path, config: &DovecotConfig) -> [Line; 3] {
    [
        same_text(main_path, config.main(), "vpostmaster dovecot-config"),
        same_text(
            &config.sql_conf,
            config.sql(),
            "vpostmaster dovecot-config --sql",
        ),
        same_text(
            &config.dict_conf(),
            config.dict(),
            "vpostmaster dovecot-config --dict",
        ),
    ]
}

/// One lookup table in the tables directory.
pub fn postfix_table(config: &PostfixConfig, table: Table) -> Line {
    let name = match table {
        Table::Domains => "domains",
        Table::Mailboxes => "mailboxes",
        Table::Aliases => "aliases",
    };
    same_text(
        &config.tables_dir.join(table.file_name()),
        config.table(table),
        &format!("vpostmaster postfix-config --table {name}"),
    )
}

/// The file at `path` holds exactly `expected`, which `print` prints.
fn same_text(path: &Path, expected: Result<String, String>, print: &str) -> Line {
    let shown = path.display();
    let expected = match expected {
        Ok(text) => text,
        Err(error) => return Line::problem(format!("{shown}: {error}")),
    };
    match std::fs::read_to_string(path) {
        Ok(found) if found == expected => Line::ok(format!("{shown} is what `{print}` prints")),
        Ok(_) => Line::problem(format!(
            "{shown} differs from what vpostmaster would print; print it again with: {print} > {shown}"
        )),
        Err(error) if error.kind() == ErrorKind::NotFound => Line::problem(format!(
            "{shown} is missing; write it with: {print} > {shown}"
        )),
        Err(error) => Line::problem(format!(
            "{shown} cannot be read ({error}): run the check as root"
        )),
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
