//! Native half of the browser/server agreement test: the verdicts computed
//! here must equal `corpus/verdicts.json`, which the WebAssembly test checks
//! too. After an intended rule change, regenerate the file with
//! `UPDATE_VERDICTS=1 cargo test -p app --test validate_agreement` and review
//! its diff.

mod corpus;

const INPUTS: &str = include_str!("corpus/inputs.json");
const VERDICTS: &str = include_str!("corpus/verdicts.json");
const VERDICTS_PATH: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/corpus/verdicts.json");

#[test]
fn native_verdicts_match_the_corpus() {
    let actual = corpus::verdicts(INPUTS);
    if std::env::var("UPDATE_VERDICTS").as_deref() == Ok("1") {
        std::fs::write(VERDICTS_PATH, &actual).expect("verdicts.json is writable");
        return;
    }
    if actual != VERDICTS {
        let first_difference = actual
            .lines()
            .zip(VERDICTS.lines())
            .position(|(a, b)| a != b)
            .map_or_else(
                || "one file is a prefix of the other".to_owned(),
                |i| format!("first difference at line {}", i + 1),
            );
        panic!(
            "verdicts differ from corpus/verdicts.json ({first_difference}); \
             if the change is intended, rerun with UPDATE_VERDICTS=1 and review the diff"
        );
    }
}

#[test]
fn corpus_is_large_enough() {
    let inputs: Vec<serde_json::Value> = serde_json::from_str(INPUTS).expect("inputs.json is JSON");
    assert!(inputs.len() >= 250, "only {} cases", inputs.len());
}
