//! Microsoft Sentinel KQL over `SigninLogs` (the Log Analytics table of Entra's interactive
//! sign-ins; `AADNonInteractiveUserSignInLogs` has the same columns).
//!
//! Columns: `TimeGenerated`, `UserPrincipalName`, `ResultType` (a string), `IPAddress`,
//! `AppDisplayName`, `LocationDetails.countryOrRegion`, `AutonomousSystemNumber`, `ClientAppUsed`,
//! `UserAgent`, `AuthenticationRequirement`, `AuthenticationDetails`; the Windows detections read
//! `SecurityEvent` (`EventID`, `TargetUserName`, `IpAddress`, `WorkstationName`, `LogonType`,
//! `Status`, `SubStatus`), as Microsoft's own SecurityEvent brute-force hunting queries do.
//! Public rules of the language this follows: Azure-Sentinel `Detections/SigninLogs/` (e.g.
//! "Brute force attack against Azure Portal", `SigninLogs | where ResultType in (...) | summarize
//! ... by UserPrincipalName`) and the public T1586 page's KQL the seed profile reproduces.

use crate::{
    Burst, Explicit, Fatigue, Hosting, IdRisk, Language, Legacy, Log, Ordered, Phishing, Replay,
    ReplayPattern, Spray, Stuffing, Travel, Velocity, Watched, quoted, quoted_list,
};

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
        if !h.ips.is_empty() {
            any.push(format!("IPAddress in ({})", quoted_list(&h.ips)));
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

    fn ordered(&self, o: &Ordered, notes: &mut Vec<String>) -> Result<String, String> {
        Ok(Kql::ordered_query(o, notes))
    }

    fn spray(&self, s: &Spray, notes: &mut Vec<String>) -> Result<String, String> {
        if let Log::SignIns { .. } = s.log {
            notes.push("The detector also skips an address that signed anyone in during the day before (an office NAT); this query does not.".into());
        }
        Ok(Kql::spray_query(s, notes))
    }

    fn replay(&self, r: &Replay, notes: &mut Vec<String>) -> Result<String, String> {
        let tail = format!(
            "| extend DetectionType = \"TokenReplay\", Pattern = \"{}\", RiskScore = {}\n",
            r.name(),
            r.risk
        );
        let head = format!(
            "| where TimeGenerated > ago({}s)\n| where ResultType == \"0\"",
            r.window
        );
        let q = match &r.pattern {
            ReplayPattern::Session { min_networks } => {
                notes.push("Entra's interactive and non-interactive sign-ins; the detector also reads Okta's sessions.".into());
                format!(
                    "union SigninLogs, AADNonInteractiveUserSignInLogs\n{head} and isnotempty(SessionId)\n\
                     | summarize Countries = dcountif(Location, isnotempty(Location)),\n    \
                     ASNs = dcountif(AutonomousSystemNumber, isnotnull(AutonomousSystemNumber)),\n    \
                     CountryList = make_set(Location), IPList = make_set(IPAddress), FirstSeen = min(TimeGenerated),\n    \
                     LastSeen = max(TimeGenerated) by SessionId, UserPrincipalName\n\
                     | where Countries >= {min_networks} or ASNs >= {min_networks}\n{tail}"
                )
            }
            ReplayPattern::Scripted { agents } => {
                notes.push("The browser's sign-in from SigninLogs (interactive), the scripted client's from either table.".into());
                format!(
                    "let browsers = SigninLogs\n{head} and isnotempty(SessionId) and UserAgent contains \"Mozilla/\"\n\
                     | summarize arg_min(TimeGenerated, IPAddress) by SessionId, UserPrincipalName\n\
                     | project SessionId, UserPrincipalName, BrowserTime = TimeGenerated, BrowserIP = IPAddress;\n\
                     union SigninLogs, AADNonInteractiveUserSignInLogs\n{head} and isnotempty(SessionId)\n\
                     | where {}\n\
                     | join kind=inner browsers on SessionId, UserPrincipalName\n\
                     | where TimeGenerated > BrowserTime and IPAddress != BrowserIP\n\
                     | summarize IPList = make_set(IPAddress), UserAgents = make_set(UserAgent), FirstSeen = min(BrowserTime),\n    \
                     LastSeen = max(TimeGenerated) by SessionId, UserPrincipalName, BrowserIP\n{tail}",
                    contains_any("UserAgent", agents)
                )
            }
            ReplayPattern::Graph {
                min_networks,
                secs,
                trusted,
            } => {
                notes.push(format!(
                    "Approximated: bins of {secs} s aligned to the epoch, where the detector slides its window; an IPv4 and an IPv6 address of one AS (a dual-stack device) count as two networks here, one in the detector."
                ));
                let mut q = format!(
                    "SigninLogs\n{head}\n\
                     | where ResourceIdentity =~ {} or ResourceDisplayName contains \"Microsoft Graph\"\n",
                    quoted(crate::GRAPH)
                );
                if !trusted.is_empty() {
                    q += &format!("| where AppId !in~ ({})\n", quoted_list(trusted));
                }
                q + &format!(
                    "| extend Session = iff(isnotempty(SessionId), SessionId, strcat(\"token:\", UniqueTokenIdentifier))\n\
                     | where Session != \"token:\" and isnotempty(IPAddress)\n\
                     | extend Network = iff(IPAddress contains \":\", parse_ipv6_mask(IPAddress, 48), format_ipv4_mask(IPAddress, 24))\n\
                     | summarize Networks = dcount(Network), NetworkList = make_set(Network), IPList = make_set(IPAddress),\n    \
                     FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by Session, UserPrincipalName, Bin = bin(TimeGenerated, {secs}s)\n\
                     | where Networks >= {min_networks}\n{tail}"
                )
            }
            ReplayPattern::Kit {
                apps,
                agents,
                follow,
            } => {
                notes.push("Approximated: the kit's sign-in by its user agent; the detector also counts one from hosting infrastructure (the hosting rule flags those).".into());
                format!(
                    "let kit = SigninLogs\n{head} and AppDisplayName in~ ({})\n\
                     | where {}\n\
                     | project UserPrincipalName, KitTime = TimeGenerated, KitIP = IPAddress, KitUserAgent = UserAgent;\n\
                     AADNonInteractiveUserSignInLogs\n{head}\n\
                     | join kind=inner kit on UserPrincipalName\n\
                     | where TimeGenerated between (KitTime .. (KitTime + {follow}s)) and IPAddress != KitIP\n\
                     | summarize IPList = make_set(IPAddress), FirstSeen = min(KitTime), LastSeen = max(TimeGenerated)\n    \
                     by UserPrincipalName, KitIP, KitUserAgent\n{tail}",
                    quoted_list(apps),
                    contains_any("UserAgent", agents)
                )
            }
            ReplayPattern::MfaClaim { .. } => return Err(r.not(Replay::HISTORY)),
        };
        Ok(q)
    }

    fn watched(&self, w: &Watched, _: &mut Vec<String>) -> Result<String, String> {
        Ok(format!(
            "{WORKLOADS}\n| where TimeGenerated > ago({}s)\n| where ResultType == \"0\" and Location in~ ({})\n\
             | summarize SuccessCount = count(), Countries = make_set(Location), IPList = make_set(IPAddress),\n    \
             FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by Account = {WORKLOAD}\n\
             | extend DetectionType = \"WorkloadWatchedLocation\", RiskScore = {}\n",
            w.window,
            quoted_list(&w.countries),
            w.risk
        ))
    }

    fn legacy(&self, l: &Legacy, _: &mut Vec<String>) -> Result<String, String> {
        let mut any = Vec::new();
        if !l.client_apps.is_empty() {
            any.push(format!(
                "ClientAppUsed in ({})",
                quoted_list(&l.client_apps)
            ));
        }
        if !l.user_agents.is_empty() {
            any.push(format!(
                "UserAgent has_any ({})",
                quoted_list(&l.user_agents)
            ));
        }
        if any.is_empty() {
            any.push("false".into());
        }
        let mfa = if l.single_factor_only {
            "| where AuthenticationRequirement != \"multiFactorAuthentication\"\n"
        } else {
            ""
        };
        Ok(format!(
            "SigninLogs\n| where TimeGenerated > ago({}s)\n| where ResultType == \"0\"\n\
             | where {}\n{mfa}\
             | summarize SuccessCount = count(), IPList = make_set(IPAddress), Apps = make_set(ClientAppUsed),\n    \
             FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by UserPrincipalName\n\
             | extend DetectionType = \"LegacyProtocolSuccess\", RiskScore = {}\n",
            l.window,
            any.join(" or "),
            l.risk
        ))
    }

    fn burst(&self, b: &Burst, notes: &mut Vec<String>) -> Result<String, String> {
        let s = schema(&b.log);
        b.note(notes);
        notes.push(format!(
            "Approximated: bins of {} s aligned to the epoch, where the detector slides its window.",
            b.window
        ));
        Ok(format!(
            "{table}\n| where TimeGenerated > ago({lookback}s)\n| where {failure}\n\
             | summarize FailureCount = count(), IPList = make_set({ip}), FirstSeen = min(TimeGenerated),\n    \
             LastSeen = max(TimeGenerated) by Account = {user}, Bin = bin(TimeGenerated, {window}s)\n\
             | where FailureCount >= {min}\n\
             | extend DetectionType = \"{det}\", RiskScore = {risk}\n",
            det = b.detection,
            table = s.table,
            lookback = b.lookback,
            failure = s.failure,
            ip = s.ip,
            user = s.user,
            window = b.window,
            min = b.min_failures,
            risk = b.risk,
        ))
    }

    fn id_risk(&self, r: &IdRisk, notes: &mut Vec<String>) -> Result<String, String> {
        r.note(notes);
        let mut q = format!(
            "SigninLogs\n| where TimeGenerated > ago({}s)\n\
             | extend Types = tostring(RiskEventTypes_V2), State = tostring(RiskState),\n    \
             Level = case(RiskLevelDuringSignIn == \"high\" or RiskLevelAggregated == \"high\", \"high\",\n        \
             RiskLevelDuringSignIn == \"medium\" or RiskLevelAggregated == \"medium\", \"medium\",\n        \
             RiskLevelDuringSignIn == \"low\" or RiskLevelAggregated == \"low\", \"low\", \"none\")\n\
             | extend HasType = isnotempty(Types) and Types !in (\"[]\", \"none\", \"[\\\"none\\\"]\")\n",
            r.window
        );
        if !r.cleared_states.is_empty() {
            q += &format!("| where State !in ({})\n", quoted_list(&r.cleared_states));
        }
        let high = if r.high_types.is_empty() {
            String::new()
        } else {
            format!("Types has_any ({}) or ", quoted_list(&r.high_types))
        };
        q += &format!(
            "| where HasType or Level in ({}) or State == \"confirmedCompromised\"\n\
             | extend Risk = case({high}Level == \"high\" or State == \"confirmedCompromised\", {},\n    \
             HasType or Level == \"medium\", {}, {})\n\
             | summarize RiskScore = max(Risk), RiskEventTypes = make_set(Types), IPList = make_set(IPAddress),\n    \
             FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by UserPrincipalName\n\
             | extend DetectionType = \"IdentityProtectionRisk\"\n",
            quoted_list(&r.levels),
            r.risk_high,
            r.risk_other,
            r.risk_low
        );
        Ok(q)
    }

    fn fatigue(&self, f: &Fatigue, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push("The detector also takes denials only from the identity's current run; any denials in the window count here.".into());
        Ok(format!(
            "let denials = SigninLogs\n\
             | where TimeGenerated > ago({lookback}s)\n\
             | where ResultType in ({codes})\n\
             | project UserPrincipalName, DenialTime = TimeGenerated, DenialIP = IPAddress;\n\
             SigninLogs\n\
             | where TimeGenerated > ago({lookback}s)\n\
             | where ResultType == \"0\"\n\
             | project UserPrincipalName, SuccessTime = TimeGenerated, SuccessIP = IPAddress\n\
             | join kind=inner denials on UserPrincipalName\n\
             | where DenialTime between ((SuccessTime - {window}s) .. SuccessTime)\n\
             | summarize Denials = count(), LastDenial = max(DenialTime), IPList = make_set(DenialIP)\n    \
             by UserPrincipalName, SuccessTime, SuccessIP\n\
             | where Denials > {max} and SuccessTime - LastDenial <= {within}s\n\
             | summarize arg_min(SuccessTime, *) by UserPrincipalName\n\
             | extend DetectionType = \"MfaFatigue\", RiskScore = {risk}\n",
            lookback = f.lookback,
            codes = quoted_list(&f.denial_codes),
            window = f.window,
            max = f.max_denials,
            within = f.success_within,
            risk = f.risk,
        ))
    }

    fn phishing(&self, p: &Phishing, notes: &mut Vec<String>) -> Result<String, String> {
        p.note(notes);
        let mut client = Vec::new();
        if !p.clients.is_empty() {
            client.push(format!("AppId in~ ({})", quoted_list(&p.clients)));
        }
        if !p.client_names.is_empty() {
            client.push(format!(
                "AppDisplayName in~ ({})",
                quoted_list(&p.client_names)
            ));
        }
        if !p.user_agents.is_empty() {
            client.push(format!(
                "UserAgent has_any ({})",
                quoted_list(&p.user_agents)
            ));
        }
        if client.is_empty() {
            client.push("false".into());
        }
        let (flow, risk) = if p.device_code {
            let broker = p
                .broker
                .as_deref()
                .map(quoted)
                .unwrap_or_else(|| "\"\"".into());
            (
                "AuthenticationProtocol == \"deviceCode\"".to_string(),
                format!(
                    "iff(AppId =~ {broker} or AppDisplayName =~ \"Microsoft Authentication Broker\", {}, {})",
                    p.risk_broker, p.risk
                ),
            )
        } else {
            (
                format!(
                    "(ResourceIdentity =~ {} or ResourceDisplayName =~ \"Microsoft Graph\")",
                    quoted(crate::GRAPH)
                ),
                p.risk.to_string(),
            )
        };
        Ok(format!(
            "SigninLogs\n| where TimeGenerated > ago({}s)\n| where ResultType == \"0\" and {flow}\n\
             | where {}\n\
             | extend Risk = {risk}\n\
             | summarize RiskScore = max(Risk), Apps = make_set(AppDisplayName), IPList = make_set(IPAddress),\n    \
             FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated) by UserPrincipalName\n\
             | extend DetectionType = \"{}\"\n",
            p.window,
            client.join(" or "),
            p.detection
        ))
    }

    fn explicit(&self, e: &Explicit, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Approximated: bins of {} s aligned to the epoch, where the detector slides its window.",
            e.window
        ));
        let machine = if e.exclude_machine_subjects {
            "| where not(SubjectUserName endswith \"$\")\n"
        } else {
            ""
        };
        Ok(format!(
            "SecurityEvent\n| where TimeGenerated > ago({}s)\n| where EventID == 4648\n{machine}\
             | where tolower(TargetUserName) != tolower(SubjectUserName)\n\
             | extend Subject = strcat(SubjectDomainName, \"\\\\\", SubjectUserName),\n    \
             Target = iff(isnotempty(IpAddress) and IpAddress != \"-\", IpAddress, TargetServerName)\n\
             | summarize Accounts = make_set(tolower(TargetUserName)), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated)\n    \
             by Subject, Target, Bin = bin(TimeGenerated, {}s)\n\
             | extend AccountCount = array_length(Accounts)\n\
             | where AccountCount >= {}\n\
             | extend DetectionType = \"ExplicitCredentialSpray\", RiskScore = {}\n",
            e.lookback, e.window, e.min_accounts, e.risk
        ))
    }

    fn velocity(&self, v: &Velocity, _: &mut Vec<String>) -> Result<String, String> {
        let interactive = if v.interactive_only {
            "| where IsInteractive == true\n"
        } else {
            ""
        };
        Ok(format!(
            "SigninLogs\n| where TimeGenerated > ago({}s)\n| where ResultType == \"0\"\n{interactive}\
             | extend Lat = todouble(LocationDetails.geoCoordinates.latitude), Lon = todouble(LocationDetails.geoCoordinates.longitude),\n    \
             Country = tostring(LocationDetails.countryOrRegion)\n\
             | where isnotnull(Lat) and isnotnull(Lon)\n\
             | sort by UserPrincipalName asc, TimeGenerated asc\n\
             | extend PrevUser = prev(UserPrincipalName), PrevTime = prev(TimeGenerated), PrevLat = prev(Lat), PrevLon = prev(Lon),\n    \
             PrevCountry = prev(Country)\n\
             | where PrevUser == UserPrincipalName\n\
             | extend Km = geo_distance_2points(PrevLon, PrevLat, Lon, Lat) / 1000.0, Hours = (TimeGenerated - PrevTime) / 1h\n\
             | where Km >= {:?} and (Hours <= 0.0 or (Km - 2 * {:?}) / Hours > {:?})\n\
             | summarize Legs = count(), Countries = make_set(pack_array(PrevCountry, Country)), FirstSeen = min(PrevTime),\n    \
             LastSeen = max(TimeGenerated) by UserPrincipalName\n\
             | extend DetectionType = \"ImpossibleTravel\", RiskScore = {}\n",
            v.lookback, v.min_km, v.pad_km, v.max_kmh, v.risk
        ))
    }
}

/// `column` containing one of `values` (case-insensitive), or `false` for none.
fn contains_any(column: &str, values: &[String]) -> String {
    if values.is_empty() {
        return "false".into();
    }
    let any: Vec<String> = values
        .iter()
        .map(|v| format!("{column} contains {}", quoted(v)))
        .collect();
    format!("({})", any.join(" or "))
}

/// The table, the identity column expression and the failure / success predicates of a log.
struct Schema {
    table: &'static str,
    user: &'static str,
    ip: &'static str,
    failure: String,
    success: String,
}

fn list_u32(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// Windows: the account by name, lower-cased (Kerberos events carry no domain).
fn win_account() -> &'static str {
    "tolower(TargetUserName)"
}

fn win_exclusions(f: &crate::WinFailures) -> String {
    let mut out = String::new();
    if f.exclude_machine {
        out += " and not(TargetUserName endswith \"$\")";
    }
    if f.exclude_anonymous {
        out += " and TargetUserName != \"ANONYMOUS LOGON\"";
    }
    out
}

fn schema(log: &Log) -> Schema {
    match log {
        Log::SignIns {
            excluded,
            correct_password,
            reset_apps,
        } => {
            let mut failure = "ResultType != \"0\"".to_string();
            if !correct_password.is_empty() {
                failure += &format!(" and ResultType !in ({})", quoted_list(correct_password));
            }
            if !excluded.is_empty() {
                failure += &format!(" and ResultType !in ({})", quoted_list(excluded));
            }
            if !reset_apps.is_empty() {
                failure += &format!(" and AppDisplayName !in ({})", quoted_list(reset_apps));
            }
            let mut success = "ResultType == \"0\"".to_string();
            if !correct_password.is_empty() {
                success += &format!(" or ResultType in ({})", quoted_list(correct_password));
            }
            success += " or AuthenticationDetails has \"Correct Password\"";
            Schema {
                table: "SigninLogs",
                user: "UserPrincipalName",
                ip: "IPAddress",
                failure,
                success,
            }
        }
        Log::Windows {
            failures: f,
            success_logon_types,
        } => {
            let mut failure = format!("EventID in ({})", list_u32(&f.events));
            if !f.codes.is_empty() {
                failure += &format!(
                    " and tolower(coalesce(SubStatus, Status)) in ({})",
                    quoted_list(&f.codes)
                );
            }
            if !f.logon_types.is_empty() {
                failure += &format!(
                    " and (EventID != 4625 or LogonType in ({}))",
                    list_u32(&f.logon_types)
                );
            }
            failure += &win_exclusions(f);
            let mut success = "EventID == 4624".to_string();
            if !success_logon_types.is_empty() {
                success += &format!(" and LogonType in ({})", list_u32(success_logon_types));
            }
            success += &win_exclusions(f);
            Schema {
                table: "SecurityEvent",
                user: win_account(),
                ip: "IpAddress",
                failure,
                success,
            }
        }
        Log::Workload { codes } => Schema {
            table: WORKLOADS,
            user: WORKLOAD,
            ip: "IPAddress",
            failure: format!("ResultType in ({})", quoted_list(codes)),
            success: "ResultType == \"0\"".into(),
        },
    }
}

/// Service principals' and managed identities' sign-ins (their `ServicePrincipalName` and `AppId`
/// columns, as the detector names a workload identity).
const WORKLOADS: &str = "union AADServicePrincipalSignInLogs, AADManagedIdentitySignInLogs";
const WORKLOAD: &str = "strcat(ServicePrincipalName, \" (app \", AppId, \")\")";

impl Kql {
    pub(crate) fn ordered_query(o: &Ordered, notes: &mut Vec<String>) -> String {
        let s = schema(&o.log);
        notes.push(
            "Approximated: any success with enough failures in the window before it (the detector also lets a success after too few failures clear the run)."
                .into(),
        );
        if matches!(o.log, Log::Windows { .. }) {
            notes.push("Accounts are joined by name, lower-cased: Kerberos events (4768, 4771) carry no domain.".into());
        }
        format!(
            "let failures = {table}\n\
             | where TimeGenerated > ago({lookback}s)\n\
             | where {failure}\n\
             | project Account = {user}, FailureTime = TimeGenerated, FailureIP = {ip};\n\
             {table}\n\
             | where TimeGenerated > ago({lookback}s)\n\
             | where {success}\n\
             | project Account = {user}, SuccessTime = TimeGenerated, SuccessIP = {ip}\n\
             | join kind=inner failures on Account\n\
             | where FailureTime between ((SuccessTime - {window}s) .. SuccessTime)\n\
             | summarize FailureCount = count(), IPList = make_set(FailureIP), FirstSeen = min(FailureTime)\n    \
             by Account, SuccessTime, SuccessIP\n\
             | where FailureCount >= {min}\n\
             | summarize arg_min(SuccessTime, *) by Account\n\
             | extend UniqueIPs = array_length(IPList)\n\
             | extend DetectionType = \"{det}\",\n    \
             RiskScore = iff(UniqueIPs > {t0}, {r0}, iff(UniqueIPs > {t1}, {r1}, {r2}))\n",
            table = s.table,
            lookback = o.lookback,
            failure = s.failure,
            user = s.user,
            ip = s.ip,
            success = s.success,
            window = o.window,
            min = o.min_failures,
            det = o.detection,
            t0 = o.tiers.0,
            r0 = o.risks.0,
            t1 = o.tiers.1,
            r1 = o.risks.1,
            r2 = o.risks.2,
        )
    }

    pub(crate) fn spray_query(sp: &Spray, notes: &mut Vec<String>) -> String {
        let s = schema(&sp.log);
        notes.push(format!(
            "Approximated: bins of {} s aligned to the epoch, where the detector slides its window.",
            sp.window
        ));
        let mut q = format!(
            "{table}\n| where TimeGenerated > ago({lookback}s)\n| where {failure}\n",
            table = s.table,
            lookback = sp.lookback,
            failure = s.failure,
        );
        if let Log::Windows { .. } = sp.log {
            // The source: the address, else the client workstation (4776 has no address).
            q += "| extend Source = iff(isnotempty(IpAddress) and IpAddress != \"-\", IpAddress, WorkstationName)\n\
                  | where isnotempty(Source)\n";
        } else {
            q += "| extend Source = IPAddress\n";
        }
        q += &format!(
            "| summarize Identities = make_set({user}), FirstSeen = min(TimeGenerated), LastSeen = max(TimeGenerated)\n    \
             by Source, Bin = bin(TimeGenerated, {window}s)\n\
             | extend IdentityCount = array_length(Identities)\n\
             | where IdentityCount >= {min}\n\
             | extend DetectionType = \"{det}\", RiskScore = {risk}\n",
            user = s.user,
            window = sp.window,
            min = sp.min_identities,
            det = sp.detection,
            risk = sp.risk,
        );
        q
    }
}
