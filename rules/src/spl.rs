//! Splunk SPL over Entra's diagnostic records as the Microsoft Cloud Services add-on indexes them
//! (`sourcetype="azure:monitor:aad"`, `category=SignInLogs`), the sign-in under `properties.*`.
//!
//! Fields after `rename properties.* as *`: `userPrincipalName`, `status.errorCode`, `ipAddress`,
//! `appDisplayName`, `location.countryOrRegion`, `autonomousSystemNumber`, `clientAppUsed`,
//! `userAgent`, `authenticationRequirement`; the Windows detections read the Splunk Add-on for
//! Windows' `sourcetype=XmlWinEventLog` (`EventCode`, `TargetUserName`, `IpAddress`,
//! `WorkstationName`, `LogonType`, `Status`, `SubStatus`), as Security Content's
//! `windows_multiple_users_failed_to_authenticate_from_ip` does. Public rules of the
//! language this follows: Splunk Security Content's `azure_ad_*` detections (for example "Azure AD
//! Multiple Failed MFA Requests For User": `` `azure_monitor_aad` category=SignInLogs
//! properties.status.errorCode=... | rename properties.* as * | ... | stats ... by user``).

use crate::{
    Burst, Explicit, Fatigue, Hosting, IdRisk, Language, Legacy, Log, Ordered, Phishing, Replay,
    ReplayPattern, Spray, Stuffing, Travel, Velocity, Watched, lower, quoted, quoted_list,
};

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
        if !h.ips.is_empty() {
            any.push(format!("in(ipAddress, {})", quoted_list(&h.ips)));
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

    fn ordered(&self, o: &Ordered, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push("Approximated: any success with enough failures in the window before it (streamstats over the time-sorted records); the detector also lets a success after too few failures clear the run.".into());
        Ok(Spl::ordered_query(o))
    }

    fn spray(&self, s: &Spray, notes: &mut Vec<String>) -> Result<String, String> {
        if let Log::SignIns { .. } = s.log {
            notes.push("The detector also skips an address that signed anyone in during the day before (an office NAT); this search does not.".into());
        }
        Ok(format!(
            "{}| where failure=1 AND isnotnull(ip)\n\
             | sort 0 _time\n\
             | streamstats time_window={}s dc(user) as IdentityCount values(user) as Identities by ip\n\
             | where IdentityCount>={}\n\
             | stats max(IdentityCount) as IdentityCount values(Identities) as Identities min(_time) as FirstSeen max(_time) as LastSeen by ip\n\
             | eval DetectionType=\"{}\", RiskScore={}\n",
            flagged(&s.log, s.lookback),
            s.window,
            s.min_identities,
            s.detection,
            s.risk
        ))
    }

    fn replay(&self, r: &Replay, notes: &mut Vec<String>) -> Result<String, String> {
        let search = format!(
            "sourcetype=\"azure:monitor:aad\" (category=SignInLogs OR category=NonInteractiveUserSignInLogs) earliest=-{}s\n\
             | rename properties.* as *\n\
             | eval code=tostring('status.errorCode')\n\
             | where code=\"0\" AND isnotnull(sessionId) AND sessionId!=\"\"\n",
            r.window
        );
        let tail = format!(
            "| eval DetectionType=\"TokenReplay\", Pattern=\"{}\", RiskScore={}\n",
            r.name(),
            r.risk
        );
        match &r.pattern {
            ReplayPattern::Session { min_networks } => Ok(format!(
                "{search}| eval Country='location.countryOrRegion'\n\
                 | stats dc(Country) as Countries dc(autonomousSystemNumber) as ASNs values(Country) as CountryList values(ipAddress) as IPList\n  \
                 min(_time) as FirstSeen max(_time) as LastSeen by sessionId userPrincipalName\n\
                 | where Countries>={min_networks} OR ASNs>={min_networks}\n{tail}"
            )),
            ReplayPattern::Graph {
                min_networks,
                secs,
                trusted,
            } => {
                notes.push(format!(
                    "Approximated: bins of {secs} s aligned to the epoch, where the detector slides its window; sessions only (the detector falls back to the token's id); an IPv6 network is the address's first three groups as written; one AS's IPv4 and IPv6 count as two networks."
                ));
                let mut q = format!(
                    "{search}| where category=\"SignInLogs\" AND (lower(resourceId)={} OR like(resourceDisplayName, \"%Microsoft Graph%\"))\n",
                    quoted(crate::GRAPH)
                );
                if !trusted.is_empty() {
                    q += &format!(
                        "| where NOT in(lower(appId), {})\n",
                        quoted_list(&lower(trusted))
                    );
                }
                Ok(q + &format!(
                    "| eval Network=if(like(ipAddress, \"%:%\"), replace(ipAddress, \"^([^:]*:[^:]*:[^:]*).*$\", \"\\1::/48\"), replace(ipAddress, \"\\.\\d+$\", \".0/24\"))\n\
                     | bin _time span={secs}s\n\
                     | stats dc(Network) as Networks values(Network) as NetworkList values(ipAddress) as IPList by sessionId userPrincipalName _time\n\
                     | where Networks>={min_networks}\n{tail}"
                ))
            }
            ReplayPattern::Scripted { .. } | ReplayPattern::Kit { .. } => Err(r.not(Replay::PAIRS)),
            ReplayPattern::MfaClaim { .. } => Err(r.not(Replay::HISTORY)),
        }
    }

    fn watched(&self, w: &Watched, _: &mut Vec<String>) -> Result<String, String> {
        Ok(format!(
            "{}| where success=1\n\
             | eval Country=upper('location.countryOrRegion')\n\
             | where in(Country, {})\n\
             | stats count as SuccessCount values(Country) as Countries values(ip) as IPList min(_time) as FirstSeen max(_time) as LastSeen by user\n\
             | eval DetectionType=\"WorkloadWatchedLocation\", RiskScore={}\n",
            flagged(&Log::Workload { codes: Vec::new() }, w.window),
            quoted_list(&upper(&w.countries)),
            w.risk
        ))
    }

    fn legacy(&self, l: &Legacy, _: &mut Vec<String>) -> Result<String, String> {
        let mut any = Vec::new();
        if !l.client_apps.is_empty() {
            any.push(format!(
                "in(clientAppUsed, {})",
                quoted_list(&l.client_apps)
            ));
        }
        for ua in &l.user_agents {
            any.push(format!("like(userAgent, {})", quoted(&format!("%{ua}%"))));
        }
        if any.is_empty() {
            any.push("false()".into());
        }
        let mfa = if l.single_factor_only {
            "| where authenticationRequirement!=\"multiFactorAuthentication\"\n"
        } else {
            ""
        };
        Ok(format!(
            "{}| where code=\"0\"\n| where {}\n{mfa}\
             | stats count as SuccessCount values(ipAddress) as IPList values(clientAppUsed) as Apps min(_time) as FirstSeen max(_time) as LastSeen by userPrincipalName\n\
             | eval DetectionType=\"LegacyProtocolSuccess\", RiskScore={}\n",
            base(l.window),
            any.join(" OR "),
            l.risk
        ))
    }

    fn burst(&self, b: &Burst, notes: &mut Vec<String>) -> Result<String, String> {
        b.note(notes);
        Ok(format!(
            "{}| where failure=1\n\
             | sort 0 _time\n\
             | streamstats time_window={}s count as FailureCount dc(ip) as UniqueIPs by user\n\
             | where FailureCount>={}\n\
             | stats max(FailureCount) as FailureCount max(UniqueIPs) as UniqueIPs min(_time) as FirstSeen max(_time) as LastSeen by user\n\
             | eval DetectionType=\"{}\", RiskScore={}\n",
            flagged(&b.log, b.lookback),
            b.window,
            b.min_failures,
            b.detection,
            b.risk
        ))
    }

    fn id_risk(&self, r: &IdRisk, notes: &mut Vec<String>) -> Result<String, String> {
        r.note(notes);
        let mut q = format!(
            "{}| eval types=mvjoin('riskEventTypes_v2{{}}', \",\"), state=coalesce(riskState, \"\"),\n  \
             level=case(riskLevelDuringSignIn==\"high\" OR riskLevelAggregated==\"high\", \"high\", riskLevelDuringSignIn==\"medium\" OR riskLevelAggregated==\"medium\", \"medium\", riskLevelDuringSignIn==\"low\" OR riskLevelAggregated==\"low\", \"low\", true(), \"none\"),\n  \
             has_type=if(isnotnull(types) AND types!=\"\" AND types!=\"none\", 1, 0)\n",
            base(r.window)
        );
        if !r.cleared_states.is_empty() {
            q += &format!(
                "| where NOT in(state, {})\n",
                quoted_list(&r.cleared_states)
            );
        }
        let high = if r.high_types.is_empty() {
            String::new()
        } else {
            let alts: Vec<String> = r
                .high_types
                .iter()
                .map(|t| crate::any_of(std::slice::from_ref(t)))
                .collect();
            format!(
                "match(types, {}) OR ",
                quoted(&format!("(^|,)({})(,|$)", alts.join("|")))
            )
        };
        q += &format!(
            "| where has_type=1 OR in(level, {}) OR state==\"confirmedCompromised\"\n\
             | eval risk=case({high}level==\"high\" OR state==\"confirmedCompromised\", {}, has_type=1 OR level==\"medium\", {}, true(), {})\n\
             | stats max(risk) as RiskScore values(types) as RiskEventTypes values(ipAddress) as IPList min(_time) as FirstSeen max(_time) as LastSeen by userPrincipalName\n\
             | eval DetectionType=\"IdentityProtectionRisk\"\n",
            quoted_list(&r.levels),
            r.risk_high,
            r.risk_other,
            r.risk_low
        );
        Ok(q)
    }

    fn fatigue(&self, f: &Fatigue, _: &mut Vec<String>) -> Result<String, String> {
        Ok(format!(
            "{}| eval denial=if(in(code, {}), 1, 0), success=if(code==\"0\", 1, 0), denied_at=if(denial=1, _time, null())\n\
             | where denial=1 OR success=1\n\
             | sort 0 _time\n\
             | streamstats time_window={}s sum(denial) as Denials max(denied_at) as LastDenial by userPrincipalName\n\
             | where success=1 AND Denials>{} AND _time-LastDenial<={}\n\
             | stats min(_time) as SuccessTime max(Denials) as Denials values(ipAddress) as IPList by userPrincipalName\n\
             | eval DetectionType=\"MfaFatigue\", RiskScore={}\n",
            base(f.lookback),
            quoted_list(&f.denial_codes),
            f.window,
            f.max_denials,
            f.success_within,
            f.risk
        ))
    }

    fn phishing(&self, p: &Phishing, notes: &mut Vec<String>) -> Result<String, String> {
        p.note(notes);
        let mut client = Vec::new();
        if !p.clients.is_empty() {
            client.push(format!(
                "in(lower(appId), {})",
                quoted_list(&lower(&p.clients))
            ));
        }
        if !p.client_names.is_empty() {
            client.push(format!(
                "in(appDisplayName, {})",
                quoted_list(&p.client_names)
            ));
        }
        for ua in &p.user_agents {
            client.push(format!("like(userAgent, {})", quoted(&format!("%{ua}%"))));
        }
        if client.is_empty() {
            client.push("false()".into());
        }
        let (flow, risk) = if p.device_code {
            let broker = p.broker.as_deref().unwrap_or_default().to_lowercase();
            (
                "authenticationProtocol==\"deviceCode\"".to_string(),
                format!(
                    "if(lower(appId)=={} OR appDisplayName==\"Microsoft Authentication Broker\", {}, {})",
                    quoted(&broker),
                    p.risk_broker,
                    p.risk
                ),
            )
        } else {
            (
                format!(
                    "(lower(resourceId)=={} OR resourceDisplayName==\"Microsoft Graph\")",
                    quoted(crate::GRAPH)
                ),
                p.risk.to_string(),
            )
        };
        Ok(format!(
            "{}| where code=\"0\" AND {flow}\n| where {}\n\
             | eval risk={risk}\n\
             | stats max(risk) as RiskScore values(appDisplayName) as Apps values(ipAddress) as IPList min(_time) as FirstSeen max(_time) as LastSeen by userPrincipalName\n\
             | eval DetectionType=\"{}\"\n",
            base(p.window),
            client.join(" OR "),
            p.detection
        ))
    }

    fn explicit(&self, e: &Explicit, _: &mut Vec<String>) -> Result<String, String> {
        let machine = if e.exclude_machine_subjects {
            "| where NOT like(SubjectUserName, \"%$\")\n"
        } else {
            ""
        };
        Ok(format!(
            "sourcetype=XmlWinEventLog source=\"XmlWinEventLog:Security\" EventCode=4648 earliest=-{}s\n{machine}\
             | where lower(TargetUserName)!=lower(SubjectUserName)\n\
             | eval subject=SubjectDomainName.\"\\\\\".SubjectUserName, target=if(isnull(IpAddress) OR IpAddress==\"-\", TargetServerName, IpAddress), account=lower(TargetUserName)\n\
             | sort 0 _time\n\
             | streamstats time_window={}s dc(account) as AccountCount values(account) as Accounts by subject target\n\
             | where AccountCount>={}\n\
             | stats max(AccountCount) as AccountCount values(Accounts) as Accounts min(_time) as FirstSeen max(_time) as LastSeen by subject target\n\
             | eval DetectionType=\"ExplicitCredentialSpray\", RiskScore={}\n",
            e.lookback, e.window, e.min_accounts, e.risk
        ))
    }

    fn velocity(&self, v: &Velocity, _: &mut Vec<String>) -> Result<String, String> {
        let interactive = if v.interactive_only {
            "| where isInteractive==\"true\" OR isInteractive==1\n"
        } else {
            ""
        };
        Ok(format!(
            "{}| where code=\"0\"\n{interactive}\
             | eval lat='location.geoCoordinates.latitude', lon='location.geoCoordinates.longitude', country='location.countryOrRegion'\n\
             | where isnotnull(lat) AND isnotnull(lon)\n\
             | sort 0 userPrincipalName _time\n\
             | streamstats current=f window=1 last(lat) as plat last(lon) as plon last(_time) as ptime last(country) as pcountry by userPrincipalName\n\
             | where isnotnull(plat)\n\
             | eval km=2*6371*asin(sqrt(pow(sin((lat-plat)*pi()/360), 2)+cos(lat*pi()/180)*cos(plat*pi()/180)*pow(sin((lon-plon)*pi()/360), 2))), hours=(_time-ptime)/3600\n\
             | where km>={:?} AND (hours<=0 OR (km-2*{:?})/hours>{:?})\n\
             | stats count as Legs values(pcountry) as FromCountries values(country) as ToCountries min(ptime) as FirstSeen max(_time) as LastSeen by userPrincipalName\n\
             | eval DetectionType=\"ImpossibleTravel\", RiskScore={}\n",
            base(v.lookback),
            v.min_km,
            v.pad_km,
            v.max_kmh,
            v.risk
        ))
    }
}

fn list_u32(v: &[u32]) -> String {
    v.iter().map(u32::to_string).collect::<Vec<_>>().join(", ")
}

/// The search of a log, then `failure`, `success` (0/1), `user`, `ip` fields.
fn flagged(log: &Log, lookback: u64) -> String {
    match log {
        Log::SignIns {
            excluded,
            correct_password,
            reset_apps,
        } => {
            let mut fail = "code!=\"0\"".to_string();
            let mut ok = "code==\"0\"".to_string();
            if !correct_password.is_empty() {
                fail += &format!(" AND NOT in(code, {})", quoted_list(correct_password));
                ok += &format!(" OR in(code, {})", quoted_list(correct_password));
            }
            if !excluded.is_empty() {
                fail += &format!(" AND NOT in(code, {})", quoted_list(excluded));
            }
            if !reset_apps.is_empty() {
                fail += &format!(" AND NOT in(appDisplayName, {})", quoted_list(reset_apps));
            }
            format!(
                "{}| eval user=userPrincipalName, ip=ipAddress, failure=if({fail}, 1, 0), success=if({ok}, 1, 0)\n",
                base(lookback)
            )
        }
        Log::Windows {
            failures: f,
            success_logon_types,
        } => {
            let mut fail = format!("in(EventCode, {})", list_u32(&f.events));
            if !f.codes.is_empty() {
                fail += &format!(
                    " AND in(lower(coalesce(SubStatus, Status)), {})",
                    quoted_list(&f.codes)
                );
            }
            if !f.logon_types.is_empty() {
                fail += &format!(
                    " AND (EventCode!=4625 OR in(LogonType, {}))",
                    list_u32(&f.logon_types)
                );
            }
            let mut ok = "EventCode==4624".to_string();
            if !success_logon_types.is_empty() {
                ok += &format!(" AND in(LogonType, {})", list_u32(success_logon_types));
            }
            let mut q = format!(
                "sourcetype=XmlWinEventLog source=\"XmlWinEventLog:Security\" earliest=-{lookback}s\n\
                 | eval user=lower(TargetUserName), ip=if(isnull(IpAddress) OR IpAddress==\"-\", WorkstationName, IpAddress)\n"
            );
            if f.exclude_machine {
                q += "| where NOT like(user, \"%$\")\n";
            }
            if f.exclude_anonymous {
                q += "| where user!=\"anonymous logon\"\n";
            }
            q += &format!("| eval failure=if({fail}, 1, 0), success=if({ok}, 1, 0)\n");
            q
        }
        // The diagnostic records of workload identities: `appDisplayName` and `appId` name them.
        Log::Workload { codes } => {
            let failure = if codes.is_empty() {
                "0".to_string()
            } else {
                format!("if(in(code, {}), 1, 0)", quoted_list(codes))
            };
            format!(
                "sourcetype=\"azure:monitor:aad\" (category=ServicePrincipalSignInLogs OR category=ManagedIdentitySignInLogs) earliest=-{lookback}s\n\
                 | rename properties.* as *\n\
                 | eval code=tostring('status.errorCode')\n\
                 | eval user=appDisplayName.\" (app \".appId.\")\", ip=ipAddress, failure={failure}, success=if(code==\"0\", 1, 0)\n"
            )
        }
    }
}

impl Spl {
    pub(crate) fn ordered_query(o: &Ordered) -> String {
        format!(
            "{}| where failure=1 OR success=1\n\
             | eval fail_ip=if(failure=1, ip, null())\n\
             | sort 0 _time\n\
             | streamstats time_window={}s sum(failure) as FailureCount dc(fail_ip) as UniqueIPs values(fail_ip) as IPList by user\n\
             | where success=1 AND FailureCount>={}\n\
             | stats min(_time) as SuccessTime max(FailureCount) as FailureCount max(UniqueIPs) as UniqueIPs values(IPList) as IPList by user\n\
             | eval DetectionType=\"{}\", RiskScore=case(UniqueIPs>{}, {}, UniqueIPs>{}, {}, true(), {})\n",
            flagged(&o.log, o.lookback),
            o.window,
            o.min_failures,
            o.detection,
            o.tiers.0,
            o.risks.0,
            o.tiers.1,
            o.risks.1,
            o.risks.2
        )
    }
}

fn upper(v: &[String]) -> Vec<String> {
    v.iter().map(|x| x.to_uppercase()).collect()
}
