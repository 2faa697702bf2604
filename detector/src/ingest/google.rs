//! Google Workspace login activities: the Reports API's `activities.list` for the `login`
//! application (a page `{"items":[…]}`, one activity per line, Elastic's test shape with a single
//! `events` object, Splunk's add-on with one `event`) and Panther's flattened copies (`name`, `type`, `parameters` as an object at
//! the top).
//!
//! Read as sign-ins: `login_success`; `login_failure` (the class from `login_failure_type`:
//! `login_failure_invalid_password` bad credentials, `…_invalid_second_factor` MFA failed,
//! `…_account_disabled` disabled, `…_access_code_disallowed` blocked); `login_challenge` and
//! `login_verification` whose `login_challenge_status` is not "Challenge Passed" (a second factor
//! failed: the password was right).
//!
//! Google's own verdicts pass through: `is_suspicious` on a login becomes its risk event type
//! `is_suspicious`; `account_warning` events (`suspicious_login`, `gov_attack_warning`,
//! `account_disabled_password_leak`, `account_disabled_hijacked`, …) and `gov_attack_warning`
//! are [`Outcome::Verdict`] records named by the event, about `affected_email_address` (else the
//! actor). Other login events (`logout`, settings changes) are ignored with a reason.
//!
//! Fields: time `id.time`; user `actor.email`; address `ipAddress`; id `id.time` and
//! `id.uniqueQualifier` (which tells apart activities of one time only);
//! `login_type` as the protocol; `login_challenge_method` as the MFA detail. Google gives no
//! place or network of the address: enrichment fills them.

use serde_json::Value;
use std::borrow::Cow;

use super::intern::Interner;
use super::provider::{Sign, as_text, at, owned, required_time, text};
use super::{Decoded, reject};
use crate::event::{FailureClass, Outcome, RecordRef, SourceKind};

/// A parameter of an event: Google's `[{name, value | boolValue | intValue | multiValue}]`, or
/// Panther's `{name: value}`.
fn param<'v>(event: &'v Value, name: &str) -> Option<&'v Value> {
    match at(event, &["parameters"])? {
        Value::Array(ps) => ps
            .iter()
            .find(|p| text(p, &["name"]).as_deref() == Some(name))
            .and_then(|p| {
                [
                    "value",
                    "boolValue",
                    "intValue",
                    "multiValue",
                    "multiIntValue",
                ]
                .iter()
                .find_map(|k| at(p, &[k]))
            }),
        Value::Object(m) => m.get(name).filter(|v| !v.is_null()),
        _ => None,
    }
}

fn param_text<'v>(event: &'v Value, name: &str) -> Option<Cow<'v, str>> {
    let v = param(event, name)?;
    match v {
        Value::Array(a) => {
            let parts: Vec<String> = a
                .iter()
                .filter_map(as_text)
                .map(|t| t.into_owned())
                .collect();
            (!parts.is_empty()).then(|| Cow::Owned(parts.join(", ")))
        }
        v => as_text(v),
    }
}

/// The login event of an activity: `events` (an array, or one object; `event` in Splunk's
/// add-on), or the activity itself in Panther's flattened form.
fn login_event(v: &Value) -> &Value {
    match at(v, &["events"]).or_else(|| at(v, &["event"])) {
        Some(Value::Array(es)) => es
            .iter()
            .find(|e| {
                text(e, &["name"]).is_some_and(|n| {
                    n.starts_with("login_")
                        || text(e, &["type"]).as_deref() == Some("account_warning")
                })
            })
            .or_else(|| es.first())
            .unwrap_or(v),
        Some(e @ Value::Object(_)) => e,
        _ => v,
    }
}

pub(crate) fn decode(v: &Value, record: &RecordRef, intern: &mut Interner) -> Decoded {
    if let Some(app) = text(v, &["id", "applicationName"])
        && !app.eq_ignore_ascii_case("login")
    {
        return Decoded::Ignored("not a login activity (Google Workspace applicationName)");
    }
    let e = login_event(v);
    let Some(name) = text(e, &["name"]) else {
        return Decoded::Ignored("Google Workspace activity without an event name");
    };
    let kind = text(e, &["type"]).unwrap_or_default();
    let challenge_failed = || {
        param_text(e, "login_challenge_status")
            .is_some_and(|s| !s.eq_ignore_ascii_case("Challenge Passed"))
    };
    let (outcome, class) = match name.as_ref() {
        "login_success" => (Outcome::Success, None),
        "login_failure" => {
            let t = param_text(e, "login_failure_type").unwrap_or_default();
            let class = match t.as_ref() {
                "login_failure_invalid_password" => FailureClass::BadCredentials,
                "login_failure_invalid_second_factor" => FailureClass::MfaFailed,
                "login_failure_account_disabled" => FailureClass::Disabled,
                "login_failure_access_code_disallowed" => FailureClass::Blocked,
                "login_failure_unknown" | "" => FailureClass::Other,
                other => super::provider::class_of_text(other),
            };
            (Outcome::Failure, Some(class))
        }
        "login_challenge" | "login_verification" if challenge_failed() => {
            (Outcome::Failure, Some(FailureClass::MfaFailed))
        }
        "login_challenge" | "login_verification" => {
            return Decoded::Ignored("Google Workspace challenge passed");
        }
        n if kind == "account_warning" || n == "gov_attack_warning" => (Outcome::Verdict, None),
        _ => return Decoded::Ignored("not a sign-in (Google Workspace login event)"),
    };
    let time = match required_time(v, &[&["id", "time"], &["p_event_time"]], "id.time") {
        Ok(t) => t,
        Err(d) => return d,
    };
    let affected = if outcome == Outcome::Verdict {
        param_text(e, "affected_email_address")
    } else {
        None
    };
    let Some(identity) = affected.or_else(|| text(v, &["actor", "email"])) else {
        return if outcome == Outcome::Verdict {
            Decoded::Ignored("Google Workspace warning about no user")
        } else {
            reject(
                "missing user",
                "a Google Workspace login without actor.email",
            )
        };
    };
    let mut s = Sign::new(time, &identity, outcome, SourceKind::GoogleWorkspace);
    s.class = class;
    if outcome == Outcome::Failure {
        s.code = param_text(e, "login_failure_type")
            .or_else(|| Some(name.clone()))
            .map(|c| c.into_owned());
        s.reason = s.code.clone();
    }
    s.ip = owned(v, &["ipAddress"]).filter(|ip| !ip.is_empty());
    s.fill(v, super::provider::ELASTIC_GEOIP);
    // `uniqueQualifier` tells apart activities of the same time only: the id is both (the time
    // written one way, whatever way the export wrote it: an Elastic document's `@timestamp` has
    // milliseconds the Reports API's `id.time` may not).
    s.request_id = text(v, &["id", "uniqueQualifier"]).map(|q| {
        format!(
            "{}/{q}",
            time.to_rfc3339_opts(chrono::SecondsFormat::AutoSi, true)
        )
    });
    s.app = Some("Google Workspace".into());
    s.auth_protocol = param_text(e, "login_type").map(|t| t.into_owned());
    s.mfa_detail = param_text(e, "login_challenge_method").map(|t| t.into_owned());
    if outcome == Outcome::Verdict {
        s.risk_types.push(name.into_owned());
    } else if matches!(param(e, "is_suspicious"), Some(Value::Bool(true)))
        || param_text(e, "is_suspicious").is_some_and(|t| t.eq_ignore_ascii_case("true"))
    {
        s.risk_types.push("is_suspicious".into());
    }
    s.event(record, intern)
}

#[cfg(test)]
mod tests {
    use crate::ingest::Decoded;
    use crate::ingest::okta::tests::read;
    use crate::{FailureClass, Outcome};

    #[test]
    fn reports_api_and_flattened_shapes() {
        let api = r#"{"kind":"admin#reports#activity","id":{"time":"2020-10-02T15:00:00Z","uniqueQualifier":"7","applicationName":"login"},"actor":{"email":"Foo@Bar.com"},"ipAddress":"67.43.156.13","events":[{"type":"login","name":"login_failure","parameters":[{"name":"login_type","value":"google_password"},{"name":"login_failure_type","value":"login_failure_invalid_password"},{"name":"is_suspicious","boolValue":true}]}]}"#;
        let Decoded::Event(e) = read(api) else {
            panic!("{:?}", read(api))
        };
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.failure_class(), Some(FailureClass::BadCredentials));
        assert_eq!(&*e.identity_key, "foo@bar.com");
        assert_eq!(e.risk_event_types(), ["is_suspicious"]);
        let flat = r#"{"id":{"applicationName":"login","time":"2021-06-04 09:59:53"},"actor":{"email":"bob@example.com"},"ipAddress":"111.111.111.111","type":"login","name":"login_success","parameters":{"is_suspicious":null,"login_challenge_method":["none"]}}"#;
        let Decoded::Event(e) = read(flat) else {
            panic!("{:?}", read(flat))
        };
        assert_eq!(e.outcome, Outcome::Success);
        assert!(e.risk_event_types().is_empty());
        let warning = r#"{"kind":"admin#reports#activity","id":{"time":"2020-10-02T15:00:00Z","applicationName":"login"},"actor":{"email":"foo@bar.com"},"events":{"type":"account_warning","name":"account_disabled_password_leak","parameters":[{"name":"affected_email_address","value":"victim@bar.com"}]}}"#;
        let Decoded::Event(e) = read(warning) else {
            panic!("{:?}", read(warning))
        };
        assert_eq!(e.outcome, Outcome::Verdict);
        assert_eq!(&*e.identity_key, "victim@bar.com");
        assert_eq!(e.risk_event_types(), ["account_disabled_password_leak"]);
        let logout = api.replace("login_failure\"", "logout\"");
        assert!(
            matches!(read(&logout), Decoded::Ignored(_)),
            "{:?}",
            read(&logout)
        );
    }
}
