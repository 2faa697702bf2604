//! **One source, many accounts** (Windows, default profile): password spraying and account
//! enumeration against Active Directory — attempts — and the logon from the spraying source that
//! shows the spray worked.
//!
//! Logic: failures (event in `failure_events`: 4625, 4768, 4771, 4776 with any failure status:
//! wrong passwords and unknown accounts alike) are grouped by their source — `IpAddress`, or the
//! client `WorkstationName` / `Workstation` when the event has no address (4776 never has one);
//! events with neither are skipped and counted. A source is spraying when it failed against
//! * at least `burst_min_accounts` (8) distinct accounts within `burst_window_secs` (60 s): a
//!   tool's pace (Kerbrute, CrackMapExec, a Kerberos spray of ten accounts in milliseconds), or
//! * at least `min_accounts` (31, Splunk's "more than 30") within `window_secs` (5 min).
//!
//! The burst rule is not applied to a **shared source**: one from which at least
//! `shared_source_min_accounts` (5) distinct accounts logged on successfully within the top-level
//! `window_secs` (a terminal server, a Citrix or VDI host, a NAT or VPN concentrator in front of many
//! users, where many users failing at once after a password change is ordinary); only the slower,
//! larger rule is. A spray opens a `OneSourceManyAccounts` attempt for the source (`UserPrincipalName`
//! `(multiple)`, `Details.Source`, `Details.Accounts`, `Details.AccountCount`, `Details.Rule`); later
//! failures from it join until the top-level `window_secs` (24 h) after its first record. Risk: an
//! attempt, `risk` (45) at `burst_min_accounts` accounts, more by volume ([`super::attempt_risk`]),
//! at most `risk_max` (55).
//!
//! **Then success** (`OneSourceManyAccountsThenSuccess`, a compromise, risk `risk_success` 95): a
//! logon (4624, or a successful 4768/4776) from the spraying source within `success_window_secs`
//! (1 h) of the spray's latest failure, by **any** account — a sprayed password that works succeeds
//! on its first try, so its account has no failure — or, from a shared source, only by an account
//! the source failed against. One alert per account and source, raised at once. Machine accounts and
//! `ANONYMOUS LOGON` are left out by default.
//!
//! Anchors: MITRE ATT&CK T1110.003 (password spraying), T1087 (account discovery via Kerberos
//! enumeration), T1078, T1586; Splunk "Windows Multiple Users Failed To Authenticate From Ip" and
//! "... From Host" (> 30 users in 5 min), "Windows Multiple Invalid Users Fail To Authenticate Using
//! Kerberos"; Sumo Logic "Password Attack from Host"; Windows events 4625, 4768 (0x6), 4771 (0x18),
//! 4776.
//!
//! Known false positives: a multi-user host after a password-policy change whose users had not yet
//! logged on from it (the guard learns shared sources from their logons); a misconfigured service
//! retrying many service accounts; vulnerability scanners and identity audits. Put such sources in
//! `allowlist.trusted_ips`.

use crate::shared::Shared;
use std::collections::BTreeMap;

use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::sequence::{self, Kept, Run};
use super::{
    Ctx, Distinct, Episode, Mini, Signal, Tracker, attempt_risk, excluded_windows_account, secs,
    skip, trusted_ip,
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
        /// A tool's pace: this many distinct accounts ...
        pub burst_min_accounts: u32 = 8,
        /// ... within this many seconds.
        pub burst_window_secs: u64 = 60,
        /// A source this many distinct accounts logged on from (within the detection window) is
        /// shared: the burst rule does not apply to it.
        pub shared_source_min_accounts: u32 = 5,
        /// Event IDs counted as failures (any failure status).
        pub failure_events: Vec<u32> = vec![4625, 4768, 4771, 4776],
        pub exclude_machine_accounts: bool = true,
        pub exclude_anonymous: bool = true,
        /// Risk of the spray (an attempt) at `burst_min_accounts` accounts; more by volume, never
        /// above `risk_max`.
        pub risk: u32 = 45,
        pub risk_max: u32 = 55,
        /// A logon from the spraying source within this many seconds of the spray's latest failure.
        pub success_window_secs: u64 = 3_600,
        pub risk_success: u32 = 95,
    }
    check(c) {
        if c.min_accounts < 2 || c.window_secs == 0 || c.burst_min_accounts < 2 {
            return Err(
                "min_accounts and burst_min_accounts must be at least 2 and window_secs positive",
            );
        }
        Ok(())
    }
}

/// The spray or enumeration itself is an attempt.
pub const DETECTION: Detection = Detection::attempt("OneSourceManyAccounts", &[T1110_003, T1087]);
pub const SUCCESS: Detection =
    Detection::compromise("OneSourceManyAccountsThenSuccess", TECHNIQUES);
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
    /// Accounts that logged on from this source, with their latest logon (the shared-source
    /// guard), for the detection window.
    logons: BTreeMap<Shared<str>, DateTime<Utc>>,
    /// Until when a logon from this source follows a detected spray.
    spray_until: Option<DateTime<Utc>>,
}

impl Own {
    fn shared(&self, ctx: &Ctx<'_>) -> bool {
        self.logons.len() as u64
            >= u64::from(ctx.cfg.one_source_many_accounts.shared_source_min_accounts)
    }
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
        own.accounts.describe(&mut ep);
        let c = &ctx.cfg.one_source_many_accounts;
        let risk = attempt_risk(
            c.risk,
            c.risk_max,
            own.accounts.len(),
            c.burst_min_accounts,
            0,
        );
        own.accounts = Distinct::default();
        ctx.emit(ep, &DETECTION, risk);
    }

    fn own_deadline(own: &Own, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        let sw = secs(ctx.cfg.one_source_many_accounts.success_window_secs);
        super::earliest([
            own.sprayed.values().map(|(_, t, _)| *t + sw).min(),
            own.logons.values().min().map(|t| *t + ctx.window()),
            own.spray_until,
        ])
    }

    /// Sprayed accounts leave `success_window_secs` after their latest failure, logons the
    /// detection window after theirs.
    fn own_expire(
        own: &mut Own,
        _: &Shared<str>,
        now: DateTime<Utc>,
        alert_open: bool,
        ctx: &mut Ctx<'_>,
    ) {
        let sw = secs(ctx.cfg.one_source_many_accounts.success_window_secs);
        own.sprayed.retain(|_, (_, t, _)| *t + sw > now);
        let w = ctx.window();
        own.logons.retain(|_, t| *t + w > now);
        if own.spray_until.is_some_and(|t| t <= now) {
            own.spray_until = None;
        }
        if own.sprayed.is_empty() && own.spray_until.is_none() && !alert_open {
            own.reported = Distinct::default();
        }
    }

    fn own_is_empty(own: &Own) -> bool {
        own.sprayed.is_empty() && own.logons.is_empty() && own.spray_until.is_none()
    }

    fn own_finish(own: &mut Own, _: &Shared<str>, _: &mut Ctx<'_>) {
        own.sprayed.clear();
        own.logons.clear();
        own.spray_until = None;
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
        // Logons are tracked for every source: the shared-source guard needs them before a spray.
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
    let until = ev.time + secs(ctx.cfg.one_source_many_accounts.success_window_secs);
    if let Some((ep, own)) = s.joining(ev.time, ctx) {
        ep.add(&a.mini, true, &ctx.cfg.limits, ctx.stats);
        own.accounts.add_str(&a.display, &ctx.cfg.limits, ctx.stats);
        own.spray_until = own.spray_until.max(Some(until));
        remember(own, a, ctx);
        return;
    }
    s.expire(ev.time, ctx);
    s.keep(a, ctx);
    let Some(rule) = spraying(s, ev.time, ctx) else {
        return;
    };
    let source = s.label().clone();
    let ep = s.open(ev.time, ctx, |ep, own, a, ctx| {
        ep.add(&a.mini, true, &ctx.cfg.limits, ctx.stats);
        own.accounts.add_str(&a.display, &ctx.cfg.limits, ctx.stats);
        remember(own, a, ctx);
    });
    ep.details
        .insert("Source".into(), source.to_string().into());
    ep.details.insert("Rule".into(), rule.into());
    let own = s.own_mut();
    own.spray_until = own.spray_until.max(Some(until));
}

/// Which rule says the run is a spray, if one does: enough accounts in the run, or (a source that
/// is not shared) a burst of accounts within `burst_window_secs` of `now`.
fn spraying(s: &sequence::State<Kind>, now: DateTime<Utc>, ctx: &Ctx<'_>) -> Option<&'static str> {
    let c = &ctx.cfg.one_source_many_accounts;
    // Whether the run (since a time) holds at least `need` accounts. Newest first with early
    // exits, not by sorting the run's accounts for each failure: a source guessing one account
    // thousands of times (3,558 SMB guesses in 3 minutes in a public recording) made that
    // quadratic: the EVTX benchmark folder (bench/evtx-folder.py, 40 copies of that recording),
    // `native --sort`, 18.1 s with sorting against 5.6 s with this.
    let at_least = |since: Option<DateTime<Utc>>, need: u64| {
        if need == 0 {
            return true;
        }
        let mut seen: Vec<&Shared<str>> = Vec::new();
        for a in s.recent().iter().rev() {
            // The run is in time order.
            if since.is_some_and(|t| a.mini.time() <= t) {
                break;
            }
            let same = |x: &&Shared<str>| Shared::ptr_eq(x, &a.account) || ***x == *a.account;
            if seen.last().is_some_and(same) || seen.iter().any(same) {
                continue;
            }
            seen.push(&a.account);
            if seen.len() as u64 >= need {
                return true;
            }
        }
        false
    };
    if at_least(None, u64::from(c.min_accounts)) {
        return Some("volume");
    }
    let burst_since = now - secs(c.burst_window_secs);
    (!s.own().shared(ctx) && at_least(Some(burst_since), u64::from(c.burst_min_accounts)))
        .then_some("burst")
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

/// A logon from the source: noted for the shared-source guard; after a spray from it (by any
/// account, or from a shared source by a sprayed one), one alert, at once.
fn add_success(s: &mut sequence::State<Kind>, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
    s.touch(ev.time);
    s.expire(ev.time, ctx);
    let limits = &ctx.cfg.limits;
    let source = s.label().to_string();
    let own = s.own_mut();
    let shared = own.shared(ctx);
    if own.logons.len() < limits.max_distinct_per_alert
        || own.logons.contains_key(&*ev.identity_key)
    {
        own.logons.insert(ev.identity_key.clone(), ev.time);
    }
    if own.reported.contains(&ev.identity_key) {
        return;
    }
    let sprayed = own.sprayed.get(&*ev.identity_key);
    let after_spray = !shared && own.spray_until.is_some_and(|t| ev.time <= t);
    if sprayed.is_none() && !after_spray {
        return;
    }
    let (display, failures): (&str, &[Mini]) = match sprayed {
        Some((display, _, failures)) => (display, failures),
        None => (&ev.identity, &[]),
    };
    let first = failures.first().map_or(ev.time, Mini::time);
    let mut ep = Box::new(Episode::new(display, first));
    for f in failures {
        ep.add(f, true, limits, ctx.stats);
    }
    // The logon is described (its address listed) when no failure of the account is.
    ep.add(&Mini::of(ev), failures.is_empty(), limits, ctx.stats);
    ep.details.insert("Source".into(), source.into());
    ep.details
        .insert("SprayedAccounts".into(), own.sprayed.len().into());
    if failures.is_empty() {
        ep.details.insert(
            "Note".into(),
            "no failure of this account: the sprayed password worked on its first try".into(),
        );
    }
    let risk = ctx.cfg.one_source_many_accounts.risk_success;
    ctx.emit(ep, &SUCCESS, risk);
    own.reported
        .add_str(&ev.identity_key, &ctx.cfg.limits, ctx.stats);
}

#[cfg(test)]
mod tests {
    use chrono::TimeDelta;

    use crate::config::Config;
    use crate::signals::testkit::{run, t, win};

    /// `n` accounts failing from `ip`, one every `apart` seconds.
    fn paced(n: usize, apart: i64, ip: &str, code: &str, event: u32) -> Vec<crate::AuthEvent> {
        (0..n)
            .map(|i| {
                let mut e = win(0, event, &format!("CORP\\user{i:03}"), ip, Some(3), code);
                e.time = t(0) + TimeDelta::seconds(i as i64 * apart);
                e
            })
            .collect()
    }

    fn logon(min: i64, who: &str, ip: &str) -> crate::AuthEvent {
        win(min, 4624, who, ip, Some(3), "0x0")
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
        let ip = "198.51.100.9";
        let cases: Vec<(&str, Vec<crate::AuthEvent>, Vec<Summary>)> = vec![
            (
                "31 accounts in 4.5 minutes, never 8 in a minute (Splunk: > 30 in 5 min)",
                paced(31, 9, ip, "0xc000006a", 4625),
                vec![(d.clone(), m.clone(), 45, 31, 0, 1)],
            ),
            (
                "30 accounts at that pace is not enough",
                paced(30, 9, ip, "0xc000006a", 4625),
                vec![],
            ),
            (
                "a tool's pace: 8 accounts in a second (Kerberos 4768 0x6 and 4771 0x18)",
                paced(4, 0, ip, "0x6", 4768)
                    .into_iter()
                    .chain(paced(8, 0, ip, "0x18", 4771).into_iter().skip(4))
                    .collect(),
                vec![(d.clone(), m.clone(), 45, 8, 0, 1)],
            ),
            (
                "7 accounts in a second is not",
                paced(7, 0, ip, "0x18", 4771),
                vec![],
            ),
            (
                "volume raises the risk: 128 accounts, 55",
                paced(128, 0, ip, "0xc000006a", 4625),
                vec![(d.clone(), m.clone(), 55, 128, 0, 1)],
            ),
            (
                "a shared source (five accounts logged on from it) gets no burst rule",
                {
                    let mut v: Vec<_> = (0..5)
                        .map(|i| logon(-30, &format!("CORP\\staff{i}"), ip))
                        .collect();
                    v.extend(paced(20, 0, ip, "0xc000006a", 4625));
                    v
                },
                vec![],
            ),
            (
                "a sprayed account then logs on from the same source",
                {
                    let mut v = paced(8, 0, ip, "0xc000006a", 4625);
                    v.push(logon(5, "CORP\\user003", ip));
                    v
                },
                vec![
                    (s.clone(), "CORP\\user003".into(), 95, 1, 1, 1),
                    (d.clone(), m.clone(), 45, 8, 0, 1),
                ],
            ),
            (
                "any account logging on from the spraying source: the password worked first try",
                {
                    let mut v = paced(8, 0, ip, "0x6", 4768);
                    v.push(win(1, 4768, "CORP\\normal", ip, None, "0x0"));
                    v
                },
                vec![
                    (s.clone(), "CORP\\normal".into(), 95, 0, 1, 1),
                    (d.clone(), m.clone(), 45, 8, 0, 1),
                ],
            ),
            (
                "... but not an hour after the spray",
                {
                    let mut v = paced(8, 0, ip, "0x6", 4768);
                    v.push(win(61, 4768, "CORP\\normal", ip, None, "0x0"));
                    v
                },
                vec![(d.clone(), m.clone(), 45, 8, 0, 1)],
            ),
            (
                "a logon from another source is the user, not the sprayer",
                {
                    let mut v = paced(8, 0, ip, "0xc000006a", 4625);
                    v.push(logon(5, "CORP\\user003", "10.0.0.5"));
                    v
                },
                vec![(d.clone(), m.clone(), 45, 8, 0, 1)],
            ),
            (
                "no source at all is skipped",
                paced(8, 0, "", "0xc000006a", 4625)
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
                paced(8, 0, "", "0xc000006a", 4776),
                vec![(d.clone(), m.clone(), 45, 8, 0, 0)],
            ),
        ];
        for (name, events, want) in cases {
            assert_eq!(only(run(&Config::default(), events), KINDS), want, "{name}");
        }
    }

    #[test]
    fn trusted_sources_are_left_out() {
        let mut c = Config::default();
        c.allowlist.trusted_ips = vec!["203.0.113.0/24".parse().unwrap()];
        assert!(
            only(
                run(&c, paced(10, 0, "203.0.113.66", "0xc000006a", 4625)),
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
        assert!(only(run(&Config::default(), vec![e, f]), KINDS).is_empty());
    }
}
