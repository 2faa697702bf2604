//! The CLI as users meet it: the seed's first test from a Graph file, stdin, gzip, errors, exit codes.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

#[path = "support/live.rs"]
mod livetest;

fn bin() -> Command {
    Command::new(env!("CARGO_BIN_EXE_t1586"))
}

fn case(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/corpus")
        .join(name)
}

fn tmp(name: &str) -> PathBuf {
    let d = std::env::temp_dir().join(format!("t1586-cli-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d.join(name)
}

#[test]
fn seed_first_test_from_graph_json() {
    let out = bin()
        .args(["scan", "--format", "jsonl"])
        .arg(case("seed-graph-single-ip/signins.json"))
        .output()
        .unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    assert_eq!(lines.len(), 1, "{text}");
    let a: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
    assert_eq!(a["DetectionType"], "CredentialStuffing");
    assert_eq!(a["UserPrincipalName"], "adele.vance@contoso.com");
    assert_eq!(a["RiskScore"], 60);
    assert_eq!(a["FailureCount"], 6);
    assert_eq!(a["SuccessCount"], 1);
    assert_eq!(a["UniqueIPs"], 1);
    let summary = String::from_utf8(out.stderr).unwrap();
    assert!(summary.contains("7 records read"), "{summary}");
}

#[test]
fn stdin_and_gzip_give_the_same_alerts() {
    let path = case("seed-stuffing-seven-ips/SigninLogs.json");
    let raw = std::fs::read(&path).unwrap();
    let want = std::fs::read_to_string(case("seed-stuffing-seven-ips/expected.jsonl")).unwrap();

    let mut child = bin()
        .args(["scan", "--format", "jsonl", "--profile", "seed", "-"])
        .current_dir(case("seed-stuffing-seven-ips"))
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child.stdin.take().unwrap().write_all(&raw).unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success());
    // Same alerts; only the evidence's source name differs ("-").
    let got = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        got,
        want.replace("\"Source\":\"SigninLogs.json\"", "\"Source\":\"-\"")
    );

    let gz = tmp("SigninLogs.json.gz");
    let mut enc = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    enc.write_all(&raw).unwrap();
    std::fs::write(&gz, enc.finish().unwrap()).unwrap();
    let out = bin()
        .args(["scan", "--format", "jsonl", "--profile", "seed"])
        .arg(&gz)
        .output()
        .unwrap();
    assert!(out.status.success());
    let got = String::from_utf8(out.stdout).unwrap();
    assert_eq!(
        got,
        want.replace(
            "\"Source\":\"SigninLogs.json\"",
            &format!(
                "\"Source\":{}",
                serde_json::Value::from(gz.display().to_string())
            )
        )
    );
}

#[test]
fn bad_records_are_named_by_file_and_line_and_the_rest_is_processed() {
    let out = bin()
        .args(["scan", "--format", "jsonl", "signins.jsonl"])
        .current_dir(case("malformed-records"))
        .output()
        .unwrap();
    assert!(out.status.success());
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    let err = String::from_utf8(out.stderr).unwrap();
    for needle in [
        "signins.jsonl:3: not JSON",
        "signins.jsonl:5: truncated",
        "signins.jsonl:8: time \"yesterday\"",
        "8 rejected",
    ] {
        assert!(err.contains(needle), "missing {needle:?} in:\n{err}");
    }
}

#[test]
fn unreadable_file_is_reported_others_still_scanned() {
    let out = bin()
        .args(["scan", "--format", "jsonl", "does-not-exist.json"])
        .arg(case("seed-graph-single-ip/signins.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("does-not-exist.json")
    );
}

/// A file that fails part-way through reading (a gzip stream cut short) is reported on one line
/// naming it once, with why; what was read of it counts (its last record reported as cut short) and
/// the next file is still scanned.
#[test]
fn input_failing_while_read_is_reported_once_others_still_scanned() {
    let gz = tmp("cut-short.json.gz");
    let mut e = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::default());
    e.write_all(&std::fs::read(case("seed-graph-single-ip/signins.json")).unwrap())
        .unwrap();
    let whole = e.finish().unwrap();
    std::fs::write(&gz, &whole[..whole.len() / 2]).unwrap();
    let out = bin()
        .args(["scan", "--format", "jsonl"])
        .arg(&gz)
        .arg(case("seed-graph-single-ip/signins.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert_eq!(String::from_utf8(out.stdout).unwrap().lines().count(), 1);
    let err = String::from_utf8(out.stderr).unwrap();
    let name = gz.display().to_string();
    let failed: Vec<&str> = err.lines().filter(|l| l.contains("read error")).collect();
    assert_eq!(failed.len(), 1, "{err}");
    assert_eq!(failed[0].matches(&name).count(), 1, "{err}");
    assert!(failed[0].contains(&format!("{name}: read error")), "{err}");
}

#[test]
fn bad_config_and_bad_plugin_are_clear_errors() {
    let cfg = tmp("bad-config.json");
    std::fs::write(&cfg, r#"{"credential_stuffing":{"min_failure":3}}"#).unwrap();
    let out = bin()
        .args(["scan", "--config"])
        .arg(&cfg)
        .arg(case("seed-graph-single-ip/signins.json"))
        .output()
        .unwrap();
    // The user's configuration, not a plugin failure: exit 3, the file and the key named.
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(err.contains("bad-config.json"), "{err}");
    assert!(
        err.contains("credential_stuffing: unknown key `min_failure`"),
        "{err}"
    );

    let not_wasm = tmp("not.wasm");
    std::fs::write(&not_wasm, b"hello").unwrap();
    let out = bin()
        .args(["scan", "--plugin"])
        .arg(&not_wasm)
        .arg(case("seed-graph-single-ip/signins.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains("not a valid WebAssembly module")
    );
}

#[test]
fn demo_runs_without_arguments() {
    let out = bin().args(["scan", "--format", "jsonl"]).output().unwrap();
    assert!(out.status.success());
    let text = String::from_utf8(out.stdout).unwrap();
    for t in [
        "CredentialStuffing",
        "ImpossibleTravel",
        "SuspiciousInfrastructure",
    ] {
        assert!(text.contains(t), "demo lacks {t}:\n{text}");
    }
}

#[test]
fn profiles_and_tor_list() {
    // The seed's first test under both profiles: one CredentialStuffing alert either way.
    for p in ["seed", "default"] {
        let out = bin()
            .args(["scan", "--format", "jsonl", "--profile", p])
            .arg(case("seed-graph-single-ip/signins.json"))
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        assert_eq!(text.lines().count(), 1, "{p}: {text}");
        assert!(text.contains(&format!("\"Profile\":\"{p}\"")), "{text}");
    }
    let out = bin()
        .args(["scan", "--profile", "nope"])
        .arg(case("seed-graph-single-ip/signins.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains(r#"command-line options: configuration rejected by the detector: Config error: profile: expected "seed" or "default", got "nope""#),
        "{err}"
    );

    // A TorDNSEL list given on the command line makes the hosting signal fire.
    let list = tmp("exit-addresses");
    std::fs::write(&list, "@type tordnsel 1.0\nExitNode ABC\nExitAddress 185.241.208.232 2024-03-12 08:10:51\n# comment\n194.26.192.64\n").unwrap();
    let out = bin()
        .args(["scan", "--format", "jsonl", "--tor-list"])
        .arg(&list)
        .arg("signins.json")
        .current_dir(case("default-hosting-lists"))
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(
        String::from_utf8(out.stdout)
            .unwrap()
            .contains("Tor exit list")
    );
    std::fs::write(&list, "185.241.208.232\nnot-an-ip\n").unwrap();
    let out = bin()
        .args(["scan", "--tor-list"])
        .arg(&list)
        .arg(case("seed-graph-single-ip/signins.json"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(
        String::from_utf8(out.stderr)
            .unwrap()
            .contains(r#"exit-addresses: line 2: not an IP address or network: "not-an-ip""#)
    );
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/enrichment")
        .join(name)
}

/// Issue 4: a Windows logon with only an IP gains country and AS from `--mmdb` / `--ip2asn` and
/// raises the hosting alert; a bad enrichment file is a clear error (exit 3) naming it.
#[test]
fn enrichment_files_make_the_hosting_signal_fire_on_windows_logons() {
    let logon = fixture("hosting-logon.xml");
    let plain = bin()
        .args(["scan", "--format", "jsonl"])
        .arg(&logon)
        .output()
        .unwrap();
    assert!(plain.status.success());
    assert!(plain.stdout.is_empty(), "no enrichment, no alert");
    for args in [
        vec!["--mmdb", "city.mmdb", "--mmdb", "asn.mmdb"],
        vec!["--ip2asn", "ip2asn.tsv"],
    ] {
        let mut cmd = bin();
        cmd.args(["scan", "--format", "jsonl"]);
        for pair in args.chunks(2) {
            cmd.arg(pair[0]).arg(fixture(pair[1]));
        }
        let out = cmd.arg(&logon).output().unwrap();
        assert!(out.status.success(), "{args:?}");
        let text = String::from_utf8(out.stdout).unwrap();
        let alerts: Vec<serde_json::Value> = text
            .lines()
            .map(|l| serde_json::from_str(l).unwrap())
            .collect();
        assert_eq!(alerts.len(), 1, "{args:?}: {text}");
        assert_eq!(alerts[0]["DetectionType"], "SuspiciousInfrastructure");
        assert_eq!(alerts[0]["UserPrincipalName"], "CORP\\alice");
        let want_country = if args[0] == "--mmdb" { "NL" } else { "GB" };
        assert_eq!(alerts[0]["Countries"][0], want_country);
        let err = String::from_utf8(out.stderr).unwrap();
        assert!(err.contains("loaded ("), "{err}");
        assert!(err.contains("enrichment: private_or_reserved: 1"), "{err}");
    }
    let out = bin()
        .args(["scan", "--ip2asn"])
        .arg(&logon)
        .arg(&logon)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    let err = String::from_utf8(out.stderr).unwrap();
    assert!(
        err.contains("hosting-logon.xml: enrichment file rejected"),
        "{err}"
    );
    assert!(err.contains("line 1"), "{err}");
}

/// Issue 4: the seed's third test as a real EVTX file gives exactly one compromise alert, in both
/// profiles (the default profile also reports the other account's guessing as an attempt).
#[test]
fn evtx_with_the_seed_third_test_gives_one_alert() {
    for (profile, kind) in [
        ("default", "FailedLogonsThenSuccess"),
        ("seed", "CredentialStuffing"),
    ] {
        let out = bin()
            .args(["scan", "--format", "jsonl", "--profile", profile])
            .arg(case("windows-evtx-seed-third/security.evtx"))
            .output()
            .unwrap();
        assert!(out.status.success());
        let text = String::from_utf8(out.stdout).unwrap();
        let (attempts, lines): (Vec<&str>, Vec<&str>) = text
            .lines()
            .partition(|l| l.contains(r#""DetectionType":"BruteForceAttempt""#));
        assert_eq!(lines.len(), 1, "{profile}: {text}");
        if profile == "default" {
            assert_eq!(attempts.len(), 1, "{text}");
            assert!(attempts[0].contains(r#""UserPrincipalName":"WIN\\Administrator""#));
        }
        let a: serde_json::Value = serde_json::from_str(lines[0]).unwrap();
        assert_eq!(a["DetectionType"], kind);
        assert_eq!(a["UserPrincipalName"], "WIN\\Admin");
        assert_eq!(
            (a["FailureCount"].as_u64(), a["SuccessCount"].as_u64()),
            (Some(6), Some(1))
        );
    }
}

/// Issue 6: output formats, --min-risk, directories, TOML configuration, the default configuration,
/// forced input formats.
#[test]
fn formats_min_risk_directories_and_toml() {
    let dir = case("default-password-spray");
    let run = |args: &[&str]| {
        let out = bin().args(args).output().unwrap();
        assert!(
            out.status.success(),
            "{args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap()
    };
    // A directory is read recursively in name order, hidden files skipped: the same as naming its files.
    let root = tmp("tree");
    std::fs::create_dir_all(root.join("a/b")).unwrap();
    let src = std::fs::read(dir.join("signins.jsonl")).unwrap();
    let (one, two) = src.split_at(src.iter().position(|&b| b == b'\n').unwrap() + 1);
    std::fs::write(root.join("a/1.jsonl"), one).unwrap();
    std::fs::write(root.join("a/b/2.jsonl"), two).unwrap();
    std::fs::write(root.join("a/.hidden.jsonl"), "not a record\n").unwrap();
    let d = root.display().to_string();
    let jsonl = run(&["scan", "--format", "jsonl", "-q", &d]);
    let n = jsonl.lines().count();
    assert!(n >= 2, "{jsonl}");
    let named = run(&[
        "scan",
        "--format",
        "jsonl",
        "-q",
        &root.join("a/1.jsonl").display().to_string(),
        &root.join("a/b/2.jsonl").display().to_string(),
    ]);
    assert_eq!(named, jsonl);
    let want = std::fs::read_to_string(dir.join("expected.jsonl")).unwrap();
    let arr: serde_json::Value =
        serde_json::from_str(&run(&["scan", "--format", "json", "-q", &d])).unwrap();
    assert_eq!(arr.as_array().unwrap().len(), n);
    let csv = run(&["scan", "--format", "csv", "-q", &d]);
    assert!(csv.starts_with("TimeGenerated,UserPrincipalName,DetectionType,RiskScore,"));
    assert_eq!(csv.trim_end().split("\r\n").count(), n + 1);
    let ocsf = run(&["scan", "--format", "ocsf", "-q", &d]);
    for line in ocsf.lines() {
        let f: serde_json::Value = serde_json::from_str(line).unwrap();
        assert_eq!(f["class_uid"], 2004);
        let attacks = f["finding_info"]["attacks"].as_array().unwrap();
        assert!(!attacks.is_empty());
        // Every technique named, from the module's own catalog.
        for a in attacks {
            let name = a["technique"]["name"].as_str().unwrap_or_default();
            assert!(!name.is_empty(), "{a}");
        }
    }
    let high = run(&["scan", "--format", "jsonl", "-q", "--min-risk", "90", &d]);
    assert!(high.lines().count() < n);
    assert!(high.lines().all(|l| {
        serde_json::from_str::<serde_json::Value>(l).unwrap()["RiskScore"]
            .as_u64()
            .unwrap()
            >= 90
    }));
    // TOML configuration: the seed profile from a TOML file.
    let toml = tmp("seed.toml");
    std::fs::write(
        &toml,
        "profile = \"seed\"\n[credential_stuffing]\nmin_failures = 5\n",
    )
    .unwrap();
    let seed = run(&[
        "scan",
        "--format",
        "jsonl",
        "-q",
        "--config",
        &toml.display().to_string(),
        &case("seed-graph-single-ip").display().to_string(),
    ]);
    assert!(seed.contains("\"Profile\":\"seed\""), "{seed}");
    let bad = tmp("bad.toml");
    std::fs::write(&bad, "profile = \n").unwrap();
    let out = bin()
        .args(["scan", "--config"])
        .arg(&bad)
        .arg(&d)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(3));
    assert!(String::from_utf8_lossy(&out.stderr).contains("invalid TOML"));
    // The printed default configuration is a valid --config, in TOML and JSON.
    for (fmt, name) in [("toml", "default.toml"), ("json", "default.json")] {
        let text = run(&[
            "config",
            "--print-default",
            "--profile",
            "seed",
            "--format",
            fmt,
        ]);
        let p = tmp(name);
        std::fs::write(&p, text).unwrap();
        let again = run(&[
            "scan",
            "--format",
            "jsonl",
            "-q",
            "--config",
            &p.display().to_string(),
            &case("seed-graph-single-ip").display().to_string(),
        ]);
        assert_eq!(again, seed, "{fmt}");
    }
    // Forcing the input format: a JSON Lines file read as CSV is rejected row by row, as JSON works.
    let forced = bin()
        .args(["scan", "--format", "jsonl", "--input-format", "csv"])
        .arg(dir.join("signins.jsonl"))
        .output()
        .unwrap();
    assert!(forced.stdout.is_empty());
    assert!(String::from_utf8_lossy(&forced.stderr).contains("rejected"));
    let out = bin()
        .current_dir(&dir)
        .args([
            "scan",
            "--format",
            "jsonl",
            "-q",
            "--input-format",
            "json",
            "signins.jsonl",
        ])
        .output()
        .unwrap();
    assert_eq!(String::from_utf8(out.stdout).unwrap(), want);
}

/// Issue 6: `--follow` prints alerts as a growing file produces them; Ctrl-C ends it.
#[test]
fn follow_a_growing_file() {
    follow_then("INT");
}

/// Issue 41: SIGTERM (how systemd and containers stop a service) and SIGHUP end a follow as
/// Ctrl-C does: the detector flushes, the alerts left are printed.
#[test]
fn follow_ends_on_sigterm_and_sighup() {
    follow_then("TERM");
    follow_then("HUP");
}

fn follow_then(signal: &str) {
    let src = std::fs::read_to_string(case("default-password-spray/signins.jsonl")).unwrap();
    let lines: Vec<&str> = src.lines().collect();
    let path = tmp(&format!("growing-{signal}.jsonl"));
    std::fs::write(&path, format!("{}\n", lines[0])).unwrap();
    let mut child = bin()
        .args(["scan", "--follow", "--format", "jsonl"])
        .arg(&path)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    // Wait until it says it is following.
    let mut err = std::io::BufReader::new(child.stderr.take().unwrap());
    let mut first = String::new();
    std::io::BufRead::read_line(&mut err, &mut first).unwrap();
    assert!(first.contains("following"), "{first}");
    let revisions = revisions_of(child.stdout.take().unwrap());
    let mut f = std::fs::OpenOptions::new()
        .append(true)
        .open(&path)
        .unwrap();
    for l in &lines[1..] {
        writeln!(f, "{l}").unwrap();
    }
    drop(f);
    // Live mode: the alerts come while the file is still followed, before any signal.
    let early = revisions
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("a live alert before the signal");
    assert!(early.contains(r#""Status":"open""#), "{early}");
    // The signal: the detector flushes, prints what is left, and exits 0.
    Command::new("kill")
        .args([&format!("-{signal}"), &child.id().to_string()])
        .status()
        .unwrap();
    let status = child.wait().unwrap();
    assert!(status.success(), "SIG{signal}: {status:?}");
    let mut all = vec![early];
    all.extend(revisions.iter());
    assert_closed_are_expected(&all, "default-password-spray", &path);
}

/// The revision lines a live run prints, as they come.
fn revisions_of(out: std::process::ChildStdout) -> std::sync::mpsc::Receiver<String> {
    let (tx, rx) = std::sync::mpsc::channel();
    std::thread::spawn(move || {
        for l in std::io::BufRead::lines(std::io::BufReader::new(out)) {
            if tx.send(l.unwrap()).is_err() {
                break;
            }
        }
    });
    rx
}

/// Each alert's last revision is closed and, without `Revision` and `Status`, is the case's
/// expected (offline) alert; revisions of an alert are numbered 1, 2, 3...
fn assert_closed_are_expected(lines: &[String], case_name: &str, path: &Path) {
    let norm = |s: &str| s.replace(&path.display().to_string(), "signins.jsonl");
    let (got, withdrawn) = livetest::closed_alerts(
        lines
            .iter()
            .map(|l| serde_json::from_str(&norm(l)).unwrap()),
        case_name,
    );
    assert_eq!(withdrawn, 0, "{case_name}");
    let want = std::fs::read_to_string(case(&format!("{case_name}/expected.jsonl"))).unwrap();
    assert_eq!(got, livetest::normalized(want.lines()));
}

/// Issue 41: `--follow -` reads standard input as a live feed; alerts come while it is open, and
/// closing it ends the run as a signal does (flush, the rest, the summary).
#[test]
fn follow_standard_input_until_it_closes() {
    let src = std::fs::read_to_string(case("default-password-spray/signins.jsonl")).unwrap();
    let mut child = bin()
        .args(["scan", "--follow", "--format", "jsonl", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let revisions = revisions_of(child.stdout.take().unwrap());
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(src.as_bytes()).unwrap();
    stdin.flush().unwrap();
    let early = revisions
        .recv_timeout(std::time::Duration::from_secs(30))
        .expect("a live alert while standard input is open");
    assert!(early.contains(r#""Status":"open""#), "{early}");
    drop(stdin);
    let out = child.wait_with_output().unwrap();
    assert!(out.status.success(), "{:?}", out.status);
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("following standard input"), "{err}");
    assert!(err.contains("records read"), "the summary: {err}");
    let mut all = vec![early];
    all.extend(revisions.iter());
    // Evidence names standard input `-`.
    let all: Vec<String> = all
        .into_iter()
        .map(|l| l.replace(r#""Source":"-""#, r#""Source":"signins.jsonl""#))
        .collect();
    assert_closed_are_expected(&all, "default-password-spray", Path::new("signins.jsonl"));
}
