//! The snapshot layout is pinned: a snapshot written by this snapshot version (a stored fixture, the
//! state halfway through the bundled demo) must still restore and, fed the rest of the demo, give
//! exactly the alerts of an uninterrupted run. Snapshots carry no field names, so changing any state
//! type without bumping `SNAPSHOT_VERSION` fails here instead of misreading users' snapshots.
//!
//! After bumping the version (or when a change of detection logic makes the stored state stale):
//! `T1586_BLESS=1 cargo test -p t1586-detector --test snapshot_format` writes the new fixture.

use std::fs;
use std::path::{Path, PathBuf};

use t1586_detector::{Config, Detector, SNAPSHOT_VERSION, sort_alerts};

const SOURCE: &str = "demo/signins.json";

/// Events go straight to the signals (no reordering wait), so the fixture holds signal state.
fn config() -> Config {
    Config::from_json(r#"{"max_lateness_secs":0}"#).unwrap()
}

fn demo() -> Vec<u8> {
    fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/demo/signins.json")).unwrap()
}

fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join(format!("tests/fixtures/snapshot-v{SNAPSHOT_VERSION}.bin"))
}

/// The demo's first half (cut at a line end) and the detector after it.
fn first_half(data: &[u8]) -> (usize, Detector) {
    let cut = data[..data.len() / 2]
        .iter()
        .rposition(|&b| b == b'\n')
        .unwrap()
        + 1;
    let mut d = Detector::new(config());
    d.begin_source(SOURCE);
    let early = d.push(&data[..cut]);
    assert!(
        early.is_empty(),
        "the fixture's state must hold every alert"
    );
    assert!(
        d.stats().identities_tracked > 10,
        "the fixture must hold signal state"
    );
    (cut, d)
}

fn finish(mut d: Detector, rest: &[u8]) -> String {
    let mut alerts = d.push(rest);
    alerts.extend(d.flush());
    sort_alerts(&mut alerts);
    alerts.iter().map(|a| a.to_json() + "\n").collect()
}

#[test]
fn stored_snapshot_of_this_version_restores_and_continues() {
    let data = demo();
    let (cut, d) = first_half(&data);
    let path = fixture();
    if std::env::var_os("T1586_BLESS").is_some() {
        fs::write(&path, d.snapshot()).unwrap();
    }
    let stored = fs::read(&path).unwrap_or_else(|_| {
        panic!(
            "{} is missing: SNAPSHOT_VERSION changed? write it with T1586_BLESS=1",
            path.display()
        )
    });
    let whole = finish(
        {
            let mut d = Detector::new(config());
            d.begin_source(SOURCE);
            d
        },
        &data,
    );
    assert!(!whole.is_empty(), "the demo raises alerts");
    let restored = Detector::restore(&stored).unwrap_or_else(|e| {
        panic!("the stored v{SNAPSHOT_VERSION} snapshot no longer restores ({e}): the layout changed, bump SNAPSHOT_VERSION")
    });
    assert_eq!(
        finish(restored, &data[cut..]),
        whole,
        "the stored snapshot restores to different state: if the layout changed, bump SNAPSHOT_VERSION; \
         if only detection logic changed, re-bless the fixture"
    );
    // Fresh state from this build gives the same (the fixture is not stale).
    assert_eq!(finish(d, &data[cut..]), whole);
}

/// A snapshot of the previous version is refused with an error naming both versions, never read
/// into the new layout.
#[test]
fn previous_version_is_refused_by_name() {
    let old = Path::new(env!("CARGO_MANIFEST_DIR")).join(format!(
        "tests/fixtures/snapshot-v{}.bin",
        SNAPSHOT_VERSION - 1
    ));
    let bytes = fs::read(&old).unwrap();
    let err = Detector::restore(&bytes).unwrap_err().to_string();
    assert!(
        err.contains(&format!(
            "snapshot version {} is not supported (this detector reads version {SNAPSHOT_VERSION})",
            SNAPSHOT_VERSION - 1
        )),
        "{err}"
    );
}

/// Alerts made final by finishing a source wait until the next call returns them; a snapshot taken
/// in between holds them (details and evidence included) and the restored detector returns them.
#[test]
fn pending_alerts_survive_a_snapshot() {
    // Six failures then a success from a hosting provider (stuffing, hosting, combined alerts).
    let line = |min: u32, code: u32| {
        format!(
            r#"{{"createdDateTime":"2026-03-02T08:{min:02}:00Z","userPrincipalName":"pat@contoso.com","ipAddress":"185.220.101.4","status":{{"errorCode":{code}}},"autonomousSystemNumber":9009,"id":"r{min}"}}"#
        )
    };
    let mut text: Vec<String> = (0..6).map(|m| line(m, 50126)).collect();
    text.push(line(7, 0));
    let body = text.join("\n");
    let run = |snap: bool| -> Vec<String> {
        let mut d = Detector::new(config());
        d.begin_source("a.jsonl");
        let mut out = d.push(body.as_bytes());
        // A week later, the last row of a CSV without a line end: read, and everything closed,
        // when the next source starts.
        d.begin_source("b.csv");
        let far =
            "TimeGenerated,UserPrincipalName,ResultType\n2026-03-09T08:00:00Z,x@contoso.com,0";
        let mut d = if snap {
            Detector::restore(&d.snapshot()).unwrap()
        } else {
            d
        };
        out.extend(d.push(far.as_bytes()));
        d.begin_source("c.jsonl");
        let mut d = if snap {
            let bytes = d.snapshot();
            Detector::restore(&bytes).unwrap()
        } else {
            d
        };
        let returned = d.push(b"");
        assert!(
            !returned.is_empty(),
            "finishing b.csv made alerts final: they wait for this call"
        );
        out.extend(returned);
        out.extend(d.flush());
        sort_alerts(&mut out);
        out.iter().map(|a| a.to_json()).collect()
    };
    let plain = run(false);
    assert!(
        plain.iter().any(|a| a.contains("\"Details\"")),
        "the case needs alerts with details: {plain:?}"
    );
    assert_eq!(run(true), plain);
}
