//! Elastic EQL over the Azure integration's sign-in documents (`logs-azure.signinlogs-*`): ECS
//! fields (`event.category`, `event.dataset`, `source.ip`, `source.as.*`) and the sign-in's own
//! under `azure.signinlogs.*` (`result_type`, `properties.user_principal_name`).
//!
//! Public rules of the language this follows: Elastic's detection-rules `rules/integrations/azure/`
//! (for example "Entra ID Sign-in Brute Force ...", and the `sequence by ... with maxspan` /
//! `with runs=` form of "Potential Brute Force ... followed by a Successful Logon").

use crate::{Detection, quoted, quoted_list};

const SIGN_IN: &str = "authentication where event.dataset == \"azure.signinlogs\"";
const USER: &str = "azure.signinlogs.properties.user_principal_name";
const CODE: &str = "azure.signinlogs.result_type";

/// The query for one detection (`None`: not expressible), and what EQL cannot say of it.
pub(crate) fn rule(d: &Detection) -> (String, Vec<String>) {
    let mut notes = Vec::new();
    let q = match d {
        Detection::CredentialStuffing {
            window,
            min_failures,
            min_successes,
            excluded,
            risks,
            ..
        } => {
            let mut fail = format!("{SIGN_IN} and {CODE} != \"0\"");
            if !excluded.is_empty() {
                fail += &format!(" and {CODE} not in ({})", quoted_list(excluded));
            }
            notes.push(format!(
                "Approximated: a sequence, failures then success (the detector counts them in any order); one risk per rule ({}), not by distinct addresses.",
                risks.2
            ));
            let runs = |n: u32| {
                if n > 1 {
                    format!(" with runs={n}")
                } else {
                    String::new()
                }
            };
            format!(
                "sequence by {USER} with maxspan={window}s\n  [{fail}]{}\n  [{SIGN_IN} and {CODE} == \"0\"]{}\n",
                runs(*min_failures),
                runs(*min_successes)
            )
        }
        Detection::ImpossibleTravel { bin, .. } => {
            notes.push(format!(
                "Approximated: EQL cannot compare two events' fields, so this is two successes within {bin}s whose countries the rule's alert must compare (ES|QL counts distinct countries)."
            ));
            format!(
                "sequence by {USER} with maxspan={bin}s\n  [{SIGN_IN} and {CODE} == \"0\" and geo.country_iso_code != null]\n  [{SIGN_IN} and {CODE} == \"0\" and geo.country_iso_code != null]\n"
            )
        }
        Detection::Hosting {
            asn_names,
            asn_numbers,
            ip_prefixes,
            cidrs,
            ..
        } => {
            let mut any = Vec::new();
            if !asn_names.is_empty() {
                let pats: Vec<String> = asn_names
                    .iter()
                    .map(|n| quoted(&format!("*{}*", n.replace('*', "?"))))
                    .collect();
                any.push(format!(
                    "source.as.organization.name : ({})",
                    pats.join(", ")
                ));
            }
            if !asn_numbers.is_empty() {
                let n: Vec<String> = asn_numbers.iter().map(u32::to_string).collect();
                any.push(format!("source.as.number in ({})", n.join(", ")));
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
                any.push(format!("cidrMatch(source.ip, {})", quoted_list(&ranges)));
            }
            if any.is_empty() {
                any.push("false".into());
            }
            format!(
                "{SIGN_IN} and {CODE} == \"0\"\n  and ({})\n",
                any.join("\n    or ")
            )
        }
    };
    (q, notes)
}
