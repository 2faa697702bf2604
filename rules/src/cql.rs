//! CrowdStrike Falcon LogScale / Next-Gen SIEM CQL over the Microsoft Entra ID sign-in parser's
//! events (`#Vendor="microsoft" #event.dataset=/entraid\.signin/`): ECS-style `user.name`,
//! `source.ip`, `#event.outcome` and `error.code`, the record's own fields under `Vendor.*`
//! (`Vendor.properties.appDisplayName`, `Vendor.properties.location.countryOrRegion`,
//! `Vendor.properties.autonomousSystemNumber`), and LogScale's `asn()` for the AS owner.
//!
//! Public rules of the language this follows: CrowdStrike's logscale-community-content queries and
//! Next-Gen SIEM templates over Entra ID (`#Vendor="microsoft" #event.dataset=/entraid/ ...
//! | groupBy([user.name], function=[count(source.ip, distinct=true, as=UniqueIPs), ...])`), and
//! LogScale's documented `case {}`, `cidr()`, `asn()` and `:=` assignments.
//! No parser of CQL is published: the rules are checked by golden files and structure.

use crate::{Hosting, Language, Stuffing, Travel, any_of, quoted, quoted_list, span};

pub(crate) struct Cql;

const SOURCE: &str = "#Vendor=\"microsoft\" #event.dataset=/entraid\\.signin/ #repo!=\"xdr*\"\n\
                      | user.name=*\n";

impl Language for Cql {
    fn notes(&self) -> Vec<String> {
        vec![
            "The window is the search's time interval (the detector slides it over event time)."
                .into(),
        ]
    }

    fn stuffing(&self, s: &Stuffing, notes: &mut Vec<String>) -> String {
        notes.push(format!("Time interval: the last {}.", span(s.window)));
        let mut q = String::from(SOURCE);
        if !s.excluded.is_empty() {
            q += &format!(
                "| !in(field=\"error.code\", values=[{}])\n",
                quoted_list(&s.excluded)
            );
        }
        q += &format!(
            "| case {{\n    \
             #event.outcome=\"success\" | _success := 1 | _failure := 0;\n    \
             #event.outcome=\"failure\" | _success := 0 | _failure := 1 | _fail_ip := source.ip;\n    \
             * | _success := 0 | _failure := 0;\n  }}\n\
             | groupBy([user.name], function=[sum(_failure, as=FailureCount), sum(_success, as=SuccessCount),\n    \
             count(_fail_ip, distinct=true, as=UniqueIPs), collect([_fail_ip, Vendor.properties.appDisplayName], limit=100),\n    \
             min(@timestamp, as=FirstSeen), max(@timestamp, as=LastSeen)], limit=max)\n\
             | FailureCount >= {} AND SuccessCount >= {}\n\
             | DetectionType := \"CredentialStuffing\"\n\
             | case {{\n    UniqueIPs > {} | RiskScore := {};\n    UniqueIPs > {} | RiskScore := {};\n    * | RiskScore := {};\n  }}\n",
            s.min_failures, s.min_successes, s.tiers.0, s.risks.0, s.tiers.1, s.risks.1, s.risks.2
        );
        q
    }

    fn travel(&self, t: &Travel, notes: &mut Vec<String>) -> String {
        notes.push(format!("Time interval: the last {}.", span(t.window)));
        let ms = t.bin * 1000;
        format!(
            "{SOURCE}| #event.outcome=\"success\"\n\
             | Vendor.properties.location.countryOrRegion=*\n\
             | TimeBin := @timestamp - (@timestamp % {ms})\n\
             | groupBy([user.name, TimeBin], function=[count(Vendor.properties.location.countryOrRegion, distinct=true, as=UniqueCountries),\n    \
             collect([Vendor.properties.location.countryOrRegion, source.ip], limit=100),\n    \
             min(@timestamp, as=FirstSeen), max(@timestamp, as=LastSeen)], limit=max)\n\
             | UniqueCountries >= {}\n\
             | DetectionType := \"ImpossibleTravel\"\n\
             | RiskScore := {}\n",
            t.min_countries, t.risk
        )
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        notes.push(format!("Time interval: the last {}.", span(h.window)));
        let mut cases = Vec::new();
        if !h.asn_names.is_empty() {
            cases.push(format!(
                "source.ip.org=/{}/i | Network := source.ip.org",
                any_of(&h.asn_names)
            ));
        }
        if !h.asn_numbers.is_empty() {
            let n: Vec<String> = h
                .asn_numbers
                .iter()
                .map(|n| quoted(&n.to_string()))
                .collect();
            cases.push(format!(
                "in(field=\"Vendor.properties.autonomousSystemNumber\", values=[{}]) | Network := Vendor.properties.autonomousSystemNumber",
                n.join(", ")
            ));
            cases.push(format!(
                "in(field=\"source.ip.asn\", values=[{}]) | Network := source.ip.asn",
                n.join(", ")
            ));
        }
        let ranges = h.ranges(notes);
        if !ranges.is_empty() {
            cases.push(format!(
                "cidr(source.ip, subnet=[{}]) | Network := source.ip",
                quoted_list(&ranges)
            ));
        }
        if cases.is_empty() {
            // A case without a matching branch drops the event: nothing configured, nothing flagged.
            cases.push("source.ip=\"t1586: no hosting network configured\"".into());
        }
        format!(
            "{SOURCE}| #event.outcome=\"success\"\n\
             | asn(source.ip)\n\
             | case {{\n    {};\n  }}\n\
             | groupBy([user.name], function=[count(as=SuccessCount), collect([source.ip, Network], limit=100),\n    \
             min(@timestamp, as=FirstSeen), max(@timestamp, as=LastSeen)], limit=max)\n\
             | DetectionType := \"SuspiciousInfrastructure\"\n\
             | RiskScore := {}\n",
            cases.join(";\n    "),
            h.risk
        )
    }
}
