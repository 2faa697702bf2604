//! IP enrichment: country, city, coordinates and autonomous system for records that lack them.
//!
//! Sources, all handed over as bytes (the core does no I/O):
//! * MaxMind-format `.mmdb` databases, read by [`crate::mmdb`]: GeoIP2/GeoLite2 City and Country
//!   (`country.iso_code`, `city.names.en`, `location.latitude/longitude`), GeoLite2 ASN
//!   (`autonomous_system_number`, `autonomous_system_organization`) and the same layouts from other
//!   vendors; flat layouts (`country_code`, `asn` as `AS15169`, `as_name`) are read too;
//! * the ip2asn TSV (`range_start range_end AS_number country_code AS_description`, IPv4 and IPv6, as
//!   published in the public domain), whose country is the AS's *registration* country — used only when
//!   no `.mmdb` gave one.
//!
//! Rules: a field the record already has is never overwritten; private, loopback, link-local,
//! shared (CGNAT), unspecified and multicast addresses are never looked up. Databases are consulted in
//! the order added; the first that answers a field wins. Every outcome is counted in
//! [`crate::Stats::enrichment`].
//!
//! Enrichment data is not part of a snapshot: add it again after [`crate::Detector::restore`].

use crate::shared::Shared;
use std::net::IpAddr;

use rustc_hash::FxHashMap;
use serde::Serialize;
use serde_json::Value;

use crate::error::{Error, ErrorKind};
use crate::event::AuthEvent;
use crate::mmdb::Mmdb;

/// What an added enrichment file holds (returned to the host for its log line).
#[derive(Debug, Clone, Serialize, PartialEq)]
pub struct EnrichmentInfo {
    /// `mmdb` or `ip2asn`.
    pub kind: String,
    /// The `.mmdb` metadata's `database_type` (`GeoLite2-City`, ...), or `ip2asn`.
    pub database_type: String,
    /// Networks (mmdb: search-tree nodes) or ranges loaded.
    pub entries: u64,
    /// ip2asn rows left out: unrouted (`AS 0`) rows and malformed ones.
    pub skipped: u64,
    /// The first malformed rows, `line N: reason`.
    pub errors: Vec<String>,
}

#[derive(Debug, Clone)]
struct Range {
    start: u128,
    end: u128,
    asn: u32,
    country: Option<Shared<str>>,
    name: Shared<str>,
}

/// The enrichment sources added to a detector.
#[derive(Debug, Clone, Default)]
pub struct Enrichment {
    mmdb: Vec<Shared<Mmdb>>,
    ranges: Shared<Vec<Range>>,
}

/// What one lookup found.
#[derive(Debug, Default, PartialEq)]
struct Found {
    country: Option<String>,
    city: Option<String>,
    lat: Option<f64>,
    lon: Option<f64>,
    asn: Option<u32>,
    asn_name: Option<String>,
}

fn err(m: impl Into<String>) -> Error {
    Error::new(ErrorKind::Enrichment, m)
}

/// Addresses that are never enriched.
pub fn is_private_or_reserved(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let o = v4.octets();
            v4.is_private()
                || v4.is_loopback()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || (o[0] == 100 && (o[1] & 0xc0) == 64)
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_private_or_reserved(IpAddr::V4(v4));
            }
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || v6.is_unique_local()
                || v6.is_unicast_link_local()
        }
    }
}

fn key(ip: IpAddr) -> u128 {
    match ip {
        IpAddr::V4(v4) => u128::from(v4.to_ipv6_mapped()),
        IpAddr::V6(v6) => u128::from(v6),
    }
}

fn path<'v>(v: &'v Value, keys: &[&str]) -> Option<&'v Value> {
    keys.iter().try_fold(v, |v, k| v.get(k))
}

fn str_at(v: &Value, keys: &[&str]) -> Option<String> {
    path(v, keys)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
        .map(str::to_string)
}

fn asn_of(v: &Value) -> Option<u32> {
    match v {
        Value::Number(n) => n.as_u64().and_then(|n| u32::try_from(n).ok()),
        Value::String(s) => s
            .trim()
            .trim_start_matches("AS")
            .trim_start_matches("as")
            .parse()
            .ok(),
        _ => None,
    }
    .filter(|&n| n != 0)
}

impl Enrichment {
    /// Whether any source was added.
    pub fn is_empty(&self) -> bool {
        self.mmdb.is_empty() && self.ranges.is_empty()
    }

    /// Add a MaxMind-format database.
    pub fn add_mmdb(&mut self, bytes: Vec<u8>) -> Result<EnrichmentInfo, Error> {
        let reader =
            Mmdb::open(bytes).map_err(|e| err(format!("not a MaxMind DB (.mmdb) file: {e}")))?;
        let info = EnrichmentInfo {
            kind: "mmdb".into(),
            database_type: reader.database_type().to_string(),
            entries: reader.node_count(),
            skipped: 0,
            errors: Vec::new(),
        };
        self.mmdb.push(Shared::new(reader));
        Ok(info)
    }

    /// Add an ip2asn TSV (already decompressed).
    pub fn add_ip2asn(&mut self, bytes: &[u8]) -> Result<EnrichmentInfo, Error> {
        let text = std::str::from_utf8(bytes)
            .map_err(|e| err(format!("ip2asn data is not UTF-8 text: {e}")))?;
        let mut names: FxHashMap<String, Shared<str>> = FxHashMap::default();
        let mut intern = |s: &str| -> Shared<str> {
            if let Some(a) = names.get(s) {
                return a.clone();
            }
            let a: Shared<str> = Shared::from(s);
            names.insert(s.to_string(), a.clone());
            a
        };
        let mut rows = Vec::new();
        let mut skipped = 0u64;
        let mut errors = Vec::new();
        for (i, line) in text.lines().enumerate() {
            let line = line.trim_end_matches('\r');
            if line.trim().is_empty() || line.starts_with('#') {
                continue;
            }
            let f: Vec<&str> = line.splitn(5, '\t').collect();
            let parsed = (|| -> Result<Option<Range>, String> {
                if f.len() < 3 {
                    return Err(format!(
                        "{} tab-separated fields, expected 5 (start, end, AS number, country, description)",
                        f.len()
                    ));
                }
                let a: IpAddr = f[0]
                    .trim()
                    .parse()
                    .map_err(|_| format!("range start {:?} is not an IP address", f[0]))?;
                let b: IpAddr = f[1]
                    .trim()
                    .parse()
                    .map_err(|_| format!("range end {:?} is not an IP address", f[1]))?;
                let asn: u32 = f[2]
                    .trim()
                    .parse()
                    .map_err(|_| format!("AS number {:?} is not a number", f[2]))?;
                let (start, end) = (key(a), key(b));
                if a.is_ipv4() != b.is_ipv4() || end < start {
                    return Err("range end before its start or of another family".into());
                }
                if asn == 0 {
                    return Ok(None);
                }
                let cc = f.get(3).map(|s| s.trim()).unwrap_or("");
                let country = (!cc.is_empty() && cc != "None").then(|| intern(cc));
                let name = intern(f.get(4).map(|s| s.trim()).unwrap_or(""));
                Ok(Some(Range {
                    start,
                    end,
                    asn,
                    country,
                    name,
                }))
            })();
            match parsed {
                Ok(Some(r)) => rows.push(r),
                Ok(None) => skipped += 1,
                Err(e) => {
                    skipped += 1;
                    if errors.len() < 5 {
                        errors.push(format!("line {}: {e}", i + 1));
                    }
                }
            }
        }
        if rows.is_empty() {
            return Err(err(match errors.first() {
                Some(e) => format!("no usable ip2asn rows ({e})"),
                None => "no usable ip2asn rows".to_string(),
            }));
        }
        let entries = rows.len() as u64;
        let mut all: Vec<Range> = self.ranges.iter().cloned().chain(rows).collect();
        crate::order::sort_by(&mut all, |a, b| (a.start, a.end).cmp(&(b.start, b.end)));
        self.ranges = Shared::new(all);
        Ok(EnrichmentInfo {
            kind: "ip2asn".into(),
            database_type: "ip2asn".into(),
            entries,
            skipped,
            errors,
        })
    }

    fn lookup(&self, ip: IpAddr, need_geo: bool, need_asn: bool) -> Found {
        let mut f = Found::default();
        for db in &self.mmdb {
            let Ok(Some(v)) = db.lookup(ip) else {
                continue;
            };
            if need_geo {
                f.country = f.country.take().or_else(|| {
                    str_at(&v, &["country", "iso_code"])
                        .or_else(|| str_at(&v, &["registered_country", "iso_code"]))
                        .or_else(|| str_at(&v, &["country_code"]))
                        .or_else(|| str_at(&v, &["country"]))
                });
                f.city = f
                    .city
                    .take()
                    .or_else(|| str_at(&v, &["city", "names", "en"]))
                    .or_else(|| str_at(&v, &["city"]));
                if f.lat.is_none() {
                    let lat = path(&v, &["location", "latitude"])
                        .or_else(|| v.get("latitude"))
                        .and_then(Value::as_f64);
                    let lon = path(&v, &["location", "longitude"])
                        .or_else(|| v.get("longitude"))
                        .and_then(Value::as_f64);
                    if let (Some(a), Some(o)) = (lat, lon) {
                        f.lat = Some(a);
                        f.lon = Some(o);
                    }
                }
            }
            if need_asn && f.asn.is_none() {
                f.asn = v
                    .get("autonomous_system_number")
                    .or_else(|| v.get("asn"))
                    .and_then(asn_of);
                f.asn_name = str_at(&v, &["autonomous_system_organization"])
                    .or_else(|| str_at(&v, &["as_name"]))
                    .or_else(|| str_at(&v, &["asn_name"]))
                    .or_else(|| str_at(&v, &["organization"]));
            }
        }
        if !self.ranges.is_empty() && (f.asn.is_none() || f.country.is_none()) {
            let k = key(ip);
            let i = self.ranges.partition_point(|r| r.start <= k);
            if let Some(r) = i
                .checked_sub(1)
                .map(|i| &self.ranges[i])
                .filter(|r| k <= r.end)
            {
                if need_asn && f.asn.is_none() {
                    f.asn = Some(r.asn);
                    f.asn_name = Some(r.name.to_string()).filter(|n| !n.is_empty());
                }
                if need_geo && f.country.is_none() {
                    f.country = r.country.as_deref().map(str::to_string);
                }
            }
        }
        f
    }

    /// Fill what `ev` lacks; count the outcome in `counts`.
    pub(crate) fn apply(
        &self,
        ev: &mut AuthEvent,
        counts: &mut std::collections::BTreeMap<String, u64>,
    ) {
        let Some(ip) = ev.ip_addr() else { return };
        let need_geo = ev.country.is_none() || ev.latitude.is_none();
        let need_asn = ev.asn.is_none();
        if !need_geo && !need_asn {
            return;
        }
        let mut count = |k: &str| *counts.entry(k.to_string()).or_default() += 1;
        if is_private_or_reserved(ip) {
            count("private_or_reserved");
            return;
        }
        count("lookups");
        let f = self.lookup(ip, need_geo, need_asn);
        let mut any = false;
        if ev.country.is_none() && f.country.is_some() {
            ev.country = f.country.map(Into::into);
            count("country_filled");
            any = true;
        }
        if ev.city.is_none() && f.city.is_some() {
            ev.city = f.city.map(Into::into);
        }
        if ev.latitude.is_none() && f.lat.is_some() {
            ev.latitude = f.lat;
            ev.longitude = f.lon;
            count("coordinates_filled");
            any = true;
        }
        if ev.asn.is_none() && f.asn.is_some() {
            ev.asn = f.asn;
            if ev.asn_name().is_none()
                && let Some(name) = f.asn_name
            {
                ev.extra_mut().asn_name = Some(name.into());
            }
            count("asn_filled");
            any = true;
        }
        if !any {
            count("no_match");
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const TSV: &str = "1.1.1.0\t1.1.1.255\t13335\tUS\tCLOUDFLARENET\n\
        5.0.0.0\t5.0.0.255\t0\tNone\tNot routed\n\
        185.220.100.0\t185.220.101.255\t208294\tDE\tCIA TRIAD SECURITY, LLC\n\
        2001:db8::\t2001:db8::ffff\t64500\tFR\tDOC-V6\n\
        bogus line\n";

    #[test]
    fn ip2asn_rows_and_errors() {
        let mut e = Enrichment::default();
        let info = e.add_ip2asn(TSV.as_bytes()).unwrap();
        assert_eq!((info.entries, info.skipped), (3, 2));
        assert_eq!(info.errors.len(), 1);
        assert!(info.errors[0].starts_with("line 5:"), "{:?}", info.errors);
        let f = e.lookup("185.220.101.7".parse().unwrap(), true, true);
        assert_eq!(f.asn, Some(208294));
        assert_eq!(f.country.as_deref(), Some("DE"));
        assert_eq!(f.asn_name.as_deref(), Some("CIA TRIAD SECURITY, LLC"));
        assert_eq!(
            e.lookup("2001:db8::10".parse().unwrap(), true, true).asn,
            Some(64500)
        );
        assert_eq!(
            e.lookup("5.0.0.1".parse().unwrap(), true, true),
            Found::default()
        );
        assert_eq!(
            e.lookup("1.1.2.0".parse().unwrap(), true, true),
            Found::default()
        );
        assert!(e.add_ip2asn(b"nothing\tuseful").is_err());
        assert!(
            Enrichment::default()
                .add_mmdb(b"not a db".to_vec())
                .is_err()
        );
    }

    #[test]
    fn private_ranges_are_never_enriched() {
        for ip in [
            "10.1.2.3",
            "192.168.0.1",
            "172.16.5.5",
            "127.0.0.1",
            "169.254.1.1",
            "100.64.0.1",
            "::1",
            "fe80::1",
            "fd00::1",
            "::ffff:10.0.0.1",
            "0.0.0.0",
        ] {
            assert!(is_private_or_reserved(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["1.1.1.1", "203.0.113.5", "2001:db8::1", "100.128.0.1"] {
            assert!(!is_private_or_reserved(ip.parse().unwrap()), "{ip}");
        }
    }
}
