//! **Failed logons, then a logon** (Windows, default profile): the seed's third test made an ordered,
//! windowed signal for domain and member-server logs.
//!
//! Logic: per account (the account name without its domain, lower-cased), Windows failures that
//! match — event in `failure_events` (4625), logon type in `failure_logon_types` (3 network, 10 RDP)
//! when the event has one, and `SubStatus`/`Status` in `failure_codes` (0xc000006a bad password,
//! 0x18 Kerberos bad pre-auth) — are kept for `window_secs` (1 h). A 4624 (logon type in
//! `success_logon_types`, any when empty) after at least `min_failures` (5) of them opens an alert;
//! a 4624 after fewer clears the run (someone mistyped, then got in). Records of the account join the
//! open alert until the top-level `window_secs` (24 h) after its first record: one alert per account
//! and window. Machine accounts (`NAME$`) and `ANONYMOUS LOGON` are left out by default.
//! Risk from the distinct failure source IPs: 90 above 5, 75 above 2, else 60 (the seed's ladder).
//! `Details` name the hosts logged on to, the client workstations, and the logon that ended the run.
//!
//! Anchors: MITRE ATT&CK T1110.001 (password guessing), T1078 (valid accounts), T1586; Windows events
//! 4625/4624 (SubStatus 0xC000006A); Sigma "Failed Logon From Public IP" / Splunk "Windows Multiple
//! Invalid Users Fail To Authenticate" family; Microsoft's SecurityEvent brute-force hunting query.
//!
//! Known false positives: a user's phone or mapped drive retrying an old password (single source,
//! risk 60, the 4624 is often the user's own desk logon); scheduled tasks or services with a stale
//! password; vulnerability scanners with credentials. Allowlist such accounts in
//! `allowlist.ignored_identities` (by account name).

use chrono::TimeDelta;

use super::sequence::{self, Run, Step, failures_then};
use super::{Ctx, Episode, IpLadder, Mini, Signal, Tracker, excluded_windows_account, secs, skip};
use crate::config::strings;
use crate::event::{AuthEvent, Outcome};
use crate::mitre::{Detection, T1078, T1110_001, T1586};
use crate::shared::Shared;

crate::config::signal_config! {
    /// Windows: failed network logons, then a logon, for one account — see
    /// [`crate::signals::failed_logons_then_success`].
    pub struct FailedLogonsThenSuccessConfig {
        pub enabled: bool = true,
        /// Failures must precede the logon within this many seconds (1 h).
        pub window_secs: u64 = 3_600,
        /// Failures needed before the logon (5).
        pub min_failures: u32 = 5,
        /// Event IDs counted as failures (4625; add 4771 / 4776 for domain-controller logs, which can
        /// double-count a failure also logged as 4625 on the member server).
        pub failure_events: Vec<u32> = vec![4625],
        /// Logon types of counted 4625 failures (3 network, 10 RDP; add 8 for OpenSSH / IIS basic auth).
        pub failure_logon_types: Vec<u32> = vec![3, 10],
        /// Status / SubStatus codes counted (lower-case hex; 0xc000006a bad password, 0x18 Kerberos).
        pub failure_codes: Vec<String> = strings(&["0xc000006a", "0x18"]),
        /// Logon types of the 4624 that completes the pattern; empty means any.
        pub success_logon_types: Vec<u32> = Vec::new(),
        /// Leave out machine accounts (names ending in `$`).
        pub exclude_machine_accounts: bool = true,
        /// Leave out `ANONYMOUS LOGON` (SID S-1-5-7).
        pub exclude_anonymous: bool = true,
        /// Risk by distinct failure source IPs: `risk_high` above `high_ip_count`, `risk_medium` above
        /// `medium_ip_count`, else `risk_low` (the seed's 90 / 75 / 60 ladder).
        pub risk_high: u32 = 90,
        pub high_ip_count: u32 = 5,
        pub risk_medium: u32 = 75,
        pub medium_ip_count: u32 = 2,
        pub risk_low: u32 = 60,
    }
    check(c) {
        if c.min_failures == 0 || c.window_secs == 0 {
            return Err("min_failures and window_secs must be positive");
        }
        Ok(())
    }
}

pub const DETECTION: Detection = Detection {
    name: "FailedLogonsThenSuccess",
    techniques: &[T1586, T1110_001, T1078],
};

#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Failure,
    Success,
}

fn classify(ev: &AuthEvent, ctx: &Ctx<'_>) -> Option<Class> {
    let c = &ctx.cfg.failed_logons_then_success;
    let w = ev.windows.as_deref()?;
    match ev.outcome {
        Outcome::Success if w.event_id == 4624 => {
            let lt_ok = c.success_logon_types.is_empty()
                || w.logon_type
                    .is_some_and(|t| c.success_logon_types.contains(&t));
            lt_ok.then_some(Class::Success)
        }
        Outcome::Failure if c.failure_events.contains(&w.event_id) => {
            let lt_ok = w
                .logon_type
                .is_none_or(|t| c.failure_logon_types.contains(&t));
            let code = w
                .sub_status
                .as_deref()
                .filter(|s| *s != "0x0")
                .or(w.status.as_deref());
            let code_ok = code
                .is_some_and(|code| c.failure_codes.iter().any(|f| f.eq_ignore_ascii_case(code)));
            (lt_ok && code_ok).then_some(Class::Failure)
        }
        _ => None,
    }
}

/// The run: the account's matching failures of the last `window_secs`.
#[derive(Debug, Clone)]
pub(crate) struct Kind;

impl Run for Kind {
    type Record = Mini;
    type Own = ();

    fn run(_: &(), ctx: &Ctx<'_>) -> TimeDelta {
        secs(ctx.cfg.failed_logons_then_success.window_secs)
    }

    fn close(ep: Box<Episode>, _: &Shared<str>, _: &mut (), ctx: &mut Ctx<'_>) {
        let risk = ctx.cfg.failed_logons_then_success.ladder_risk(ep.ips.len());
        ctx.emit(ep, &DETECTION, risk);
    }
}

pub(crate) type FailedLogonsThenSuccess = Tracker<sequence::State<Kind>>;

impl Signal for FailedLogonsThenSuccess {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let c = &ctx.cfg.failed_logons_then_success;
        if let Some(why) =
            excluded_windows_account(ev, c.exclude_machine_accounts, c.exclude_anonymous)
        {
            skip(ctx.stats, why);
            return;
        }
        let Some(class) = classify(ev, ctx) else {
            return;
        };
        if class == Class::Success && !self.contains(&ev.identity_key) {
            return;
        }
        self.by_identity(ev, ctx, |s, ctx| {
            let min = ctx.cfg.failed_logons_then_success.min_failures;
            let failure = class == Class::Failure;
            match failures_then(s, Mini::of(ev), failure, min, ctx, |_, _| {}) {
                Step::Joined(ep) => describe(ep, ev),
                Step::Opened(ep) => {
                    describe(ep, ev);
                    let lt = ev
                        .windows
                        .as_deref()
                        .and_then(|w| w.logon_type)
                        .map_or(String::new(), |t| format!(", LogonType {t}"));
                    ep.details.insert(
                        "CompromiseIndicator".into(),
                        format!("Logon (4624{lt})").into(),
                    );
                }
                Step::Neither => {}
            }
        });
    }
}

fn note(ep: &mut Episode, key: &str, value: Option<&str>, cap: usize) {
    let Some(v) = value.filter(|v| !v.is_empty()) else {
        return;
    };
    let list = ep
        .details
        .entry(key.to_string())
        .or_insert_with(|| serde_json::Value::Array(Vec::new()));
    if let serde_json::Value::Array(a) = list
        && a.len() < cap
        && !a
            .iter()
            .any(|x| x.as_str().is_some_and(|x| x.eq_ignore_ascii_case(v)))
    {
        a.push(v.into());
    }
}

fn describe(ep: &mut Episode, ev: &AuthEvent) {
    if let Some(w) = ev.windows.as_deref() {
        note(ep, "Hosts", w.computer.as_deref(), 20);
        note(ep, "Workstations", w.workstation.as_deref(), 20);
        note(ep, "Domains", w.domain.as_deref(), 10);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{run, win};

    fn alerts(events: Vec<crate::AuthEvent>) -> Vec<(String, String, u32, u64, u64, u64)> {
        run(&Config::default(), events)
            .into_iter()
            .filter(|a| a.0 == super::DETECTION.name)
            .collect()
    }

    fn hit(
        user: &str,
        risk: u32,
        f: u64,
        s: u64,
        ips: u64,
    ) -> Vec<(String, String, u32, u64, u64, u64)> {
        vec![(super::DETECTION.name.into(), user.into(), risk, f, s, ips)]
    }

    #[test]
    fn table() {
        let bad = |min: i64, user: &str, ip: &str| win(min, 4625, user, ip, Some(3), "0xc000006a");
        let ok = |min: i64, user: &str, ip: &str| win(min, 4624, user, ip, Some(3), "0x0");
        let six_then = |last: crate::AuthEvent| {
            let mut v: Vec<_> = (0..6)
                .map(|i| bad(i, "CORP\\jdoe", "203.0.113.5"))
                .collect();
            v.push(last);
            v
        };
        let cases: Vec<(&str, Vec<crate::AuthEvent>, Vec<_>)> = vec![
            (
                "the seed's third test: six 4625 (type 3, 0xC000006A) then a 4624",
                six_then(ok(7, "CORP\\jdoe", "203.0.113.5")),
                hit("CORP\\jdoe", 60, 6, 1, 1),
            ),
            (
                "UPN and DOMAIN\\user are one account",
                six_then(ok(7, "jdoe@corp.example", "203.0.113.5")),
                hit("CORP\\jdoe", 60, 6, 1, 1),
            ),
            (
                "four failures then a logon is a typo",
                {
                    let mut v: Vec<_> = (0..4)
                        .map(|i| bad(i, "CORP\\jdoe", "203.0.113.5"))
                        .collect();
                    v.push(ok(7, "CORP\\jdoe", "203.0.113.5"));
                    v
                },
                vec![],
            ),
            (
                "interactive (type 2) failures do not count",
                {
                    let mut v: Vec<_> = (0..6)
                        .map(|i| win(i, 4625, "CORP\\jdoe", "", Some(2), "0xc000006a"))
                        .collect();
                    v.push(ok(7, "CORP\\jdoe", ""));
                    v
                },
                vec![],
            ),
            (
                "unknown-user failures (0xc0000064) do not count",
                {
                    let mut v: Vec<_> = (0..6)
                        .map(|i| win(i, 4625, "CORP\\jdoe", "203.0.113.5", Some(3), "0xc0000064"))
                        .collect();
                    v.push(ok(7, "CORP\\jdoe", "203.0.113.5"));
                    v
                },
                vec![],
            ),
            (
                "logon before the failures does not count (order matters)",
                {
                    let mut v = vec![ok(-3, "CORP\\jdoe", "203.0.113.5")];
                    v.extend((0..6).map(|i| bad(i, "CORP\\jdoe", "203.0.113.5")));
                    v
                },
                vec![],
            ),
            (
                "failures older than the 1 h run do not count",
                {
                    let mut v: Vec<_> = (0..6)
                        .map(|i| bad(i * 15, "CORP\\jdoe", "203.0.113.5"))
                        .collect();
                    v.push(ok(140, "CORP\\jdoe", "203.0.113.5"));
                    v
                },
                vec![],
            ),
            (
                "machine accounts are left out",
                {
                    let mut v: Vec<_> = (0..6)
                        .map(|i| bad(i, "CORP\\WS01$", "203.0.113.5"))
                        .collect();
                    v.push(ok(7, "CORP\\WS01$", "203.0.113.5"));
                    v
                },
                vec![],
            ),
            (
                "three sources → 75",
                {
                    let ips = ["198.51.100.1", "198.51.100.2", "198.51.100.3"];
                    let mut v: Vec<_> = (0..6)
                        .map(|i| bad(i, "CORP\\jdoe", ips[i as usize % 3]))
                        .collect();
                    v.push(ok(7, "CORP\\jdoe", "198.51.100.1"));
                    v
                },
                hit("CORP\\jdoe", 75, 6, 1, 3),
            ),
        ];
        for (name, events, want) in cases {
            assert_eq!(alerts(events), want, "{name}");
        }
    }

    #[test]
    fn feeds_the_combined_score() {
        // RDP guessing from a hosting provider's address (AS 9009, as enrichment would give it),
        // then a logon from there: two signals on one account → CompromisedIdentity.
        let m247 = |mut e: crate::AuthEvent| {
            e.asn = Some(9009);
            e
        };
        let mut v: Vec<_> = (0..6)
            .map(|i| {
                m247(win(
                    i,
                    4625,
                    "CORP\\jdoe",
                    "185.156.73.54",
                    Some(10),
                    "0xc000006a",
                ))
            })
            .collect();
        v.push(m247(win(
            7,
            4624,
            "CORP\\jdoe",
            "185.156.73.54",
            Some(10),
            "0x0",
        )));
        let got = run(&Config::default(), v);
        let kinds: Vec<&str> = got.iter().map(|a| a.0.as_str()).collect();
        assert!(kinds.contains(&"FailedLogonsThenSuccess"), "{kinds:?}");
        assert!(kinds.contains(&"SuspiciousInfrastructure"), "{kinds:?}");
        let combined = got
            .iter()
            .find(|a| a.0 == "CompromisedIdentity")
            .expect("combined");
        assert_eq!(combined.1, "CORP\\jdoe");
        assert_eq!(combined.2, 92, "noisy-OR of 60 and 80");
    }

    #[test]
    fn entra_events_are_not_read() {
        use crate::signals::testkit::ev;
        let mut v: Vec<_> = (0..6)
            .map(|i| ev(i, "jdoe", "50126", "203.0.113.5"))
            .collect();
        v.push(ev(7, "jdoe", "0", "203.0.113.5"));
        assert!(alerts(v).is_empty());
    }

    #[test]
    fn missing_fields_do_not_panic() {
        let mut e = win(1, 4625, "x", "", None, "0xc000006a");
        e.windows.as_mut().unwrap().status = None;
        e.windows.as_mut().unwrap().sub_status = None;
        let mut s = win(2, 4624, "x", "", None, "0x0");
        s.windows = None;
        assert!(alerts(vec![e, s]).is_empty());
    }
}
