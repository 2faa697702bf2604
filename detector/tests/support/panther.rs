//! Panther's labelled rule tests as extracted into the shared folder
//! (`panther-analysis/extracted/*.jsonl`: one test per line, `{"_source_file", "_test_name",
//! "_expected", "log"}`), for the tests that hold t1586 to them.

use serde_json::Value;
use t1586_detector::{Config, Detector, Stats};

use super::shared_data::shared;

/// The detection types `events` raise under `config` (JSON, `{}` for the default), fed as one
/// JSON Lines source, and the run's statistics.
pub fn run(events: &[Value], config: &str) -> (Vec<String>, Stats) {
    let mut d = Detector::new(Config::from_json(config).expect("a valid configuration"));
    d.begin_source("panther.jsonl");
    let mut text = String::new();
    for e in events {
        text.push_str(&e.to_string());
        text.push('\n');
    }
    let mut alerts = d.push(text.as_bytes());
    alerts.extend(d.flush());
    (
        alerts.into_iter().map(|a| a.detection_type).collect(),
        d.stats(),
    )
}

/// One of Panther's tests.
pub struct Test {
    /// The rule file's name, without `.yml`.
    pub rule: String,
    /// Panther's test name.
    pub name: String,
    /// Panther's label: whether the rule alerts.
    pub expected: bool,
    /// The test's event.
    pub log: Value,
}

/// The tests of `file` (under `panther-analysis/extracted/`), or `None` when the shared folder is
/// not there.
pub fn tests(file: &str) -> Option<Vec<Test>> {
    let path = shared(&format!("panther-analysis/extracted/{file}"))?;
    let text = std::fs::read_to_string(path).expect("the extracted tests read");
    Some(
        text.lines()
            .map(|line| {
                let mut t: Value = serde_json::from_str(line).expect("one test per line");
                let rule = t["_source_file"].as_str().expect("_source_file");
                Test {
                    rule: rule
                        .rsplit('/')
                        .next()
                        .unwrap_or(rule)
                        .trim_end_matches(".yml")
                        .to_string(),
                    name: t["_test_name"].as_str().expect("_test_name").to_string(),
                    expected: t["_expected"].as_bool().expect("_expected"),
                    log: t["log"].take(),
                }
            })
            .collect(),
    )
}
