//! Okta System Log events (the `/api/v1/logs` JSON array, JSON Lines exports, Panther's and other
//! pipelines' copies with lower-cased top-level keys).
//!
//! Read as sign-ins:
//! * `user.session.start` — the primary sign-in: `SUCCESS`, `FAILURE` (the class from
//!   `outcome.reason`: `INVALID_CREDENTIALS`, `VERIFICATION_ERROR`, `LOCKED_OUT`, …), `DENY`
//!   (blocked by policy), `CHALLENGE` (interrupted: a second factor is asked for);
//! * `user.authentication.sso` — a sign-in to an application (`target[]` of type `AppInstance`);
//! * failures of `user.authentication.auth_via_mfa`, and `user.mfa.okta_verify.deny_push`: a
//!   second factor failed or denied, so the password was right. (`user.authentication.verify`
//!   repeats what `user.session.start` says of the same attempt, and is ignored.)
//!
//! Okta's own verdicts pass through as [`Outcome::Verdict`] records: `security.threat.detected`
//! (ThreatInsight), `user.account.report_suspicious_activity_by_enduser` and
//! `app.oauth2.token.detect_reuse` (a refresh token replayed); on a sign-in,
//! `debugContext.debugData.threatSuspected`, `securityContext.isProxy` (an anonymizing proxy:
//! Entra's `anonymizedIPAddress`) and a FastPass phishing refusal (`phishingAttemptBlocked`)
//! become its risk event types, and `debugData.risk` / `logOnlySecurityData` its level.
//! Every other event type is ignored with a reason.
//!
//! Fields: user `actor.alternateId`; address `client.ipAddress` (else `request.ipChain[0].ip`);
//! place `client.geographicalContext` (country names become codes), else Panther's ipinfo
//! enrichment; network `securityContext.asNumber` / `asOrg`; `client.userAgent.rawUserAgent`;
//! session `authenticationContext.externalSessionId`; id `uuid`; time `published`.

use serde_json::Value;

use super::intern::Interner;
use super::provider::{Field, Fields, Sign, at, class_of_text, flag, required_time, text};
use super::{Decoded, reject};
use crate::event::{FailureClass, Outcome, RecordRef, SourceKind};

/// Event types that are sign-ins.
const SIGN_INS: &[&str] = &["user.session.start", "user.authentication.sso"];
/// Event types whose failures are a second factor failing.
const MFA_STEPS: &[&str] = &[
    "user.authentication.auth_via_mfa",
    "user.mfa.okta_verify.deny_push",
];
/// Event types that are Okta's verdicts about an identity.
const VERDICTS: &[&str] = &[
    "security.threat.detected",
    "user.account.report_suspicious_activity_by_enduser",
    "app.oauth2.token.detect_reuse",
];

/// Where each field is (Panther's ipinfo enrichment of the address where Okta has no place).
const FIELDS: Fields = &[
    (
        Field::Ip,
        &[&["client", "ipAddress"], &["request", "ipChain", "0", "ip"]],
    ),
    (
        Field::Country,
        &[
            &["client", "geographicalContext", "country"],
            &[
                "p_enrichment",
                "ipinfo_location",
                "client.ipAddress",
                "country",
            ],
        ],
    ),
    (
        Field::City,
        &[
            &["client", "geographicalContext", "city"],
            &[
                "p_enrichment",
                "ipinfo_location",
                "client.ipAddress",
                "city",
            ],
        ],
    ),
    (
        Field::Latitude,
        &[
            &["client", "geographicalContext", "geolocation", "lat"],
            &["p_enrichment", "ipinfo_location", "client.ipAddress", "lat"],
        ],
    ),
    (
        Field::Longitude,
        &[
            &["client", "geographicalContext", "geolocation", "lon"],
            &["p_enrichment", "ipinfo_location", "client.ipAddress", "lng"],
        ],
    ),
    (Field::Asn, &[&["securityContext", "asNumber"]]),
    (
        Field::AsnName,
        &[&["securityContext", "asOrg"], &["securityContext", "isp"]],
    ),
    (
        Field::UserAgent,
        &[&["client", "userAgent", "rawUserAgent"]],
    ),
    (
        Field::Session,
        &[&["authenticationContext", "externalSessionId"]],
    ),
    (Field::RequestId, &[&["uuid"]]),
    (Field::ClientApp, &[&["client", "device"]]),
];

pub(crate) fn decode(v: &Value, record: &RecordRef, intern: &mut Interner) -> Decoded {
    let Some(event_type) = text(v, &["eventType"]) else {
        return reject("missing event type", "an Okta event without eventType");
    };
    let et = event_type.to_ascii_lowercase();
    let result = text(v, &["outcome", "result"])
        .map(|r| r.to_ascii_uppercase())
        .unwrap_or_default();
    let reason = text(v, &["outcome", "reason"]);
    let (outcome, class) = if VERDICTS.contains(&et.as_str()) {
        (Outcome::Verdict, None)
    } else if SIGN_INS.contains(&et.as_str()) {
        match result.as_str() {
            "SUCCESS" | "ALLOW" => (Outcome::Success, None),
            "CHALLENGE" => (Outcome::Interrupted, Some(FailureClass::MfaRequired)),
            "DENY" => (Outcome::Failure, Some(FailureClass::Blocked)),
            "FAILURE" => (
                Outcome::Failure,
                Some(reason.as_deref().map_or(FailureClass::Other, class_of_text)),
            ),
            _ => return Decoded::Ignored("Okta sign-in without a result (outcome.result)"),
        }
    } else if MFA_STEPS.contains(&et.as_str()) {
        if et == "user.mfa.okta_verify.deny_push" || matches!(result.as_str(), "FAILURE" | "DENY") {
            (Outcome::Failure, Some(FailureClass::MfaFailed))
        } else {
            return Decoded::Ignored("Okta second factor that did not fail");
        }
    } else {
        return Decoded::Ignored("not a sign-in (Okta eventType)");
    };
    let time = match required_time(v, &[&["published"], &["p_event_time"]], "published") {
        Ok(t) => t,
        Err(d) => return d,
    };
    let identity = text(v, &["actor", "alternateId"])
        .filter(|a| !a.eq_ignore_ascii_case("unknown"))
        .or_else(|| text(v, &["actor", "displayName"]));
    let Some(identity) = identity else {
        return if outcome == Outcome::Verdict {
            Decoded::Ignored("Okta verdict about no user")
        } else {
            reject("missing user", "an Okta event without actor.alternateId")
        };
    };
    let mut s = Sign::new(time, &identity, outcome, SourceKind::Okta);
    s.class = class;
    if outcome != Outcome::Success {
        s.reason = reason.as_deref().map(String::from);
        s.code = reason
            .as_deref()
            .filter(|r| !r.contains(' '))
            .map(String::from);
    }
    s.fill(v, FIELDS);
    s.fill(v, super::provider::ELASTIC_GEOIP);
    s.app = at(v, &["target"])
        .and_then(Value::as_array)
        .and_then(|ts| {
            ts.iter()
                .find(|t| text(t, &["type"]).is_some_and(|x| x.eq_ignore_ascii_case("AppInstance")))
        })
        .and_then(|t| text(t, &["displayName"]))
        .map(String::from);
    if outcome == Outcome::Verdict {
        s.risk_types.push(et.clone());
    }
    if flag(v, &["debugContext", "debugData", "threatSuspected"]) == Some(true) {
        s.risk_types.push("threatSuspected".into());
    }
    if flag(v, &["securityContext", "isProxy"]) == Some(true) {
        s.risk_types.push("anonymizedIPAddress".into());
    }
    // Okta's phishing defence (FastPass) refused the sign-in: an adversary-in-the-middle kit
    // is after this user.
    if reason
        .as_deref()
        .is_some_and(|r| r.to_ascii_lowercase().contains("phishing"))
    {
        s.risk_types.push("phishingAttemptBlocked".into());
    }
    // `debugData.risk` ("{reasons=…, level=HIGH}") or `logOnlySecurityData` (JSON text).
    for key in ["risk", "logOnlySecurityData"] {
        if let Some(r) = text(v, &["debugContext", "debugData", key]) {
            let r = r
                .to_ascii_lowercase()
                .replace(['"', ' '], "")
                .replace(':', "=");
            s.risk_level = s.risk_level.or_else(|| {
                ["high", "medium", "low"]
                    .into_iter()
                    .find(|l| r.contains(&format!("level={l}")))
                    .map(String::from)
            });
        }
    }
    if et == "user.authentication.auth_via_mfa" {
        s.mfa = Some(true);
    }
    s.event(record, intern)
}

#[cfg(test)]
pub(crate) mod tests {
    use crate::ingest::{Decoded, Interner, json_record, record_ref};
    use crate::shared::Shared;
    use crate::{FailureClass, Outcome};

    pub(crate) fn read(json: &str) -> Decoded {
        json_record(
            json.as_bytes(),
            &record_ref(&Shared::from("t"), 1),
            &mut Interner::default(),
        )
    }

    #[test]
    fn sign_ins_failures_and_verdicts() {
        let ok = r#"{"published":"2024-08-13T15:58:20.123Z","eventType":"user.session.start","actor":{"alternateId":"John.Doe@Example.com","type":"User"},"outcome":{"result":"SUCCESS"},"client":{"ipAddress":"198.51.100.7","geographicalContext":{"country":"United States","city":"New York","geolocation":{"lat":40.3,"lon":-74.0}},"userAgent":{"rawUserAgent":"Mozilla/5.0"}},"securityContext":{"asNumber":394089,"asOrg":"google","isProxy":false},"authenticationContext":{"externalSessionId":"idx1"},"uuid":"u-1"}"#;
        let Decoded::Event(e) = read(ok) else {
            panic!("{:?}", read(ok))
        };
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(&*e.identity_key, "john.doe@example.com");
        assert_eq!(e.country.as_deref(), Some("US"));
        assert_eq!(e.asn, Some(394089));
        assert_eq!(e.session_id().map(|s| &**s), Some("idx1"));
        assert_eq!(e.source_kind, crate::event::SourceKind::Okta);
        let bad = ok
            .replace(
                r#"{"result":"SUCCESS"}"#,
                r#"{"result":"FAILURE","reason":"INVALID_CREDENTIALS"}"#,
            )
            .replace("\"isProxy\":false", "\"isProxy\":true");
        let Decoded::Event(e) = read(&bad) else {
            panic!()
        };
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.failure_class(), Some(FailureClass::BadCredentials));
        assert_eq!(e.result_code.as_deref(), Some("INVALID_CREDENTIALS"));
        assert_eq!(e.risk_event_types(), ["anonymizedIPAddress"]);
        let push = ok.replace("user.session.start", "user.mfa.okta_verify.deny_push");
        let Decoded::Event(e) = read(&push) else {
            panic!()
        };
        assert_eq!(e.failure_class(), Some(FailureClass::MfaFailed));
        let threat = ok.replace("user.session.start", "security.threat.detected");
        let Decoded::Event(e) = read(&threat) else {
            panic!()
        };
        assert_eq!(e.outcome, Outcome::Verdict);
        assert_eq!(e.risk_event_types(), ["security.threat.detected"]);
        for (json, want) in [
            (
                ok.replace("user.session.start", "user.lifecycle.create"),
                "not a sign-in (Okta eventType)",
            ),
            (
                ok.replace("2024-08-13T15:58:20.123Z", "redacted"),
                "invalid timestamp",
            ),
        ] {
            match read(&json) {
                Decoded::Ignored(r) | Decoded::Rejected { reason: r, .. } => assert_eq!(r, want),
                other => panic!("{other:?}"),
            }
        }
    }

    /// Panther's copies lower-case the top-level keys and write times without a zone.
    #[test]
    fn lower_cased_keys() {
        let j = r#"{"published":"2022-06-22 18:18:29.015","eventtype":"user.session.start","actor":{"alternateId":"homer@duff.com"},"outcome":{"result":"FAILURE","reason":"FastPass declined phishing attempt"},"client":{"ipAddress":"1.3.2.4"},"securitycontext":{"asNumber":701,"isProxy":true}}"#;
        let Decoded::Event(e) = read(j) else {
            panic!("{:?}", read(j))
        };
        assert_eq!(e.failure_class(), Some(FailureClass::Blocked));
        assert_eq!(e.asn, Some(701));
        assert_eq!(e.time.to_rfc3339(), "2022-06-22T18:18:29.015+00:00");
    }
}
