//! The live report beside the "Add many aliases" box: per line its number, the alias, and a
//! tick or each problem, with the counts on top.

use leptos::prelude::*;

use crate::validate::{AliasLine, AliasReport};

/// Ready lines listed in full; past this only their number is given, to stay fast.
const READY_SHOWN: usize = 100;

/// The report of a parsed paste; nothing while the box is empty.
#[component]
pub fn AliasReportView(#[prop(into)] report: Signal<AliasReport>) -> impl IntoView {
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
        let lines: Vec<AliasLine> = report
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
                <ol class="report__lines">
                    {lines.into_iter().map(|line| view! { <ReportLine line/> }).collect_view()}
                </ol>
                {(ready_hidden > 0).then(|| view! { <p class="muted">{format!("and {ready_hidden} more ready lines")}</p> })}
            </div>
        }
        .into_any()
    }
}

#[component]
fn ReportLine(line: AliasLine) -> impl IntoView {
    let ok = line.problems.is_empty();
    let who = line.address.unwrap_or_else(|| "—".to_owned());
    let to = (!line.targets.is_empty()).then(|| format!("→ {}", line.targets.join(", ")));
    view! {
        <li class="report__line" class:report__line--bad=!ok>
            <span class="report__number">{format!("Line {}", line.number)}</span>
            <span class="report__user">{who}</span>
            {ok.then(|| view! { <span class="report__ok" aria-label="ready">"✓"</span> })}
            {to.map(|to| view! { <span class="muted">{to}</span> })}
            <ul class="report__problems">
                {line.problems.into_iter().map(|problem| view! { <li class="report__problem">{problem}</li> }).collect_view()}
            </ul>
        </li>
    }
}
