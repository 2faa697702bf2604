//! Issue 42: the Fluent Bit filter module (`t1586 plugin fluent-bit`).
//!
//! * Through a wasmtime host that calls it exactly as Fluent Bit's `wasm` filter does
//!   ([`t1586_host::plugin::FluentBitHost`]): every conformance case with one JSON Lines input,
//!   its records one by one and then a record dated after every window, gives as the last
//!   revision of each alert exactly the CLI's alert, in both modes; hostile records never trap
//!   the module nor change what it finds afterwards.
//! * Inside the real Fluent Bit 5.1.1 of `../shared/engines/fluent-bit` (tail → wasm filter →
//!   file), the same, when that folder is there.

use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use t1586_host::plugin::{FluentBitHost, Mode, fluent_bit};

#[path = "../../detector/tests/support/corpus.rs"]
mod support;
use support::{cases, config, inputs};

/// A record dated after every window and lateness has passed: its arrival closes everything.
const CLOSING: &str = r#"{"createdDateTime":"2099-01-01T00:00:00Z","userPrincipalName":"closing@t1586.invalid","status":{"errorCode":0},"id":"t1586-closing-record"}"#;

/// The cases a Fluent Bit tail reads as they are: one JSON Lines input (in time order).
fn line_cases() -> Vec<(PathBuf, String)> {
    cases()
        .into_iter()
        .filter_map(|c| match inputs(&c).as_slice() {
            [one] if one.ends_with(".jsonl") => Some((c.clone(), one.clone())),
            _ => None,
        })
        .collect()
}

#[path = "support/live.rs"]
mod livetest;

/// Each alert's last revision (see [`livetest::closed_alerts`]); none may end withdrawn.
fn closed(revisions: &[serde_json::Value], what: &str) -> Vec<String> {
    let (alerts, withdrawn) = livetest::closed_alerts(revisions.iter().cloned(), what);
    assert_eq!(withdrawn, 0, "{what}");
    alerts
}

fn expected(case: &Path) -> Vec<String> {
    livetest::normalized(
        fs::read_to_string(case.join("expected.jsonl"))
            .unwrap()
            .lines(),
    )
}

/// The revisions in what the filter wrote for each record (`alerts`: `{"alerts":[…]}` records;
/// `annotate`: a `t1586_alerts` field), checking that annotate passed every record unchanged.
fn revisions_in(
    mode: Mode,
    inputs: &[&[u8]],
    outputs: &[Option<Vec<u8>>],
) -> Vec<serde_json::Value> {
    let mut revs = Vec::new();
    for (i, out) in outputs.iter().enumerate() {
        match mode {
            Mode::Alerts => {
                if let Some(o) = out {
                    let v: serde_json::Value = serde_json::from_slice(o).unwrap();
                    revs.extend(v["alerts"].as_array().unwrap().iter().cloned());
                }
            }
            Mode::Annotate => {
                let o = out.as_ref().expect("annotate passes every record");
                match serde_json::from_slice::<serde_json::Value>(o) {
                    Ok(mut v) if v.is_object() => {
                        if let Some(a) = v.as_object_mut().unwrap().remove("t1586_alerts") {
                            revs.extend(a.as_array().unwrap().iter().cloned());
                        }
                        let given: serde_json::Value = serde_json::from_slice(inputs[i]).unwrap();
                        assert_eq!(v, given, "annotate changed record {i}");
                    }
                    _ => assert_eq!(o.as_slice(), inputs[i], "record {i} passes as it came"),
                }
            }
        }
    }
    revs
}

#[test]
fn through_a_fluent_bit_host_the_last_revisions_are_the_cli_alerts() {
    let cases = line_cases();
    assert!(cases.len() >= 6, "{cases:?}");
    for (case, file) in cases {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(case.join(&file)).unwrap();
        let mut records: Vec<&[u8]> = text
            .lines()
            .filter(|l| !l.trim().is_empty())
            .map(str::as_bytes)
            .collect();
        records.push(CLOSING.as_bytes());
        let mut per_mode = Vec::new();
        for mode in [Mode::Alerts, Mode::Annotate] {
            let mut host = FluentBitHost::new(&fluent_bit(&config(&case), mode).unwrap()).unwrap();
            let outputs: Vec<Option<Vec<u8>>> = records
                .iter()
                .enumerate()
                .map(|(i, r)| {
                    host.record(&file, (1_772_400_000 + i as u32, 0), r)
                        .unwrap()
                })
                .collect();
            let revs = revisions_in(mode, &records, &outputs);
            assert_eq!(closed(&revs, &name), expected(&case), "{name} ({mode:?})");
            per_mode.push(revs);
        }
        assert_eq!(
            per_mode[0], per_mode[1],
            "{name}: both modes, the same revisions"
        );
        // A tail input without the json parser wraps each line as `{"log": "<line>"}`.
        let wrapped: Vec<Vec<u8>> = records
            .iter()
            .map(|r| {
                let line = std::str::from_utf8(r).unwrap();
                serde_json::json!({ "log": line, "stream": "stdout" })
                    .to_string()
                    .into_bytes()
            })
            .collect();
        let mut host =
            FluentBitHost::new(&fluent_bit(&config(&case), Mode::Alerts).unwrap()).unwrap();
        let outputs: Vec<Option<Vec<u8>>> = wrapped
            .iter()
            .map(|r| host.record(&file, (0, 0), r).unwrap())
            .collect();
        let inputs: Vec<&[u8]> = wrapped.iter().map(Vec::as_slice).collect();
        assert_eq!(
            revisions_in(Mode::Alerts, &inputs, &outputs),
            per_mode[0],
            "{name}: records inside `log`"
        );
    }
}

/// Hostile records — huge, not JSON, NUL bytes inside, not UTF-8, deeply nested, empty — never
/// trap the module, and a case fed afterwards still gives exactly its alerts.
#[test]
fn hostile_records_neither_trap_nor_change_what_follows() {
    let case = support::corpus().join("default-password-spray");
    let text = fs::read_to_string(case.join("signins.jsonl")).unwrap();
    let mut hostile: Vec<Vec<u8>> = vec![
        Vec::new(),
        b"{".to_vec(),
        b"not json at all".to_vec(),
        b"{\"userPrincipalName\":\"a\0b\",\"createdDateTime\":\"2026-03-02T03:00:00Z\"}".to_vec(),
        vec![0xff, 0xfe, b'{', b'}', 0x80],
        [b"[".repeat(100_000), b"]".repeat(100_000)].concat(),
        format!("{{\"log\":\"{}\"}}", "x".repeat(12 << 20)).into_bytes(),
        b"\0\0\0".to_vec(),
        b"{}".to_vec(),
        b"[]".to_vec(),
    ];
    // Random bytes, seeded.
    let mut x: u64 = 0x1586;
    for n in [1, 7, 64, 4096] {
        hostile.push(
            (0..n)
                .map(|_| {
                    x ^= x << 13;
                    x ^= x >> 7;
                    x ^= x << 17;
                    x as u8
                })
                .collect(),
        );
    }
    // Evidence `Line` counts the records of the tag that reached the detector (the hostile ones
    // that are JSON objects too): compare without it.
    let without_lines = |alerts: Vec<String>| -> Vec<String> {
        let mut v: Vec<String> = alerts
            .iter()
            .map(|a| {
                let mut v: serde_json::Value = serde_json::from_str(a).unwrap();
                for e in v["Evidence"].as_array_mut().unwrap() {
                    e.as_object_mut().unwrap().remove("Line");
                }
                v.to_string()
            })
            .collect();
        v.sort();
        v
    };
    for mode in [Mode::Alerts, Mode::Annotate] {
        let mut host = FluentBitHost::new(&fluent_bit("{}", mode).unwrap()).unwrap();
        for (i, h) in hostile.iter().enumerate() {
            let out = host
                .record("signins.jsonl", (i as u32, 0), h)
                .unwrap_or_else(|e| panic!("hostile record {i} ({mode:?}): {e}"));
            match mode {
                Mode::Alerts => assert_eq!(out, None, "hostile record {i} gives no alert"),
                // Passed on as it came, without NUL bytes (which would end Fluent Bit's copy of
                // the result; its own JSON never has one unescaped).
                Mode::Annotate => {
                    let clean: Vec<u8> = h.iter().copied().filter(|b| *b != 0).collect();
                    assert_eq!(out.unwrap_or_default(), clean, "hostile record {i}");
                }
            }
        }
        let mut records: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
        records.push(CLOSING.as_bytes());
        let outputs: Vec<Option<Vec<u8>>> = records
            .iter()
            .map(|r| host.record("signins.jsonl", (0, 0), r).unwrap())
            .collect();
        let revs = revisions_in(mode, &records, &outputs);
        let got = closed(&revs, "after hostile records");
        assert_eq!(
            without_lines(got),
            without_lines(expected(&case)),
            "{mode:?}"
        );
        assert!(host.memory_bytes() < 256 << 20, "{}", host.memory_bytes());
    }
}

/// The real Fluent Bit, decompressed into `target/` (`None`, with a note, when the shared folder
/// is not there).
fn fluent_bit_binary() -> Option<PathBuf> {
    let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
    let xz = std::env::var_os("T1586_SHARED_DATA")
        .filter(|v| !v.is_empty())
        .map(|d| PathBuf::from(d).join("../engines/fluent-bit/fluent-bit.xz"))
        .filter(|p| p.exists())
        .unwrap_or_else(|| manifest.join("../../shared/engines/fluent-bit/fluent-bit.xz"));
    if !xz.exists() {
        eprintln!(
            "note: {} is not present; skipping the real Fluent Bit",
            xz.display()
        );
        return None;
    }
    let bin = manifest.join("../target/fluent-bit");
    if !bin.exists() {
        let out = Command::new("xz")
            .arg("-dc")
            .arg(&xz)
            .output()
            .expect("xz runs (apt-get install xz-utils)");
        assert!(out.status.success(), "xz -dc {}", xz.display());
        let tmp = bin.with_extension("part");
        fs::write(&tmp, out.stdout).unwrap();
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(&tmp, fs::Permissions::from_mode(0o755)).unwrap();
        fs::rename(&tmp, &bin).unwrap();
    }
    let v = Command::new(&bin).arg("--version").output().unwrap();
    assert!(
        v.status.success(),
        "fluent-bit does not start (its libraries: apt-get install libsqlite3-0 libssl3 libyaml-0-2): {}",
        String::from_utf8_lossy(&v.stderr)
    );
    Some(bin)
}

/// The documented configuration (README, "Fluent Bit"), for one input file, module and output.
fn fluent_bit_yaml(input: &Path, tag: &str, module: &Path, out_dir: &Path) -> String {
    format!(
        r#"service:
  flush: 1
  log_level: info
parsers:
  - name: json
    format: json
pipeline:
  inputs:
    - name: tail
      path: {input}
      tag: {tag}
      parser: json
      read_from_head: true
  filters:
    - name: wasm
      match: '*'
      wasm_path: {module}
      function_name: t1586_filter
      wasm_stack_size: 1M
  outputs:
    - name: file
      match: '*'
      path: {dir}
      file: out.jsonl
      format: plain
"#,
        input = input.display(),
        module = module.display(),
        dir = out_dir.display(),
    )
}

#[test]
fn inside_the_real_fluent_bit_the_last_revisions_are_the_cli_alerts() {
    let Some(bin) = fluent_bit_binary() else {
        return;
    };
    let root = std::env::temp_dir().join(format!("t1586-fluent-bit-{}", std::process::id()));
    for (case, file) in line_cases() {
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let text = fs::read_to_string(case.join(&file)).unwrap();
        let records: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
        for mode in [Mode::Alerts, Mode::Annotate] {
            let dir = root.join(format!("{name}-{mode:?}"));
            fs::create_dir_all(&dir).unwrap();
            let input = dir.join(&file);
            fs::write(&input, format!("{}\n{CLOSING}\n", records.join("\n"))).unwrap();
            let module = dir.join("t1586.wasm");
            fs::write(&module, fluent_bit(&config(&case), mode).unwrap()).unwrap();
            let yaml = dir.join("fluent-bit.yaml");
            fs::write(&yaml, fluent_bit_yaml(&input, &file, &module, &dir)).unwrap();
            let child = Command::new(&bin)
                .arg("-c")
                .arg(&yaml)
                .stdout(Stdio::null())
                .stderr(Stdio::piped())
                .spawn()
                .unwrap();
            // Wait for the closing record's effect: annotate writes every record; alerts writes
            // the closing revisions of every expected alert.
            let out = dir.join("out.jsonl");
            let want = expected(&case);
            let started = Instant::now();
            let done = |text: &str| match mode {
                Mode::Annotate => text.lines().count() > records.len(),
                Mode::Alerts => text.matches(r#""Status":"closed""#).count() >= want.len(),
            };
            while started.elapsed() < Duration::from_secs(60)
                && !fs::read_to_string(&out).is_ok_and(|t| done(&t))
            {
                std::thread::sleep(Duration::from_millis(200));
            }
            // One more flush period, then stop it as a service manager would.
            std::thread::sleep(Duration::from_millis(1500));
            Command::new("kill")
                .args(["-TERM", &child.id().to_string()])
                .status()
                .unwrap();
            let res = child.wait_with_output().unwrap();
            let log = String::from_utf8_lossy(&res.stderr);
            assert!(!log.contains("exception"), "{name} ({mode:?}): {log}");
            let got = fs::read_to_string(&out).unwrap_or_default();
            let lines: Vec<&str> = got.lines().collect();
            let mut revs = Vec::new();
            for l in &lines {
                let v: serde_json::Value = serde_json::from_str(l)
                    .unwrap_or_else(|e| panic!("{name} ({mode:?}): {e}: {l}"));
                let list = match mode {
                    Mode::Alerts => &v["alerts"],
                    Mode::Annotate => &v["t1586_alerts"],
                };
                revs.extend(list.as_array().into_iter().flatten().cloned());
            }
            if mode == Mode::Annotate {
                assert_eq!(
                    lines.len(),
                    records.len() + 1,
                    "{name}: every record passes"
                );
            }
            assert_eq!(
                closed(&revs, &name),
                want,
                "{name} ({mode:?}) in Fluent Bit:\n{log}"
            );
        }
    }
    let _ = fs::remove_dir_all(&root);
}

/// `t1586 plugin fluent-bit` as a user runs it: the options reach the module (profile, mode), and
/// a bad configuration or output path is an error naming it, with no module written.
#[test]
fn the_cli_writes_the_module_with_its_options_inside() {
    let dir = std::env::temp_dir().join(format!("t1586-fb-cli-{}", std::process::id()));
    fs::create_dir_all(&dir).unwrap();
    let module = dir.join("t1586-fluent-bit.wasm");
    let out = Command::new(env!("CARGO_BIN_EXE_t1586"))
        .args([
            "plugin",
            "fluent-bit",
            "--mode",
            "annotate",
            "--profile",
            "seed",
            "-o",
        ])
        .arg(&module)
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let case = support::corpus().join("seed-hosting-asn");
    let text = fs::read_to_string(case.join("signins.jsonl")).unwrap();
    let mut records: Vec<&[u8]> = text.lines().map(str::as_bytes).collect();
    records.push(CLOSING.as_bytes());
    let mut host = FluentBitHost::new(&fs::read(&module).unwrap()).unwrap();
    let outputs: Vec<Option<Vec<u8>>> = records
        .iter()
        .map(|r| host.record("signins.jsonl", (0, 0), r).unwrap())
        .collect();
    // Annotate (every record passes) and the seed profile (the seed's alert, not the default's).
    let revs = revisions_in(Mode::Annotate, &records, &outputs);
    assert_eq!(closed(&revs, "cli"), expected(&case));

    let bad = dir.join("bad.toml");
    fs::write(&bad, "window_secs = \"x\"\n").unwrap();
    let written = dir.join("not-written.wasm");
    for (args, named) in [
        (vec!["--config", bad.to_str().unwrap()], "bad.toml"),
        (vec!["--profile", "nope"], "profile"),
    ] {
        let out = Command::new(env!("CARGO_BIN_EXE_t1586"))
            .args(["plugin", "fluent-bit"])
            .args(&args)
            .arg("-o")
            .arg(&written)
            .output()
            .unwrap();
        let err = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(3), "{err}");
        assert!(err.contains(named), "{err}");
        assert!(!written.exists());
    }
    let out = Command::new(env!("CARGO_BIN_EXE_t1586"))
        .args(["plugin", "fluent-bit", "-o"])
        .arg(dir.join("missing/dir/x.wasm"))
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&out.stderr).contains("missing/dir/x.wasm: cannot write"));
    let _ = fs::remove_dir_all(&dir);
}
