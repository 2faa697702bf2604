//! The parse floor: read a Graph sign-in JSON Lines file and deserialize each line into a typed
//! struct of exactly the fields the detector uses, borrowing strings (the fastest serde_json way to
//! "just read" these records). Nothing else: no framing state machine, no detection.
//!
//! `parse-floor FILE` prints `records bytes` on stdout.
#![forbid(unsafe_code)]

use std::io::{BufRead, BufReader};

use serde::Deserialize;

#[derive(Deserialize)]
#[allow(dead_code)]
struct Status<'a> {
    #[serde(rename = "errorCode")]
    error_code: i64,
    #[serde(rename = "failureReason", borrow)]
    failure_reason: Option<&'a str>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Geo {
    latitude: Option<f64>,
    longitude: Option<f64>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct Location<'a> {
    #[serde(borrow)]
    city: Option<&'a str>,
    #[serde(rename = "countryOrRegion", borrow)]
    country: Option<&'a str>,
    #[serde(rename = "geoCoordinates")]
    geo: Option<Geo>,
}

#[derive(Deserialize)]
#[allow(dead_code)]
struct SignIn<'a> {
    #[serde(borrow)]
    id: &'a str,
    #[serde(rename = "createdDateTime", borrow)]
    created: &'a str,
    #[serde(rename = "userPrincipalName", borrow)]
    upn: &'a str,
    #[serde(rename = "appDisplayName", borrow)]
    app: Option<&'a str>,
    #[serde(rename = "ipAddress", borrow)]
    ip: Option<&'a str>,
    #[serde(rename = "clientAppUsed", borrow)]
    client: Option<&'a str>,
    #[serde(rename = "userAgent", borrow)]
    ua: Option<&'a str>,
    #[serde(rename = "isInteractive")]
    interactive: Option<bool>,
    #[serde(rename = "autonomousSystemNumber")]
    asn: Option<u32>,
    #[serde(borrow)]
    status: Status<'a>,
    #[serde(borrow)]
    location: Option<Location<'a>>,
}

fn main() {
    let path = std::env::args().nth(1).expect("usage: parse-floor FILE");
    let mut r = BufReader::with_capacity(1 << 20, std::fs::File::open(&path).expect("open"));
    let (mut n, mut bytes, mut line) = (0u64, 0u64, Vec::new());
    loop {
        line.clear();
        let k = r.read_until(b'\n', &mut line).expect("read");
        if k == 0 {
            break;
        }
        bytes += k as u64;
        if line.iter().all(u8::is_ascii_whitespace) {
            continue;
        }
        let s: SignIn<'_> = serde_json::from_slice(&line).expect("a Graph sign-in record");
        std::hint::black_box(&s);
        n += 1;
    }
    println!("{n} {bytes}");
}
