//! IBM QRadar AQL over the events of Entra's sign-ins as the Microsoft Azure Platform DSM receives
//! them from an event hub: the normalized `username`, `sourceip` and `starttime`, plus four custom
//! event properties the rule names in its comment, with the JSON expression of each (QRadar writes
//! only what its DSM normalizes; the rest of the record is reached through custom properties).
//!
//! Public rules of the language this follows: IBM's AQL guide ("AQL data aggregation functions":
//! `SELECT username, COUNT(*) FROM events GROUP BY username LAST 5 minutes`, `HAVING`,
//! `UNIQUECOUNT`), and its "Conditional logic in AQL queries" (`CASE ... WHEN ... THEN ... END`).
//! No parser of AQL is published: the rules are checked by golden files and structure.

use crate::{
    Burst, Fatigue, Hosting, IdRisk, Language, Legacy, Log, Ordered, Phishing, Replay,
    ReplayPattern, Spray, Stuffing, Travel, lower, sql_quoted,
};

pub(crate) struct Aql;

/// The custom event properties the rules read, with the JSON expression that extracts each from
/// the diagnostic record (`properties.*`).
const PROPERTIES: &[(&str, &str)] = &[
    ("Result Type", r#"/"properties"/"status"/"errorCode""#),
    ("Application", r#"/"properties"/"appDisplayName""#),
    ("Country", r#"/"properties"/"location"/"countryOrRegion""#),
    (
        "Autonomous System Number",
        r#"/"properties"/"autonomousSystemNumber""#,
    ),
    ("Client App", r#"/"properties"/"clientAppUsed""#),
    (
        "Risk Level During Sign-In",
        r#"/"properties"/"riskLevelDuringSignIn""#,
    ),
    (
        "Risk Level Aggregated",
        r#"/"properties"/"riskLevelAggregated""#,
    ),
    ("Risk State", r#"/"properties"/"riskState""#),
    ("App ID", r#"/"properties"/"appId""#),
    ("Session ID", r#"/"properties"/"sessionId""#),
    (
        "Authentication Protocol",
        r#"/"properties"/"authenticationProtocol""#,
    ),
    ("Resource ID", r#"/"properties"/"resourceId""#),
    ("User Agent", r#"/"properties"/"userAgent""#),
    (
        "Authentication Requirement",
        r#"/"properties"/"authenticationRequirement""#,
    ),
];

fn sql_list(v: &[String]) -> String {
    v.iter()
        .map(|x| sql_quoted(x))
        .collect::<Vec<_>>()
        .join(", ")
}

/// The failure and success tests of Entra sign-ins; an error for the Windows log, which these
/// rules do not cover yet.
fn sign_in_tests(log: &Log) -> Result<(String, String), String> {
    let Log::SignIns {
        excluded,
        correct_password,
        reset_apps,
    } = log
    else {
        return Err(log.not_written(WINDOWS, WORKLOAD));
    };
    let mut fail = "\"Result Type\" <> '0'".to_string();
    let mut ok = "(\"Result Type\" = '0'".to_string();
    if !correct_password.is_empty() {
        fail += &format!(
            " AND NOT (\"Result Type\" IN ({}))",
            sql_list(correct_password)
        );
        ok += &format!(" OR \"Result Type\" IN ({})", sql_list(correct_password));
    }
    ok.push(')');
    if !excluded.is_empty() {
        fail += &format!(" AND NOT (\"Result Type\" IN ({}))", sql_list(excluded));
    }
    if !reset_apps.is_empty() {
        fail += &format!(" AND NOT (\"Application\" IN ({}))", sql_list(reset_apps));
    }
    Ok((fail, ok))
}

/// Why the workload identities' detections have no AQL rule yet.
const WORKLOAD: &str = "not written yet for QRadar: how the Azure DSM names a service principal's or managed identity's sign-in (its category and application id) is not pinned against a public QRadar export";

/// Why the Windows detections have no AQL rule yet.
const WINDOWS: &str = "not written yet for QRadar: the Windows DSM's event ID, logon type and status properties are not pinned against a public QRadar export";

/// The events every rule starts from: the Azure DSM's sign-ins.
const SOURCE: &str =
    "LOGSOURCETYPENAME(devicetype) ILIKE 'Microsoft Azure%' AND username IS NOT NULL";

/// `LAST N MINUTES` for a window (AQL's units stop at seconds only for `START`/`STOP`).
fn last(window: u64, notes: &mut Vec<String>) -> String {
    if !window.is_multiple_of(60) {
        notes.push(format!(
            "Approximated: the window is {window} s; AQL's LAST takes whole minutes ({} here).",
            window.div_ceil(60)
        ));
    }
    format!("LAST {} MINUTES", window.div_ceil(60))
}

fn properties_note(used: &[&str], notes: &mut Vec<String>) {
    let list: Vec<String> = PROPERTIES
        .iter()
        .filter(|(name, _)| used.contains(name))
        .map(|(name, json)| format!("\"{name}\" = {json}"))
        .collect();
    notes.push(format!(
        "Needs these custom event properties (JSON expressions on the sign-in record): {}.",
        list.join(", ")
    ));
}

impl Language for Aql {
    fn stuffing(&self, s: &Stuffing, notes: &mut Vec<String>) -> String {
        properties_note(&["Result Type", "Application", "Country"], notes);
        notes.push(format!(
            "RiskScore is not computed: read it from UniqueIPs: {} above {}, {} above {}, else {}.",
            s.risks.0, s.tiers.0, s.risks.1, s.tiers.1, s.risks.2
        ));
        let mut q = String::from(
            "SELECT username AS UserPrincipalName, 'CredentialStuffing' AS DetectionType,\n  \
             SUM(CASE WHEN \"Result Type\" <> '0' THEN 1 ELSE 0 END) AS FailureCount,\n  \
             SUM(CASE WHEN \"Result Type\" = '0' THEN 1 ELSE 0 END) AS SuccessCount,\n  \
             UNIQUECOUNT(CASE WHEN \"Result Type\" <> '0' THEN sourceip END) AS UniqueIPs,\n  \
             UNIQUECOUNT(\"Application\") AS Apps, UNIQUECOUNT(\"Country\") AS Countries,\n  \
             MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
             FROM events\n",
        );
        q += &format!("WHERE {SOURCE}\n");
        for code in &s.excluded {
            q += &format!("  AND \"Result Type\" <> {}\n", sql_quoted(code));
        }
        q += &format!(
            "GROUP BY username\nHAVING FailureCount >= {} AND SuccessCount >= {}\n{}\n",
            s.min_failures,
            s.min_successes,
            last(s.window, notes)
        );
        q
    }

    fn travel(&self, t: &Travel, notes: &mut Vec<String>) -> String {
        properties_note(&["Result Type", "Application", "Country"], notes);
        format!(
            "SELECT username AS UserPrincipalName, 'ImpossibleTravel' AS DetectionType, {} AS RiskScore,\n  \
             LONG(starttime / {}) AS TimeBin, UNIQUECOUNT(\"Country\") AS UniqueCountries,\n  \
             UNIQUECOUNT(sourceip) AS UniqueIPs, MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
             FROM events\n\
             WHERE {SOURCE}\n  AND \"Result Type\" = '0' AND \"Country\" IS NOT NULL\n\
             GROUP BY username, TimeBin\n\
             HAVING UniqueCountries >= {}\n{}\n",
            t.risk,
            t.bin * 1000,
            t.min_countries,
            last(t.window, notes)
        )
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        properties_note(&["Result Type", "Autonomous System Number"], notes);
        let mut any = Vec::new();
        if !h.asn_numbers.is_empty() {
            let n: Vec<String> = h
                .asn_numbers
                .iter()
                .map(|n| sql_quoted(&n.to_string()))
                .collect();
            any.push(format!(
                "\"Autonomous System Number\" IN ({})",
                n.join(", ")
            ));
        }
        for r in h.ranges(notes) {
            any.push(format!("INCIDR({}, sourceip)", sql_quoted(&r)));
        }
        h.names_note(notes);
        if any.is_empty() {
            any.push("1 = 0".into());
        }
        format!(
            "SELECT username AS UserPrincipalName, 'SuspiciousInfrastructure' AS DetectionType, {} AS RiskScore,\n  \
             COUNT(*) AS SuccessCount, UNIQUECOUNT(sourceip) AS UniqueIPs,\n  \
             MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
             FROM events\n\
             WHERE {SOURCE}\n  AND \"Result Type\" = '0'\n  AND ({})\n\
             GROUP BY username\n{}\n",
            h.risk,
            any.join("\n    OR "),
            last(h.window, notes)
        )
    }

    fn ordered(&self, o: &Ordered, notes: &mut Vec<String>) -> Result<String, String> {
        let (fail, ok) = sign_in_tests(&o.log)?;
        properties_note(&["Result Type", "Application"], notes);
        notes.push(format!(
            "Approximated: failures and a success in the same {} s bin, in any order; RiskScore is not computed: read it from UniqueIPs: {} above {}, {} above {}, else {}.",
            o.window, o.risks.0, o.tiers.0, o.risks.1, o.tiers.1, o.risks.2
        ));
        Ok(format!(
            "SELECT username AS UserPrincipalName, '{det}' AS DetectionType, LONG(starttime / {ms}) AS TimeBin,\n  \
             SUM(CASE WHEN {fail} THEN 1 ELSE 0 END) AS FailureCount,\n  \
             SUM(CASE WHEN {ok} THEN 1 ELSE 0 END) AS SuccessCount,\n  \
             UNIQUECOUNT(CASE WHEN {fail} THEN sourceip END) AS UniqueIPs,\n  \
             MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
             FROM events\n\
             WHERE {SOURCE}\n\
             GROUP BY username, TimeBin\n\
             HAVING FailureCount >= {min} AND SuccessCount >= 1\n{last}\n",
            det = o.detection,
            ms = o.window * 1000,
            min = o.min_failures,
            last = last(o.lookback, notes)
        ))
    }

    fn spray(&self, sp: &Spray, notes: &mut Vec<String>) -> Result<String, String> {
        let (fail, _) = sign_in_tests(&sp.log)?;
        properties_note(&["Result Type", "Application"], notes);
        notes.push(format!(
            "Approximated: bins of {} s aligned to the epoch, where the detector slides its window.",
            sp.window
        ));
        Ok(format!(
            "SELECT sourceip AS SourceIP, '{det}' AS DetectionType, {risk} AS RiskScore, LONG(starttime / {ms}) AS TimeBin,\n  \
             UNIQUECOUNT(username) AS IdentityCount, MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
             FROM events\n\
             WHERE {SOURCE}\n  AND {fail}\n\
             GROUP BY sourceip, TimeBin\n\
             HAVING IdentityCount >= {min}\n{last}\n",
            det = sp.detection,
            risk = sp.risk,
            ms = sp.window * 1000,
            min = sp.min_identities,
            last = last(sp.lookback, notes)
        ))
    }

    fn legacy(&self, l: &Legacy, notes: &mut Vec<String>) -> Result<String, String> {
        properties_note(
            &[
                "Result Type",
                "Client App",
                "User Agent",
                "Authentication Requirement",
            ],
            notes,
        );
        let mut any = Vec::new();
        if !l.client_apps.is_empty() {
            any.push(format!("\"Client App\" IN ({})", sql_list(&l.client_apps)));
        }
        for ua in &l.user_agents {
            any.push(format!(
                "\"User Agent\" ILIKE {}",
                sql_quoted(&format!("%{ua}%"))
            ));
        }
        if any.is_empty() {
            any.push("1 = 0".into());
        }
        let mfa = if l.single_factor_only {
            "  AND NOT (\"Authentication Requirement\" = 'multiFactorAuthentication')\n"
        } else {
            ""
        };
        Ok(format!(
            "SELECT username AS UserPrincipalName, 'LegacyProtocolSuccess' AS DetectionType, {} AS RiskScore,\n  \
             COUNT(*) AS SuccessCount, UNIQUECOUNT(sourceip) AS UniqueIPs,\n  \
             MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
             FROM events\n\
             WHERE {SOURCE}\n  AND \"Result Type\" = '0'\n  AND ({})\n{mfa}\
             GROUP BY username\n{}\n",
            l.risk,
            any.join("\n    OR "),
            last(l.window, notes)
        ))
    }

    fn replay(&self, r: &Replay, notes: &mut Vec<String>) -> Result<String, String> {
        match &r.pattern {
            ReplayPattern::Session { min_networks } => {
                properties_note(
                    &[
                        "Result Type",
                        "Session ID",
                        "Country",
                        "Autonomous System Number",
                    ],
                    notes,
                );
                Ok(format!(
                    "SELECT username AS UserPrincipalName, \"Session ID\" AS SessionId, 'TokenReplay' AS DetectionType,\n  \
                     '{}' AS Pattern, {} AS RiskScore, UNIQUECOUNT(\"Country\") AS Countries,\n  \
                     UNIQUECOUNT(\"Autonomous System Number\") AS ASNs, UNIQUECOUNT(sourceip) AS UniqueIPs,\n  \
                     MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
                     FROM events\n\
                     WHERE {SOURCE}\n  AND \"Result Type\" = '0' AND \"Session ID\" IS NOT NULL\n\
                     GROUP BY username, \"Session ID\"\n\
                     HAVING Countries >= {min_networks} OR ASNs >= {min_networks}\n{}\n",
                    r.name(),
                    r.risk,
                    last(r.window, notes)
                ))
            }
            ReplayPattern::Graph { .. } => Err(r.not(
                "not written yet: an address's /24 or /48 network is not computed in this query",
            )),
            ReplayPattern::Scripted { .. } | ReplayPattern::Kit { .. } => Err(r.not(Replay::PAIRS)),
            ReplayPattern::MfaClaim { .. } => Err(r.not(Replay::HISTORY)),
        }
    }

    fn burst(&self, b: &Burst, notes: &mut Vec<String>) -> Result<String, String> {
        let (fail, _) = sign_in_tests(&b.log)?;
        properties_note(&["Result Type", "Application"], notes);
        b.note(notes);
        notes.push(format!(
            "Approximated: bins of {} s aligned to the epoch, where the detector slides its window.",
            b.window
        ));
        Ok(format!(
            "SELECT username AS UserPrincipalName, 'BruteForceAttempt' AS DetectionType, {risk} AS RiskScore,\n  \
             LONG(starttime / {ms}) AS TimeBin, COUNT(*) AS FailureCount, UNIQUECOUNT(sourceip) AS UniqueIPs,\n  \
             MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
             FROM events\n\
             WHERE {SOURCE}\n  AND {fail}\n\
             GROUP BY username, TimeBin\n\
             HAVING FailureCount >= {min}\n{last}\n",
            risk = b.risk,
            ms = b.window * 1000,
            min = b.min_failures,
            last = last(b.lookback, notes)
        ))
    }

    fn id_risk(&self, r: &IdRisk, notes: &mut Vec<String>) -> Result<String, String> {
        properties_note(
            &[
                "Risk Level During Sign-In",
                "Risk Level Aggregated",
                "Risk State",
            ],
            notes,
        );
        r.note(notes);
        r.types_note(notes);
        notes.push(format!(
            "RiskScore: {} for a high level or a confirmed compromise, else {}.",
            r.risk_high, r.risk_other
        ));
        let mut q = format!(
            "SELECT username AS UserPrincipalName, 'IdentityProtectionRisk' AS DetectionType,\n  \
             COUNT(*) AS Records, UNIQUECOUNT(sourceip) AS UniqueIPs,\n  \
             MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
             FROM events\n\
             WHERE {SOURCE}\n  AND (\"Risk Level During Sign-In\" IN ({levels}) OR \"Risk Level Aggregated\" IN ({levels})\n    \
             OR \"Risk State\" = 'confirmedCompromised')\n",
            levels = sql_list(&r.levels)
        );
        if !r.cleared_states.is_empty() {
            q += &format!(
                "  AND NOT (\"Risk State\" IN ({}))\n",
                sql_list(&r.cleared_states)
            );
        }
        q += &format!("GROUP BY username\n{}\n", last(r.window, notes));
        Ok(q)
    }

    fn fatigue(&self, f: &Fatigue, notes: &mut Vec<String>) -> Result<String, String> {
        properties_note(&["Result Type"], notes);
        notes.push(format!(
            "Approximated: denials and a success in the same {} s bin, in any order.",
            f.window
        ));
        Ok(format!(
            "SELECT username AS UserPrincipalName, 'MfaFatigue' AS DetectionType, {risk} AS RiskScore, LONG(starttime / {ms}) AS TimeBin,\n  \
             SUM(CASE WHEN \"Result Type\" IN ({codes}) THEN 1 ELSE 0 END) AS Denials,\n  \
             SUM(CASE WHEN \"Result Type\" = '0' THEN 1 ELSE 0 END) AS SuccessCount,\n  \
             MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
             FROM events\n\
             WHERE {SOURCE}\n\
             GROUP BY username, TimeBin\n\
             HAVING Denials > {max} AND SuccessCount >= 1\n{last}\n",
            risk = f.risk,
            ms = f.window * 1000,
            codes = sql_list(&f.denial_codes),
            max = f.max_denials,
            last = last(f.lookback, notes)
        ))
    }

    fn phishing(&self, p: &Phishing, notes: &mut Vec<String>) -> Result<String, String> {
        properties_note(
            &[
                "Result Type",
                "App ID",
                "Application",
                "User Agent",
                "Authentication Protocol",
                "Resource ID",
            ],
            notes,
        );
        p.note(notes);
        let mut client = Vec::new();
        if !p.clients.is_empty() {
            client.push(format!(
                "LOWER(\"App ID\") IN ({})",
                sql_list(&lower(&p.clients))
            ));
        }
        if !p.client_names.is_empty() {
            client.push(format!(
                "\"Application\" IN ({})",
                sql_list(&p.client_names)
            ));
        }
        for ua in &p.user_agents {
            client.push(format!(
                "\"User Agent\" ILIKE {}",
                sql_quoted(&format!("%{ua}%"))
            ));
        }
        if client.is_empty() {
            client.push("1 = 0".into());
        }
        let flow = if p.device_code {
            notes.push(format!(
                "RiskScore: {} here; the detector gives the broker's {}.",
                p.risk, p.risk_broker
            ));
            "\"Authentication Protocol\" = 'deviceCode'".to_string()
        } else {
            format!("LOWER(\"Resource ID\") = {}", sql_quoted(crate::GRAPH))
        };
        Ok(format!(
            "SELECT username AS UserPrincipalName, '{}' AS DetectionType, {} AS RiskScore,\n  \
             COUNT(*) AS SuccessCount, UNIQUECOUNT(sourceip) AS UniqueIPs,\n  \
             MIN(starttime) AS FirstSeen, MAX(starttime) AS LastSeen\n\
             FROM events\n\
             WHERE {SOURCE}\n  AND \"Result Type\" = '0' AND {flow}\n  AND ({})\n\
             GROUP BY username\n{}\n",
            p.detection,
            p.risk,
            client.join("\n    OR "),
            last(p.window, notes)
        ))
    }
}
