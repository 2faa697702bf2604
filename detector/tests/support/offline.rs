//! The offline protocol driven the way every host drives it (`crate::offline`): stream, restart
//! sorted when the input is out of order, store the spilled runs, merge them at the end. Runs are
//! kept in memory here; hosts keep them in files.
#![allow(dead_code)]

use t1586_detector::{Alert, Config, Detector, Order, Stats};

/// Alerts (sorted) and statistics of `files` read offline in chunks of `chunk` bytes.
pub fn scan_offline(
    cfg: &Config,
    files: &[(String, Vec<u8>)],
    chunk: usize,
) -> (Vec<Alert>, Stats) {
    let mut det = Detector::new(cfg.clone());
    det.set_order(Order::Offline).unwrap();
    let mut alerts = Vec::new();
    let mut runs: Vec<Vec<u8>> = Vec::new();
    'read: loop {
        for (name, bytes) in files {
            det.begin_source(name);
            for c in bytes.chunks(chunk) {
                alerts.extend(det.push(c));
                while let Some(r) = det.take_spill() {
                    runs.push(r);
                }
                if det.order() == Order::Restart {
                    det.restart_sorted();
                    alerts.clear();
                    continue 'read;
                }
            }
        }
        break;
    }
    if !runs.is_empty() {
        alerts.extend(det.merge_begin(runs.len() as u64).unwrap());
        let mut at = vec![0; runs.len()];
        while let Some(r) = det.merge_wanted() {
            let end = (at[r] + chunk).min(runs[r].len());
            alerts.extend(det.merge_feed(Some(r), &runs[r][at[r]..end]).unwrap());
            at[r] = end;
        }
    }
    alerts.extend(det.flush());
    t1586_detector::sort_alerts(&mut alerts);
    (alerts, det.stats())
}

/// Alerts as JSON Lines with each evidence record's own file and line left out (what may differ
/// between input orders: which of two records with the same content is named).
pub fn without_positions(alerts: &[Alert]) -> String {
    alerts
        .iter()
        .map(|a| {
            let mut v: serde_json::Value = serde_json::from_str(&a.to_json()).unwrap();
            if let Some(ev) = v.get_mut("Evidence").and_then(|e| e.as_array_mut()) {
                for e in ev {
                    if let Some(o) = e.as_object_mut() {
                        o.remove("Source");
                        o.remove("Line");
                    }
                }
            }
            v.to_string() + "\n"
        })
        .collect()
}

/// The same for alerts as JSON Lines text (a host's output).
pub fn text_without_positions(text: &str) -> String {
    text.lines()
        .map(|l| {
            let mut v: serde_json::Value = serde_json::from_str(l).unwrap();
            for e in v["Evidence"].as_array_mut().into_iter().flatten() {
                let o = e.as_object_mut().unwrap();
                o.remove("Source");
                o.remove("Line");
            }
            v.to_string() + "\n"
        })
        .collect()
}
