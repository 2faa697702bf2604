//! **MFA fatigue** (default profile): a burst of denied or unanswered MFA prompts for one identity,
//! then a success minutes later — the user gave in to push bombing.
//!
//! Logic: per identity, MFA denials (`denial_codes`: 500121 "authentication failed during strong
//! authentication request", 50088 telephony limit, 50074 prompt not completed) are kept for
//! `window_secs` (1 h); a success (code `0`) within `success_within_secs` (5 min) of the last denial,
//! with more than `max_denials` (10) denials in the window, raises an alert with risk `risk` (90).
//! One alert per identity and detection window; later records join it.
//!
//! Anchors: Microsoft Sentinel "MFA Rejected by User" / "Multiple denied MFA followed by success"
//! (>10 then success within 5 min); MITRE ATT&CK T1621 (MFA request generation), T1586, T1078.
//!
//! Known false positives: a user whose authenticator app misbehaves and who retries many times;
//! shared mailboxes with several people approving. Low volume: the threshold is deliberately high.

use chrono::TimeDelta;

use super::sequence::{self, Run};
use super::{Ctx, Episode, Mini, Signal, Tracker, secs};
use crate::config::strings;
use crate::event::AuthEvent;
use crate::mitre::{Detection, T1078, T1586, T1621};
use crate::shared::Shared;

crate::config::signal_config! {
    /// MFA fatigue (default profile) — see [`crate::signals::mfa_fatigue`].
    pub struct MfaFatigueConfig {
        pub enabled: bool = true,
        /// Result codes of denied / unanswered MFA prompts.
        pub denial_codes: Vec<String> = strings(&["500121", "50088", "50074"]),
        /// More than `max_denials` denials within `window_secs` ...
        pub max_denials: u32 = 10,
        pub window_secs: u64 = 3_600,
        /// ... then a success within this many seconds of the last denial.
        pub success_within_secs: u64 = 300,
        pub risk: u32 = 90,
    }
}

pub const DETECTION: Detection = Detection::compromise("MfaFatigue", &[T1586, T1621, T1078]);

/// The run: the identity's MFA denials of the last `window_secs`.
#[derive(Debug, Clone)]
pub(crate) struct Kind;

impl Run for Kind {
    type Record = Mini;
    type Own = ();

    fn run(_: &(), ctx: &Ctx<'_>) -> TimeDelta {
        secs(ctx.cfg.mfa_fatigue.window_secs)
    }

    fn close(ep: Box<Episode>, _: &Shared<str>, _: &mut (), ctx: &mut Ctx<'_>) {
        let risk = ctx.cfg.mfa_fatigue.risk;
        ctx.emit(ep, &DETECTION, risk);
    }
}

pub(crate) type MfaFatigue = Tracker<sequence::State<Kind>>;

impl Signal for MfaFatigue {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let cfg = &ctx.cfg.mfa_fatigue;
        let Some(code) = ev.result_code.as_deref() else {
            return;
        };
        let denial = cfg.denial_codes.iter().any(|c| c == code);
        let success = code == "0";
        if !denial && !success {
            return;
        }
        if success && !self.contains(&ev.identity_key) {
            return; // a success with no denials before it: nothing to remember
        }
        self.by_identity(ev, ctx, |s, ctx| add(s, ev, denial, ctx));
    }
}

fn add(s: &mut sequence::State<Kind>, ev: &AuthEvent, denial: bool, ctx: &mut Ctx<'_>) {
    let m = Mini::of(ev);
    if let Some((ep, ())) = s.joining(ev.time, ctx) {
        ep.add(&m, true, &ctx.cfg.limits, ctx.stats);
        return;
    }
    s.expire(ev.time, ctx);
    if denial {
        s.keep(m, ctx);
        return;
    }
    let cfg = &ctx.cfg.mfa_fatigue;
    let soon = s
        .recent()
        .back()
        .is_some_and(|d| ev.time - d.time() <= secs(cfg.success_within_secs));
    let denials = s.recent().len() as u64;
    if soon && denials > u64::from(cfg.max_denials) {
        let ep = s.open(ev.time, ctx, |ep, (), d, ctx| {
            ep.add(&d, true, &ctx.cfg.limits, ctx.stats)
        });
        ep.details.insert("Denials".into(), denials.into());
        ep.add(&m, true, &ctx.cfg.limits, ctx.stats);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{ev, run};

    #[test]
    fn table() {
        let cfg = Config::default();
        let u = "pushed@contoso.com";
        let denials = |n: i64| {
            (0..n)
                .map(|i| ev(i, u, "500121", "203.0.113.9"))
                .collect::<Vec<_>>()
        };
        let cases = vec![
            (
                "11 denials then success within 5 min",
                {
                    let mut v = denials(11);
                    v.push(ev(14, u, "0", "203.0.113.9"));
                    v
                },
                1,
            ),
            (
                "10 denials is not more than 10",
                {
                    let mut v = denials(10);
                    v.push(ev(12, u, "0", "203.0.113.9"));
                    v
                },
                0,
            ),
            (
                "success 6 minutes after the last denial",
                {
                    let mut v = denials(11);
                    v.push(ev(16, u, "0", "203.0.113.9"));
                    v
                },
                0,
            ),
            ("denials without success", denials(30), 0),
            (
                "denials spread over more than an hour",
                {
                    let mut v: Vec<_> = (0..11)
                        .map(|i| ev(i * 7, u, "500121", "203.0.113.9"))
                        .collect();
                    v.push(ev(72, u, "0", "203.0.113.9"));
                    v
                },
                0,
            ),
        ];
        for (name, events, want) in cases {
            let got = run(&cfg, events)
                .into_iter()
                .filter(|a| a.0 == "MfaFatigue")
                .count();
            assert_eq!(got, want, "{name}");
        }
    }
}
