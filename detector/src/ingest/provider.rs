//! What the readers of the other identity providers' records share ([`super::okta`],
//! [`super::cloudtrail`], [`super::google`], [`super::ocsf`], [`super::udm`], [`super::m365`]):
//! lenient access to a parsed JSON record (keys matched case-insensitively, since Panther and
//! other pipelines lower-case them; numbers and booleans read as text where a text is expected),
//! country names as codes, and one builder of the normalized event.
//!
//! These records are read through `serde_json::Value`: they are rarer than Entra's and Windows'
//! and their readers are written for clarity, not for the last record per second.

use chrono::{DateTime, Utc};
use serde_json::Value;
use std::borrow::Cow;

use super::countries::{STARTS, TABLE};
use super::intern::Interner;
use super::normalize::{self, trim};
use super::{Decoded, reject};
use crate::event::{AuthEvent, EventExtra, FailureClass, Outcome, RecordRef, SourceKind};
use crate::shared::Shared;

/// The value at `path` (keys compared case-insensitively when no key is spelled exactly so).
///
/// These helpers are kept out of line (`inline(never)`): every reader calls them dozens of times,
/// and inlined they were most of the readers' size in the `.wasm`.
#[inline(never)]
pub(crate) fn at<'v>(v: &'v Value, path: &[&str]) -> Option<&'v Value> {
    let mut cur = v;
    for key in path {
        if let Value::Array(a) = cur {
            // A number in a path is an element of an array (`ipChain`, `0`, `ip`).
            cur = a.get(key.parse::<usize>().ok()?)?;
            continue;
        }
        let obj = cur.as_object()?;
        cur = match obj.get(*key) {
            Some(x) => x,
            None => obj.iter().find(|(k, _)| k.eq_ignore_ascii_case(key))?.1,
        };
    }
    (!cur.is_null()).then_some(cur)
}

/// A value as text: a string trimmed (blank is `None`), a number or boolean written out.
#[inline(never)]
pub(crate) fn as_text(v: &Value) -> Option<Cow<'_, str>> {
    match v {
        Value::String(s) => Some(Cow::Borrowed(trim(s))).filter(|s| !s.is_empty()),
        Value::Number(n) => Some(Cow::Owned(n.to_string())),
        Value::Bool(b) => Some(Cow::Borrowed(if *b { "true" } else { "false" })),
        _ => None,
    }
}

/// The text at `path`.
#[inline(never)]
pub(crate) fn text<'v>(v: &'v Value, path: &[&str]) -> Option<Cow<'v, str>> {
    at(v, path).and_then(as_text)
}

/// The text at `path`, owned (for a [`Sign`] field).
#[inline(never)]
pub(crate) fn owned(v: &Value, path: &[&str]) -> Option<String> {
    text(v, path).map(Cow::into_owned)
}

/// The first text of several paths.
#[inline(never)]
pub(crate) fn first_text<'v>(v: &'v Value, paths: &[&[&str]]) -> Option<Cow<'v, str>> {
    paths.iter().find_map(|p| text(v, p))
}

/// The first text of several paths, owned.
#[inline(never)]
pub(crate) fn first_owned(v: &Value, paths: &[&[&str]]) -> Option<String> {
    first_text(v, paths).map(Cow::into_owned)
}

/// A boolean at `path`: `true`/`false` as JSON or text (`"true"`, `"Yes"`, `"1"`).
#[inline(never)]
pub(crate) fn flag(v: &Value, path: &[&str]) -> Option<bool> {
    match at(v, path)? {
        Value::Bool(b) => Some(*b),
        Value::Number(n) => n.as_i64().map(|n| n != 0),
        Value::String(s) => match s.trim().to_ascii_lowercase().as_str() {
            "true" | "yes" | "1" => Some(true),
            "false" | "no" | "0" => Some(false),
            _ => None,
        },
        _ => None,
    }
}

/// A number at `path`, as a number or as text.
#[inline(never)]
pub(crate) fn number(v: &Value, path: &[&str]) -> Option<f64> {
    match at(v, path)? {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => super::flex::decimal(s.trim()),
        _ => None,
    }
}

/// The first element of an array, or the value itself when it is not one.
pub(crate) fn first(v: &Value) -> Option<&Value> {
    match v {
        Value::Array(a) => a.iter().find(|x| !x.is_null()),
        Value::Null => None,
        x => Some(x),
    }
}

/// A time as text (any of [`super::time::parse_time`]'s forms) or as epoch seconds or
/// milliseconds (a number above 10^11 is milliseconds: 10^11 seconds is the year 5138).
pub(crate) fn time_of(v: &Value) -> Option<DateTime<Utc>> {
    match v {
        Value::String(s) => {
            super::time::parse_time(s).or_else(|| super::flex::decimal(s.trim()).and_then(epoch))
        }
        Value::Number(n) => epoch(n.as_f64()?),
        _ => None,
    }
}

fn epoch(n: f64) -> Option<DateTime<Utc>> {
    let ms = if n.abs() >= 1e11 { n } else { n * 1000.0 };
    if !ms.is_finite() || ms.abs() > 8.0e15 {
        return None;
    }
    DateTime::from_timestamp_millis(ms as i64)
}

/// A country as its ISO 3166-1 alpha-2 code: a two-letter code upper-cased, a name (`United
/// States`, `Russia`, `Viet Nam`) looked up; an unknown name is kept as written, so two records
/// of one place still agree.
pub(crate) fn country(c: &str) -> Option<Cow<'_, str>> {
    let c = trim(c);
    if c.is_empty() {
        return None;
    }
    if c.len() == 2 && c.bytes().all(|b| b.is_ascii_alphabetic()) {
        return Some(Cow::Owned(c.to_ascii_uppercase()));
    }
    let lower = c.to_lowercase();
    let entry = |i: usize| &TABLE[usize::from(STARTS[i])..usize::from(STARTS[i + 1])];
    let (mut lo, mut hi) = (0, STARTS.len() - 1);
    while lo < hi {
        let mid = (lo + hi) / 2;
        let e = entry(mid);
        match e[2..].cmp(lower.as_str()) {
            std::cmp::Ordering::Equal => return Some(Cow::Borrowed(&e[..2])),
            std::cmp::Ordering::Less => lo = mid + 1,
            std::cmp::Ordering::Greater => hi = mid,
        }
    }
    Some(Cow::Borrowed(c))
}

/// The failure class a provider's reason text or code says (Okta `outcome.reason`, an OCSF
/// `status_detail`, a UDM `securityResult.summary`): by words, most specific first. A text that
/// says none of them is `Other`.
pub(crate) fn class_of_text(reason: &str) -> FailureClass {
    let r = reason.to_ascii_lowercase().replace(['_', '-'], " ");
    let has = |words: &[&str]| words.iter().any(|w| r.contains(w));
    if has(&["locked", "lockout"]) {
        FailureClass::Locked
    } else if has(&["expired", "must change", "password change"]) {
        FailureClass::Expired
    } else if has(&["disabled", "suspended", "deactivated", "inactive"]) {
        FailureClass::Disabled
    } else if has(&[
        "mfa",
        "factor",
        "push",
        "otp",
        "passcode",
        "authenticator",
        "challenge",
        "verify",
        "strong authentication",
    ]) {
        FailureClass::MfaFailed
    } else if has(&["password", "credential", "verification error", "bad auth"]) {
        FailureClass::BadCredentials
    } else if has(&[
        "unknown user",
        "no such user",
        "not found",
        "does not exist",
        "invalid user",
    ]) {
        FailureClass::UnknownAccount
    } else if has(&[
        "policy",
        "deny",
        "denied",
        "block",
        "phishing",
        "zone",
        "not allowed",
    ]) {
        FailureClass::Blocked
    } else {
        FailureClass::Other
    }
}

/// A field of [`Sign`] that a provider's table fills from the first of its paths that holds a
/// text ([`Sign::fill`]).
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    Ip,
    Country,
    City,
    Latitude,
    Longitude,
    Asn,
    AsnName,
    App,
    ClientApp,
    UserAgent,
    Session,
    RequestId,
    AuthProtocol,
}

/// A provider's field table: each field with the paths it is read from, first match wins.
pub(crate) type Fields = &'static [(Field, &'static [&'static [&'static str]])];

/// Elastic's GeoIP of the address (`source.geo`, `source.as`), which [`super::ecs`] keeps under
/// `elastic.source` when it writes an Elastic document back as the provider's record: it fills only
/// what the provider's own fields left empty.
pub(crate) const ELASTIC_GEOIP: Fields = &[
    (
        Field::Country,
        &[&["elastic.source", "geo", "country_iso_code"]],
    ),
    (Field::City, &[&["elastic.source", "geo", "city_name"]]),
    (
        Field::Latitude,
        &[&["elastic.source", "geo", "location", "lat"]],
    ),
    (
        Field::Longitude,
        &[&["elastic.source", "geo", "location", "lon"]],
    ),
    (Field::Asn, &[&["elastic.source", "as", "number"]]),
    (
        Field::AsnName,
        &[&["elastic.source", "as", "organization", "name"]],
    ),
];

/// A record's normalized event, built field by field by a provider's reader.
pub(crate) struct Sign {
    pub time: DateTime<Utc>,
    pub identity: String,
    pub outcome: Outcome,
    pub kind: SourceKind,
    pub class: Option<FailureClass>,
    pub code: Option<String>,
    pub reason: Option<String>,
    pub ip: Option<String>,
    pub country: Option<String>,
    pub city: Option<String>,
    pub latitude: Option<f64>,
    pub longitude: Option<f64>,
    pub asn: Option<u32>,
    pub asn_name: Option<String>,
    pub app: Option<String>,
    pub client_app: Option<String>,
    pub user_agent: Option<String>,
    pub session_id: Option<String>,
    pub request_id: Option<String>,
    pub mfa: Option<bool>,
    pub mfa_detail: Option<String>,
    pub auth_protocol: Option<String>,
    pub risk_types: Vec<String>,
    pub risk_level: Option<String>,
    pub interactive: Option<bool>,
}

impl Sign {
    pub fn new(time: DateTime<Utc>, identity: &str, outcome: Outcome, kind: SourceKind) -> Sign {
        Sign {
            time,
            identity: identity.to_string(),
            outcome,
            kind,
            class: None,
            code: None,
            reason: None,
            ip: None,
            country: None,
            city: None,
            latitude: None,
            longitude: None,
            asn: None,
            asn_name: None,
            app: None,
            client_app: None,
            user_agent: None,
            session_id: None,
            request_id: None,
            mfa: None,
            mfa_detail: None,
            auth_protocol: None,
            risk_types: Vec::new(),
            risk_level: None,
            interactive: None,
        }
    }

    /// Fill the fields not set yet from the record, by the provider's table. Texts a source
    /// writes for "no value" (`unknown`, `null`, `-`) are none.
    #[inline(never)]
    pub fn fill(&mut self, v: &Value, fields: Fields) {
        for (field, paths) in fields {
            let Some(t) = paths.iter().find_map(|p| text(v, p)).filter(|t| {
                !(t.eq_ignore_ascii_case("unknown") || t.eq_ignore_ascii_case("null") || t == "-")
            }) else {
                continue;
            };
            // The core's one float reader for text (as `number` reads them).
            let number = || super::flex::decimal(t.trim()).filter(|n| n.is_finite());
            let slot = match field {
                Field::Latitude => {
                    self.latitude = self.latitude.or_else(number);
                    continue;
                }
                Field::Longitude => {
                    self.longitude = self.longitude.or_else(number);
                    continue;
                }
                Field::Asn => {
                    let digits = t.trim_start_matches("AS").trim_start_matches("as");
                    self.asn = self.asn.or_else(|| digits.parse().ok());
                    continue;
                }
                Field::Ip => &mut self.ip,
                Field::Country => &mut self.country,
                Field::City => &mut self.city,
                Field::AsnName => &mut self.asn_name,
                Field::App => &mut self.app,
                Field::ClientApp => &mut self.client_app,
                Field::UserAgent => &mut self.user_agent,
                Field::Session => &mut self.session_id,
                Field::RequestId => &mut self.request_id,
                Field::AuthProtocol => &mut self.auth_protocol,
            };
            if slot.is_none() {
                *slot = Some(t.into_owned());
            }
        }
    }

    /// The event, in the forms every reader writes ([`AuthEvent`]'s normalized forms).
    pub fn event(self, record: &RecordRef, intern: &mut Interner) -> Decoded {
        let identity = trim(&self.identity);
        if identity.is_empty() {
            return reject("missing user", "the record names no user");
        }
        let (identity, identity_key) = normalize::identity(identity, intern);
        let opt = |t: Option<String>, intern: &mut Interner| {
            t.as_deref()
                .map(trim)
                .filter(|t| !t.is_empty())
                .map(|t| intern.get(t))
        };
        let ip = self
            .ip
            .as_deref()
            .map(trim)
            .filter(|t| !t.is_empty() && *t != "-");
        let country = self
            .country
            .as_deref()
            .and_then(country)
            .map(|c| intern.get(&c));
        let auth_requirement = self.mfa.map(|m| {
            intern.get(if m {
                "multiFactorAuthentication"
            } else {
                "singleFactorAuthentication"
            })
        });
        // Entra's codes (Microsoft 365's audit records carry them) say their class themselves.
        let failure_class = match self.outcome {
            Outcome::Failure | Outcome::Interrupted if !self.kind.is_entra() => {
                Some(self.class.unwrap_or(FailureClass::Other))
            }
            _ => None,
        };
        let request_id: Option<Shared<str>> = opt(self.request_id, intern);
        Decoded::Event(Box::new(AuthEvent {
            time: self.time,
            identity,
            identity_key,
            outcome: self.outcome,
            result_code: opt(self.code, intern),
            failure_reason: opt(self.reason, intern),
            ip: normalize::address(ip, intern),
            country,
            city: opt(self.city, intern),
            latitude: self.latitude.filter(|l| l.is_finite()),
            longitude: self.longitude.filter(|l| l.is_finite()),
            asn: self.asn.filter(|&a| a != 0),
            app: opt(self.app, intern),
            client_app: opt(self.client_app, intern),
            user_agent: opt(self.user_agent, intern),
            request_id: request_id.clone(),
            interactive: self.interactive,
            extra: EventExtra {
                asn_name: opt(self.asn_name, intern),
                auth_requirement,
                mfa_detail: opt(self.mfa_detail, intern),
                risk_event_types: self.risk_types,
                session_id: opt(self.session_id, intern),
                auth_protocol: opt(self.auth_protocol, intern),
                risk_level: normalize::risk_level([self.risk_level.as_deref(), None], intern),
                failure_class,
                ..EventExtra::default()
            }
            .boxed(),
            source_kind: self.kind,
            windows: None,
            record: RecordRef {
                record_id: request_id,
                ..record.clone()
            },
        }))
    }
}

/// The time at the first of `paths` that holds one; a rejection naming them when none does.
pub(crate) fn required_time(
    v: &Value,
    paths: &[&[&str]],
    names: &str,
) -> Result<DateTime<Utc>, Decoded> {
    for p in paths {
        if let Some(t) = at(v, p) {
            return time_of(t).ok_or_else(|| {
                reject(
                    "invalid timestamp",
                    format!(
                        "{} is not a time: {}",
                        p.join("."),
                        as_text(t).as_deref().unwrap_or("(not a text)")
                    ),
                )
            });
        }
    }
    Err(reject("missing time", format!("no {names} field")))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn countries_by_code_and_name() {
        for (text, want) in [
            ("us", "US"),
            ("United States", "US"),
            ("united states of america", "US"),
            ("Russia", "RU"),
            ("Viet Nam", "VN"),
            ("Vietnam", "VN"),
            ("Türkiye", "TR"),
            ("The Netherlands", "NL"),
            ("Czechia", "CZ"),
            ("Czech Republic", "CZ"),
            ("Atlantis", "Atlantis"),
        ] {
            assert_eq!(country(text).as_deref(), Some(want), "{text}");
        }
        assert_eq!(country("  "), None);
        // The table is sorted and every entry is a code then a name: the lookup depends on it.
        let names: Vec<&str> = STARTS
            .windows(2)
            .map(|w| &TABLE[usize::from(w[0])..usize::from(w[1])])
            .inspect(|e| assert!(e.len() > 2 && e[..2].bytes().all(|b| b.is_ascii_uppercase())))
            .map(|e| &e[2..])
            .collect();
        assert!(names.windows(2).all(|w| w[0] < w[1]));
        assert_eq!(usize::from(*STARTS.last().unwrap()), TABLE.len());
    }

    #[test]
    fn keys_case_insensitive_and_times_in_every_form() {
        let v: Value = serde_json::json!({"Outcome": {"RESULT": "SUCCESS"}, "n": 7, "b": "Yes"});
        assert_eq!(text(&v, &["outcome", "result"]).as_deref(), Some("SUCCESS"));
        assert_eq!(text(&v, &["n"]).as_deref(), Some("7"));
        assert_eq!(flag(&v, &["b"]), Some(true));
        for (t, want) in [
            (
                serde_json::json!(1_723_564_700),
                "2024-08-13T15:58:20+00:00",
            ),
            (
                serde_json::json!(1_723_564_700_123u64),
                "2024-08-13T15:58:20.123+00:00",
            ),
            (
                serde_json::json!("2022-03-22 14:21:53.225"),
                "2022-03-22T14:21:53.225+00:00",
            ),
            (
                serde_json::json!("1723564700123"),
                "2024-08-13T15:58:20.123+00:00",
            ),
        ] {
            assert_eq!(
                time_of(&t).map(|t| t.to_rfc3339()).as_deref(),
                Some(want),
                "{t}"
            );
        }
        assert_eq!(time_of(&serde_json::json!("redacted")), None);
    }

    #[test]
    fn failure_classes_from_reason_texts() {
        for (text, want) in [
            ("INVALID_CREDENTIALS", FailureClass::BadCredentials),
            ("VERIFICATION_ERROR", FailureClass::BadCredentials),
            (
                "Unknown user name or bad password.",
                FailureClass::BadCredentials,
            ),
            ("LOCKED_OUT", FailureClass::Locked),
            ("User not found", FailureClass::UnknownAccount),
            ("FastPass declined phishing attempt", FailureClass::Blocked),
            (
                "Sign-on policy evaluation resulted in DENY",
                FailureClass::Blocked,
            ),
            ("INVALID_MFA_PASSCODE", FailureClass::MfaFailed),
            ("PASSWORD_EXPIRED", FailureClass::Expired),
            (
                "Authentication failed during strong authentication request.",
                FailureClass::MfaFailed,
            ),
            ("something else", FailureClass::Other),
        ] {
            assert_eq!(class_of_text(text), want, "{text}");
        }
    }
}
