//! **Credential stuffing** (seed profile): many failed sign-ins and at least one success for one
//! identity inside the detection window.
//!
//! Logic (the public T1586 KQL, made streaming):
//! * failures are records whose result code is not `0` and not in `excluded_result_codes`
//!   (seed: 50053 account locked / malicious-IP block, 50076 MFA required); successes are code `0`
//!   (Windows: 4625 failures and 4624 logons, the seed's third test);
//!   records without a result code are rejected at ingest and never reach here; at the other
//!   identity providers (Okta, AWS, Google, ...), failures are those whose failure class is not
//!   in `excluded_failure_classes` (`locked`, `mfa_required`: the same two exclusions in words);
//! * per identity, a sliding window of `window_secs` (seed 24 h: the KQL's `ago(24h)` over event time,
//!   since an offline file has no "now") holds recent failures and successes; when it holds at least
//!   `min_failures` (5) failures and `min_successes` (1) successes, an alert opens with everything in
//!   the window; later records for that identity join the same alert until `window_secs` after its
//!   first record, when it is emitted (one alert per identity and window, never repeated);
//! * `UniqueIPs`, `IPList`, `Apps` and `Countries` describe the failures (the attack), as the KQL's
//!   failure summary does; `SuccessCount` and the evidence show the success;
//! * risk: `risk_high` (90) above `high_ip_count` (5) distinct failure IPs, `risk_medium` (75) above
//!   `medium_ip_count` (2), else `risk_low` (60). `TimeGenerated` is the last record's time.
//!
//! Anchors: MITRE ATT&CK T1586 (compromised accounts), T1110.004 (credential stuffing), T1078 (valid
//! accounts); Microsoft Sentinel "Brute force attack against Azure Portal" / "Successful sign-in after
//! failures" rule family.
//!
//! Known false positives: users mistyping a password then succeeding (most single-IP, low-count
//! alerts at risk 60); password-reset flows; service accounts with stale credentials retrying; shared
//! corporate egress IPs. Use `allowlist.ignored_identities` for service accounts.

use chrono::TimeDelta;

use super::sequence::{self, Run};
use super::{Ctx, Episode, IpLadder, Mini, Signal, Tracker};
use crate::event::{AuthEvent, Outcome, SourceKind};
use crate::mitre::{Detection, T1078, T1110_004, T1586};
use crate::shared::Shared;

crate::config::signal_config! {
    /// Credential stuffing (seed semantics) — see [`crate::signals::credential_stuffing`].
    pub struct CredentialStuffingConfig {
        /// Turn the signal on or off.
        pub enabled: bool = true,
        /// Failures needed inside the window (seed: 5).
        pub min_failures: u32 = 5,
        /// Successes needed inside the window (seed: 1).
        pub min_successes: u32 = 1,
        /// Result codes that are not counted as failures (seed: 50053 lockout, 50076 MFA required).
        pub excluded_result_codes: Vec<String> = vec!["50053".into(), "50076".into()],
        /// The same exclusion at identity providers without Entra codes (Okta, AWS, Google, ...),
        /// by failure class ([`crate::FailureClass`]): `locked` and `mfa_required` are the
        /// seed's 50053 and 50076 in words.
        pub excluded_failure_classes: Vec<String> = vec!["locked".into(), "mfa_required".into()],
        /// Risk when the failures came from more than `high_ip_count` distinct IPs (seed: 90 above 5).
        pub risk_high: u32 = 90,
        pub high_ip_count: u32 = 5,
        /// Risk when from more than `medium_ip_count` distinct IPs (seed: 75 above 2).
        pub risk_medium: u32 = 75,
        pub medium_ip_count: u32 = 2,
        /// Risk otherwise (seed: 60).
        pub risk_low: u32 = 60,
    }
    check(c) {
        if c.min_failures == 0 {
            return Err("min_failures must be positive");
        }
        Ok(())
    }
}

pub const DETECTION: Detection =
    Detection::compromise("CredentialStuffing", &[T1586, T1110_004, T1078]);

/// The run: every failure and success of the identity in the detection window.
#[derive(Debug, Clone)]
pub(crate) struct Kind;

impl Run for Kind {
    type Record = Mini;
    type Own = ();

    fn run(_: &(), ctx: &Ctx<'_>) -> TimeDelta {
        ctx.window()
    }

    fn close(ep: Box<Episode>, _: &Shared<str>, _: &mut (), ctx: &mut Ctx<'_>) {
        let risk = ctx.cfg.credential_stuffing.ladder_risk(ep.ips.len());
        ctx.emit(ep, &DETECTION, risk);
    }
}

pub(crate) type CredentialStuffing = Tracker<sequence::State<Kind>>;

impl Signal for CredentialStuffing {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let cfg = &ctx.cfg.credential_stuffing;
        // Entra code 0, Windows 4624 (and successful 4768/4776): the reader's outcome says which.
        let success = ev.outcome == Outcome::Success;
        if ev.source_kind.is_entra() || ev.source_kind == SourceKind::WindowsSecurity {
            let Some(code) = ev.result_code.as_deref() else {
                return;
            };
            if !success && cfg.excluded_result_codes.iter().any(|c| c == code) {
                return;
            }
        } else {
            // The other identity providers, by the normalized failure class.
            if matches!(ev.outcome, Outcome::Attempt | Outcome::Verdict) {
                return;
            }
            let class = ev.failure_class();
            if class.is_some_and(|c| {
                cfg.excluded_failure_classes
                    .iter()
                    .any(|x| x.eq_ignore_ascii_case(c.name()))
            }) {
                return;
            }
        }
        self.by_identity(ev, ctx, |s, ctx| add(s, Mini::of(ev), ctx));
    }
}

fn add(s: &mut sequence::State<Kind>, m: Mini, ctx: &mut Ctx<'_>) {
    let t = m.time();
    if let Some((ep, ())) = s.joining(t, ctx) {
        ep.add(&m, !m.is_success(), &ctx.cfg.limits, ctx.stats);
        return;
    }
    s.expire(t, ctx);
    s.keep(m, ctx);
    let cfg = &ctx.cfg.credential_stuffing;
    let successes = s.recent().iter().filter(|r| r.is_success()).count() as u64;
    let failures = s.recent().len() as u64 - successes;
    if failures >= u64::from(cfg.min_failures) && successes >= u64::from(cfg.min_successes) {
        s.open(t, ctx, |ep, (), r, ctx| {
            ep.add(&r, !r.is_success(), &ctx.cfg.limits, ctx.stats)
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{ev, run};

    fn cs(user: &str, risk: u32, f: u64, s: u64, ips: u64) -> (String, String, u32, u64, u64, u64) {
        ("CredentialStuffing".into(), user.into(), risk, f, s, ips)
    }

    #[test]
    fn table() {
        let cfg = Config::for_profile(crate::config::Profile::Seed);
        let u = "alice@contoso.com";
        let fails = |n: i64, ips: &[&str]| -> Vec<_> {
            (0..n)
                .map(|i| ev(i, u, "50126", ips[i as usize % ips.len()]))
                .collect()
        };
        let cases: Vec<(&str, Vec<crate::AuthEvent>, Vec<_>)> = vec![
            (
                "seed test 1: six failures then a success, one IP",
                {
                    let mut v = fails(6, &["203.0.113.5"]);
                    v.push(ev(7, u, "0", "203.0.113.5"));
                    v
                },
                vec![cs(u, 60, 6, 1, 1)],
            ),
            (
                "exactly five failures is enough",
                {
                    let mut v = fails(5, &["203.0.113.5"]);
                    v.push(ev(7, u, "0", "203.0.113.5"));
                    v
                },
                vec![cs(u, 60, 5, 1, 1)],
            ),
            (
                "four failures is not",
                {
                    let mut v = fails(4, &["203.0.113.5"]);
                    v.push(ev(7, u, "0", "203.0.113.5"));
                    v
                },
                vec![],
            ),
            (
                "failures without success is not",
                fails(20, &["203.0.113.5"]),
                vec![],
            ),
            (
                "success first, failures after, same window",
                {
                    let mut v = vec![ev(-5, u, "0", "198.51.100.1")];
                    v.extend(fails(5, &["203.0.113.5"]));
                    v
                },
                vec![cs(u, 60, 5, 1, 1)],
            ),
            (
                "three IPs → 75",
                {
                    let mut v = fails(6, &["203.0.113.1", "203.0.113.2", "203.0.113.3"]);
                    v.push(ev(9, u, "0", "203.0.113.1"));
                    v
                },
                vec![cs(u, 75, 6, 1, 3)],
            ),
            (
                "six IPs → 90",
                {
                    let mut v = fails(
                        6,
                        &[
                            "1.1.1.1", "1.1.1.2", "1.1.1.3", "1.1.1.4", "1.1.1.5", "1.1.1.6",
                        ],
                    );
                    v.push(ev(9, u, "0", "1.1.1.1"));
                    v
                },
                vec![cs(u, 90, 6, 1, 6)],
            ),
            (
                "50053 and 50076 are not failures",
                {
                    let mut v: Vec<_> = (0..3).map(|i| ev(i, u, "50126", "203.0.113.5")).collect();
                    v.extend((3..9).map(|i| {
                        ev(
                            i,
                            u,
                            if i % 2 == 0 { "50053" } else { "50076" },
                            "203.0.113.5",
                        )
                    }));
                    v.push(ev(10, u, "0", "203.0.113.5"));
                    v
                },
                vec![],
            ),
            (
                "failures spread over more than 24 h do not add up",
                {
                    let mut v: Vec<_> = (0..5)
                        .map(|i| ev(i * 400, u, "50126", "203.0.113.5"))
                        .collect();
                    v.push(ev(1700, u, "0", "203.0.113.5"));
                    v
                },
                vec![],
            ),
            (
                "identity compared case-insensitively, first spelling kept",
                {
                    let mut v: Vec<_> = (0..5)
                        .map(|i| {
                            ev(
                                i,
                                if i % 2 == 0 { "Bob@X.com" } else { "bob@x.com" },
                                "50126",
                                "203.0.113.5",
                            )
                        })
                        .collect();
                    v.push(ev(7, "BOB@x.com", "0", "203.0.113.5"));
                    v
                },
                vec![cs("Bob@X.com", 60, 5, 1, 1)],
            ),
            (
                "later records inside the window join the same alert",
                {
                    let mut v = fails(6, &["203.0.113.5"]);
                    v.push(ev(7, u, "0", "203.0.113.5"));
                    v.push(ev(600, u, "50126", "203.0.113.9"));
                    v.push(ev(601, u, "0", "203.0.113.9"));
                    v
                },
                vec![cs(u, 60, 7, 2, 2)],
            ),
        ];
        for (name, events, want) in cases {
            let got: Vec<_> = run(&cfg, events)
                .into_iter()
                .filter(|a| a.0 == "CredentialStuffing")
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn two_windows_two_alerts() {
        let cfg = Config::for_profile(crate::config::Profile::Seed);
        let u = "carol@contoso.com";
        let mut v: Vec<_> = (0..5).map(|i| ev(i, u, "50126", "203.0.113.5")).collect();
        v.push(ev(6, u, "0", "203.0.113.5"));
        v.extend((0..5).map(|i| ev(3000 + i, u, "50126", "203.0.113.7")));
        v.push(ev(3006, u, "0", "203.0.113.7"));
        let got = run(&cfg, v);
        assert_eq!(got.len(), 2, "{got:?}");
    }

    #[test]
    fn thresholds_are_configurable() {
        let cfg = Config::from_json(
            r#"{"profile":"seed","credential_stuffing":{"min_failures":3,"risk_low":10}}"#,
        )
        .unwrap();
        let u = "dave@contoso.com";
        let mut v: Vec<_> = (0..3).map(|i| ev(i, u, "50126", "203.0.113.5")).collect();
        v.push(ev(4, u, "0", "203.0.113.5"));
        assert_eq!(run(&cfg, v), vec![cs(u, 10, 3, 1, 1)]);
    }

    #[test]
    fn missing_fields_do_not_panic() {
        let cfg = Config::for_profile(crate::config::Profile::Seed);
        let u = "erin@contoso.com";
        let mut v: Vec<_> = (0..6)
            .map(|i| {
                let mut e = ev(i, u, "50126", "");
                e.app = None;
                e.result_code = if i == 0 { None } else { e.result_code };
                e
            })
            .collect();
        v.push(ev(7, u, "0", ""));
        // One failure has no result code: it is not counted; five remain.
        assert_eq!(run(&cfg, v), vec![cs(u, 60, 5, 1, 0)]);
    }

    #[test]
    fn ignored_identities_are_not_analysed() {
        let cfg = Config::from_json(
            r#"{"profile":"seed","allowlist":{"ignored_identities":["SVC-backup@contoso.com"]}}"#,
        )
        .unwrap();
        let u = "svc-backup@contoso.com";
        let mut v: Vec<_> = (0..6).map(|i| ev(i, u, "50126", "203.0.113.5")).collect();
        v.push(ev(7, u, "0", "203.0.113.5"));
        assert_eq!(run(&cfg, v), vec![]);
    }
}
