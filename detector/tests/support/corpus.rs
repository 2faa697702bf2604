//! Shared by every Rust test that walks the conformance corpus (included with `#[path]` from the
//! detector's and the host's tests, so both read the corpus the same way the Node tests do).
#![allow(dead_code)]

use std::fs;
use std::path::{Path, PathBuf};

/// Files of a case that are not input.
pub const NOT_INPUT: &[&str] = &[
    "expected.jsonl",
    "expected-stats.json",
    "config.json",
    "README.md",
];

/// `tests/corpus` of this workspace.
pub fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

/// The case directories, sorted.
pub fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(corpus())
        .expect("tests/corpus exists")
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

/// A case's input file names, sorted (byte order, as every host sorts them).
pub fn inputs(case: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(case)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !NOT_INPUT.contains(&n.as_str()))
        .collect();
    v.sort();
    v
}

/// The case's configuration JSON (`{}` when it has none).
pub fn config(case: &Path) -> String {
    fs::read_to_string(case.join("config.json")).unwrap_or_else(|_| "{}".into())
}

/// Check `stats` against the case's `expected-stats.json`, if it has one.
pub fn check_stats(case: &Path, stats: &serde_json::Value) {
    if let Ok(s) = fs::read_to_string(case.join("expected-stats.json")) {
        let want: serde_json::Value = serde_json::from_str(&s).unwrap();
        for (k, v) in want.as_object().unwrap() {
            assert_eq!(&stats[k], v, "{}: stats.{k}", case.display());
        }
    }
}
