//! The live report beside a paste box (Add many accounts, Add many aliases): per line its
//! number, what it adds, and a tick or each problem, with the counts on top.

use html_escape::encode_text as text;

use crate::error::FormRefusal;
use crate::validate::{split_lines, AliasReport, BulkReport, Field};
use crate::words::counted;

/// Ready lines listed in full; past this only their number is given, to stay fast.
const READY_SHOWN: usize = 100;

/// A paste's verdict as the report shows it, whatever the paste adds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasteReport {
    pub ready: usize,
    pub need_attention: usize,
    /// The whole paste is refused, and why.
    pub too_big: Option<String>,
    /// A line left out on purpose, and why (a spreadsheet's column headings).
    pub skipped: Option<String>,
    pub lines: Vec<PasteLine>,
}

/// One line of a [`PasteReport`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PasteLine {
    pub number: usize,
    /// What the line adds, when that part is valid (a username, an alias).
    pub adds: Option<String>,
    /// More about it, such as an alias's targets.
    pub note: Option<String>,
    pub problems: Vec<String>,
    pub warnings: Vec<String>,
}

/// A problem of a line as the report says it: "username: …", or the message alone when it
/// concerns the whole line.
fn said(field: Field, message: &str) -> String {
    match field {
        Field::Line => message.to_owned(),
        field => format!("{}: {message}", field.label()),
    }
}

/// A line the server refused, as it was posted, and why. Its problems stay on it while the
/// same line is in the box, wherever it moves as lines are added or removed above it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RefusedLine {
    text: String,
    problems: Vec<String>,
}

/// The lines of `posted` that `refused` names, with their problems.
pub fn refused_lines(refused: &FormRefusal, posted: &str) -> Vec<RefusedLine> {
    let lines = split_lines(posted.strip_prefix('\u{feff}').unwrap_or(posted));
    let mut refused_lines: Vec<RefusedLine> = Vec::new();
    for problem in refused.line_problems() {
        let Some(text) = problem
            .line
            .and_then(|number| lines.get(number.wrapping_sub(1)))
        else {
            continue;
        };
        let said = said(problem.field, &problem.message);
        match refused_lines.iter_mut().find(|line| line.text == *text) {
            Some(line) => line.problems.push(said),
            None => refused_lines.push(RefusedLine {
                text: (*text).to_owned(),
                problems: vec![said],
            }),
        }
    }
    refused_lines
}

impl PasteReport {
    /// This report of `text` with the server's problems added to the lines it refused that
    /// are still in the box, and the counts to match: a line the server refused is never
    /// shown as ready.
    pub fn with_refused(mut self, text: &str, refused: &[RefusedLine]) -> Self {
        if refused.is_empty() {
            return self;
        }
        let lines = split_lines(text.strip_prefix('\u{feff}').unwrap_or(text));
        for line in &mut self.lines {
            let Some(now) = lines.get(line.number.wrapping_sub(1)) else {
                continue;
            };
            let Some(refusal) = refused.iter().find(|refusal| refusal.text == *now) else {
                continue;
            };
            if line.problems.is_empty() {
                self.ready -= 1;
                self.need_attention += 1;
            }
            for problem in &refusal.problems {
                if !line.problems.contains(problem) {
                    line.problems.push(problem.clone());
                }
            }
        }
        self
    }
}

impl From<BulkReport> for PasteReport {
    fn from(report: BulkReport) -> Self {
        let said = |problem: crate::validate::Problem| said(problem.field, &problem.message);
        PasteReport {
            ready: report.ready,
            need_attention: report.need_attention,
            too_big: report.too_big,
            skipped: report
                .header
                .map(|number| format!("Line {number} holds column headings, so it is skipped.")),
            lines: report
                .lines
                .into_iter()
                .map(|line| PasteLine {
                    number: line.number,
                    adds: line.username,
                    note: None,
                    problems: line.problems.into_iter().map(said).collect(),
                    warnings: line.warnings.into_iter().map(said).collect(),
                })
                .collect(),
        }
    }
}

impl From<AliasReport> for PasteReport {
    fn from(report: AliasReport) -> Self {
        PasteReport {
            ready: report.ready,
            need_attention: report.need_attention,
            too_big: report.too_big,
            skipped: None,
            lines: report
                .lines
                .into_iter()
                .map(|line| PasteLine {
                    number: line.number,
                    adds: line.address,
                    note: (!line.targets.is_empty())
                        .then(|| format!("\u{2192} {}", line.targets.join(", "))),
                    problems: line.problems,
                    warnings: Vec::new(),
                })
                .collect(),
        }
    }
}

/// The report of a parsed paste as HTML, escaped as Leptos escapes text; empty while the box is
/// empty. It is written as one piece rather than a view per line: the report is drawn afresh
/// on every change anyway, and a view per line was most of the paste box's weight in the
/// browser bundle.
pub fn report_html(report: PasteReport) -> String {
    let mut html = String::new();
    if let Some(message) = report.too_big {
        html.push_str("<p class=\"alert alert--error\" role=\"alert\">");
        html.push_str(&text(&message));
        html.push_str("</p>");
        return html;
    }
    if report.lines.is_empty() {
        return html;
    }
    let bad = if report.need_attention > 0 {
        " report__counts--bad"
    } else {
        ""
    };
    html.push_str(&format!(
        "<div class=\"report\"><p class=\"report__counts{bad}\">{} ready, {} need attention</p>",
        report.ready, report.need_attention
    ));
    if let Some(why) = report.skipped {
        muted(&mut html, &why);
    }
    html.push_str("<ol class=\"report__lines\">");
    let mut ready_left = READY_SHOWN;
    for line in report.lines {
        let ok = line.problems.is_empty();
        if ok {
            if ready_left == 0 {
                continue;
            }
            ready_left -= 1;
        }
        line_html(&mut html, line, ok);
    }
    html.push_str("</ol>");
    let ready_hidden = report.ready.saturating_sub(READY_SHOWN);
    if ready_hidden > 0 {
        let more = counted(ready_hidden as u64, "line", "lines");
        muted(&mut html, &format!("and {more} more ready"));
    }
    html.push_str("</div>");
    html
}

/// A muted paragraph of `said`.
fn muted(html: &mut String, said: &str) {
    html.push_str("<p class=\"muted\">");
    html.push_str(&text(said));
    html.push_str("</p>");
}

/// One line of the report: its number, what it adds, a tick when it is ready, and its problems
/// and warnings.
fn line_html(html: &mut String, line: PasteLine, ok: bool) {
    let bad = if ok { "" } else { " report__line--bad" };
    let who = line.adds.as_deref().unwrap_or("\u{2014}");
    html.push_str(&format!(
        "<li class=\"report__line{bad}\"><span class=\"report__number\">Line {}</span>\
         <span class=\"report__user\">{}</span>",
        line.number,
        text(who)
    ));
    if let Some(note) = line.note {
        html.push_str("<span class=\"muted\">");
        html.push_str(&text(&note));
        html.push_str("</span>");
    }
    if ok {
        html.push_str("<span class=\"report__ok\" aria-label=\"ready\">✓</span>");
    }
    html.push_str("<ul class=\"report__problems\">");
    for (class, said) in line
        .problems
        .iter()
        .map(|problem| ("report__problem", problem))
        .chain(
            line.warnings
                .iter()
                .map(|warning| ("report__warning", warning)),
        )
    {
        html.push_str(&format!("<li class=\"{class}\">{}</li>", text(said)));
    }
    html.push_str("</ul></li>");
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::error::AppError;
    use crate::validate::{parse_bulk, BulkOptions, FieldProblem};

    fn report(text: &str) -> PasteReport {
        PasteReport::from(parse_bulk(text, "example.test", BulkOptions::default()))
    }

    #[test]
    fn the_report_is_escaped_html_with_a_tick_or_the_problems_of_each_line() {
        let html = report_html(report("ann Sunny#day42 Sunny#day42\n<b>&x"));
        assert!(html.starts_with(
            "<div class=\"report\"><p class=\"report__counts report__counts--bad\">\
             1 ready, 1 need attention</p><ol class=\"report__lines\">\
             <li class=\"report__line\"><span class=\"report__number\">Line 1</span>\
             <span class=\"report__user\">ann</span>\
             <span class=\"report__ok\" aria-label=\"ready\">✓</span>\
             <ul class=\"report__problems\"></ul></li>\
             <li class=\"report__line report__line--bad\"><span class=\"report__number\">Line 2</span>"
        ), "{html}");
        assert!(html.ends_with("</ul></li></ol></div>"), "{html}");
        // What was typed is text, never markup.
        let typed = PasteReport {
            need_attention: 1,
            lines: vec![PasteLine {
                number: 1,
                adds: Some("<b>&x".to_owned()),
                problems: vec!["<i>".to_owned()],
                ..PasteLine::default()
            }],
            ..PasteReport::default()
        };
        let html = report_html(typed);
        assert!(!html.contains("<b>") && !html.contains("<i>"), "{html}");
        assert!(
            html.contains("&lt;b&gt;&amp;x") && html.contains("&lt;i&gt;"),
            "{html}"
        );
        assert_eq!(report_html(report("")), "");
    }

    #[test]
    fn a_refused_line_is_marked_wherever_it_moves_and_counted() {
        let posted = "ann Sunny#day42 Sunny#day42\nbob Rainy#day42 Rainy#day42";
        let taken = FieldProblem {
            line: Some(2),
            ..FieldProblem::new(
                Field::Username,
                None,
                "bob@example.test is already an account",
            )
        };
        let refused = FormRefusal::from(AppError::refuse(vec![taken]).unwrap_err());
        let refused = refused_lines(&refused, posted);

        let shown = report(posted).with_refused(posted, &refused);
        assert_eq!((shown.ready, shown.need_attention), (1, 1));
        assert_eq!(
            shown.lines[1].problems,
            ["username: bob@example.test is already an account"]
        );

        // A line added above moves it; the problem goes with it.
        let moved = format!("carl Windy#day42 Windy#day42\n{posted}");
        let shown = report(&moved).with_refused(&moved, &refused);
        assert_eq!((shown.ready, shown.need_attention), (2, 1));
        assert_eq!(shown.lines[2].problems.len(), 1);

        // Changed or removed, it is checked afresh.
        let fixed = "ann Sunny#day42 Sunny#day42\nbobby Rainy#day42 Rainy#day42";
        let shown = report(fixed).with_refused(fixed, &refused);
        assert_eq!((shown.ready, shown.need_attention), (2, 0));
    }
}
