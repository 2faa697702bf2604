//! Sumo Logic's search language over Entra's sign-in records as the Azure event hub source
//! delivers them (one diagnostic record per message, the sign-in under `properties`), parsed with
//! `json` and counted with `sum`, `count_distinct`, `min`/`max` of `_messagetime`.
//!
//! Field names: `properties.userPrincipalName`, `properties.status.errorCode`,
//! `properties.ipAddress`, `properties.appDisplayName`, `properties.location.countryOrRegion`;
//! the AS owner from Sumo's own ASN lookup (`lookup asn, organization from asn://default`).
//! Public rules of the language this follows: the "Azure Active Directory" app's searches
//! (`| json "properties.userPrincipalName" ... | where ... | count by ...`) and Sumo's
//! documentation of `timeslice`, `count_distinct` and `lookup ... asn://default`.
//! No parser of the language is published: the rules are checked by golden files and structure.

use crate::{Hosting, Language, Stuffing, Travel, any_of, quoted, quoted_list, span};

pub(crate) struct Sumo;

/// The scope and the parse every query starts from.
fn base(extra: &[(&str, &str)]) -> String {
    let mut fields = vec![
        ("properties.userPrincipalName", "user"),
        ("properties.status.errorCode", "code"),
        ("properties.ipAddress", "ip"),
    ];
    fields.extend_from_slice(extra);
    let paths: Vec<String> = fields.iter().map(|(p, _)| quoted(p)).collect();
    let names: Vec<&str> = fields.iter().map(|(_, n)| *n).collect();
    format!(
        "_sourceCategory=azure/signinlogs\n\
         | json field=_raw {} as {} nodrop\n\
         | where !isBlank(user)\n",
        paths.join(", "),
        names.join(", ")
    )
}

impl Language for Sumo {
    fn notes(&self) -> Vec<String> {
        vec![
            "Set _sourceCategory to your Entra sign-in source. The window is the search's time range (the detector slides it over event time).".into(),
        ]
    }

    fn stuffing(&self, s: &Stuffing, notes: &mut Vec<String>) -> String {
        notes.push(format!("Time range: the last {} s.", s.window));
        let mut q = base(&[("properties.appDisplayName", "app")]);
        if !s.excluded.is_empty() {
            q += &format!("| where !(code in ({}))\n", quoted_list(&s.excluded));
        }
        q += &format!(
            "| if(code = \"0\", 1, 0) as success\n\
             | if(code != \"0\", 1, 0) as failure\n\
             | if(code != \"0\", ip, \"-\") as fail_ip\n\
             | sum(failure) as FailureCount, sum(success) as SuccessCount, count_distinct(fail_ip) as ips,\n  \
             count_distinct(app) as Apps, min(_messagetime) as FirstSeen, max(_messagetime) as LastSeen by user\n\
             | where FailureCount >= {} and SuccessCount >= {}\n\
             | if(SuccessCount > 0, ips - 1, ips) as UniqueIPs\n\
             | \"CredentialStuffing\" as DetectionType\n\
             | if(UniqueIPs > {}, {}, if(UniqueIPs > {}, {}, {})) as RiskScore\n",
            s.min_failures, s.min_successes, s.tiers.0, s.risks.0, s.tiers.1, s.risks.1, s.risks.2
        );
        q
    }

    fn travel(&self, t: &Travel, notes: &mut Vec<String>) -> String {
        notes.push(format!(
            "Time range: the last {} s. timeslice bins are aligned to the search's time zone: use UTC, as the detector does.",
            t.window
        ));
        format!(
            "{}| where code = \"0\" and !isBlank(country)\n\
             | timeslice {}\n\
             | count_distinct(country) as UniqueCountries, count_distinct(ip) as UniqueIPs,\n  \
             min(_messagetime) as FirstSeen, max(_messagetime) as LastSeen by user, _timeslice\n\
             | where UniqueCountries >= {}\n\
             | \"ImpossibleTravel\" as DetectionType\n\
             | {} as RiskScore\n",
            base(&[("properties.location.countryOrRegion", "country")]),
            span(t.bin),
            t.min_countries,
            t.risk
        )
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        notes.push(format!("Time range: the last {} s.", h.window));
        let mut any = Vec::new();
        if !h.asn_names.is_empty() {
            any.push(format!(
                "organization matches /(?i).*({}).*/",
                any_of(&h.asn_names)
            ));
        }
        if !h.asn_numbers.is_empty() {
            let n: Vec<String> = h
                .asn_numbers
                .iter()
                .map(|n| quoted(&n.to_string()))
                .collect();
            any.push(format!("asn in ({})", n.join(", ")));
        }
        for p in &h.ip_prefixes {
            any.push(format!("ip matches {}", quoted(&format!("{p}*"))));
        }
        for c in &h.cidrs {
            match c.split_once('/') {
                Some((addr, len)) if !addr.contains(':') => any.push(format!(
                    "compareCIDRPrefix({}, ip, toInt({len}))",
                    quoted(addr)
                )),
                _ => notes.push(format!(
                    "Not expressible: the IPv6 range {c} (Sumo compares IPv4 CIDR prefixes)."
                )),
            }
        }
        if any.is_empty() {
            any.push("false".into());
        }
        format!(
            "{}| where code = \"0\"\n\
             | lookup asn, organization from asn://default on ip = ip\n\
             | where {}\n\
             | count as SuccessCount, count_distinct(ip) as UniqueIPs, min(_messagetime) as FirstSeen,\n  \
             max(_messagetime) as LastSeen by user\n\
             | \"SuspiciousInfrastructure\" as DetectionType\n\
             | {} as RiskScore\n",
            base(&[]),
            any.join("\n  or "),
            h.risk
        )
    }
}
