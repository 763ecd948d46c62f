//! Times `parse_bulk` on a realistic 1,000-line "Add many accounts" paste and
//! prints min / median / p99 per paste. Run in release mode:
//! `cargo run --release -p app --example bench_validate`.
//! The WebAssembly figure comes from `tests/bench_validate_wasm.rs`, which
//! times the same paste in Chromium.

#[path = "../tests/support/paste.rs"]
mod paste;

use std::hint::black_box;
use std::time::Instant;

use app::validate::{parse_bulk, BulkOptions};

fn main() {
    let text = paste::paste();
    let opts = BulkOptions::default();
    let report = parse_bulk(&text, paste::DOMAIN, opts);
    println!("{}", paste::describe(&text, &report));
    for _ in 0..paste::WARM_UP {
        black_box(parse_bulk(black_box(&text), paste::DOMAIN, opts));
    }
    let millis: Vec<f64> = (0..paste::RUNS)
        .map(|_| {
            let started = Instant::now();
            black_box(parse_bulk(black_box(&text), paste::DOMAIN, opts));
            started.elapsed().as_secs_f64() * 1_000.0
        })
        .collect();
    println!("{}", paste::summary(millis));
}
