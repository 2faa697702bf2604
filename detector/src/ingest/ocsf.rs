//! OCSF 1.x **Authentication** events (class 3002), JSON or JSON Lines, as Amazon Security Lake
//! and the OCSF mappings write them (Parquet converted to JSON Lines reads the same way).
//!
//! Read: `activity_id` 1 (logon) and every other activity but 2 (logoff, ignored); `status_id` 1
//! success, 2 failure (else the `status` text); `time` in epoch milliseconds (or seconds, as some
//! mappings write it; else `time_dt`). A failure's class comes from `status_detail` /
//! `status_code`. The user is `user` (the account authenticated), else `actor.user`: its e-mail,
//! else its name. Address, place and network from `src_endpoint` (`ip`, `location.{country, city,
//! lat, long}`, `autonomous_system`), `http_request.user_agent`, `is_mfa`, `session.uid` (or
//! `actor.session.uid`), the service as the application, `metadata.uid` as the id.
//!
//! The provider comes from `metadata.product.vendor_name`: Okta and AWS events are those
//! providers' sign-ins (an AWS user keyed by account and name as [`super::cloudtrail`] keys it);
//! events mapped from Windows logons (vendor Microsoft, product Windows) are handed to the Windows
//! reader as the logon event they were (`unmapped.EventCode`, else 4624 / 4625 by status;
//! `logon_type_id`, `status_code`, `user.domain`, `device.hostname`), so the Windows signals read
//! them; any other vendor's are [`SourceKind::OtherProvider`] sign-ins. Other classes are ignored.

use serde_json::Value;

use super::intern::Interner;
use super::provider::{
    Field, Fields, Sign, at, first_owned, first_text, flag, number, owned, text, time_of,
};
use super::{Decoded, reject};
use crate::event::{Outcome, RecordRef, SourceKind};

/// Where each field is.
const FIELDS: Fields = &[
    (Field::Ip, &[&["src_endpoint", "ip"]]),
    (Field::Country, &[&["src_endpoint", "location", "country"]]),
    (Field::City, &[&["src_endpoint", "location", "city"]]),
    (Field::Latitude, &[&["src_endpoint", "location", "lat"]]),
    (Field::Longitude, &[&["src_endpoint", "location", "long"]]),
    (
        Field::Asn,
        &[&["src_endpoint", "autonomous_system", "number"]],
    ),
    (
        Field::AsnName,
        &[&["src_endpoint", "autonomous_system", "name"]],
    ),
    (Field::UserAgent, &[&["http_request", "user_agent"]]),
    (
        Field::Session,
        &[&["session", "uid"], &["actor", "session", "uid"]],
    ),
    (
        Field::App,
        &[
            &["service", "name"],
            &["dst_endpoint", "svc_name"],
            &["api", "service", "name"],
        ],
    ),
    (Field::AuthProtocol, &[&["auth_protocol"]]),
    (Field::RequestId, &[&["metadata", "uid"]]),
];

pub(crate) fn decode(v: &Value, record: &RecordRef, intern: &mut Interner) -> Decoded {
    match number(v, &["class_uid"]) {
        Some(3002.0) => {}
        Some(_) => return Decoded::Ignored("not an OCSF Authentication event (class_uid)"),
        None => return reject("missing class", "an OCSF event without class_uid"),
    }
    if number(v, &["activity_id"]) == Some(2.0) {
        return Decoded::Ignored("OCSF logoff");
    }
    let status = text(v, &["status"]).map(|s| s.to_ascii_lowercase());
    let outcome = match number(v, &["status_id"]).map(|n| n as i64) {
        Some(1) => Outcome::Success,
        Some(2) => Outcome::Failure,
        _ => match status.as_deref() {
            Some("success") => Outcome::Success,
            Some("failure") => Outcome::Failure,
            _ => return Decoded::Ignored("OCSF authentication without a status"),
        },
    };
    let time = match at(v, &["time"]).or_else(|| at(v, &["time_dt"])) {
        Some(t) => match time_of(t).or_else(|| at(v, &["time_dt"]).and_then(time_of)) {
            Some(t) => t,
            None => return reject("invalid timestamp", format!("time is not a time: {t}")),
        },
        None => return reject("missing time", "no time field"),
    };
    let vendor = text(v, &["metadata", "product", "vendor_name"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    let product = text(v, &["metadata", "product", "name"])
        .unwrap_or_default()
        .to_ascii_lowercase();
    if vendor.contains("microsoft") && product.contains("windows") {
        return windows(v, outcome, time, record);
    }
    let kind = if vendor.contains("okta") {
        SourceKind::Okta
    } else if vendor == "aws" || vendor.contains("amazon") {
        SourceKind::AwsConsole
    } else if vendor.contains("google") {
        SourceKind::GoogleWorkspace
    } else {
        SourceKind::OtherProvider
    };
    let user = at(v, &["user"])
        .filter(|u| {
            text(u, &["name"]).is_some()
                || text(u, &["email_addr"]).is_some()
                || text(u, &["uid"]).is_some()
        })
        .or_else(|| at(v, &["actor", "user"]));
    let identity = user.and_then(|u| {
        if kind == SourceKind::AwsConsole {
            let account = first_text(u, &[&["account", "uid"]])
                .or_else(|| text(v, &["actor", "user", "account", "uid"]))
                .or_else(|| text(v, &["cloud", "account", "uid"]));
            let name = text(u, &["name"]).or_else(|| text(v, &["actor", "user", "name"]));
            let kind = text(u, &["type"]).or_else(|| text(v, &["actor", "user", "type"]));
            super::cloudtrail::aws_identity(
                kind.as_deref(),
                account.as_deref(),
                name.as_deref(),
                text(u, &["uid"]).as_deref(),
            )
        } else {
            first_owned(u, &[&["email_addr"], &["name"], &["uid"]])
        }
    });
    let Some(identity) = identity else {
        return reject(
            "missing user",
            "an OCSF authentication without user or actor.user",
        );
    };
    let mut s = Sign::new(time, &identity, outcome, kind);
    if outcome == Outcome::Failure {
        let detail = first_text(v, &[&["status_detail"], &["status_code"], &["status"]]);
        s.class = Some(
            detail
                .as_deref()
                .map_or(crate::FailureClass::Other, super::provider::class_of_text),
        );
        s.code = owned(v, &["status_code"]);
        s.reason = owned(v, &["status_detail"]);
    }
    s.mfa = flag(v, &["is_mfa"]).or_else(|| flag(v, &["mfa"]));
    s.fill(v, FIELDS);
    s.event(record, intern)
}

/// An OCSF event mapped from a Windows logon, as the Windows event it was.
fn windows(
    v: &Value,
    outcome: Outcome,
    time: chrono::DateTime<chrono::Utc>,
    record: &RecordRef,
) -> Decoded {
    let id = first_text(
        v,
        &[&["unmapped", "EventCode"], &["metadata", "event_code"]],
    )
    .filter(|c| c.bytes().all(|b| b.is_ascii_digit()))
    .map(|c| c.into_owned())
    .unwrap_or_else(|| {
        if outcome == Outcome::Success {
            "4624"
        } else {
            "4625"
        }
        .into()
    });
    // The Windows event's fields, each from the first of its OCSF paths that holds a text.
    const FIELDS: &[(&str, &[&[&str]])] = &[
        ("TargetUserName", &[&["user", "name"]]),
        ("TargetDomainName", &[&["user", "domain"]]),
        ("TargetUserSid", &[&["user", "uid"]]),
        ("IpAddress", &[&["src_endpoint", "ip"]]),
        ("WorkstationName", &[&["src_endpoint", "name"]]),
        ("Computer", &[&["device", "hostname"], &["device", "name"]]),
        ("LogonType", &[&["logon_type_id"]]),
        ("Status", &[&["status_code"]]),
        ("AuthenticationPackageName", &[&["auth_protocol"]]),
        ("LogonProcessName", &[&["logon_process", "name"]]),
        ("EventRecordID", &[&["unmapped", "RecordNumber"]]),
    ];
    let mut event = serde_json::Map::new();
    event.insert("EventID".into(), Value::String(id));
    // Epoch milliseconds: the Windows reader reads them as it reads PowerShell's times.
    event.insert(
        "TimeCreated".into(),
        Value::String(format!("/Date({})/", time.timestamp_millis())),
    );
    for (key, paths) in FIELDS {
        if let Some(t) = first_text(v, paths) {
            event.insert((*key).into(), Value::String(t.into_owned()));
        }
    }
    // Older mappings keep the NTSTATUS in `status`.
    if !event.contains_key("Status")
        && let Some(s) = text(v, &["status"]).filter(|s| s.starts_with("0x") || s.starts_with("0X"))
    {
        event.insert("Status".into(), Value::String(s.into_owned()));
    }
    let event = Value::Object(event);
    super::windows::decode_value(&event, record.clone())
}

#[cfg(test)]
mod tests {
    use crate::ingest::Decoded;
    use crate::ingest::okta::tests::read;
    use crate::{FailureClass, Outcome};

    #[test]
    fn okta_aws_and_windows_mappings() {
        let okta = r#"{"activity_id":1,"class_uid":3002,"status":"Success","status_id":1,"time":1723564700,"metadata":{"product":{"name":"Okta System Log","vendor_name":"Okta"},"uid":"m-1"},"user":{"email_addr":"john.doe@example.com","name":"John Doe"},"src_endpoint":{"ip":"10.0.0.1","location":{"country":"United States","city":"New York","lat":40.3,"long":-74.0},"autonomous_system":{"number":394089}},"actor":{"session":{"uid":"idx1"}}}"#;
        let Decoded::Event(e) = read(okta) else {
            panic!("{:?}", read(okta))
        };
        assert_eq!(e.source_kind, crate::event::SourceKind::Okta);
        assert_eq!(&*e.identity_key, "john.doe@example.com");
        assert_eq!(e.country.as_deref(), Some("US"));
        assert_eq!(e.time.to_rfc3339(), "2024-08-13T15:58:20+00:00");
        let aws = r#"{"activity_id":1,"class_uid":3002,"status":"Success","time":1699633474000,"is_mfa":true,"metadata":{"product":{"name":"CloudTrail","vendor_name":"AWS"}},"actor":{"user":{"account":{"uid":"111122223333"},"name":"anaya","type":"IAMUser","uid":"arn:aws:iam::111122223333:user/anaya"}},"user":{"uid":"arn:aws:iam::111122223333:user/anaya"},"src_endpoint":{"ip":"192.0.2.0"}}"#;
        let Decoded::Event(e) = read(aws) else {
            panic!("{:?}", read(aws))
        };
        assert_eq!(&*e.identity_key, "111122223333:anaya");
        assert_eq!(e.outcome, Outcome::Success);
        let win = r#"{"activity_id":1,"class_uid":3002,"status":"Failure","status_code":"0xC000006D","status_detail":"Unknown user name or bad password.","status_id":2,"time":1674709200000,"logon_type_id":3,"auth_protocol":"NTLM","metadata":{"product":{"name":"Microsoft Windows","vendor_name":"Microsoft"}},"device":{"name":"EC2AMAZ"},"src_endpoint":{"ip":"203.0.113.5"},"unmapped":{"EventCode":"4625","RecordNumber":"223742"},"user":{"domain":"MyDomain","name":"Bob"}}"#;
        let Decoded::Event(e) = read(win) else {
            panic!("{:?}", read(win))
        };
        assert_eq!(e.event_id(), Some(4625));
        assert_eq!(e.failure_class(), Some(FailureClass::BadCredentials));
        let other = okta.replace("3002", "3001");
        assert!(matches!(read(&other), Decoded::Ignored(_)));
    }
}
