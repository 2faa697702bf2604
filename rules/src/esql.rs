//! Elastic ES|QL over the Azure integration's sign-in documents (`logs-azure.signinlogs-*`): ECS
//! fields (`@timestamp`, `source.ip`, `source.as.*`, `geo.country_iso_code`: Entra's own place) and
//! the sign-in's under `azure.signinlogs.*`. Unlike EQL, ES|QL aggregates (`STATS ... BY`), so the
//! counts, distinct countries and risk tiers are written as the detector computes them.
//!
//! Public rules of the language this follows: Elastic's detection-rules `rules/integrations/azure/`
//! ES|QL rules (for example "Entra ID User Sign-in with Unusual Client" and the
//! "... Brute Force ..." ones: `FROM logs-azure.signinlogs-* | WHERE ... | STATS ... BY ...`).

use crate::{Detection, quoted, quoted_list};

const FROM: &str = "FROM logs-azure.signinlogs-*";
const USER: &str = "azure.signinlogs.properties.user_principal_name";
const CODE: &str = "azure.signinlogs.result_type";

/// The query for one detection, and what ES|QL cannot say of it.
pub(crate) fn rule(d: &Detection) -> (String, Vec<String>) {
    let mut notes = vec![
        "The window ends when the query runs (NOW()); the detector slides it over event time."
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
            let mut q = format!("{FROM}\n| WHERE @timestamp > NOW() - {window} seconds\n");
            if !excluded.is_empty() {
                q += &format!("| WHERE {CODE} NOT IN ({})\n", quoted_list(excluded));
            }
            notes.push("COUNT_DISTINCT is exact up to 3,000 addresses per identity.".into());
            q += &format!(
                "| EVAL failure = CASE({CODE} != \"0\", 1, 0), success = CASE({CODE} == \"0\", 1, 0),\n    \
                 fail_ip = CASE({CODE} != \"0\", source.ip, null)\n\
                 | STATS FailureCount = SUM(failure), SuccessCount = SUM(success), UniqueIPs = COUNT_DISTINCT(fail_ip),\n    \
                 IPList = VALUES(fail_ip), FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp) BY {USER}\n\
                 | WHERE FailureCount >= {min_failures} AND SuccessCount >= {min_successes}\n\
                 | EVAL DetectionType = \"CredentialStuffing\",\n    \
                 RiskScore = CASE(UniqueIPs > {}, {}, UniqueIPs > {}, {}, {})\n",
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
            "{FROM}\n| WHERE @timestamp > NOW() - {window} seconds AND {CODE} == \"0\" AND geo.country_iso_code IS NOT NULL\n\
             | EVAL Bin = DATE_TRUNC({bin} seconds, @timestamp)\n\
             | STATS UniqueCountries = COUNT_DISTINCT(geo.country_iso_code), Countries = VALUES(geo.country_iso_code),\n    \
             IPList = VALUES(source.ip), FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp) BY {USER}, Bin\n\
             | WHERE UniqueCountries >= {min_countries}\n\
             | EVAL DetectionType = \"ImpossibleTravel\", RiskScore = {risk}\n"
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
            for n in asn_names {
                // LIKE is case-sensitive: both sides lower-cased; `*` and `?` are its wildcards.
                let pat = n.to_lowercase().replace('*', "\\\\*").replace('?', "\\\\?");
                any.push(format!(
                    "TO_LOWER(source.as.organization.name) LIKE {}",
                    quoted(&format!("*{pat}*"))
                ));
            }
            if !asn_numbers.is_empty() {
                let n: Vec<String> = asn_numbers.iter().map(u32::to_string).collect();
                any.push(format!("source.as.number IN ({})", n.join(", ")));
            }
            let mut ranges: Vec<String> = cidrs.clone();
            for p in ip_prefixes {
                match crate::prefix_cidr(p) {
                    Some(c) => ranges.push(c),
                    None => notes.push(format!(
                        "Not expressible: the address prefix {p:?} is not whole IPv4 octets (source.ip is an address)."
                    )),
                }
            }
            if !ranges.is_empty() {
                any.push(format!("CIDR_MATCH(source.ip, {})", quoted_list(&ranges)));
            }
            if any.is_empty() {
                any.push("false".into());
            }
            format!(
                "{FROM}\n| WHERE @timestamp > NOW() - {window} seconds AND {CODE} == \"0\"\n\
                 | WHERE {}\n\
                 | STATS SuccessCount = COUNT(*), IPList = VALUES(source.ip), FirstSeen = MIN(@timestamp),\n    \
                 LastSeen = MAX(@timestamp) BY {USER}\n\
                 | EVAL DetectionType = \"SuspiciousInfrastructure\", RiskScore = {risk}\n",
                any.join("\n    OR ")
            )
        }
    };
    (q, notes)
}
