//! **Credential stuffing, ordered** (default profile): a run of failed sign-ins for one identity
//! followed, within a sliding window, by a success — or by a sign-in whose password was right but
//! that something else stopped (the attacker holds the password either way); and, when nothing
//! follows, the **brute force attempt**.
//!
//! Logic: per identity, failures (result code ≠ 0, not in `excluded_result_codes`, not from a
//! password-reset app in `allowlist.password_reset_apps`; at the other identity providers, a
//! failure whose class is not in `excluded_failure_classes`, an MFA step counting as a
//! correct password) are kept for `window_secs` (1 h). A success
//! (code `0`) or a *correct-password* event — code in `correct_password_codes` (50076, 50079, 50074,
//! 50158, 53003, 50055, and 500121: an MFA prompt failed, so the password had passed) or an `authenticationStepResultDetail` in `correct_password_details`
//! ("Correct Password") — preceded by at least `min_failures` (5) failures in the window opens an
//! alert; a success or correct-password event without enough failures before it clears the run (a
//! user who mistyped and got in). Later records join the alert until `window_secs` (top-level, 24 h)
//! after its first record. Risk from the distinct failure IPs: 90 above 5, 75 above 2, else 60.
//! `Details.CompromiseIndicator` says what ended the run; 50053 failures are split in
//! `Details.Lockouts` and `Details.MaliciousIpBlocks` (50053 means an account lockout *or* Microsoft's
//! block of a known-bad IP, told apart by the failure reason).
//!
//! **Attempt** (`BruteForceAttempt`): `attempt_min_failures` (5) failures within
//! `attempt_window_secs` (5 min), lockout storms (50053) included, with no success or
//! correct-password event within `window_secs` of the latest: reported then (or a day after its
//! first failure, or at the end of input), risk `attempt_risk` (40) rising with volume and spread to
//! at most `attempt_risk_max` (55) ([`super::sequence::AttemptRule`]). A success in time makes it the
//! compromise above instead.
//!
//! Anchors: MITRE ATT&CK T1110.004/T1110.001, T1586, T1078; Microsoft Sentinel "Brute force attack
//! against Azure Portal", "Successful logon from IP and failure from a different IP"; Splunk
//! "Azure AD Successful Authentication From Different IPs"; Entra sign-in error codes reference.
//!
//! Known false positives: users fighting a caps-lock key then getting in (five failures is a real
//! run); stale credentials on a phone retrying before the user updates them (single IP, risk 60);
//! password-reset flows (excluded by app); guessing from elsewhere that the real user's own sign-in
//! happens to follow within the hour (the success may come from any address, as in Sentinel's
//! "failure from one IP, success from another": compare the evidence's addresses).

use super::sequence::{self, BRUTE_FORCE, Step, failures_then};
use super::{Ctx, Episode, IpLadder, Mini, Signal, Tracker, password_reset_flow, skip};
use crate::config::strings;
use crate::event::{AuthEvent, FailureClass, Outcome};
use crate::mitre::{Detection, T1078, T1110_004, T1586};

crate::config::signal_config! {
    /// Failures then success, ordered (default profile) — see [`crate::signals::failures_then_success`].
    pub struct FailuresThenSuccessConfig {
        pub enabled: bool = true,
        /// Failures must precede the success within this many seconds.
        pub window_secs: u64 = 3_600,
        /// Failures needed before the success.
        pub min_failures: u32 = 5,
        /// Result codes never counted as failures.
        pub excluded_result_codes: Vec<String> = Vec::new(),
        /// Failure classes never counted as failures, for the identity providers without Entra
        /// codes (Okta, AWS, Google, ...): `bad_credentials`, `unknown_account`, `locked`,
        /// `disabled`, `expired`, `blocked`, `other` ([`crate::FailureClass`]). `mfa_required`
        /// and `mfa_failed` end a run like a success (the password was right).
        pub excluded_failure_classes: Vec<String> = Vec::new(),
        /// Result codes meaning "the password was right, something else blocked": they end a run of
        /// failures like a success does (the attacker has the password).
        pub correct_password_codes: Vec<String> = strings(&[
            "50076", "50079", "50074", "50158", "53003", "50055", "500121",
            ]),
        /// `authenticationStepResultDetail` texts with the same meaning (case-insensitive).
        pub correct_password_details: Vec<String> = strings(&["Correct Password"]),
        /// Attempts: this many failures within `attempt_window_secs` with no success within
        /// `window_secs` of the latest are reported as `BruteForceAttempt` (5 in 5 min, Hayabusa's
        /// "PW Guessing").
        pub attempt_min_failures: u32 = 5,
        pub attempt_window_secs: u64 = 300,
        /// Risk of an attempt at the threshold; more by volume and spread, never above
        /// `attempt_risk_max`.
        pub attempt_risk: u32 = 40,
        pub attempt_risk_max: u32 = 55,
        pub risk_high: u32 = 90,
        pub high_ip_count: u32 = 5,
        pub risk_medium: u32 = 75,
        pub medium_ip_count: u32 = 2,
        pub risk_low: u32 = 60,
    }
}

pub const DETECTION: Detection =
    Detection::compromise("CredentialStuffing", &[T1586, T1110_004, T1078]);

#[derive(Debug, Clone, Copy, PartialEq)]
enum Class {
    Failure,
    Success,
    CorrectPassword,
}

fn classify(ev: &AuthEvent, ctx: &Ctx<'_>) -> Option<Class> {
    let cfg = &ctx.cfg.failures_then_success;
    if !ev.source_kind.is_entra() {
        // Other identity providers: by the normalized outcome and failure class.
        return match ev.outcome {
            Outcome::Success => Some(Class::Success),
            Outcome::Failure | Outcome::Interrupted => {
                let class = ev.failure_class().unwrap_or(FailureClass::Other);
                if class.password_correct() {
                    Some(Class::CorrectPassword)
                } else if cfg
                    .excluded_failure_classes
                    .iter()
                    .any(|c| c.eq_ignore_ascii_case(class.name()))
                {
                    None
                } else {
                    Some(Class::Failure)
                }
            }
            Outcome::Attempt | Outcome::Verdict => None,
        };
    }
    let code = ev.result_code.as_deref()?;
    if code == "0" {
        return Some(Class::Success);
    }
    if cfg.correct_password_codes.iter().any(|c| c == code)
        || ev.auth_step_results().iter().any(|d| {
            cfg.correct_password_details
                .iter()
                .any(|c| d.trim().eq_ignore_ascii_case(c))
        })
    {
        return Some(Class::CorrectPassword);
    }
    if cfg.excluded_result_codes.iter().any(|c| c == code) {
        return None;
    }
    Some(Class::Failure)
}

/// The run: the identity's failures of the last `window_secs`.
#[derive(Debug, Clone)]
pub(crate) struct Kind;

sequence::failures_then_run!(Kind, failures_then_success, DETECTION);

pub(crate) type FailuresThenSuccess = Tracker<sequence::State<Kind>>;

impl Signal for FailuresThenSuccess {
    const DETECTIONS: &'static [Detection] = &[DETECTION, BRUTE_FORCE];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let Some(class) = classify(ev, ctx) else {
            return;
        };
        if class == Class::Failure && password_reset_flow(ev, ctx.m) {
            skip(ctx.stats, "failures_then_success: password reset flow");
            return;
        }
        if class != Class::Failure && !self.contains(&ev.identity_key) {
            return;
        }
        self.by_identity(ev, ctx, |s, ctx| {
            let min = ctx.cfg.failures_then_success.min_failures;
            let failure = class == Class::Failure;
            if let Step::Opened(ep) = failures_then(s, Mini::of(ev), failure, min, ctx, note_50053)
            {
                let indicator = match class {
                    Class::Success => "Success".to_string(),
                    _ => format!(
                        "CorrectPassword ({})",
                        ev.result_code
                            .as_deref()
                            .unwrap_or("authenticationStepResultDetail")
                    ),
                };
                ep.details
                    .insert("CompromiseIndicator".into(), indicator.into());
            }
        });
    }
}

fn note_50053(ep: &mut Episode, m: &Mini) {
    if m.evidence.result_type.as_deref() != Some("50053") {
        return;
    }
    let malicious = m
        .reason
        .as_deref()
        .is_some_and(|r| r.to_lowercase().contains("malicious"));
    let key = if malicious {
        "MaliciousIpBlocks"
    } else {
        "Lockouts"
    };
    let n = ep.details.get(key).and_then(|v| v.as_u64()).unwrap_or(0);
    ep.details.insert(key.into(), (n + 1).into());
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{attempt, attempts, ev, run};

    fn cs(user: &str, risk: u32, f: u64, s: u64, ips: u64) -> (String, String, u32, u64, u64, u64) {
        ("CredentialStuffing".into(), user.into(), risk, f, s, ips)
    }

    #[test]
    fn table() {
        let cfg = Config::default();
        let u = "alice@contoso.com";
        let fails = |n: i64, ips: &[&str]| -> Vec<_> {
            (0..n)
                .map(|i| ev(i, u, "50126", ips[i as usize % ips.len()]))
                .collect()
        };
        let cases: Vec<(&str, Vec<crate::AuthEvent>, Vec<_>)> = vec![
            (
                "six failures then a success",
                {
                    let mut v = fails(6, &["203.0.113.5"]);
                    v.push(ev(7, u, "0", "203.0.113.5"));
                    v
                },
                vec![cs(u, 60, 6, 1, 1)],
            ),
            (
                "four failures then a success is a typo",
                {
                    let mut v = fails(4, &["203.0.113.5"]);
                    v.push(ev(7, u, "0", "203.0.113.5"));
                    v
                },
                vec![],
            ),
            (
                "success BEFORE the failures does not count (order matters)",
                {
                    let mut v = vec![ev(-5, u, "0", "198.51.100.1")];
                    v.extend(fails(6, &["203.0.113.5"]));
                    v
                },
                vec![],
            ),
            (
                "correct password blocked by MFA (50076) ends the run",
                {
                    let mut v = fails(5, &["203.0.113.5"]);
                    v.push(ev(7, u, "50076", "203.0.113.5"));
                    v
                },
                vec![cs(u, 60, 6, 0, 1)],
            ),
            (
                "failures older than the 1 h run window do not count",
                {
                    let mut v: Vec<_> = (0..5)
                        .map(|i| ev(i * 20, u, "50126", "203.0.113.5"))
                        .collect();
                    v.push(ev(125, u, "0", "203.0.113.5"));
                    v
                },
                vec![],
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
                "a typo run cleared by a success does not add to a later run",
                {
                    let mut v = fails(3, &["203.0.113.5"]);
                    v.push(ev(4, u, "0", "203.0.113.5"));
                    v.extend((5..8).map(|i| ev(i, u, "50126", "203.0.113.5")));
                    v.push(ev(9, u, "0", "203.0.113.5"));
                    v
                },
                vec![],
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
    fn lockouts_and_malicious_ip_blocks_are_told_apart() {
        let u = "bob@contoso.com";
        let mut v: Vec<_> = (0..3).map(|i| ev(i, u, "50126", "203.0.113.5")).collect();
        v.push(ev(3, u, "50053", "203.0.113.5"));
        let mut m = ev(4, u, "50053", "203.0.113.6");
        m.failure_reason =
            Some("Account is locked because the sign-in was from a malicious IP address".into());
        v.push(m);
        v.push(ev(6, u, "0", "203.0.113.5"));
        let mut d = crate::Detector::new(Config::default());
        for e in v {
            d.push_event(e);
        }
        let a: Vec<_> = d
            .flush()
            .into_iter()
            .filter(|a| a.detection_type == "CredentialStuffing")
            .collect();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].details["Lockouts"], 1);
        assert_eq!(a[0].details["CompromiseIndicator"], "Success");
    }

    #[test]
    fn password_reset_failures_are_not_guessing() {
        let u = "carol@contoso.com";
        let mut v: Vec<_> = (0..6)
            .map(|i| {
                let mut e = ev(i, u, "50126", "203.0.113.5");
                e.app = Some("Microsoft Password Reset Service".into());
                e
            })
            .collect();
        v.push(ev(7, u, "0", "203.0.113.5"));
        assert!(
            run(&Config::default(), v)
                .iter()
                .all(|a| a.0 != "CredentialStuffing")
        );
    }

    #[test]
    fn missing_fields_do_not_panic() {
        let mut e = ev(1, "x@y.z", "50126", "");
        e.result_code = None;
        e.app = None;
        assert!(run(&Config::default(), vec![e, ev(2, "x@y.z", "0", "")]).is_empty());
    }

    #[test]
    fn brute_force_attempts() {
        let u = "victim@contoso.com";
        let f = |min: i64, code: &str| ev(min, u, code, "203.0.113.5");
        let cases: Vec<(&str, Vec<crate::AuthEvent>, Vec<_>)> = vec![
            (
                "wrong passwords and a lockout storm",
                vec![
                    f(0, "50126"),
                    f(0, "50126"),
                    f(1, "50053"),
                    f(1, "50053"),
                    f(2, "50053"),
                ],
                vec![attempt(u, 40, 5, 1)],
            ),
            (
                "a right password stopped by MFA is not guessing",
                (0..6).map(|_| f(0, "50076")).collect(),
                vec![],
            ),
            (
                "... and after failures it is the compromise, not an attempt",
                {
                    let mut v: Vec<_> = (0..5).map(|_| f(0, "50126")).collect();
                    v.push(f(2, "50076"));
                    v
                },
                vec![],
            ),
            (
                "a success soon after: the stuffing signal's",
                {
                    let mut v: Vec<_> = (0..6).map(|_| f(0, "50126")).collect();
                    v.push(f(3, "0"));
                    v
                },
                vec![],
            ),
        ];
        for (name, events, want) in cases {
            assert_eq!(attempts(events), want, "{name}");
        }
        // A compromise threshold above the attempt's: six failures and then the user got in
        // is neither a compromise nor an attempt (the success ends the run).
        let mut cfg = Config::default();
        cfg.failures_then_success.min_failures = 7;
        let mut v: Vec<_> = (0..6).map(|i| f(i, "50126")).collect();
        v.push(f(7, "0"));
        assert_eq!(run(&cfg, v), vec![], "success below min_failures");
    }

    #[test]
    fn attempts_do_not_feed_the_combined_score() {
        // Guessing and a hosting sign-in of the same account much later: one attempt, one
        // hosting alert, no combined alert (the attempt was never followed by its success).
        let u = "victim@contoso.com";
        let mut v: Vec<_> = (0..6).map(|_| ev(0, u, "50126", "203.0.113.5")).collect();
        let mut s = ev(300, u, "0", "185.220.101.4");
        s.asn = Some(9009);
        v.push(s);
        let got = run(&Config::default(), v);
        let kinds: Vec<&str> = got.iter().map(|a| a.0.as_str()).collect();
        assert!(kinds.contains(&"BruteForceAttempt"), "{kinds:?}");
        assert!(!kinds.contains(&"CompromisedIdentity"), "{kinds:?}");
    }
}
