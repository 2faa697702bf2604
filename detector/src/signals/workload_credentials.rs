//! **Workload-identity credential abuse** (default profile): a service principal's or managed
//! identity's credentials tried and failing in a burst, then accepted — someone holding a list of
//! leaked secrets or certificates found one that works — and the burst alone as an attempt.
//!
//! Logic: per workload identity (keyed by application id, never shared with a user), sign-ins that
//! failed with a credential code in `failure_codes` (7000215 invalid client secret, 7000222
//! expired client secret, 700027 certificate or assertion signature not valid, 700024 client
//! assertion outside its valid time) are kept for `window_secs` (1 h). A success (code `0`)
//! preceded by at least `min_failures` (5) of them opens `WorkloadCredentialAbuse`; risk from the
//! failures' distinct IPs: 90 above 5, 75 above 2, else 60. Failures with other codes (an
//! application disabled, a resource not found) are configuration, not credentials: not counted.
//!
//! **Attempt** (`WorkloadCredentialFailures`): `attempt_min_failures` (10) such failures within
//! `attempt_window_secs` (10 min, Panther's "Azure Many Failed SignIns" threshold) with no success
//! within `window_secs` of the latest: risk 40, rising with volume and spread to at most 55.
//!
//! Alerts name the identity as `name (app <id>)` and carry `Details.IdentityKind`
//! (`servicePrincipal`, `managedIdentity`) and `Details.FailureCodes`.
//!
//! Anchors: Microsoft Entra workload-identity risk ("suspicious sign-ins", "leaked credentials");
//! Entra error codes AADSTS7000215 / 7000222 / 700027 / 700024; Panther "Azure Many Failed SignIns"
//! (service principals included); the Midnight Blizzard intrusion (2024), which ran through an
//! OAuth application's credentials; MITRE ATT&CK T1586.003, T1078.004, T1110.
//!
//! Known false positives: a secret that expired and a deployment still using it, then rotated
//! (7000222 failures then a success: `Details.FailureCodes` shows it; take 7000222 off the list
//! where rotations are noisy); a new certificate rolled out to some instances before others.

use super::sequence::{self, Step, failures_then};
use super::{Ctx, Episode, IpLadder, Mini, Signal, Tracker};
use crate::config::strings;
use crate::event::AuthEvent;
use crate::mitre::{Detection, T1078_004, T1110, T1586_003};

crate::config::signal_config! {
    /// Workload-identity credential abuse (default profile) — see
    /// [`crate::signals::workload_credentials`].
    pub struct WorkloadCredentialsConfig {
        pub enabled: bool = true,
        /// Credential failures must precede the success within this many seconds.
        pub window_secs: u64 = 3_600,
        /// Credential failures needed before the success.
        pub min_failures: u32 = 5,
        /// Result codes that are credential failures of a workload identity.
        pub failure_codes: Vec<String> = strings(&["7000215", "7000222", "700027", "700024"]),
        /// Attempts: this many credential failures within `attempt_window_secs`, no success after.
        pub attempt_min_failures: u32 = 10,
        pub attempt_window_secs: u64 = 600,
        pub attempt_risk: u32 = 40,
        pub attempt_risk_max: u32 = 55,
        pub risk_high: u32 = 90,
        pub high_ip_count: u32 = 5,
        pub risk_medium: u32 = 75,
        pub medium_ip_count: u32 = 2,
        pub risk_low: u32 = 60,
    }
}

const TECHNIQUES: &[crate::mitre::Technique] = &[T1586_003, T1078_004, T1110];

pub const DETECTION: Detection = Detection::compromise("WorkloadCredentialAbuse", TECHNIQUES);
pub const ATTEMPT: Detection = Detection::attempt("WorkloadCredentialFailures", &[T1110]);

/// The run: the workload identity's credential failures of the last `window_secs`.
#[derive(Debug, Clone)]
pub(crate) struct Kind;

sequence::failures_then_run!(Kind, workload_credentials, DETECTION, ATTEMPT);

pub(crate) type WorkloadCredentials = Tracker<sequence::State<Kind>>;

impl Signal for WorkloadCredentials {
    const DETECTIONS: &'static [Detection] = &[DETECTION, ATTEMPT];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let Some(code) = ev.result_code.as_deref() else {
            return;
        };
        let failure = ctx
            .cfg
            .workload_credentials
            .failure_codes
            .iter()
            .any(|c| c == code);
        if !failure && (code != "0" || !self.contains(&ev.identity_key)) {
            return;
        }
        self.by_identity(ev, ctx, |s, ctx| {
            let min = ctx.cfg.workload_credentials.min_failures;
            if let Step::Opened(ep) = failures_then(s, Mini::of(ev), failure, min, ctx, note_code) {
                ep.details
                    .insert("CompromiseIndicator".into(), "Success".into());
            }
        });
    }
}

/// `Details.FailureCodes`: which credential failures the alert holds.
fn note_code(ep: &mut Episode, m: &Mini) {
    if let Some(code) = m.evidence.result_type.as_deref().filter(|c| *c != "0") {
        super::matched::push_detail(ep, "FailureCodes", code);
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::event::SourceKind;
    use crate::signals::testkit::{ev, run};

    /// A service principal's sign-in.
    fn sp(min: i64, code: &str, ip: &str) -> crate::AuthEvent {
        let mut e = ev(min, "billing-sync (app 1b2c)", code, ip);
        e.identity_key = "sp:1b2c".into();
        e.source_kind = SourceKind::EntraServicePrincipal;
        e.app = None;
        e.interactive = Some(false);
        e
    }

    fn got(events: Vec<crate::AuthEvent>) -> Vec<(String, u32, u64, u64)> {
        run(&Config::default(), events)
            .into_iter()
            .filter(|a| a.0.starts_with("Workload"))
            .map(|a| (a.0, a.2, a.3, a.4))
            .collect()
    }

    /// A case: its name, the events, the alerts (type, risk, failures, successes) it must raise.
    type Case = (
        &'static str,
        Vec<crate::AuthEvent>,
        Vec<(&'static str, u32, u64, u64)>,
    );

    #[test]
    fn table() {
        let burst = |n: i64, code: &str| -> Vec<crate::AuthEvent> {
            (0..n).map(|i| sp(i, code, "198.51.100.7")).collect()
        };
        let then_ok = |mut v: Vec<crate::AuthEvent>, at: i64| {
            v.push(sp(at, "0", "198.51.100.7"));
            v
        };
        let cases: Vec<Case> = vec![
            (
                "six invalid secrets then a success",
                then_ok(burst(6, "7000215"), 8),
                vec![("WorkloadCredentialAbuse", 60, 6, 1)],
            ),
            (
                "four then a success is too few",
                then_ok(burst(4, "7000215"), 8),
                vec![],
            ),
            (
                "ten bad certificates in ten minutes, no success",
                burst(10, "700027"),
                vec![("WorkloadCredentialFailures", 40, 10, 0)],
            ),
            (
                "nine are below the attempt threshold",
                burst(9, "700027"),
                vec![],
            ),
            (
                "other failure codes are configuration, not credentials",
                then_ok(burst(12, "7000112"), 20),
                vec![],
            ),
            (
                "a user's failures are not a workload's",
                (0..12)
                    .map(|i| ev(i, "alice@contoso.com", "7000215", "198.51.100.7"))
                    .collect(),
                vec![],
            ),
            (
                "missing fields must not panic",
                vec![{
                    let mut e = sp(0, "0", "");
                    e.result_code = None;
                    e
                }],
                vec![],
            ),
        ];
        for (name, events, want) in cases {
            let want: Vec<(String, u32, u64, u64)> = want
                .into_iter()
                .map(|(t, r, f, s)| (t.into(), r, f, s))
                .collect();
            assert_eq!(got(events), want, "{name}");
        }
    }
}
