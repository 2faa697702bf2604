//! Splunk SPL over Entra's diagnostic records as the Microsoft Cloud Services add-on indexes them
//! (`sourcetype="azure:monitor:aad"`, `category=SignInLogs`), the sign-in under `properties.*`.
//!
//! Fields after `rename properties.* as *`: `userPrincipalName`, `status.errorCode`, `ipAddress`,
//! `appDisplayName`, `location.countryOrRegion`, `autonomousSystemNumber`. Public rules of the
//! language this follows: Splunk Security Content's `azure_ad_*` detections (for example "Azure AD
//! Multiple Failed MFA Requests For User": `` `azure_monitor_aad` category=SignInLogs
//! properties.status.errorCode=... | rename properties.* as * | ... | stats ... by user``).

use crate::Detection;

/// The search every query starts from: the window and the sign-in records.
fn base(window: u64) -> String {
    format!(
        "sourcetype=\"azure:monitor:aad\" category=SignInLogs earliest=-{window}s\n\
         | rename properties.* as *\n\
         | eval code=tostring('status.errorCode')\n"
    )
}

/// Texts as SPL string literals, comma-separated.
fn list(items: &[String]) -> String {
    crate::quoted_list(items)
}

/// The query for one detection, and what SPL cannot say of it.
pub(crate) fn rule(d: &Detection) -> (String, Vec<String>) {
    let mut notes = vec![
        "The window ends when the search runs (earliest=); the detector slides it over event time."
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
            let mut q = base(*window);
            if !excluded.is_empty() {
                q += &format!("| where NOT in(code, {})\n", list(excluded));
            }
            q += &format!(
                "| eval failure=if(code!=\"0\", 1, 0), success=if(code==\"0\", 1, 0), fail_ip=if(code!=\"0\", ipAddress, null())\n\
                 | stats sum(failure) as FailureCount sum(success) as SuccessCount dc(fail_ip) as UniqueIPs values(fail_ip) as IPList values(appDisplayName) as Apps values(location.countryOrRegion) as Countries min(_time) as FirstSeen max(_time) as LastSeen by userPrincipalName\n\
                 | where FailureCount>={min_failures} AND SuccessCount>={min_successes}\n\
                 | eval DetectionType=\"CredentialStuffing\", RiskScore=case(UniqueIPs>{}, {}, UniqueIPs>{}, {}, true(), {})\n",
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
            "{}| where code=\"0\"\n\
             | eval Country='location.countryOrRegion', t=_time\n\
             | where isnotnull(Country) AND Country!=\"\"\n\
             | bin _time span={bin}s\n\
             | stats dc(Country) as UniqueCountries values(Country) as Countries values(ipAddress) as IPList values(appDisplayName) as Apps min(t) as FirstSeen max(t) as LastSeen by userPrincipalName _time\n\
             | where UniqueCountries>={min_countries}\n\
             | eval DetectionType=\"ImpossibleTravel\", RiskScore={risk}\n",
            base(*window)
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
                any.push(format!("in(autonomousSystemNumber, {})", n.join(", ")));
            }
            for p in ip_prefixes {
                // `like` with the prefix's own `%` and `_` escaped.
                let esc = p
                    .replace('\\', "\\\\")
                    .replace('%', "\\%")
                    .replace('_', "\\_");
                any.push(format!(
                    "like(ipAddress, {})",
                    crate::quoted(&format!("{esc}%"))
                ));
            }
            for c in cidrs {
                any.push(format!("cidrmatch({}, ipAddress)", crate::quoted(c)));
            }
            if !asn_names.is_empty() {
                notes.push(format!(
                    "Not expressible: Entra's record has the AS number, not its owner's name ({}): list those networks by number in hosting.asn_numbers.",
                    asn_names.join(", ")
                ));
            }
            if any.is_empty() {
                any.push("false()".into());
            }
            format!(
                "{}| where code=\"0\"\n\
                 | where {}\n\
                 | stats count as SuccessCount values(ipAddress) as IPList values(appDisplayName) as Apps values(location.countryOrRegion) as Countries min(_time) as FirstSeen max(_time) as LastSeen by userPrincipalName\n\
                 | eval DetectionType=\"SuspiciousInfrastructure\", RiskScore={risk}\n",
                base(*window),
                any.join(" OR ")
            )
        }
    };
    (q, notes)
}
