//! The conformance corpus through the native core. Every host runs the same cases (host/tests,
//! js/test) and must produce exactly `expected.jsonl` (and the counters in `expected-stats.json`).
//!
//! `T1586_BLESS=1 cargo test -p t1586-detector --test conformance` rewrites the expected files from the
//! native output — for new cases only, after checking the output by hand.

use std::fs;
use std::path::Path;

use t1586_detector::{Config, Detector};

#[path = "support/corpus.rs"]
mod support;
use support::{cases, check_stats, config, inputs};

fn run_case(case: &Path, chunk: usize) -> (String, serde_json::Value) {
    let mut d = Detector::new(Config::from_json(&config(case)).expect("case config"));
    let mut alerts = Vec::new();
    for name in inputs(case) {
        d.begin_source(&name);
        let bytes = fs::read(case.join(&name)).unwrap();
        for c in bytes.chunks(chunk) {
            alerts.extend(d.push(c));
        }
    }
    alerts.extend(d.flush());
    t1586_detector::sort_alerts(&mut alerts);
    let text: String = alerts.iter().map(|a| a.to_json() + "\n").collect();
    (text, serde_json::to_value(d.stats()).unwrap())
}

#[test]
fn corpus_native() {
    let bless = std::env::var_os("T1586_BLESS").is_some();
    let cases = cases();
    assert!(cases.len() >= 6, "corpus has too few cases");
    for case in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let (got, stats) = run_case(&case, 1 << 20);
        // The same case fed in small odd chunks gives the same bytes.
        let (small, _) = run_case(&case, 7);
        assert_eq!(small, got, "{name}: chunking changed the output");
        let exp_path = case.join("expected.jsonl");
        if bless && !exp_path.exists() {
            fs::write(&exp_path, &got).unwrap();
            let keep = [
                "records_read",
                "records_parsed",
                "records_rejected",
                "records_ignored",
                "events",
                "rejected_by_reason",
                "ignored_by_reason",
            ];
            let sub: serde_json::Map<String, serde_json::Value> = keep
                .iter()
                .map(|k| (k.to_string(), stats[*k].clone()))
                .collect();
            fs::write(
                case.join("expected-stats.json"),
                serde_json::to_string_pretty(&sub).unwrap() + "\n",
            )
            .unwrap();
        }
        let want =
            fs::read_to_string(&exp_path).unwrap_or_else(|_| panic!("{name}: no expected.jsonl"));
        assert_eq!(got, want, "{name}: alerts differ from expected.jsonl");
        check_stats(&case, &stats);
    }
}
