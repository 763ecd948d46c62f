//! Times `parse_bulk` on the 1,000-line paste in WebAssembly inside headless
//! Chromium, where the "Add many accounts" screen runs it as the postmaster
//! types. Prints min / median / p99 per paste, like the native example
//! `bench_validate`. Only `make bench` runs it (in release, with
//! `--nocapture` so the figures are shown): a timing is a measurement, never
//! a pass/fail check.

#![cfg(target_arch = "wasm32")]

#[path = "support/paste.rs"]
mod paste;

use std::hint::black_box;

use app::validate::{parse_bulk, BulkOptions};
use wasm_bindgen_test::{console_log, wasm_bindgen_test, wasm_bindgen_test_configure};

wasm_bindgen_test_configure!(run_in_browser);

#[wasm_bindgen_test]
fn parse_bulk_speed_in_the_browser() {
    // The browser's monotonic clock. Chromium coarsens it; on the runner's
    // page, which is cross-origin isolated, it moves in 5 µs steps: fine
    // for a time of a millisecond or more per paste.
    let window = web_sys::window().expect("the test runs in a browser page");
    let performance = window
        .performance()
        .expect("the test page has window.performance");
    // Names the browser and its version beside the figures.
    if let Ok(agent) = window.navigator().user_agent() {
        console_log!("browser: {agent}");
    }
    let text = paste::paste();
    let opts = BulkOptions::default();
    let report = parse_bulk(&text, paste::DOMAIN, opts);
    console_log!("{}", paste::describe(&text, &report));
    for _ in 0..paste::WARM_UP {
        black_box(parse_bulk(black_box(&text), paste::DOMAIN, opts));
    }
    let millis: Vec<f64> = (0..paste::RUNS)
        .map(|_| {
            let started = performance.now();
            black_box(parse_bulk(black_box(&text), paste::DOMAIN, opts));
            performance.now() - started
        })
        .collect();
    console_log!("{} (WebAssembly in Chromium)", paste::summary(millis));
}
