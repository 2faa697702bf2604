//! Microsoft Graph's own `signIn` records, read by a short path of their own.
//!
//! Most records are Graph's, written with Graph's keys and value types. This path reads exactly
//! those: each key by its exact spelling, each value as the type Graph writes (texts as borrowed
//! strings, result codes and AS numbers as integers, `isInteractive` as a boolean, coordinates as
//! numbers), into a small typed record, then straight into an [`AuthEvent`]. It runs a fraction of
//! the code of the general reader ([`super::entra`]), whose per-record code no longer fits the
//! processor's instruction cache (BENCHMARKS.md, seventh session).
//!
//! It gives up, and the general reader reads the record instead, whenever the record is anything
//! else: a key the general reader knows in another spelling (`UserPrincipalName`, `ResultType`,
//! `properties`...), a value of another type (a code as text, a location as a string), a string
//! with escapes, or a record the general reader would reject or ignore. Keys neither reader knows
//! are skipped by both. So the two agree on every record this path takes (a property test holds
//! them to that), and the general reader remains the definition.

use serde::de::{self, DeserializeSeed, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

use super::entra::{self, Decoded};
use super::flex;
use super::time::parse_time;
use super::{Field, Interner};
use crate::event::{AuthEvent, EventExtra, RecordRef, SourceKind};
use crate::shared::Shared;

/// The fields of a Graph sign-in this reader uses, as written.
#[derive(Debug, Default)]
struct Rec<'a> {
    id: Option<&'a str>,
    created: Option<&'a str>,
    upn: Option<&'a str>,
    app: Option<&'a str>,
    ip: Option<&'a str>,
    client_app: Option<&'a str>,
    user_agent: Option<&'a str>,
    correlation_id: Option<&'a str>,
    interactive: Option<bool>,
    asn: Option<i64>,
    error_code: Option<i64>,
    failure_reason: Option<&'a str>,
    location: Option<Loc<'a>>,
    risk_v1: Vec<&'a str>,
    risk_v2: Vec<&'a str>,
}

#[derive(Debug, Default)]
struct Loc<'a> {
    city: Option<&'a str>,
    country: Option<&'a str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

/// The event of one Graph record, or `None` when the record is not in Graph's exact shape (the
/// general reader reads it then).
pub(crate) fn decode(text: &str, record: &RecordRef, intern: &mut Interner) -> Option<Decoded> {
    let mut rec = Rec::default();
    let mut de = serde_json::Deserializer::from_str(text);
    Top(&mut rec, &mut intern.keys)
        .deserialize(&mut de)
        .and_then(|()| de.end())
        .ok()?;
    to_event(&rec, record, intern)
}

/// Text as the general reader takes it ([`flex::Text`]): `None` when blank.
fn text(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !flex::trim(s).is_empty())
}

/// A top-level field as the general reader picks it: trimmed, `None` when blank.
fn field(s: Option<&str>) -> Option<&str> {
    text(s).map(flex::trim)
}

fn to_event(r: &Rec<'_>, record: &RecordRef, intern: &mut Interner) -> Option<Decoded> {
    // Whatever the general reader would reject, it also reports (with its reason): left to it.
    let time = parse_time(field(r.created)?)?;
    let identity = field(r.upn)?;
    let code = flex::number_text(i128::from(r.error_code?));
    let outcome = entra::outcome(&code);
    let failure_reason = if outcome == crate::event::Outcome::Success {
        None
    } else {
        text(r.failure_reason).map(|t| intern.field(Field::FailureReason, t))
    };
    let ip = entra::address(field(r.ip), intern);
    let loc = r.location.as_ref();
    let country = loc
        .and_then(|l| text(l.country))
        .and_then(entra::country_code)
        .map(|c| intern.field(Field::Country, c));
    let mut risk_event_types: Vec<String> = Vec::new();
    for t in r.risk_v2.iter().chain(&r.risk_v1) {
        if !t.eq_ignore_ascii_case("none") && !risk_event_types.iter().any(|x| x == t) {
            risk_event_types.push((*t).to_string());
        }
    }
    let record_id: Option<Shared<str>> = field(r.id).map(Shared::from);
    let (identity, identity_key) = entra::identity(identity, intern);
    let mut shared = |f: Field, t: Option<&str>| t.map(|t| intern.field(f, t));
    Some(Decoded::Event(Box::new(AuthEvent {
        time,
        identity,
        identity_key,
        outcome,
        result_code: shared(Field::ResultCode, Some(&code)),
        failure_reason,
        ip,
        country,
        city: shared(Field::City, loc.and_then(|l| text(l.city))),
        latitude: loc.and_then(|l| l.latitude),
        longitude: loc.and_then(|l| l.longitude),
        asn: r
            .asn
            .and_then(|a| u32::try_from(a).ok())
            .filter(|&a| a != 0),
        app: shared(Field::App, field(r.app)),
        client_app: shared(Field::ClientApp, field(r.client_app)),
        user_agent: shared(Field::UserAgent, field(r.user_agent)),
        request_id: record_id.clone(),
        interactive: r.interactive,
        extra: EventExtra {
            risk_event_types,
            correlation_id: field(r.correlation_id).map(Shared::from),
            ..EventExtra::default()
        }
        .boxed(),
        source_kind: SourceKind::EntraSignIn,
        windows: None,
        record: RecordRef {
            record_id,
            ..record.clone()
        },
    })))
}

/// Not Graph's shape: the general reader takes the record.
fn other<E: de::Error>() -> E {
    E::custom("not a Graph sign-in as Graph writes it")
}

/// The record object. The `String` is where other keys are lower-cased to ask the general reader
/// whether it knows them.
struct Top<'r, 'a>(&'r mut Rec<'a>, &'r mut String);

impl<'de> DeserializeSeed<'de> for Top<'_, 'de> {
    type Value = ();
    fn deserialize<D: Deserializer<'de>>(self, d: D) -> Result<(), D::Error> {
        d.deserialize_map(self)
    }
}

impl<'de> Visitor<'de> for Top<'_, 'de> {
    type Value = ();
    fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
        f.write_str("a Graph sign-in object")
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<(), A::Error> {
        let (r, buf) = (self.0, self.1);
        while let Some(k) = m.next_key::<&'de str>()? {
            match k {
                "id" => r.id = m.next_value()?,
                "createdDateTime" => r.created = m.next_value()?,
                "userPrincipalName" => r.upn = m.next_value()?,
                "appDisplayName" => r.app = m.next_value()?,
                "ipAddress" => r.ip = m.next_value()?,
                "clientAppUsed" => r.client_app = m.next_value()?,
                "userAgent" => r.user_agent = m.next_value()?,
                "correlationId" => r.correlation_id = m.next_value()?,
                "isInteractive" => r.interactive = m.next_value()?,
                "autonomousSystemNumber" => r.asn = m.next_value()?,
                "status" => {
                    let s: Option<Status<'de>> = m.next_value()?;
                    let s = s.unwrap_or_default();
                    (r.error_code, r.failure_reason) = (s.0, s.1);
                }
                "location" => r.location = m.next_value::<Option<LocSeed<'de>>>()?.map(|l| l.0),
                "riskEventTypes" => {
                    r.risk_v1 = m.next_value::<Option<Texts<'de>>>()?.unwrap_or_default().0
                }
                "riskEventTypes_v2" => {
                    r.risk_v2 = m.next_value::<Option<Texts<'de>>>()?.unwrap_or_default().0
                }
                _ => {
                    if entra::field_of(entra::field_name(k, buf)).is_some() {
                        return Err(other());
                    }
                    m.next_value::<IgnoredAny>()?;
                }
            }
        }
        Ok(())
    }
}

/// `status`: `errorCode` (an integer) and `failureReason`.
#[derive(Debug, Default)]
struct Status<'a>(Option<i64>, Option<&'a str>);

impl<'de> de::Deserialize<'de> for Status<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Status<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a status object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Status<'de>, A::Error> {
                let mut s = Status::default();
                while let Some(k) = m.next_key::<&'de str>()? {
                    match k {
                        "errorCode" => s.0 = m.next_value()?,
                        "failureReason" => s.1 = m.next_value()?,
                        "ErrorCode" | "FailureReason" => return Err(other()),
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(s)
            }
        }
        d.deserialize_map(V)
    }
}

/// `location`: `city`, `countryOrRegion`, `geoCoordinates`.
struct LocSeed<'a>(Loc<'a>);

impl<'de> de::Deserialize<'de> for LocSeed<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = LocSeed<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a location object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<LocSeed<'de>, A::Error> {
                let mut l = Loc::default();
                while let Some(k) = m.next_key::<&'de str>()? {
                    match k {
                        "city" => l.city = m.next_value()?,
                        "countryOrRegion" => l.country = m.next_value()?,
                        "geoCoordinates" => {
                            let g: Option<Geo> = m.next_value()?;
                            let g = g.unwrap_or_default();
                            (l.latitude, l.longitude) = (g.0, g.1);
                        }
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(LocSeed(l))
            }
        }
        d.deserialize_map(V)
    }
}

/// `geoCoordinates`: `latitude`, `longitude` as numbers.
#[derive(Debug, Default)]
struct Geo(Option<f64>, Option<f64>);

impl<'de> de::Deserialize<'de> for Geo {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Geo;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a coordinates object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Geo, A::Error> {
                let mut g = Geo::default();
                while let Some(k) = m.next_key::<&'de str>()? {
                    match k {
                        "latitude" => g.0 = m.next_value()?,
                        "longitude" => g.1 = m.next_value()?,
                        _ => {
                            m.next_value::<IgnoredAny>()?;
                        }
                    }
                }
                Ok(g)
            }
        }
        d.deserialize_map(V)
    }
}

/// A list of texts (`riskEventTypes`): strings, blank ones and nulls left out as the general
/// reader leaves them out.
#[derive(Debug, Default)]
struct Texts<'a>(Vec<&'a str>);

impl<'de> de::Deserialize<'de> for Texts<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Texts<'de>;
            fn expecting(&self, f: &mut std::fmt::Formatter) -> std::fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Texts<'de>, A::Error> {
                let mut out = Vec::new();
                while let Some(t) = s.next_element::<Option<&'de str>>()? {
                    out.extend(text(t));
                }
                Ok(Texts(out))
            }
        }
        d.deserialize_seq(V)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn rec() -> RecordRef {
        entra::record_ref(&Shared::from("t.jsonl"), 7)
    }

    /// The Graph path's event for `line`, checked against the general reader's: `Some(true)` when
    /// the Graph path took the record (and gave the same event), `None` when it left it.
    fn agrees(line: &str) -> Option<bool> {
        let fast = decode(line, &rec(), &mut Interner::default())?;
        let general = entra::general_line(line.as_bytes(), rec(), &mut Interner::default());
        match (fast, general) {
            (Decoded::Event(a), Some(Decoded::Event(b))) => {
                assert_eq!(a, b, "the two readers disagree on {line}");
                Some(true)
            }
            (a, b) => panic!("the Graph path gave {a:?}, the general reader {b:?}, on {line}"),
        }
    }

    const GRAPH: &str = r#"{"id":"r-1","createdDateTime":"2026-03-02T00:05:00Z","userPrincipalName":"Alice@Contoso.com","appDisplayName":"Office 365 Exchange Online","ipAddress":"131.107.30.5","clientAppUsed":"Browser","userAgent":"Mozilla/5.0","correlationId":"c-1","isInteractive":true,"autonomousSystemNumber":8075,"riskEventTypes":["none"],"riskEventTypes_v2":["unfamiliarFeatures","none","unfamiliarFeatures"],"status":{"errorCode":50126,"failureReason":"Invalid username or password.","additionalDetails":null},"location":{"city":"Seattle","state":"Washington","countryOrRegion":"US","geoCoordinates":{"altitude":null,"latitude":47.61,"longitude":-122}},"deviceDetail":{"browser":"Edge"},"appliedConditionalAccessPolicies":[]}"#;

    #[test]
    fn takes_graphs_own_records_and_agrees() {
        assert_eq!(agrees(GRAPH), Some(true));
        // A success: no failure reason kept; an IPv6 address written in upper case is canonical.
        let ok = GRAPH
            .replace("50126", "0")
            .replace("131.107.30.5", "2001:DB8::1");
        assert_eq!(agrees(&ok), Some(true));
    }

    #[test]
    fn leaves_every_other_shape_to_the_general_reader() {
        for (from, to) in [
            // Another spelling of a known key, or a key only other shapes have.
            ("\"userPrincipalName\"", "\"UserPrincipalName\""),
            ("\"deviceDetail\"", "\"properties\""),
            ("\"deviceDetail\"", "\"value\""),
            ("\"deviceDetail\"", "\"EventID\""),
            ("\"errorCode\"", "\"ErrorCode\""),
            // Other value types.
            ("50126", "\"50126\""),
            ("8075", "\"AS8075\""),
            ("true", "\"True\""),
            ("47.61", "\"47.61\""),
            (
                "{\"city\":\"Seattle\"",
                "\"US\",\"x\":{\"city\":\"Seattle\"",
            ),
            // Escapes, in a key or a value.
            ("\"clientAppUsed\"", "\"clientApp\\u0055sed\""),
            ("Mozilla/5.0", "Mozilla\\/5.0"),
            // What the general reader rejects (it says why).
            ("2026-03-02T00:05:00Z", "yesterday"),
            ("Alice@Contoso.com", "  "),
        ] {
            let line = GRAPH.replacen(from, to, 1);
            assert_ne!(line, GRAPH, "{from} not in the sample");
            assert_eq!(
                decode(&line, &rec(), &mut Interner::default()).map(|_| ()),
                None,
                "{line}"
            );
        }
        // Trailing bytes after the object are not one record.
        assert!(decode(&format!("{GRAPH} x"), &rec(), &mut Interner::default()).is_none());
    }

    /// Every record in the conformance corpus and the shared real samples: where the Graph path
    /// takes one, it gives the general reader's event.
    #[test]
    fn agrees_on_every_corpus_and_sample_record() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut dirs = vec![root.join("tests/corpus")];
        dirs.push(
            std::env::var_os("T1586_SHARED_DATA")
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| root.join("../shared/data")),
        );
        let mut files = Vec::new();
        while let Some(d) = dirs.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p
                    .extension()
                    .is_some_and(|x| x == "json" || x == "jsonl" || x == "log")
                {
                    files.push(p);
                }
            }
        }
        let (mut taken, mut records) = (0, 0);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let mut values: Vec<serde_json::Value> = Vec::new();
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => values.push(v),
                Err(_) => values.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok())),
            }
            let mut objects = Vec::new();
            while let Some(v) = values.pop() {
                match v {
                    serde_json::Value::Array(a) => values.extend(a),
                    serde_json::Value::Object(ref o) => {
                        for k in ["value", "records"] {
                            if let Some(inner) = o.get(k) {
                                values.push(inner.clone());
                            }
                        }
                        objects.push(v);
                    }
                    _ => {}
                }
            }
            for o in objects {
                records += 1;
                if agrees(&o.to_string()) == Some(true) {
                    taken += 1;
                }
            }
        }
        // The corpus's Graph cases are in Graph's shape: the path is taken, not only left.
        assert!(
            taken >= 50,
            "the Graph path took {taken} of {records} records"
        );
    }

    fn text_value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_string()),
            Just("\"\"".to_string()),
            Just("\"  \"".to_string()),
            Just("\" padded \"".to_string()),
            Just("\"esc\\u0041ped\"".to_string()),
            Just("7".to_string()),
            Just("true".to_string()),
            Just("{}".to_string()),
            "[a-zA-Z0-9 .@:,_-]{1,12}".prop_map(|s| format!("\"{s}\"")),
        ]
    }

    fn number_value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_string()),
            Just("0".to_string()),
            Just("50126".to_string()),
            Just("50074".to_string()),
            Just("-1".to_string()),
            Just("4294967296".to_string()),
            Just("1.5".to_string()),
            Just("8075.0".to_string()),
            Just("\"3598\"".to_string()),
            Just("\"AS3598\"".to_string()),
            Just("true".to_string()),
        ]
    }

    fn key_and_value() -> impl Strategy<Value = String> {
        let text_keys = prop_oneof![
            Just("id"),
            Just("userPrincipalName"),
            Just("appDisplayName"),
            Just("ipAddress"),
            Just("clientAppUsed"),
            Just("userAgent"),
            Just("correlationId"),
            Just("UserPrincipalName"),
            Just("useragent"),
            Just("category"),
            Just("resultType"),
            Just("deviceDetail"),
            Just("userId"),
        ];
        prop_oneof![
            (text_keys, text_value()).prop_map(|(k, v)| format!("\"{k}\":{v}")),
            prop_oneof![
                Just("\"createdDateTime\":\"2026-03-02T00:05:00Z\"".to_string()),
                Just("\"createdDateTime\":\" 2026-03-02T00:05:00.123Z \"".to_string()),
                Just("\"createdDateTime\":\"never\"".to_string()),
                Just("\"ipAddress\":\"10.0.0.1\"".to_string()),
                Just("\"ipAddress\":\"::FFFF:10.0.0.1\"".to_string()),
                Just("\"ipAddress\":\" 10.0.0.01 \"".to_string()),
                Just("\"userPrincipalName\":\"BOB@x.com\"".to_string()),
                Just("\"isInteractive\":false".to_string()),
                Just("\"isInteractive\":\"true\"".to_string()),
                Just("\"riskEventTypes\":[\"none\",\"x\",null,\" \"]".to_string()),
                Just("\"riskEventTypes_v2\":[\"x\",\"y\",\"NONE\"]".to_string()),
                Just("\"riskEventTypes\":\"a,b\"".to_string()),
                Just("\"riskEventTypes\":[1]".to_string()),
                Just("\"value\":[]".to_string()),
                Just("\"properties\":{}".to_string()),
            ],
            number_value().prop_map(|v| format!("\"autonomousSystemNumber\":{v}")),
            (number_value(), text_value()).prop_map(|(c, r)| format!(
                "\"status\":{{\"errorCode\":{c},\"failureReason\":{r},\"additionalDetails\":\"x\"}}"
            )),
            (text_value(), text_value(), number_value(), number_value()).prop_map(
                |(city, cc, la, lo)| format!(
                    "\"location\":{{\"city\":{city},\"countryOrRegion\":{cc},\"geoCoordinates\":{{\"latitude\":{la},\"longitude\":{lo}}}}}"
                )
            ),
            Just("\"location\":null".to_string()),
            Just("\"location\":\"US\"".to_string()),
            Just("\"location\":{\"countryOrRegion\":\"Seattle, WA, US\"}".to_string()),
            Just("\"status\":{\"errorCode\":0}".to_string()),
            Just("\"status\":null".to_string()),
        ]
    }

    proptest! {
        /// Graph-like records with fields present, absent, blank, padded, escaped, of other types,
        /// in other spellings and repeated: the Graph path gives the general reader's event or
        /// leaves the record to it.
        #[test]
        fn agrees_with_the_general_reader(fields in proptest::collection::vec(key_and_value(), 0..14)) {
            let base = [
                "\"createdDateTime\":\"2026-03-02T00:05:00Z\"",
                "\"userPrincipalName\":\"a@x.com\"",
                "\"status\":{\"errorCode\":0}",
            ];
            let all: Vec<String> = base.iter().map(|s| s.to_string()).chain(fields).collect();
            agrees(&format!("{{{}}}", all.join(",")));
        }
    }
}
