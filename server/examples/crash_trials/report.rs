//! The figures as markdown, printed and written into their section of docs/reliability.md.

use std::time::Duration;

use crate::figures::{command_output, load_average, machine, write_section};
use crate::Tally;

pub fn write(tallies: &[Tally], took: Duration, seed: u64) {
    let mut rows = String::new();
    for tally in tallies {
        rows.push_str(&format!(
            "| {} | {} | {:.1} ms | {} | {} | {} | {} | {} |\n",
            tally.operation.name(),
            tally.trials,
            tally.uncut.as_secs_f64() * 1000.0,
            tally.before_commit,
            tally.after_commit,
            tally.finished,
            tally.cleaned_up,
            tally.failures.len(),
        ));
    }
    let operations: String = tallies
        .iter()
        .map(|tally| {
            format!(
                "- **{}**: {}.\n",
                tally.operation.name(),
                tally.operation.description()
            )
        })
        .collect();
    let failures: Vec<&String> = tallies.iter().flat_map(|tally| &tally.failures).collect();
    let failures = if failures.is_empty() {
        "No trial failed.".to_owned()
    } else {
        let lines: String = failures.iter().map(|line| format!("- {line}\n")).collect();
        format!("Failed trials:\n\n{lines}")
    };
    let markdown = format!(
        "## Crash: kill -9 in the middle of a change\n\n\
         `make reliability-crash` (`cargo run --release -p server --example crash_trials`) runs \
         each operation in a child process over a fresh data directory, with the services and \
         the router the server uses, and sends it SIGKILL. Then it starts as the server starts \
         (opens and migrates the database, reconciles the mail store) and checks: \
         `PRAGMA integrity_check` answers `ok`; the change is all there or not at all, its \
         audit rows with it; no live account lacks its Maildir, no deleted one lost it, and no \
         Maildir on disk is without its account; every message is still where it was.\n\n\
         {operations}\n\
         Kill points: the uncut duration of each operation is measured first (the median of \
         three runs, from the moment the child is set up to the moment the operation returns); \
         each trial then kills the child at a moment drawn uniformly between 0 and that \
         duration (xorshift64* seeded with {seed}, so a run repeats its kill points). Whether a \
         trial was killed before or after the commit is read from the data: the rows and audit \
         rows of the change are there or not; a trial whose operation returned before the kill \
         landed is counted apart. A kill between an add's new Maildirs and its commit, or \
         between a purge's commit and the removal of its Maildirs, leaves folders without rows; \
         both list those folders for removal in the database first, and the start removes \
         them (the column says in how many trials it had to).\n\n\
         | operation | trials | uncut | killed before commit | killed after commit | \
         finished before the kill | start removed left-over Maildirs | failures |\n\
         | --- | --- | --- | --- | --- | --- | --- | --- |\n\
         {rows}\n\
         {failures}\n\n\
         Run on {date}, {total:.0} s in all, on {machine}, 1-minute load average {load} at \
         the end; {rust}.\n",
        date = command_output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        total = took.as_secs_f64(),
        machine = machine(),
        load = load_average(),
        rust = command_output("rustc", &["--version"]),
    );
    write_section("reliability.md", "crash", &markdown);
}
