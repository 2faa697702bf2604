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
use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::sequence::{self, Kept, Run};
use super::{
    Ctx, Distinct, Episode, Mini, Signal, Tracker, excluded_windows_account, secs, skip, trusted_ip,
};
use crate::event::{AuthEvent, Outcome};
use crate::mitre::{Detection, T1078, T1087, T1110_003, T1586};

crate::config::signal_config! {
    /// Windows: one source failing against many accounts — see
    /// [`crate::signals::one_source_many_accounts`].
    pub struct OneSourceManyAccountsConfig {
        pub enabled: bool = true,
        /// Sliding window (5 min, as Splunk's "Windows Multiple Users Failed To Authenticate From Ip").
        pub window_secs: u64 = 300,
        /// Distinct accounts needed in the window (31: Splunk's "more than 30").
        pub min_accounts: u32 = 31,
        /// Event IDs counted as failures (any failure status).
        pub failure_events: Vec<u32> = vec![4625, 4768, 4771, 4776],
        pub exclude_machine_accounts: bool = true,
        pub exclude_anonymous: bool = true,
        pub risk: u32 = 70,
        /// A logon by a sprayed account from the same source within this many seconds of its failure.
        pub success_window_secs: u64 = 3_600,
        pub risk_success: u32 = 95,
    }
    check(c) {
        if c.min_accounts < 2 || c.window_secs == 0 {
            return Err("min_accounts must be at least 2 and window_secs positive");
        }
        Ok(())
    }
}

pub const DETECTION: Detection = Detection {
    name: "OneSourceManyAccounts",
    techniques: TECHNIQUES,
};
pub const SUCCESS: Detection = Detection {
    name: "OneSourceManyAccountsThenSuccess",
    techniques: TECHNIQUES,
};
const TECHNIQUES: &[crate::mitre::Technique] = &[T1586, T1110_003, T1087, T1078];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Attempt {
    account: Shared<str>,
    display: Shared<str>,
    mini: Mini,
}

impl Kept for Attempt {
    fn mini(&self) -> &Mini {
        &self.mini
    }
}

/// A sprayed account's display name, the time of its latest failure, and its failures.
type Sprayed = (Shared<str>, DateTime<Utc>, Vec<Mini>);

/// A source's own state besides its run and its spray alert.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Own {
    /// The accounts of the open spray alert.
    accounts: Distinct,
    /// Since a spray was detected: account → (display name, time of its latest failure, its failures).
    sprayed: BTreeMap<Shared<str>, Sprayed>,
    /// Accounts already reported as sprayed-then-logged-on (one alert each).
    reported: Distinct,
}

/// The run: the source's failures of the last `window_secs`, against any account.
#[derive(Debug, Clone)]
pub(crate) struct Kind;

impl Run for Kind {
    type Record = Attempt;
    type Own = Own;
    const ABOUT_SOURCE: bool = true;

    fn run(_: &Own, ctx: &Ctx<'_>) -> TimeDelta {
        secs(ctx.cfg.one_source_many_accounts.window_secs)
    }

    fn close(mut ep: Box<Episode>, _: &Shared<str>, own: &mut Own, ctx: &mut Ctx<'_>) {
        ep.details
            .insert("AccountCount".into(), own.accounts.len().into());
        ep.details
            .insert("Accounts".into(), own.accounts.first(50).into());
        own.accounts = Distinct::default();
        let risk = ctx.cfg.one_source_many_accounts.risk;
        ctx.emit(ep, &DETECTION, risk);
    }

    fn own_deadline(own: &Own, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        let sw = secs(ctx.cfg.one_source_many_accounts.success_window_secs);
        own.sprayed.values().map(|(_, t, _)| *t + sw).min()
    }

    /// Sprayed accounts leave `success_window_secs` after their latest failure.
    fn own_expire(own: &mut Own, now: DateTime<Utc>, alert_open: bool, ctx: &Ctx<'_>) {
        let sw = secs(ctx.cfg.one_source_many_accounts.success_window_secs);
        own.sprayed.retain(|_, (_, t, _)| *t + sw > now);
        if own.sprayed.is_empty() && !alert_open {
            own.reported = Distinct::default();
        }
    }

    fn own_is_empty(own: &Own) -> bool {
        own.sprayed.is_empty()
    }

    fn own_finish(own: &mut Own) {
        own.sprayed.clear();
    }
}

pub(crate) type OneSourceManyAccounts = Tracker<sequence::State<Kind>>;

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

impl Signal for OneSourceManyAccounts {
    const DETECTIONS: &'static [Detection] = &[DETECTION, SUCCESS];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
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
        if success && !self.contains(&source) {
            return;
        }
        self.update(
            source.as_str(),
            || sequence::State::new(source.as_str().into(), ev.time),
            ctx,
            |s, ctx| {
                if failure {
                    add_failure(s, ev, ctx)
                } else {
                    add_success(s, ev, ctx)
                }
            },
        );
    }
}

fn add_failure(s: &mut sequence::State<Kind>, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
    let a = Attempt {
        account: ev.identity_key.clone(),
        display: ev.identity.clone(),
        mini: Mini::of(ev),
    };
    if let Some((ep, own)) = s.joining(ev.time, ctx) {
        ep.add(&a.mini, true, &ctx.cfg.limits, ctx.stats);
        own.accounts.add_str(&a.display, &ctx.cfg.limits, ctx.stats);
        remember(own, a, ctx);
        return;
    }
    s.expire(ev.time, ctx);
    s.keep(a, ctx);
    let mut distinct: Vec<&str> = s.recent().iter().map(|a| &*a.account).collect();
    crate::order::sort(&mut distinct);
    distinct.dedup();
    if distinct.len() as u64 >= u64::from(ctx.cfg.one_source_many_accounts.min_accounts) {
        let source = s.label().clone();
        let ep = s.open(ev.time, ctx, |ep, own, a, ctx| {
            ep.add(&a.mini, true, &ctx.cfg.limits, ctx.stats);
            own.accounts.add_str(&a.display, &ctx.cfg.limits, ctx.stats);
            remember(own, a, ctx);
        });
        ep.details
            .insert("Source".into(), source.to_string().into());
    }
}

/// Keep a sprayed account's failures, for a later logon from this source.
fn remember(own: &mut Own, a: Attempt, ctx: &mut Ctx<'_>) {
    let limits = &ctx.cfg.limits;
    if !own.sprayed.contains_key(&*a.account) && own.sprayed.len() >= limits.max_distinct_per_alert
    {
        ctx.stats.cap("max_distinct_per_alert");
        return;
    }
    let t = a.mini.time();
    let entry = own
        .sprayed
        .entry(a.account)
        .or_insert_with(|| (a.display, t, Vec::new()));
    entry.1 = entry.1.max(t);
    if entry.2.len() < limits.max_evidence {
        entry.2.push(a.mini);
    }
}

/// A logon from the source by an account it sprayed: one alert, at once.
fn add_success(s: &mut sequence::State<Kind>, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
    s.touch(ev.time);
    s.expire(ev.time, ctx);
    let limits = &ctx.cfg.limits;
    let source = s.label().to_string();
    let own = s.own_mut();
    let Some((display, _, failures)) = own.sprayed.get(&*ev.identity_key) else {
        return;
    };
    if own.reported.contains(&ev.identity_key) {
        return;
    }
    let first = failures.first().map_or(ev.time, Mini::time);
    let mut ep = Box::new(Episode::new(display, first));
    for f in failures {
        ep.add(f, true, limits, ctx.stats);
    }
    ep.add(&Mini::of(ev), false, limits, ctx.stats);
    ep.details.insert("Source".into(), source.into());
    ep.details
        .insert("SprayedAccounts".into(), own.sprayed.len().into());
    let risk = ctx.cfg.one_source_many_accounts.risk_success;
    ctx.emit(ep, &SUCCESS, risk);
    own.reported
        .add_str(&ev.identity_key, &ctx.cfg.limits, ctx.stats);
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

    const KINDS: &[&str] = &[super::DETECTION.name, super::SUCCESS.name];

    #[test]
    fn table() {
        let d = super::DETECTION.name.to_string();
        let s = super::SUCCESS.name.to_string();
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
