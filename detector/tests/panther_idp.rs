//! Panther's public labelled tests for its Okta, CloudTrail `ConsoleLogin` and Google Workspace
//! rules, as a regression: a peer's test suite (`../shared/data/panther-analysis/extracted/`,
//! one event per test, `_expected` true when Panther's rule alerts; Apache-2.0, read in place).
//!
//! Each test is held to Panther's label for **that rule's** detection types ([`rule`]): a
//! positive must raise one of them, a negative none of them (other alerts on the same event, such
//! as a root sign-in's, are printed, not counted against the rule). How:
//! * `alone` — the event alone, default configuration;
//! * `stream` — Panther alerts at a threshold or against a history its single test event stands
//!   for (ten failures, an earlier sign-in from elsewhere): the event is fed as that stream;
//! * `differs` — a deliberate difference, with the reason: t1586 must still give the opposite of
//!   Panther's label, so a change in behaviour shows up here (the README lists them);
//! * `outside` — the rule is about something t1586 does not read or has no detection for
//!   (account administration, an EDR's device inventory, the organisation's own lists): printed
//!   with the reason, not counted.
//!
//! Many of Panther's test events carry no time (`published`, `eventTime`, `id.time`) or a
//! redacted one: its rules do not read it. Such events are given a fixed time before they are fed.
//! The table is printed (`cargo test -p t1586-detector --test panther_idp -- --nocapture`).

#[path = "support/panther.rs"]
mod panther_tests;
#[path = "support/shared.rs"]
mod shared_data;

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};

#[derive(Clone, Copy, PartialEq)]
enum Provider {
    Okta,
    Aws,
    Google,
}

enum How {
    Alone,
    Stream(fn(&Value, Provider) -> Vec<Value>),
    Differs(&'static str),
    /// The rule concerns something t1586 does not read or has no detection for (account
    /// administration, a device inventory, the organisation's own lists): printed, not counted.
    Outside(&'static str),
}

const FIXED: &str = "2024-05-01T10:00:00Z";
const BRUTE: &[&str] = &["BruteForceAttempt", "CredentialStuffing", "PasswordSpray"];
const SPRAY: &[&str] = &["PasswordSpray", "DistributedPasswordSpray"];
const TRAVEL: &[&str] = &["ImpossibleTravel"];
const VERDICT: &[&str] = &["IdentityProtectionRisk"];
const NONE: &[&str] = &[];

/// How a rule's tests are held, and the detection types that stand for its alert.
fn rule(p: Provider, rule: &str, name: &str) -> (How, &'static [&'static str]) {
    use How::*;
    const ADMIN: &str = "an administrative or account change, not a sign-in: t1586 reads sign-ins and the providers' verdicts";
    match (p, rule) {
        (_, "brute_force_by_ip" | "brute_force_by_user") => (Stream(ten_failures), BRUTE),
        // Panther's own test names say which events come without history.
        (_, "impossible_travel_login")
            if name.contains("no history") || name.starts_with("First hit") =>
        {
            (Alone, TRAVEL)
        }
        (_, "impossible_travel_login") => (Stream(with_history), TRAVEL),
        (_, "sign_in_from_rogue_state") => (
            Outside(
                "which countries are watched is the organisation's list; t1586 watches countries for workload identities only",
            ),
            NONE,
        ),
        (Provider::Okta, "okta_anonymizing_vpn_login")
        | (Provider::Okta, "okta_app_refresh_access_token_reuse")
        | (Provider::Okta, "okta_phishing_attempt_blocked_by_fastpass")
        | (Provider::Okta, "okta_user_reported_suspicious_activity") => (Alone, VERDICT),
        (Provider::Okta, "okta_potentially_stolen_session") => (
            Differs(
                "Panther's test events are failed sign-ins (VERIFICATION_ERROR) and its rule compares device fingerprints; t1586 follows a session through its successful uses, from a second country or network (TokenReplay, SessionFromMultipleNetworks), without device fingerprints",
            ),
            &["TokenReplay"],
        ),
        (Provider::Okta, "okta_login_signal") => (
            Outside(
                "Panther's signal rule records every successful login; one sign-in is not an alert",
            ),
            NONE,
        ),
        (Provider::Okta, "okta_sso_to_aws" | "okta_idp_signin") => (
            Outside(
                "a single sign-on to an application, or through another identity provider, is an ordinary sign-in",
            ),
            NONE,
        ),
        (Provider::Okta, _) => (Outside(ADMIN), NONE),
        (Provider::Aws, "aws_cloudtrail_password_spraying") => (Stream(sprayed), SPRAY),
        (Provider::Aws, "aws_console_login_without_mfa") if name == "No MFA Login - New User" => (
            Differs(
                "Panther spares users created within its grace period, from its own history of the account; t1586 has no such history",
            ),
            VERDICT,
        ),
        (
            Provider::Aws,
            "aws_console_login_without_mfa" | "aws_console_root_login" | "aws_root_activity",
        ) => (Alone, VERDICT),
        (Provider::Aws, "aws_console_root_login_failed") if name == "Successful Login" => (
            Differs(
                "a root sign-in is reported whether or not it succeeded (Panther's aws_console_root_login rule)",
            ),
            VERDICT,
        ),
        (Provider::Aws, "aws_console_root_login_failed") => (Alone, VERDICT),
        (Provider::Aws, "aws_cloudtrail_unsuccessful_mfa_attempt") => (
            Differs(
                "one failed console sign-in is not an alert; a run of them is (BruteForceAttempt)",
            ),
            BRUTE,
        ),
        (Provider::Aws, "aws_console_login_without_saml") => (
            Outside(
                "whether console sign-ins must use SAML is the organisation's policy; t1586 reports a password-only IAM user (consoleLoginWithoutMfa) when MFA is missing",
            ),
            NONE,
        ),
        (Provider::Aws, "AWS_Authentication_from_CrowdStrike_Unmanaged_Device") => (
            Outside("needs the EDR's device inventory, which sign-in logs do not have"),
            NONE,
        ),
        (Provider::Aws, "aws_console_getsignintoken") => (
            Outside(
                "GetSigninToken (a federation token for the console) is not a sign-in t1586 reads yet",
            ),
            NONE,
        ),
        (Provider::Aws, _) => (Alone, VERDICT),
        (
            Provider::Google,
            "gsuite_user_suspended" | "gsuite_leaked_password" | "gsuite_suspicious_logins",
        ) if name.starts_with("Account Warning Not For") => (
            Differs(
                "every account warning Google raises passes through; Panther's rule reads one of them",
            ),
            VERDICT,
        ),
        (
            Provider::Google,
            "gsuite_gov_attack"
            | "gsuite_is_suspicious_tag"
            | "gsuite_leaked_password"
            | "gsuite_suspicious_logins",
        ) => (Alone, VERDICT),
        (Provider::Google, "gsuite_user_suspended") => (Alone, VERDICT),
        (Provider::Google, "gsuite_login_type") => (
            Outside("which login types are approved is the organisation's list"),
            NONE,
        ),
        (Provider::Google, _) => (Outside(ADMIN), NONE),
    }
}

/// The event's time field for its provider.
fn time_path(p: Provider) -> &'static [&'static str] {
    match p {
        Provider::Okta => &["published"],
        Provider::Aws => &["eventTime"],
        Provider::Google => &["id", "time"],
    }
}

fn get_time(e: &Value, p: Provider) -> Option<DateTime<Utc>> {
    let mut v = e;
    for k in time_path(p) {
        v = v.get(*k)?;
    }
    let t = v.as_str()?.replace(' ', "T");
    let t = if t.ends_with('Z') { t } else { format!("{t}Z") };
    DateTime::parse_from_rfc3339(&t)
        .ok()
        .map(|d| d.with_timezone(&Utc))
}

fn set_time(e: &mut Value, p: Provider, t: DateTime<Utc>) {
    let text = json!(t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
    match p {
        Provider::Okta => e["published"] = text,
        Provider::Aws => e["eventTime"] = text,
        Provider::Google => {
            if !e["id"].is_object() {
                e["id"] = json!({"applicationName": "login"});
            }
            e["id"]["time"] = text;
        }
    }
}

/// The event with a time of its own (a fixed one when it has none or a redacted one).
fn timed(e: &Value, p: Provider) -> Value {
    let mut e = e.clone();
    if get_time(&e, p).is_none() {
        set_time(
            &mut e,
            p,
            DateTime::parse_from_rfc3339(FIXED)
                .unwrap()
                .with_timezone(&Utc),
        );
    }
    e
}

fn set_id(e: &mut Value, p: Provider, i: i64) {
    let id = json!(format!("panther-copy-{i}"));
    match p {
        Provider::Okta => e["uuid"] = id,
        Provider::Aws => e["eventID"] = id,
        Provider::Google => e["id"]["uniqueQualifier"] = id,
    }
}

/// Ten copies of the event a minute apart.
fn ten_failures(e: &Value, p: Provider) -> Vec<Value> {
    let e = timed(e, p);
    let base = get_time(&e, p).unwrap();
    (0..10)
        .map(|i| {
            let mut c = e.clone();
            set_time(&mut c, p, base + Duration::minutes(i));
            set_id(&mut c, p, i);
            c
        })
        .collect()
}

/// The failure for ten users from one address.
fn sprayed(e: &Value, p: Provider) -> Vec<Value> {
    ten_failures(e, p)
        .into_iter()
        .enumerate()
        .map(|(i, mut c)| {
            c["userIdentity"] = json!({"type": "IAMUser", "accountId": "123456789012", "userName": format!("user{i}")});
            c["sourceIPAddress"] = json!("203.0.113.66");
            c
        })
        .collect()
}

/// The sign-in, after a success of the same user 30 minutes earlier in Germany (the history
/// Panther's rule keeps).
fn with_history(e: &Value, p: Provider) -> Vec<Value> {
    let e = timed(e, p);
    let t = get_time(&e, p).unwrap();
    let mut before = e.clone();
    set_time(&mut before, p, t - Duration::minutes(30));
    set_id(&mut before, p, 99);
    let berlin = json!({"city": "Berlin", "country": "DE", "lat": "52.52", "lng": "13.40"});
    match p {
        Provider::Okta => {
            before["client"]["ipAddress"] = json!("192.0.2.10");
            before["client"]["geographicalContext"] = json!({"city": "Berlin", "country": "Germany", "geolocation": {"lat": 52.52, "lon": 13.40}});
            before["p_enrichment"] = json!({"ipinfo_location": {"client.ipAddress": berlin}});
        }
        Provider::Aws => {
            before["sourceIPAddress"] = json!("192.0.2.10");
            before["p_enrichment"] = json!({"ipinfo_location": {"sourceIPAddress": berlin}});
        }
        Provider::Google => {}
    }
    vec![before, e]
}

/// The detection types raised for `events` (default configuration), and a rejection as one
/// (an event without a user): never counted as agreement.
fn types(events: &[Value]) -> Vec<String> {
    let (mut out, stats) = panther_tests::run(events, "{}");
    out.extend(
        stats
            .errors
            .iter()
            .map(|e| format!("rejected: {}", e.reason)),
    );
    out
}

/// Panther's label for the rule's detection types: one of them for a positive, none for a
/// negative. A rejected event (Panther's test stubs without a user) raises nothing: it agrees
/// only with a negative, and the rejection is printed.
fn agrees(expected: bool, got: &[String], want: &[&str]) -> bool {
    got.iter().any(|t| want.contains(&t.as_str())) == expected
}

#[test]
fn panthers_identity_provider_tests() {
    let mut failures = Vec::new();
    let mut summary = Vec::new();
    for (file, p) in [
        ("okta_auth_panther_tests.jsonl", Provider::Okta),
        ("aws_consolelogin_panther_tests.jsonl", Provider::Aws),
        ("gsuite_login_panther_tests.jsonl", Provider::Google),
    ] {
        let Some(tests) = panther_tests::tests(file) else {
            return;
        };
        let (mut total, mut alone_agreed, mut agreed, mut differs, mut outside) = (0, 0, 0, 0, 0);
        for t in &tests {
            let (rule_name, name, expected) = (t.rule.as_str(), t.name.as_str(), t.expected);
            let event = timed(&t.log, p);
            let (how, want) = rule(p, rule_name, name);
            // A difference is about the label it names: Panther's negatives of such a rule are
            // held to as they are.
            let how = match how {
                How::Differs(_) if !expected && want != VERDICT => How::Alone,
                h => h,
            };
            total += 1;
            let by_itself = types(std::slice::from_ref(&event));
            let plain = agrees(expected, &by_itself, want);
            alone_agreed += usize::from(plain);
            let (ok, got, label) = match &how {
                How::Alone => (plain, by_itself.clone(), "alone"),
                How::Stream(f) => {
                    let got = types(&f(&event, p));
                    (agrees(expected, &got, want), got, "stream")
                }
                How::Outside(why) => {
                    outside += 1;
                    println!("      (outside: {why})");
                    (true, by_itself.clone(), "outside")
                }
                How::Differs(why) => {
                    differs += 1;
                    if plain {
                        failures.push(format!(
                            "{rule_name} / {name}: documented difference ({why}) no longer holds: {by_itself:?}"
                        ));
                    }
                    (!plain, by_itself.clone(), "differs")
                }
            };
            if matches!(how, How::Alone | How::Stream(_)) {
                agreed += usize::from(ok);
                if !ok {
                    failures.push(format!(
                        "{rule_name} / {name}: Panther expects {expected}, t1586 gave {got:?} ({label})"
                    ));
                }
            }
            println!(
                "{:<5} {:<8} {:<45} {:<55} expected {:<5} -> {:?}",
                if ok { "ok" } else { "FAIL" },
                label,
                rule_name,
                name,
                expected,
                got
            );
        }
        summary.push(format!(
            "{file}: {total} tests; alone {alone_agreed} agree; with streams {agreed} agree, {differs} differ on purpose, {outside} outside t1586's scope"
        ));
    }
    for s in &summary {
        println!("{s}");
    }
    assert!(failures.is_empty(), "{failures:#?}");
}
