//! Google SecOps (Chronicle) UDM `USER_LOGIN` events: the Ingestion API's camelCase JSON (an
//! array or one event per line), the snake_case form of searches and exports, and results that
//! wrap the event as `udm`.
//!
//! Read: `metadata.eventType` `USER_LOGIN` (other types ignored); time `metadata.eventTimestamp`
//! (text, or `{seconds, nanos}`); the user `target.user` (its first e-mail address, else
//! `userid`, else its display name), else `principal.user`; the address `principal.ip[0]`; the
//! outcome from `securityResult[].action` (`ALLOW` success; `BLOCK`, `FAIL`, `QUARANTINE`
//! failure; `CHALLENGE` interrupted for a second factor), a failure's class from the
//! security result's `summary` / `description`; place from `principal.location` (else the
//! address's `ipGeoArtifact`); network from `network.asn` / `ipGeoArtifact.network`; the
//! application `target.application`; `network.http.userAgent`; `network.sessionId`;
//! `extensions.auth.mechanism` as the MFA detail; `metadata.productLogId` (else `id`) as the id.
//!
//! The provider comes from `metadata.vendorName` / `productName` (Okta, AWS, Google), else
//! [`SourceKind::OtherProvider`].

use serde_json::Value;

use super::intern::Interner;
use super::provider::{Field, Fields, Sign, as_text, at, first, number, time_of};
use super::{Decoded, reject};
use crate::event::{FailureClass, Outcome, RecordRef, SourceKind};

/// The value at the camelCase path or its snake_case spelling.
fn get<'v>(v: &'v Value, camel: &[&str]) -> Option<&'v Value> {
    at(v, camel).or_else(|| {
        let snake: Vec<String> = camel.iter().map(|k| snake(k)).collect();
        let refs: Vec<&str> = snake.iter().map(String::as_str).collect();
        at(v, &refs)
    })
}

fn snake(k: &str) -> String {
    let mut out = String::with_capacity(k.len() + 4);
    for c in k.chars() {
        if c.is_ascii_uppercase() {
            out.push('_');
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn get_text<'v>(v: &'v Value, camel: &[&str]) -> Option<std::borrow::Cow<'v, str>> {
    get(v, camel).and_then(first).and_then(as_text)
}

/// Where each field is, in the Ingestion API's camelCase and the searches' snake_case.
const FIELDS: Fields = &[
    (Field::Ip, &[&["principal", "ip", "0"]]),
    (
        Field::Country,
        &[
            &["principal", "location", "countryOrRegion"],
            &["principal", "location", "country_or_region"],
            &[
                "principal",
                "ipGeoArtifact",
                "0",
                "location",
                "countryOrRegion",
            ],
            &[
                "principal",
                "ip_geo_artifact",
                "0",
                "location",
                "country_or_region",
            ],
        ],
    ),
    (
        Field::City,
        &[
            &["principal", "location", "city"],
            &["principal", "ipGeoArtifact", "0", "location", "city"],
            &["principal", "ip_geo_artifact", "0", "location", "city"],
        ],
    ),
    (
        Field::Latitude,
        &[
            &["principal", "location", "regionLatitude"],
            &["principal", "location", "region_latitude"],
            &["principal", "location", "regionCoordinates", "latitude"],
            &["principal", "location", "region_coordinates", "latitude"],
            &[
                "principal",
                "ipGeoArtifact",
                "0",
                "location",
                "regionLatitude",
            ],
            &[
                "principal",
                "ip_geo_artifact",
                "0",
                "location",
                "region_latitude",
            ],
        ],
    ),
    (
        Field::Longitude,
        &[
            &["principal", "location", "regionLongitude"],
            &["principal", "location", "region_longitude"],
            &["principal", "location", "regionCoordinates", "longitude"],
            &["principal", "location", "region_coordinates", "longitude"],
            &[
                "principal",
                "ipGeoArtifact",
                "0",
                "location",
                "regionLongitude",
            ],
            &[
                "principal",
                "ip_geo_artifact",
                "0",
                "location",
                "region_longitude",
            ],
        ],
    ),
    (
        Field::Asn,
        &[
            &["network", "asn"],
            &["principal", "ipGeoArtifact", "0", "network", "asn"],
            &["principal", "ip_geo_artifact", "0", "network", "asn"],
        ],
    ),
    (
        Field::AsnName,
        &[
            &["network", "carrierName"],
            &["network", "carrier_name"],
            &["principal", "ipGeoArtifact", "0", "network", "carrierName"],
            &[
                "principal",
                "ip_geo_artifact",
                "0",
                "network",
                "carrier_name",
            ],
        ],
    ),
    (Field::App, &[&["target", "application"]]),
    (
        Field::UserAgent,
        &[
            &["network", "http", "userAgent"],
            &["network", "http", "user_agent"],
        ],
    ),
    (
        Field::Session,
        &[&["network", "sessionId"], &["network", "session_id"]],
    ),
    (
        Field::RequestId,
        &[
            &["metadata", "productLogId"],
            &["metadata", "product_log_id"],
            &["metadata", "id"],
        ],
    ),
];

pub(crate) fn decode(v: &Value, record: &RecordRef, intern: &mut Interner) -> Decoded {
    let v = at(v, &["udm"]).unwrap_or(v);
    let Some(event_type) = get_text(v, &["metadata", "eventType"]) else {
        return reject(
            "missing event type",
            "a UDM event without metadata.eventType",
        );
    };
    if !event_type.eq_ignore_ascii_case("USER_LOGIN") {
        return Decoded::Ignored("not a USER_LOGIN event (UDM metadata.eventType)");
    }
    let time = match get(v, &["metadata", "eventTimestamp"]) {
        Some(t @ Value::Object(_)) => match number(t, &["seconds"]) {
            Some(secs) => {
                let nanos = number(t, &["nanos"]).unwrap_or(0.0);
                match chrono::DateTime::from_timestamp(secs as i64, nanos as u32) {
                    Some(t) => t,
                    None => return reject("invalid timestamp", "eventTimestamp out of range"),
                }
            }
            None => return reject("invalid timestamp", "eventTimestamp without seconds"),
        },
        Some(t) => match time_of(t) {
            Some(t) => t,
            None => {
                return reject(
                    "invalid timestamp",
                    format!("eventTimestamp is not a time: {t}"),
                );
            }
        },
        None => return reject("missing time", "no metadata.eventTimestamp field"),
    };
    // The security results' actions: any refusal is a failure, a challenge an interruption.
    let results: Vec<&Value> = match get(v, &["securityResult"]) {
        Some(Value::Array(a)) => a.iter().collect(),
        Some(r) => vec![r],
        None => Vec::new(),
    };
    let actions: Vec<String> = results
        .iter()
        .filter_map(|r| get(r, &["action"]))
        .flat_map(|a| match a {
            Value::Array(xs) => xs
                .iter()
                .filter_map(as_text)
                .map(|t| t.to_ascii_uppercase())
                .collect(),
            x => as_text(x)
                .map(|t| t.to_ascii_uppercase())
                .into_iter()
                .collect::<Vec<_>>(),
        })
        .collect();
    let has = |a: &str| actions.iter().any(|x| x == a);
    let (outcome, class) = if has("BLOCK") || has("FAIL") || has("QUARANTINE") {
        let said = results
            .iter()
            .find_map(|r| get_text(r, &["summary"]).or_else(|| get_text(r, &["description"])));
        (
            Outcome::Failure,
            Some(
                said.as_deref()
                    .map_or(FailureClass::Other, super::provider::class_of_text),
            ),
        )
    } else if has("CHALLENGE") {
        (Outcome::Interrupted, Some(FailureClass::MfaRequired))
    } else if has("ALLOW") || has("ALLOW_WITH_MODIFICATION") {
        (Outcome::Success, None)
    } else {
        return Decoded::Ignored("USER_LOGIN without an action (UDM securityResult.action)");
    };
    let vendor = format!(
        "{} {}",
        get_text(v, &["metadata", "vendorName"]).unwrap_or_default(),
        get_text(v, &["metadata", "productName"]).unwrap_or_default()
    )
    .to_ascii_lowercase();
    let kind = if vendor.contains("okta") {
        SourceKind::Okta
    } else if vendor.contains("aws") || vendor.contains("amazon") {
        SourceKind::AwsConsole
    } else if vendor.contains("google") || vendor.contains("workspace") {
        SourceKind::GoogleWorkspace
    } else {
        SourceKind::OtherProvider
    };
    let user_of = |side: &str| {
        get_text(v, &[side, "user", "emailAddresses"])
            .or_else(|| get_text(v, &[side, "user", "userid"]))
            .or_else(|| get_text(v, &[side, "user", "userDisplayName"]))
    };
    let Some(identity) = user_of("target").or_else(|| user_of("principal")) else {
        return reject(
            "missing user",
            "a USER_LOGIN without target.user or principal.user",
        );
    };
    let mut s = Sign::new(time, &identity, outcome, kind);
    s.class = class;
    if outcome != Outcome::Success {
        s.reason = results
            .iter()
            .find_map(|r| get_text(r, &["summary"]))
            .map(|t| t.into_owned());
    }
    s.fill(v, FIELDS);
    s.mfa_detail = get(v, &["extensions", "auth", "mechanism"]).and_then(|m| match m {
        Value::Array(xs) => {
            let parts: Vec<String> = xs
                .iter()
                .filter_map(as_text)
                .map(|t| t.into_owned())
                .collect();
            (!parts.is_empty()).then(|| parts.join(", "))
        }
        x => as_text(x).map(|t| t.into_owned()),
    });
    s.event(record, intern)
}

#[cfg(test)]
mod tests {
    use crate::Outcome;
    use crate::ingest::Decoded;
    use crate::ingest::okta::tests::read;

    #[test]
    fn camel_and_snake_case() {
        let camel = r#"{"metadata":{"eventTimestamp":"2021-07-14T15:30:18.142265Z","eventType":"USER_LOGIN","vendorName":"Okta"},"principal":{"hostname":"userhost","ip":["10.0.0.75"]},"target":{"user":{"userid":"Employee"}},"securityResult":[{"action":["ALLOW"]}]}"#;
        let Decoded::Event(e) = read(camel) else {
            panic!("{:?}", read(camel))
        };
        assert_eq!(e.outcome, Outcome::Success);
        assert_eq!(&*e.identity_key, "employee");
        assert_eq!(e.source_kind, crate::event::SourceKind::Okta);
        let snake = r#"{"udm":{"metadata":{"event_timestamp":{"seconds":1626276618,"nanos":0},"event_type":"USER_LOGIN"},"principal":{"ip":["203.0.113.9"],"location":{"country_or_region":"Germany"}},"target":{"user":{"email_addresses":["a@b.example"]}},"security_result":[{"action":["BLOCK"],"summary":"invalid password"}]}}"#;
        let Decoded::Event(e) = read(snake) else {
            panic!("{:?}", read(snake))
        };
        assert_eq!(e.outcome, Outcome::Failure);
        assert_eq!(e.country.as_deref(), Some("DE"));
        assert_eq!(e.failure_class(), Some(crate::FailureClass::BadCredentials));
        let other = camel.replace("USER_LOGIN", "NETWORK_CONNECTION");
        assert!(matches!(read(&other), Decoded::Ignored(_)));
    }
}
