//! The real public samples (`../shared/data`, read in place) through the CLI: for each file of
//! `tests/real-samples.toml`, each profile's alerts must be exactly the table's — by detection type,
//! identity and risk, as a multiset. The folder is `T1586_SHARED_DATA` (`make test` sets it to
//! `../shared/data` beside this checkout or beside the one it was cloned from), else
//! `../shared/data`; when it is absent the test says so and passes.

use std::path::{Path, PathBuf};
use std::process::Command;

#[path = "support/live.rs"]
mod livetest;
#[path = "../../detector/tests/support/offline.rs"]
mod offline;

fn shared() -> Option<PathBuf> {
    let base = std::env::var_os("T1586_SHARED_DATA")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    base.exists().then_some(base)
}

/// (DetectionType, UserPrincipalName, RiskScore), sorted.
type Alerts = Vec<(String, String, u64)>;

fn expected(v: &toml::Value) -> Alerts {
    let mut out: Alerts = v
        .as_array()
        .expect("a list of alerts")
        .iter()
        .map(|a| {
            (
                a["type"].as_str().expect("type").to_string(),
                a["user"].as_str().expect("user").to_string(),
                a["risk"].as_integer().expect("risk") as u64,
            )
        })
        .collect();
    out.sort();
    out
}

fn scanned(file: &Path, profile: &str) -> Alerts {
    let out = Command::new(env!("CARGO_BIN_EXE_t1586"))
        .args(["scan", "-q", "--format", "jsonl", "--profile", profile])
        .arg(file)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    let mut alerts: Alerts = String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| {
            let a: serde_json::Value = serde_json::from_str(l).unwrap();
            (
                a["DetectionType"].as_str().unwrap().to_string(),
                a["UserPrincipalName"].as_str().unwrap().to_string(),
                a["RiskScore"].as_u64().unwrap(),
            )
        })
        .collect();
    alerts.sort();
    alerts
}

#[test]
fn every_real_sample_gives_the_table_s_alerts() {
    let table_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/real-samples.toml");
    let table: toml::Value = toml::from_str(&std::fs::read_to_string(table_path).unwrap()).unwrap();
    let samples = table["sample"].as_array().expect("[[sample]] entries");
    assert!(
        samples.len() >= 40,
        "the table lists the samples read today"
    );
    let Some(base) = shared() else {
        eprintln!("note: ../shared/data is not present; skipping the real samples");
        return;
    };
    let mut failures = Vec::new();
    let mut checked = 0;
    for s in samples {
        let file = s["file"].as_str().expect("file");
        let path = base.join(file);
        assert!(
            path.exists(),
            "{file}: listed in the table but not in ../shared/data"
        );
        for profile in ["default", "seed"] {
            let want = expected(&s[profile]);
            let got = scanned(&path, profile);
            if got != want {
                failures.push(format!(
                    "{file} ({profile}):\n  want {want:?}\n  got  {got:?}"
                ));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    eprintln!("{checked} file and profile pairs checked");
}

/// Every file of the shared folder that the detector reads events from is in the table: a reader
/// that starts accepting a new format cannot leave its real samples unchecked.
#[test]
fn the_table_lists_every_sample_that_gives_events() {
    let table_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/real-samples.toml");
    let table: toml::Value = toml::from_str(&std::fs::read_to_string(table_path).unwrap()).unwrap();
    let listed: std::collections::BTreeSet<&str> = table["sample"]
        .as_array()
        .expect("[[sample]] entries")
        .iter()
        .map(|s| s["file"].as_str().expect("file"))
        .collect();
    let Some(base) = shared() else {
        eprintln!("note: ../shared/data is not present; skipping");
        return;
    };
    let mut stack = vec![base.clone()];
    let mut missing = Vec::new();
    let mut seen = 0;
    while let Some(dir) = stack.pop() {
        for e in std::fs::read_dir(&dir).unwrap() {
            let p = e.unwrap().path();
            if p.is_dir() {
                stack.push(p);
                continue;
            }
            let rel = p
                .strip_prefix(&base)
                .unwrap()
                .to_string_lossy()
                .replace('\\', "/");
            seen += 1;
            if listed.contains(rel.as_str()) {
                continue;
            }
            let out = Command::new(env!("CARGO_BIN_EXE_t1586"))
                .args(["scan", "--format", "jsonl"])
                .arg(&p)
                .output()
                .unwrap();
            let summary = String::from_utf8_lossy(&out.stderr);
            if !summary.contains("(0 events") {
                missing.push(format!("{rel}: {}", summary.lines().next().unwrap_or("")));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "files that give events but are not in tests/real-samples.toml:\n{}",
        missing.join("\n")
    );
    eprintln!("{seen} files in the shared folder, {} listed", listed.len());
}

/// Every real Windows recording scanned in one run, as a folder of per-host logs is: the same
/// alerts whatever the order of the files (they overlap in time; before offline sorting, 4,832 of
/// their events were processed late and five alerts were lost), and every attack recording's own
/// alert types among them.
#[test]
fn every_windows_recording_in_one_scan_gives_the_same_alerts_in_any_file_order() {
    let Some(base) = shared() else {
        eprintln!("note: ../shared/data is not present; skipping");
        return;
    };
    let mut files: Vec<PathBuf> = ["windows-evtx", "evtx"]
        .iter()
        .flat_map(|d| std::fs::read_dir(base.join(d)).unwrap())
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|x| x == "evtx"))
        .collect();
    files.sort();
    let scan = |files: &[PathBuf]| {
        let out = Command::new(env!("CARGO_BIN_EXE_t1586"))
            .args(["scan", "--format", "jsonl"])
            .args(files)
            .output()
            .unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        let err = String::from_utf8_lossy(&out.stderr).into_owned();
        assert!(!err.contains("processed late"), "{err}");
        let text = offline::text_without_positions(&String::from_utf8(out.stdout).unwrap());
        let mut alerts: Vec<String> = text.lines().map(String::from).collect();
        alerts.sort();
        alerts
    };
    let want = scan(&files);
    assert!(want.len() >= 15, "{} alerts", want.len());
    for t in [
        "BruteForceAttempt",
        "ExplicitCredentialSpray",
        "OneSourceManyAccounts",
        "OneSourceManyAccountsThenSuccess",
    ] {
        assert!(
            want.iter()
                .any(|a| a.contains(&format!("\"DetectionType\":\"{t}\""))),
            "no {t}"
        );
    }
    let mut reversed = files.clone();
    reversed.reverse();
    assert_eq!(scan(&reversed), want, "files reversed");
    let mut rotated = files.clone();
    rotated.rotate_left(files.len() / 3);
    assert_eq!(scan(&rotated), want, "files rotated");
}

/// Issue 41: each real sample through live mode (a lateness window long enough to hold the whole
/// file, so no record is late) ends in exactly the offline scan's alerts: the latest revision of
/// each alert is closed and, without `Revision` and `Status`, byte for byte the offline alert.
#[test]
fn every_real_sample_through_live_mode_ends_in_the_offline_alerts() {
    let table_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/real-samples.toml");
    let table: toml::Value = toml::from_str(&std::fs::read_to_string(table_path).unwrap()).unwrap();
    let Some(base) = shared() else {
        eprintln!("note: ../shared/data is not present; skipping the real samples");
        return;
    };
    let cfg = std::env::temp_dir().join(format!("t1586-live-{}.json", std::process::id()));
    std::fs::write(&cfg, r#"{"live_lateness_secs": 3153600000}"#).unwrap();
    let run = |path: &Path, profile: &str, live: bool| -> Vec<String> {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_t1586"));
        cmd.args(["scan", "-q", "--format", "jsonl", "--profile", profile]);
        if live {
            cmd.arg("--live").arg("--config").arg(&cfg);
        }
        let out = cmd.arg(path).output().unwrap();
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout)
            .unwrap()
            .lines()
            .map(String::from)
            .collect()
    };
    let (mut revisions, mut alerts, mut withdrawn) = (0, 0, 0);
    for s in table["sample"].as_array().unwrap() {
        let path = base.join(s["file"].as_str().unwrap());
        for profile in ["default", "seed"] {
            let offline = run(&path, profile, false);
            let live = run(&path, profile, true);
            revisions += live.len();
            let (closed, gone) = livetest::closed_alerts(
                live.iter().map(|l| serde_json::from_str(l).unwrap()),
                &path.display().to_string(),
            );
            withdrawn += gone;
            let want = livetest::normalized(offline.iter().map(String::as_str));
            alerts += want.len();
            assert_eq!(closed, want, "{} ({profile})", path.display());
        }
    }
    eprintln!("real samples live: {alerts} alerts, {revisions} revisions, {withdrawn} withdrawn");
}
