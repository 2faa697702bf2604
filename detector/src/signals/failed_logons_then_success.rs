//! **Failed logons, then a logon** (Windows, default profile): the seed's third test made an ordered,
//! windowed signal for domain and member-server logs — and, when no logon follows, the **brute force
//! attempt**.
//!
//! Logic: per account (`DOMAIN\name`, see [`crate::identity`]), Windows guessing failures — event in
//! `failure_events` (4625, Kerberos 4768 and 4771, NTLM 4776), logon type in `failure_logon_types`
//! when the event has one (every logon path: 2 interactive, 3 network, 7 unlock, 8 network
//! cleartext — OpenSSH, IIS basic —, 10 RDP, 11 cached), and `SubStatus` (else `Status`) in
//! `failure_codes` (a wrong password 0xc000006a / 0x18, an unknown account 0xc0000064 / 0x6, the
//! generic 0xc000006d, a lockout 0xc0000234 / 0x12; not disabled, expired or restricted accounts)
//! — are kept for `window_secs` (1 h).
//!
//! * **Compromise** (`FailedLogonsThenSuccess`): a 4624 (logon type in `success_logon_types`, any
//!   when empty) after at least `min_failures` (5) of them opens an alert; a 4624 after fewer clears
//!   the run (someone mistyped, then got in). Records of the account join the open alert until the
//!   top-level `window_secs` (24 h) after its first record: one alert per account and window. Risk
//!   from the distinct failure source IPs: 90 above 5, 75 above 2, else 60 (the seed's ladder).
//!   `Details` name the hosts logged on to, the client workstations, and the logon that ended the run.
//! * **Attempt** (`BruteForceAttempt`): `attempt_min_failures` (5) failures within
//!   `attempt_window_secs` (5 min) — Hayabusa's "PW Guessing" — with no logon within `window_secs`
//!   of the latest: reported then (or a day after its first failure, or at the end of input), risk
//!   `attempt_risk` (40) rising with volume and spread to at most `attempt_risk_max` (55)
//!   ([`super::sequence::AttemptRule`]). A logon in time makes it the compromise above instead.
//!
//! Machine accounts (`NAME$`) and `ANONYMOUS LOGON` are left out by default.
//!
//! Anchors: MITRE ATT&CK T1110.001 (password guessing), T1078 (valid accounts), T1586; Windows events
//! 4625/4624 (SubStatus 0xC000006A), 4771 (0x18), 4776; Hayabusa "PW Guessing" (≥ 5 wrong passwords
//! in 5 min); Sigma "Failed Logon From Public IP" / Splunk "Windows Multiple Invalid Users Fail To
//! Authenticate" family; Microsoft's SecurityEvent brute-force hunting query.
//!
//! Known false positives: a user's phone or mapped drive retrying an old password (single source,
//! risk 60 after a logon, an attempt at 40 without); scheduled tasks or services with a stale
//! password; vulnerability scanners with credentials; guessing from outside that the account's
//! own ordinary logon happens to follow within the hour (any logon completes the pattern:
//! `Details` name the logon's host, workstation and logon type to compare). Allowlist such accounts in
//! `allowlist.ignored_identities`.

use super::sequence::{self, BRUTE_FORCE, Step, failures_then};
use super::{Ctx, Episode, IpLadder, Mini, Signal, Tracker, excluded_windows_account, skip};
use crate::config::strings;
use crate::event::{AuthEvent, Outcome};
use crate::mitre::{Detection, T1078, T1110_001, T1586};

crate::config::signal_config! {
    /// Windows: failed network logons, then a logon, for one account — see
    /// [`crate::signals::failed_logons_then_success`].
    pub struct FailedLogonsThenSuccessConfig {
        pub enabled: bool = true,
        /// Failures must precede the logon within this many seconds (1 h).
        pub window_secs: u64 = 3_600,
        /// Failures needed before the logon (5).
        pub min_failures: u32 = 5,
        /// Event IDs counted as failures (4625, and on domain controllers Kerberos 4768 and 4771
        /// and NTLM 4776; a DC logs one failed network logon as both 4625 and 4776: both count).
        pub failure_events: Vec<u32> = vec![4625, 4768, 4771, 4776],
        /// Logon types of counted 4625 failures: every logon path (2 interactive, 3 network, 7
        /// unlock, 8 network cleartext, 10 RDP, 11 cached interactive).
        pub failure_logon_types: Vec<u32> = vec![2, 3, 7, 8, 10, 11],
        /// Status / SubStatus codes counted (lower-case hex): a wrong password (0xc000006a, Kerberos
        /// 0x18), an unknown account (0xc0000064, Kerberos 0x6), the generic 0xc000006d, a lockout
        /// (0xc0000234, Kerberos 0x12). Disabled, expired and restricted accounts are not guessing.
        pub failure_codes: Vec<String> = strings(&[
            "0xc000006a",
            "0x18",
            "0xc0000064",
            "0x6",
            "0xc000006d",
            "0xc0000234",
            "0x12",
        ]),
        /// Logon types of the 4624 that completes the pattern; empty means any.
        pub success_logon_types: Vec<u32> = Vec::new(),
        /// Leave out machine accounts (names ending in `$`).
        pub exclude_machine_accounts: bool = true,
        /// Leave out `ANONYMOUS LOGON` (SID S-1-5-7).
        pub exclude_anonymous: bool = true,
        /// Attempts: this many failures within `attempt_window_secs` with no success within
        /// `window_secs` of the latest are reported as `BruteForceAttempt` (5 in 5 min, Hayabusa's
        /// "PW Guessing").
        pub attempt_min_failures: u32 = 5,
        pub attempt_window_secs: u64 = 300,
        /// Risk of an attempt at the threshold; more by volume and spread, never above
        /// `attempt_risk_max`.
        pub attempt_risk: u32 = 40,
        pub attempt_risk_max: u32 = 55,
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

pub const DETECTION: Detection =
    Detection::compromise("FailedLogonsThenSuccess", &[T1586, T1110_001, T1078]);

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

sequence::failures_then_run!(Kind, failed_logons_then_success, DETECTION);

pub(crate) type FailedLogonsThenSuccess = Tracker<sequence::State<Kind>>;

impl Signal for FailedLogonsThenSuccess {
    const DETECTIONS: &'static [Detection] = &[DETECTION, BRUTE_FORCE];

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
    use crate::signals::testkit::{attempt, attempts, run, win};

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
                "local guessing (type 2) then a logon counts: every logon path does",
                {
                    let mut v: Vec<_> = (0..6)
                        .map(|i| win(i, 4625, "CORP\\jdoe", "", Some(2), "0xc000006a"))
                        .collect();
                    v.push(ok(7, "CORP\\jdoe", ""));
                    v
                },
                hit("CORP\\jdoe", 60, 6, 1, 0),
            ),
            (
                "network logons that are not logon attempts (type 5, a service) do not count",
                {
                    let mut v: Vec<_> = (0..6)
                        .map(|i| win(i, 4625, "CORP\\jdoe", "", Some(5), "0xc000006a"))
                        .collect();
                    v.push(ok(7, "CORP\\jdoe", ""));
                    v
                },
                vec![],
            ),
            (
                "a disabled account's failures (0xc0000072) are not guessing",
                {
                    let mut v: Vec<_> = (0..6)
                        .map(|i| win(i, 4625, "CORP\\jdoe", "203.0.113.5", Some(3), "0xc0000072"))
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

    #[test]
    fn brute_force_attempts() {
        let bad = |min: i64, who: &str, lt: u32, code: &str| {
            win(min, 4625, who, "198.51.100.9", Some(lt), code)
        };
        let cases: Vec<(&str, Vec<crate::AuthEvent>, Vec<_>)> = vec![
            (
                "five wrong passwords over SMB in a minute, no logon",
                (0..5)
                    .map(|_| bad(0, "CORP\\admin", 3, "0xc000006a"))
                    .collect(),
                vec![attempt("CORP\\admin", 40, 5, 1)],
            ),
            (
                "four is a typo",
                (0..4)
                    .map(|_| bad(0, "CORP\\admin", 3, "0xc000006a"))
                    .collect(),
                vec![],
            ),
            (
                "OpenSSH (type 8), RDP (10) and local (2) guessing count alike",
                [8, 10, 2, 8, 10]
                    .into_iter()
                    .map(|lt| bad(1, "CORP\\admin", lt, "0xc000006a"))
                    .collect(),
                vec![attempt("CORP\\admin", 40, 5, 1)],
            ),
            (
                "Kerberos 0x18 (4771) and NTLM 0xc0000064 (4776) count",
                (0..3)
                    .map(|_| win(1, 4771, "CORP\\admin", "198.51.100.9", None, "0x18"))
                    .chain(
                        (0..2).map(|_| {
                            win(1, 4776, "CORP\\admin", "198.51.100.9", None, "0xc0000064")
                        }),
                    )
                    .collect(),
                vec![attempt("CORP\\admin", 40, 5, 1)],
            ),
            (
                "a restricted or disabled account is not guessing",
                (0..6)
                    .map(|i| {
                        bad(
                            0,
                            "CORP\\admin",
                            10,
                            if i % 2 == 0 {
                                "0xc000006e"
                            } else {
                                "0xc0000072"
                            },
                        )
                    })
                    .collect(),
                vec![],
            ),
            (
                "spread over more than five minutes is not a burst",
                (0..6)
                    .map(|i| bad(i * 2, "CORP\\admin", 3, "0xc000006a"))
                    .collect(),
                vec![],
            ),
            (
                "a logon right after the failures is a compromise, not an attempt",
                {
                    let mut v: Vec<_> = (0..6)
                        .map(|_| bad(0, "CORP\\admin", 3, "0xc000006a"))
                        .collect();
                    v.push(win(20, 4624, "CORP\\admin", "198.51.100.9", Some(3), "0x0"));
                    v
                },
                vec![],
            ),
            (
                "a logon before the failures does not excuse them",
                {
                    let mut v = vec![win(0, 4624, "CORP\\admin", "198.51.100.9", Some(3), "0x0")];
                    v.extend((0..5).map(|_| bad(1, "CORP\\admin", 8, "0xc000006a")));
                    v
                },
                vec![attempt("CORP\\admin", 40, 5, 1)],
            ),
            (
                "a logon the next day does not either",
                {
                    let mut v: Vec<_> = (0..5)
                        .map(|_| bad(0, "CORP\\admin", 3, "0xc000006a"))
                        .collect();
                    v.push(win(
                        600,
                        4624,
                        "CORP\\admin",
                        "198.51.100.9",
                        Some(3),
                        "0x0",
                    ));
                    v
                },
                vec![attempt("CORP\\admin", 40, 5, 1)],
            ),
            (
                "volume raises the risk, never above 55",
                (0..3600)
                    .map(|_| bad(0, "CORP\\admin", 3, "0xc000006a"))
                    .collect(),
                vec![attempt("CORP\\admin", 55, 3600, 1)],
            ),
            (
                "two domains' administrators are two accounts",
                (0..3)
                    .map(|_| bad(0, "CORP\\administrator", 3, "0xc000006a"))
                    .chain((0..3).map(|_| bad(0, "LAB\\administrator", 3, "0xc000006a")))
                    .collect(),
                vec![],
            ),
            (
                "machine accounts are left out",
                (0..6)
                    .map(|_| bad(0, "CORP\\WS01$", 3, "0xc000006a"))
                    .collect(),
                vec![],
            ),
        ];
        for (name, events, want) in cases {
            assert_eq!(attempts(events), want, "{name}");
        }
    }
}
