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

use std::collections::VecDeque;

use crate::shared::Shared;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{Ctx, Episode, IdState, Mini, Tracker, earliest, ended, expire, secs};
use crate::event::AuthEvent;

pub const DETECTION_TYPE: &str = "MfaFatigue";
pub const MITRE: &[&str] = &["T1586", "T1621", "T1078"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    user: Shared<str>,
    denials: VecDeque<Mini>,
    episode: Option<Box<Episode>>,
    last: DateTime<Utc>,
}

pub(crate) fn observe(tracker: &mut Tracker<State>, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
    let cfg = &ctx.cfg.mfa_fatigue;
    let Some(code) = ev.result_code.as_deref().map(crate::ingest::flex::trim) else {
        return;
    };
    let denial = cfg.denial_codes.iter().any(|c| c == code);
    let success = code == "0";
    if !denial && !success {
        return;
    }
    if success && !tracker.contains(&ev.identity_key) {
        return; // a success with no denials before it: nothing to remember
    }
    let user = ev.identity.clone();
    tracker.update(
        &ev.identity_key,
        || State {
            user,
            denials: VecDeque::new(),
            episode: None,
            last: ev.time,
        },
        ctx,
        |s, ctx| s.add(ev, denial, ctx),
    );
}

impl State {
    fn add(&mut self, ev: &AuthEvent, denial: bool, ctx: &mut Ctx<'_>) {
        let cfg = &ctx.cfg.mfa_fatigue;
        let w = ctx.window();
        let m = Mini::of(ev);
        self.last = self.last.max(ev.time);
        if let Some(ep) = &mut self.episode {
            if ev.time < ep.first + w {
                ep.add(&m, true, &ctx.cfg.limits, ctx.stats);
                return;
            }
            self.close(ctx);
        }
        let win = secs(cfg.window_secs);
        if denial {
            self.denials.push_back(m.clone());
            if self.denials.len() > ctx.cfg.limits.max_events_per_identity {
                self.denials.pop_front();
                ctx.stats.cap("max_events_per_identity");
            }
        }
        while self
            .denials
            .front()
            .is_some_and(|d| d.time() + win <= ev.time)
        {
            self.denials.pop_front();
        }
        if denial {
            return;
        }
        let recent = self.denials.back().is_some_and(|d| {
            ev.time - d.time() <= TimeDelta::seconds(cfg.success_within_secs.min(1 << 40) as i64)
        });
        if recent && self.denials.len() as u64 > u64::from(cfg.max_denials) {
            let first = self.denials.front().map(Mini::time).unwrap_or(ev.time);
            let mut ep = Episode::new(&self.user, first);
            ep.details
                .insert("Denials".into(), (self.denials.len() as u64).into());
            for d in self.denials.drain(..) {
                ep.add(&d, true, &ctx.cfg.limits, ctx.stats);
            }
            ep.add(&m, true, &ctx.cfg.limits, ctx.stats);
            self.episode = Some(Box::new(ep));
        }
    }

    fn close(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(ep) = self.episode.take() {
            let last = ep.last;
            let risk = ctx.cfg.mfa_fatigue.risk;
            ctx.out
                .push(ep.into_alert(DETECTION_TYPE, risk, last, MITRE, ctx.cfg, ctx.stats));
        }
    }
}

impl IdState for State {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        let ep = self.episode.as_ref().map(|e| e.first + ctx.window());
        // From the front: see failures_then_success (late events can unsort the queue).
        let exp = self
            .denials
            .front()
            .map(|d| d.time() + secs(ctx.cfg.mfa_fatigue.window_secs));
        earliest([ep, exp])
    }
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if ended(&self.episode, ctx, now) {
            self.close(ctx);
        }
        let win = secs(ctx.cfg.mfa_fatigue.window_secs);
        expire(&mut self.denials, win, now);
    }
    fn finish(&mut self, ctx: &mut Ctx<'_>) {
        self.close(ctx);
        self.denials.clear();
    }
    fn is_empty(&self) -> bool {
        self.episode.is_none() && self.denials.is_empty()
    }
    fn last_seen(&self) -> DateTime<Utc> {
        self.last
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
