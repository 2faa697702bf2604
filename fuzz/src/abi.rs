//! Random call sequences through the real `.wasm` and its C ABI, as the CLI drives it (wasmtime,
//! `t1586::runtime`): random configurations, sources and forced formats, pushes of random bytes in
//! random pieces, enrichment files, snapshots restored into a new instance, stats, flushes. Errors
//! the detector reports (a rejected configuration, an unreadable `.mmdb`) are fine; a trap (a panic
//! in the core), a time-out or a memory-limit stop is a bug.
use std::sync::LazyLock;
use std::time::Duration;

use arbitrary::Arbitrary;
use t1586_host::runtime::{Detector, Limits, Plugin};

static PLUGIN: LazyLock<Plugin> = LazyLock::new(|| Plugin::embedded().expect("embedded module"));

const LIMITS: Limits = Limits {
    max_memory: 512 << 20,
    call_timeout: Duration::from_secs(20),
};

#[derive(Arbitrary, Debug)]
enum Cfg {
    Empty,
    Raw(String),
    /// `{"profile": ..., key: value, ...}` over settings that size windows and state.
    Keys(bool, Vec<(u8, i64)>),
}

/// Every integer setting of both profiles, as (section, key) (`""`: top level): read from the
/// configurations themselves, so a signal added to the core is fuzzed without a list to update.
static KEYS: LazyLock<Vec<(String, String)>> = LazyLock::new(|| {
    let mut keys = Vec::new();
    for profile in [
        t1586_detector::Profile::Seed,
        t1586_detector::Profile::Default,
    ] {
        let cfg = t1586_detector::Config::for_profile(profile).to_json_pretty();
        let v: serde_json::Value = serde_json::from_str(&cfg).expect("configuration JSON");
        for (k, x) in v.as_object().into_iter().flatten() {
            if x.is_u64() {
                keys.push((String::new(), k.clone()));
            }
            for (k2, y) in x.as_object().into_iter().flatten() {
                if y.is_u64() {
                    keys.push((k.clone(), k2.clone()));
                }
            }
        }
    }
    keys.sort();
    keys.dedup();
    keys
});

impl Cfg {
    fn json(&self) -> String {
        match self {
            Cfg::Empty => String::new(),
            Cfg::Raw(s) => s.clone(),
            Cfg::Keys(seed, kv) => {
                let mut o = serde_json::Map::new();
                o.insert(
                    "profile".into(),
                    (if *seed { "seed" } else { "default" }).into(),
                );
                for (k, v) in kv {
                    let (section, key) = &KEYS[usize::from(*k) % KEYS.len()];
                    if section.is_empty() {
                        o.insert(key.clone(), (*v).into());
                    } else {
                        let s = o
                            .entry(section.clone())
                            .or_insert_with(|| serde_json::json!({}));
                        s[key] = (*v).into();
                    }
                }
                serde_json::Value::Object(o).to_string()
            }
        }
    }
}

#[derive(Arbitrary, Debug)]
enum Op {
    Begin(String, u8),
    Push(Vec<u8>),
    Enrich(u8, Vec<u8>),
    Snapshot,
    Stats,
    Flush,
    DefaultConfig(String),
}

#[derive(Arbitrary, Debug)]
pub struct Input {
    cfg: Cfg,
    ops: Vec<Op>,
}

fn ok_or_reported<T>(r: anyhow::Result<T>, what: &str) -> Option<T> {
    match r {
        Ok(v) => Some(v),
        Err(e) => {
            let m = format!("{e:#}");
            assert!(
                !(m.contains("panicked")
                    || m.contains("trapped")
                    || m.contains("time limit")
                    || m.contains("memory limit")
                    || m.contains("outside")),
                "{what}: {m}"
            );
            None
        }
    }
}

/// One call sequence; panics (fails the fuzz run) on anything but a reported error.
pub fn check(input: &Input) {
    let Some(mut d) = ok_or_reported(Detector::open(&PLUGIN, &input.cfg.json(), LIMITS), "open")
    else {
        return;
    };
    for op in input.ops.iter().take(64) {
        match op {
            Op::Begin(name, f) => {
                ok_or_reported(d.begin_source_as(name, u32::from(*f % 6)), "begin_source");
            }
            Op::Push(bytes) => {
                ok_or_reported(d.push(bytes), "push");
            }
            Op::Enrich(kind, bytes) => {
                ok_or_reported(d.enrich(u32::from(*kind % 4), bytes), "enrich");
            }
            Op::Snapshot => {
                let snap = ok_or_reported(d.snapshot(), "snapshot").expect("snapshots work");
                d = ok_or_reported(Detector::restore(&PLUGIN, &snap, LIMITS), "restore")
                    .expect("a snapshot restores");
            }
            Op::Stats => {
                ok_or_reported(d.stats(), "stats").expect("stats work");
            }
            Op::Flush => {
                ok_or_reported(d.flush(), "flush").expect("flush works");
            }
            Op::DefaultConfig(p) => {
                ok_or_reported(d.default_config(p), "default_config");
            }
        }
    }
    ok_or_reported(d.flush(), "final flush").expect("flush works");
}
