//! The live report beside a paste box (Add many accounts, Add many aliases): per line its
//! number, what it adds, and a tick or each problem, with the counts on top.

use leptos::prelude::*;

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

/// The report of a parsed paste; nothing while the box is empty.
#[component]
pub fn BulkReportView(#[prop(into)] report: Signal<PasteReport>) -> impl IntoView {
    move || {
        let report = report.get();
        if let Some(message) = report.too_big {
            return view! { <p class="alert alert--error" role="alert">{message}</p> }.into_any();
        }
        if report.lines.is_empty() {
            return ().into_any();
        }
        let counts = format!(
            "{} ready, {} need attention",
            report.ready, report.need_attention
        );
        let bad = report.need_attention > 0;
        let ready_hidden = report.ready.saturating_sub(READY_SHOWN);
        let mut ready_left = READY_SHOWN;
        let lines: Vec<PasteLine> = report
            .lines
            .into_iter()
            .filter(|line| {
                if !line.problems.is_empty() {
                    return true;
                }
                let keep = ready_left > 0;
                ready_left = ready_left.saturating_sub(1);
                keep
            })
            .collect();
        view! {
            <div class="report">
                <p class="report__counts" class:report__counts--bad=bad>{counts}</p>
                {report.skipped.map(|why| view! { <p class="muted">{why}</p> })}
                <ol class="report__lines">
                    {lines.into_iter().map(|line| view! { <ReportLine line/> }).collect_view()}
                </ol>
                {(ready_hidden > 0).then(|| view! { <p class="muted">{format!("and {} more ready", counted(ready_hidden as u64, "line", "lines"))}</p> })}
            </div>
        }
        .into_any()
    }
}

#[component]
fn ReportLine(line: PasteLine) -> impl IntoView {
    let ok = line.problems.is_empty();
    let who = line.adds.unwrap_or_else(|| "\u{2014}".to_owned());
    view! {
        <li class="report__line" class:report__line--bad=!ok>
            <span class="report__number">{format!("Line {}", line.number)}</span>
            <span class="report__user">{who}</span>
            {line.note.map(|note| view! { <span class="muted">{note}</span> })}
            {ok.then(|| view! { <span class="report__ok" aria-label="ready">"✓"</span> })}
            <ul class="report__problems">
                {line.problems.into_iter().map(|problem| view! { <li class="report__problem">{problem}</li> }).collect_view()}
                {line.warnings.into_iter().map(|warning| view! { <li class="report__warning">{warning}</li> }).collect_view()}
            </ul>
        </li>
    }
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
