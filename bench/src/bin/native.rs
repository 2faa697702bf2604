//! The native detector end to end: stream a file in 256 KiB chunks through `t1586_detector` with
//! the default configuration, as the CLI does in wasm. Prints `events alerts` on stdout.
//!
//! `native --reader-only FILE`: the same, with every signal off, de-duplication off and no
//! reordering wait (`max_lateness_secs` 0): what reading the records into events costs on its own,
//! through the same public interface (the part of a run the parse floor is comparable with).
//!
//! `native --no-wait FILE`: the default configuration with no reordering wait (`max_lateness_secs`
//! 0): every signal and de-duplication as in the default run, each event handed on as it arrives.
//! What the full detector could reach if no event ever waited for the watermark (this input is in
//! time order, so the alerts are the same; input out of order would be processed late).
//!
//! `native --sort FILE`: the default configuration reading the file as out-of-order offline input
//! ([`t1586_detector::Order::Sort`]): every event held, spilled as sorted runs (kept in memory
//! here, in files by the CLI) and merged back — what sorting costs, without the first pass.
//!
//! `native --upto reorder|dedup|SIGNAL FILE`: what each part after the reader adds, run by run:
//! the reader and the default reordering wait (`reorder`); also de-duplication (`dedup`); also one
//! signal of the default profile, by its configuration key (`hosting`, `failures_then_success`,
//! `password_spray`, `geo_velocity`, `token_replay`, ... — `Config::SIGNALS`; the combined-risk
//! stage needs the others: it is the difference between the default run and the rest).
//! BENCHMARKS.md has the figures.
#![forbid(unsafe_code)]

use std::io::Read;

fn main() {
    const USAGE: &str = "usage: native [--live] [--reader-only | --no-wait | --sort | --upto reorder|dedup|SIGNAL] FILE...";
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    // Live mode (issue 41): revisions after every record.
    let live = args.first().is_some_and(|a| a == "--live");
    if live {
        args.remove(0);
    }
    let sort = args.first().is_some_and(|a| a == "--sort");
    if sort {
        args.remove(0);
    }
    let cfg = match args.first().map(String::as_str) {
        Some("--reader-only") => {
            args.remove(0);
            reader_config()
        }
        Some("--no-wait") => {
            args.remove(0);
            t1586_detector::Config {
                max_lateness_secs: 0,
                ..Default::default()
            }
        }
        Some("--upto") => {
            let part = args.get(1).cloned().expect(USAGE);
            args.drain(..2);
            upto(&part).unwrap_or_else(|| panic!("{USAGE}: no part {part:?}"))
        }
        _ => t1586_detector::Config::default(),
    };
    assert!(!args.is_empty(), "{USAGE}");
    let mut d = t1586_detector::Detector::new(cfg);
    if sort {
        d.set_order(t1586_detector::Order::Sort).expect("sort");
    }
    if live {
        d.set_live(true).expect("live");
    }
    let mut buf = vec![0u8; 256 * 1024];
    let mut alerts = 0usize;
    let mut runs = Vec::new();
    for path in &args {
        let mut f = std::fs::File::open(path).expect("open");
        d.begin_source(path);
        loop {
            let n = f.read(&mut buf).expect("read");
            if n == 0 {
                break;
            }
            alerts += d.push(&buf[..n]).len();
            while let Some(r) = d.take_spill() {
                runs.push(r);
            }
        }
    }
    if !runs.is_empty() {
        alerts += d.merge_begin(runs.len() as u64).expect("merge").len();
        let mut at = vec![0; runs.len()];
        while let Some(r) = d.merge_wanted() {
            let end = (at[r] + buf.len()).min(runs[r].len());
            alerts += d
                .merge_feed(Some(r), &runs[r][at[r]..end])
                .expect("run")
                .len();
            at[r] = end;
        }
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
    c.disable_signals();
    c
}

/// The reader, then the parts up to `part`: the default reordering wait, de-duplication, and one
/// signal (by its configuration key) as the default profile configures it.
fn upto(part: &str) -> Option<t1586_detector::Config> {
    let d = t1586_detector::Config::default();
    let mut c = t1586_detector::Config {
        max_lateness_secs: d.max_lateness_secs,
        ..reader_config()
    };
    if part == "reorder" {
        return Some(c);
    }
    c.dedup = d.dedup;
    if part == "dedup" || (c.copy_signal(part, &d) && d.signal_enabled(part) == Some(true)) {
        return Some(c);
    }
    None
}
