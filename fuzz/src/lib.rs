//! What every fuzz target checks, shared so the regression test (`tests/fuzz_regressions.rs` in the
//! detector... see `check`) and the targets agree.
//!
//! For one input and one format: the core never panics; records read = parsed + rejected, and the
//! rejections add up by reason; the same bytes pushed whole and pushed in the pieces the fuzzer chose
//! give the same alerts and the same accounting (chunking invariance); every alert serializes.
#![forbid(unsafe_code)]

use t1586_detector::{Config, Detector, InputFormat};

pub mod abi;

/// Split points from the input's first bytes: `data[0]` (mod 8) pieces, sized from `data[1..]`.
pub fn pieces(data: &[u8]) -> (Vec<usize>, &[u8]) {
    let Some((&n, rest)) = data.split_first() else {
        return (vec![], data);
    };
    let n = usize::from(n % 8);
    let (sizes, body) = rest.split_at(n.min(rest.len()));
    (sizes.iter().map(|&s| usize::from(s) + 1).collect(), body)
}

/// `body` pushed in pieces of `sizes` (cycled; whole when empty), then flushed: every alert.
fn feed(d: &mut Detector, body: &[u8], sizes: &[usize]) -> Vec<t1586_detector::Alert> {
    let mut alerts = Vec::new();
    let mut rest = body;
    let mut i = 0;
    while !rest.is_empty() {
        let n = if sizes.is_empty() {
            rest.len()
        } else {
            sizes[i % sizes.len()].min(rest.len())
        };
        alerts.extend(d.push(&rest[..n]));
        rest = &rest[n..];
        i += 1;
    }
    alerts.extend(d.flush());
    alerts
}

fn run(body: &[u8], format: Option<InputFormat>, sizes: &[usize]) -> (Vec<String>, [u64; 3]) {
    let mut d = Detector::new(Config::default());
    d.begin_source_as("fuzz-input", format);
    let alerts = feed(&mut d, body, sizes);
    let s = d.stats();
    assert_eq!(
        s.records_read,
        s.records_parsed + s.records_rejected,
        "accounting: {s:?}"
    );
    assert_eq!(
        s.records_rejected,
        s.rejected_by_reason.values().sum::<u64>(),
        "rejections by reason: {s:?}"
    );
    let lines = alerts.iter().map(|a| a.to_json()).collect();
    (
        lines,
        [s.records_read, s.records_parsed, s.records_rejected],
    )
}

/// The checks above, for one fuzz input read as `format` (`None`: detected).
pub fn check(data: &[u8], format: Option<InputFormat>) {
    let (sizes, body) = pieces(data);
    check_pieces(&sizes, body, format);
}

/// An EVTX file around the fuzz input: a file header, then the input as its chunks (so the fuzzer
/// works on chunk and record bytes, not on getting past the file magic).
pub fn check_evtx(data: &[u8]) {
    let (sizes, body) = pieces(data);
    let mut file = vec![0u8; 4096];
    file[..8].copy_from_slice(b"ElfFile\0");
    file[0x20..0x24].copy_from_slice(&128u32.to_le_bytes());
    file[0x28..0x2a].copy_from_slice(&1u16.to_le_bytes());
    file[0x2a..0x2c].copy_from_slice(&3u16.to_le_bytes());
    file[0x2c..0x2e].copy_from_slice(&4096u16.to_le_bytes());
    file.extend_from_slice(body);
    check_pieces(&sizes, &file, Some(InputFormat::Evtx));
}

fn check_pieces(sizes: &[usize], body: &[u8], format: Option<InputFormat>) {
    let whole = run(body, format, &[]);
    let live = run_live(body, format, &[]);
    if !sizes.is_empty() {
        let split = run(body, format, sizes);
        assert_eq!(
            whole, split,
            "chunking changed the result (pieces {sizes:?})"
        );
        assert_eq!(
            live,
            run_live(body, format, sizes),
            "chunking changed the live revisions (pieces {sizes:?})"
        );
    }
}

/// Live mode: every revision serializes, an alert's revisions are numbered 1, 2, 3... (a late
/// record that raises an ended alert again goes on from its last revision), and nothing is left
/// open at the end of input.
fn run_live(body: &[u8], format: Option<InputFormat>, sizes: &[usize]) -> Vec<String> {
    use std::collections::BTreeMap;
    use t1586_detector::alert::Status;
    let mut d = Detector::new(Config::default());
    d.set_live(true).expect("stream order");
    d.begin_source_as("fuzz-input", format);
    let revs = feed(&mut d, body, sizes);
    let mut last: BTreeMap<&str, (u32, Option<Status>)> = BTreeMap::new();
    for a in &revs {
        // A late record can raise an ended alert again: it goes on from its last revision.
        let n = last.get(a.alert_id.as_str()).map_or(0, |l| l.0);
        assert_eq!(a.revision, Some(n + 1), "numbering: {}", a.to_json());
        last.insert(&a.alert_id, (n + 1, a.status));
    }
    assert!(
        last.values().all(|(_, s)| *s != Some(Status::Open)),
        "an alert left open at the end of input"
    );
    revs.iter().map(|a| a.to_json()).collect()
}

/// Any bytes through the CLI's input opening (gzip detected by its magic, as `t1586 scan` does),
/// then the core: a corrupt or truncated gzip stream is an I/O error after the part that did
/// decompress, never a panic; what was read is accounted for.
pub fn check_gzip(data: &[u8]) {
    use std::io::Read;

    let (sizes, body) = pieces(data);
    let Ok(mut r) = t1586_host::decompressing(Box::new(std::io::Cursor::new(body.to_vec()))) else {
        return;
    };
    let mut d = t1586_detector::Detector::new(t1586_detector::Config::default());
    d.begin_source("fuzz.gz");
    let mut buf = vec![0u8; sizes.first().copied().unwrap_or(4096)];
    let mut total = 0usize;
    loop {
        match r.read(&mut buf) {
            Ok(0) | Err(_) => break,
            Ok(n) => {
                total += n;
                d.push(&buf[..n]);
                // Bounded: a gzip bomb stops at 64 MiB here (the CLI streams any size).
                if total > 64 << 20 {
                    break;
                }
            }
        }
    }
    d.flush();
    let s = d.stats();
    assert_eq!(s.records_read, s.records_parsed + s.records_rejected);
}

/// Replay one saved input of a target (a crash turned regression test).
/// Any bytes as a MaxMind DB: opening and looking up addresses return answers or errors, never
/// panic, and stop (the reader's depth and value limits). The addresses looked up are the usual ones
/// plus 16 taken from the input's last bytes, so the fuzzer can steer lookups into its own tree.
pub fn check_mmdb(data: &[u8]) {
    use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};
    let Ok(db) = t1586_detector::mmdb::Mmdb::open(data.to_vec()) else {
        return;
    };
    let tail: [u8; 16] =
        std::array::from_fn(|i| data.len().checked_sub(16 - i).map_or(0, |j| data[j]));
    let mut ips = vec![
        IpAddr::V4(Ipv4Addr::new(1, 2, 3, 4)),
        IpAddr::V4(Ipv4Addr::new(200, 2, 3, 4)),
        IpAddr::V6(Ipv6Addr::LOCALHOST),
        IpAddr::V6(Ipv6Addr::from(tail)),
    ];
    ips.push(IpAddr::V4(Ipv4Addr::new(
        tail[0], tail[1], tail[2], tail[3],
    )));
    for ip in ips {
        let _ = db.lookup(ip);
    }
}

/// Any bytes as two sorted runs handed back for a merge (split at the first byte's position,
/// fed in pieces): processed or refused with an error naming the run, never a panic. The seeds are
/// real runs (the fuzzer mutates them: a damaged temporary file).
pub fn check_run(data: &[u8]) {
    use t1586_detector::{Config, Detector, Order};
    let (pieces, data) = pieces(data);
    let cut = data
        .first()
        .map_or(0, |&b| usize::from(b) * data.len() / 256);
    let runs = [&data[..cut], &data[cut..]];
    let mut d = Detector::new(Config::default());
    d.set_order(Order::Sort).expect("sort");
    // Two runs that were never spilled are refused; one spilled run, then the fuzzer's bytes.
    assert!(d.merge_begin(2).is_err());
    let mut cfg = Config::default();
    cfg.limits.sort_run_events = 1;
    let mut d = Detector::new(cfg);
    d.set_order(Order::Sort).expect("sort");
    d.push(br#"{"createdDateTime":"2026-01-01T00:00:00Z","userPrincipalName":"a@b","status":{"errorCode":0}}"#);
    d.push(b"\n");
    d.push(br#"{"createdDateTime":"2026-01-01T00:00:01Z","userPrincipalName":"a@b","status":{"errorCode":0}}"#);
    d.push(b"\n");
    let mut spilled = 0;
    while d.take_spill().is_some() {
        spilled += 1;
    }
    if spilled != 2 || d.merge_begin(2).is_err() {
        return;
    }
    let mut at = [0usize; 2];
    let mut step = pieces.iter().cycle();
    while let Some(r) = d.merge_wanted() {
        let n = (*step.next().unwrap_or(&4096)).max(1);
        let end = (at[r] + n).min(runs[r].len());
        if d.merge_feed(Some(r), &runs[r][at[r]..end]).is_err() {
            return;
        }
        at[r] = end;
    }
    d.flush();
}

/// The Fluent Bit filter, natively (`plugins/fluent-bit`): the bytes split at 0x1e into records,
/// fed under one tag in both modes. No panic; annotate passes every record unchanged or adds
/// `t1586_alerts` to it, alerts mode gives the same revisions; and a record after them all (past
/// every window) closes every open alert.
pub fn check_fluent_bit(data: &[u8]) {
    use t1586_fluent_bit::Filter;
    let mut records: Vec<&[u8]> = data.split(|b| *b == 0x1e).collect();
    let closing = br#"{"createdDateTime":"2999-01-01T00:00:00Z","userPrincipalName":"closing@t1586.invalid","status":{"errorCode":0}}"#;
    records.push(closing);
    let slot = |mode: &str| format!(r#"{{"mode":"{mode}","config":{{}}}}"#);
    let mut alerts = Filter::new(Some(&slot("alerts"))).expect("default filter");
    let mut annotate = Filter::new(Some(&slot("annotate"))).expect("default filter");
    let (mut from_alerts, mut from_annotate) = (Vec::new(), Vec::new());
    for r in &records {
        if let Some(out) = alerts.record(b"fuzz", r) {
            let v: serde_json::Value = serde_json::from_slice(&out).expect("alerts output is JSON");
            from_alerts.extend(
                v["alerts"]
                    .as_array()
                    .expect("an alerts list")
                    .iter()
                    .cloned(),
            );
        }
        let out = annotate
            .record(b"fuzz", r)
            .expect("annotate passes every record");
        if out != *r {
            // Where serde_json reads the record as a value (not, say, 1e999), the annotated one
            // is the same object plus `t1586_alerts`.
            let Ok(given) = serde_json::from_slice::<serde_json::Value>(r) else {
                let head = std::str::from_utf8(r).expect("annotated: UTF-8").trim_end();
                let head = head.strip_suffix('}').expect("annotated: an object");
                assert!(
                    out.starts_with(head.as_bytes()),
                    "annotate changed a record"
                );
                let tail = &out[head.len()..];
                let tail = tail.strip_prefix(b",").unwrap_or(tail);
                let added: serde_json::Value =
                    serde_json::from_slice(&[b"{", tail].concat()).expect("the added key is JSON");
                from_annotate.extend(
                    added["t1586_alerts"]
                        .as_array()
                        .expect("a list")
                        .iter()
                        .cloned(),
                );
                continue;
            };
            let mut v: serde_json::Value =
                serde_json::from_slice(&out).expect("an annotated record is JSON");
            let list = v
                .as_object_mut()
                .expect("an annotated record is an object")
                .remove("t1586_alerts")
                .expect("t1586_alerts added");
            from_annotate.extend(list.as_array().expect("a list").iter().cloned());
            assert_eq!(v, given, "annotate changed a record");
        }
    }
    assert_eq!(
        from_alerts, from_annotate,
        "both modes give the same revisions"
    );
    let mut last = std::collections::BTreeMap::new();
    for a in &from_alerts {
        last.insert(
            a["AlertId"].as_str().expect("AlertId").to_string(),
            a["Status"].clone(),
        );
    }
    for (id, status) in last {
        assert!(
            status == "closed" || status == "withdrawn",
            "{id} left {status}"
        );
    }
}

pub fn replay(target: &str, data: &[u8]) {
    match target {
        "json" => check(data, Some(InputFormat::Json)),
        "csv" => check(data, Some(InputFormat::Csv)),
        "xml" => check(data, Some(InputFormat::Xml)),
        "evtx" => check_evtx(data),
        "auto" => check(data, None),
        "gzip" => check_gzip(data),
        "mmdb" => check_mmdb(data),
        "run" => check_run(data),
        "fluent_bit" => check_fluent_bit(data),
        "abi" => {
            use arbitrary::Arbitrary;
            if let Ok(input) = abi::Input::arbitrary_take_rest(arbitrary::Unstructured::new(data)) {
                abi::check(&input);
            }
        }
        other => panic!("unknown fuzz target {other}"),
    }
}
