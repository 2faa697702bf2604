//! Real sorted runs, damaged in every way a temporary file can be (cut short, any byte changed),
//! handed back for a merge: merged or refused with an error naming the run, never a panic — the
//! `run` fuzz target's check on inputs it would take long to find.
use t1586_detector::{Config, Detector, Order};

#[test]
fn damaged_runs_are_refused_or_merged_never_a_panic() {
    let mut cfg = Config::default();
    cfg.limits.sort_run_events = 3;
    let mut d = Detector::new(cfg);
    d.set_order(Order::Sort).unwrap();
    for i in 0..6 {
        d.push(format!(
            "{{\"createdDateTime\":\"2026-01-01T00:00:0{i}Z\",\"userPrincipalName\":\"u{i}@b\",\"ipAddress\":\"203.0.113.{i}\",\"status\":{{\"errorCode\":50126}}}}\n"
        ).as_bytes());
    }
    let mut runs = Vec::new();
    while let Some(r) = d.take_spill() {
        runs.push(r);
    }
    assert_eq!(runs.len(), 2);
    let both: Vec<u8> = runs.concat();
    let mut input = vec![0u8, (runs[0].len() * 256 / both.len()) as u8];
    input.extend_from_slice(&both);
    t1586_fuzz::check_run(&input);
    for cut in 0..both.len() {
        t1586_fuzz::check_run(&[&[0u8, 128][..], &both[..cut]].concat());
    }
    for at in 0..both.len() {
        for flip in [0x01u8, 0x80, 0xff] {
            let mut b = both.clone();
            b[at] ^= flip;
            t1586_fuzz::check_run(&[&[3u8, 5, 17, 200, 128][..], &b[..]].concat());
        }
    }
}
