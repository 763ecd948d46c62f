//! The live report beside a paste box (Add many accounts, Add many aliases): per line its
//! number, what it adds, and a tick or each problem, with the counts on top.

use leptos::prelude::*;

use crate::validate::{AliasReport, BulkReport};
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

impl From<BulkReport> for PasteReport {
    fn from(report: BulkReport) -> Self {
        let said = |problem: crate::validate::Problem| {
            format!("{}: {}", problem.field.label(), problem.message)
        };
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
