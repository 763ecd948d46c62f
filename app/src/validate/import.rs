//! The operator's import file: comma-separated lines with the paste's columns (username or
//! address, password, password again, first name, last name) and a sixth, the quota in MB
//! (empty: the domain's default). A header line may add a `status` column (`active`, the
//! default, or `disabled`). It is read into the paste's own format, line for line, so
//! that [`parse_bulk`](super::parse_bulk) checks it with exactly the rules of "Add many
//! accounts" and reports the file's line numbers.
//!
//! A first line whose first cell is `username` or `address` names the columns instead, in any
//! order, and a file `vpostmaster export` wrote imports as it is: its `address` column gives
//! the username (the part before the `@`), whichever domain it names, its `usage bytes` and
//! `created` are passed over, and the `'` the export put before a cell that looked like a
//! formula is taken off again. A column the import does not know, or one named twice, refuses
//! the file: its lines would otherwise be read without it, and fail for the wrong reason.

use std::collections::{HashMap, HashSet};

use super::bulk::{csv_field, is_skipped, split_csv, split_lines};
use super::generate::starts_like_formula;
use super::quota::parse_quota_mb;

/// The columns of a file without a header line, in order.
const COLUMNS: [&str; 6] = [
    "username",
    "password",
    "password again",
    "first name",
    "last name",
    "quota",
];

/// An import file read into a paste.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImportText {
    /// The file's accounts as paste lines, at their line numbers (the header line blank).
    pub paste: String,
    /// The quota in MB of each line that gives one.
    pub quotas: HashMap<usize, u32>,
    /// The lines whose status says `disabled`: their accounts are added disabled.
    pub disabled: HashSet<usize>,
    /// "Line 3, quota: …" for each line with a problem only the import has, by line number.
    pub problems: Vec<(usize, String)>,
}

/// Columns of an export that an import passes over.
const PASSED_OVER: [&str; 2] = ["usage bytes", "created"];

/// Where the quota and the status are among a layout's cells, after the paste's five fields.
const QUOTA: usize = 5;
const STATUS: usize = 6;

/// Where each paste field, the quota and the status are found on a line.
struct Layout {
    /// Cell index of each paste field, then of the quota and the status.
    cells: [Option<usize>; 7],
    /// The address column holds full addresses: their domain is dropped.
    addresses: bool,
    /// Cells a line may have.
    width: usize,
}

impl Layout {
    fn plain() -> Self {
        Layout {
            cells: [
                Some(0),
                Some(1),
                Some(2),
                Some(3),
                Some(4),
                Some(QUOTA),
                None,
            ],
            addresses: false,
            width: COLUMNS.len(),
        }
    }

    /// The layout a header line names, `None` when the line holds an account, or why the
    /// header is refused.
    fn from_header(cells: &[String]) -> Option<Result<Self, String>> {
        let first = cells.first()?.trim().to_ascii_lowercase();
        if first != "username" && first != "address" {
            return None;
        }
        let mut layout = Layout {
            cells: [None; 7],
            addresses: false,
            width: usize::MAX,
        };
        for (index, name) in cells.iter().enumerate() {
            let name = name.trim().to_ascii_lowercase();
            let column = match name.as_str() {
                "address" => {
                    layout.addresses = true;
                    0
                }
                "quota mb" => QUOTA,
                "status" => STATUS,
                passed if PASSED_OVER.contains(&passed) => continue,
                other => match COLUMNS.iter().position(|column| *column == other) {
                    Some(column) => column,
                    None => return Some(Err(unknown_column(cells[index].trim()))),
                },
            };
            if layout.cells[column].replace(index).is_some() {
                return Some(Err(format!(
                    "Line 1: the column {:?} is named twice; name each column once.",
                    cells[index].trim()
                )));
            }
        }
        Some(Ok(layout))
    }
}

/// The refusal of a header naming a column the import does not know, with those it knows.
fn unknown_column(name: &str) -> String {
    let mut shown: String = name.chars().take(40).collect();
    if shown.len() < name.len() {
        shown.push('…');
    }
    format!(
        "Line 1: the import knows no column {shown:?}. Its columns are {}, or address instead \
         of username, quota MB for quota, and status; {} are passed over.",
        COLUMNS.join(", "),
        PASSED_OVER.join(" and ")
    )
}

/// Reads an import file (see the module docs). Fails only on a header it cannot follow; what
/// else is wrong is in `problems`, or left in the paste for its rules to report.
pub fn read_import(text: &str) -> Result<ImportText, String> {
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    let mut import = ImportText::default();
    let mut layout = Layout::plain();
    let mut lines = Vec::new();
    for (index, line) in split_lines(text).into_iter().enumerate() {
        let number = index + 1;
        if is_skipped(line) {
            lines.push(String::new());
            continue;
        }
        let split = split_csv(line);
        let cells: Vec<String> = split.fields.iter().map(|cell| cell.to_string()).collect();
        if number == 1 {
            if let Some(header) = Layout::from_header(&cells) {
                layout = header?;
                lines.push(String::new());
                continue;
            }
        }
        if let Some(problem) = split.problem {
            let message = problem.message.trim_end_matches('.');
            import
                .problems
                .push((number, format!("Line {number}: {message}.")));
        }
        if cells.len() > layout.width {
            import.problems.push((
                number,
                format!(
                    "Line {number}: Too many fields: give {}.",
                    COLUMNS.join(", ")
                ),
            ));
        }
        let cell = |column: usize| {
            layout.cells[column]
                .and_then(|index| cells.get(index))
                .map_or("", String::as_str)
        };
        let quota = cell(QUOTA).trim();
        if !quota.is_empty() {
            match parse_quota_mb(quota) {
                Ok(mb) => {
                    import.quotas.insert(number, mb);
                }
                Err(message) => {
                    let message = message.trim_end_matches('.');
                    import
                        .problems
                        .push((number, format!("Line {number}, quota: {message}.")));
                }
            }
        }
        match cell(STATUS).trim().to_ascii_lowercase().as_str() {
            "" | "active" => {}
            "disabled" => {
                import.disabled.insert(number);
            }
            _ => import.problems.push((
                number,
                format!("Line {number}, status: write active or disabled."),
            )),
        }
        let username = unmarked(cell(0));
        let username = match username.rsplit_once('@') {
            Some((local, _)) if layout.addresses => local,
            _ => username,
        };
        let fields = [
            username,
            cell(1),
            cell(2),
            unmarked(cell(3)),
            unmarked(cell(4)),
        ];
        let mut paste: Vec<String> = fields.iter().map(|field| csv_field(field)).collect();
        while paste.len() > 1 && paste.last().is_some_and(String::is_empty) {
            paste.pop();
        }
        // A trailing comma keeps a lone username in the comma-separated form.
        lines.push(format!("{},", paste.join(",")));
    }
    import.paste = lines.join("\n");
    Ok(import)
}

/// A cell without the `'` an export puts before a cell that looks like a formula.
fn unmarked(cell: &str) -> &str {
    match cell.strip_prefix('\'') {
        Some(rest) if starts_like_formula(rest) => rest,
        _ => cell,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::validate::{parse_bulk, BulkOptions};

    fn accounts(import: &ImportText) -> Vec<(usize, String, Option<String>, String, String)> {
        let options = BulkOptions {
            generate_missing: true,
        };
        let report = parse_bulk(&import.paste, "beta.test", options);
        assert_eq!(report.need_attention, 0, "{report:?}");
        report
            .lines
            .into_iter()
            .map(|line| {
                let account = line.account.expect("an account");
                (
                    line.number,
                    account.username,
                    account.password,
                    account.first_name,
                    account.last_name,
                )
            })
            .collect()
    }

    #[test]
    fn columns_without_a_header_are_the_paste_and_a_quota() {
        let import = read_import("jane,Tq7$mw2!Lp,Tq7$mw2!Lp,Jane,\"Doe, Jr\",250\nbob\n").unwrap();
        assert!(import.problems.is_empty());
        assert_eq!(import.quotas, HashMap::from([(1, 250)]));
        assert_eq!(
            accounts(&import),
            vec![
                (
                    1,
                    "jane".into(),
                    Some("Tq7$mw2!Lp".into()),
                    "Jane".into(),
                    "Doe, Jr".into()
                ),
                (2, "bob".into(), None, String::new(), String::new()),
            ]
        );
    }

    #[test]
    fn an_export_imports_into_another_domain_with_its_names_unmarked() {
        let export = "\"address\",\"first name\",\"last name\",\"status\",\"quota MB\",\"usage bytes\",\"created\"\r\n\
                      \"ann@alpha.test\",\"'=cmd()\",\"Smith\",\"active\",\"0\",\"\",\"2026-01-02T03:04:05Z\"\r\n";
        let import = read_import(export).unwrap();
        assert!(import.problems.is_empty(), "{:?}", import.problems);
        assert_eq!(import.quotas, HashMap::from([(2, 0)]));
        assert_eq!(
            accounts(&import),
            vec![(2, "ann".into(), None, "=cmd()".into(), "Smith".into())]
        );
    }

    #[test]
    fn a_status_column_disables_its_lines_and_refuses_other_words() {
        let import =
            read_import("address,status\nann@alpha.test,Disabled\nbob,active\ncarl,\ndora,gone\n")
                .unwrap();
        assert_eq!(import.disabled, HashSet::from([2]));
        assert_eq!(
            import.problems,
            vec![(5, "Line 5, status: write active or disabled.".to_string())]
        );
    }

    #[test]
    fn a_header_with_a_column_it_does_not_know_or_twice_is_refused() {
        for header in [
            "username,password,password_again,first name",
            "username,password,password again,first_name",
            "Address,Password,PASSWORD,quota",
        ] {
            let refused = read_import(&format!("{header}\nann,Tq7$mw2!Lp,Tq7$mw2!Lp\n"));
            let message = refused.unwrap_err();
            assert!(message.starts_with("Line 1: the "), "{message}");
        }
        let message = read_import("username,password,password_again\n").unwrap_err();
        assert_eq!(
            message,
            "Line 1: the import knows no column \"password_again\". Its columns are username, \
             password, password again, first name, last name, quota, or address instead of \
             username, quota MB for quota, and status; usage bytes and created are passed over."
        );
        assert!(read_import("Username, Password , Password Again,Quota MB,Status\n").is_ok());
    }

    #[test]
    fn a_bad_quota_and_extra_cells_are_problems_of_their_line() {
        let import = read_import("# comment\njane,,,,,lots\nbob,,,,,1,2\n").unwrap();
        assert_eq!(
            import.problems.iter().map(|(n, _)| *n).collect::<Vec<_>>(),
            vec![2, 3]
        );
        assert!(import.problems[0].1.starts_with("Line 2, quota: "));
        assert!(import.problems[1].1.starts_with("Line 3: Too many fields"));
    }
}
