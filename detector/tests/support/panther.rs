//! Panther's labelled rule tests as extracted into the shared folder
//! (`panther-analysis/extracted/*.jsonl`: one test per line, `{"_source_file", "_test_name",
//! "_expected", "log"}`), for the tests that hold t1586 to them.

use serde_json::Value;

use super::shared_data::shared;

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
