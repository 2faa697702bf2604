//! Elastic's own documents of its sign-in integrations (`../shared/data/elastic-integrations-ecs/`:
//! the pipeline tests' expected documents and `sample_event.json`; Elastic License 2.0, read in
//! place), read with and without the original record they kept.
//!
//! A document that kept `event.original` is read through it; the same document without it is read
//! from the integration's fields (`azure.signinlogs`, `okta`, `aws.cloudtrail`, `google_workspace`,
//! `ocsf`). Both must give the same event, except where Elastic's GeoIP of the address fills a
//! place or network the original record did not have (CloudTrail and Google name none), and the
//! documents without an original must still be read.
//!
//! The table is printed (`cargo test -p t1586-detector --test elastic_documents -- --nocapture`).

#[path = "support/shared.rs"]
mod shared_data;

use serde_json::Value;
use t1586_detector::AuthEvent;
use t1586_detector::ingest::{Decoded, Ingest, Item};

/// What the reader makes of one record given alone as a JSON Lines source.
fn decode(doc: &Value) -> Decoded {
    let mut ingest = Ingest::new("doc.jsonl", 1 << 22);
    let mut out = Vec::new();
    let mut keep = |i: Item| out.push(i.decoded);
    ingest.push(format!("{doc}\n").as_bytes(), &mut keep);
    ingest.finish("", None, &mut keep);
    assert_eq!(out.len(), 1, "one record: {out:?}");
    out.pop().expect("one")
}

/// Which of the place and network fields (country, city, AS number) the comparison includes.
type Geo = [bool; 3];

/// The event's fields that both shapes must agree on (place and network only where `geo` says:
/// where the original had them), as text for the comparison and the report.
fn summary(e: &AuthEvent, geo: Geo) -> String {
    let extra = e.extra.as_deref();
    let mut s = format!(
        "{} {} {:?} {:?} code={:?} ip={:?} app={:?} ua={:?} req={:?} mfa={:?} risk={:?} class={:?}",
        e.time,
        e.identity,
        e.source_kind,
        e.outcome,
        e.result_code,
        e.ip.as_ref().map(ToString::to_string),
        e.app,
        e.user_agent,
        e.request_id,
        extra.and_then(|x| x.mfa_detail.clone()),
        extra.map(|x| x.risk_event_types.clone()),
        e.failure_class().map(|c| c.name()),
    );
    if geo[0] {
        s.push_str(&format!(" country={:?}", e.country));
    }
    if geo[1] {
        s.push_str(&format!(" city={:?}", e.city));
    }
    if geo[2] {
        s.push_str(&format!(" asn={:?}", e.asn));
    }
    s
}

#[test]
fn documents_without_the_original_give_the_originals_event() {
    let files = [
        "azure-signinlogs/test-non-interactive-user-signin.log-expected.json",
        "azure-signinlogs/test-adfs-signin.log-expected.json",
        "azure-signinlogs/sample_event.json",
        "azure-signinlogs/test-signinlogs.log-expected.json",
        "okta-system/sample_event.json",
        "aws-cloudtrail-consolelogin/test-console-login-json.log-expected.json",
        "google_workspace-login/test-login.log-expected.json",
        "google_workspace-login/sample_event.json",
        "amazon_security_lake-authentication/test-authentication.log-expected.json",
    ];
    let (mut compared, mut alone) = (0, 0);
    for file in files {
        let Some(path) = shared_data::shared(&format!("elastic-integrations-ecs/{file}")) else {
            return;
        };
        let text = std::fs::read_to_string(&path).expect("readable");
        let v: Value = serde_json::from_str(&text).expect("JSON");
        let docs = match v.get("expected") {
            Some(Value::Array(a)) => a.clone(),
            _ => vec![v],
        };
        for (i, doc) in docs.iter().enumerate() {
            let mut bare = doc.clone();
            let original = bare
                .get_mut("event")
                .and_then(Value::as_object_mut)
                .and_then(|e| e.remove("original"));
            let without = decode(&bare);
            let Some(original) = original else {
                // No original to compare with: the fields alone must make the event.
                let Decoded::Event(e) = &without else {
                    panic!("{file} #{i} without an original: {without:?}");
                };
                println!("{file} #{i} (fields only): {}", summary(e, [true; 3]));
                alone += 1;
                continue;
            };
            let with = decode(doc);
            let raw: Value =
                serde_json::from_str(original.as_str().expect("a string")).unwrap_or(Value::Null);
            match (&with, &without) {
                (Decoded::Event(a), Decoded::Event(b)) => {
                    // Place and network compared where the original record named them.
                    let geo = [a.country.is_some(), a.city.is_some(), a.asn.is_some()];
                    assert_eq!(
                        summary(a, geo),
                        summary(b, geo),
                        "{file} #{i}: the original's event, then the fields'"
                    );
                    if !geo[0] {
                        assert!(
                            b.country.is_some() || doc.pointer("/source/geo").is_none(),
                            "{file} #{i}: Elastic's GeoIP fills the place"
                        );
                    }
                    println!("{file} #{i}: same event: {}", summary(b, [true; 3]));
                }
                (Decoded::Ignored(a), Decoded::Ignored(b)) => {
                    println!("{file} #{i}: ignored both ways ({a} / {b})");
                }
                _ => panic!(
                    "{file} #{i}: with the original {with:?}, without {without:?} (raw {})",
                    raw.get("eventType")
                        .or_else(|| raw.get("eventName"))
                        .unwrap_or(&Value::Null)
                ),
            }
            compared += 1;
        }
    }
    println!("{compared} documents compared, {alone} read from their fields alone");
    assert!(compared >= 20 && alone >= 3, "{compared} / {alone}");
}
