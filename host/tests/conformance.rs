//! The conformance corpus through the wasmtime host: the embedded `.wasm` via the library, and the
//! real `t1586` binary as a user runs it. Both must print exactly `expected.jsonl`.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use t1586_host::runtime::{Detector, Limits, Plugin};

const NOT_INPUT: &[&str] = &[
    "expected.jsonl",
    "expected-stats.json",
    "config.json",
    "README.md",
];

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

fn cases() -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = fs::read_dir(corpus())
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}

fn inputs(case: &Path) -> Vec<String> {
    let mut v: Vec<String> = fs::read_dir(case)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .filter(|n| !NOT_INPUT.contains(&n.as_str()))
        .collect();
    v.sort();
    v
}

#[test]
fn embedded_module_has_no_imports_and_speaks_abi_1() {
    let engine = wasmtime::Engine::default();
    let m = wasmtime::Module::new(&engine, t1586_host::runtime::EMBEDDED_WASM).unwrap();
    let imports: Vec<String> = m
        .imports()
        .map(|i| format!("{}::{}", i.module(), i.name()))
        .collect();
    assert!(imports.is_empty(), "imports: {imports:?}");
    let p = Plugin::embedded().unwrap();
    let d = Detector::open(&p, "{}", Limits::default()).unwrap();
    assert_eq!(d.version(), t1586_detector::VERSION);
}

#[test]
fn corpus_through_wasmtime_library() {
    let plugin = Plugin::embedded().unwrap();
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let cfg = fs::read_to_string(case.join("config.json")).unwrap_or_else(|_| "{}".into());
        let mut det = Detector::open(&plugin, &cfg, Limits::default()).unwrap();
        let mut lines = Vec::new();
        for f in inputs(&case) {
            let bytes = fs::read(case.join(&f)).unwrap();
            t1586_host::feed(&mut det, &f, &bytes[..], &mut lines)
                .map_err(|(e, _)| e)
                .unwrap();
        }
        lines.extend(det.flush().unwrap());
        let alerts = t1586_host::collect_alerts(&lines).unwrap();
        let got: String = alerts.iter().map(|a| format!("{}\n", a.json)).collect();
        let want = fs::read_to_string(case.join("expected.jsonl")).unwrap();
        assert_eq!(got, want, "{name}");
        if let Ok(s) = fs::read_to_string(case.join("expected-stats.json")) {
            let want: serde_json::Value = serde_json::from_str(&s).unwrap();
            let stats = det.stats().unwrap();
            for (k, v) in want.as_object().unwrap() {
                assert_eq!(&stats[k], v, "{name}: stats.{k}");
            }
        }
    }
}

#[test]
fn corpus_through_the_cli_binary() {
    for case in cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_t1586"));
        cmd.current_dir(&case).args(["scan", "--format", "jsonl"]);
        if case.join("config.json").exists() {
            cmd.args(["--config", "config.json"]);
        }
        cmd.args(inputs(&case));
        let out = cmd.output().unwrap();
        assert!(
            out.status.success(),
            "{name}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        let want = fs::read_to_string(case.join("expected.jsonl")).unwrap();
        assert_eq!(String::from_utf8(out.stdout).unwrap(), want, "{name}");
    }
}
