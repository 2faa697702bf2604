//! The Sigma rules over the real public samples (`../shared/data`, read in place): run by rsigma
//! as in `sigma_eval.rs`, each profile's rules must raise what `tests/real-samples.toml` pins for
//! the detector on every file it lists — for the detection types the profile's Sigma rules write —
//! except the differences listed here with their reason. The folder is `T1586_SHARED_DATA`, else
//! `../shared/data`; when it is absent the test says so and passes.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use rsigma_eval::{CorrelationConfig, CorrelationEngine, JsonEvent};
use serde_json::{Value, json};
use t1586_detector::event::SourceKind;
use t1586_detector::ingest::{Decoded, Ingest, Item};
use t1586_detector::{AuthEvent, Config, Profile};
use t1586_rules::{Target, render, rules};

fn shared() -> Option<PathBuf> {
    let base = std::env::var_os("T1586_SHARED_DATA")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    base.exists().then_some(base)
}

/// The file's Entra sign-ins and Windows Security events, each in time order.
fn read(path: &Path) -> (Vec<AuthEvent>, Vec<AuthEvent>) {
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    let (mut entra, mut windows) = (Vec::new(), Vec::new());
    let mut ingest = Ingest::new(&name, 1 << 24);
    let mut keep = |i: Item| {
        if let Decoded::Event(e) = i.decoded {
            match e.source_kind {
                SourceKind::EntraSignIn => entra.push(*e),
                SourceKind::WindowsSecurity => windows.push(*e),
                _ => {}
            }
        }
    };
    ingest.push(&std::fs::read(path).unwrap(), &mut keep);
    ingest.finish("", None, &mut keep);
    entra.sort_by_key(|e| e.time);
    windows.sort_by_key(|e| e.time);
    (entra, windows)
}

fn signin_logs(e: &AuthEvent) -> Value {
    json!({
        "TimeGenerated": e.time.to_rfc3339(),
        "UserPrincipalName": &*e.identity,
        "ResultType": e.result_code.as_deref(),
        "IPAddress": e.ip.as_ref().map(ToString::to_string),
        "Location": e.country.as_deref(),
        "AutonomousSystemNumber": e.asn,
        "AutonomousSystemName": e.extra.as_ref().and_then(|x| x.asn_name.as_deref()),
        "AppDisplayName": e.app.as_deref(),
        "ClientAppUsed": e.client_app.as_deref(),
        "UserAgent": e.user_agent.as_deref(),
        "AuthenticationRequirement": e.extra.as_ref().and_then(|x| x.auth_requirement.as_deref()),
        // The reader keeps the higher of the two levels, and the types as a list.
        "RiskLevelDuringSignIn": e.extra.as_ref().and_then(|x| x.risk_level.as_deref()),
        "RiskState": e.extra.as_ref().and_then(|x| x.risk_state.as_deref()),
        "RiskEventTypes_V2": e.extra.as_ref().map(|x| x.risk_event_types.join(",")),
        "AppId": e.extra.as_ref().and_then(|x| x.app_id.as_deref()),
        "AuthenticationProtocol": e.extra.as_ref().and_then(|x| x.auth_protocol.as_deref()),
        "ResourceIdentity": e.extra.as_ref().and_then(|x| x.resource_id.as_deref()),
        "ResourceDisplayName": e.extra.as_ref().and_then(|x| x.resource.as_deref()),
    })
}

fn account(identity: &str) -> String {
    identity
        .rsplit('\\')
        .next()
        .unwrap_or_default()
        .to_lowercase()
}

fn security_event(e: &AuthEvent) -> Value {
    let w = e.windows.as_deref();
    json!({
        "TimeGenerated": e.time.to_rfc3339(),
        "EventID": w.map(|w| w.event_id),
        "TargetUserName": e.identity.rsplit('\\').next().unwrap_or_default(),
        "IpAddress": e.ip.as_ref().map(ToString::to_string),
        "LogonType": w.and_then(|w| w.logon_type),
        "Status": w.and_then(|w| w.status.as_deref()),
        "SubStatus": w.and_then(|w| w.sub_status.as_deref()),
        "WorkstationName": w.and_then(|w| w.workstation.as_deref()),
        "SubjectUserName": w
            .and_then(|w| w.subject.as_deref())
            .map(|s| s.rsplit('\\').next().unwrap_or_default()),
        "TargetServerName": w.and_then(|w| w.target_server.as_deref()),
    })
}

/// An attempt of an identity that also has the compromise is the compromise (see `sigma_eval.rs`).
fn fold_attempts(got: &mut BTreeSet<(String, String)>) {
    let compromised: BTreeSet<String> = got
        .iter()
        .filter(|(k, _)| k == "CredentialStuffing" || k == "FailedLogonsThenSuccess")
        .map(|(_, who)| who.clone())
        .collect();
    got.retain(|(k, who)| !(k == "BruteForceAttempt" && compromised.contains(who)));
}

/// The detections a spray rule raises are keyed like the table's: `(multiple)`.
const SPRAYS: &[&str] = &[
    "PasswordSpray",
    "OneSourceManyAccounts",
    "ExplicitCredentialSpray",
];

/// (detection type, account) of every alert the rules raise over the events.
fn sigma(
    yaml: &str,
    events: &[AuthEvent],
    columns: fn(&AuthEvent) -> Value,
    key: &str,
) -> BTreeSet<(String, String)> {
    let mut out = BTreeSet::new();
    if yaml.trim().is_empty() || events.is_empty() {
        return out;
    }
    let collection = rsigma_parser::parse_sigma_yaml(yaml).expect("the Sigma rules parse");
    assert!(collection.errors.is_empty(), "{:?}", collection.errors);
    let mut engine = CorrelationEngine::new(CorrelationConfig::default());
    engine
        .add_collection(&collection)
        .expect("the rules compile");
    for e in events {
        let v = columns(e);
        for r in engine.process_event_at(&JsonEvent::borrow(&v), e.time.timestamp()) {
            let Some(kind) = r.header.rule_title.strip_prefix("t1586 ") else {
                continue;
            };
            if kind.contains(':') {
                continue;
            }
            let kind = kind.split(" (").next().unwrap_or(kind).to_string();
            let who = if SPRAYS.contains(&kind.as_str()) {
                "(multiple)".to_string()
            } else {
                match r.as_correlation() {
                    Some(c) => c
                        .group_key
                        .iter()
                        .find(|(k, _)| k == key)
                        .map(|(_, v)| account(v))
                        .unwrap_or_default(),
                    None => account(&e.identity),
                }
            };
            out.insert((kind, who));
        }
    }
    out
}

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
        let yaml = |windows: bool| {
            let picked: Vec<_> = all
                .iter()
                .filter(|r| windows_signals.contains(&r.signal) == windows)
                .cloned()
                .collect();
            render(Target::Sigma, &picked)
        };
        let (entra_yaml, windows_yaml) = (yaml(false), yaml(true));
        let written: BTreeSet<&str> = all.iter().map(|r| r.detection).collect();
        for sample in table["sample"].as_array().unwrap() {
            let file = sample["file"].as_str().unwrap();
            let path = base.join(file);
            if !path.exists() {
                continue;
            }
            let (entra, windows) = read(&path);
            let held: BTreeSet<String> = entra
                .iter()
                .chain(&windows)
                .map(|e| account(&e.identity))
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
                    } else {
                        account(user)
                    };
                    (sigma_kind && (user == "(multiple)" || held.contains(&who)))
                        .then(|| (kind.to_string(), who))
                })
                .collect();
            let mut got = sigma(&entra_yaml, &entra, signin_logs, "UserPrincipalName");
            got.extend(sigma(
                &windows_yaml,
                &windows,
                security_event,
                "TargetUserName",
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
