//! Panther's public labelled tests for its Azure sign-in rules, as a regression: a peer's test
//! suite (`../shared/data/panther-analysis/extracted/azure_signin_panther_tests.jsonl`, one event
//! per test, `_expected` true when Panther's rule alerts; Apache-2.0, read in place).
//!
//! Every test is in [`ROWS`], with how t1586 is held to Panther's label:
//! * [`How::Alone`] — the event alone, default configuration: t1586 alerts exactly when Panther's
//!   rule does, with one of the detection types named;
//! * [`How::Stream`] — Panther alerts at a threshold its single test event stands for (ten failed
//!   sign-ins, a session seen from a second address): the event is fed as the stream it stands
//!   for, default configuration;
//! * [`How::Configured`] — the label depends on the organisation's own list (Panther's
//!   `KNOWN_EXCEPTIONS`): the event alone with t1586's equivalent setting;
//! * [`How::Differs`] — a deliberate difference (the README's "Panther's Azure tests" lists them):
//!   the event alone must still give the opposite of Panther's label (so a change in behaviour
//!   shows up here), and the configuration or input named in `agrees_with` must agree.
//!
//! The agreement table is printed (`cargo test -p t1586-detector --test panther -- --nocapture`).

#[path = "support/panther.rs"]
mod panther_tests;
#[path = "support/shared.rs"]
mod shared_data;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

const FILE: &str = "azure_signin_panther_tests.jsonl";

enum How {
    Alone,
    Stream(fn(&Value) -> Vec<Value>),
    Configured(&'static str),
    Differs {
        why: &'static str,
        agrees_with: (fn(&Value) -> Vec<Value>, &'static str),
    },
}

struct Row {
    /// The rule file's name, without `.yml`.
    rule: &'static str,
    /// Panther's test name.
    name: &'static str,
    how: How,
    /// t1586's detection types that stand for Panther's alert (one of them must be raised when
    /// Panther's label is true).
    want: &'static [&'static str],
}

/// The event alone.
fn alone(e: &Value) -> Vec<Value> {
    vec![e.clone()]
}

/// `n` copies of the event, a minute apart, each with its own record id.
fn copies(e: &Value, n: i64) -> Vec<Value> {
    let base = event_time(e);
    (0..n)
        .map(|i| {
            let mut c = e.clone();
            set_time(&mut c, base + Duration::minutes(i));
            c["properties"]["id"] = json!(format!("panther-copy-{i}"));
            c
        })
        .collect()
}

fn event_time(e: &Value) -> DateTime<Utc> {
    let t = e["properties"]["createdDateTime"]
        .as_str()
        .or(e["time"].as_str())
        .expect("a time");
    let t = t.replace(' ', "T");
    let t = if t.ends_with('Z') { t } else { format!("{t}Z") };
    DateTime::parse_from_rfc3339(&t)
        .map(|d| d.with_timezone(&Utc))
        .expect("Panther's times parse")
}

fn set_time(e: &mut Value, t: DateTime<Utc>) {
    let text = t.to_rfc3339();
    e["time"] = json!(text);
    e["properties"]["createdDateTime"] = json!(text);
}

/// Lockouts: Panther's test is one 50053; its rule stands for a storm of them. Six in six minutes.
fn lockout_storm(e: &Value) -> Vec<Value> {
    copies(e, 6)
}

/// Failed sign-ins: Panther's rule alerts at ten in ten minutes (its `Threshold`).
fn ten_failures(e: &Value) -> Vec<Value> {
    copies(e, 10)
}

/// Panther's test mocks the session's address set as two addresses: the event, and the same
/// session used five minutes later from the other address of the mock.
fn second_address(e: &Value) -> Vec<Value> {
    let mut b = e.clone();
    set_time(&mut b, event_time(e) + Duration::minutes(5));
    b["properties"]["ipAddress"] = json!("203.0.113.45");
    b["callerIpAddress"] = json!("203.0.113.45");
    vec![e.clone(), b]
}

/// The rogue-state test's country is in Panther's enrichment only (`p_enrichment`, RU), while the
/// record's own location says US: the record as it would read had Entra located it in Russia.
fn located_in_russia(e: &Value) -> Vec<Value> {
    let mut c = e.clone();
    c["properties"]["location"]["countryOrRegion"] = json!("RU");
    c["location"] = json!("RU");
    vec![c]
}

const ROWS: &[Row] = &[
    Row {
        rule: "azure_device_code_broker_client",
        name: "Device Code Auth with Broker Client",
        how: How::Alone,
        want: &["DeviceCodePhishing"],
    },
    Row {
        rule: "azure_device_code_broker_client",
        name: "Device Code Without Broker Client",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_excessive_account_lockouts",
        name: "Account Lockout Error 50053",
        how: How::Stream(lockout_storm),
        want: &["BruteForceAttempt"],
    },
    Row {
        rule: "azure_excessive_account_lockouts",
        name: "Different Error Code",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_excessive_account_lockouts",
        name: "Microsoft Corporate ASN Excluded",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_failed_signins",
        name: "Failed Sign-In",
        how: How::Stream(ten_failures),
        want: &["WorkloadCredentialFailures"],
    },
    Row {
        rule: "azure_failed_signins",
        name: "Successful Sign-In",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_graph_session_multiple_ips",
        name: "Multiple IP Access to Same Microsoft Graph Session",
        how: How::Stream(second_address),
        want: &["TokenReplay"],
    },
    Row {
        rule: "azure_graph_session_multiple_ips",
        name: "Non-Interactive Sign-In via NonInteractiveUserSignInLogs Category",
        how: How::Stream(second_address),
        want: &[],
    },
    Row {
        rule: "azure_graph_session_multiple_ips",
        name: "Whitelisted Office 365",
        how: How::Stream(second_address),
        want: &[],
    },
    Row {
        rule: "azure_high_risk_signin",
        name: "High Risk During Sign-In",
        how: How::Alone,
        want: &["IdentityProtectionRisk"],
    },
    Row {
        rule: "azure_high_risk_signin",
        name: "High Risk Dismissed",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_legacyauth",
        name: "Failed Sign-In",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_legacyauth",
        name: "Sign-In with legacy auth",
        how: How::Alone,
        want: &["LegacyProtocolSuccess"],
    },
    Row {
        rule: "azure_legacyauth",
        name: "Sign-In with legacy auth, KNOWN_EXCEPTION",
        how: How::Configured(
            r#"{"allowlist":{"ignored_identities":["homer.simpson@springfield.org"]}}"#,
        ),
        want: &[],
    },
    Row {
        rule: "azure_multiple_protection_alerts",
        name: "Risk Event Counts Toward Threshold",
        how: How::Alone,
        want: &["IdentityProtectionRisk"],
    },
    Row {
        rule: "azure_multiple_protection_alerts",
        name: "No Risk Sign-In",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_risklevel_passthrough",
        name: "Failed Sign-In",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_risklevel_passthrough",
        name: "Failed Sign-In with riskLevelAggregated",
        how: How::Differs {
            why: "a low risk level alone is below t1586's default identity_protection.min_level (medium)",
            agrees_with: (alone, r#"{"identity_protection":{"min_level":"low"}}"#),
        },
        want: &["IdentityProtectionRisk"],
    },
    Row {
        rule: "azure_risklevel_passthrough",
        name: "Failed Sign-In with riskLevelDuringSignIn",
        how: How::Alone,
        want: &["IdentityProtectionRisk"],
    },
    Row {
        rule: "azure_risklevel_passthrough",
        name: "Failed Sign-In with riskLevelDuringSignIn and dismissed",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_risklevel_passthrough",
        name: "Missing RiskState",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_ropc_login_no_mfa",
        name: "ROPC Login Without MFA",
        how: How::Alone,
        want: &["LegacyProtocolSuccess"],
    },
    Row {
        rule: "azure_ropc_login_no_mfa",
        name: "Failed ROPC Login",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "azure_vscode_oauth_phishing",
        name: "VS Code to Microsoft Graph",
        how: How::Alone,
        want: &["OAuthClientPhishing"],
    },
    Row {
        rule: "azure_vscode_oauth_phishing",
        name: "VS Code to Different Resource",
        how: How::Alone,
        want: &[],
    },
    Row {
        rule: "sign_in_from_rogue_state",
        name: "Azure - Rogue State Sign-In",
        how: How::Differs {
            why: "the country is Panther's own IP enrichment (p_enrichment: RU); the record's location, which t1586 reads, is US; and which countries are watched is the tenant's list (empty by default)",
            agrees_with: (
                located_in_russia,
                r#"{"workload_location":{"watched_countries":["RU"]}}"#,
            ),
        },
        want: &["WorkloadWatchedLocation"],
    },
];

/// The detection types raised for `events` under `config` (JSON, `{}` for the default); every
/// event must be read.
fn types(events: &[Value], config: &str) -> Vec<String> {
    let (types, stats) = panther_tests::run(events, config);
    assert_eq!(stats.records_rejected, 0, "{:?}", stats.errors);
    types
}

/// Whether `got` is Panther's label: no alert for a negative, one of `want` for a positive.
fn agrees(expected: bool, got: &[String], want: &[&str]) -> bool {
    if expected {
        got.iter().any(|t| want.contains(&t.as_str()))
    } else {
        got.is_empty()
    }
}

#[test]
fn panthers_azure_signin_tests() {
    let Some(tests) = panther_tests::tests(FILE) else {
        return;
    };
    let mut alone_agreed = 0;
    let mut total = 0;
    let mut failures = Vec::new();
    for t in &tests {
        let (rule, name, expected, event) = (t.rule.as_str(), t.name.as_str(), t.expected, &t.log);
        let row = ROWS
            .iter()
            .find(|r| r.rule == rule && r.name == name)
            .unwrap_or_else(|| panic!("no row for Panther's test {rule} / {name}"));
        total += 1;
        let by_itself = types(&alone(event), "{}");
        let plain = agrees(expected, &by_itself, row.want);
        alone_agreed += usize::from(plain);
        let (verdict, got) = match &row.how {
            How::Alone => (plain, by_itself.clone()),
            How::Stream(f) => {
                let got = types(&f(event), "{}");
                (agrees(expected, &got, row.want), got)
            }
            How::Configured(cfg) => {
                let got = types(&alone(event), cfg);
                (agrees(expected, &got, row.want), got)
            }
            How::Differs { why, agrees_with } => {
                let got = types(&(agrees_with.0)(event), agrees_with.1);
                let ok = !plain && agrees(expected, &got, row.want);
                if !ok {
                    failures.push(format!(
                        "{rule} / {name}: documented difference ({why}) no longer holds: alone {by_itself:?}, with {} {got:?}",
                        agrees_with.1
                    ));
                }
                (ok, got)
            }
        };
        let how = match row.how {
            How::Alone => "alone",
            How::Stream(_) => "stream",
            How::Configured(_) => "configured",
            How::Differs { .. } => "differs",
        };
        println!(
            "{:<5} {:<10} {:<34} {:<58} expected {:<5} alone {:?} -> {:?}",
            if verdict { "ok" } else { "FAIL" },
            how,
            rule,
            name,
            expected,
            by_itself,
            got
        );
        if !verdict && !matches!(row.how, How::Differs { .. }) {
            failures.push(format!(
                "{rule} / {name}: Panther expects {expected}, t1586 gave {got:?} ({how})"
            ));
        }
    }
    println!("event alone, default configuration: {alone_agreed} of {total} agree with Panther");
    assert_eq!(total, ROWS.len(), "every row is one of Panther's tests");
    assert!(failures.is_empty(), "{failures:#?}");
}
