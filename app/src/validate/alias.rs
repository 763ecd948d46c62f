//! Where mail goes besides an account: alias targets, forwarding addresses, the catch-all, and
//! the "Add many aliases" paste; and the loop rule that keeps mail from circling.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use super::domain::parse_domain;
use super::routing::{check_routes, describe_route};
use super::text::check_text;
use super::username::parse_username;

/// Most targets one alias or one forwarding may have.
pub const TARGETS_MAX: usize = 50;
/// Most aliases one paste may hold.
pub const ALIAS_PASTE_MAX: usize = 5_000;
/// Most characters of a local part (RFC 5321).
const LOCAL_MAX: usize = 64;
/// Most characters of a full address: a local part, the `@` and a domain name of 253.
pub const ADDRESS_MAX: usize = LOCAL_MAX + 1 + 253;
/// Most characters of a list of targets: [`TARGETS_MAX`] addresses and what separates them.
pub const TARGETS_TEXT_MAX: usize = TARGETS_MAX * (ADDRESS_MAX + 2);

/// Checks one full address that mail may go to, inside the console's domains or outside, and
/// returns it in lowercase. The part before the `@` may hold what mail providers allow
/// (`jane+news`, `o'brien`), but no quotes, spaces or commas, which Postfix would split on.
pub fn parse_target(input: &str) -> Result<String, String> {
    let text = check_text("An address", input, ADDRESS_MAX)?.trim();
    let quoted = text.escape_debug();
    if text.is_empty() {
        return Err("Enter an address, such as jane@example.com".to_owned());
    }
    let Some((local, domain)) = text.rsplit_once('@') else {
        return Err(format!(
            "\u{201c}{quoted}\u{201d} is not a full address: it needs an @ and a domain, as in jane@example.com"
        ));
    };
    let problem = if local.is_empty() {
        Some("it has nothing before the @")
    } else if local.chars().count() > LOCAL_MAX {
        Some("the part before the @ has more than 64 characters")
    } else if !local.chars().all(is_atext_or_dot) {
        Some("the part before the @ may hold only letters, digits, dots and ! # $ % & ' * + / = ? ^ _ ` { | } ~ -")
    } else if local.starts_with('.') || local.ends_with('.') || local.contains("..") {
        Some("the part before the @ cannot start or end with a dot, or have two in a row")
    } else {
        None
    };
    if let Some(why) = problem {
        return Err(format!(
            "\u{201c}{quoted}\u{201d} is not a valid address: {why}"
        ));
    }
    let domain = parse_domain(domain)
        .map_err(|_| format!("\u{201c}{quoted}\u{201d} is not a valid address: the part after the @ is not a domain name"))?;
    Ok(format!("{}@{domain}", local.to_ascii_lowercase()))
}

fn is_atext_or_dot(c: char) -> bool {
    c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~-.".contains(c)
}

/// Reads the targets of an alias or a forwarding, separated by commas, spaces or lines: each
/// checked by [`parse_target`], repeats dropped, order kept. At least one, at most
/// [`TARGETS_MAX`].
pub fn parse_targets(input: &str) -> Result<Vec<String>, String> {
    check_text("The list of addresses", input, TARGETS_TEXT_MAX)?;
    let mut targets: Vec<String> = Vec::new();
    for word in input
        .split(|c: char| c == ',' || c.is_whitespace())
        .filter(|word| !word.is_empty())
    {
        let target = parse_target(word)?;
        if !targets.contains(&target) {
            targets.push(target);
        }
        if targets.len() > TARGETS_MAX {
            return Err(format!("Give at most {TARGETS_MAX} addresses"));
        }
    }
    if targets.is_empty() {
        return Err(
            "Enter at least one address to deliver to, such as jane@example.com".to_owned(),
        );
    }
    Ok(targets)
}

/// Targets as they are stored and as Postfix reads them.
pub fn join_targets(targets: &[String]) -> String {
    targets.join(", ")
}

/// Stored targets back into a list.
pub fn split_targets(stored: &str) -> Vec<String> {
    stored
        .split(',')
        .map(str::trim)
        .filter(|target| !target.is_empty())
        .map(str::to_owned)
        .collect()
}

/// One line of an "Add many aliases" paste.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq)]
pub struct AliasLine {
    /// 1-based line number in the pasted text (skipped lines count).
    pub number: usize,
    /// The alias's full address, lowercase, when it is valid.
    pub address: Option<String>,
    /// Its targets, when they are valid.
    pub targets: Vec<String>,
    /// What blocks this line; empty when it is ready.
    pub problems: Vec<String>,
}

/// The verdict on a whole paste of aliases.
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Default)]
pub struct AliasReport {
    /// One entry per alias line, skipped lines left out.
    pub lines: Vec<AliasLine>,
    /// How many lines are ready.
    pub ready: usize,
    /// How many lines have problems.
    pub need_attention: usize,
    /// Set when the whole paste is refused for its size; `lines` is then empty.
    pub too_big: Option<String>,
}

impl AliasReport {
    /// Whether every line is ready and there is at least one.
    pub fn is_ready(&self) -> bool {
        self.too_big.is_none() && self.ready > 0 && self.need_attention == 0
    }

    /// Adds the problems the server found (an address taken, a loop), each to its line by
    /// number.
    pub fn add_problems(&mut self, problems: Vec<(usize, String)>) {
        let mut by_number: HashMap<usize, Vec<String>> = HashMap::new();
        for (number, problem) in problems {
            by_number.entry(number).or_default().push(problem);
        }
        for line in &mut self.lines {
            if let Some(problems) = by_number.remove(&line.number) {
                line.problems.extend(problems);
            }
        }
        self.count();
    }

    fn count(&mut self) {
        self.need_attention = self.lines.iter().filter(|l| !l.problems.is_empty()).count();
        self.ready = self.lines.len() - self.need_attention;
    }
}

/// Reads a pasted list of aliases for `domain`: one per line, `alias target[,target…]`, the
/// alias as a name or a full address of the domain, the targets separated by commas or
/// spaces. Blank lines and lines starting with `#` are skipped. Never fails: everything wrong
/// is in the report. Whether an address is taken, or makes a loop or a chain too long with
/// stored aliases, only the server knows; those within the paste are found here.
pub fn parse_alias_paste(text: &str, domain: &str) -> AliasReport {
    if text.len() > super::BULK_MAX_BYTES {
        return AliasReport {
            too_big: Some("The list is larger than 1 MiB. Split it into smaller lists.".to_owned()),
            ..AliasReport::default()
        };
    }
    let entries: Vec<(usize, &str)> = text
        .strip_prefix('\u{feff}')
        .unwrap_or(text)
        .lines()
        .enumerate()
        .map(|(i, line)| (i + 1, line.trim()))
        .filter(|(_, line)| !line.is_empty() && !line.starts_with('#'))
        .collect();
    if entries.len() > ALIAS_PASTE_MAX {
        return AliasReport {
            too_big: Some(format!(
                "The list has {} aliases; at most 5,000 can be added at once. Split it into smaller lists.",
                entries.len()
            )),
            ..AliasReport::default()
        };
    }
    let mut lines: Vec<AliasLine> = entries
        .into_iter()
        .map(|(number, line)| parse_alias_line(number, line, domain))
        .collect();
    flag_repeats(&mut lines);
    flag_paste_routes(&mut lines, domain);
    let mut report = AliasReport {
        lines,
        ..AliasReport::default()
    };
    report.count();
    report
}

fn parse_alias_line(number: usize, line: &str, domain: &str) -> AliasLine {
    let (name, rest) = line
        .split_once(|c: char| c.is_whitespace() || c == ',')
        .unwrap_or((line, ""));
    let mut problems = Vec::new();
    let address = match parse_username(name, domain) {
        Ok(local) => Some(format!("{local}@{}", domain.to_ascii_lowercase())),
        Err(check) => {
            problems.push(format!("Alias: {}", check.message));
            None
        }
    };
    let targets = match parse_targets(rest) {
        Ok(targets) => targets,
        Err(message) => {
            problems.push(format!("Targets: {message}"));
            Vec::new()
        }
    };
    if let Some(address) = &address {
        if targets.contains(address) {
            problems.push("Targets: an alias cannot deliver to itself".to_owned());
        }
    }
    AliasLine {
        number,
        address,
        targets,
        problems,
    }
}

fn flag_repeats(lines: &mut [AliasLine]) {
    let mut first: HashMap<String, usize> = HashMap::new();
    for line in lines.iter_mut() {
        let Some(address) = line.address.clone() else {
            continue;
        };
        match first.get(&address) {
            Some(earlier) => line
                .problems
                .push(format!("{address} is also on line {earlier}")),
            None => {
                first.insert(address, line.number);
            }
        }
    }
}

fn flag_paste_routes(lines: &mut [AliasLine], domain: &str) {
    let graph: HashMap<String, Vec<String>> = lines
        .iter()
        .filter(|line| line.problems.is_empty())
        .filter_map(|line| Some((line.address.clone()?, line.targets.clone())))
        .collect();
    let ready: Vec<&str> = lines
        .iter()
        .filter(|line| line.problems.is_empty())
        .filter_map(|line| line.address.as_deref())
        .collect();
    // A paste is at most 1 MiB, and the pass is linear in it: it needs no budget. Which
    // addresses are at other mail servers only the server knows: it checks that part.
    let Ok(problems) = check_routes(&graph, |_| false, &ready, || true) else {
        return;
    };
    // Every line without a problem has an address, so they pair with `ready` one to one.
    let ready_lines = lines.iter_mut().filter(|line| line.problems.is_empty());
    for (line, problem) in ready_lines.zip(problems) {
        if let Some(problem) = problem {
            line.problems.push(describe_route(&problem, domain));
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_are_checked_and_lowercased() {
        assert_eq!(
            parse_target(" Jane+News@Example.COM ").as_deref(),
            Ok("jane+news@example.com")
        );
        assert_eq!(
            parse_target("o'brien@x.test").as_deref(),
            Ok("o'brien@x.test")
        );
        for bad in [
            "",
            "jane",
            "@x.test",
            "jane@",
            "ja ne@x.test",
            "\"j\"@x.test",
            "a..b@x.test",
            ".a@x.test",
            "a@localhost",
            "a@x_y.test",
            "jäne@x.test",
        ] {
            assert!(parse_target(bad).is_err(), "{bad:?} accepted");
        }
        let message = parse_target("jane").unwrap_err();
        assert!(message.contains("needs an @"), "{message}");
    }

    #[test]
    fn a_target_or_a_list_too_long_is_refused_before_it_is_read() {
        let long = format!("{}@x.test", "a".repeat(4 << 20));
        assert_eq!(
            parse_target(&long),
            Err("An address can have at most 318 characters".to_owned())
        );
        assert_eq!(
            parse_targets(&long),
            Err("The list of addresses can have at most 16000 characters".to_owned())
        );
        assert!(parse_target("a\0b@x.test").unwrap_err().contains("NUL"));
    }

    #[test]
    fn target_lists_split_on_commas_spaces_and_lines_and_drop_repeats() {
        assert_eq!(
            parse_targets("a@x.test, B@x.test\nc@y.test a@x.test").unwrap(),
            ["a@x.test", "b@x.test", "c@y.test"]
        );
        assert!(parse_targets(" , \n").unwrap_err().contains("at least one"));
        let many: Vec<String> = (0..=TARGETS_MAX).map(|i| format!("u{i}@x.test")).collect();
        assert!(parse_targets(&many.join(","))
            .unwrap_err()
            .contains("at most 50"));
        let stored = join_targets(&parse_targets("a@x.test b@y.test").unwrap());
        assert_eq!(stored, "a@x.test, b@y.test");
        assert_eq!(split_targets(&stored), ["a@x.test", "b@y.test"]);
    }

    #[test]
    fn a_paste_reports_each_line() {
        let report = parse_alias_paste(
            "# sales team\nsales jane@example.test, bob@example.test\n\ninfo@example.test sales@example.test\nbad name x@y.test\nsales other@y.test\nself self@example.test\nloop1 loop2\nloop2 loop1@example.test\nnotargets\n",
            "example.test",
        );
        let problems = |n: usize| {
            report
                .lines
                .iter()
                .find(|l| l.number == n)
                .unwrap()
                .problems
                .clone()
        };
        assert!(problems(2).is_empty());
        assert_eq!(
            report.lines[0].targets,
            ["jane@example.test", "bob@example.test"]
        );
        assert!(problems(4).is_empty());
        assert!(!problems(5).is_empty());
        assert!(
            problems(6).iter().any(|p| p.contains("also on line 2")),
            "{:?}",
            problems(6)
        );
        assert!(problems(7).iter().any(|p| p.contains("itself")));
        assert!(
            problems(8)[0].starts_with("Targets:"),
            "loop2 is not a full address"
        );
        assert!(problems(10).iter().any(|p| p.contains("at least one")));
        assert!(!report.is_ready());
        assert_eq!(report.ready + report.need_attention, report.lines.len());
    }

    #[test]
    fn loops_within_a_paste_are_refused() {
        let report = parse_alias_paste("a b@x.test\nb a@x.test\nc a@x.test\n", "x.test");
        assert!(
            report.lines[0].problems[0].contains("a@x.test \u{2192} b@x.test \u{2192} a@x.test")
        );
        assert!(!report.lines[1].problems.is_empty());
        assert!(
            report.lines[2].problems.is_empty(),
            "c only leads into the loop"
        );
        let mut ok = parse_alias_paste("a b@x.test\n", "x.test");
        assert!(ok.is_ready());
        ok.add_problems(vec![(1, "taken".to_owned())]);
        assert!(!ok.is_ready());
        assert_eq!(ok.need_attention, 1);
    }
}
