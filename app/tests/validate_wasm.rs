//! Browser half of the agreement test: the rules compiled to WebAssembly and
//! run in headless Chromium must give exactly the verdicts in
//! `corpus/verdicts.json`, which the native test checks too. So the instant
//! feedback in the browser and the server's final word cannot drift apart.
//! `make wasm-tests` runs it.

#![cfg(target_arch = "wasm32")]

use wasm_bindgen_test::{wasm_bindgen_test, wasm_bindgen_test_configure};

mod corpus;

wasm_bindgen_test_configure!(run_in_browser);

const INPUTS: &str = include_str!("corpus/inputs.json");
const VERDICTS: &str = include_str!("corpus/verdicts.json");

#[wasm_bindgen_test]
fn wasm_verdicts_match_the_corpus() {
    let actual = corpus::verdicts(INPUTS);
    if let Some(difference) = first_difference(&actual, VERDICTS) {
        panic!(
            "WebAssembly verdicts differ from corpus/verdicts.json, which the native \
             build matches: {difference}"
        );
    }
}

/// The first entry where the two verdict lists differ, shown side by side.
/// Entries are compared as JSON values, so the message names the case
/// rather than a line of pretty-printed text.
fn first_difference(actual: &str, expected: &str) -> Option<String> {
    if actual == expected {
        return None;
    }
    let parse = |text: &str| serde_json::from_str::<Vec<serde_json::Value>>(text);
    let (Ok(actual), Ok(expected)) = (parse(actual), parse(expected)) else {
        return Some("the texts differ and one is not a JSON list".to_owned());
    };
    let differing = actual
        .iter()
        .zip(&expected)
        .position(|(a, e)| a != e)
        .map(|i| {
            format!(
                "first differing entry is case {i}\n  wasm:     {}\n  expected: {}",
                actual[i], expected[i]
            )
        });
    Some(differing.unwrap_or_else(|| {
        if actual.len() == expected.len() {
            "same entries, different formatting".to_owned()
        } else {
            format!(
                "{} entries computed, {} expected",
                actual.len(),
                expected.len()
            )
        }
    }))
}
