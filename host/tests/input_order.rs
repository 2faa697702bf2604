//! Offline input in any order through the real `t1586` binary and the wasmtime library: a
//! generated tenant newest-first, as per-kind files in the wrong order, as shuffled day files read
//! backwards, through gzip on standard input, and sorted through spilled runs all give the alerts
//! of the time-ordered stream; `--live` keeps the streaming behaviour. The conformance corpus with
//! its files and records reversed gives its expected alerts.

use std::fs;
use std::io::Write;
use std::path::Path;
use std::process::{Command, Stdio};

use serde_json::Value;
use t1586_host::generate::{Options, in_memory};
use t1586_host::runtime::{Detector, Limits, Plugin};
use t1586_host::{ScanOrder, Sources, scan_sources};

#[path = "../../detector/tests/support/corpus.rs"]
mod support;
use support::{cases, config, inputs};
#[path = "../../detector/tests/support/offline.rs"]
mod offline;
/// Alerts JSON Lines with each evidence record's file and line left out (all that may differ
/// between input orders).
use offline::text_without_positions as strip;

fn t1586(dir: &Path, args: &[&str], stdin: Option<&[u8]>) -> (String, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_t1586"));
    cmd.current_dir(dir)
        .args(["scan", "--format", "jsonl"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().unwrap();
    let mut pipe = child.stdin.take().unwrap();
    if let Some(b) = stdin {
        pipe.write_all(b).unwrap();
    }
    drop(pipe);
    let out = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(out.status.success(), "{args:?}: {err}");
    (String::from_utf8(out.stdout).unwrap(), err)
}

/// A way to scan the tenant: what it is, the arguments, standard input.
type Run<'a> = (&'a str, Vec<&'a str>, Option<&'a [u8]>);

fn lines_reversed(b: &[u8]) -> Vec<u8> {
    let text = std::str::from_utf8(b).unwrap();
    text.lines()
        .rev()
        .flat_map(|l| [l, "\n"])
        .collect::<String>()
        .into_bytes()
}

#[test]
fn generated_tenant_in_every_order_gives_the_time_ordered_alerts() {
    let g = in_memory(&Options {
        users: 200,
        days: 5,
        ..Default::default()
    });
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path();
    fs::create_dir(dir.join("logs")).unwrap();
    let mut all = Vec::new();
    for (name, bytes) in &g.files {
        fs::write(dir.join("logs").join(name), bytes).unwrap();
        all.extend_from_slice(bytes);
    }
    // The time-ordered stream: every record of the tenant in one file, sorted by time.
    let mut recs: Vec<(String, &str)> = std::str::from_utf8(&all)
        .unwrap()
        .lines()
        .map(|l| {
            let v: Value = serde_json::from_str(l).unwrap();
            let t = v
                .get("createdDateTime")
                .or_else(|| v.get("TimeCreated"))
                .or_else(|| v.pointer("/Event/System/TimeCreated/#attributes/SystemTime"))
                .or_else(|| v.get("TimeGenerated"))
                .and_then(Value::as_str)
                .unwrap_or_else(|| panic!("no time in {l}"))
                .to_string();
            (t, l)
        })
        .collect();
    recs.sort_by(|a, b| a.0.cmp(&b.0));
    let sorted: String = recs.iter().map(|(_, l)| format!("{l}\n")).collect();
    fs::write(dir.join("sorted.jsonl"), &sorted).unwrap();
    let (want, err) = t1586(dir, &["sorted.jsonl"], None);
    assert!(
        !err.contains("not in time order") && !err.contains("late"),
        "{err}"
    );
    assert!(want.lines().count() >= 15, "{want}");

    // Newest first.
    fs::write(
        dir.join("reversed.jsonl"),
        lines_reversed(sorted.as_bytes()),
    )
    .unwrap();
    // Each day file backwards, the files in another order.
    fs::create_dir(dir.join("shuffled")).unwrap();
    let mut names: Vec<&String> = g.files.iter().map(|(n, _)| n).collect();
    names.reverse();
    names.rotate_left(3);
    let mut shuffled = Vec::new();
    for (i, n) in names.iter().enumerate() {
        let (_, b) = g.files.iter().find(|(m, _)| m == *n).unwrap();
        let p = format!("shuffled/{i:02}-{n}");
        fs::write(dir.join(&p), lines_reversed(b)).unwrap();
        shuffled.push(p);
    }
    let windows_first: Vec<String> = ["windows", "signins"]
        .iter()
        .flat_map(|kind| {
            g.files
                .iter()
                .filter(move |(n, _)| n.contains(kind))
                .map(|(n, _)| format!("logs/{n}"))
        })
        .collect();
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&lines_reversed(sorted.as_bytes())).unwrap();
    let gz = gz.finish().unwrap();
    fs::write(
        dir.join("small-runs.json"),
        r#"{"limits": {"sort_run_events": 700}}"#,
    )
    .unwrap();

    fn s(v: &[String]) -> Vec<&str> {
        v.iter().map(String::as_str).collect()
    }
    let runs: Vec<Run> = vec![
        ("the day files as generated", vec!["logs"], None),
        ("newest first", vec!["reversed.jsonl"], None),
        (
            "Windows files before sign-in files",
            s(&windows_first),
            None,
        ),
        ("shuffled day files read backwards", s(&shuffled), None),
        ("gzip on standard input, newest first", vec!["-"], Some(&gz)),
        (
            "newest first, sorted through runs",
            vec!["--config", "small-runs.json", "reversed.jsonl"],
            None,
        ),
    ];
    for (how, args, stdin) in runs {
        let (got, err) = t1586(dir, &args, stdin);
        assert_eq!(strip(&got), strip(&want), "{how}");
        assert!(!err.contains("late"), "{how}: {err}");
        if how.contains("runs") {
            assert!(
                err.contains("sorted runs kept in temporary files"),
                "{how}: {err}"
            );
        }
    }
    // Live, a newest-first export loses what the lateness window cannot hold, and says so.
    let (live, err) = t1586(dir, &["--live", "reversed.jsonl"], None);
    let closed = live
        .lines()
        .filter(|l| l.contains(r#""Status":"closed""#))
        .count();
    assert!(closed < want.lines().count(), "{live}");
    assert!(err.contains("processed late"), "{err}");
}

#[test]
fn corpus_reversed_through_the_wasmtime_library() {
    let plugin = Plugin::embedded().unwrap();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let want = fs::read_to_string(case.join("expected.jsonl")).unwrap();
        let mut files: Vec<(String, Vec<u8>)> = inputs(&case)
            .into_iter()
            .map(|f| {
                let b = fs::read(case.join(&f)).unwrap();
                let b = if f.ends_with(".jsonl") {
                    lines_reversed(&b)
                } else {
                    b
                };
                (f, b)
            })
            .collect();
        files.reverse();
        let mut cfg: Value = serde_json::from_str(&config(&case)).unwrap();
        cfg["limits"]["sort_run_events"] = 2.into();
        cfg["max_lateness_secs"] = 0.into();
        let mut det = Detector::open(&plugin, &cfg.to_string(), Limits::default()).unwrap();
        let out = scan_sources(
            &mut det,
            Sources::Memory(&files),
            0,
            None,
            ScanOrder::Offline,
        )
        .unwrap();
        let got: String = out.alerts.iter().map(|a| format!("{}\n", a.json)).collect();
        assert_eq!(strip(&got), strip(&want), "{name}");
        assert_eq!(out.stats["late_events"], 0, "{name}");
    }
}
