//! Writing CSV for spreadsheets (RFC 4180), shared by every download and the command line.

use crate::validate::starts_like_formula;

/// One cell, quoted, with any `"` doubled, so that no character of it can end the cell or the
/// row. A cell that a spreadsheet would run as a formula gets a leading `'`, which makes it
/// text (see [`starts_like_formula`]); a generated password never starts so, and names and
/// addresses are read by people, so the mark changes nothing anyone relies on.
pub fn cell(text: &str) -> String {
    let mark = if starts_like_formula(text) { "'" } else { "" };
    format!("\"{mark}{}\"", text.replace('"', "\"\""))
}

/// One row of cells (see [`cell`]), ended by CRLF as RFC 4180 asks.
pub fn row<S: AsRef<str>>(cells: &[S]) -> String {
    let mut line = cells
        .iter()
        .map(|text| cell(text.as_ref()))
        .collect::<Vec<_>>()
        .join(",");
    line.push_str("\r\n");
    line
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_cell_that_starts_like_a_formula_is_made_text_and_quotes_are_doubled() {
        assert_eq!(cell("=HYPERLINK(\"x\")"), "\"'=HYPERLINK(\"\"x\"\")\"");
        for text in ["+1", "-1", "@SUM(A1)", "\t=1", "\r=1"] {
            assert_eq!(cell(text), format!("\"'{text}\""));
        }
        assert_eq!(cell("a,b"), "\"a,b\"");
        assert_eq!(cell("jane@example.test"), "\"jane@example.test\"");
        assert_eq!(cell("line\nbreak"), "\"line\nbreak\"");
    }

    #[test]
    fn a_row_joins_quoted_cells_and_ends_with_crlf() {
        assert_eq!(row(&["a", "=b", ""]), "\"a\",\"'=b\",\"\"\r\n");
    }
}
