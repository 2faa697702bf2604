//! IBM QRadar AQL over the events of Entra's sign-ins as the Microsoft Azure Platform DSM receives
//! them from an event hub: the normalized `username`, `sourceip` and `starttime`, plus four custom
//! event properties the rule names in its comment, with the JSON expression of each (QRadar writes
//! only what its DSM normalizes; the rest of the record is reached through custom properties).
//!
//! Public rules of the language this follows: IBM's AQL guide ("AQL data aggregation functions":
//! `SELECT username, COUNT(*) FROM events GROUP BY username LAST 5 minutes`, `HAVING`,
//! `UNIQUECOUNT`), and its "Conditional logic in AQL queries" (`CASE ... WHEN ... THEN ... END`).
//! No parser of AQL is published: the rules are checked by golden files and structure.

use crate::{Hosting, Language, Stuffing, Travel, sql_quoted};

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
];

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
}
