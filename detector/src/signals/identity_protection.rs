//! **Identity-provider risk pass-through** (default profile): what the identity provider already
//! concluded about a sign-in or an identity — Entra ID Protection's risk event types and level,
//! Okta ThreatInsight and user reports, Google Workspace's warnings, CloudTrail's root and
//! password-only console sign-ins — becomes evidence and raises the identity's risk, for users and
//! workload identities (service principals, managed identities) alike.
//!
//! The readers write every provider's verdicts as risk event types: Entra's own names; Okta's
//! `security.threat.detected`, `user.account.report_suspicious_activity_by_enduser`,
//! `app.oauth2.token.detect_reuse`, `threatSuspected`, `anonymizedIPAddress`
//! (`securityContext.isProxy`), `phishingAttemptBlocked` (FastPass); Google's `is_suspicious`
//! and its account warnings by name (`suspicious_login`, `gov_attack_warning`,
//! `account_disabled_password_leak`, …); AWS `rootConsoleLogin`, `consoleLoginWithoutMfa`. The
//! verdicts that are not sign-ins (Okta's threat events, Google's warnings) reach only this signal.
//!
//! Logic: any record (success or not) opens (or joins) one alert per identity per window when
//! * it carries `riskEventTypes` / `riskEventTypes_v2` other than `none`: risk `risk_high` (80)
//!   when a type is in `high_types` (maliciousIPAddress, attackerinTheMiddle, anomalousToken,
//!   tokenIssuerAnomaly, passwordSpray, leakedCredentials, …), else `risk_other` (60); or
//! * its risk level (the higher of `riskLevelDuringSignIn` and `riskLevelAggregated`) is at least
//!   `min_level` (`medium`): `high` → `risk_high` (80), `medium` → `risk_other` (60), `low` →
//!   `risk_low` (40, only when `min_level` is `low`); or
//! * its risk state is `confirmedCompromised`: `risk_high`.
//!
//! A record whose risk state is in `cleared_states` (`dismissed`, `remediated`, `confirmedSafe`:
//! an administrator or a remediation cleared it) raises nothing. `Details.RiskEventTypes`,
//! `Details.RiskLevel`, `Details.RiskState` say what was seen; a workload identity's alert says
//! so in `Details.IdentityKind`.
//!
//! Anchors: Microsoft Entra ID Protection risk detections and workload-identity risk; Sentinel
//! "Entra ID Protection" connector rules; Panther "Azure RiskLevel Passthrough", "Azure High Risk
//! Sign-In"; Sumo Logic "Azure - High Risk Sign-In (Aggregate)"; MITRE ATT&CK T1586, T1078.
//!
//! Known false positives: whatever ID Protection itself gets wrong (unfamiliarFeatures after a new
//! phone, anonymizedIPAddress for privacy relays); the default risk for those is the lower one.
//! `low` levels alone are left out by default: they are mostly new-device and new-place noise
//! (Panther passes them through; set `min_level` to `low` for that).

use super::matched::{self, push_detail};
use super::{Ctx, Signal, Tracker};
use crate::config::strings;
use crate::event::AuthEvent;
use crate::mitre::{Detection, T1078, T1586};

crate::config::signal_config! {
    /// Entra ID Protection pass-through (default profile) — see [`crate::signals::identity_protection`].
    pub struct IdentityProtectionConfig {
        pub enabled: bool = true,
        /// Risk event types that mean compromise with high confidence (case-insensitive).
        pub high_types: Vec<String> = strings(&[
            "maliciousIPAddress",
            "attackerinTheMiddle",
            "anomalousToken",
            "tokenIssuerAnomaly",
            "passwordSpray",
            "leakedCredentials",
            "investigationsThreatIntelligence",
            "adminConfirmedUserCompromised",
            "suspiciousAPITraffic",
            "security.threat.detected",
            "user.account.report_suspicious_activity_by_enduser",
            "app.oauth2.token.detect_reuse",
            "gov_attack_warning",
            "account_disabled_password_leak",
            "account_disabled_hijacked",
            "rootConsoleLogin",
            ]),
        /// Risk event types that raise nothing (case-insensitive): for example
        /// `consoleLoginWithoutMfa` in an AWS account that does not require MFA, or
        /// `anonymizedIPAddress` where a privacy relay is normal.
        pub ignored_types: Vec<String> = Vec::new(),
        pub risk_high: u32 = 80,
        /// Any other risk event type, and a `medium` risk level.
        pub risk_other: u32 = 60,
        /// The lowest risk level (`low`, `medium`, `high`) that raises an alert on its own.
        pub min_level: String = "medium".to_string(),
        /// A `low` risk level, when `min_level` is `low`.
        pub risk_low: u32 = 40,
        /// Risk states that mean the risk was cleared (case-insensitive): nothing is raised.
        pub cleared_states: Vec<String> = strings(&["dismissed", "remediated", "confirmedSafe"]),
    }
    check(c) {
        if level_rank(&c.min_level).is_none() {
            return Err("identity_protection.min_level must be \"low\", \"medium\" or \"high\"");
        }
        Ok(())
    }
}

/// `low` 1, `medium` 2, `high` 3 (case-insensitive); other texts `None`.
fn level_rank(level: &str) -> Option<u8> {
    match level.to_ascii_lowercase().as_str() {
        "low" => Some(1),
        "medium" => Some(2),
        "high" => Some(3),
        _ => None,
    }
}

pub const DETECTION: Detection = Detection::compromise("IdentityProtectionRisk", &[T1586, T1078]);

/// Entra ID Protection risk: one alert per identity and window.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct IdentityProtection(Tracker<matched::State>);

super::stage_of_trackers!(IdentityProtection { 0 });

impl Signal for IdentityProtection {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let (all, level, state) = (ev.risk_event_types(), ev.risk_level(), ev.risk_state());
        if all.is_empty() && level.is_none() && state.is_none() {
            return;
        }
        let cfg = &ctx.cfg.identity_protection;
        let kept;
        let types: &[String] = if cfg.ignored_types.is_empty() {
            all
        } else {
            kept = all
                .iter()
                .filter(|t| !cfg.ignored_types.iter().any(|i| i.eq_ignore_ascii_case(t)))
                .cloned()
                .collect::<Vec<_>>();
            &kept
        };
        if let Some(st) = state
            && cfg
                .cleared_states
                .iter()
                .any(|c| c.eq_ignore_ascii_case(st))
        {
            return;
        }
        let mut risk = None;
        if !types.is_empty() {
            let high = types
                .iter()
                .any(|t| cfg.high_types.iter().any(|h| h.eq_ignore_ascii_case(t)));
            risk = Some(if high { cfg.risk_high } else { cfg.risk_other });
        }
        let rank = level.and_then(level_rank);
        if let Some(r) = rank
            && r >= level_rank(&cfg.min_level).unwrap_or(2)
        {
            let by_level = [cfg.risk_low, cfg.risk_other, cfg.risk_high][usize::from(r - 1)];
            risk = risk.max(Some(by_level));
        }
        if state.is_some_and(|s| s.eq_ignore_ascii_case("confirmedCompromised")) {
            risk = risk.max(Some(cfg.risk_high));
        }
        let Some(risk) = risk else { return };
        matched::record(&mut self.0, &DETECTION, ev, risk, ctx, |ep| {
            for t in types {
                push_detail(ep, "RiskEventTypes", t);
            }
            if let Some(l) = level {
                push_detail(ep, "RiskLevel", l);
            }
            if let Some(s) = state {
                push_detail(ep, "RiskState", s);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{ev, run};

    #[test]
    fn table() {
        let cfg = Config::default();
        let u = "risky@contoso.com";
        let with = |types: &[&str]| {
            let mut e = ev(1, u, "0", "203.0.113.9");
            e.extra_mut().risk_event_types = types.iter().map(|s| s.to_string()).collect();
            e
        };
        for (name, e, want) in [
            (
                "high-confidence type",
                with(&["attackerinTheMiddle"]),
                Some(80),
            ),
            ("other type", with(&["unfamiliarFeatures"]), Some(60)),
            (
                "mixed takes the higher",
                with(&["unfamiliarFeatures", "anomalousToken"]),
                Some(80),
            ),
            ("none", with(&[]), None),
        ] {
            let got = run(&cfg, vec![e])
                .into_iter()
                .find(|a| a.0 == "IdentityProtectionRisk")
                .map(|a| a.2);
            assert_eq!(got, want, "{name}");
        }
    }
}
