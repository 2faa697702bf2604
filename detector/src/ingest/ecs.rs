//! Elastic documents (ECS) of the sign-in integrations, as stored and exported (Discover,
//! `elasticdump`, NDJSON, search hits), when they did not keep the original record.
//!
//! A document that kept it (`event.original`, the integration's `preserve_original_event`) never
//! comes here: the original is read by the reader of its own shape. Without it, the record is in the
//! integration's object with Elastic's names, and a few of its fields moved to ECS ones. This leaf
//! writes the record back in its provider's shape and hands it to that provider's reader, so both
//! shapes give the same event:
//!
//! * `azure.signinlogs` (Entra): snake_case keys (`user_principal_name`, `status.error_code`), a few
//!   renamed (`created_at`, `risk_level_during_signin`), Entra's location moved to the top-level
//!   `geo`; written back as the diagnostic record (keys in camelCase, the location under
//!   `properties.location`) for the sign-in reader.
//! * `okta` (System Log): snake_case keys; `client.ip`, `client.geo` (Okta's geographical context),
//!   `okta.security_context.as`, and Okta's own debug data under `debug_data.flattened`.
//! * `aws.cloudtrail` (`ConsoleLogin`): `event.action`, `event.provider`, `event.id`,
//!   `source.address`, `user_agent.original`, `cloud.account.id`; the response and additional data
//!   as Java-map strings with their objects under `flattened` (else `event.outcome` and
//!   `console_login.additional_eventdata.mfa_used`).
//! * `google_workspace` (login activities): the event's name in `event.action`, its type in
//!   `google_workspace.event.type`, its parameters in `google_workspace.login` without their
//!   `login_` prefix, the actor in `source.user.email`, the address in `source.ip`.
//! * `ocsf` (Amazon Security Lake): the OCSF record itself, ids as strings.
//!
//! Elastic's GeoIP of the address (`source.geo`, `source.as`) fills only what the record lacks:
//! kept as `elastic.source` for the provider readers ([`super::provider::ELASTIC_GEOIP`]), or
//! written into the Entra record's missing fields.

use serde_json::{Map, Value};

use super::entra::{self, Read};
use super::keys::Ecs;
use super::{Decoded, Interner, reject};
use crate::event::RecordRef;

/// Elastic's names that are not Entra's in snake_case.
const RENAMED: &[(&str, &str)] = &[
    ("created_at", "createdDateTime"),
    ("risk_event_types_v2", "riskEventTypes_v2"),
    ("processing_time_ms", "processingTimeInMilliseconds"),
];

/// `user_principal_name` → `userPrincipalName`, or Elastic's rename.
fn camel(key: &str) -> String {
    if let Some((_, to)) = RENAMED.iter().find(|(from, _)| *from == key) {
        return (*to).to_string();
    }
    let mut out = String::with_capacity(key.len());
    let mut upper = false;
    for c in key.chars() {
        if c == '_' {
            upper = !out.is_empty();
        } else if upper {
            out.extend(c.to_uppercase());
            upper = false;
        } else {
            out.push(c);
        }
    }
    out
}

/// Every key of `v`, at every depth, in Entra's spelling.
fn entra_keys(v: Value) -> Value {
    match v {
        Value::Object(m) => Value::Object(
            m.into_iter()
                .map(|(k, v)| (camel(&k), entra_keys(v)))
                .collect(),
        ),
        Value::Array(a) => Value::Array(a.into_iter().map(entra_keys).collect()),
        other => other,
    }
}

/// `v` at the dotted path, in nested objects or as one dotted key (Discover's flattened columns).
fn at<'v>(v: &'v Value, path: &str) -> Option<&'v Value> {
    if let Some(x) = v.get(path) {
        return Some(x);
    }
    let (head, rest) = path.split_once('.')?;
    at(v.get(head)?, rest)
}

/// The document's sign-in as Entra's diagnostic record.
fn diagnostic(doc: &Value) -> Option<Value> {
    let signin = at(doc, "azure.signinlogs")?.clone();
    let Value::Object(mut rec) = entra_keys(signin) else {
        return None;
    };
    let props = rec
        .entry("properties")
        .or_insert_with(|| Value::Object(Map::new()));
    let Value::Object(props) = props else {
        return None;
    };
    let mut put = |k: &str, v: Option<&Value>| {
        if let Some(v) = v.filter(|v| !v.is_null())
            && !props.contains_key(k)
        {
            props.insert(k.to_string(), v.clone());
        }
    };
    put("ipAddress", at(doc, "source.ip"));
    put("autonomousSystemNumber", at(doc, "source.as.number"));
    put("userAgent", at(doc, "user_agent.original"));
    // Entra's own location (Elastic moves it to `geo`), else Elastic's GeoIP of the address.
    for geo in ["geo", "source.geo"] {
        let Some(g) = at(doc, geo) else { continue };
        let mut loc = Map::new();
        for (from, to) in [
            ("city_name", "city"),
            ("country_iso_code", "countryOrRegion"),
        ] {
            if let Some(v) = g.get(from) {
                loc.insert(to.into(), v.clone());
            }
        }
        if let Some(l) = g.get("location") {
            loc.insert(
                "geoCoordinates".into(),
                serde_json::json!({"latitude": l.get("lat"), "longitude": l.get("lon")}),
            );
        }
        if !loc.is_empty() {
            put("location", Some(&Value::Object(loc)));
            break;
        }
    }
    if !rec.contains_key("time")
        && let Some(t) = at(doc, "@timestamp")
    {
        rec.insert("time".into(), t.clone());
    }
    if !rec.contains_key("callerIpAddress")
        && let Some(ip) = at(doc, "source.ip")
    {
        rec.insert("callerIpAddress".into(), ip.clone());
    }
    Some(Value::Object(rec))
}

/// The document's Okta event as the System Log writes it.
fn okta(doc: &Value) -> Option<Value> {
    let Value::Object(mut rec) = entra_keys(at(doc, "okta")?.clone()) else {
        return None;
    };
    // Okta's own debug data, as Okta spelled it.
    if let Some(Value::Object(debug)) = rec
        .get_mut("debugContext")
        .and_then(|d| d.get_mut("debugData"))
        && let Some(Value::Object(flat)) = debug.remove("flattened")
    {
        debug.extend(flat);
    }
    if let Some(Value::Object(sc)) = rec.get_mut("securityContext")
        && let Some(net) = sc.remove("as")
    {
        for (to, from) in [("asNumber", "number"), ("asOrg", "organization.name")] {
            if let Some(v) = at(&net, from) {
                sc.entry(to).or_insert_with(|| v.clone());
            }
        }
    }
    let client = rec
        .entry("client")
        .or_insert_with(|| Value::Object(Map::new()));
    if let Value::Object(c) = client {
        let ip = c.remove("ip").or_else(|| {
            at(doc, "client.ip")
                .or_else(|| at(doc, "source.ip"))
                .cloned()
        });
        if let Some(ip) = ip {
            c.entry("ipAddress").or_insert(ip);
        }
        if let Some(g) = at(doc, "client.geo") {
            let mut place = Map::new();
            for (to, from) in [
                ("country", "country_name"),
                ("country", "country_iso_code"),
                ("city", "city_name"),
                ("state", "region_name"),
            ] {
                if let Some(v) = g.get(from) {
                    place.entry(to).or_insert_with(|| v.clone());
                }
            }
            if let Some(l) = g.get("location") {
                place.insert("geolocation".into(), l.clone());
            }
            c.entry("geographicalContext")
                .or_insert(Value::Object(place));
        }
        if let Some(ua) = at(doc, "user_agent.original") {
            let agent = c
                .entry("userAgent")
                .or_insert_with(|| Value::Object(Map::new()));
            if let Value::Object(a) = agent {
                a.entry("rawUserAgent").or_insert_with(|| ua.clone());
            }
        }
    }
    Some(finish(rec, doc, &[("published", "@timestamp")]))
}

/// The document's console sign-in as CloudTrail writes it.
fn cloudtrail(doc: &Value) -> Option<Value> {
    let Value::Object(mut rec) = entra_keys(at(doc, "aws.cloudtrail")?.clone()) else {
        return None;
    };
    // `responseElements` and `additionalEventData` as objects, where Elastic kept them so.
    if let Some(Value::Object(flat)) = rec.remove("flattened") {
        rec.extend(flat);
    }
    if !rec.get("responseElements").is_some_and(Value::is_object)
        && let Some(outcome) = at(doc, "event.outcome").and_then(Value::as_str)
    {
        let result = if outcome.eq_ignore_ascii_case("success") {
            "Success"
        } else {
            "Failure"
        };
        rec.insert(
            "responseElements".into(),
            serde_json::json!({ "ConsoleLogin": result }),
        );
    }
    let parsed = rec.remove("consoleLogin");
    if !rec.get("additionalEventdata").is_some_and(Value::is_object)
        && let Some(mfa) = parsed
            .as_ref()
            .and_then(|p| at(p, "additionalEventdata.mfaUsed"))
            .and_then(Value::as_bool)
    {
        rec.insert(
            "additionalEventData".into(),
            serde_json::json!({ "MFAUsed": if mfa { "Yes" } else { "No" } }),
        );
    }
    if let Some(Value::Object(who)) = rec.get_mut("userIdentity")
        && let Some(account) = at(doc, "cloud.account.id")
    {
        who.entry("accountId").or_insert_with(|| account.clone());
    }
    Some(finish(
        rec,
        doc,
        &[
            ("eventTime", "@timestamp"),
            ("eventName", "event.action"),
            ("eventSource", "event.provider"),
            ("eventID", "event.id"),
            ("sourceIPAddress", "source.address"),
            ("sourceIPAddress", "source.ip"),
            ("userAgent", "user_agent.original"),
            ("awsRegion", "cloud.region"),
        ],
    ))
}

/// The document's login activity as the Reports API writes it.
fn google(doc: &Value) -> Option<Value> {
    let gw = at(doc, "google_workspace")?;
    let mut params = Map::new();
    if let Some(Value::Object(login)) = gw.get("login") {
        for (k, v) in login {
            // Elastic drops the `login_` prefix of Google's parameter names.
            let name = if k.starts_with("is_") || k.starts_with("login_") || k.contains("email") {
                k.clone()
            } else {
                format!("login_{k}")
            };
            params.insert(name, v.clone());
        }
    }
    let mut event = Map::new();
    if let Some(t) = at(gw, "event.type") {
        event.insert("type".into(), t.clone());
    }
    event.insert("name".into(), at(doc, "event.action")?.clone());
    event.insert("parameters".into(), Value::Object(params));
    let mut id = Map::new();
    for (to, from) in [
        ("time", "@timestamp"),
        ("uniqueQualifier", "event.id"),
        ("applicationName", "event.provider"),
    ] {
        if let Some(v) = at(doc, from) {
            id.insert(to.into(), v.clone());
        }
    }
    let mut rec = Map::new();
    rec.insert("id".into(), Value::Object(id));
    if let Some(email) = at(doc, "source.user.email").or_else(|| at(doc, "user.email")) {
        rec.insert("actor".into(), serde_json::json!({ "email": email }));
    }
    rec.insert("events".into(), Value::Array(vec![Value::Object(event)]));
    Some(finish(rec, doc, &[("ipAddress", "source.ip")]))
}

/// The fields a record takes from the document's ECS ones where it has none of its own (`to`,
/// `from`; the first of several `from` for one `to` wins), and Elastic's GeoIP.
fn finish(mut rec: Map<String, Value>, doc: &Value, fields: &[(&str, &str)]) -> Value {
    for (to, from) in fields {
        if !rec.contains_key(*to)
            && let Some(v) = at(doc, from)
        {
            rec.insert((*to).into(), v.clone());
        }
    }
    if let Some(source) = at(doc, "source") {
        rec.insert("elastic.source".into(), source.clone());
    }
    Value::Object(rec)
}

/// One Elastic document of a sign-in integration, `e` the one whose object it has.
pub(crate) fn decode(e: Ecs, bytes: &[u8], record: &RecordRef, intern: &mut Interner) -> Decoded {
    let doc: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return reject("invalid JSON", e.to_string()),
    };
    let (rec, reader) = match e {
        Ecs::Azure => (diagnostic(&doc), None),
        Ecs::Okta => (okta(&doc), Some(super::okta::decode as Reader)),
        Ecs::Aws => (cloudtrail(&doc), Some(super::cloudtrail::decode as Reader)),
        Ecs::Google => (google(&doc), Some(super::google::decode as Reader)),
        Ecs::Ocsf => (
            at(&doc, "ocsf").filter(|o| o.is_object()).cloned(),
            Some(super::ocsf::decode as Reader),
        ),
    };
    let Some(rec) = rec else {
        return reject(
            "unreadable Elastic document",
            "an Elastic document whose integration object (azure.signinlogs, okta, aws.cloudtrail, google_workspace, ocsf) is missing or not an object",
        );
    };
    if let Some(read) = reader {
        return super::inside(
            "the Elastic document's integration fields",
            read(&rec, record, intern),
        );
    }
    match entra::read(rec.to_string().as_bytes(), record, intern) {
        Read::SignIn(d) => d,
        _ => reject(
            "unreadable Elastic document",
            "the azure.signinlogs fields do not make a sign-in record",
        ),
    }
}

/// A provider's reader of a parsed record.
type Reader = fn(&Value, &RecordRef, &mut Interner) -> Decoded;

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::{json_record, record_ref};
    use crate::shared::Shared;

    const RAW: &str = r#"{"time":"2019-10-18T09:45:48.0729893Z","category":"SignInLogs","resultType":"50126","callerIpAddress":"81.171.241.231","properties":{"createdDateTime":"2019-10-18T04:45:48.0729893-05:00","userPrincipalName":"test@elastic.co","appDisplayName":"Office 365","appId":"8A4DE8B5-095C-47D0-A96F-A75130C61D53","clientAppUsed":"Browser","isInteractive":true,"ipAddress":"81.171.241.231","id":"r-1","riskLevelDuringSignIn":"high","status":{"errorCode":50126,"failureReason":"Invalid username or password."},"location":{"city":"Champs-Sur-Marne","countryOrRegion":"FR","geoCoordinates":{"latitude":48.1,"longitude":2.1}},"autonomousSystemNumber":8426}}"#;

    /// The same sign-in as Elastic stores it without the original record.
    const DOC: &str = r#"{"@timestamp":"2019-10-18T09:45:48.072Z","event":{"outcome":"failure","action":"Sign-in activity"},"source":{"ip":"81.171.241.231","as":{"number":8426},"geo":{"country_iso_code":"GB","city_name":"Farnham Royal"}},"geo":{"city_name":"Champs-Sur-Marne","country_iso_code":"FR","location":{"lat":48.1,"lon":2.1}},"azure":{"signinlogs":{"category":"SignInLogs","result_type":"50126","properties":{"created_at":"2019-10-18T04:45:48.0729893-05:00","user_principal_name":"test@elastic.co","app_display_name":"Office 365","app_id":"8A4DE8B5-095C-47D0-A96F-A75130C61D53","client_app_used":"Browser","is_interactive":true,"ip_address":"81.171.241.231","id":"r-1","risk_level_during_signin":"high","status":{"error_code":50126,"failure_reason":"Invalid username or password."}}}}}"#;

    fn event(json: &str) -> crate::AuthEvent {
        match json_record(
            json.as_bytes(),
            &record_ref(&Shared::from("t"), 1),
            &mut Interner::default(),
        ) {
            Decoded::Event(e) => *e,
            other => panic!("{json}: {other:?}"),
        }
    }

    /// An Elastic document, with or without its original record, gives the record's own event.
    #[test]
    fn documents_give_the_records_event() {
        let want = event(RAW);
        assert_eq!(event(DOC), want, "azure.signinlogs mapped back");
        let kept = serde_json::json!({
            "@timestamp": "2019-10-18T09:45:48.072Z",
            "event": {"original": RAW, "outcome": "failure"},
            "azure": {"signinlogs": {"result_type": "0"}},
        });
        assert_eq!(event(&kept.to_string()), want, "event.original read first");
        assert_eq!(
            want.country.as_deref(),
            Some("FR"),
            "Entra's location, not GeoIP"
        );
        assert_eq!(want.asn, Some(8426));
    }

    #[test]
    fn keys_in_entra_spelling() {
        for (from, to) in [
            ("user_principal_name", "userPrincipalName"),
            ("error_code", "errorCode"),
            ("created_at", "createdDateTime"),
            ("risk_event_types_v2", "riskEventTypes_v2"),
            ("id", "id"),
            ("_private", "private"),
        ] {
            assert_eq!(camel(from), to);
        }
    }

    /// A Windows event Elastic kept as XML; documents that cannot be read say why.
    #[test]
    fn originals_of_other_shapes_and_unreadable_documents() {
        let xml = r#"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System><EventID>4625</EventID><EventRecordID>9</EventRecordID><TimeCreated SystemTime='2026-03-03T09:00:00.000Z'/><Computer>SRV01</Computer></System><EventData><Data Name='TargetUserName'>jdoe</Data><Data Name='TargetDomainName'>CORP</Data><Data Name='Status'>0xc000006d</Data><Data Name='SubStatus'>0xc000006a</Data><Data Name='LogonType'>3</Data><Data Name='IpAddress'>203.0.113.7</Data></EventData></Event>"#;
        let doc =
            serde_json::json!({"@timestamp": "2026-03-03T09:00:00Z", "event": {"original": xml}});
        let e = event(&doc.to_string());
        assert_eq!(e.event_id(), Some(4625));
        for (doc, reason) in [
            (
                r#"{"@timestamp":"2026-03-03T09:00:00Z","event":{"original":"plain text"}}"#,
                "unreadable original record",
            ),
            (
                r#"{"@timestamp":"2026-03-03T09:00:00Z","azure":{"signinlogs":"x"}}"#,
                "unreadable Elastic document",
            ),
            (
                r#"{"@timestamp":"2026-03-03T09:00:00Z","aws":{"guardduty":{}}}"#,
                "unreadable Elastic document",
            ),
            (
                r#"{"@timestamp":"2026-03-03T09:00:00Z","okta":{"event_type":"user.session.start","outcome":{"result":"SUCCESS"}}}"#,
                "missing user",
            ),
            (
                r#"{"@timestamp":"2026-03-03T09:00:00Z","cisco":{"duo":{}}}"#,
                "unread Elastic document",
            ),
        ] {
            match json_record(
                doc.as_bytes(),
                &record_ref(&Shared::from("t"), 1),
                &mut Interner::default(),
            ) {
                Decoded::Rejected { reason: r, .. } => assert_eq!(r, reason, "{doc}"),
                other => panic!("{doc}: {other:?}"),
            }
        }
    }
}
