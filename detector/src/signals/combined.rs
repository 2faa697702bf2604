//! **Combined risk per identity** (default profile): several different signals on one identity
//! within the window are stronger evidence than any one of them.
//!
//! Logic: every alert about one identity (not `(multiple)`, not an attempt: an attempt counts only
//! through the alert of the success that follows it) is remembered for `window_secs`. When at
//! least `min_signals` (2) distinct detection types are present, one `CompromisedIdentity` alert is
//! raised (and updated, never repeated, for that window) with
//!
//! ```text
//! RiskScore = min(99, round(100 × (1 − Π (1 − rᵢ/100))))
//! ```
//!
//! over the highest risk `rᵢ` of each distinct detection type — a noisy-OR: independent pieces of
//! evidence combine, none can reach certainty alone, and two 60s give 84, a 75 and an 80 give 95.
//! `Details.Signals` lists the contributing types and risks; `FailureCount`/`SuccessCount`, IPs and
//! countries count the distinct records in the contributing alerts' evidence (each listed at most
//! `max_evidence` records, so on large alerts they are lower bounds); apps are the union. The
//! evidence of a lone alert is kept while that alert is remembered: its partner's alert comes when
//! its own window closes, often more than a window after the first one began.
//!
//! Anchors: Entra ID Protection's aggregate user risk; the "risk-based alerting" pattern (Splunk RBA);
//! MITRE ATT&CK T1586, T1078.
//!
//! Known false positives: inherits those of its inputs; two weak signals (e.g. a legacy-protocol
//! success and a 60-risk stuffing from a user's own phone) can combine to a high score.

use std::collections::BTreeMap;

use crate::shared::Shared;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Ctx, Episode, IdState, MULTIPLE, Mini, Signal, Tracker, earliest, ended};
use crate::alert::Alert;
use crate::event::AuthEvent;
use crate::event::SourceKind;
use crate::mitre::{Detection, T1078, T1586};

crate::config::signal_config! {
    /// Combined per-identity risk (default profile) — see [`crate::signals::combined`].
    pub struct CombinedRiskConfig {
        pub enabled: bool = true,
        /// Distinct detection types on one identity within the window needed for a combined alert.
        pub min_signals: u32 = 2,
    }
}

pub const DETECTION: Detection = Detection::compromise("CompromisedIdentity", &[T1586, T1078]);

pub(crate) type Combined = Tracker<State>;

/// The documented formula.
pub fn combine(risks: &[u32]) -> u32 {
    let keep: f64 = risks
        .iter()
        .map(|&r| 1.0 - f64::from(r.min(100)) / 100.0)
        .product();
    ((100.0 * (1.0 - keep)).round() as u32).min(99)
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    user: Shared<str>,
    /// Detection type → (highest risk, first seen, last seen).
    signals: BTreeMap<String, (u32, DateTime<Utc>, DateTime<Utc>)>,
    episode: Option<Box<Episode>>,
    last: DateTime<Utc>,
}

impl Signal for Combined {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    /// Records are not read (the table line reads alerts).
    fn observe(&mut self, _: &AuthEvent, _: &mut Ctx<'_>) {}

    fn observe_alert(&mut self, a: &Alert, ctx: &mut Ctx<'_>) {
        if !counts(a) {
            return;
        }
        let key = a.user_principal_name.to_lowercase();
        self.update(
            key.as_str(),
            || State {
                user: a.user_principal_name.as_str().into(),
                signals: BTreeMap::new(),
                episode: None,
                last: a.last_seen,
            },
            ctx,
            |s, ctx| s.add(a, ctx),
        );
    }
}

/// Live mode: what combined risk would emit about `user` (lower-cased) if the input ended now,
/// with the identity's open `alerts` added to what it has seen of the closed ones.
pub(crate) fn speculate(tracker: &Combined, user: &str, alerts: &[Alert], ctx: &mut Ctx<'_>) {
    let mut out = Vec::new();
    let mut stats = crate::stats::Stats::default();
    {
        let mut spec = Ctx::new(ctx.cfg, ctx.m, &mut out, &mut stats, None);
        spec.signal = ctx.signal;
        let mut state = tracker.get(user).cloned();
        for a in alerts.iter().filter(|a| counts(a)) {
            state
                .get_or_insert_with(|| State {
                    user: a.user_principal_name.as_str().into(),
                    signals: BTreeMap::new(),
                    episode: None,
                    last: a.last_seen,
                })
                .add(a, &mut spec);
        }
        if let Some(mut state) = state {
            state.finish(&mut spec);
        }
        super::stamp(&mut spec, 0, user);
    }
    let owner = crate::live::owner(ctx.signal, std::any::type_name::<State>(), user);
    if let Some(live) = ctx.live.as_deref_mut() {
        live.speculated(owner, out);
    }
}

/// Whether an alert feeds combined risk: not its own, not about a source, not an attempt (an
/// attempt counts only through the alert of the success that follows it).
fn counts(a: &Alert) -> bool {
    !(a.detection_type == DETECTION.name
        || a.user_principal_name == MULTIPLE
        || super::is_attempt(&a.detection_type))
}

/// `{"Signal": risk, ...}` in signal-name order (the map's own order).
fn signal_risks(
    signals: &BTreeMap<String, (u32, DateTime<Utc>, DateTime<Utc>)>,
) -> serde_json::Value {
    serde_json::Value::Object(
        signals
            .iter()
            .map(|(k, v)| (k.clone(), serde_json::Value::from(v.0)))
            .collect(),
    )
}

impl State {
    /// Enough distinct detection types for a combined alert.
    fn enough(&self, ctx: &Ctx<'_>) -> bool {
        self.signals.len() as u64 >= u64::from(ctx.cfg.combined_risk.min_signals)
    }

    fn add(&mut self, a: &Alert, ctx: &mut Ctx<'_>) {
        let w = ctx.window();
        self.last = self.last.max(a.last_seen);
        if self.enough(ctx)
            && self
                .episode
                .as_ref()
                .is_some_and(|e| a.first_seen >= e.first + w)
        {
            self.close(ctx);
        }
        // Forget signals that ended more than a window before this one began; the evidence kept
        // for them goes with the last of them.
        self.signals
            .retain(|_, (_, _, last)| *last + w > a.first_seen);
        if self.signals.is_empty() {
            self.episode = None;
        }
        let e = self.signals.entry(a.detection_type.clone()).or_insert((
            a.risk_score,
            a.first_seen,
            a.last_seen,
        ));
        e.0 = e.0.max(a.risk_score);
        e.1 = e.1.min(a.first_seen);
        e.2 = e.2.max(a.last_seen);
        let enough = self.enough(ctx);
        if !enough && self.episode.is_none() {
            // Remember the alert's evidence for when a second signal arrives.
            self.pending_evidence(a, ctx);
            return;
        }
        self.pending_evidence(a, ctx);
        if let Some(ep) = &mut self.episode {
            ep.details
                .insert("Signals".into(), signal_risks(&self.signals));
        }
    }

    /// Fold an alert into the (possibly not yet qualifying) combined episode.
    fn pending_evidence(&mut self, a: &Alert, ctx: &mut Ctx<'_>) {
        let ep = self
            .episode
            .get_or_insert_with(|| Box::new(Episode::new(&self.user, a.first_seen)));
        ep.first = ep.first.min(a.first_seen);
        ep.last = ep.last.max(a.last_seen);
        // In content order, not the alert's file order: IPs and countries are listed first-seen,
        // and that must not depend on how records with one timestamp were ordered in the input.
        let mut evidence: Vec<&crate::alert::Evidence> = a.evidence.iter().collect();
        crate::order::sort_by(&mut evidence, |x, y| {
            (x.time, &x.ip, &x.country, &x.result_type, &x.record_id).cmp(&(
                y.time,
                &y.ip,
                &y.country,
                &y.result_type,
                &y.record_id,
            ))
        });
        // The alert's identity kind (a workload identity's alerts say so), for the combined one.
        let kind = match a.details.get("IdentityKind").and_then(|v| v.as_str()) {
            Some("servicePrincipal") => SourceKind::EntraServicePrincipal,
            Some("managedIdentity") => SourceKind::EntraManagedIdentity,
            _ => SourceKind::EntraSignIn,
        };
        for e in evidence {
            if ep.has_evidence(e) {
                continue;
            }
            let m = Mini {
                app: None,
                evidence: e.clone(),
                reason: None,
                kind,
            };
            ep.add(&m, true, &ctx.cfg.limits, ctx.stats);
        }
        for app in &a.apps {
            ep.apps_add(app, &ctx.cfg.limits, ctx.stats);
        }
    }

    fn close(&mut self, ctx: &mut Ctx<'_>) {
        let Some(mut ep) = self.episode.take() else {
            return;
        };
        if (self.signals.len() as u64) < u64::from(ctx.cfg.combined_risk.min_signals) {
            return;
        }
        let risks: Vec<u32> = self.signals.values().map(|v| v.0).collect();
        ep.details
            .insert("Signals".into(), signal_risks(&self.signals));
        ep.details.insert(
            "Formula".into(),
            "min(99, round(100 * (1 - prod(1 - risk/100))))".into(),
        );
        ctx.emit(ep, &DETECTION, combine(&risks));
        self.signals.clear();
    }
}

impl IdState for State {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        // An episode that does not qualify yet keeps its evidence while its signals are
        // remembered: a second signal's alert comes when its own window closes, often more than a
        // window after the first one began.
        let ep = self
            .episode
            .as_ref()
            .filter(|_| self.enough(ctx))
            .map(|e| e.first + ctx.window());
        let exp = self.signals.values().map(|v| v.2 + ctx.window()).max();
        earliest([ep, exp])
    }
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if self.enough(ctx) && ended(&self.episode, ctx, now) {
            self.close(ctx);
        }
        let w = ctx.window();
        self.signals.retain(|_, v| v.2 + w > now);
        if self.signals.is_empty() {
            self.episode = None;
        }
    }
    fn finish(&mut self, ctx: &mut Ctx<'_>) {
        self.close(ctx);
        self.signals.clear();
    }
    fn is_empty(&self) -> bool {
        self.episode.is_none() && self.signals.is_empty()
    }
    fn last_seen(&self) -> DateTime<Utc> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::combine;
    use crate::config::Config;
    use crate::signals::testkit::{asn_name, ev, run};

    #[test]
    fn formula() {
        assert_eq!(combine(&[60, 60]), 84);
        assert_eq!(combine(&[75, 80]), 95);
        assert_eq!(combine(&[90, 95]), 99, "capped below certainty");
        assert_eq!(combine(&[70]), 70);
        assert_eq!(combine(&[]), 0);
    }

    #[test]
    fn two_signals_on_one_identity_combine() {
        // Stuffing (60, one IP) then a legacy-protocol success (70) for the same user.
        let u = "victim@contoso.com";
        let mut v: Vec<_> = (0..5).map(|i| ev(i, u, "50126", "203.0.113.5")).collect();
        let mut s = ev(6, u, "0", "203.0.113.5");
        s.client_app = Some("IMAP4".into());
        v.push(s);
        let got = run(&Config::default(), v);
        let c: Vec<_> = got
            .iter()
            .filter(|a| a.0 == "CompromisedIdentity")
            .collect();
        assert_eq!(c.len(), 1, "{got:?}");
        assert_eq!(c[0].2, combine(&[60, 70]));
        // One signal alone: no combined alert.
        let got = run(
            &Config::default(),
            (0..6)
                .map(|i| ev(i, u, "50126", "203.0.113.5"))
                .chain([ev(7, u, "0", "203.0.113.5")])
                .collect(),
        );
        assert!(got.iter().all(|a| a.0 != "CompromisedIdentity"), "{got:?}");
    }

    #[test]
    fn evidence_waits_for_the_second_signal_past_the_first_ones_window() {
        // Stuffing from minute 0, a success from a hosting provider at minute 20: the stuffing
        // alert comes when its window closes (a day after minute 0), the hosting alert a day after
        // minute 20. The stuffing's records must still count in the combined alert (they were
        // dropped at minute 1440, before the hosting alert came, up to commit ee39e0d).
        let u = "victim@contoso.com";
        let mut v: Vec<_> = (0..5).map(|i| ev(i, u, "50126", "203.0.113.5")).collect();
        v.push(asn_name(ev(20, u, "0", "203.0.113.5"), "M247 Europe SRL"));
        // Time moves on: past the stuffing's window, then past the hosting alert's.
        v.push(ev(1445, "other@contoso.com", "0", "198.51.100.1"));
        v.push(ev(1500, "other@contoso.com", "0", "198.51.100.1"));
        let got = run(&Config::default(), v);
        let c: Vec<_> = got
            .iter()
            .filter(|a| a.0 == "CompromisedIdentity")
            .collect();
        assert_eq!(c.len(), 1, "{got:?}");
        assert_eq!(
            (c[0].3, c[0].4),
            (5, 1),
            "failures and success counted: {got:?}"
        );
    }
}
