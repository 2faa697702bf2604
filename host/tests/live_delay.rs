//! Issue 41: how much event time passes between the record that decides an alert and its first
//! live revision, on a dense feed — a generated tenant (`t1586 generate --users 2000`: 7 days,
//! Windows logons too), its records in time order through live mode with the default
//! `live_lateness_secs` — against the offline stream, where an alert comes when its window closes.
//!
//! Every first revision must come no later than with the first record at least the lateness after
//! the deciding one. Prints the per-type figures BENCHMARKS.md quotes (`--nocapture`).

use std::collections::BTreeMap;

use t1586_detector::alert::Status;
use t1586_detector::ingest::{Decoded, Ingest};
use t1586_detector::{AuthEvent, Config, Detector};

fn tenant_events(cfg: &Config) -> Vec<AuthEvent> {
    // Ten times the default users: a few records a minute, as a mid-sized tenant's feed.
    let demo = t1586_host::generate::in_memory(&t1586_host::generate::Options {
        users: 2000,
        ..Default::default()
    });
    let mut evs = Vec::new();
    let mut ingest = Ingest::new("input", cfg.limits.max_record_bytes);
    let mut keep = |it: t1586_detector::ingest::Item| {
        if let Decoded::Event(ev) = it.decoded {
            evs.push(*ev);
        }
    };
    for (name, bytes) in &demo.files {
        ingest.finish(name, None, &mut keep);
        ingest.push(bytes, &mut keep);
    }
    ingest.finish("end", None, &mut keep);
    evs.sort_by_key(|e| (e.time, e.tie_key()));
    evs
}

fn median(v: &mut [i64]) -> i64 {
    v.sort_unstable();
    v[v.len() / 2]
}

#[test]
fn live_alerts_come_one_lateness_after_the_deciding_record() {
    let cfg = Config::default();
    let lateness = cfg.live_lateness_secs as i64;
    let evs = tenant_events(&cfg);
    // Detection type → event-time delays (s): live first revisions; offline alerts.
    let mut live: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut offline: BTreeMap<String, Vec<i64>> = BTreeMap::new();
    let mut d = Detector::new(cfg.clone());
    d.set_live(true).unwrap();
    let mut o = Detector::new(cfg.clone());
    let mut seen = std::collections::BTreeSet::new();
    let (mut at_end, mut withdrawn) = (0, 0);
    for (i, e) in evs.iter().enumerate() {
        for a in d.push_event(e.clone()) {
            if a.status == Some(Status::Withdrawn) {
                withdrawn += 1;
                continue;
            }
            if !seen.insert(a.alert_id.clone()) {
                continue;
            }
            let decided = a.last_seen;
            let late_enough = |x: &AuthEvent| (x.time - decided).num_seconds() >= lateness;
            let due = evs[..=i].iter().position(late_enough);
            // Released with the first record at least the lateness later, or earlier.
            assert!(
                due.is_none_or(|p| p == i),
                "{} {} came later than its window: at {} (step {i}), decided {decided}, due step {due:?} at {:?}\n{}",
                a.detection_type,
                a.alert_id,
                e.time,
                due.map(|p| evs[p].time),
                a.to_json()
            );
            live.entry(a.detection_type.clone())
                .or_default()
                .push((e.time - decided).num_seconds());
        }
        for a in o.push_event(e.clone()) {
            offline
                .entry(a.detection_type.clone())
                .or_default()
                .push((e.time - a.last_seen).num_seconds());
        }
    }
    for a in d.flush() {
        if a.status != Some(Status::Withdrawn) && seen.insert(a.alert_id.clone()) {
            at_end += 1;
        }
    }
    assert!(live.values().map(Vec::len).sum::<usize>() > 15, "{live:?}");
    eprintln!(
        "{} records; {at_end} alerts first seen only at the end of input; {withdrawn} withdrawn",
        evs.len()
    );
    assert_eq!(withdrawn, 0);
    eprintln!(
        "| detection type | alerts | live: median / max delay (s) | offline stream: median / max delay (s) |"
    );
    for (t, v) in &mut live {
        let (lm, lx) = (median(v), *v.iter().max().unwrap());
        let off = offline
            .get_mut(t)
            .map_or("at the end of input".to_string(), |w| {
                format!("{} / {}", median(w), w.iter().max().unwrap())
            });
        eprintln!("| {t} | {} | {lm} / {lx} | {off} |", v.len());
    }
}
