//! Sigma rules, with Sigma 2's correlations (`event_count`, `value_count`, `temporal`), over the
//! `azure` / `signinlogs` log source: Sentinel's `SigninLogs` field names (`ResultType`,
//! `UserPrincipalName`, `IPAddress`, `Location`, `AutonomousSystemNumber`; and
//! `AutonomousSystemName`, which an ASN enrichment must add), as SigmaHQ's own
//! `rules/cloud/azure/signin_logs/` use them (for example "Login to Disabled Account":
//! `ResultType: 50057`).
//!
//! One detection is one YAML stream: its base rules, then the correlations over them, documents
//! separated by `---` (never a blank line). Rule names are `t1586_...`; correlations refer to them.

use crate::{Hosting, Language, Stuffing, Travel};

pub(crate) struct Sigma;

/// A Sigma `level` for a risk score.
fn level(risk: u32) -> &'static str {
    match risk {
        90.. => "critical",
        70..=89 => "high",
        40..=69 => "medium",
        _ => "low",
    }
}

/// A YAML scalar, single-quoted (quotes doubled).
fn yq(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A rule's `id`: a UUID that depends on its name only (RFC 9562 version 8, the bits from two
/// FNV-1a hashes), so the same rule keeps its id from one run and release to the next.
fn id(name: &str) -> String {
    let fnv = |seed: u64| {
        name.bytes().fold(seed, |h, b| {
            (h ^ u64::from(b)).wrapping_mul(0x0000_0100_0000_01b3)
        })
    };
    let (a, b) = (fnv(0xcbf2_9ce4_8422_2325), fnv(0x6c62_272e_07bb_0142));
    let a = (a & !0xf000) | 0x8000; // version 8
    let b = (b & !(0xc << 60)) | (0x8 << 60); // variant 10
    format!(
        "{:08x}-{:04x}-{:04x}-{:04x}-{:012x}",
        a >> 32,
        (a >> 16) & 0xffff,
        a & 0xffff,
        b >> 48,
        b & 0xffff_ffff_ffff
    )
}

/// The head of a rule: title, name, its id, status.
fn head(title: &str, name: &str) -> String {
    format!(
        "title: {}\nid: {}\nname: {name}\nstatus: experimental\n",
        yq(title),
        id(name)
    )
}

/// The log source and the common head of a base rule.
fn base(title: &str, name: &str, detection: &str) -> String {
    format!(
        "{}logsource:\n  product: azure\n  service: signinlogs\ndetection:\n{detection}",
        head(title, name)
    )
}

/// Each detection as one YAML stream.
impl Language for Sigma {
    fn stuffing(&self, s: &Stuffing, notes: &mut Vec<String>) -> String {
        let Stuffing {
            window,
            min_failures,
            min_successes,
            excluded,
            risks,
            ..
        } = s;
        {
            notes.push(format!(
                "Approximated: one level per rule ({}, risk {}); the detector's risk grows with the number of distinct failure addresses.",
                level(risks.2),
                risks.2
            ));
            let mut not_failures = vec!["0".to_string()];
            not_failures.extend(excluded.iter().cloned());
            let codes: String = not_failures
                .iter()
                .map(|c| format!("\n      - {}", yq(c)))
                .collect();
            let mut out = base(
                "t1586 CredentialStuffing: a failed sign-in",
                "t1586_stuffing_failure",
                &format!("  counted:\n    ResultType:{codes}\n  condition: not counted\n"),
            );
            out += "level: informational\n---\n";
            out += &base(
                "t1586 CredentialStuffing: a successful sign-in",
                "t1586_stuffing_success",
                "  success:\n    ResultType: '0'\n  condition: success\n",
            );
            out += "level: informational\n---\n";
            out += &format!(
                "{}correlation:\n  type: event_count\n  rules:\n    - t1586_stuffing_failure\n  group-by:\n    - UserPrincipalName\n  timespan: {window}s\n  condition:\n    gte: {min_failures}\nlevel: low\n---\n",
                head(
                    "t1586 CredentialStuffing: failures of one identity",
                    "t1586_stuffing_failures"
                )
            );
            let success_rule = if *min_successes > 1 {
                out += &format!(
                    "{}correlation:\n  type: event_count\n  rules:\n    - t1586_stuffing_success\n  group-by:\n    - UserPrincipalName\n  timespan: {window}s\n  condition:\n    gte: {min_successes}\nlevel: low\n---\n",
                    head(
                        "t1586 CredentialStuffing: successes of one identity",
                        "t1586_stuffing_successes"
                    )
                );
                "t1586_stuffing_successes"
            } else {
                "t1586_stuffing_success"
            };
            out += &format!(
                "{}correlation:\n  type: temporal\n  rules:\n    - t1586_stuffing_failures\n    - {success_rule}\n  group-by:\n    - UserPrincipalName\n  timespan: {window}s\n  condition:\n    gte: 2\nlevel: {}\ntags:\n  - attack.t1586\n  - attack.t1110.004\n  - attack.t1078\n",
                head("t1586 CredentialStuffing", "t1586_credential_stuffing"),
                level(risks.2)
            );
            out
        }
    }

    fn travel(&self, t: &Travel, notes: &mut Vec<String>) -> String {
        let Travel {
            bin,
            min_countries,
            risk,
            ..
        } = t;
        {
            notes.push(format!(
                "Approximated: any {bin}s span (the detector's bins are aligned to the epoch, as KQL's bin())."
            ));
            let mut out = base(
                "t1586 ImpossibleTravel: a successful sign-in with a country",
                "t1586_travel_success",
                "  success:\n    ResultType: '0'\n  placed:\n    Location|exists: true\n  condition: success and placed\n",
            );
            out += "level: informational\n---\n";
            out += &format!(
                "{}correlation:\n  type: value_count\n  rules:\n    - t1586_travel_success\n  group-by:\n    - UserPrincipalName\n  timespan: {bin}s\n  condition:\n    field: Location\n    gte: {min_countries}\nlevel: {}\ntags:\n  - attack.t1586\n  - attack.t1078\n",
                head("t1586 ImpossibleTravel", "t1586_impossible_travel"),
                level(*risk)
            );
            out
        }
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        let Hosting {
            asn_names,
            asn_numbers,
            ip_prefixes,
            cidrs,
            risk,
            ..
        } = h;
        {
            let mut sel = String::from("  success:\n    ResultType: '0'\n");
            let mut any = Vec::new();
            if !asn_numbers.is_empty() {
                sel += "  asn:\n    AutonomousSystemNumber:\n";
                for n in asn_numbers {
                    sel += &format!("      - {n}\n");
                }
                any.push("asn");
            }
            if !ip_prefixes.is_empty() {
                sel += "  prefix:\n    IPAddress|startswith:\n";
                for p in ip_prefixes {
                    sel += &format!("      - {}\n", yq(p));
                }
                any.push("prefix");
            }
            if !cidrs.is_empty() {
                sel += "  range:\n    IPAddress|cidr:\n";
                for c in cidrs {
                    sel += &format!("      - {}\n", yq(c));
                }
                any.push("range");
            }
            if !asn_names.is_empty() {
                sel += "  owner:\n    AutonomousSystemName|contains:\n";
                for n in asn_names {
                    sel += &format!("      - {}\n", yq(n));
                }
                any.push("owner");
                notes.push(
                    "AutonomousSystemName is not a SigninLogs column: an ASN enrichment (or a processing pipeline's mapping) must provide the network owner's name.".to_string(),
                );
            }
            let condition = if any.is_empty() {
                // Nothing to match on: a rule that never fires, not one that fires on every success.
                sel += "  nothing:\n    ResultType: 'never'\n";
                "success and nothing".to_string()
            } else {
                format!("success and ({})", any.join(" or "))
            };
            sel += &format!("  condition: {condition}\n");
            let mut out = base("t1586 SuspiciousInfrastructure", "t1586_hosting", &sel);
            out += &format!(
                "level: {}\ntags:\n  - attack.t1586\n  - attack.t1078\n  - attack.t1090\n",
                level(*risk)
            );
            out
        }
    }
}
