//! The conformance corpus through the wasmtime host: the embedded `.wasm` via the library, and the
//! real `t1586` binary as a user runs it. Both must print exactly `expected.jsonl`.

use std::fs;
use std::process::Command;

use t1586_host::runtime::{Detector, Limits, Plugin};

#[path = "../../detector/tests/support/corpus.rs"]
mod support;
use support::{cases, check_stats, config, corpus, inputs};

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
        let mut det = Detector::open(&plugin, &config(&case), Limits::default()).unwrap();
        let mut lines = Vec::new();
        for f in inputs(&case) {
            let bytes = fs::read(case.join(&f)).unwrap();
            t1586_host::feed(&mut det, &f, 0, &bytes[..], &mut lines, None)
                .map_err(|(e, _)| e)
                .unwrap();
        }
        lines.extend(det.flush().unwrap());
        let alerts = t1586_host::collect_alerts(&lines).unwrap();
        let got: String = alerts.iter().map(|a| format!("{}\n", a.json)).collect();
        let want = fs::read_to_string(case.join("expected.jsonl")).unwrap();
        assert_eq!(got, want, "{name}");
        check_stats(&case, &det.stats().unwrap());
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

#[test]
fn snapshot_taken_in_wasmtime_restores_natively_and_back() {
    let case = corpus().join("seed-stuffing-seven-ips");
    let data = fs::read(case.join("SigninLogs.json")).unwrap();
    let want = fs::read_to_string(case.join("expected.jsonl")).unwrap();
    let cut = data.len() / 2 + 11;

    // wasmtime → native
    let plugin = Plugin::embedded().unwrap();
    let mut w = Detector::open(&plugin, &config(&case), Limits::default()).unwrap();
    w.begin_source("SigninLogs.json").unwrap();
    let mut lines = w.push(&data[..cut]).unwrap();
    let snap = w.snapshot().unwrap();
    w.close().unwrap();
    let mut n = t1586_detector::Detector::restore(&snap).unwrap();
    let mut rest = n.push(&data[cut..]);
    rest.extend(n.flush());
    for a in rest {
        lines.extend(a.to_json().into_bytes());
        lines.push(b'\n');
    }
    let got: String = t1586_host::collect_alerts(&lines)
        .unwrap()
        .iter()
        .map(|a| format!("{}\n", a.json))
        .collect();
    assert_eq!(got, want);

    // native → wasmtime
    let mut n =
        t1586_detector::Detector::new(t1586_detector::Config::from_json(&config(&case)).unwrap());
    n.begin_source("SigninLogs.json");
    let mut lines: Vec<u8> = n
        .push(&data[..cut])
        .iter()
        .flat_map(|a| (a.to_json() + "\n").into_bytes())
        .collect();
    let mut w = Detector::restore(&plugin, &n.snapshot(), Limits::default()).unwrap();
    lines.extend(w.push(&data[cut..]).unwrap());
    lines.extend(w.flush().unwrap());
    let got: String = t1586_host::collect_alerts(&lines)
        .unwrap()
        .iter()
        .map(|a| format!("{}\n", a.json))
        .collect();
    assert_eq!(got, want);
    assert!(Detector::restore(&plugin, b"nonsense", Limits::default()).is_err());
}
