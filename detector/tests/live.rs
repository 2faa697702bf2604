//! Live mode over the conformance corpus: every case, its records fed one by one in time order,
//! gives as the last revision of each alert exactly the offline alert, and each alert's first
//! revision comes at the record that decides it — the first record after which an offline scan
//! of the records so far reports it.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;

use t1586_detector::alert::Status;
use t1586_detector::ingest::{Decoded, Ingest};
use t1586_detector::{Alert, AuthEvent, Config, Detector, Profile};

#[path = "support/corpus.rs"]
mod support;
use support::{cases, config, inputs};

/// The case's events in the order the detector processes them (time, then content, then arrival).
fn events(case: &Path, cfg: &Config) -> Vec<AuthEvent> {
    let mut evs = Vec::new();
    let mut ingest = Ingest::new("input", cfg.limits.max_record_bytes);
    let mut keep = |it: t1586_detector::ingest::Item| {
        if let Decoded::Event(ev) = it.decoded {
            // The seed profile reads user sign-ins only (the engine ignores the rest).
            if !(cfg.profile == Profile::Seed && ev.source_kind.is_workload()) {
                evs.push(*ev);
            }
        }
    };
    for name in inputs(case) {
        ingest.finish(&name, None, &mut keep);
        ingest.push(&fs::read(case.join(&name)).unwrap(), &mut keep);
    }
    ingest.finish("end", None, &mut keep);
    evs.sort_by_key(|e| (e.time, e.tie_key()));
    evs
}

fn offline(cfg: &Config, evs: &[AuthEvent]) -> Vec<Alert> {
    let mut d = Detector::new(cfg.clone());
    let mut out = Vec::new();
    for e in evs {
        out.extend(d.push_event(e.clone()));
    }
    out.extend(d.flush());
    out
}

/// An alert without its live keys, as JSON.
fn bare(a: &Alert) -> String {
    let mut a = a.clone();
    a.revision = None;
    a.status = None;
    a.to_json()
}

#[test]
fn live_revisions_end_in_the_offline_alerts_and_start_at_the_deciding_record() {
    let mut withdrawn = 0;
    let mut revisions = 0;
    let mut alerts = 0;
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let mut cfg = Config::from_json(&config(&case)).unwrap();
        cfg.live_lateness_secs = 0;
        let evs = events(&case, &cfg);
        let want = offline(&cfg, &evs);
        // Fed as events, the case gives its expected alerts.
        let expected = fs::read_to_string(case.join("expected.jsonl")).unwrap();
        let mut sorted = want.clone();
        t1586_detector::sort_alerts(&mut sorted);
        let text: String = sorted.iter().map(|a| a.to_json() + "\n").collect();
        assert_eq!(text, expected, "{name}: events fed one by one");

        let mut d = Detector::new(cfg.clone());
        d.set_live(true).unwrap();
        // Alert id → (step of each revision, the revision).
        let mut seen: BTreeMap<String, Vec<(usize, Alert)>> = BTreeMap::new();
        for (i, e) in evs.iter().enumerate() {
            for a in d.push_event(e.clone()) {
                seen.entry(a.alert_id.clone()).or_default().push((i, a));
            }
        }
        for a in d.flush() {
            seen.entry(a.alert_id.clone())
                .or_default()
                .push((evs.len(), a));
        }
        let ids: std::collections::BTreeSet<&str> =
            want.iter().map(|a| a.alert_id.as_str()).collect();
        assert_eq!(ids.len(), want.len(), "{name}: alert ids are unique");
        for a in &want {
            let revs = seen
                .get(&a.alert_id)
                .unwrap_or_else(|| panic!("{name}: no live alert for {}", a.to_json()));
            let (_, last) = revs.last().unwrap();
            assert_eq!(
                last.status,
                Some(Status::Closed),
                "{name}: {}",
                last.to_json()
            );
            assert_eq!(bare(last), a.to_json(), "{name}: last revision");
        }
        for (id, revs) in &seen {
            revisions += revs.len();
            for (k, (_, a)) in revs.iter().enumerate() {
                assert_eq!(a.revision, Some(k as u32 + 1), "{name}: {id} numbering");
                let last = k + 1 == revs.len();
                assert_eq!(
                    a.status == Some(Status::Open),
                    !last,
                    "{name}: {id}: only the last revision ends it: {}",
                    a.to_json()
                );
            }
            let (_, end) = revs.last().unwrap();
            if end.status == Some(Status::Withdrawn) {
                assert!(
                    !ids.contains(id.as_str()),
                    "{name}: {id} withdrawn but offline"
                );
                withdrawn += 1;
                continue;
            }
            alerts += 1;
            assert!(
                ids.contains(id.as_str()),
                "{name}: closed {id} is not offline"
            );
            // The first revision comes at the deciding record: an offline scan ending at it reports
            // the alert, one ending just before it does not.
            let (step, first) = &revs[0];
            assert!(
                *step < evs.len(),
                "{name}: {} {id} first seen only at the end of input",
                first.detection_type
            );
            let has = |n: usize| offline(&cfg, &evs[..n]).iter().any(|a| a.alert_id == *id);
            assert!(has(step + 1), "{name}: {id} not offline at its step");
            assert!(
                !has(*step),
                "{name}: {} {id} could have come a record earlier",
                first.detection_type
            );
        }
    }
    eprintln!("live corpus: {alerts} alerts, {revisions} revisions, {withdrawn} withdrawn");
    assert!(alerts > 50);
}

fn live_run(cfg: &Config, evs: &[AuthEvent], cut: Option<usize>) -> Vec<String> {
    let mut d = Detector::new(cfg.clone());
    d.set_live(true).unwrap();
    let mut out = Vec::new();
    for (i, e) in evs.iter().enumerate() {
        if cut == Some(i) {
            d = Detector::restore(&d.snapshot()).expect("restores");
            assert!(d.live(), "a live detector's snapshot restores live");
        }
        out.extend(d.push_event(e.clone()).iter().map(Alert::to_json));
    }
    out.extend(d.flush().iter().map(Alert::to_json));
    out
}

/// A live detector snapshotted anywhere and restored continues with the same revisions: the open
/// alerts and their revision numbers are part of the snapshot.
#[test]
fn live_state_survives_snapshots() {
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let mut cfg = Config::from_json(&config(&case)).unwrap();
        cfg.live_lateness_secs = 0;
        let evs = events(&case, &cfg);
        let whole = live_run(&cfg, &evs, None);
        for cut in [evs.len() / 3, evs.len() / 2, evs.len() * 5 / 6] {
            assert_eq!(
                live_run(&cfg, &evs, Some(cut)),
                whole,
                "{name}: cut at {cut}"
            );
        }
    }
}

/// Bytes through the readers and the lateness window: the same revisions for any chunking, and
/// input in time order gives, at the end, the alerts of the offline scan.
#[test]
fn live_bytes_in_any_chunks() {
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let cfg = Config::from_json(&config(&case)).unwrap();
        let run = |chunk: usize| {
            let mut d = Detector::new(cfg.clone());
            d.set_live(true).unwrap();
            let mut out = Vec::new();
            for input in inputs(&case) {
                d.begin_source(&input);
                let bytes = fs::read(case.join(&input)).unwrap();
                for c in bytes.chunks(chunk) {
                    out.extend(d.push(c));
                }
            }
            out.extend(d.flush());
            out
        };
        let whole = run(1 << 20);
        let small = run(7);
        assert_eq!(
            small.iter().map(Alert::to_json).collect::<Vec<_>>(),
            whole.iter().map(Alert::to_json).collect::<Vec<_>>(),
            "{name}: chunking changed live output"
        );
        // Every alert ends closed or withdrawn; nothing stays open after the end of input.
        let mut last: BTreeMap<&str, &Alert> = BTreeMap::new();
        for a in &whole {
            last.insert(&a.alert_id, a);
        }
        assert!(
            last.values().all(|a| a.status != Some(Status::Open)),
            "{name}: an alert left open at the end"
        );
    }
}

/// The event-time delay of live alerts through the default lateness window, per detection type:
/// the corpus fed in time order, each alert's first revision must come with the first record at
/// least `live_lateness_secs` after the record that decides it (or, when none comes, at the end
/// of input — a live host releases it when the input goes quiet). Prints the figures
/// BENCHMARKS.md quotes (`--nocapture`).
#[test]
fn live_delay_is_the_lateness_window() {
    // Detection type → (alerts, max delay s, alerts released only at the end).
    let mut by_type: BTreeMap<String, (u32, i64, u32)> = BTreeMap::new();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let cfg = Config::from_json(&config(&case)).unwrap();
        let lateness = chrono::TimeDelta::seconds(cfg.live_lateness_secs as i64);
        let evs = events(&case, &cfg);
        let mut d = Detector::new(cfg.clone());
        d.set_live(true).unwrap();
        let mut first: BTreeMap<String, (Option<usize>, Alert)> = BTreeMap::new();
        for (i, e) in evs.iter().enumerate() {
            for a in d.push_event(e.clone()) {
                first.entry(a.alert_id.clone()).or_insert((Some(i), a));
            }
        }
        for a in d.flush() {
            first.entry(a.alert_id.clone()).or_insert((None, a));
        }
        for (step, a) in first.values() {
            if a.status == Some(Status::Withdrawn) {
                continue;
            }
            // The deciding record is the alert's latest when it first appears.
            let decided = a.last_seen;
            let due = evs.iter().position(|e| e.time >= decided + lateness);
            let entry = by_type.entry(a.detection_type.clone()).or_default();
            entry.0 += 1;
            match (step, due) {
                (Some(s), Some(due)) => {
                    assert!(
                        *s <= due,
                        "{name}: {} {} came after the window",
                        a.detection_type,
                        a.alert_id
                    );
                    entry.1 = entry.1.max((evs[*s].time - decided).num_seconds());
                }
                (None, None) => entry.2 += 1,
                (Some(s), None) => entry.1 = entry.1.max((evs[*s].time - decided).num_seconds()),
                (None, Some(_)) => panic!("{name}: {} held to the end", a.alert_id),
            }
        }
    }
    eprintln!(
        "| detection type | alerts | max event-time delay (s) | released at the end of input |"
    );
    for (t, (n, max, end)) in &by_type {
        eprintln!("| {t} | {n} | {max} | {end} |");
    }
}

/// An open alert that later records turn into something no offline scan reports ends withdrawn:
/// six quick failures open a brute-force attempt; with the compromise rule asking for ten, the
/// success that follows is a user who got in, and the attempt is over (offline: no alert).
#[test]
fn an_attempt_that_turns_out_a_mistyping_user_is_withdrawn() {
    let cfg = Config::from_json(r#"{"failures_then_success":{"min_failures":10}}"#).unwrap();
    let line = |min: u32, code: u32| {
        format!(
            r#"{{"createdDateTime":"2026-03-02T08:{min:02}:00Z","userPrincipalName":"pat@contoso.com","ipAddress":"198.51.100.7","status":{{"errorCode":{code}}},"id":"r{min}"}}"#
        ) + "\n"
    };
    let mut input: String = (0..6).map(|m| line(m, 50126)).collect();
    input.push_str(&line(8, 0));
    input.push_str(&line(50, 0));
    let mut offline = Detector::new(cfg.clone());
    let mut want = offline.push(input.as_bytes());
    want.extend(offline.flush());
    assert!(want.is_empty(), "{want:?}");
    let mut cfg = cfg;
    cfg.live_lateness_secs = 0;
    let mut d = Detector::new(cfg);
    d.set_live(true).unwrap();
    let mut got = d.push(input.as_bytes());
    got.extend(d.flush());
    let seen: Vec<(String, Option<u32>, Option<Status>)> = got
        .iter()
        .map(|a| (a.detection_type.clone(), a.revision, a.status))
        .collect();
    assert_eq!(
        seen,
        [
            ("BruteForceAttempt".into(), Some(1), Some(Status::Open)),
            ("BruteForceAttempt".into(), Some(2), Some(Status::Open)),
            ("BruteForceAttempt".into(), Some(3), Some(Status::Withdrawn)),
        ]
    );
    assert!(got.iter().all(|a| a.alert_id == got[0].alert_id));
    assert_eq!(d.stats().withdrawn_alerts, 1);
    assert_eq!(d.stats().alerts, 0, "a withdrawn alert is not an alert");
}

/// A record older than the lateness window allows is processed when it comes; when it raises an
/// alert that already ended again (same signal, identity, type and window start), that alert goes
/// on from its last revision instead of starting over at 1.
#[test]
fn a_late_record_raises_an_ended_alert_again_from_its_last_revision() {
    let line = |time: &str, id: &str| {
        format!(
            r#"{{"createdDateTime":"{time}","userPrincipalName":"pat@contoso.com","ipAddress":"185.220.101.4","status":{{"errorCode":0}},"autonomousSystemNumber":9009,"id":"{id}"}}"#
        ) + "\n"
    };
    let mut d = Detector::new(Config::default());
    d.set_live(true).unwrap();
    let mut got = d.push(line("2026-03-02T08:00:00Z", "a").as_bytes());
    // A day and more later: the hosting alert's window has ended.
    got.extend(d.push(line("2026-03-03T09:00:00Z", "b").as_bytes()));
    got.extend(d.push(line("2026-03-03T09:02:00Z", "c").as_bytes()));
    // Late: a record of the first one's second.
    got.extend(d.push(line("2026-03-02T08:00:00Z", "d").as_bytes()));
    got.extend(d.flush());
    let first = got
        .iter()
        .find(|a| a.detection_type == "SuspiciousInfrastructure")
        .unwrap()
        .alert_id
        .clone();
    let revs: Vec<(Option<u32>, Option<Status>)> = got
        .iter()
        .filter(|a| a.alert_id == first)
        .map(|a| (a.revision, a.status))
        .collect();
    assert_eq!(
        revs,
        [
            (Some(1), Some(Status::Open)),
            (Some(2), Some(Status::Closed)),
            (Some(3), Some(Status::Open)),
            (Some(4), Some(Status::Closed)),
        ],
        "{got:#?}"
    );
    assert_eq!(d.stats().late_events, 1);
}

/// A record past every window and the lateness closes every alert by itself: no later record and
/// no flush needed (what a host that only runs per record, like the Fluent Bit filter, relies on).
/// The watermark — the newest time less the lateness — closes the windows that end by it.
#[test]
fn a_record_past_every_window_closes_every_alert_without_a_flush() {
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let cfg = Config::from_json(&config(&case)).unwrap();
        let evs = events(&case, &cfg);
        let Some(last) = evs.last() else { continue };
        let mut d = Detector::new(cfg.clone());
        d.set_live(true).unwrap();
        let mut got: BTreeMap<String, Alert> = BTreeMap::new();
        for e in &evs {
            for a in d.push_event(e.clone()) {
                got.insert(a.alert_id.clone(), a);
            }
        }
        let mut closing = last.clone();
        closing.time += chrono::TimeDelta::days(400);
        closing.identity = "closing@t1586.invalid".into();
        closing.identity_key = "closing@t1586.invalid".into();
        closing.record.record_id = None;
        for a in d.push_event(closing) {
            got.insert(a.alert_id.clone(), a);
        }
        let mut want: Vec<String> = offline(&cfg, &evs).iter().map(bare).collect();
        want.sort();
        let mut have: Vec<String> = got
            .values()
            .filter(|a| a.status != Some(Status::Withdrawn))
            .map(|a| {
                assert_eq!(a.status, Some(Status::Closed), "{name}: {}", a.to_json());
                bare(a)
            })
            .collect();
        have.sort();
        assert_eq!(have, want, "{name}");
    }
}
