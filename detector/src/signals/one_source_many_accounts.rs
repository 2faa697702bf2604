//! **One source, many accounts** (Windows, default profile): password spraying and account
//! enumeration against Active Directory, and the sprayed account that then logs on.
//!
//! Logic: failures (event in `failure_events`: 4625, 4768, 4771, 4776 with any failure status) are
//! grouped by their source — `IpAddress`, or the client `WorkstationName` / `Workstation` when the
//! event has no address (4776 never has one); events with neither are skipped and counted. When one
//! source has failed against at least `min_accounts` (31, Splunk's "more than 30") distinct accounts
//! within `window_secs` (5 min), an `OneSourceManyAccounts` alert opens (risk `risk`, 70) for the
//! source: `UserPrincipalName` is `(multiple)`, `Details.Source` names it, `Details.Accounts` lists
//! the accounts (capped), `Details.AccountCount` counts them; later failures from the source join it
//! until the top-level `window_secs` (24 h) after its first record.
//! **Then success** (`OneSourceManyAccountsThenSuccess`, risk `risk_success`, 95): a logon (4624, or
//! a successful 4768/4776) *from the same source* for an account that source failed against, within
//! `success_window_secs` (1 h) of that failure, during or after a detected spray: one alert per
//! account and source, raised at once. Machine accounts and `ANONYMOUS LOGON` are left out by default.
//!
//! Anchors: MITRE ATT&CK T1110.003 (password spraying), T1087 (account discovery via Kerberos
//! enumeration), T1078, T1586; Splunk "Windows Multiple Users Failed To Authenticate From Ip" and
//! "... From Host" (> 30 users in 5 min), "Windows Multiple Invalid Users Fail To Authenticate Using
//! Kerberos"; Windows events 4625, 4768 (0x6), 4771 (0x18), 4776.
//!
//! Known false positives: a Citrix / RDS / VDI server or a NAT in front of many users after a
//! password-policy change (one source, many real accounts); a misconfigured service retrying many
//! service accounts; vulnerability scanners and identity audits. Put such sources in
//! `allowlist.trusted_ips`.

use crate::shared::Shared;
use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::password_spray::MULTIPLE;
use super::{
    Ctx, Distinct, Episode, IdState, Mini, Tracker, earliest, ended, excluded_windows_account,
    secs, skip, trusted_ip,
};
use crate::event::{AuthEvent, Outcome, SourceKind};

pub const DETECTION_TYPE: &str = "OneSourceManyAccounts";
pub const SUCCESS: &str = "OneSourceManyAccountsThenSuccess";
pub const MITRE: &[&str] = &["T1586", "T1110.003", "T1087", "T1078"];

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Attempt {
    account: Shared<str>,
    display: Shared<str>,
    mini: Mini,
}

/// A sprayed account's display name, the time of its latest failure, and its failures.
type Sprayed = (Shared<str>, DateTime<Utc>, Vec<Mini>);

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    source: String,
    /// Failures within `window_secs`, oldest first.
    recent: VecDeque<Attempt>,
    /// The open spray alert.
    episode: Option<Box<Episode>>,
    accounts: Distinct,
    /// Since a spray was detected: account → (display name, time of its latest failure, its failures).
    sprayed: BTreeMap<Shared<str>, Sprayed>,
    /// Accounts already reported as sprayed-then-logged-on (one alert each).
    reported: Distinct,
    last: DateTime<Utc>,
}

/// The source of a Windows event: its address, else its client workstation.
fn source_of(ev: &AuthEvent) -> Option<String> {
    if let Some(ip) = ev.ip.as_ref().filter(|a| !a.is_empty()) {
        return Some(ip.to_string());
    }
    ev.windows
        .as_deref()
        .and_then(|w| w.workstation.as_deref())
        .filter(|s| !s.is_empty())
        // Case-insensitive: NetBIOS names upper-cased as Windows shows them; a non-ASCII name is
        // lower-cased instead (Unicode case folding one way only: the core keeps the lower-case
        // tables for identities and not also the upper-case ones, 7 KB of the gzipped `.wasm`).
        .map(|w| {
            if w.is_ascii() {
                format!("workstation {}", w.to_ascii_uppercase())
            } else {
                format!("workstation {}", w.to_lowercase())
            }
        })
}

pub(crate) fn observe(tracker: &mut Tracker<State>, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
    if ev.source_kind != SourceKind::WindowsSecurity {
        return;
    }
    let c = &ctx.cfg.one_source_many_accounts;
    let Some(w) = ev.windows.as_deref() else {
        return;
    };
    let failure = ev.outcome == Outcome::Failure && c.failure_events.contains(&w.event_id);
    let success = ev.outcome == Outcome::Success && matches!(w.event_id, 4624 | 4768 | 4776);
    if !failure && !success {
        return;
    }
    if excluded_windows_account(ev, c.exclude_machine_accounts, c.exclude_anonymous).is_some() {
        return;
    }
    let Some(source) = source_of(ev) else {
        if failure {
            skip(
                ctx.stats,
                "one_source_many_accounts: no source IP or workstation",
            );
        }
        return;
    };
    if trusted_ip(ev, ctx.cfg) {
        return;
    }
    if success && !tracker.contains(&source) {
        return;
    }
    tracker.update(
        source.as_str(),
        || State {
            source: source.clone(),
            recent: VecDeque::new(),
            episode: None,
            accounts: Distinct::default(),
            sprayed: BTreeMap::new(),
            reported: Distinct::default(),
            last: ev.time,
        },
        ctx,
        |s, ctx| {
            if failure {
                s.failure(ev, ctx)
            } else {
                s.success(ev, ctx)
            }
        },
    );
}

impl State {
    fn failure(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let limits = &ctx.cfg.limits;
        let c = &ctx.cfg.one_source_many_accounts;
        self.last = self.last.max(ev.time);
        let a = Attempt {
            account: ev.identity_key.clone(),
            display: ev.identity.clone(),
            mini: Mini::of(ev),
        };
        self.expire(ev.time, ctx);
        if self
            .episode
            .as_ref()
            .is_some_and(|e| ev.time >= e.first + ctx.window())
        {
            self.close(ctx);
        }
        if let Some(ep) = &mut self.episode {
            ep.add(&a.mini, true, limits, ctx.stats);
            self.accounts.add_str(&a.display, limits, ctx.stats);
            self.remember(a, ctx);
            return;
        }
        self.recent.push_back(a);
        if self.recent.len() > limits.max_events_per_identity {
            self.recent.pop_front();
            ctx.stats.cap("max_events_per_identity");
        }
        let mut distinct: Vec<&str> = self.recent.iter().map(|a| &*a.account).collect();
        crate::order::sort(&mut distinct);
        distinct.dedup();
        if distinct.len() as u64 >= u64::from(c.min_accounts) {
            let first = self.recent.front().map_or(ev.time, |a| a.mini.time());
            let mut ep = Episode::new(MULTIPLE, first);
            ep.details
                .insert("Source".into(), self.source.clone().into());
            let drained: Vec<Attempt> = self.recent.drain(..).collect();
            for a in drained {
                ep.add(&a.mini, true, limits, ctx.stats);
                self.accounts.add_str(&a.display, limits, ctx.stats);
                self.remember(a, ctx);
            }
            self.episode = Some(Box::new(ep));
        }
    }

    /// Keep a sprayed account's failures, for a later logon from this source.
    fn remember(&mut self, a: Attempt, ctx: &mut Ctx<'_>) {
        let limits = &ctx.cfg.limits;
        if !self.sprayed.contains_key(&*a.account)
            && self.sprayed.len() >= limits.max_distinct_per_alert
        {
            ctx.stats.cap("max_distinct_per_alert");
            return;
        }
        let t = a.mini.time();
        let entry = self
            .sprayed
            .entry(a.account)
            .or_insert_with(|| (a.display, t, Vec::new()));
        entry.1 = entry.1.max(t);
        if entry.2.len() < limits.max_evidence {
            entry.2.push(a.mini);
        }
    }

    fn success(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        self.last = self.last.max(ev.time);
        self.expire(ev.time, ctx);
        let limits = &ctx.cfg.limits;
        let Some((display, _, failures)) = self.sprayed.get(&*ev.identity_key) else {
            return;
        };
        if self.reported.0.contains(&*ev.identity_key) {
            return;
        }
        let first = failures.first().map_or(ev.time, Mini::time);
        let mut ep = Episode::new(display, first);
        for f in failures {
            ep.add(f, true, limits, ctx.stats);
        }
        ep.add(&Mini::of(ev), false, limits, ctx.stats);
        ep.details
            .insert("Source".into(), self.source.clone().into());
        ep.details
            .insert("SprayedAccounts".into(), self.sprayed.len().into());
        let last = ep.last;
        let risk = ctx.cfg.one_source_many_accounts.risk_success;
        ctx.out
            .push(ep.into_alert(SUCCESS, risk, last, MITRE, ctx.cfg, ctx.stats));
        self.reported.add_str(&ev.identity_key, limits, ctx.stats);
    }

    /// Forget failures older than the spray window and sprayed accounts older than the success window.
    fn expire(&mut self, now: DateTime<Utc>, ctx: &Ctx<'_>) {
        let c = &ctx.cfg.one_source_many_accounts;
        let w = secs(c.window_secs);
        while self
            .recent
            .front()
            .is_some_and(|a| a.mini.time() + w <= now)
        {
            self.recent.pop_front();
        }
        let sw = secs(c.success_window_secs);
        self.sprayed.retain(|_, (_, t, _)| *t + sw > now);
        if self.sprayed.is_empty() && self.episode.is_none() {
            self.reported = Distinct::default();
        }
    }

    fn close(&mut self, ctx: &mut Ctx<'_>) {
        let Some(mut ep) = self.episode.take() else {
            return;
        };
        ep.details
            .insert("AccountCount".into(), self.accounts.len().into());
        ep.details
            .insert("Accounts".into(), self.accounts.first(50).into());
        self.accounts = Distinct::default();
        let last = ep.last;
        let risk = ctx.cfg.one_source_many_accounts.risk;
        ctx.out
            .push(ep.into_alert(DETECTION_TYPE, risk, last, MITRE, ctx.cfg, ctx.stats));
    }
}

impl IdState for State {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        let c = &ctx.cfg.one_source_many_accounts;
        let ep = self.episode.as_ref().map(|e| e.first + ctx.window());
        let recent = self
            .recent
            .front()
            .map(|a| a.mini.time() + secs(c.window_secs));
        let sprayed = self
            .sprayed
            .values()
            .map(|(_, t, _)| *t + secs(c.success_window_secs))
            .min();
        earliest([ep, recent, sprayed])
    }
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if ended(&self.episode, ctx, now) {
            self.close(ctx);
        }
        self.expire(now, ctx);
    }
    fn finish(&mut self, ctx: &mut Ctx<'_>) {
        self.close(ctx);
        self.recent.clear();
        self.sprayed.clear();
    }
    fn is_empty(&self) -> bool {
        self.episode.is_none() && self.recent.is_empty() && self.sprayed.is_empty()
    }
    fn last_seen(&self) -> DateTime<Utc> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{run, win};

    fn cfg(min: u32) -> Config {
        let mut c = Config::default();
        c.one_source_many_accounts.min_accounts = min;
        c
    }

    fn spray(n: usize, ip: &str, code: &str, event: u32) -> Vec<crate::AuthEvent> {
        (0..n)
            .map(|i| {
                win(
                    i as i64 / 10,
                    event,
                    &format!("CORP\\user{i:03}"),
                    ip,
                    Some(3),
                    code,
                )
            })
            .collect()
    }

    fn only(
        alerts: Vec<(String, String, u32, u64, u64, u64)>,
        kinds: &[&str],
    ) -> Vec<(String, String, u32, u64, u64, u64)> {
        alerts
            .into_iter()
            .filter(|a| kinds.contains(&a.0.as_str()))
            .collect()
    }

    type Summary = (String, String, u32, u64, u64, u64);

    const KINDS: &[&str] = &[super::DETECTION_TYPE, super::SUCCESS];

    #[test]
    fn table() {
        let d = super::DETECTION_TYPE.to_string();
        let s = super::SUCCESS.to_string();
        let m = "(multiple)".to_string();
        let cases: Vec<(&str, Config, Vec<crate::AuthEvent>, Vec<Summary>)> = vec![
            (
                "31 accounts from one IP in 4 minutes (Splunk: > 30 in 5 min)",
                Config::default(),
                spray(31, "203.0.113.66", "0xc000006a", 4625),
                vec![(d.clone(), m.clone(), 70, 31, 0, 1)],
            ),
            (
                "30 accounts is not enough",
                Config::default(),
                spray(30, "203.0.113.66", "0xc000006a", 4625),
                vec![],
            ),
            (
                "Kerberos pre-auth failures count (4771 0x18)",
                cfg(5),
                spray(6, "10.23.123.11", "0x18", 4771),
                vec![(d.clone(), m.clone(), 70, 6, 0, 1)],
            ),
            (
                "a sprayed account then logs on from the same source",
                cfg(5),
                {
                    let mut v = spray(6, "198.51.100.9", "0xc000006a", 4625);
                    v.push(win(
                        5,
                        4624,
                        "CORP\\user003",
                        "198.51.100.9",
                        Some(3),
                        "0x0",
                    ));
                    v
                },
                vec![
                    (s.clone(), "CORP\\user003".into(), 95, 1, 1, 1),
                    (d.clone(), m.clone(), 70, 6, 0, 1),
                ],
            ),
            (
                "a logon from another source is the user, not the sprayer",
                cfg(5),
                {
                    let mut v = spray(6, "198.51.100.9", "0xc000006a", 4625);
                    v.push(win(5, 4624, "CORP\\user003", "10.0.0.5", Some(3), "0x0"));
                    v
                },
                vec![(d.clone(), m.clone(), 70, 6, 0, 1)],
            ),
            (
                "failures spread over more than 5 minutes do not add up",
                cfg(5),
                (0..6)
                    .map(|i| {
                        win(
                            i * 6,
                            4625,
                            &format!("CORP\\u{i}"),
                            "203.0.113.66",
                            Some(3),
                            "0xc000006a",
                        )
                    })
                    .collect(),
                vec![],
            ),
            (
                "no source at all is skipped",
                cfg(5),
                spray(6, "", "0xc000006a", 4625)
                    .into_iter()
                    .map(|mut e| {
                        e.windows.as_mut().unwrap().workstation = None;
                        e
                    })
                    .collect(),
                vec![],
            ),
            (
                "without an IP the client workstation is the source (4776)",
                cfg(5),
                spray(6, "", "0xc000006a", 4776),
                vec![(d.clone(), m.clone(), 70, 6, 0, 0)],
            ),
        ];
        for (name, cfg, events, want) in cases {
            assert_eq!(only(run(&cfg, events), KINDS), want, "{name}");
        }
    }

    #[test]
    fn trusted_sources_are_left_out() {
        let mut c = cfg(5);
        c.allowlist.trusted_ips = vec!["203.0.113.0/24".parse().unwrap()];
        assert!(
            only(
                run(&c, spray(10, "203.0.113.66", "0xc000006a", 4625)),
                KINDS
            )
            .is_empty()
        );
    }

    #[test]
    fn a_workstation_is_one_source_whatever_its_case() {
        let at = |ip: &str, ws: &str| {
            let mut e = win(1, 4776, "x", ip, None, "0xc000006a");
            e.windows.as_mut().unwrap().workstation = Some(ws.into());
            super::source_of(&e)
        };
        for (ws, want) in [
            ("ws-042", "workstation WS-042"),
            ("WS-042", "workstation WS-042"),
            ("Müller-PC", "workstation müller-pc"),
            ("MÜLLER-PC", "workstation müller-pc"),
        ] {
            assert_eq!(at("", ws).as_deref(), Some(want), "{ws}");
        }
        assert_eq!(at("203.0.113.9", "WS-042").as_deref(), Some("203.0.113.9"));
        assert_eq!(at("", ""), None);
    }

    #[test]
    fn missing_fields_do_not_panic() {
        let mut e = win(1, 4625, "x", "", None, "0xc000006a");
        e.windows.as_mut().unwrap().workstation = None;
        let mut f = win(2, 4624, "x", "1.2.3.4", None, "0x0");
        f.windows = None;
        assert!(only(run(&cfg(2), vec![e, f]), KINDS).is_empty());
    }
}
