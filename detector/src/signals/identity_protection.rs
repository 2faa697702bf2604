//! **Entra ID Protection pass-through** (default profile): risk event types that Microsoft already
//! attached to a sign-in become evidence and raise the identity's risk.
//!
//! Logic: any record (success or not) with `riskEventTypes` / `riskEventTypes_v2` other than `none`
//! opens (or joins) one alert per identity per window. Risk `risk_high` (80) when a type is in
//! `high_types` (maliciousIPAddress, attackerinTheMiddle, anomalousToken, tokenIssuerAnomaly,
//! passwordSpray, leakedCredentials, …), else `risk_other` (60). `Details.RiskEventTypes` lists them.
//! Through the combined score these raise the other signals on the same identity.
//!
//! Anchors: Microsoft Entra ID Protection risk detections; Sentinel "Entra ID Protection" connector
//! rules; MITRE ATT&CK T1586, T1078.
//!
//! Known false positives: whatever ID Protection itself gets wrong (unfamiliarFeatures after a new
//! phone, anonymizedIPAddress for privacy relays); the default risk for those is the lower one.

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
            ]),
        pub risk_high: u32 = 80,
        /// Any other risk event type.
        pub risk_other: u32 = 60,
    }
}

pub const DETECTION: Detection = Detection::compromise("IdentityProtectionRisk", &[T1586, T1078]);

#[derive(Debug, Clone)]
pub(crate) struct Kind;
impl matched::Kind for Kind {
    const DETECTION: &'static Detection = &DETECTION;
}

pub(crate) type IdentityProtection = Tracker<matched::State<Kind>>;

impl Signal for IdentityProtection {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        if ev.risk_event_types().is_empty() {
            return;
        }
        let cfg = &ctx.cfg.identity_protection;
        let high = ev
            .risk_event_types()
            .iter()
            .any(|t| cfg.high_types.iter().any(|h| h.eq_ignore_ascii_case(t)));
        let risk = if high { cfg.risk_high } else { cfg.risk_other };
        matched::record(self, ev, risk, ctx, |ep| {
            for t in ev.risk_event_types() {
                push_detail(ep, "RiskEventTypes", t);
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
