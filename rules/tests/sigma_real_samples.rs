//! The Sigma rules over the real public samples (`../shared/data`, read in place): run by rsigma
//! as in `sigma_eval.rs`, each profile's rules must raise what `tests/real-samples.toml` pins for
//! the detector on every file it lists — for the detection types the profile's Sigma rules write —
//! except the differences listed here with their reason. The folder is `T1586_SHARED_DATA`, else
//! `../shared/data`; when it is absent the test says so and passes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use t1586_detector::event::SourceKind;
use t1586_detector::{AuthEvent, Config, Profile};
use t1586_rules::{Target, render, rules};

#[path = "support/sigma.rs"]
mod support;
use support::{
    account, alerts, app_id, events_of, fold_attempts, security_event, signin_logs,
    workload_signins,
};

fn shared() -> Option<PathBuf> {
    let base = std::env::var_os("T1586_SHARED_DATA")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    base.exists().then_some(base)
}

/// The file's Entra user sign-ins, Windows Security events and workload identities' sign-ins,
/// each in time order.
fn read(path: &Path) -> [Vec<AuthEvent>; 3] {
    let mut out: [Vec<AuthEvent>; 3] = Default::default();
    for e in events_of(path) {
        let i = match e.source_kind {
            SourceKind::EntraSignIn => 0,
            SourceKind::WindowsSecurity => 1,
            SourceKind::EntraServicePrincipal | SourceKind::EntraManagedIdentity => 2,
            _ => continue,
        };
        out[i].push(e);
    }
    for v in &mut out {
        v.sort_by_key(|e| e.time);
    }
    out
}

/// The detections a spray rule raises are keyed like the table's: `(multiple)`.
const SPRAYS: &[&str] = &[
    "PasswordSpray",
    "OneSourceManyAccounts",
    "ExplicitCredentialSpray",
];

/// Where the Sigma rules and the detector differ on a real sample, on purpose: (file, profile,
/// detection type, account, `true` when only Sigma raises it, why).
const DIFFERENCES: &[(&str, &str, &str, &str, bool, &str)] = &[
    (
        "ocsf-examples/spark-toy/derived/highFailedLogin.parquet.jsonl",
        "default",
        "FailedLogonsThenSuccess",
        "administrator",
        true,
        "every row of the toy data was cloned from one event and keeps its record id: the detector's de-duplication (default profile) keeps one of the 50 failures, a SIEM's rule counts all 50",
    ),
    (
        "ocsf-examples/spark-toy/derived/pwSpray.parquet.jsonl",
        "default",
        "OneSourceManyAccounts",
        "(multiple)",
        true,
        "the 69 rows share one record id: the detector keeps one (de-duplication), a SIEM's rule sees 60 accounts from one source",
    ),
];

#[test]
fn sigma_rules_on_the_real_samples() {
    let Some(base) = shared() else {
        println!("../shared/data not found: the real samples are skipped");
        return;
    };
    let table_path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/real-samples.toml");
    let table: toml::Value = toml::from_str(&std::fs::read_to_string(table_path).unwrap()).unwrap();
    let mut report = Vec::new();
    let mut compared = 0;
    let mut files = 0;
    for (profile_name, profile) in [("seed", Profile::Seed), ("default", Profile::Default)] {
        let cfg = Config::for_profile(profile);
        let all = rules(&cfg, Target::Sigma);
        let windows_signals = [
            "failed_logons_then_success",
            "one_source_many_accounts",
            "explicit_credentials",
        ];
        let workload_signals = ["workload_credentials"];
        // 0: user sign-ins, 1: Windows, 2: workload identities.
        let yaml = |log: usize| {
            let picked: Vec<_> = all
                .iter()
                .filter(|r| {
                    let of = if windows_signals.contains(&r.signal) {
                        1
                    } else if workload_signals.contains(&r.signal) {
                        2
                    } else {
                        0
                    };
                    of == log
                })
                .cloned()
                .collect();
            render(Target::Sigma, &picked)
        };
        let (entra_yaml, windows_yaml, workload_yaml) = (yaml(0), yaml(1), yaml(2));
        let written: BTreeSet<&str> = all.iter().map(|r| r.detection).collect();
        for sample in table["sample"].as_array().unwrap() {
            let file = sample["file"].as_str().unwrap();
            let path = base.join(file);
            if !path.exists() {
                continue;
            }
            let [entra, windows, workloads] = read(&path);
            let held: BTreeSet<String> = entra
                .iter()
                .chain(&windows)
                .map(|e| account(&e.identity))
                .chain(workloads.iter().map(|e| app_id(&e.identity)))
                .collect();
            let want: BTreeSet<(String, String)> = sample[profile_name]
                .as_array()
                .unwrap()
                .iter()
                .filter_map(|a| {
                    let kind = a["type"].as_str()?;
                    let user = a["user"].as_str()?;
                    // The seed's Windows third test (CredentialStuffing of a DOMAIN\name) has no
                    // Sigma rule: the seed's rules read sign-ins only.
                    let seed_windows = profile == Profile::Seed && user.contains('\\');
                    let sigma_kind = written.contains(kind) && !seed_windows;
                    let who = if user == "(multiple)" {
                        user.to_string()
                    } else if kind.starts_with("Workload") {
                        app_id(user)
                    } else {
                        account(user)
                    };
                    (sigma_kind && (user == "(multiple)" || held.contains(&who)))
                        .then(|| (kind.to_string(), who))
                })
                .collect();
            let mut got = alerts(
                &entra_yaml,
                &entra,
                signin_logs,
                "UserPrincipalName",
                SPRAYS,
            );
            got.extend(alerts(
                &windows_yaml,
                &windows,
                security_event,
                "TargetUserName",
                SPRAYS,
            ));
            got.extend(alerts(
                &workload_yaml,
                &workloads,
                workload_signins,
                "AppId",
                SPRAYS,
            ));
            fold_attempts(&mut got);
            let mut want = want;
            for (f, p, kind, who, sigma_only, why) in DIFFERENCES {
                if *f == file && *p == profile_name {
                    let k = (kind.to_string(), who.to_string());
                    let side = if *sigma_only { &mut got } else { &mut want };
                    assert!(
                        side.remove(&k),
                        "{file} ({profile_name}): no longer differs ({why}): {k:?}"
                    );
                }
            }
            if got != want {
                report.push(format!(
                    "{file} ({profile_name}): Sigma {got:?}, detector {want:?}"
                ));
            }
            compared += want.len();
            files += 1;
            if !want.is_empty() {
                println!("{file} ({profile_name}): {want:?}");
            }
        }
    }
    assert!(
        report.is_empty(),
        "the Sigma rules differ from the detector on real samples:\n{}",
        report.join("\n")
    );
    assert!(files >= 100, "only {files} file × profile runs");
    println!(
        "real samples: the Sigma rules agree with the detector on {files} file × profile runs ({compared} alerts; the others raise nothing on either side)"
    );
}
