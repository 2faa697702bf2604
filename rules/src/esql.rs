//! Elastic ES|QL over the Azure integration's sign-in documents (`logs-azure.signinlogs-*`): ECS
//! fields (`@timestamp`, `source.ip`, `source.as.*`, `geo.country_iso_code`: Entra's own place) and
//! the sign-in's under `azure.signinlogs.*`. Unlike EQL, ES|QL aggregates (`STATS ... BY`), so the
//! counts, distinct countries and risk tiers are written as the detector computes them.
//!
//! Public rules of the language this follows: Elastic's detection-rules `rules/integrations/azure/`
//! ES|QL rules (for example "Entra ID User Sign-in with Unusual Client" and the
//! "... Brute Force ..." ones: `FROM logs-azure.signinlogs-* | WHERE ... | STATS ... BY ...`).

use crate::{Hosting, Language, Stuffing, Travel, quoted, quoted_list};

pub(crate) struct Esql;

const FROM: &str = "FROM logs-azure.signinlogs-*";
const USER: &str = "azure.signinlogs.properties.user_principal_name";
const CODE: &str = "azure.signinlogs.result_type";

impl Language for Esql {
    fn notes(&self) -> Vec<String> {
        vec![
            "The window ends when the query runs (NOW()); the detector slides it over event time."
                .into(),
        ]
    }

    fn stuffing(&self, s: &Stuffing, notes: &mut Vec<String>) -> String {
        let mut q = format!(
            "{FROM}\n| WHERE @timestamp > NOW() - {} seconds\n",
            s.window
        );
        if !s.excluded.is_empty() {
            q += &format!("| WHERE {CODE} NOT IN ({})\n", quoted_list(&s.excluded));
        }
        notes.push("COUNT_DISTINCT is exact up to 3,000 addresses per identity.".into());
        q += &format!(
            "| EVAL failure = CASE({CODE} != \"0\", 1, 0), success = CASE({CODE} == \"0\", 1, 0),\n    \
             fail_ip = CASE({CODE} != \"0\", source.ip, null)\n\
             | STATS FailureCount = SUM(failure), SuccessCount = SUM(success), UniqueIPs = COUNT_DISTINCT(fail_ip),\n    \
             IPList = VALUES(fail_ip), FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp) BY {USER}\n\
             | WHERE FailureCount >= {} AND SuccessCount >= {}\n\
             | EVAL DetectionType = \"CredentialStuffing\",\n    \
             RiskScore = CASE(UniqueIPs > {}, {}, UniqueIPs > {}, {}, {})\n",
            s.min_failures, s.min_successes, s.tiers.0, s.risks.0, s.tiers.1, s.risks.1, s.risks.2
        );
        q
    }

    fn travel(&self, t: &Travel, _: &mut Vec<String>) -> String {
        format!(
            "{FROM}\n| WHERE @timestamp > NOW() - {} seconds AND {CODE} == \"0\" AND geo.country_iso_code IS NOT NULL\n\
             | EVAL Bin = DATE_TRUNC({} seconds, @timestamp)\n\
             | STATS UniqueCountries = COUNT_DISTINCT(geo.country_iso_code), Countries = VALUES(geo.country_iso_code),\n    \
             IPList = VALUES(source.ip), FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp) BY {USER}, Bin\n\
             | WHERE UniqueCountries >= {}\n\
             | EVAL DetectionType = \"ImpossibleTravel\", RiskScore = {}\n",
            t.window, t.bin, t.min_countries, t.risk
        )
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        let mut any = Vec::new();
        for n in &h.asn_names {
            // LIKE is case-sensitive: both sides lower-cased; `*` and `?` are its wildcards.
            let pat = n.to_lowercase().replace('*', "\\\\*").replace('?', "\\\\?");
            any.push(format!(
                "TO_LOWER(source.as.organization.name) LIKE {}",
                quoted(&format!("*{pat}*"))
            ));
        }
        if !h.asn_numbers.is_empty() {
            any.push(format!("source.as.number IN ({})", h.numbers()));
        }
        let ranges = h.ranges(notes);
        if !ranges.is_empty() {
            any.push(format!("CIDR_MATCH(source.ip, {})", quoted_list(&ranges)));
        }
        if any.is_empty() {
            any.push("false".into());
        }
        format!(
            "{FROM}\n| WHERE @timestamp > NOW() - {} seconds AND {CODE} == \"0\"\n\
             | WHERE {}\n\
             | STATS SuccessCount = COUNT(*), IPList = VALUES(source.ip), FirstSeen = MIN(@timestamp),\n    \
             LastSeen = MAX(@timestamp) BY {USER}\n\
             | EVAL DetectionType = \"SuspiciousInfrastructure\", RiskScore = {}\n",
            h.window,
            any.join("\n    OR "),
            h.risk
        )
    }
}
