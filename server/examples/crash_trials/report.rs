//! The figures as markdown, printed and written into their section of docs/reliability.md.

use std::path::Path;
use std::process::Command;
use std::time::Duration;

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
         Run on {date}, {total:.0} s in all, on {machine}; {rust}.\n",
        date = output("date", &["-u", "+%Y-%m-%d %H:%M UTC"]),
        total = took.as_secs_f64(),
        machine = machine(),
        rust = output("rustc", &["--version"]),
    );
    write_section("crash", &markdown);
}

fn output(program: &str, args: &[&str]) -> String {
    Command::new(program)
        .args(args)
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// "a machine with 2 cores (nproc 2, model), 23 GiB of memory, shared with other builds".
fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024 / 1024);
    format!(
        "a machine with {} cores ({model}), {memory} GiB of memory, shared with other builds",
        output("nproc", &[])
    )
}

/// Puts `markdown` between `<!-- name -->` and `<!-- /name -->` in docs/reliability.md,
/// replacing an earlier run's and leaving the other sections alone, and prints it.
fn write_section(name: &str, markdown: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/reliability.md");
    let begin = format!("<!-- {name} -->");
    let end = format!("<!-- /{name} -->");
    let block = format!("{begin}\n{}\n{end}", markdown.trim());
    let text = std::fs::read_to_string(&file).unwrap_or_else(|_| "# Reliability\n".to_owned());
    let text = match (text.find(&begin), text.find(&end)) {
        (Some(from), Some(to)) if to > from => {
            format!("{}{block}{}", &text[..from], &text[to + end.len()..])
        }
        _ => format!("{}\n\n{block}\n", text.trim_end()),
    };
    std::fs::write(&file, text).unwrap();
    println!("{markdown}");
}
