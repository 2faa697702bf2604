//! Splunk SPL over Entra's diagnostic records as the Microsoft Cloud Services add-on indexes them
//! (`sourcetype="azure:monitor:aad"`, `category=SignInLogs`), the sign-in under `properties.*`.
//!
//! Fields after `rename properties.* as *`: `userPrincipalName`, `status.errorCode`, `ipAddress`,
//! `appDisplayName`, `location.countryOrRegion`, `autonomousSystemNumber`. Public rules of the
//! language this follows: Splunk Security Content's `azure_ad_*` detections (for example "Azure AD
//! Multiple Failed MFA Requests For User": `` `azure_monitor_aad` category=SignInLogs
//! properties.status.errorCode=... | rename properties.* as * | ... | stats ... by user``).

use crate::{Hosting, Language, Stuffing, Travel, quoted, quoted_list};

pub(crate) struct Spl;

/// The search every query starts from: the window and the sign-in records.
fn base(window: u64) -> String {
    format!(
        "sourcetype=\"azure:monitor:aad\" category=SignInLogs earliest=-{window}s\n\
         | rename properties.* as *\n\
         | eval code=tostring('status.errorCode')\n"
    )
}

impl Language for Spl {
    fn notes(&self) -> Vec<String> {
        vec!["The window ends when the search runs (earliest=); the detector slides it over event time.".into()]
    }

    fn stuffing(&self, s: &Stuffing, _: &mut Vec<String>) -> String {
        let mut q = base(s.window);
        if !s.excluded.is_empty() {
            q += &format!("| where NOT in(code, {})\n", quoted_list(&s.excluded));
        }
        q += &format!(
            "| eval failure=if(code!=\"0\", 1, 0), success=if(code==\"0\", 1, 0), fail_ip=if(code!=\"0\", ipAddress, null())\n\
             | stats sum(failure) as FailureCount sum(success) as SuccessCount dc(fail_ip) as UniqueIPs values(fail_ip) as IPList values(appDisplayName) as Apps values(location.countryOrRegion) as Countries min(_time) as FirstSeen max(_time) as LastSeen by userPrincipalName\n\
             | where FailureCount>={} AND SuccessCount>={}\n\
             | eval DetectionType=\"CredentialStuffing\", RiskScore=case(UniqueIPs>{}, {}, UniqueIPs>{}, {}, true(), {})\n",
            s.min_failures, s.min_successes, s.tiers.0, s.risks.0, s.tiers.1, s.risks.1, s.risks.2
        );
        q
    }

    fn travel(&self, t: &Travel, _: &mut Vec<String>) -> String {
        format!(
            "{}| where code=\"0\"\n\
             | eval Country='location.countryOrRegion', t=_time\n\
             | where isnotnull(Country) AND Country!=\"\"\n\
             | bin _time span={}s\n\
             | stats dc(Country) as UniqueCountries values(Country) as Countries values(ipAddress) as IPList values(appDisplayName) as Apps min(t) as FirstSeen max(t) as LastSeen by userPrincipalName _time\n\
             | where UniqueCountries>={}\n\
             | eval DetectionType=\"ImpossibleTravel\", RiskScore={}\n",
            base(t.window),
            t.bin,
            t.min_countries,
            t.risk
        )
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        let mut any = Vec::new();
        if !h.asn_numbers.is_empty() {
            any.push(format!("in(autonomousSystemNumber, {})", h.numbers()));
        }
        for p in &h.ip_prefixes {
            // `like` with the prefix's own `%` and `_` escaped.
            let esc = p
                .replace('\\', "\\\\")
                .replace('%', "\\%")
                .replace('_', "\\_");
            any.push(format!("like(ipAddress, {})", quoted(&format!("{esc}%"))));
        }
        for c in &h.cidrs {
            any.push(format!("cidrmatch({}, ipAddress)", quoted(c)));
        }
        h.names_note(notes);
        if any.is_empty() {
            any.push("false()".into());
        }
        format!(
            "{}| where code=\"0\"\n\
             | where {}\n\
             | stats count as SuccessCount values(ipAddress) as IPList values(appDisplayName) as Apps values(location.countryOrRegion) as Countries min(_time) as FirstSeen max(_time) as LastSeen by userPrincipalName\n\
             | eval DetectionType=\"SuspiciousInfrastructure\", RiskScore={}\n",
            base(h.window),
            any.join(" OR "),
            h.risk
        )
    }
}
