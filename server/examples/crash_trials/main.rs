//! The crash part of the reliability suite: kill -9 in the middle of a bulk add, a delete, a
//! restore, a purge and a rebuild, 100 trials each, then start as the server starts and check
//! that each change happened whole or not at all. Writes its figures into docs/reliability.md
//! between `<!-- crash -->` markers: `cargo run --release -p server --example crash_trials`
//! (`-- --trials N` for a shorter run).
//!
//! Each trial prepares a fresh data directory, then runs the operation in a child process
//! (this program again, as `child <operation> <data dir>`), which says `ready` once it is set
//! up and `done` once the operation has returned. The parent sends SIGKILL at a moment drawn
//! uniformly over the operation's uncut duration, measured once first.

#[path = "../../tests/support/mod.rs"]
mod support;

mod check;
mod child;
#[path = "../shared/figures.rs"]
mod figures;
mod operation;
mod report;

use std::io::{BufRead, BufReader, Read};
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use operation::Operation;
use tempfile::TempDir;

const TRIALS: usize = 100;
/// Seeds the kill points, so that a run repeats.
const SEED: u64 = 13;

/// What the trials of one operation found.
pub struct Tally {
    pub operation: Operation,
    /// The operation's duration without a kill, from `ready` to `done`.
    pub uncut: Duration,
    pub trials: usize,
    pub before_commit: usize,
    pub after_commit: usize,
    /// The child said `done` before the kill reached it.
    pub finished: usize,
    /// Trials after which the start removed Maildirs the kill left behind.
    pub cleaned_up: usize,
    pub failures: Vec<String>,
}

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("child") {
        let operation = Operation::parse(&args[1]).expect("an operation");
        child::run(operation, Path::new(&args[2]));
        return;
    }
    let trials = match args.as_slice() {
        [flag, n] if flag == "--trials" => n.parse().expect("a number of trials"),
        _ => TRIALS,
    };
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let started = Instant::now();
    let mut random = Random(SEED);
    let mut tallies = Vec::new();
    for operation in Operation::ALL {
        let uncut = measure(&runtime, operation);
        println!("{}: uncut {:.1} ms", operation.name(), millis(uncut));
        let mut tally = Tally {
            operation,
            uncut,
            trials,
            before_commit: 0,
            after_commit: 0,
            finished: 0,
            cleaned_up: 0,
            failures: Vec::new(),
        };
        for trial in 1..=trials {
            let delay = uncut.mul_f64(random.unit());
            let dir = TempDir::new().unwrap();
            let data = dir.path().join("data");
            runtime.block_on(operation.prepare(&data));
            let (finished, _) = run_child(operation, &data, Some(delay));
            let verdict = runtime.block_on(check::after_start(operation, &data));
            if finished {
                tally.finished += 1;
            } else if verdict.committed {
                tally.after_commit += 1;
            } else {
                tally.before_commit += 1;
            }
            if verdict.removed > 0 {
                tally.cleaned_up += 1;
            }
            for failure in verdict.failures {
                let line = format!(
                    "{} trial {trial} (kill at {:.2} ms): {failure}",
                    operation.name(),
                    millis(delay)
                );
                eprintln!("{line}");
                tally.failures.push(line);
            }
        }
        println!(
            "{}: {} trials, {} killed before commit, {} after, {} finished first, {} failures",
            operation.name(),
            trials,
            tally.before_commit,
            tally.after_commit,
            tally.finished,
            tally.failures.len()
        );
        tallies.push(tally);
    }
    report::write(&tallies, started.elapsed(), SEED);
    let failures: usize = tallies.iter().map(|tally| tally.failures.len()).sum();
    if failures > 0 {
        eprintln!("{failures} failures");
        std::process::exit(1);
    }
}

/// The operation's duration uncut: the median of three runs, each checked like a trial.
fn measure(runtime: &tokio::runtime::Runtime, operation: Operation) -> Duration {
    let mut runs: Vec<Duration> = (0..3)
        .map(|_| {
            let dir = TempDir::new().unwrap();
            let data = dir.path().join("data");
            runtime.block_on(operation.prepare(&data));
            let (done, took) = run_child(operation, &data, None);
            assert!(done, "the uncut run finishes");
            let verdict = runtime.block_on(check::after_start(operation, &data));
            assert!(verdict.committed, "the uncut run commits");
            assert!(verdict.failures.is_empty(), "{:?}", verdict.failures);
            took
        })
        .collect();
    runs.sort();
    runs[1]
}

/// Runs the operation in a child; with a delay, kills it that long after it is ready.
/// Returns whether the operation returned before the kill, and how long it took from
/// `ready` to `done` when it was not killed.
fn run_child(operation: Operation, data: &Path, kill_after: Option<Duration>) -> (bool, Duration) {
    let mut child = Command::new(std::env::current_exe().unwrap())
        .args(["child", operation.name()])
        .arg(data)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let mut out = BufReader::new(child.stdout.take().unwrap());
    let mut line = String::new();
    out.read_line(&mut line).unwrap();
    assert_eq!(line.trim(), "ready", "the child sets up");
    let ready = Instant::now();
    let took = match kill_after {
        Some(delay) => {
            std::thread::sleep(delay);
            child.kill().unwrap();
            Duration::ZERO
        }
        None => {
            line.clear();
            out.read_line(&mut line).unwrap();
            ready.elapsed()
        }
    };
    let status = child.wait().unwrap();
    out.read_to_string(&mut line).unwrap();
    if kill_after.is_none() {
        assert!(status.success(), "the child fails uncut: {line}");
    }
    (line.lines().any(|line| line == "done"), took)
}

fn millis(duration: Duration) -> f64 {
    duration.as_secs_f64() * 1000.0
}

/// xorshift64*: kill points only need to be spread and repeatable.
struct Random(u64);

impl Random {
    /// A number in [0, 1).
    fn unit(&mut self) -> f64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        let drawn = self.0.wrapping_mul(0x2545_f491_4f6c_dd1d);
        (drawn >> 11) as f64 / (1u64 << 53) as f64
    }
}
