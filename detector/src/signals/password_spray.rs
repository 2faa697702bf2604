//! **Password spray** (default profile): one password tried against many accounts — from one source,
//! or low-and-slow from many — and, worst, a sprayed account that then signs in.
//!
//! Logic:
//! * **From one IP** (`PasswordSpray`): failures (not interrupted, not password-reset flows) from one
//!   source IP against at least `min_identities` (5) distinct identities within `window_secs` (20 min)
//!   — Sentinel's "≥5 users in 20 min" — from an IP that has not signed anyone in during the last
//!   `distributed_window_secs` (an office NAT whose users mistype is not a spray source). One alert
//!   per source IP and window; `UserPrincipalName` is `(multiple)`, `Details.SourceIP` and
//!   `Details.Identities` name them, `Details.IdentityCount` counts them.
//! * **Distributed** (`DistributedPasswordSpray`): failures that share one result code and one user
//!   agent, against at least `distributed_min_identities` (10) identities from at least
//!   `distributed_min_ips` (10) IPs, each IP trying at most `distributed_max_attempts_per_ip` (2)
//!   times, within `distributed_window_secs` (24 h). IPs that also produced a success in that time are
//!   left out (ordinary users mistyping from their own network), as are failures without a user agent,
//!   and so are IPs that tried more often (guessing from one place, reported by the brute-force and
//!   one-IP rules): one busy source with the same user agent neither hides the spray nor crowds it
//!   out of the window.
//! * **Spray then success** (`PasswordSpraySuccess`): a success for an identity that a detected
//!   spray targeted, within `success_window_secs` (24 h), **from one of that spray's source IPs**:
//!   risk `risk_success` (95), per identity. (The victims' own sign-ins from their usual networks after
//!   a spray are not compromises; the attacker signing in from the spraying infrastructure is.)
//!
//! The two sprays are **attempts** (`Details.Stage: "attempt"`): risk `risk` (45) at the threshold,
//! 5 more each time the identity count quadruples, 5 more from more than five IPs (the distributed
//! one always), at most `risk_max` (55) — below every compromise alert ([`super::attempt_risk`]).
//! They feed the combined per-identity score only through the success that follows them.
//!
//! Anchors: MITRE ATT&CK T1110.003 (password spraying), T1586, T1078; Microsoft Sentinel "Password spray
//! attack against Azure AD application" and "Distributed password cracking attempts"; Splunk "Azure AD
//! Multiple Users Failing To Authenticate From Ip" (>30 users / 5 min, stricter), Entra ID Protection
//! `passwordSpray`.
//!
//! Known false positives: shared egress (a NAT or proxy in front of many users who fail at once after
//! a password-policy change); a misconfigured app retrying many service accounts; vulnerability
//! scanners. Add such ranges to `allowlist.trusted_ips`.

use crate::shared::Shared;
use chrono::{DateTime, TimeDelta, Utc};
use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use super::matched::{self, push_detail};
use super::sequence::{self, Kept, Run};
use super::{
    Ctx, Distinct, Episode, IdState, Mini, Signal, Stage, Tracker, attempt_risk, earliest,
    password_reset_flow, secs, trusted_ip,
};
use crate::address::Address;
use crate::event::{AuthEvent, Outcome};
use crate::mitre::{Detection, T1078, T1110_003, T1586};

crate::config::signal_config! {
    /// Password spray (default profile) — see [`crate::signals::password_spray`].
    pub struct PasswordSprayConfig {
        pub enabled: bool = true,
        /// One source IP failing against at least `min_identities` identities within `window_secs`.
        pub window_secs: u64 = 1_200,
        pub min_identities: u32 = 5,
        /// Risk of a spray (an attempt) at its threshold; more by volume and spread, never above
        /// `risk_max`.
        pub risk: u32 = 45,
        pub risk_max: u32 = 55,
        /// Low-and-slow: at least `distributed_min_identities` identities from at least
        /// `distributed_min_ips` IPs, each IP trying at most `distributed_max_attempts_per_ip` times,
        /// all with one user agent and one result code, within `distributed_window_secs`.
        pub distributed_window_secs: u64 = 86_400,
        pub distributed_min_identities: u32 = 10,
        pub distributed_min_ips: u32 = 10,
        pub distributed_max_attempts_per_ip: u32 = 2,
        /// A success for a sprayed identity within this many seconds of the spray.
        pub success_window_secs: u64 = 86_400,
        pub risk_success: u32 = 95,
    }
}

const TECHNIQUES: &[crate::mitre::Technique] = &[T1586, T1110_003, T1078];
/// The spray itself is an attempt: password spraying, no account known to be taken.
const ATTEMPT_TECHNIQUES: &[crate::mitre::Technique] = &[T1110_003];
pub const DETECTION: Detection = Detection::attempt("PasswordSpray", ATTEMPT_TECHNIQUES);
pub const DISTRIBUTED: Detection =
    Detection::attempt("DistributedPasswordSpray", ATTEMPT_TECHNIQUES);
pub const SUCCESS: Detection = Detection::compromise("PasswordSpraySuccess", TECHNIQUES);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Attempt {
    identity: Shared<str>,
    /// The source address (an empty text when the record had none).
    ip: Address,
    mini: Mini,
}

impl Kept for Attempt {
    fn mini(&self) -> &Mini {
        &self.mini
    }
}

/// Failures grouped by one key: one source IP (`SourceIP`), or one result code and user agent
/// from many IPs (`Pattern`: the distributed spray). Its own state says which.
#[derive(Debug, Clone)]
pub(crate) struct Group;

/// A group's own state: which grouping it is, and the identities of its open spray (all of them,
/// up to `limits.max_distinct_per_alert`; `Details.Identities` names the first 20).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct GroupOwn {
    distributed: bool,
    identities: Distinct,
    /// Distributed groups: addresses that tried more than `distributed_max_attempts_per_ip`
    /// times (guessing from one place, not the low-and-slow spray), each until one window after
    /// its latest try. Their failures leave the group, so one noisy source with the same user
    /// agent can neither hide a spray nor push its failures out of the run. At most
    /// [`MAX_HEAVY_IPS`].
    heavy: Vec<(Address, DateTime<Utc>)>,
}

/// Addresses remembered as too busy for a distributed spray, per group (past this the one whose
/// window ends first is forgotten).
const MAX_HEAVY_IPS: usize = 64;

impl Run for Group {
    type Record = Attempt;
    type Own = GroupOwn;
    const ABOUT_SOURCE: bool = true;

    fn run(own: &GroupOwn, ctx: &Ctx<'_>) -> TimeDelta {
        let c = &ctx.cfg.password_spray;
        secs(if own.distributed {
            c.distributed_window_secs
        } else {
            c.window_secs
        })
    }

    fn close(mut ep: Box<Episode>, _: &Shared<str>, own: &mut GroupOwn, ctx: &mut Ctx<'_>) {
        let n = std::mem::take(&mut own.identities).len();
        ep.details.insert("IdentityCount".into(), n.into());
        let c = &ctx.cfg.password_spray;
        let (detection, min) = if own.distributed {
            (&DISTRIBUTED, c.distributed_min_identities)
        } else {
            (&DETECTION, c.min_identities)
        };
        let risk = attempt_risk(c.risk, c.risk_max, n, min, ep.ips.len());
        ctx.emit(ep, detection, risk);
    }

    /// Kept while a group lives, like the run's key.
    fn own_is_empty(_: &GroupOwn) -> bool {
        true
    }
}

/// A new group of failures from one source IP, or (`distributed`) of one pattern.
fn group(label: Shared<str>, distributed: bool, t: DateTime<Utc>) -> sequence::State<Group> {
    let mut g: sequence::State<Group> = sequence::State::new(label, t);
    g.own_mut().distributed = distributed;
    g
}

/// Identities a detected spray targeted, until `success_window_secs` after the spray.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Target {
    until: DateTime<Utc>,
    sources: Vec<String>,
    attempt: Mini,
    /// The IPs the spray(s) against this identity came from (capped).
    ips: Vec<String>,
}

/// Source IPs remembered per targeted identity.
const MAX_SPRAY_IPS: usize = 64;

/// The spray signal's state: per-IP groups, per-pattern groups, targeted identities, recent good IPs.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Spray {
    by_ip: Tracker<sequence::State<Group>>,
    by_pattern: Tracker<sequence::State<Group>>,
    targets: Tracker<Target>,
    successes: Tracker<matched::State>,
    /// IP → last success time (for the distributed rule). Keyed by the address itself (hashed
    /// and compared as its bytes when it parsed).
    good_ips: FxHashMap<Address, DateTime<Utc>>,
    /// When `good_ips` was last pruned of entries older than the distributed window.
    good_pruned: Option<DateTime<Utc>>,
}

impl Signal for Spray {
    const DETECTIONS: &'static [Detection] = &[DETECTION, DISTRIBUTED, SUCCESS];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let cfg = &ctx.cfg.password_spray;
        let address = ev.ip.as_ref().filter(|a| !a.is_empty());
        if ev.outcome == Outcome::Success {
            if let Some(address) = address {
                self.good_ip(address, ev.time, ctx);
            }
            self.success(ev, ctx);
            return;
        }
        if ev.outcome != Outcome::Failure
            || password_reset_flow(ev, ctx.m)
            || trusted_ip(ev, ctx.cfg)
        {
            return;
        }
        let text = address.map(Address::text);
        let ip: &str = text.as_deref().unwrap_or_default();
        let attempt = || Attempt {
            identity: ev.identity_key.clone(),
            ip: address.cloned().unwrap_or_else(|| Address::Text("".into())),
            mini: Mini::of(ev),
        };
        let mut sprayed: Vec<(Vec<(String, Mini)>, String)> = Vec::new();
        let horizon = ev.time - secs(cfg.distributed_window_secs);
        // An IP that recently signed someone in is a user network (office NAT, home), not a spray
        // source: its users' typos must not add up to a "spray".
        let known_good =
            address.is_some_and(|a| self.good_ips.get(a).is_some_and(|t| *t > horizon));
        if address.is_some() && !known_good {
            let a = attempt();
            self.by_ip.update(
                ip,
                || group(ip.into(), false, ev.time),
                ctx,
                |g, ctx| {
                    if let Some(ids) = add(g, a, ctx) {
                        sprayed.push((ids, ip.to_string()));
                    }
                },
            );
        }
        if let (Some(ua), Some(code)) = (ev.user_agent.as_deref(), ev.result_code.as_deref()) {
            let key = format!("{code}|{ua}");
            let good = &self.good_ips;
            let a = attempt();
            // Written out only for a new group or a detection, not per failure.
            let label = || format!("ResultType {code}, user agent {ua}");
            self.by_pattern.update(
                key.as_str(),
                || group(label().into(), true, ev.time),
                ctx,
                |g, ctx| {
                    g.retain(|r| good.get(&r.ip).is_none_or(|t| *t <= horizon));
                    if let Some(ids) = add(g, a, ctx) {
                        sprayed.push((ids, label()));
                    }
                },
            );
        }
        let until = ev.time + secs(cfg.success_window_secs);
        for (ids, source) in sprayed {
            self.target(ids, source, until, ctx);
        }
    }
}

impl Spray {
    /// Note a success from `address` (for the distributed rule).
    fn good_ip(&mut self, address: &Address, t: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        // Entries older than the window are useless; drop them once per window of event time so
        // the map follows the active address set, not every address ever seen.
        let window = secs(ctx.cfg.password_spray.distributed_window_secs);
        if self.good_pruned.is_none_or(|p| t - p > window) {
            let horizon = t - window;
            self.good_ips.retain(|_, x| *x > horizon);
            self.good_pruned = Some(t);
        }
        if self.good_ips.len() >= ctx.cfg.limits.max_identities
            && !self.good_ips.contains_key(address)
        {
            let horizon = t - window;
            self.good_ips.retain(|_, x| *x > horizon);
            if self.good_ips.len() >= ctx.cfg.limits.max_identities {
                ctx.stats.cap("max_identities");
                self.good_ips.clear();
            }
        }
        match self.good_ips.get_mut(address) {
            Some(x) => *x = t,
            None => {
                self.good_ips.insert(address.clone(), t);
            }
        }
    }

    /// Remember the identities a detected spray (`source`) targeted, with their latest attempts.
    fn target(
        &mut self,
        ids: Vec<(String, Mini)>,
        source: String,
        until: DateTime<Utc>,
        ctx: &mut Ctx<'_>,
    ) {
        let mut ips: Vec<String> = ids
            .iter()
            .filter_map(|(_, m)| m.evidence.ip.as_ref().map(ToString::to_string))
            .collect();
        crate::order::sort(&mut ips);
        ips.dedup();
        ips.truncate(MAX_SPRAY_IPS);
        for (id, attempt) in ids {
            let source = source.clone();
            let latest = attempt.clone();
            let ips = ips.clone();
            self.targets.update(
                id.as_str(),
                || Target {
                    until,
                    sources: vec![],
                    attempt,
                    ips: Vec::new(),
                },
                ctx,
                |t, _| {
                    t.until = t.until.max(until);
                    t.attempt = latest;
                    if !t.sources.contains(&source) && t.sources.len() < 8 {
                        t.sources.push(source);
                    }
                    for ip in ips {
                        if !t.ips.contains(&ip) && t.ips.len() < MAX_SPRAY_IPS {
                            t.ips.push(ip);
                        }
                    }
                },
            );
        }
    }

    fn success(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let Some(t) = self.targets.get(&ev.identity_key) else {
            return;
        };
        if ev.time > t.until
            || !ev.ip.as_ref().is_some_and(|ip| {
                let ip = ip.text();
                t.ips.iter().any(|x| *x == *ip)
            })
        {
            return;
        }
        let (attempt, sources) = (t.attempt.clone(), t.sources.clone());
        let risk = ctx.cfg.password_spray.risk_success;
        matched::record_with(
            &mut self.successes,
            &SUCCESS,
            ev,
            std::slice::from_ref(&attempt),
            risk,
            ctx,
            |ep| {
                for s in &sources {
                    push_detail(ep, "SpraySources", s);
                }
            },
        );
    }
}

impl Stage for Spray {
    fn advance_dyn(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        self.by_ip.advance(now, ctx);
        self.by_pattern.advance(now, ctx);
        self.targets.advance(now, ctx);
        self.successes.advance(now, ctx);
    }
    fn finish_dyn(&mut self, ctx: &mut Ctx<'_>) {
        self.by_ip.finish(ctx);
        self.by_pattern.finish(ctx);
        self.targets.finish(ctx);
        self.successes.finish(ctx);
        self.good_ips.clear();
    }
    fn first_due(&self) -> Option<DateTime<Utc>> {
        earliest([
            self.by_ip.first_due(),
            self.by_pattern.first_due(),
            self.targets.first_due(),
            self.successes.first_due(),
        ])
    }
    fn tracked(&self) -> usize {
        self.by_ip.len() + self.by_pattern.len() + self.targets.len() + self.successes.len()
    }
}

/// Add an attempt to a group; returns the targeted identities, each with its own latest attempt,
/// when the group is (or already was) a spray.
fn add(
    g: &mut sequence::State<Group>,
    a: Attempt,
    ctx: &mut Ctx<'_>,
) -> Option<Vec<(String, Mini)>> {
    let cfg = &ctx.cfg.password_spray;
    let t = a.mini.time();
    let distributed = g.own().distributed;
    if distributed {
        let window = secs(cfg.distributed_window_secs);
        let heavy = &mut g.own_mut().heavy;
        heavy.retain(|(_, until)| *until > t);
        if let Some((_, until)) = heavy.iter_mut().find(|(ip, _)| *ip == a.ip) {
            *until = (*until).max(t + window);
            return None;
        }
    }
    if let Some((ep, own)) = g.joining(t, ctx) {
        ep.add(&a.mini, true, &ctx.cfg.limits, ctx.stats);
        push_detail(ep, "Identities", &a.identity);
        own.identities
            .add_str(&a.identity, &ctx.cfg.limits, ctx.stats);
        return Some(vec![(a.identity.to_string(), a.mini)]);
    }
    g.expire(t, ctx);
    let ip = a.ip.clone();
    g.keep(a, ctx);
    if distributed {
        let tries = g.recent().iter().filter(|r| r.ip == ip).count();
        if tries as u64 > u64::from(cfg.distributed_max_attempts_per_ip) {
            g.retain(|r| r.ip != ip);
            let heavy = &mut g.own_mut().heavy;
            if heavy.len() >= MAX_HEAVY_IPS
                && let Some(i) = (0..heavy.len()).min_by_key(|&i| heavy[i].1)
            {
                heavy.swap_remove(i);
            }
            heavy.push((ip, t + secs(cfg.distributed_window_secs)));
            return None;
        }
    }
    let mut ids: Vec<&str> = g.recent().iter().map(|r| &*r.identity).collect();
    // Through the shared sort routine: a sort of its own is 10 KB of `.wasm`, and this list is
    // sorted only while a group is below the threshold.
    crate::order::sort(&mut ids);
    ids.dedup();
    let is_spray = if distributed {
        let mut per_ip: FxHashMap<&Address, u32> = FxHashMap::default();
        for r in g.recent() {
            *per_ip.entry(&r.ip).or_default() += 1;
        }
        // Every address left in the group tried at most `distributed_max_attempts_per_ip`
        // times (busier ones left it above).
        ids.len() as u64 >= u64::from(cfg.distributed_min_identities)
            && per_ip.len() as u64 >= u64::from(cfg.distributed_min_ips)
    } else {
        ids.len() as u64 >= u64::from(cfg.min_identities)
    };
    if !is_spray {
        return None;
    }
    let ids: Vec<(String, Mini)> = ids
        .into_iter()
        .filter_map(|id| {
            g.recent()
                .iter()
                .rev()
                .find(|r| &*r.identity == id)
                .map(|r| (id.to_string(), r.mini.clone()))
        })
        .collect();
    let label = g.label().to_string();
    let ep = g.open(t, ctx, |ep, own, r, ctx| {
        ep.add(&r.mini, true, &ctx.cfg.limits, ctx.stats);
        push_detail(ep, "Identities", &r.identity);
        own.identities
            .add_str(&r.identity, &ctx.cfg.limits, ctx.stats);
    });
    let key = if distributed { "Pattern" } else { "SourceIP" };
    ep.details.insert(key.into(), label.into());
    Some(ids)
}

impl IdState for Target {
    fn next_deadline(&self, _: &Ctx<'_>) -> Option<DateTime<Utc>> {
        Some(self.until)
    }
    fn on_deadline(&mut self, now: DateTime<Utc>, _: &mut Ctx<'_>) {
        if self.until <= now {
            self.sources.clear();
        }
    }
    fn finish(&mut self, _: &mut Ctx<'_>) {
        self.sources.clear();
    }
    fn is_empty(&self) -> bool {
        self.sources.is_empty()
    }
    fn last_seen(&self) -> DateTime<Utc> {
        self.attempt.time()
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{ev, run};

    fn types(v: Vec<(String, String, u32, u64, u64, u64)>) -> Vec<(String, String, u32)> {
        let mut t: Vec<_> = v
            .into_iter()
            .map(|a| (a.0, a.1, a.2))
            .filter(|a| a.0.contains("Spray"))
            .collect();
        t.sort();
        t
    }

    #[test]
    fn one_ip_many_users_then_a_success() {
        let cfg = Config::default();
        let mut v: Vec<_> = (0..6)
            .map(|i| {
                ev(
                    i * 2,
                    &format!("user{i}@contoso.com"),
                    "50126",
                    "198.51.100.7",
                )
            })
            .collect();
        v.push(ev(30, "user3@contoso.com", "0", "198.51.100.7"));
        assert_eq!(
            types(run(&cfg, v)),
            vec![
                ("PasswordSpray".into(), "(multiple)".into(), 45),
                (
                    "PasswordSpraySuccess".into(),
                    "user3@contoso.com".into(),
                    95
                ),
            ]
        );
    }

    #[test]
    fn near_the_threshold() {
        let cfg = Config::default();
        // Four users from one IP: not a spray.
        let v: Vec<_> = (0..4)
            .map(|i| ev(i, &format!("u{i}@c.com"), "50126", "198.51.100.7"))
            .collect();
        assert!(types(run(&cfg, v)).is_empty());
        // Five users but spread over 40 minutes: not within 20.
        let v: Vec<_> = (0..5)
            .map(|i| ev(i * 10, &format!("u{i}@c.com"), "50126", "198.51.100.7"))
            .collect();
        assert!(types(run(&cfg, v)).is_empty());
        // One user failing many times from one IP is brute force, not spray.
        let v: Vec<_> = (0..9)
            .map(|i| ev(i, "same@c.com", "50126", "198.51.100.7"))
            .collect();
        assert!(types(run(&cfg, v)).is_empty());
    }

    #[test]
    fn spray_success_is_one_alert_with_the_victims_own_attempt() {
        // Regression: later successes must join the alert (not open one each), and the evidence
        // must be the failure against this identity, not another sprayed user's.
        let mut d = crate::Detector::new(Config::default());
        for i in 0..6 {
            d.push_event(ev(
                i * 2,
                &format!("user{i}@contoso.com"),
                "50126",
                "198.51.100.7",
            ));
        }
        for m in [30, 60, 90] {
            d.push_event(ev(m, "user3@contoso.com", "0", "198.51.100.7"));
        }
        // The victim's own sign-in from its usual network is not the compromise.
        d.push_event(ev(95, "user4@contoso.com", "0", "203.0.113.3"));
        let a: Vec<_> = d
            .flush()
            .into_iter()
            .filter(|a| a.detection_type == "PasswordSpraySuccess")
            .collect();
        assert_eq!(a.len(), 1);
        assert_eq!((a[0].failure_count, a[0].success_count), (1, 3));
        assert_eq!(
            a[0].evidence[0].line, 6,
            "user3's failure is the 4th event, at minute 6"
        );
    }

    #[test]
    fn an_office_ip_with_successes_is_not_a_spray_source() {
        let cfg = Config::default();
        let mut v = vec![ev(0, "boss@contoso.com", "0", "198.51.100.7")];
        v.extend((0..6).map(|i| {
            ev(
                10 + i,
                &format!("user{i}@contoso.com"),
                "50126",
                "198.51.100.7",
            )
        }));
        v.push(ev(30, "user3@contoso.com", "0", "198.51.100.7"));
        assert!(types(run(&cfg, v)).is_empty());
    }

    #[test]
    fn distributed_low_and_slow() {
        let cfg = Config::default();
        let ua = "Mozilla/5.0 (compatible; spray-kit)";
        let spray = |n: usize| -> Vec<crate::AuthEvent> {
            (0..n)
                .map(|i| {
                    let mut e = ev(
                        i as i64 * 30,
                        &format!("v{i}@contoso.com"),
                        "50126",
                        &format!("203.0.113.{i}"),
                    );
                    e.user_agent = Some(ua.into());
                    e
                })
                .collect()
        };
        assert_eq!(
            types(run(&cfg, spray(12))),
            vec![("DistributedPasswordSpray".into(), "(multiple)".into(), 50)]
        );
        assert!(types(run(&cfg, spray(9))).is_empty());
        // The same failures from IPs whose users also sign in successfully: ordinary typos.
        let mut v = spray(12);
        for i in 0..12 {
            v.push(ev(
                i * 30 + 1,
                &format!("v{i}@contoso.com"),
                "0",
                &format!("203.0.113.{i}"),
            ));
        }
        assert!(
            types(run(&cfg, v))
                .iter()
                .all(|t| t.0 != "DistributedPasswordSpray")
        );
        // Guessing from one address with the same user agent, before and during the spray (as
        // in the generated tenant): it is not part of the spray, and does not hide it.
        let mut v = spray(12);
        for k in 0..40 {
            let mut e = ev(k * 10 - 200, "target@contoso.com", "50126", "198.51.100.66");
            e.user_agent = Some(ua.into());
            v.push(e);
        }
        v.sort_by_key(|e| e.time);
        let got = run(&cfg, v);
        let spray_alerts: Vec<_> = got
            .iter()
            .filter(|a| a.0 == "DistributedPasswordSpray")
            .collect();
        assert_eq!(spray_alerts.len(), 1, "{got:?}");
        // (type, user, risk, failures, successes, IPs): the 12 sprayed failures from 12 IPs only.
        assert_eq!((spray_alerts[0].3, spray_alerts[0].5), (12, 12), "{got:?}");
    }

    #[test]
    fn missing_ip_and_agent_do_not_panic() {
        let v: Vec<_> = (0..8)
            .map(|i| ev(i, &format!("u{i}@c.com"), "50126", ""))
            .collect();
        assert!(types(run(&Config::default(), v)).is_empty());
    }
}
