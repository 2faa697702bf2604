//! Google SecOps (Chronicle) YARA-L 2.0 over UDM `USER_LOGIN` events of the `AZURE_AD` parser,
//! whose public field mapping gives: `userPrincipalName` → `target.user.userid`,
//! `properties.status.errorCode` → `security_result.action` (ALLOW/BLOCK) and
//! `security_result.detection_fields["errorCode"]`, `autonomousSystemNumber` →
//! `principal.resource.attribute.labels["autonomousSystemNumber"]`, the place →
//! `principal.location.country_or_region`, `userAgent` → `network.http.user_agent`,
//! `authenticationRequirement` → `additional.fields`; `appDisplayName` → `target.application` (as
//! Google's Azure parsers map it); and, from SecOps' own enrichment,
//! `principal.ip_geo_artifact.network.{asn,organization_name}`.
//!
//! Public rules of the language this follows: chronicle/detection-rules, for example
//! `aws_successful_login_after_multiple_failed_attempts.yaral` (`$fail.security_result.action =
//! "BLOCK"`, `match: $user over 15m`, `outcome:` aggregates) and
//! `gcp_service_account_key_used_from_multiple_countries.yaral` (`count_distinct` of a country).
//! Checked by tree-sitter-yaral's grammar in `make rules-check`; the forms that grammar lacks
//! (`#e` counts, `not` before a comparison, `nocase`) are not used: counts are outcome variables,
//! exclusions are `!=`, case-insensitive names are `re.regex` with `(?i)`.

use crate::{
    Burst, Fatigue, Hosting, IdRisk, Language, Legacy, Log, Ordered, Phishing, Spray, Stuffing,
    Travel, Velocity, any_of, quoted, span,
};

pub(crate) struct Yaral;

/// `meta:` and the common `events:` lines of a rule.
fn head(name: &str, description: &str, severity: &str) -> String {
    format!(
        "rule {name} {{\n  meta:\n    author = \"t1586\"\n    description = {}\n    \
         mitre_attack_technique = \"T1586\"\n    severity = \"{severity}\"\n  events:\n    \
         $e.metadata.event_type = \"USER_LOGIN\"\n    $e.metadata.vendor_name = \"Microsoft\"\n    \
         $e.target.user.userid = $user\n",
        quoted(description)
    )
}

fn severity(risk: u32) -> &'static str {
    match risk {
        90.. => "Critical",
        70..=89 => "High",
        40..=69 => "Medium",
        _ => "Low",
    }
}

/// `over` takes at most 48 hours.
fn over(window: u64, notes: &mut Vec<String>) -> String {
    if window > 48 * 3600 {
        notes.push(format!(
            "Approximated: the window is {window} s; a YARA-L match window is at most 48h."
        ));
        return "48h".into();
    }
    span(window)
}

impl Language for Yaral {
    fn stuffing(&self, s: &Stuffing, notes: &mut Vec<String>) -> String {
        // Two event variables joined on the identity: the failures `$f` and the successes `$s`,
        // so the distinct addresses are the failures' own, as the detector counts them.
        let mut q = format!(
            "rule t1586_credential_stuffing {{\n  meta:\n    author = \"t1586\"\n    \
             description = \"Failures and a success for one identity (t1586 CredentialStuffing)\"\n    \
             mitre_attack_technique = \"T1586\"\n    severity = \"{}\"\n  events:\n",
            severity(s.risks.0)
        );
        for (v, action) in [("f", "BLOCK"), ("s", "ALLOW")] {
            q += &format!(
                "    ${v}.metadata.event_type = \"USER_LOGIN\"\n    ${v}.metadata.vendor_name = \"Microsoft\"\n    \
                 ${v}.security_result.action = \"{action}\"\n    ${v}.target.user.userid = $user\n"
            );
        }
        for code in &s.excluded {
            q += &format!(
                "    $f.security_result.detection_fields[\"errorCode\"] != {}\n",
                quoted(code)
            );
        }
        q += &format!(
            "  match:\n    $user over {}\n  outcome:\n    \
             $failures = count_distinct($f.metadata.id)\n    \
             $successes = count_distinct($s.metadata.id)\n    \
             $unique_ips = count_distinct($f.principal.ip)\n    \
             $risk_score = max(if($unique_ips > {}, {}, if($unique_ips > {}, {}, {})))\n    \
             $ip_list = array_distinct($f.principal.ip)\n    \
             $countries = array_distinct($s.principal.location.country_or_region)\n    \
             $first_seen = min($f.metadata.event_timestamp.seconds)\n    \
             $last_seen = max($s.metadata.event_timestamp.seconds)\n  \
             condition:\n    $f and $s and $failures >= {} and $successes >= {}\n}}\n",
            over(s.window, notes),
            s.tiers.0,
            s.risks.0,
            s.tiers.1,
            s.risks.1,
            s.risks.2,
            s.min_failures,
            s.min_successes
        );
        q
    }

    fn travel(&self, t: &Travel, notes: &mut Vec<String>) -> String {
        notes.push(format!(
            "Approximated: YARA-L's match windows of {} hop over time; the detector's bins are aligned to the epoch, so two countries either side of a bin boundary are flagged here and not there.",
            span(t.bin)
        ));
        format!(
            "{}    $e.security_result.action = \"ALLOW\"\n    \
             $e.principal.location.country_or_region != \"\"\n  \
             match:\n    $user over {}\n  outcome:\n    \
             $unique_countries = count_distinct($e.principal.location.country_or_region)\n    \
             $risk_score = max({})\n    \
             $countries = array_distinct($e.principal.location.country_or_region)\n    \
             $ip_list = array_distinct($e.principal.ip)\n    \
             $first_seen = min($e.metadata.event_timestamp.seconds)\n    \
             $last_seen = max($e.metadata.event_timestamp.seconds)\n  \
             condition:\n    $e and $unique_countries >= {}\n}}\n",
            head(
                "t1586_impossible_travel",
                "Successful sign-ins of one identity from several countries (t1586 ImpossibleTravel)",
                severity(t.risk),
            ),
            over(t.bin, notes),
            t.risk,
            t.min_countries
        )
    }

    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String {
        let mut any = Vec::new();
        if !h.asn_names.is_empty() {
            any.push(format!(
                "re.regex($e.principal.ip_geo_artifact.network.organization_name, `(?i){}`)",
                any_of(&h.asn_names)
            ));
        }
        for n in &h.asn_numbers {
            any.push(format!(
                "$e.principal.resource.attribute.labels[\"autonomousSystemNumber\"] = \"{n}\""
            ));
            any.push(format!(
                "$e.principal.ip_geo_artifact.network.asn = \"{n}\""
            ));
        }
        for r in h.ranges(notes) {
            any.push(format!(
                "net.ip_in_range_cidr($e.principal.ip, {})",
                quoted(&r)
            ));
        }
        if any.is_empty() {
            // Nothing to match on: a rule that says so rather than one that matches every success.
            any.push("$e.principal.ip = \"t1586: no hosting network configured\"".into());
        }
        format!(
            "{}    $e.security_result.action = \"ALLOW\"\n    ({})\n  \
             match:\n    $user over {}\n  outcome:\n    \
             $risk_score = max({})\n    \
             $ip_list = array_distinct($e.principal.ip)\n    \
             $networks = array_distinct($e.principal.ip_geo_artifact.network.organization_name)\n    \
             $first_seen = min($e.metadata.event_timestamp.seconds)\n    \
             $last_seen = max($e.metadata.event_timestamp.seconds)\n  \
             condition:\n    $e\n}}\n",
            head(
                "t1586_hosting_infrastructure",
                "Successful sign-ins from hosting networks (t1586 SuspiciousInfrastructure)",
                severity(h.risk),
            ),
            any.join("\n      or "),
            over(h.window, notes),
            h.risk
        )
    }

    fn ordered(&self, o: &Ordered, notes: &mut Vec<String>) -> Result<String, String> {
        let Log::SignIns {
            excluded,
            correct_password,
            reset_apps,
        } = &o.log
        else {
            return Err(o.log.not_written(WINDOWS, WORKLOAD));
        };
        notes.push("Approximated: the success may be a correct password stopped by MFA only through its error code (the 'Correct Password' detail is not a documented UDM field).".into());
        let mut q = format!(
            "rule t1586_failures_then_success {{\n  meta:\n    author = \"t1586\"\n    \
             description = \"Failures, then a success or a correct password, for one identity (t1586 {})\"\n    \
             mitre_attack_technique = \"T1586\"\n    severity = \"{}\"\n  events:\n",
            o.detection,
            severity(o.risks.0)
        );
        for v in ["f", "s"] {
            q += &format!(
                "    ${v}.metadata.event_type = \"USER_LOGIN\"\n    ${v}.metadata.vendor_name = \"Microsoft\"\n    \
                 ${v}.target.user.userid = $user\n"
            );
        }
        q += "    $f.security_result.action = \"BLOCK\"\n";
        for code in correct_password.iter().chain(excluded) {
            q += &format!(
                "    $f.security_result.detection_fields[\"errorCode\"] != {}\n",
                quoted(code)
            );
        }
        for app in reset_apps {
            q += &format!("    $f.target.application != {}\n", quoted(app));
        }
        if correct_password.is_empty() {
            q += "    $s.security_result.action = \"ALLOW\"\n";
        } else {
            let codes: Vec<String> = correct_password
                .iter()
                .map(|c| {
                    format!(
                        "$s.security_result.detection_fields[\"errorCode\"] = {}",
                        quoted(c)
                    )
                })
                .collect();
            q += &format!(
                "    ($s.security_result.action = \"ALLOW\"\n      or {})\n",
                codes.join("\n      or ")
            );
        }
        q += "    $f.metadata.event_timestamp.seconds < $s.metadata.event_timestamp.seconds\n";
        q += &format!(
            "  match:\n    $user over {}\n  outcome:\n    \
             $failures = count_distinct($f.metadata.id)\n    \
             $unique_ips = count_distinct($f.principal.ip)\n    \
             $risk_score = max(if($unique_ips > {}, {}, if($unique_ips > {}, {}, {})))\n    \
             $ip_list = array_distinct($f.principal.ip)\n    \
             $first_seen = min($f.metadata.event_timestamp.seconds)\n    \
             $success_at = min($s.metadata.event_timestamp.seconds)\n  \
             condition:\n    $f and $s and $failures >= {}\n}}\n",
            over(o.window, notes),
            o.tiers.0,
            o.risks.0,
            o.tiers.1,
            o.risks.1,
            o.risks.2,
            o.min_failures
        );
        Ok(q)
    }

    fn spray(&self, sp: &Spray, notes: &mut Vec<String>) -> Result<String, String> {
        let Log::SignIns {
            correct_password,
            reset_apps,
            ..
        } = &sp.log
        else {
            return Err(sp.log.not_written(WINDOWS, WORKLOAD));
        };
        let mut q = format!(
            "rule t1586_password_spray {{\n  meta:\n    author = \"t1586\"\n    \
             description = \"Failed sign-ins of many identities from one address (t1586 {})\"\n    \
             mitre_attack_technique = \"T1110.003\"\n    severity = \"{}\"\n  events:\n    \
             $e.metadata.event_type = \"USER_LOGIN\"\n    $e.metadata.vendor_name = \"Microsoft\"\n    \
             $e.security_result.action = \"BLOCK\"\n    $e.principal.ip = $ip\n",
            sp.detection,
            severity(sp.risk)
        );
        for code in correct_password {
            q += &format!(
                "    $e.security_result.detection_fields[\"errorCode\"] != {}\n",
                quoted(code)
            );
        }
        for app in reset_apps {
            q += &format!("    $e.target.application != {}\n", quoted(app));
        }
        q += &format!(
            "  match:\n    $ip over {}\n  outcome:\n    \
             $identity_count = count_distinct($e.target.user.userid)\n    \
             $identities = array_distinct($e.target.user.userid)\n    \
             $risk_score = max({})\n  \
             condition:\n    $e and $identity_count >= {}\n}}\n",
            over(sp.window, notes),
            sp.risk,
            sp.min_identities
        );
        Ok(q)
    }

    fn legacy(&self, l: &Legacy, notes: &mut Vec<String>) -> Result<String, String> {
        if l.user_agents.is_empty() {
            return Err("the AZURE_AD parser's documented UDM fields do not include the client app; only the password-grant user agents can be matched, and none are configured".into());
        }
        notes.push(format!(
            "Approximated: the ROPC user agents only; the legacy client apps ({}) are not a documented UDM field of the AZURE_AD parser.",
            l.client_apps.join(", ")
        ));
        let mut q = format!(
            "{}    $e.security_result.action = \"ALLOW\"\n    re.regex($e.network.http.user_agent, `(?i){}`)\n",
            head(
                "t1586_legacy_protocol_success",
                "A single-factor success through the password grant (t1586 LegacyProtocolSuccess)",
                severity(l.risk),
            ),
            any_of(&l.user_agents)
        );
        if l.single_factor_only {
            q += "    $e.additional.fields[\"authenticationRequirement\"] != \"multiFactorAuthentication\"\n";
        }
        q += &format!(
            "  match:\n    $user over {}\n  outcome:\n    \
             $risk_score = max({})\n    \
             $ip_list = array_distinct($e.principal.ip)\n    \
             $user_agents = array_distinct($e.network.http.user_agent)\n  \
             condition:\n    $e\n}}\n",
            over(l.window, notes),
            l.risk
        );
        Ok(q)
    }

    fn burst(&self, b: &Burst, notes: &mut Vec<String>) -> Result<String, String> {
        let Log::SignIns {
            excluded,
            correct_password,
            reset_apps,
        } = &b.log
        else {
            return Err(b.log.not_written(WINDOWS, WORKLOAD));
        };
        b.note(notes);
        let mut q = format!(
            "{}    $e.security_result.action = \"BLOCK\"\n",
            head(
                "t1586_brute_force_attempt",
                "Failed sign-ins of one identity in a burst (t1586 BruteForceAttempt)",
                severity(b.risk),
            )
        );
        for code in correct_password.iter().chain(excluded) {
            q += &format!(
                "    $e.security_result.detection_fields[\"errorCode\"] != {}\n",
                quoted(code)
            );
        }
        for app in reset_apps {
            q += &format!("    $e.target.application != {}\n", quoted(app));
        }
        q += &format!(
            "  match:\n    $user over {}\n  outcome:\n    \
             $failures = count_distinct($e.metadata.id)\n    \
             $risk_score = max({})\n    \
             $ip_list = array_distinct($e.principal.ip)\n  \
             condition:\n    $e and $failures >= {}\n}}\n",
            over(b.window, notes),
            b.risk,
            b.min_failures
        );
        Ok(q)
    }

    fn id_risk(&self, r: &IdRisk, notes: &mut Vec<String>) -> Result<String, String> {
        r.note(notes);
        r.types_note(notes);
        let mut any = Vec::new();
        for l in &r.levels {
            any.push(format!(
                "$e.security_result.detection_fields[\"riskLevelDuringSignIn\"] = {}",
                quoted(l)
            ));
            any.push(format!(
                "$e.security_result.detection_fields[\"riskLevelAggregated\"] = {}",
                quoted(l)
            ));
        }
        any.push(
            "$e.security_result.detection_fields[\"riskState\"] = \"confirmedCompromised\"".into(),
        );
        let mut q = format!(
            "{}    ({})\n",
            head(
                "t1586_identity_protection",
                "Entra ID Protection's own risk verdicts on a sign-in (t1586 IdentityProtectionRisk)",
                severity(r.risk_high),
            ),
            any.join("\n      or ")
        );
        for c in &r.cleared_states {
            q += &format!(
                "    $e.security_result.detection_fields[\"riskState\"] != {}\n",
                quoted(c)
            );
        }
        q += &format!(
            "  match:\n    $user over {}\n  outcome:\n    \
             $risk_score = max(if($e.security_result.detection_fields[\"riskLevelDuringSignIn\"] = \"high\", {}, {}))\n    \
             $ip_list = array_distinct($e.principal.ip)\n  \
             condition:\n    $e\n}}\n",
            over(r.window, notes),
            r.risk_high,
            r.risk_other
        );
        Ok(q)
    }

    fn fatigue(&self, f: &Fatigue, notes: &mut Vec<String>) -> Result<String, String> {
        notes.push(format!(
            "Approximated: the success may come any time within the window after the denials (the detector wants it within {} s of the last).",
            f.success_within
        ));
        let codes: Vec<String> = f
            .denial_codes
            .iter()
            .map(|c| {
                format!(
                    "$d.security_result.detection_fields[\"errorCode\"] = {}",
                    quoted(c)
                )
            })
            .collect();
        let mut q = format!(
            "rule t1586_mfa_fatigue {{\n  meta:\n    author = \"t1586\"\n    \
             description = \"Denied MFA prompts, then a success, for one identity (t1586 MfaFatigue)\"\n    \
             mitre_attack_technique = \"T1621\"\n    severity = \"{}\"\n  events:\n",
            severity(f.risk)
        );
        for v in ["d", "s"] {
            q += &format!(
                "    ${v}.metadata.event_type = \"USER_LOGIN\"\n    ${v}.metadata.vendor_name = \"Microsoft\"\n    \
                 ${v}.target.user.userid = $user\n"
            );
        }
        q += &format!(
            "    ({})\n    $s.security_result.action = \"ALLOW\"\n    \
             $d.metadata.event_timestamp.seconds < $s.metadata.event_timestamp.seconds\n  \
             match:\n    $user over {}\n  outcome:\n    \
             $denials = count_distinct($d.metadata.id)\n    \
             $risk_score = max({})\n  \
             condition:\n    $d and $s and $denials > {}\n}}\n",
            codes.join("\n      or "),
            over(f.window, notes),
            f.risk,
            f.max_denials
        );
        Ok(q)
    }

    fn phishing(&self, p: &Phishing, notes: &mut Vec<String>) -> Result<String, String> {
        if p.device_code {
            return Err("the AZURE_AD parser's documented UDM fields do not include the authentication protocol (the device-code flow)".into());
        }
        p.note(notes);
        let mut client = Vec::new();
        for c in &p.clients {
            client.push(format!(
                "$e.principal.user.product_object_id = {}",
                quoted(c)
            ));
        }
        if !p.user_agents.is_empty() {
            client.push(format!(
                "re.regex($e.network.http.user_agent, `(?i){}`)",
                any_of(&p.user_agents)
            ));
        }
        if client.is_empty() {
            return Err("no OAuth client or user agent is configured".into());
        }
        Ok(format!(
            "{}    $e.security_result.action = \"ALLOW\"\n    $e.target.resource.name = \"Microsoft Graph\"\n    ({})\n  \
             match:\n    $user over {}\n  outcome:\n    \
             $risk_score = max({})\n    \
             $ip_list = array_distinct($e.principal.ip)\n  \
             condition:\n    $e\n}}\n",
            head(
                "t1586_oauth_client_phishing",
                "A first-party public client's Graph sign-in, the code phished (t1586 OAuthClientPhishing)",
                severity(p.risk),
            ),
            client.join("\n      or "),
            over(p.window, notes),
            p.risk
        ))
    }

    fn replay(&self, r: &crate::Replay, _: &mut Vec<String>) -> Result<String, String> {
        Err(r.not("the AZURE_AD parser's documented UDM fields include neither the session id nor whether a sign-in was interactive"))
    }

    fn velocity(&self, _: &Velocity, _: &mut Vec<String>) -> Result<String, String> {
        Err("not written yet: YARA-L joins two sign-ins, but not only consecutive ones, and its distance function was not checked against the grammar".into())
    }
}

/// Why the Windows detections have no YARA-L rule yet.
const WINDOWS: &str = "not written yet for YARA-L: the WINEVTLOG parser's UDM fields for the logon status and type are not pinned against a public sample";

/// Why the workload identities' detections have no YARA-L rule yet.
const WORKLOAD: &str = "not written yet for YARA-L: how the AZURE_AD parser maps service-principal and managed-identity sign-ins to UDM is not documented";
