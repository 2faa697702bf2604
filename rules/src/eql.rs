//! Elastic EQL over the Azure integration's sign-in documents (`logs-azure.signinlogs-*`): ECS
//! fields (`event.category`, `event.dataset`, `source.ip`, `source.as.*`) and the sign-in's own
//! under `azure.signinlogs.*` (`result_type`, `properties.user_principal_name`).
//!
//! Public rules of the language this follows: Elastic's detection-rules `rules/integrations/azure/`
//! (for example "Entra ID Sign-in Brute Force ...", and the `sequence by ... with maxspan` /
//! `with runs=` form of "Potential Brute Force ... followed by a Successful Logon").

use crate::{Hosting, Language, Stuffing, Travel, quoted, quoted_list};

pub(crate) struct Eql;

const SIGN_IN: &str = "authentication where event.dataset == \"azure.signinlogs\"";
const USER: &str = "azure.signinlogs.properties.user_principal_name";
const CODE: &str = "azure.signinlogs.result_type";

/// ` with runs=N` for a step that must repeat.
fn runs(n: u32) -> String {
    if n > 1 {
        format!(" with runs={n}")
    } else {
        String::new()
    }
}

impl Language for Eql {
    fn stuffing(&self, s: &Stuffing, notes: &mut Vec<String>) -> String {
        let mut fail = format!("{SIGN_IN} and {CODE} != \"0\"");
        if !s.excluded.is_empty() {
            fail += &format!(" and {CODE} not in ({})", quoted_list(&s.excluded));
        }
        notes.push(format!(
            "Approximated: a sequence, failures then success (the detector counts them in any order); one risk per rule ({}), not by distinct addresses.",
            s.risks.2
        ));
        format!(
            "sequence by {USER} with maxspan={}s\n  [{fail}]{}\n  [{SIGN_IN} and {CODE} == \"0\"]{}\n",
            s.window,
            runs(s.min_failures),
            runs(s.min_successes)
        )
    }

    fn travel(&self, t: &Travel, notes: &mut Vec<String>) -> String {
        notes.push(format!(
            "Approximated: EQL cannot compare two events' fields, so this is two successes within {}s whose countries the rule's alert must compare (ES|QL counts distinct countries).",
            t.bin
        ));
        let step = format!("[{SIGN_IN} and {CODE} == \"0\" and geo.country_iso_code != null]");
        format!(
            "sequence by {USER} with maxspan={}s\n  {step}\n  {step}\n",
            t.bin
        )
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        let mut any = Vec::new();
        if !h.asn_names.is_empty() {
            let pats: Vec<String> = h
                .asn_names
                .iter()
                .map(|n| quoted(&format!("*{}*", n.replace('*', "?"))))
                .collect();
            any.push(format!(
                "source.as.organization.name : ({})",
                pats.join(", ")
            ));
        }
        if !h.asn_numbers.is_empty() {
            any.push(format!("source.as.number in ({})", h.numbers()));
        }
        let ranges = h.ranges(notes);
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
}
