//! How many inputs each fuzz target generates. `make reliability-fuzz` sets `VPM_FUZZ_CASES`
//! to 1,000,000 and runs the targets in release mode; without it they run a few hundred inputs,
//! so `make test` stays fast. The app's and the server's fuzz targets include this file with
//! `#[path]`, so both read the count the same way.

use proptest::test_runner::Config;

/// Inputs per target when `VPM_FUZZ_CASES` is not set.
const DEFAULT_CASES: u32 = 256;

/// The case count of this run, divided by `share` for a target that costs `share` times more
/// per input (never below one).
pub fn cases(share: u32) -> u32 {
    let total = std::env::var("VPM_FUZZ_CASES")
        .ok()
        .and_then(|text| text.parse().ok())
        .unwrap_or(DEFAULT_CASES);
    (total / share.max(1)).max(1)
}

/// A proptest configuration of `cases` inputs. No regression files: a failure prints its
/// shrunk input, which becomes a named test beside the rule.
pub fn config(cases: u32) -> Config {
    Config {
        cases,
        failure_persistence: None,
        ..Config::default()
    }
}
