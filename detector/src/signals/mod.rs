//! Detection signals. One signal per file; each documents its logic, thresholds, anchors and known
//! false positives. Signals see only [`AuthEvent`]s, in event-time order (late events aside), and
//! keep bounded per-identity state in a [`Tracker`].

pub mod credential_stuffing;
pub mod hosting_asn;
pub mod impossible_travel;

use std::collections::{BTreeSet, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};
use indexmap::IndexSet;
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde::{Deserialize, Serialize};

use crate::alert::{Alert, Evidence};
use crate::config::{Config, Limits};
use crate::event::{AuthEvent, Outcome};
use crate::stats::Stats;

/// What a signal may touch while it runs.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a Config,
    pub out: &'a mut Vec<Alert>,
    pub stats: &'a mut Stats,
}

impl Ctx<'_> {
    pub fn window(&self) -> TimeDelta {
        secs(self.cfg.window_secs)
    }
}

pub(crate) fn secs(s: u64) -> TimeDelta {
    TimeDelta::seconds(
        i64::try_from(s)
            .unwrap_or(i64::MAX / 1_000_000)
            .min(100 * 365 * 86_400),
    )
}

/// An insertion-ordered set of distinct strings, capped.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Distinct(IndexSet<String, FxBuildHasher>);

impl Distinct {
    fn add(&mut self, v: Option<&str>, limits: &Limits, stats: &mut Stats) {
        let Some(v) = v.map(str::trim).filter(|v| !v.is_empty()) else {
            return;
        };
        if self.0.contains(v) {
            return;
        }
        if self.0.len() >= limits.max_distinct_per_alert {
            stats.cap("max_distinct_per_alert");
            return;
        }
        self.0.insert(v.to_string());
    }
    pub fn len(&self) -> u64 {
        self.0.len() as u64
    }
    pub fn first(&self, n: usize) -> Vec<String> {
        self.0.iter().take(n).cloned().collect()
    }
}

/// The part of an event a signal keeps while it waits for a window to fill.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Mini {
    pub app: Option<String>,
    pub evidence: Evidence,
}

impl Mini {
    pub fn of(ev: &AuthEvent) -> Mini {
        Mini {
            app: ev.app.clone(),
            evidence: Evidence::of(ev),
        }
    }
    pub fn time(&self) -> DateTime<Utc> {
        self.evidence.time
    }
    pub fn is_success(&self) -> bool {
        self.evidence.outcome == Outcome::Success
    }
}

/// An open alert being accumulated for one identity: counts, distinct sets and evidence.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Episode {
    pub user: String,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub failures: u64,
    pub successes: u64,
    pub ips: Distinct,
    pub apps: Distinct,
    pub countries: Distinct,
    head: Vec<Evidence>,
    tail: VecDeque<Evidence>,
    /// Evidence records left out (counted in `caps_hit` only if the episode becomes an alert).
    evidence_dropped: u64,
}

impl Episode {
    pub fn new(user: &str, t: DateTime<Utc>) -> Episode {
        Episode {
            user: user.to_string(),
            first: t,
            last: t,
            failures: 0,
            successes: 0,
            ips: Distinct::default(),
            apps: Distinct::default(),
            countries: Distinct::default(),
            head: Vec::new(),
            tail: VecDeque::new(),
            evidence_dropped: 0,
        }
    }

    /// Count `m`; `describe` says whether its IP/app/country go into the distinct sets.
    pub fn add(&mut self, m: &Mini, describe: bool, limits: &Limits, stats: &mut Stats) {
        let t = m.time();
        self.first = self.first.min(t);
        self.last = self.last.max(t);
        if m.is_success() {
            self.successes += 1;
        } else {
            self.failures += 1;
        }
        if describe {
            self.ips.add(m.evidence.ip.as_deref(), limits, stats);
            self.apps.add(m.app.as_deref(), limits, stats);
            self.countries
                .add(m.evidence.country.as_deref(), limits, stats);
        }
        // Evidence keeps the first records and the most recent ones: the start of an attack and
        // what it led to.
        let cap = limits.max_evidence;
        let head_cap = cap - cap / 2;
        if self.head.len() < head_cap {
            self.head.push(m.evidence.clone());
        } else if cap / 2 > 0 {
            if self.tail.len() == cap / 2 {
                self.tail.pop_front();
                self.evidence_dropped += 1;
            }
            self.tail.push_back(m.evidence.clone());
        } else {
            self.evidence_dropped += 1;
        }
    }

    /// Turn the episode into an alert (lists capped as in the seed KQL: IPs 10, apps 5, countries 20).
    pub fn into_alert(
        self,
        detection_type: &str,
        risk_score: u32,
        time_generated: DateTime<Utc>,
        mitre: &[&str],
        cfg: &Config,
        stats: &mut Stats,
    ) -> Alert {
        if self.evidence_dropped > 0 {
            *stats
                .caps_hit
                .entry("max_evidence".to_string())
                .or_default() += self.evidence_dropped;
        }
        let mut evidence: Vec<Evidence> = self.head.into_iter().chain(self.tail).collect();
        evidence.sort_by(|a, b| {
            a.time
                .cmp(&b.time)
                .then_with(|| a.source.cmp(&b.source))
                .then(a.line.cmp(&b.line))
        });
        Alert {
            time_generated,
            user_principal_name: self.user,
            detection_type: detection_type.to_string(),
            risk_score,
            failure_count: self.failures,
            success_count: self.successes,
            unique_ips: self.ips.len(),
            ip_list: self.ips.first(10),
            apps: self.apps.first(5),
            countries: self.countries.first(20),
            first_seen: self.first,
            last_seen: self.last,
            evidence,
            mitre: mitre.iter().map(|s| s.to_string()).collect(),
            profile: match cfg.profile {
                crate::config::Profile::Seed => "seed".to_string(),
            },
            detector_version: crate::VERSION.to_string(),
        }
    }
}

/// Per-identity state of one signal.
pub(crate) trait IdState {
    /// The earliest event time at which something must happen (a window closes, state expires).
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>>;
    /// Close and expire whatever is due at `now`.
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>);
    /// End of input (or forced eviction): close everything.
    fn finish(&mut self, ctx: &mut Ctx<'_>);
    /// Nothing left to remember.
    fn is_empty(&self) -> bool;
    /// Most recent event time seen, for least-recently-seen eviction.
    fn last_seen(&self) -> DateTime<Utc>;
}

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Slot<S> {
    state: S,
    due: Option<DateTime<Utc>>,
}

/// Per-identity state of one signal with exact deadline scheduling and a hard cap on identities.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tracker<S> {
    slots: FxHashMap<String, Slot<S>>,
    deadlines: BTreeSet<(DateTime<Utc>, String)>,
}

impl<S> Default for Tracker<S> {
    fn default() -> Self {
        Tracker {
            slots: FxHashMap::default(),
            deadlines: BTreeSet::new(),
        }
    }
}

impl<S: IdState> Tracker<S> {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    /// Run `f` on the identity's state (created by `make` when new), then reschedule it.
    pub fn update(
        &mut self,
        key: &str,
        make: impl FnOnce() -> S,
        ctx: &mut Ctx<'_>,
        f: impl FnOnce(&mut S, &mut Ctx<'_>),
    ) {
        if !self.slots.contains_key(key) {
            if self.slots.len() >= ctx.cfg.limits.max_identities {
                self.evict_least_recent(ctx);
            }
            self.slots.insert(
                key.to_string(),
                Slot {
                    state: make(),
                    due: None,
                },
            );
        }
        let slot = self.slots.get_mut(key).expect("inserted above");
        f(&mut slot.state, ctx);
        Self::reschedule(&mut self.deadlines, key, slot, ctx);
        if slot.state.is_empty() {
            self.slots.remove(key);
        }
    }

    fn reschedule(
        deadlines: &mut BTreeSet<(DateTime<Utc>, String)>,
        key: &str,
        slot: &mut Slot<S>,
        ctx: &Ctx<'_>,
    ) {
        let due = if slot.state.is_empty() {
            None
        } else {
            slot.state.next_deadline(ctx)
        };
        if due != slot.due {
            if let Some(old) = slot.due {
                deadlines.remove(&(old, key.to_string()));
            }
            if let Some(new) = due {
                deadlines.insert((new, key.to_string()));
            }
            slot.due = due;
        }
    }

    /// Fire every deadline at or before `now`.
    pub fn advance(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        while let Some((t, _)) = self.deadlines.first() {
            if *t > now {
                break;
            }
            let (_, key) = self.deadlines.pop_first().expect("non-empty");
            let Some(slot) = self.slots.get_mut(&key) else {
                continue;
            };
            slot.due = None;
            slot.state.on_deadline(now, ctx);
            Self::reschedule(&mut self.deadlines, &key, slot, ctx);
            if slot.state.is_empty() {
                self.slots.remove(&key);
            }
        }
    }

    /// Close everything, in identity order (deterministic).
    pub fn finish(&mut self, ctx: &mut Ctx<'_>) {
        let mut keys: Vec<String> = self.slots.keys().cloned().collect();
        keys.sort();
        for k in keys {
            if let Some(mut slot) = self.slots.remove(&k) {
                slot.state.finish(ctx);
            }
        }
        self.deadlines.clear();
    }

    /// At the identity cap: close and drop the least recently seen eighth.
    fn evict_least_recent(&mut self, ctx: &mut Ctx<'_>) {
        let mut by_age: Vec<(DateTime<Utc>, String)> = self
            .slots
            .iter()
            .map(|(k, s)| (s.state.last_seen(), k.clone()))
            .collect();
        by_age.sort();
        let n = (by_age.len() / 8).max(1);
        for (_, k) in by_age.into_iter().take(n) {
            if let Some(mut slot) = self.slots.remove(&k) {
                if let Some(d) = slot.due {
                    self.deadlines.remove(&(d, k.clone()));
                }
                slot.state.finish(ctx);
                ctx.stats.cap("max_identities");
            }
        }
    }
}

/// The signals of the configured profile.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Signals {
    stuffing: Option<Tracker<credential_stuffing::State>>,
    travel: Option<Tracker<impossible_travel::State>>,
    hosting: Option<Tracker<hosting_asn::State>>,
}

impl Signals {
    pub fn new(cfg: &Config) -> Signals {
        Signals {
            stuffing: cfg.credential_stuffing.enabled.then(Tracker::default),
            travel: cfg.impossible_travel.enabled.then(Tracker::default),
            hosting: cfg.hosting.enabled.then(Tracker::default),
        }
    }

    pub fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        if let Some(t) = &mut self.stuffing {
            credential_stuffing::observe(t, ev, ctx);
        }
        if let Some(t) = &mut self.travel {
            impossible_travel::observe(t, ev, ctx);
        }
        if let Some(t) = &mut self.hosting {
            hosting_asn::observe(t, ev, ctx);
        }
    }

    pub fn advance(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if let Some(t) = &mut self.stuffing {
            t.advance(now, ctx);
        }
        if let Some(t) = &mut self.travel {
            t.advance(now, ctx);
        }
        if let Some(t) = &mut self.hosting {
            t.advance(now, ctx);
        }
    }

    pub fn finish(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(t) = &mut self.stuffing {
            t.finish(ctx);
        }
        if let Some(t) = &mut self.travel {
            t.finish(ctx);
        }
        if let Some(t) = &mut self.hosting {
            t.finish(ctx);
        }
    }

    pub fn identities(&self) -> u64 {
        (self.stuffing.as_ref().map_or(0, Tracker::len)
            + self.travel.as_ref().map_or(0, Tracker::len)
            + self.hosting.as_ref().map_or(0, Tracker::len)) as u64
    }
}

/// True when the event's IP is inside a trusted (corporate egress / VPN) range.
pub(crate) fn trusted_ip(ev: &AuthEvent, cfg: &Config) -> bool {
    match ev.ip_addr {
        Some(ip) => cfg.allowlist.trusted_ips.iter().any(|n| n.contains(&ip)),
        None => false,
    }
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Helpers for table-style signal tests: build events tersely, run a detector, summarise alerts.
    use super::*;
    use crate::event::{RecordRef, SourceKind};
    use chrono::TimeZone;
    use std::sync::Arc;

    pub fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap() + TimeDelta::minutes(min)
    }

    /// An event at minute `min` for `user` with result `code` from `ip`.
    pub fn ev(min: i64, user: &str, code: &str, ip: &str) -> AuthEvent {
        let ip_addr = ip.parse().ok();
        AuthEvent {
            time: t(min),
            identity: user.to_string(),
            identity_key: user.to_lowercase(),
            outcome: if code == "0" {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            result_code: Some(code.to_string()),
            failure_reason: None,
            ip: (!ip.is_empty()).then(|| ip.to_string()),
            ip_addr,
            country: None,
            city: None,
            latitude: None,
            longitude: None,
            asn: None,
            asn_name: None,
            app: Some("Office 365".into()),
            client_app: None,
            auth_requirement: None,
            mfa_detail: None,
            auth_step_results: vec![],
            risk_event_types: vec![],
            user_agent: None,
            session_id: None,
            request_id: None,
            correlation_id: None,
            interactive: Some(true),
            source_kind: SourceKind::EntraSignIn,
            record: RecordRef {
                source: Arc::from("test"),
                line: min.unsigned_abs(),
                record_id: None,
            },
        }
    }

    pub fn country(mut e: AuthEvent, c: &str) -> AuthEvent {
        e.country = Some(c.to_string());
        e
    }

    pub fn asn_name(mut e: AuthEvent, n: &str) -> AuthEvent {
        e.asn_name = Some(n.to_string());
        e
    }

    /// Run events through a fresh detector with `cfg`; return (type, user, risk, failures, successes, unique IPs).
    pub fn run(cfg: &Config, events: Vec<AuthEvent>) -> Vec<(String, String, u32, u64, u64, u64)> {
        let mut d = crate::Detector::new(cfg.clone());
        let mut alerts = Vec::new();
        for e in events {
            alerts.extend(d.push_event(e));
        }
        alerts.extend(d.flush());
        alerts
            .into_iter()
            .map(|a| {
                (
                    a.detection_type,
                    a.user_principal_name,
                    a.risk_score,
                    a.failure_count,
                    a.success_count,
                    a.unique_ips,
                )
            })
            .collect()
    }
}
