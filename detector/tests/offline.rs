//! Offline input in any order gives the alerts of one time-ordered stream (`crate::offline`): the
//! corpus with its files reversed and rotated, JSON Lines and CSV files read backwards, sorting
//! spilled into many small runs; and a property test over random splits and orders of whole
//! cases' records.

use std::fs;
use std::path::Path;

use proptest::prelude::*;
use t1586_detector::{Config, Order};

#[path = "support/corpus.rs"]
mod corpus;
#[path = "support/offline.rs"]
mod offline;
use corpus::{cases, check_stats, config, inputs};
use offline::{scan_offline, text_without_positions, without_positions};

/// Input files: names and bytes.
type Files = Vec<(String, Vec<u8>)>;

/// A configuration with `sort_run_events` set (small values force many spilled runs) and, with
/// runs, no lateness tolerance (any disorder then takes the sorting path).
fn with_runs(json: &str, run: Option<usize>) -> Config {
    let mut v: serde_json::Value = serde_json::from_str(json).unwrap();
    if let Some(n) = run {
        v["limits"]["sort_run_events"] = n.into();
        v["max_lateness_secs"] = 0.into();
    }
    Config::from_json(&v.to_string()).unwrap()
}

/// A line-based file read backwards (a CSV keeps its header first); `None` for other formats.
fn backwards(name: &str, bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let mut lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    if name.ends_with(".jsonl") || name.ends_with(".ndjson") {
        lines.reverse();
    } else if name.ends_with(".csv") && !text.contains("\"\"") && !text.contains("\n\"") {
        lines[1..].reverse();
    } else {
        return None;
    }
    Some(
        lines
            .iter()
            .flat_map(|l| [l.as_bytes(), b"\n"])
            .flatten()
            .copied()
            .collect(),
    )
}

#[test]
fn corpus_in_any_file_order_and_record_order() {
    let mut sorted = 0;
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let want = fs::read_to_string(case.join("expected.jsonl")).unwrap();
        let files: Vec<(String, Vec<u8>)> = inputs(&case)
            .into_iter()
            .map(|f| {
                let b = fs::read(case.join(&f)).unwrap();
                (f, b)
            })
            .collect();
        let cfg_json = config(&case);
        // As given: exactly the stream's bytes, and streaming costs no restart.
        for run in [None, Some(3)] {
            let (alerts, stats) = scan_offline(&with_runs(&cfg_json, run), &files, 1 << 20);
            let got: String = alerts.iter().map(|a| a.to_json() + "\n").collect();
            assert_eq!(got, want, "{name}: offline, in the given order");
            check_stats(&case, &serde_json::to_value(&stats).unwrap());
            assert_eq!(stats.late_events, 0, "{name}");
        }
        let mut orders: Vec<(String, Files)> = Vec::new();
        let mut rev = files.clone();
        rev.reverse();
        orders.push(("files reversed".into(), rev));
        if files.len() > 1 {
            let mut rot = files.clone();
            rot.rotate_left(1);
            orders.push(("files rotated".into(), rot));
        }
        let back: Vec<_> = files
            .iter()
            .map(|(n, b)| (n.clone(), backwards(n, b).unwrap_or_else(|| b.clone())))
            .collect();
        if back != files {
            let mut b2 = back.clone();
            b2.reverse();
            orders.push(("records backwards".into(), back));
            orders.push(("records backwards, files reversed".into(), b2));
        }
        for (how, files) in &orders {
            for (run, chunk) in [(None, 1 << 20), (Some(2), 7), (Some(5), 4096)] {
                let (alerts, stats) = scan_offline(&with_runs(&cfg_json, run), files, chunk);
                assert_eq!(
                    without_positions(&alerts),
                    text_without_positions(&want),
                    "{name}: {how}, runs of {run:?}, chunks of {chunk}"
                );
                check_stats(&case, &serde_json::to_value(&stats).unwrap());
                assert_eq!(stats.late_events, 0, "{name}: {how}");
                if let Some(n) = run.filter(|_| stats.input_sorted) {
                    assert_eq!(stats.spilled_runs, stats.events / n as u64, "{name}: {how}");
                    sorted += 1;
                }
            }
        }
    }
    // The sorting path, with spilled runs, was taken (most cases' reversed orders).
    assert!(sorted >= 30, "sorted {sorted} times");
}

/// A case's records as JSON Lines (JSON arrays and Graph `value` pages taken apart).
fn records(case: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for f in inputs(case) {
        let text = fs::read_to_string(case.join(&f)).unwrap();
        if f.ends_with(".jsonl") {
            out.extend(
                text.lines()
                    .filter(|l| !l.trim().is_empty())
                    .map(String::from),
            );
        } else {
            let v: serde_json::Value = serde_json::from_str(&text).unwrap();
            let arr = v.get("value").cloned().unwrap_or(v);
            out.extend(arr.as_array().unwrap().iter().map(|r| r.to_string()));
        }
    }
    out
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 24, ..ProptestConfig::default() })]

    /// Whole cases' records shuffled, split over several files, read in chunks of any size with
    /// sorting spilled into runs of any size: the stream's alerts.
    #[test]
    fn records_shuffled_over_files_give_the_stream_alerts(
        which in 0usize..4,
        seed in any::<u64>(),
        parts in 1usize..5,
        run in 1usize..40,
        chunk in 1usize..5000,
    ) {
        let case = ["default-token-replay", "default-identity-protection", "default-stuffing-ordered", "default-password-spray"][which];
        let case = corpus::corpus().join(case);
        let mut recs = records(&case);
        // A small deterministic shuffle from the seed.
        let mut s = seed | 1;
        for i in (1..recs.len()).rev() {
            s ^= s << 13;
            s ^= s >> 7;
            s ^= s << 17;
            recs.swap(i, (s % (i as u64 + 1)) as usize);
        }
        let mut files: Vec<(String, Vec<u8>)> = (0..parts).map(|p| (format!("part-{p}.jsonl"), Vec::new())).collect();
        for (i, r) in recs.iter().enumerate() {
            let f = &mut files[(i * 7 + (seed as usize % 3)) % parts].1;
            f.extend_from_slice(r.as_bytes());
            f.push(b'\n');
        }
        let want = text_without_positions(&fs::read_to_string(case.join("expected.jsonl")).unwrap());
        let (alerts, stats) = scan_offline(&with_runs(&config(&case), Some(run)), &files, chunk);
        prop_assert_eq!(without_positions(&alerts), want);
        prop_assert_eq!(stats.events as usize, recs.len());
    }
}

#[test]
fn order_states_and_calls_out_of_turn() {
    let mut d = t1586_detector::Detector::new(Config::default());
    assert_eq!(d.order(), Order::Stream);
    assert!(d.set_order(Order::Restart).is_err());
    assert!(d.merge_begin(0).is_err(), "merging needs Sort");
    d.set_order(Order::Sort).unwrap();
    assert!(d.merge_begin(2).is_err(), "no runs were spilled");
    assert!(d.merge_feed(Some(0), b"x").is_err(), "no merge begun");
    d.merge_begin(0).unwrap();
    assert_eq!(d.merge_wanted(), None);
    assert_eq!(d.order(), Order::Merge);
    d.flush();
}
