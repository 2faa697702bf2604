//! The Sigma rules, run by a real Sigma evaluator with correlations (rsigma), over the conformance
//! corpus's seed cases: they must flag the identities the detector flags (the seed profile's
//! expected alerts), no more and no fewer.
//!
//! Each case's records are read by the detector's own reader, and each Entra sign-in is given to
//! the evaluator with Sentinel's `SigninLogs` column names (`TimeGenerated`, `UserPrincipalName`,
//! `ResultType`, `IPAddress`, `Location`, `AutonomousSystemNumber`, `AppDisplayName`,
//! `ClientAppUsed`, `UserAgent`, `AuthenticationRequirement`, and the enrichment field
//! `AutonomousSystemName`), in time order, at its own time. Windows logons (the seed's third test)
//! have no Sigma rule here and are left out on both sides.
//!
//! The default profile's cases are run the same way for the detections its Sigma rules write:
//! the ordered `CredentialStuffing`, `PasswordSpray` (keyed by the spraying address),
//! `LegacyProtocolSuccess` and `SuspiciousInfrastructure` over the Entra sign-ins, and
//! `FailedLogonsThenSuccess` and `OneSourceManyAccounts` over the Windows Security events, given
//! with `SecurityEvent`'s names (`EventID`, `TargetUserName`, `IpAddress`, `LogonType`, `Status`,
//! `SubStatus`), each log to its own rules as a SIEM's log sources would.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use serde_json::Value;
use t1586_detector::event::SourceKind;
use t1586_detector::{AuthEvent, Config};
use t1586_rules::{Target, render, rules};

#[path = "support/sigma.rs"]
mod support;
use support::{
    alerts, app_id, events_of, fold_attempts, security_event, signin_logs, workload_signins,
};

fn corpus() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../tests/corpus")
}

/// The case's Entra sign-ins, in time order.
fn sign_ins(case: &Path) -> Vec<AuthEvent> {
    records(case, SourceKind::EntraSignIn)
}

/// The case's records of one kind, in time order.
fn records(case: &Path, kind: SourceKind) -> Vec<AuthEvent> {
    let mut files: Vec<PathBuf> = std::fs::read_dir(case)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let n = p.file_name().unwrap().to_string_lossy();
            !(n.starts_with("expected") || n.starts_with("config") || n.ends_with(".md"))
        })
        .collect();
    files.sort();
    let mut events: Vec<AuthEvent> = files
        .iter()
        .flat_map(|f| events_of(f))
        .filter(|e| e.source_kind == kind)
        .collect();
    events.sort_by_key(|e| e.time);
    events
}

/// The explicit-credential spray is keyed by subject and target: `(multiple)` as the detector
/// writes its identity; the other sprays by their address.
const MULTIPLE: &[&str] = &["ExplicitCredentialSpray"];

fn sigma_alerts(yaml: &str, events: &[AuthEvent]) -> BTreeSet<(String, String)> {
    alerts(yaml, events, signin_logs, "UserPrincipalName", MULTIPLE)
}

/// Alerts the Sigma rules raise and the detector does not, on purpose: (case, detection type,
/// identity, why). Each must still be raised (a change shows up here).
const SIGMA_ONLY: &[(&str, &str, &str, &str)] = &[(
    "seed-impossible-travel",
    "ImpossibleTravel",
    "alex.wilber@contoso.com",
    "US at 12:55, BE at 13:05: one sliding hour for Sigma's timespan, two hour bins for the seed (KQL's bin(), aligned to the hour), which Sigma cannot express",
)];

#[test]
fn sigma_rules_flag_what_the_detector_flags_on_the_seed_cases() {
    let cfg = Config::for_profile(t1586_detector::Profile::Seed);
    let yaml = render(Target::Sigma, &rules(&cfg, Target::Sigma));
    let mut cases = 0;
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let case = entry.unwrap().path();
        let config = std::fs::read_to_string(case.join("config.json")).unwrap_or_default();
        if !config.contains("\"seed\"") {
            continue;
        }
        let events = sign_ins(&case);
        let want: BTreeSet<(String, String)> = std::fs::read_to_string(case.join("expected.jsonl"))
            .unwrap()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter(|a| !a["UserPrincipalName"].as_str().unwrap().contains('\\'))
            .map(|a| {
                (
                    a["DetectionType"].as_str().unwrap().to_string(),
                    a["UserPrincipalName"].as_str().unwrap().to_lowercase(),
                )
            })
            .collect();
        let mut got = sigma_alerts(&yaml, &events);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        for (c, kind, who, why) in SIGMA_ONLY {
            if *c == name {
                let key = (kind.to_string(), who.to_string());
                assert!(
                    got.remove(&key),
                    "{name}: no longer differs ({why}): {key:?}"
                );
                println!("{name}: Sigma only {key:?}: {why}");
            }
        }
        println!(
            "{name}: {} sign-ins, detector {want:?}, Sigma {got:?}",
            events.len()
        );
        assert_eq!(got, want, "{name}");
        cases += 1;
    }
    assert!(cases >= 8, "{cases} seed cases");
}

/// The detection types the default profile's Sigma rules write.
const DEFAULT_KINDS: &[&str] = &[
    "CredentialStuffing",
    "PasswordSpray",
    "LegacyProtocolSuccess",
    "SuspiciousInfrastructure",
    "BruteForceAttempt",
    "IdentityProtectionRisk",
    "MfaFatigue",
    "DeviceCodePhishing",
    "OAuthClientPhishing",
    "ExplicitCredentialSpray",
    "FailedLogonsThenSuccess",
    "OneSourceManyAccounts",
    "WorkloadCredentialAbuse",
    "WorkloadCredentialFailures",
    "TokenReplay",
];
/// The signals over workload identities' sign-ins (their own tables).
const WORKLOAD_SIGNALS: &[&str] = &["workload_credentials"];
/// The signals whose rules read the Windows Security log.
const WINDOWS_SIGNALS: &[&str] = &[
    "failed_logons_then_success",
    "one_source_many_accounts",
    "explicit_credentials",
];

/// Alerts of the default profile's cases where Sigma and the detector differ on purpose: (case,
/// detection type, key, `true` when only Sigma raises it, why).
const DEFAULT_DIFFERENCES: &[(&str, &str, &str, bool, &str)] = &[(
    "default-token-phishing",
    "TokenReplay",
    "miriam.graham@contoso.com",
    true,
    "one Graph session over a device's IPv4 and IPv6 addresses of one AS (dual stack): the detector counts one network, Sigma counts two addresses (it cannot compare two events' AS numbers)",
)];

#[test]
fn sigma_rules_flag_what_the_detector_flags_on_the_default_cases() {
    // The rules of one case's configuration, split by the log they read.
    let yaml_of = |cfg: &Config| {
        let all = rules(cfg, Target::Sigma);
        let of = |signals: &[&str], only: bool| {
            let picked: Vec<_> = all
                .iter()
                .filter(|r| {
                    let windows = WINDOWS_SIGNALS.contains(&r.signal);
                    let workload = WORKLOAD_SIGNALS.contains(&r.signal);
                    if only {
                        signals.contains(&r.signal)
                    } else {
                        !windows && !workload
                    }
                })
                .cloned()
                .collect();
            render(Target::Sigma, &picked)
        };
        (
            of(&[], false),
            of(WINDOWS_SIGNALS, true),
            of(WORKLOAD_SIGNALS, true),
        )
    };
    let mut cases = 0;
    let mut differences = 0;
    let mut compared = std::collections::BTreeMap::<String, usize>::new();
    for entry in std::fs::read_dir(corpus()).unwrap() {
        let case = entry.unwrap().path();
        if !case.is_dir() {
            continue;
        }
        let config = std::fs::read_to_string(case.join("config.json")).unwrap_or_default();
        if config.contains("\"seed\"") {
            continue; // the seed's cases: the test above
        }
        // The case's own configuration, as the conformance test runs it.
        let cfg = if config.trim().is_empty() {
            Config::for_profile(t1586_detector::Profile::Default)
        } else {
            Config::from_json(&config).expect("the case's configuration")
        };
        let (entra_yaml, windows_yaml, workload_yaml) = yaml_of(&cfg);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        let entra = sign_ins(&case);
        let windows = records(&case, SourceKind::WindowsSecurity);
        let mut workloads = records(&case, SourceKind::EntraServicePrincipal);
        workloads.extend(records(&case, SourceKind::EntraManagedIdentity));
        workloads.sort_by_key(|e| e.time);
        // The records the rules are given: an alert with evidence from another provider's
        // records (Okta joined with Entra, say) is not Sigma's to raise.
        // The workload tables are given to the workload rules only: the hosting and Identity
        // Protection rules read user sign-ins, where the detector runs them over workload
        // identities' sign-ins too (a gap the README's matrix names).
        let fed: BTreeSet<(String, u64)> = entra
            .iter()
            .chain(&windows)
            .map(|e| (e.record.source.to_string(), e.record.line))
            .collect();
        let fed_workloads: BTreeSet<(String, u64)> = workloads
            .iter()
            .map(|e| (e.record.source.to_string(), e.record.line))
            .collect();
        let want: BTreeSet<(String, String)> = std::fs::read_to_string(case.join("expected.jsonl"))
            .unwrap_or_default()
            .lines()
            .map(|l| serde_json::from_str::<Value>(l).unwrap())
            .filter_map(|a| {
                let kind = a["DetectionType"].as_str()?.to_string();
                if !DEFAULT_KINDS.contains(&kind.as_str()) {
                    return None;
                }
                let all_fed = a["Evidence"].as_array()?.iter().all(|r| {
                    let key = (
                        r["Source"].as_str().unwrap_or_default().to_string(),
                        r["Line"].as_u64().unwrap_or_default(),
                    );
                    if kind.starts_with("Workload") {
                        fed_workloads.contains(&key)
                    } else {
                        fed.contains(&key)
                    }
                });
                if !all_fed {
                    return None;
                }
                let d = &a["Details"];
                let source = d["SourceIP"].as_str().or(d["Source"].as_str());
                let who = match source {
                    Some(ip) if kind == "PasswordSpray" || kind == "OneSourceManyAccounts" => {
                        ip.to_string()
                    }
                    _ if kind.starts_with("Workload") => app_id(a["UserPrincipalName"].as_str()?),
                    _ => {
                        let upn = a["UserPrincipalName"].as_str()?.to_lowercase();
                        upn.rsplit('\\').next().unwrap_or_default().to_string()
                    }
                };
                Some((kind, who))
            })
            .collect();
        let mut got = alerts(
            &entra_yaml,
            &entra,
            signin_logs,
            "UserPrincipalName",
            MULTIPLE,
        );
        got.extend(alerts(
            &windows_yaml,
            &windows,
            security_event,
            "TargetUserName",
            MULTIPLE,
        ));
        got.extend(alerts_of(&workload_yaml, &workloads));
        fold_attempts(&mut got);
        let mut want = want;
        for (c, kind, key, sigma_only, why) in DEFAULT_DIFFERENCES {
            if *c != name {
                continue;
            }
            let k = (kind.to_string(), key.to_string());
            let side = if *sigma_only { &mut got } else { &mut want };
            assert!(side.remove(&k), "{name}: no longer differs ({why}): {k:?}");
            differences += 1;
            println!(
                "{name}: {} only {k:?}: {why}",
                if *sigma_only { "Sigma" } else { "the detector" }
            );
        }
        assert_eq!(
            got, want,
            "{name}: Sigma's alerts (left) against the detector's (right)"
        );
        for (kind, _) in &want {
            *compared.entry(kind.clone()).or_insert(0) += 1;
        }
        cases += 1;
    }
    assert!(cases >= 20, "only {cases} default cases");
    // Every detection the rules write is exercised by some case (the comparison is not vacuous).
    for kind in DEFAULT_KINDS {
        // The explicit-credential spray has no corpus case: the real recording of one
        // (windows-evtx/password-spray.evtx) is compared in sigma_real_samples.rs.
        if *kind == "ExplicitCredentialSpray" {
            continue;
        }
        assert!(
            compared.contains_key(*kind),
            "no default case raises {kind}"
        );
    }
    println!(
        "{cases} default-profile cases agree ({differences} documented differences); alerts compared: {compared:?}"
    );
}

/// A tuned configuration the corpus does not use: a watched country. The detector and the Sigma
/// rules run over the workload-identity case with `RU` watched, and flag the same applications.
#[test]
fn sigma_watched_countries_agree_with_the_detector() {
    let case = corpus().join("default-workload-identities");
    let json = r#"{"profile":"default","workload_location":{"watched_countries":["ru"]}}"#;
    let cfg = Config::from_json(json).unwrap();
    let mut d = t1586_detector::Detector::new(cfg.clone());
    let mut alerts = Vec::new();
    d.begin_source("signins.json");
    alerts.extend(d.push(&std::fs::read(case.join("signins.json")).unwrap()));
    alerts.extend(d.flush());
    let want: BTreeSet<(String, String)> = alerts
        .iter()
        .filter(|a| {
            a.detection_type.starts_with("Workload") && a.detection_type != "WorkloadNewLocation"
        })
        .map(|a| (a.detection_type.to_string(), app_id(&a.user_principal_name)))
        .collect();
    assert!(
        want.contains(&(
            "WorkloadWatchedLocation".to_string(),
            "5e6f7a8b-0000-4000-8000-000000000002".to_string()
        )),
        "{want:?}"
    );
    let picked: Vec<_> = rules(&cfg, Target::Sigma)
        .into_iter()
        .filter(|r| r.signal.starts_with("workload_"))
        .collect();
    let mut workloads = records(&case, SourceKind::EntraServicePrincipal);
    workloads.extend(records(&case, SourceKind::EntraManagedIdentity));
    workloads.sort_by_key(|e| e.time);
    let mut got = alerts_of(&render(Target::Sigma, &picked), &workloads);
    fold_attempts(&mut got);
    assert_eq!(got, want);
}

/// The workload rules' alerts, each identity by its application id (as the correlations key it).
fn alerts_of(yaml: &str, events: &[AuthEvent]) -> BTreeSet<(String, String)> {
    alerts(yaml, events, workload_signins, "AppId", MULTIPLE)
        .into_iter()
        .map(|(k, who)| (k, app_id(&who)))
        .collect()
}
