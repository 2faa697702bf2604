//! The native detector end to end: stream a file in 256 KiB chunks through `t1586_detector` with
//! the default configuration, as the CLI does in wasm. Prints `events alerts` on stdout.
//!
//! `native --reader-only FILE`: the same, with every signal off, de-duplication off and no
//! reordering wait (`max_lateness_secs` 0): what reading the records into events costs on its own,
//! through the same public interface (the part of a run the parse floor is comparable with).
#![forbid(unsafe_code)]

use std::io::Read;

fn main() {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let reader_only = args.first().is_some_and(|a| a == "--reader-only");
    if reader_only {
        args.remove(0);
    }
    let path = args.first().expect("usage: native [--reader-only] FILE");
    let cfg = if reader_only {
        reader_config()
    } else {
        t1586_detector::Config::default()
    };
    let mut f = std::fs::File::open(path).expect("open");
    let mut d = t1586_detector::Detector::new(cfg);
    d.begin_source(path);
    let mut buf = vec![0u8; 256 * 1024];
    let mut alerts = 0usize;
    loop {
        let n = f.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        alerts += d.push(&buf[..n]).len();
    }
    alerts += d.flush().len();
    let s = d.stats();
    println!("{} {alerts}", s.events);
}

/// The default configuration with nothing after the reader: no signal, no de-duplication, and
/// events handed on as they arrive.
fn reader_config() -> t1586_detector::Config {
    let mut c = t1586_detector::Config {
        max_lateness_secs: 0,
        dedup: false,
        ..Default::default()
    };
    c.credential_stuffing.enabled = false;
    c.impossible_travel.enabled = false;
    c.hosting.enabled = false;
    c.failures_then_success.enabled = false;
    c.password_spray.enabled = false;
    c.geo_velocity.enabled = false;
    c.token_replay.enabled = false;
    c.legacy_auth.enabled = false;
    c.mfa_fatigue.enabled = false;
    c.identity_protection.enabled = false;
    c.combined_risk.enabled = false;
    c.failed_logons_then_success.enabled = false;
    c.one_source_many_accounts.enabled = false;
    c
}
