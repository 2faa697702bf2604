//! Microsoft Sentinel KQL over `SigninLogs` (the Log Analytics table of Entra's interactive
//! sign-ins; `AADNonInteractiveUserSignInLogs` has the same columns).
//!
//! Columns: `TimeGenerated`, `UserPrincipalName`, `ResultType` (a string), `IPAddress`,
//! `AppDisplayName`, `LocationDetails.countryOrRegion`, `AutonomousSystemNumber`.
//! Public rules of the language this follows: Azure-Sentinel `Detections/SigninLogs/` (e.g.
//! "Brute force attack against Azure Portal", `SigninLogs | where ResultType in (...) | summarize
//! ... by UserPrincipalName`) and the public T1586 page's KQL the seed profile reproduces.

use crate::{Detection, quoted, quoted_list};

/// The query for one detection, and what KQL cannot say of it.
pub(crate) fn rule(d: &Detection) -> (String, Vec<String>) {
    let mut notes = vec![
        "The window ends when the query runs (ago()); the detector slides it over event time."
            .to_string(),
    ];
    let q = match d {
        Detection::CredentialStuffing {
            window,
            min_failures,
            min_successes,
            excluded,
            tiers,
            risks,
        } => {
            let mut q = format!("SigninLogs\n| where TimeGenerated > ago({window}s)\n");
            if !excluded.is_empty() {
                q += &format!("| where ResultType !in ({})\n", quoted_list(excluded));
            }
            q += &format!(
                "| summarize FailureCount = countif(ResultType != \"0\"), SuccessCount = countif(ResultType == \"0\"),\n    \
                 IPList = make_set_if(IPAddress, ResultType != \"0\"), Apps = make_set(AppDisplayName),\n    \
                 Countries = make_set(tostring(LocationDetails.countryOrRegion)),\n    \
                 FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by UserPrincipalName\n\
                 | extend UniqueIPs = array_length(IPList)\n\
                 | where FailureCount >= {min_failures} and SuccessCount >= {min_successes}\n\
                 | extend DetectionType = \"CredentialStuffing\",\n    \
                 RiskScore = iff(UniqueIPs > {}, {}, iff(UniqueIPs > {}, {}, {}))\n",
                tiers.0, risks.0, tiers.1, risks.1, risks.2
            );
            q
        }
        Detection::ImpossibleTravel {
            window,
            bin,
            min_countries,
            risk,
        } => format!(
            "SigninLogs\n| where TimeGenerated > ago({window}s)\n| where ResultType == \"0\"\n\
             | extend Country = tostring(LocationDetails.countryOrRegion)\n\
             | where isnotempty(Country)\n\
             | summarize Countries = make_set(Country), IPList = make_set(IPAddress), Apps = make_set(AppDisplayName),\n    \
             FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated)\n    \
             by UserPrincipalName, Bin = bin(TimeGenerated, {bin}s)\n\
             | where array_length(Countries) >= {min_countries}\n\
             | extend DetectionType = \"ImpossibleTravel\", RiskScore = {risk}\n"
        ),
        Detection::Hosting {
            window,
            asn_names,
            asn_numbers,
            ip_prefixes,
            cidrs,
            risk,
        } => {
            let mut any = Vec::new();
            if !asn_numbers.is_empty() {
                let n: Vec<String> = asn_numbers.iter().map(u32::to_string).collect();
                any.push(format!("AutonomousSystemNumber in ({})", n.join(", ")));
            }
            for p in ip_prefixes {
                any.push(format!("IPAddress startswith {}", quoted(p)));
            }
            let (v6, v4): (Vec<String>, Vec<String>) =
                cidrs.iter().cloned().partition(|c| c.contains(':'));
            if !v4.is_empty() {
                any.push(format!(
                    "ipv4_is_in_any_range(IPAddress, dynamic([{}]))",
                    quoted_list(&v4)
                ));
            }
            if !v6.is_empty() {
                any.push(format!(
                    "ipv6_is_in_any_range(IPAddress, dynamic([{}]))",
                    quoted_list(&v6)
                ));
            }
            if !asn_names.is_empty() {
                notes.push(format!(
                    "Not expressible: SigninLogs has the AS number, not its owner's name ({}): list those networks by number in hosting.asn_numbers.",
                    asn_names.join(", ")
                ));
            }
            if any.is_empty() {
                // Nothing this table can match on: a query that says so rather than one that
                // matches every success.
                any.push("false".into());
            }
            format!(
                "SigninLogs\n| where TimeGenerated > ago({window}s)\n| where ResultType == \"0\"\n\
                 | where {}\n\
                 | summarize SuccessCount = count(), IPList = make_set(IPAddress), Apps = make_set(AppDisplayName),\n    \
                 Countries = make_set(tostring(LocationDetails.countryOrRegion)),\n    \
                 FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by UserPrincipalName\n\
                 | extend DetectionType = \"SuspiciousInfrastructure\", RiskScore = {risk}\n",
                any.join("\n    or ")
            )
        }
    };
    (q, notes)
}
