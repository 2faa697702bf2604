//! Elastic ES|QL over the Azure integration's sign-in documents (`logs-azure.signinlogs-*`): ECS
//! fields (`@timestamp`, `source.ip`, `source.as.*`, `geo.country_iso_code`: Entra's own place) and
//! the sign-in's under `azure.signinlogs.*`. Unlike EQL, ES|QL aggregates (`STATS ... BY`), so the
//! counts, distinct countries and risk tiers are written as the detector computes them.
//! The Windows detections read `logs-system.security-*` (`event.code`, `user.name`, `source.ip`,
//! `winlog.event_data.*`). ES|QL has no per-row windows: ordered runs and sprays are counted in
//! bins of the window's length.
//!
//! Public rules of the language this follows: Elastic's detection-rules `rules/integrations/azure/`
//! ES|QL rules (for example "Entra ID User Sign-in with Unusual Client" and the
//! "... Brute Force ..." ones: `FROM logs-azure.signinlogs-* | WHERE ... | STATS ... BY ...`).

use crate::{
    Burst, Explicit, Fatigue, Hosting, IdRisk, Language, Legacy, Log, Ordered, Phishing, Replay,
    ReplayPattern, Spray, Stuffing, Travel, Watched, WinFailures, lower, quoted, quoted_list,
};

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

    fn ordered(&self, o: &Ordered, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Approximated: failures and a success in the same {} s bin, in any order (ES|QL has no per-row windows); the detector needs the failures before the success, within {} s of it.",
            o.window, o.window
        ));
        let l = logged(&o.log, notes);
        Ok(format!(
            "{from}\n| WHERE @timestamp > NOW() - {lookback} seconds\n\
             | EVAL failure = CASE({fail}, 1, 0), success = CASE({ok}, 1, 0),\n    \
             fail_ip = CASE({fail}, source.ip, null)\n\
             | WHERE failure == 1 OR success == 1\n\
             | EVAL Bin = DATE_TRUNC({window} seconds, @timestamp)\n\
             | STATS FailureCount = SUM(failure), SuccessCount = SUM(success), UniqueIPs = COUNT_DISTINCT(fail_ip),\n    \
             IPList = VALUES(fail_ip), FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp) BY {user}, Bin\n\
             | WHERE FailureCount >= {min} AND SuccessCount >= 1\n\
             | EVAL DetectionType = \"{det}\",\n    \
             RiskScore = CASE(UniqueIPs > {t0}, {r0}, UniqueIPs > {t1}, {r1}, {r2})\n",
            from = l.from,
            lookback = o.lookback,
            fail = l.failure,
            ok = l.success,
            window = o.window,
            user = l.user,
            min = o.min_failures,
            det = o.detection,
            t0 = o.tiers.0,
            r0 = o.risks.0,
            t1 = o.tiers.1,
            r1 = o.risks.1,
            r2 = o.risks.2,
        ))
    }

    fn spray(&self, s: &Spray, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Approximated: bins of {} s aligned to the epoch, where the detector slides its window.",
            s.window
        ));
        let l = logged(&s.log, notes);
        Ok(format!(
            "{from}\n| WHERE @timestamp > NOW() - {lookback} seconds\n\
             | WHERE {fail}\n\
             | EVAL Source = {source}, Bin = DATE_TRUNC({window} seconds, @timestamp)\n\
             | WHERE Source IS NOT NULL\n\
             | STATS IdentityCount = COUNT_DISTINCT({user}), Identities = VALUES({user}), FirstSeen = MIN(@timestamp),\n    \
             LastSeen = MAX(@timestamp) BY Source, Bin\n\
             | WHERE IdentityCount >= {min}\n\
             | EVAL DetectionType = \"{det}\", RiskScore = {risk}\n",
            from = l.from,
            lookback = s.lookback,
            fail = l.failure,
            source = l.source,
            window = s.window,
            user = l.user,
            min = s.min_identities,
            det = s.detection,
            risk = s.risk,
        ))
    }

    fn legacy(&self, l: &Legacy, _: &mut Vec<String>) -> Result<String, String> {
        let mut any = Vec::new();
        if !l.client_apps.is_empty() {
            any.push(format!(
                "azure.signinlogs.properties.client_app_used IN ({})",
                quoted_list(&l.client_apps)
            ));
        }
        for ua in &l.user_agents {
            any.push(format!(
                "user_agent.original LIKE {}",
                quoted(&format!("*{ua}*"))
            ));
        }
        if any.is_empty() {
            any.push("false".into());
        }
        let mut q = format!(
            "{FROM}\n| WHERE @timestamp > NOW() - {} seconds AND {CODE} == \"0\"\n| WHERE {}\n",
            l.window,
            any.join("\n    OR ")
        );
        if l.single_factor_only {
            q += "| WHERE COALESCE(azure.signinlogs.properties.authentication_requirement, \"\") != \"multiFactorAuthentication\"\n";
        }
        q += &format!(
            "| STATS SuccessCount = COUNT(*), IPList = VALUES(source.ip), Apps = VALUES(azure.signinlogs.properties.client_app_used),\n    \
             FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp) BY {USER}\n\
             | EVAL DetectionType = \"LegacyProtocolSuccess\", RiskScore = {}\n",
            l.risk
        );
        Ok(q)
    }

    fn replay(&self, r: &Replay, _: &mut Vec<String>) -> Result<String, String> {
        match &r.pattern {
            ReplayPattern::Session { min_networks } => Ok(format!(
                "{FROM}\n| WHERE @timestamp > NOW() - {} seconds AND {CODE} == \"0\"\n\
                 | WHERE azure.signinlogs.properties.session_id IS NOT NULL AND azure.signinlogs.properties.session_id != \"\"\n\
                 | STATS Countries = COUNT_DISTINCT(geo.country_iso_code), ASNs = COUNT_DISTINCT(source.as.number),\n    \
                 IPList = VALUES(source.ip), FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp)\n    \
                 BY azure.signinlogs.properties.session_id, {USER}\n\
                 | WHERE Countries >= {min_networks} OR ASNs >= {min_networks}\n\
                 | EVAL DetectionType = \"TokenReplay\", Pattern = \"{}\", RiskScore = {}\n",
                r.window,
                r.name(),
                r.risk
            )),
            ReplayPattern::Graph { .. } => Err(
                r.not("not written yet: ES|QL has no function for an address's /24 or /48 network")
            ),
            ReplayPattern::Scripted { .. } | ReplayPattern::Kit { .. } => Err(r.not(Replay::PAIRS)),
            ReplayPattern::MfaClaim { .. } => Err(r.not(Replay::HISTORY)),
        }
    }

    fn watched(&self, w: &Watched, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(WORKLOAD_NOTE.into());
        let countries: Vec<String> = w.countries.iter().map(|c| c.to_uppercase()).collect();
        Ok(format!(
            "{FROM}\n| WHERE @timestamp > NOW() - {} seconds AND {CODE} == \"0\"\n\
             | WHERE azure.signinlogs.category IN ({}) AND TO_UPPER(geo.country_iso_code) IN ({})\n\
             | STATS SuccessCount = COUNT(*), Countries = VALUES(geo.country_iso_code), IPList = VALUES(source.ip),\n    \
             FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp) BY azure.signinlogs.properties.app_id\n\
             | EVAL DetectionType = \"WorkloadWatchedLocation\", RiskScore = {}\n",
            w.window,
            workload_categories(),
            quoted_list(&countries),
            w.risk
        ))
    }

    fn burst(&self, b: &Burst, notes: &mut Vec<String>) -> Result<String, String> {
        b.note(notes);
        notes.push(format!(
            "Approximated: bins of {} s aligned to the epoch, where the detector slides its window.",
            b.window
        ));
        let l = logged(&b.log, notes);
        Ok(format!(
            "{from}\n| WHERE @timestamp > NOW() - {lookback} seconds\n\
             | WHERE {fail}\n\
             | EVAL Bin = DATE_TRUNC({window} seconds, @timestamp)\n\
             | STATS FailureCount = COUNT(*), UniqueIPs = COUNT_DISTINCT(source.ip), FirstSeen = MIN(@timestamp),\n    \
             LastSeen = MAX(@timestamp) BY {user}, Bin\n\
             | WHERE FailureCount >= {min}\n\
             | EVAL DetectionType = \"{det}\", RiskScore = {risk}\n",
            det = b.detection,
            from = l.from,
            lookback = b.lookback,
            fail = l.failure,
            window = b.window,
            user = l.user,
            min = b.min_failures,
            risk = b.risk,
        ))
    }

    fn id_risk(&self, r: &IdRisk, notes: &mut Vec<String>) -> Result<String, String> {
        r.note(notes);
        notes.push("Approximated: any risk event type counts, but a high-risk type scores as the record's level does.".into());
        const P: &str = "azure.signinlogs.properties";
        let mut q = format!(
            "{FROM}\n| WHERE @timestamp > NOW() - {} seconds\n\
             | EVAL Level = CASE({P}.risk_level_during_signin == \"high\" OR {P}.risk_level_aggregated == \"high\", \"high\",\n    \
             {P}.risk_level_during_signin == \"medium\" OR {P}.risk_level_aggregated == \"medium\", \"medium\",\n    \
             {P}.risk_level_during_signin == \"low\" OR {P}.risk_level_aggregated == \"low\", \"low\", \"none\"),\n    \
             State = COALESCE({P}.risk_state, \"\"), Types = MV_COUNT({P}.risk_event_types_v2)\n",
            r.window
        );
        if !r.cleared_states.is_empty() {
            q += &format!(
                "| WHERE State NOT IN ({})\n",
                quoted_list(&r.cleared_states)
            );
        }
        q += &format!(
            "| WHERE Level IN ({}) OR State == \"confirmedCompromised\" OR Types > 0\n\
             | EVAL Risk = CASE(Level == \"high\" OR State == \"confirmedCompromised\", {}, Level == \"low\", {}, {})\n\
             | STATS RiskScore = MAX(Risk), IPList = VALUES(source.ip), FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp) BY {USER}\n\
             | EVAL DetectionType = \"IdentityProtectionRisk\"\n",
            quoted_list(&r.levels),
            r.risk_high,
            r.risk_low,
            r.risk_other
        );
        Ok(q)
    }

    fn fatigue(&self, f: &Fatigue, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Approximated: denials and a success in the same {} s bin, in any order (the detector wants the success within {} s after the last denial).",
            f.window, f.success_within
        ));
        Ok(format!(
            "{FROM}\n| WHERE @timestamp > NOW() - {} seconds\n\
             | EVAL denial = CASE({CODE} IN ({}), 1, 0), success = CASE({CODE} == \"0\", 1, 0)\n\
             | WHERE denial == 1 OR success == 1\n\
             | EVAL Bin = DATE_TRUNC({} seconds, @timestamp)\n\
             | STATS Denials = SUM(denial), Successes = SUM(success), FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp) BY {USER}, Bin\n\
             | WHERE Denials > {} AND Successes >= 1\n\
             | EVAL DetectionType = \"MfaFatigue\", RiskScore = {}\n",
            f.lookback,
            quoted_list(&f.denial_codes),
            f.window,
            f.max_denials,
            f.risk
        ))
    }

    fn phishing(&self, p: &Phishing, notes: &mut Vec<String>) -> Result<String, String> {
        p.note(notes);
        const P: &str = "azure.signinlogs.properties";
        let mut client = Vec::new();
        if !p.clients.is_empty() {
            client.push(format!(
                "TO_LOWER({P}.app_id) IN ({})",
                quoted_list(&lower(&p.clients))
            ));
        }
        if !p.client_names.is_empty() {
            client.push(format!(
                "{P}.app_display_name IN ({})",
                quoted_list(&p.client_names)
            ));
        }
        for ua in &p.user_agents {
            client.push(format!(
                "user_agent.original LIKE {}",
                quoted(&format!("*{ua}*"))
            ));
        }
        if client.is_empty() {
            client.push("false".into());
        }
        let (flow, risk) = if p.device_code {
            let broker = p.broker.as_deref().unwrap_or_default().to_lowercase();
            (
                format!("{P}.authentication_protocol == \"deviceCode\""),
                format!(
                    "CASE(TO_LOWER({P}.app_id) == {} OR {P}.app_display_name == \"Microsoft Authentication Broker\", {}, {})",
                    quoted(&broker),
                    p.risk_broker,
                    p.risk
                ),
            )
        } else {
            (
                format!(
                    "(TO_LOWER({P}.resource_id) == {} OR {P}.resource_display_name == \"Microsoft Graph\")",
                    quoted(crate::GRAPH)
                ),
                p.risk.to_string(),
            )
        };
        Ok(format!(
            "{FROM}\n| WHERE @timestamp > NOW() - {} seconds AND {CODE} == \"0\" AND {flow}\n\
             | WHERE {}\n\
             | EVAL Risk = {risk}\n\
             | STATS RiskScore = MAX(Risk), IPList = VALUES(source.ip), FirstSeen = MIN(@timestamp), LastSeen = MAX(@timestamp) BY {USER}\n\
             | EVAL DetectionType = \"{}\"\n",
            p.window,
            client.join("\n    OR "),
            p.detection
        ))
    }

    fn explicit(&self, e: &Explicit, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Approximated: bins of {} s aligned to the epoch, where the detector slides its window. Index: logs-system.security-*.",
            e.window
        ));
        const D: &str = "winlog.event_data";
        let machine = if e.exclude_machine_subjects {
            format!(" AND NOT ENDS_WITH({D}.SubjectUserName, \"$\")")
        } else {
            String::new()
        };
        Ok(format!(
            "FROM logs-system.security-*\n| WHERE @timestamp > NOW() - {} seconds AND event.code == \"4648\"{machine}\n\
             | WHERE TO_LOWER({D}.TargetUserName) != TO_LOWER({D}.SubjectUserName)\n\
             | EVAL Subject = CONCAT({D}.SubjectDomainName, \"\\\\\", {D}.SubjectUserName),\n    \
             Target = COALESCE(TO_STRING(source.ip), {D}.TargetServerName), Account = TO_LOWER({D}.TargetUserName),\n    \
             Bin = DATE_TRUNC({} seconds, @timestamp)\n\
             | STATS AccountCount = COUNT_DISTINCT(Account), Accounts = VALUES(Account), FirstSeen = MIN(@timestamp),\n    \
             LastSeen = MAX(@timestamp) BY Subject, Target, Bin\n\
             | WHERE AccountCount >= {}\n\
             | EVAL DetectionType = \"ExplicitCredentialSpray\", RiskScore = {}\n",
            e.lookback, e.window, e.min_accounts, e.risk
        ))
    }
}

/// A log as ES|QL reads it: the index, the identity, the source, the failure and success tests.
struct Logged {
    from: &'static str,
    user: &'static str,
    source: &'static str,
    failure: String,
    success: String,
}

fn strings(v: &[u32]) -> Vec<String> {
    v.iter().map(u32::to_string).collect()
}

fn win_exclusions(f: &WinFailures) -> String {
    let mut out = String::new();
    if f.exclude_machine {
        out += " AND NOT ENDS_WITH(user.name, \"$\")";
    }
    if f.exclude_anonymous {
        out += " AND user.name != \"ANONYMOUS LOGON\"";
    }
    out
}

fn logged(log: &Log, notes: &mut Vec<String>) -> Logged {
    match log {
        Log::SignIns {
            excluded,
            correct_password,
            reset_apps,
        } => {
            let mut fail = format!("{CODE} != \"0\"");
            let mut ok = format!("{CODE} == \"0\"");
            if !correct_password.is_empty() {
                fail += &format!(" AND {CODE} NOT IN ({})", quoted_list(correct_password));
                ok += &format!(" OR {CODE} IN ({})", quoted_list(correct_password));
            }
            if !excluded.is_empty() {
                fail += &format!(" AND {CODE} NOT IN ({})", quoted_list(excluded));
            }
            if !reset_apps.is_empty() {
                fail += &format!(
                    " AND COALESCE(azure.signinlogs.properties.app_display_name, \"\") NOT IN ({})",
                    quoted_list(reset_apps)
                );
            }
            Logged {
                from: FROM,
                user: USER,
                source: "TO_STRING(source.ip)",
                failure: fail,
                success: ok,
            }
        }
        Log::Windows {
            failures: f,
            success_logon_types,
        } => {
            notes.push(
                "Index: logs-system.security-* (Elastic's System integration; winlog.* fields)."
                    .into(),
            );
            let mut fail = format!("event.code IN ({})", quoted_list(&strings(&f.events)));
            if !f.codes.is_empty() {
                fail += &format!(
                    " AND TO_LOWER(COALESCE(winlog.event_data.SubStatus, winlog.event_data.Status)) IN ({})",
                    quoted_list(&f.codes)
                );
            }
            if !f.logon_types.is_empty() {
                fail += &format!(
                    " AND (event.code != \"4625\" OR winlog.event_data.LogonType IN ({}))",
                    quoted_list(&strings(&f.logon_types))
                );
            }
            fail += &win_exclusions(f);
            let mut ok = "event.code == \"4624\"".to_string();
            if !success_logon_types.is_empty() {
                ok += &format!(
                    " AND winlog.event_data.LogonType IN ({})",
                    quoted_list(&strings(success_logon_types))
                );
            }
            ok += &win_exclusions(f);
            Logged {
                from: "FROM logs-system.security-*",
                user: "user.name",
                source: "COALESCE(TO_STRING(source.ip), winlog.event_data.WorkstationName)",
                failure: fail,
                success: ok,
            }
        }
        Log::Workload { codes } => {
            notes.push(WORKLOAD_NOTE.into());
            let workload = format!("azure.signinlogs.category IN ({})", workload_categories());
            Logged {
                from: FROM,
                user: "azure.signinlogs.properties.app_id",
                source: "TO_STRING(source.ip)",
                failure: format!("{workload} AND {CODE} IN ({})", quoted_list(codes)),
                success: format!("{workload} AND {CODE} == \"0\""),
            }
        }
    }
}

/// The categories of workload identities' sign-ins in the `azure.signinlogs` data stream, as a
/// quoted list (EQL and ES|QL write lists alike).
pub(crate) fn workload_categories() -> String {
    quoted_list(&[
        "ServicePrincipalSignInLogs".to_string(),
        "ManagedIdentitySignInLogs".to_string(),
    ])
}

/// What a workload rule over Elastic's sign-in data stream says.
pub(crate) const WORKLOAD_NOTE: &str = "Workload identities (the ServicePrincipalSignInLogs and ManagedIdentitySignInLogs categories) are keyed by application id; the detector names them `name (app <id>)`.";
