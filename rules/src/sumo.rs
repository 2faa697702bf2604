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

use crate::{
    Burst, Fatigue, Hosting, IdRisk, Language, Legacy, Log, Ordered, Phishing, Replay,
    ReplayPattern, Spray, Stuffing, Travel, Velocity, any_of, quoted, quoted_list, span,
};

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
        if !h.ips.is_empty() {
            any.push(format!("ip in ({})", quoted_list(&h.ips)));
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

    fn ordered(&self, o: &Ordered, notes: &mut Vec<String>) -> Result<String, String> {
        let (fail, ok) = sign_in_tests(&o.log)?;
        notes.push(format!(
            "Time range: the last {} s. Approximated: failures and a success in the same {} timeslice, in any order.",
            o.lookback,
            span(o.window)
        ));
        Ok(format!(
            "{}| if({fail}, 1, 0) as failure\n\
             | if({ok}, 1, 0) as success\n\
             | where failure = 1 or success = 1\n\
             | if(failure = 1, ip, \"-\") as fail_ip\n\
             | timeslice {}\n\
             | sum(failure) as FailureCount, sum(success) as SuccessCount, count_distinct(fail_ip) as ips,\n  \
             min(_messagetime) as FirstSeen, max(_messagetime) as LastSeen by user, _timeslice\n\
             | where FailureCount >= {} and SuccessCount >= 1\n\
             | ips - 1 as UniqueIPs\n\
             | \"{}\" as DetectionType\n\
             | if(UniqueIPs > {}, {}, if(UniqueIPs > {}, {}, {})) as RiskScore\n",
            base(&[("properties.appDisplayName", "app")]),
            span(o.window),
            o.min_failures,
            o.detection,
            o.tiers.0,
            o.risks.0,
            o.tiers.1,
            o.risks.1,
            o.risks.2
        ))
    }

    fn spray(&self, sp: &Spray, notes: &mut Vec<String>) -> Result<String, String> {
        let (fail, _) = sign_in_tests(&sp.log)?;
        notes.push(format!(
            "Time range: the last {} s. Approximated: timeslices of {}, where the detector slides its window.",
            sp.lookback,
            span(sp.window)
        ));
        Ok(format!(
            "{}| where {fail}\n\
             | timeslice {}\n\
             | count_distinct(user) as IdentityCount, min(_messagetime) as FirstSeen, max(_messagetime) as LastSeen by ip, _timeslice\n\
             | where IdentityCount >= {}\n\
             | \"{}\" as DetectionType\n\
             | {} as RiskScore\n",
            base(&[("properties.appDisplayName", "app")]),
            span(sp.window),
            sp.min_identities,
            sp.detection,
            sp.risk
        ))
    }

    fn legacy(&self, l: &Legacy, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!("Time range: the last {} s.", l.window));
        let mut any = Vec::new();
        if !l.client_apps.is_empty() {
            any.push(format!("client in ({})", quoted_list(&l.client_apps)));
        }
        for ua in &l.user_agents {
            any.push(format!("agent matches {}", quoted(&format!("*{ua}*"))));
        }
        if any.is_empty() {
            any.push("false".into());
        }
        let mfa = if l.single_factor_only {
            "| where requirement != \"multiFactorAuthentication\"\n"
        } else {
            ""
        };
        Ok(format!(
            "{}| where code = \"0\"\n\
             | where {}\n{mfa}\
             | count as SuccessCount, count_distinct(ip) as UniqueIPs, min(_messagetime) as FirstSeen,\n  \
             max(_messagetime) as LastSeen by user\n\
             | \"LegacyProtocolSuccess\" as DetectionType\n\
             | {} as RiskScore\n",
            base(&[
                ("properties.clientAppUsed", "client"),
                ("properties.userAgent", "agent"),
                ("properties.authenticationRequirement", "requirement"),
            ]),
            any.join("\n  or "),
            l.risk
        ))
    }

    fn replay(&self, r: &Replay, notes: &mut Vec<String>) -> Result<String, String> {
        match &r.pattern {
            ReplayPattern::Session { min_networks } => {
                notes.push(format!("Time range: the last {} s.", r.window));
                Ok(format!(
                    "{}| where code = \"0\" and !isBlank(session)\n\
                     | count_distinct(country) as Countries, count_distinct(asn) as ASNs,\n  \
                     min(_messagetime) as FirstSeen, max(_messagetime) as LastSeen by session, user\n\
                     | where Countries >= {min_networks} or ASNs >= {min_networks}\n\
                     | \"TokenReplay\" as DetectionType\n\
                     | \"{}\" as Pattern\n\
                     | {} as RiskScore\n",
                    base(&[
                        ("properties.sessionId", "session"),
                        ("properties.location.countryOrRegion", "country"),
                        ("properties.autonomousSystemNumber", "asn"),
                    ]),
                    r.name(),
                    r.risk
                ))
            }
            ReplayPattern::Graph { .. } => Err(r.not(
                "not written yet: an address's /24 or /48 network is not computed in this search",
            )),
            ReplayPattern::Scripted { .. } | ReplayPattern::Kit { .. } => Err(r.not(Replay::PAIRS)),
            ReplayPattern::MfaClaim { .. } => Err(r.not(Replay::HISTORY)),
        }
    }

    fn burst(&self, b: &Burst, notes: &mut Vec<String>) -> Result<String, String> {
        let (fail, _) = sign_in_tests(&b.log)?;
        b.note(notes);
        notes.push(format!(
            "Time range: the last {} s. Approximated: timeslices of {}, where the detector slides its window.",
            b.lookback,
            span(b.window)
        ));
        Ok(format!(
            "{}| where {fail}\n\
             | timeslice {}\n\
             | count as FailureCount, count_distinct(ip) as UniqueIPs, min(_messagetime) as FirstSeen,\n  \
             max(_messagetime) as LastSeen by user, _timeslice\n\
             | where FailureCount >= {}\n\
             | \"BruteForceAttempt\" as DetectionType\n\
             | {} as RiskScore\n",
            base(&[("properties.appDisplayName", "app")]),
            span(b.window),
            b.min_failures,
            b.risk
        ))
    }

    fn id_risk(&self, r: &IdRisk, notes: &mut Vec<String>) -> Result<String, String> {
        r.note(notes);
        r.types_note(notes);
        notes.push(format!("Time range: the last {} s.", r.window));
        let mut q = format!(
            "{}| if(during = \"high\" or aggregated = \"high\", \"high\", if(during = \"medium\" or aggregated = \"medium\", \"medium\", if(during = \"low\" or aggregated = \"low\", \"low\", \"none\"))) as level\n",
            base(&[
                ("properties.riskLevelDuringSignIn", "during"),
                ("properties.riskLevelAggregated", "aggregated"),
                ("properties.riskState", "state"),
            ])
        );
        if !r.cleared_states.is_empty() {
            q += &format!("| where !(state in ({}))\n", quoted_list(&r.cleared_states));
        }
        q += &format!(
            "| where level in ({}) or state = \"confirmedCompromised\"\n\
             | if(level = \"high\" or state = \"confirmedCompromised\", {}, if(level = \"medium\", {}, {})) as risk\n\
             | max(risk) as RiskScore, count_distinct(ip) as UniqueIPs, min(_messagetime) as FirstSeen, max(_messagetime) as LastSeen by user\n\
             | \"IdentityProtectionRisk\" as DetectionType\n",
            quoted_list(&r.levels),
            r.risk_high,
            r.risk_other,
            r.risk_low
        );
        Ok(q)
    }

    fn fatigue(&self, f: &Fatigue, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Time range: the last {} s. Approximated: denials and a success in the same {} timeslice, in any order.",
            f.lookback,
            span(f.window)
        ));
        Ok(format!(
            "{}| if(code in ({}), 1, 0) as denial\n\
             | if(code = \"0\", 1, 0) as success\n\
             | where denial = 1 or success = 1\n\
             | timeslice {}\n\
             | sum(denial) as Denials, sum(success) as SuccessCount, min(_messagetime) as FirstSeen, max(_messagetime) as LastSeen by user, _timeslice\n\
             | where Denials > {} and SuccessCount >= 1\n\
             | \"MfaFatigue\" as DetectionType\n\
             | {} as RiskScore\n",
            base(&[]),
            quoted_list(&f.denial_codes),
            span(f.window),
            f.max_denials,
            f.risk
        ))
    }

    fn phishing(&self, p: &Phishing, notes: &mut Vec<String>) -> Result<String, String> {
        p.note(notes);
        notes.push(format!("Time range: the last {} s.", p.window));
        let mut client = Vec::new();
        if !p.clients.is_empty() {
            client.push(format!(
                "toLowerCase(appid) in ({})",
                quoted_list(
                    &p.clients
                        .iter()
                        .map(|c| c.to_lowercase())
                        .collect::<Vec<_>>()
                )
            ));
        }
        if !p.client_names.is_empty() {
            client.push(format!("app in ({})", quoted_list(&p.client_names)));
        }
        for ua in &p.user_agents {
            client.push(format!("agent matches {}", quoted(&format!("*{ua}*"))));
        }
        if client.is_empty() {
            client.push("false".into());
        }
        let (flow, risk) = if p.device_code {
            let broker = p.broker.as_deref().unwrap_or_default().to_lowercase();
            (
                "protocol = \"deviceCode\"".to_string(),
                format!(
                    "if(toLowerCase(appid) = {} or app = \"Microsoft Authentication Broker\", {}, {})",
                    quoted(&broker),
                    p.risk_broker,
                    p.risk
                ),
            )
        } else {
            (
                format!(
                    "(toLowerCase(resource) = {} or resourcename = \"Microsoft Graph\")",
                    quoted(crate::GRAPH)
                ),
                p.risk.to_string(),
            )
        };
        Ok(format!(
            "{}| where code = \"0\" and {flow}\n\
             | where {}\n\
             | {risk} as risk\n\
             | max(risk) as RiskScore, count_distinct(ip) as UniqueIPs, min(_messagetime) as FirstSeen, max(_messagetime) as LastSeen by user\n\
             | \"{}\" as DetectionType\n",
            base(&[
                ("properties.appId", "appid"),
                ("properties.appDisplayName", "app"),
                ("properties.userAgent", "agent"),
                ("properties.authenticationProtocol", "protocol"),
                ("properties.resourceId", "resource"),
                ("properties.resourceDisplayName", "resourcename"),
            ]),
            client.join("\n  or "),
            p.detection
        ))
    }

    fn velocity(&self, v: &Velocity, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!("Time range: the last {} s.", v.lookback));
        let interactive = if v.interactive_only {
            "| where interactive = \"true\"\n"
        } else {
            ""
        };
        Ok(format!(
            "{}| where code = \"0\"\n{interactive}\
             | where !isBlank(lat) and !isBlank(lon)\n\
             | sort by user asc, _messagetime asc\n\
             | backshift lat by user as plat\n\
             | backshift lon by user as plon\n\
             | backshift _messagetime by user as ptime\n\
             | where !isNull(plat)\n\
             | haversine(plat, plon, lat, lon) as km\n\
             | (_messagetime - ptime) / 3600000 as hours\n\
             | where km >= {:?} and (hours <= 0 or (km - 2 * {:?}) / hours > {:?})\n\
             | count as Legs, min(ptime) as FirstSeen, max(_messagetime) as LastSeen by user\n\
             | \"ImpossibleTravel\" as DetectionType\n\
             | {} as RiskScore\n",
            base(&[
                ("properties.location.geoCoordinates.latitude", "lat"),
                ("properties.location.geoCoordinates.longitude", "lon"),
                ("properties.isInteractive", "interactive"),
            ]),
            v.min_km,
            v.pad_km,
            v.max_kmh,
            v.risk
        ))
    }
}

/// The failure and success tests of Entra sign-ins over the parsed `code` and `app`.
fn sign_in_tests(log: &Log) -> Result<(String, String), String> {
    let Log::SignIns {
        excluded,
        correct_password,
        reset_apps,
    } = log
    else {
        return Err(log.not_written(
            "not written yet for Sumo Logic: the Windows JSON fields of its collectors are not pinned against a public Sumo export",
            "not written yet for Sumo Logic: the rules read user sign-ins (properties.userPrincipalName); the workload identities' records are not pinned against a public Sumo export",
        ));
    };
    let mut fail = "code != \"0\"".to_string();
    let mut ok = "code = \"0\"".to_string();
    if !correct_password.is_empty() {
        fail += &format!(" and !(code in ({}))", quoted_list(correct_password));
        ok += &format!(" or code in ({})", quoted_list(correct_password));
    }
    if !excluded.is_empty() {
        fail += &format!(" and !(code in ({}))", quoted_list(excluded));
    }
    if !reset_apps.is_empty() {
        fail += &format!(" and !(app in ({}))", quoted_list(reset_apps));
    }
    Ok((fail, ok))
}
