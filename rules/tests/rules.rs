//! `t1586 rules`: every target writes every generated detection of both profiles in its own
//! syntax, and the configuration's values reach every target.

use t1586_detector::{Config, Profile};
use t1586_rules::{Target, detections, each, render, rules, unwritten};

fn config(json: &str) -> Config {
    Config::from_json(json).expect("a valid configuration")
}

/// Each rule: comment lines in the target's syntax (after the query's first line for AQL and
/// Sumo), then a query without blank lines; rules separated by exactly one blank line.
#[test]
fn every_target_writes_every_detection() {
    for profile in [Profile::Seed, Profile::Default] {
        let cfg = Config::for_profile(profile);
        let (dets, _) = detections(&cfg);
        for &t in Target::ALL {
            let rs = rules(&cfg, t);
            let all = each(&cfg, t);
            assert_eq!(all.len(), dets.len(), "{t}: one entry per detection");
            let not: Vec<_> = all.iter().filter_map(|e| e.as_ref().err()).collect();
            assert_eq!(rs.len() + not.len(), dets.len(), "{t}");
            for (signal, name, why) in &not {
                assert!(!why.is_empty(), "{t}: {signal} {name} without a reason");
            }
            // The reasons once each, in order.
            let named = unwritten(&cfg, t);
            for n in &not {
                assert!(named.contains(n), "{t}: {n:?} not named");
            }
            let text = render(t, &rs);
            let blocks: Vec<&str> = text.trim_end().split("\n\n").collect();
            assert_eq!(blocks.len(), rs.len(), "{t}: one block per rule:\n{text}");
            let (mark, end) = (t.comment(), t.comment_end());
            for (b, r) in blocks.iter().zip(&rs) {
                let lines: Vec<&str> = b.lines().collect();
                let skip = usize::from(t.comments_after_first_line());
                if skip == 1 {
                    assert!(
                        !lines[0].starts_with(mark),
                        "{t}: the query's first line first: {b}"
                    );
                }
                let comments: Vec<&str> = lines[skip..]
                    .iter()
                    .copied()
                    .take_while(|l| l.starts_with(mark))
                    .collect();
                assert!(comments.len() >= 2, "{t}: {b}");
                assert!(comments[0].contains(r.detection), "{t}: {b}");
                for l in &comments {
                    assert!(l.ends_with(end), "{t}: {l}");
                    if !end.is_empty() {
                        // One comment per line, closed on it: nothing can end it early.
                        assert_eq!(
                            l.matches(end.trim()).count(),
                            1 + usize::from(mark.trim() == end.trim()),
                            "{l}"
                        );
                    }
                }
                let query: Vec<&str> = lines[..skip]
                    .iter()
                    .chain(&lines[skip + comments.len()..])
                    .copied()
                    .collect();
                assert!(query.len() > 1, "{t}: a query besides the comments");
                assert!(
                    query
                        .iter()
                        .all(|l| !l.trim().is_empty() && !l.starts_with(mark)),
                    "{t}: {b}"
                );
            }
        }
    }
}

/// How a target writes a value of the configuration: (what, the tuned rule's text, the seed's).
fn expected(t: Target) -> Vec<(String, String, String)> {
    let s = |x: &str| x.to_string();
    let mut e = vec![
        (s("min_failures"), s("7"), s("")),
        (s("excluded code"), s("50158"), s("")),
        (s("AS number"), s("64500"), s("")),
        (s("travel risk"), s("risk 77"), s("risk 85")),
        (s("hosting risk"), s("risk 66"), s("risk 80")),
    ];
    // (window, travel bin, hosting prefix, min_countries) as the language writes them.
    let (window, bin, prefix, countries) = match t {
        Target::SentinelKql => ("7200s", "1800s", "203.0.113.", ">= 3"),
        Target::SplunkSpl => ("7200s", "1800s", "203.0.113.", ">=3"),
        Target::ElasticEql => ("7200s", "1800s", "203.0.113.0/24", ""),
        Target::ElasticEsql => ("7200 seconds", "1800 seconds", "203.0.113.0/24", ">= 3"),
        Target::Sigma => ("7200s", "1800s", "203.0.113.", "gte: 3"),
        Target::QradarAql => ("LAST 120 MINUTES", "1800000", "203.0.113.0/24", ">= 3"),
        Target::Sumo => ("7200 s", "timeslice 30m", "203.0.113.*", ">= 3"),
        Target::ChronicleYaral => ("over 2h", "over 30m", "203.0.113.0/24", ">= 3"),
        Target::LogscaleCql => ("last 2h", "% 1800000", "203.0.113.0/24", ">= 3"),
    };
    let seed_window = match t {
        Target::ElasticEsql => "86400 seconds",
        Target::QradarAql => "LAST 1440 MINUTES",
        Target::Sumo => "86400 s",
        Target::ChronicleYaral => "over 24h",
        Target::LogscaleCql => "last 24h",
        _ => "86400s",
    };
    e.push((s("window"), s(window), s(seed_window)));
    e.push((s("travel bin"), s(bin), s("")));
    e.push((s("hosting prefix"), s(prefix), s("185.220.")));
    if !countries.is_empty() {
        e.push((s("min_countries"), s(countries), s("")));
    }
    // The languages with a risk column set it.
    let risk = match t {
        Target::SentinelKql | Target::ElasticEsql => "RiskScore = 77",
        Target::SplunkSpl => "RiskScore=77",
        Target::QradarAql => "77 AS RiskScore",
        Target::Sumo => "77 as RiskScore",
        Target::ChronicleYaral => "max(77)",
        Target::LogscaleCql => "RiskScore := 77",
        Target::ElasticEql | Target::Sigma => "",
    };
    if !risk.is_empty() {
        e.push((s("travel risk column"), s(risk), s("")));
    }
    e
}

/// Each value of the configuration that a detection reads appears in every target's rule, and
/// changing it changes the rule.
#[test]
fn the_configuration_reaches_every_target() {
    let seed = config(r#"{"profile":"seed"}"#);
    let tuned = config(
        r#"{"profile":"seed","window_secs":7200,
            "credential_stuffing":{"min_failures":7,"excluded_result_codes":["50053","50076","50158"]},
            "impossible_travel":{"bin_secs":1800,"min_countries":3,"risk":77},
            "hosting":{"ip_prefixes":["203.0.113."],"asn_numbers":[64500],"risk":66}}"#,
    );
    for &t in Target::ALL {
        let before = render(t, &rules(&seed, t));
        let after = render(t, &rules(&tuned, t));
        assert_ne!(before, after, "{t}");
        for (what, new, old) in expected(t) {
            assert!(
                after.contains(&new),
                "{t}: {what} {new:?} missing:\n{after}"
            );
            if !old.is_empty() {
                assert!(
                    before.contains(&old),
                    "{t}: {what} {old:?} missing:\n{before}"
                );
                assert!(!after.contains(&old), "{t}: {what} still {old:?}");
            }
        }
    }
}

/// A signal switched off is not written; signals without a generator are named.
#[test]
fn disabled_and_unwritten_signals() {
    let cfg = config(r#"{"profile":"seed","impossible_travel":{"enabled":false}}"#);
    let (dets, missing) = detections(&cfg);
    assert_eq!(
        dets.iter().map(|d| d.name()).collect::<Vec<_>>(),
        ["CredentialStuffing", "SuspiciousInfrastructure"]
    );
    assert!(missing.is_empty(), "{missing:?}");
    let (_, missing) = detections(&Config::for_profile(Profile::Default));
    assert_eq!(missing, ["combined_risk"]);
    // The workload identity's new places: named, with the reason, for every target.
    let default = Config::for_profile(Profile::Default);
    for &t in Target::ALL {
        assert!(
            unwritten(&default, t)
                .iter()
                .any(|(s, d, why)| *s == "workload_location"
                    && *d == "WorkloadNewLocation"
                    && why.contains("history")),
            "{t}"
        );
    }
    assert!(!missing.contains(&"token_replay"), "{missing:?}");
    assert!(!missing.contains(&"mfa_fatigue"), "{missing:?}");
    assert!(!missing.contains(&"password_spray"), "{missing:?}");
    assert!(!missing.contains(&"hosting"));
}

#[test]
fn targets_by_name() {
    for &t in Target::ALL {
        assert_eq!(t.name().parse::<Target>().unwrap(), t);
    }
    let e = "qradar".parse::<Target>().unwrap_err().to_string();
    assert!(
        e.contains("sentinel-kql") && e.contains("qradar-aql") && e.contains("sigma"),
        "{e}"
    );
}

/// The default profile's signals: each value a rule reads reaches every target that writes it.
#[test]
fn the_default_signals_follow_the_configuration() {
    let tuned = config(
        r#"{"profile":"default",
            "failures_then_success":{"min_failures":7,"window_secs":1800,"correct_password_codes":["50158"]},
            "password_spray":{"min_identities":9,"window_secs":900},
            "legacy_auth":{"client_apps":["IMAP4"],"user_agents":["BAV2ROPC"],"risk":66},
            "failed_logons_then_success":{"min_failures":6,"failure_codes":["0xc000006a"]},
            "one_source_many_accounts":{"burst_min_accounts":12,"min_accounts":40},
            "mfa_fatigue":{"max_denials":13},
            "identity_protection":{"cleared_states":["dismissed"]},
            "client_phishing":{"risk_oauth":71,"oauth_client_user_agents":["Electron-Client"]},
            "explicit_credentials":{"min_accounts":17},
            "geo_velocity":{"max_speed_kmh":700.5},
            "workload_location":{"watched_countries":["KP"],"risk_watched":88},
            "token_replay":{"session_min_networks":3,"graph_session_min_ips":4,"follow_secs":1800,"scripted_user_agents":["evil-client"],"risk_kit":93},
            "workload_credentials":{"min_failures":8,"attempt_min_failures":14,"failure_codes":["7000215","700027"]}}"#,
    );
    let default = Config::for_profile(Profile::Default);
    for &t in Target::ALL {
        let before = render(t, &rules(&default, t));
        let after = render(t, &rules(&tuned, t));
        let written: Vec<&str> = rules(&tuned, t).iter().map(|r| r.detection).collect();
        let block = |kind: &str| -> String {
            after
                .split("\n\n")
                .filter(|b| b.lines().any(|l| l.contains(&format!("t1586 {kind} "))))
                .collect::<Vec<_>>()
                .join("\n\n")
        };
        let ordered_min = match t {
            Target::ElasticEql => "runs=7",
            Target::Sigma => "gte: 7",
            Target::SplunkSpl => ">=7",
            _ => ">= 7",
        };
        if written.contains(&"CredentialStuffing") {
            let b = block("CredentialStuffing");
            assert!(b.contains(ordered_min), "{t}: min_failures:\n{b}");
            assert!(
                !b.contains("50076"),
                "{t}: the correct-password codes:\n{b}"
            );
            assert!(b.contains("50158"), "{t}: the correct-password codes:\n{b}");
        }
        if written.contains(&"PasswordSpray") {
            let b = block("PasswordSpray");
            let nine = match t {
                Target::Sigma => "gte: 9",
                Target::SplunkSpl => ">=9",
                _ => ">= 9",
            };
            assert!(b.contains(nine), "{t}: min_identities:\n{b}");
        }
        if written.contains(&"LegacyProtocolSuccess") {
            let b = block("LegacyProtocolSuccess");
            assert!(b.contains("risk 66") && !b.contains("POP3"), "{t}:\n{b}");
        }
        if written.contains(&"FailedLogonsThenSuccess") {
            let b = block("FailedLogonsThenSuccess");
            assert!(!b.contains("0xc0000064"), "{t}: failure_codes:\n{b}");
        }
        if written.contains(&"MfaFatigue") {
            let b = block("MfaFatigue");
            let n = if t == Target::ElasticEql {
                "runs=14"
            } else {
                "13"
            };
            assert!(
                b.contains(n) && !b.contains(" 10\n"),
                "{t}: max_denials:\n{b}"
            );
        }
        if written.contains(&"IdentityProtectionRisk") {
            let b = block("IdentityProtectionRisk");
            assert!(
                b.contains("dismissed") && !b.contains("remediated"),
                "{t}: cleared_states:\n{b}"
            );
        }
        if written.contains(&"OAuthClientPhishing") {
            let b = block("OAuthClientPhishing");
            assert!(
                b.contains("71") && b.contains("Electron-Client"),
                "{t}:\n{b}"
            );
        }
        if written.contains(&"ExplicitCredentialSpray") {
            let b = block("ExplicitCredentialSpray");
            assert!(b.contains("17"), "{t}: min_accounts:\n{b}");
        }
        if t == Target::SentinelKql || t == Target::SplunkSpl || t == Target::Sumo {
            let b = block("ImpossibleTravel");
            assert!(
                b.contains("700.5") && !b.contains("900.0"),
                "{t}: max_speed_kmh:\n{b}"
            );
        }
        if written.contains(&"WorkloadWatchedLocation") {
            let b = block("WorkloadWatchedLocation");
            assert!(
                b.contains("KP") && b.contains("88"),
                "{t}: watched_countries:\n{b}"
            );
        }
        if matches!(
            t,
            Target::SentinelKql
                | Target::SplunkSpl
                | Target::ElasticEql
                | Target::ElasticEsql
                | Target::Sigma
        ) {
            assert!(written.contains(&"WorkloadWatchedLocation"), "{t}");
            let default_written: Vec<&str> =
                rules(&default, t).iter().map(|r| r.detection).collect();
            assert!(
                !default_written.contains(&"WorkloadWatchedLocation"),
                "{t}: no watched country by default, no rule"
            );
        }
        if written.contains(&"TokenReplay") {
            let b = block("TokenReplay");
            let pattern = |p: &str| -> String {
                b.split("\n\n")
                    .filter(|x| x.lines().any(|l| l.contains(p)))
                    .collect::<Vec<_>>()
                    .join("\n\n")
            };
            let session = pattern("(SessionFromMultipleNetworks");
            assert!(
                session.is_empty()
                    || (session.contains('3')
                        && !session.contains(">= 2")
                        && !session.contains(">=2")
                        && !session.contains("gte: 2")),
                "{t}: session_min_networks:\n{session}"
            );
            let graph = pattern("(GraphSessionFromMultipleIps");
            if !graph.is_empty() {
                assert!(graph.contains('4'), "{t}: graph_session_min_ips:\n{graph}");
            }
            let scripted = pattern("(ScriptedClientReusesSession");
            if !scripted.is_empty() {
                assert!(
                    scripted.contains("evil-client") && !scripted.contains("axios"),
                    "{t}: scripted_user_agents:\n{scripted}"
                );
            }
            if t == Target::SentinelKql || t == Target::Sigma {
                for p in [
                    "(SessionFromMultipleNetworks",
                    "(GraphSessionFromMultipleIps",
                    "(ScriptedClientReusesSession",
                    "(KitSignInThenNonInteractive",
                ] {
                    assert!(!pattern(p).is_empty(), "{t}: {p} not written");
                }
            }
            let kit = pattern("(KitSignInThenNonInteractive");
            if !kit.is_empty() {
                assert!(
                    kit.contains("1800") && kit.contains("93"),
                    "{t}: follow_secs, risk_kit:\n{kit}"
                );
            }
        }
        if written.contains(&"WorkloadCredentialAbuse") {
            let b = block("WorkloadCredentialAbuse");
            let eight = match t {
                Target::ElasticEql => "runs=8",
                Target::Sigma => "gte: 8",
                Target::SplunkSpl => ">=8",
                _ => ">= 8",
            };
            assert!(
                b.contains(eight) && b.contains("700027") && !b.contains("7000222"),
                "{t}: min_failures, failure_codes:\n{b}"
            );
            let b = block("WorkloadCredentialFailures");
            let fourteen = match t {
                Target::ElasticEql => "runs=14",
                Target::Sigma => "gte: 14",
                Target::SplunkSpl => ">=14",
                _ => ">= 14",
            };
            assert!(
                b.contains(fourteen) && !b.contains("7000222"),
                "{t}: attempt_min_failures:\n{b}"
            );
        }
        if written.contains(&"OneSourceManyAccounts") {
            let b = block("OneSourceManyAccounts");
            assert!(b.contains("12") && b.contains("40"), "{t}:\n{b}");
        }
        assert_ne!(before, after, "{t}");
    }
}
