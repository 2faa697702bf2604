//! `t1586 rules`: every target writes every generated detection of both profiles in its own
//! syntax, and the configuration's values reach every target.

use t1586_detector::{Config, Profile};
use t1586_rules::{Target, detections, render, rules};

fn config(json: &str) -> Config {
    Config::from_json(json).expect("a valid configuration")
}

/// Each rule: comment lines in the target's syntax, then a query without blank lines; rules
/// separated by exactly one blank line.
#[test]
fn every_target_writes_every_detection() {
    for profile in [Profile::Seed, Profile::Default] {
        let cfg = Config::for_profile(profile);
        let (dets, _) = detections(&cfg);
        for &t in Target::ALL {
            let rs = rules(&cfg, t);
            assert_eq!(rs.len(), dets.len(), "{t}");
            let text = render(t, &rs);
            let blocks: Vec<&str> = text.trim_end().split("\n\n").collect();
            assert_eq!(blocks.len(), rs.len(), "{t}: one block per rule:\n{text}");
            let mark = match t {
                Target::SentinelKql | Target::ElasticEql | Target::ElasticEsql => "// ",
                Target::SplunkSpl => "```",
                Target::Sigma => "# ",
            };
            for (b, r) in blocks.iter().zip(&rs) {
                let lines: Vec<&str> = b.lines().collect();
                assert!(lines[0].starts_with(mark), "{t}: {b}");
                assert!(lines[0].contains(r.detection), "{t}: {b}");
                let query: Vec<&str> = lines
                    .iter()
                    .copied()
                    .skip_while(|l| l.starts_with(mark))
                    .collect();
                assert!(!query.is_empty(), "{t}: a query after the comments");
                assert!(
                    query
                        .iter()
                        .all(|l| !l.trim().is_empty() && !l.starts_with(mark)),
                    "{t}: {b}"
                );
                if t == Target::SplunkSpl {
                    for l in lines.iter().take_while(|l| l.starts_with(mark)) {
                        assert!(l.ends_with("```") && l.matches("```").count() == 2, "{l}");
                    }
                }
            }
        }
    }
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
        // (what, text in the tuned rules, text in the seed's)
        let mut expect = vec![
            ("min_failures", "7", "5"),
            ("excluded code", "50158", ""),
            ("travel bin", "1800s", "3600s"),
            ("hosting prefix", "203.0.113.", "185.220."),
            ("AS number", "64500", ""),
        ];
        expect.push(("window", "7200s", "86400s"));
        // Every rule's comment names its risk; the languages with a risk column set it.
        expect.push(("travel risk", "risk 77", "risk 85"));
        expect.push(("hosting risk", "risk 66", "risk 80"));
        match t {
            Target::SentinelKql => {
                expect.push(("travel risk column", "RiskScore = 77", ""));
                expect.push(("min_countries", ">= 3", ""));
            }
            Target::SplunkSpl => {
                expect.push(("travel risk column", "RiskScore=77", ""));
                expect.push(("min_countries", ">=3", ""));
            }
            Target::ElasticEsql => {
                expect.push(("travel risk column", "RiskScore = 77", ""));
                expect.push(("min_countries", ">= 3", ""));
            }
            Target::Sigma => expect.push(("min_countries", "gte: 3", "")),
            Target::ElasticEql => {}
        }
        for (what, new, old) in expect {
            // ES|QL writes durations as `N seconds`.
            let esql_secs = |x: &str| match x.strip_suffix('s') {
                Some(n) if t == Target::ElasticEsql && n.parse::<u64>().is_ok() => {
                    format!("{n} seconds")
                }
                _ => x.to_string(),
            };
            let (new, old) = (esql_secs(new), esql_secs(old));
            let (new, old) = (new.as_str(), old.as_str());
            let new = if matches!(t, Target::ElasticEql | Target::ElasticEsql)
                && what == "hosting prefix"
            {
                "203.0.113.0/24"
            } else {
                new
            };
            assert!(after.contains(new), "{t}: {what} {new:?} missing:\n{after}");
            if !old.is_empty() {
                assert!(
                    !after.contains(old) || what == "min_failures",
                    "{t}: {what} still {old:?}"
                );
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
    assert!(missing.contains(&"password_spray"), "{missing:?}");
    assert!(!missing.contains(&"hosting"));
}

#[test]
fn targets_by_name() {
    for &t in Target::ALL {
        assert_eq!(t.name().parse::<Target>().unwrap(), t);
    }
    let e = "qradar".parse::<Target>().unwrap_err().to_string();
    assert!(e.contains("sentinel-kql") && e.contains("sigma"), "{e}");
}
