//! Criterion benchmark of the core: the bundled demo tenant (Graph JSON) and the seed-third EVTX
//! file through a fresh detector, default profile. Whole-process figures are in BENCHMARKS.md
//! (`bench/run.sh`); this one isolates the core for before/after comparisons of a change.
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use t1586_detector::{Config, Detector};

fn scan(bytes: &[u8]) -> usize {
    let mut d = Detector::new(Config::default());
    let mut n = d.push(bytes).len();
    n += d.flush().len();
    n
}

fn core(c: &mut Criterion) {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests");
    let mut g = c.benchmark_group("core");
    for (name, path) in [
        ("graph-demo", "demo/signins.json"),
        (
            "evtx-seed-third",
            "corpus/windows-evtx-seed-third/security.evtx",
        ),
        (
            "evtx-dump-jsonl",
            "corpus/windows-evtx-dump-jsonl/dc01.jsonl",
        ),
    ] {
        let bytes = std::fs::read(root.join(path)).expect("test input");
        g.throughput(Throughput::Bytes(bytes.len() as u64));
        g.bench_function(name, |b| b.iter(|| scan(std::hint::black_box(&bytes))));
    }
    g.finish();
}

criterion_group!(benches, core);
criterion_main!(benches);
