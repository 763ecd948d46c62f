//! A time and memory budget for each case of a fuzz target, so that a case whose work grows
//! faster than its input (a cubic loop check, a copy per step) fails as that case instead of
//! passing slowly. Memory is the process's own resident set, read from /proc: the router runs
//! in the test's process, so the server is this process.

use std::sync::Mutex;
use std::time::{Duration, Instant};

/// Wall time one case may take. The slowest ordinary cases (a body near the 4 MiB limit, an
/// Argon2id verification, a page of a full list) took at most 0.3 s in a debug build on two
/// cores at a load average of 10; the suites run side by side in CI, so 5 s leaves a wide
/// margin and never flakes, while a case whose work grows with the cube of its input takes
/// minutes, far past it.
pub const CASE_TIME: Duration = Duration::from_secs(5);

/// How far the resident set may rise above where it was when a case began, at its peak during
/// the case. Ordinary cases peaked under 40 MiB (a body of a few MiB read, parsed and copied a
/// few times; Argon2id's 19 MiB per hash); the other tests of the file run beside the fuzz
/// target in this process, hashing too, so 256 MiB leaves room for both, while a case whose
/// memory grows faster than its input (a copy of the path at every step of a loop) goes far
/// past it.
pub const CASE_MEMORY_KIB: u64 = 256 * 1024;

/// What one case spent.
#[derive(Debug, Clone, Copy, Default)]
pub struct Spent {
    pub time: Duration,
    /// The rise of the resident set's peak over its size when the case began.
    pub peak_kib: u64,
}

/// The budget of every case of one target, and the most any case has spent so far.
#[derive(Default)]
pub struct Budget {
    worst: Mutex<(Spent, u32)>,
}

impl Budget {
    /// Runs one case and measures it. Fails, naming what the case spent, when it went over
    /// [`CASE_TIME`] or [`CASE_MEMORY_KIB`].
    pub fn run<T>(&self, case: impl FnOnce() -> T) -> Result<T, String> {
        // Writing 5 sets the peak (VmHWM) back to the present size, so the peak read after the
        // case is this case's.
        let _ = std::fs::write("/proc/self/clear_refs", "5");
        let before = status_kib("VmRSS:");
        let started = Instant::now();
        let value = case();
        let spent = Spent {
            time: started.elapsed(),
            peak_kib: status_kib("VmHWM:").saturating_sub(before),
        };
        {
            let mut worst = self.worst.lock().unwrap_or_else(|e| e.into_inner());
            worst.0.time = worst.0.time.max(spent.time);
            worst.0.peak_kib = worst.0.peak_kib.max(spent.peak_kib);
            worst.1 += 1;
        }
        if spent.time > CASE_TIME || spent.peak_kib > CASE_MEMORY_KIB {
            return Err(format!(
                "over its budget ({} s, {} MiB): took {:.1} s, and memory rose by {} MiB",
                CASE_TIME.as_secs(),
                CASE_MEMORY_KIB / 1024,
                spent.time.as_secs_f64(),
                spent.peak_kib / 1024
            ));
        }
        Ok(value)
    }

    /// Prints the number of cases and the most one of them took, in time and memory, for
    /// `make reliability-fuzz` to record.
    pub fn report(&self, target: &str, total: Duration) {
        let (worst, cases) = *self.worst.lock().unwrap_or_else(|e| e.into_inner());
        let database = if super::database::on_postgres() {
            "postgresql"
        } else {
            "sqlite"
        };
        println!(
            "fuzz figures: target={target} database={database} cases={cases} seconds={:.1} \
             worst_case_ms={} worst_case_peak_kib={}",
            total.as_secs_f64(),
            worst.time.as_millis(),
            worst.peak_kib
        );
    }
}

/// A size in kB from /proc/self/status (`VmRSS:`, `VmHWM:`); 0 where there is none.
fn status_kib(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|status| {
            status
                .lines()
                .find_map(|line| line.strip_prefix(field))
                .and_then(|rest| rest.trim().trim_end_matches("kB").trim().parse().ok())
        })
        .unwrap_or(0)
}
