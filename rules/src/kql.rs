//! Microsoft Sentinel KQL over `SigninLogs` (the Log Analytics table of Entra's interactive
//! sign-ins; `AADNonInteractiveUserSignInLogs` has the same columns).
//!
//! Columns: `TimeGenerated`, `UserPrincipalName`, `ResultType` (a string), `IPAddress`,
//! `AppDisplayName`, `LocationDetails.countryOrRegion`, `AutonomousSystemNumber`.
//! Public rules of the language this follows: Azure-Sentinel `Detections/SigninLogs/` (e.g.
//! "Brute force attack against Azure Portal", `SigninLogs | where ResultType in (...) | summarize
//! ... by UserPrincipalName`) and the public T1586 page's KQL the seed profile reproduces.

use crate::{Hosting, Language, Stuffing, Travel, quoted, quoted_list};

pub(crate) struct Kql;

impl Language for Kql {
    fn notes(&self) -> Vec<String> {
        vec![
            "The window ends when the query runs (ago()); the detector slides it over event time."
                .into(),
        ]
    }

    fn stuffing(&self, s: &Stuffing, _: &mut Vec<String>) -> String {
        let mut q = format!("SigninLogs\n| where TimeGenerated > ago({}s)\n", s.window);
        if !s.excluded.is_empty() {
            q += &format!("| where ResultType !in ({})\n", quoted_list(&s.excluded));
        }
        q += &format!(
            "| summarize FailureCount = countif(ResultType != \"0\"), SuccessCount = countif(ResultType == \"0\"),\n    \
             IPList = make_set_if(IPAddress, ResultType != \"0\"), Apps = make_set(AppDisplayName),\n    \
             Countries = make_set(tostring(LocationDetails.countryOrRegion)),\n    \
             FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by UserPrincipalName\n\
             | extend UniqueIPs = array_length(IPList)\n\
             | where FailureCount >= {} and SuccessCount >= {}\n\
             | extend DetectionType = \"CredentialStuffing\",\n    \
             RiskScore = iff(UniqueIPs > {}, {}, iff(UniqueIPs > {}, {}, {}))\n",
            s.min_failures, s.min_successes, s.tiers.0, s.risks.0, s.tiers.1, s.risks.1, s.risks.2
        );
        q
    }

    fn travel(&self, t: &Travel, _: &mut Vec<String>) -> String {
        format!(
            "SigninLogs\n| where TimeGenerated > ago({}s)\n| where ResultType == \"0\"\n\
             | extend Country = tostring(LocationDetails.countryOrRegion)\n\
             | where isnotempty(Country)\n\
             | summarize Countries = make_set(Country), IPList = make_set(IPAddress), Apps = make_set(AppDisplayName),\n    \
             FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated)\n    \
             by UserPrincipalName, Bin = bin(TimeGenerated, {}s)\n\
             | where array_length(Countries) >= {}\n\
             | extend DetectionType = \"ImpossibleTravel\", RiskScore = {}\n",
            t.window, t.bin, t.min_countries, t.risk
        )
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        let mut any = Vec::new();
        if !h.asn_numbers.is_empty() {
            any.push(format!("AutonomousSystemNumber in ({})", h.numbers()));
        }
        for p in &h.ip_prefixes {
            any.push(format!("IPAddress startswith {}", quoted(p)));
        }
        let (v6, v4): (Vec<String>, Vec<String>) =
            h.cidrs.iter().cloned().partition(|c| c.contains(':'));
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
        h.names_note(notes);
        if any.is_empty() {
            // Nothing this table can match on: a query that says so rather than one that
            // matches every success.
            any.push("false".into());
        }
        format!(
            "SigninLogs\n| where TimeGenerated > ago({}s)\n| where ResultType == \"0\"\n\
             | where {}\n\
             | summarize SuccessCount = count(), IPList = make_set(IPAddress), Apps = make_set(AppDisplayName),\n    \
             Countries = make_set(tostring(LocationDetails.countryOrRegion)),\n    \
             FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by UserPrincipalName\n\
             | extend DetectionType = \"SuspiciousInfrastructure\", RiskScore = {}\n",
            h.window,
            any.join("\n    or "),
            h.risk
        )
    }
}
