//! What every benchmark and reliability program writes beside its figures: the machine, how
//! busy it was, and its section of a document under docs/.

#![allow(dead_code)] // each program uses its own subset

use std::io::Write;
use std::path::Path;

/// The 1-minute load average: the figures are only as good as the machine was idle.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|text| text.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}

/// "a machine with 2 cores (model), 23 GiB of memory".
pub fn machine() -> String {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|line| line.strip_prefix("model name"))
        .map(|rest| rest.trim_start_matches([' ', '\t', ':']).to_owned())
        .unwrap_or_default();
    let cores = std::thread::available_parallelism().map_or(1, |n| n.get());
    let memory = std::fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|text| {
            text.lines()
                .find_map(|line| line.strip_prefix("MemTotal:"))
                .and_then(|rest| rest.split_whitespace().next()?.parse::<u64>().ok())
        })
        .map_or(0, |kib| kib / 1024 / 1024);
    format!("a machine with {cores} cores ({model}), {memory} GiB of memory")
}

/// Puts `markdown` between `<!-- name -->` and `<!-- /name -->` in `docs/<doc>`, replacing an
/// earlier run's and leaving the other sections alone, and prints it.
pub fn write_section(doc: &str, name: &str, markdown: &str) {
    let file = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../docs")
        .join(doc);
    let begin = format!("<!-- {name} -->");
    let end = format!("<!-- /{name} -->");
    let block = format!("{begin}\n{}\n{end}", markdown.trim());
    let text = std::fs::read_to_string(&file).unwrap_or_default();
    let text = match (text.find(&begin), text.find(&end)) {
        (Some(from), Some(to)) if to > from => {
            format!("{}{block}{}", &text[..from], &text[to + end.len()..])
        }
        _ => format!("{}\n\n{block}\n", text.trim_end()),
    };
    std::fs::write(&file, text).unwrap();
    std::io::stdout().write_all(markdown.as_bytes()).unwrap();
    println!();
}

/// The `index`th word of what `program` prints, or nothing when it cannot run.
pub fn command_word(program: &str, args: &[&str], index: usize) -> String {
    command_output(program, args)
        .split_whitespace()
        .nth(index)
        .unwrap_or("")
        .to_owned()
}

/// What `program` prints, trimmed; empty when it cannot run.
pub fn command_output(program: &str, args: &[&str]) -> String {
    std::process::Command::new(program)
        .args(args)
        .output()
        .map(|out| String::from_utf8_lossy(&out.stdout).trim().to_owned())
        .unwrap_or_default()
}

/// The `p`th percentile of `values` (sorted in place); NaN when there are none.
pub fn percentile(values: &mut [f64], p: usize) -> f64 {
    if values.is_empty() {
        return f64::NAN;
    }
    values.sort_by(f64::total_cmp);
    values[(values.len() * p / 100).min(values.len() - 1)]
}

/// `n` with thousands separated by commas: 100,000.
pub fn thousands(n: usize) -> String {
    let digits = n.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}
