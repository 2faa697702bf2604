//! The core's own MaxMind DB reader (`t1586_detector::mmdb`) against the reference, the `maxminddb`
//! crate: databases generated with every record size and IP version, random records (nested maps,
//! arrays, every number type, values shared through pointers), looked up at random addresses and at
//! each inserted network; both must read the same record or both none. Then hostile bytes: no panic.

use std::net::{IpAddr, Ipv4Addr, Ipv6Addr};

use mmdb_writer::{IpVersion, MetadataPointers, RecordSize, Value as W, Writer};
use proptest::prelude::*;
use serde_json::Value;
use t1586_detector::mmdb::Mmdb;

fn reference(bytes: &[u8], ip: IpAddr) -> Result<Option<Value>, String> {
    let r = maxminddb::Reader::from_source(bytes.to_vec()).map_err(|e| e.to_string())?;
    let l = r.lookup(ip).map_err(|e| e.to_string())?;
    l.decode::<Value>().map_err(|e| e.to_string())
}

/// Records the two readers must agree on (`bytes` and `uint128` above `u64::MAX` are read
/// differently by design; see src/mmdb.rs).
fn leaf() -> impl Strategy<Value = W> {
    prop_oneof![
        "[a-zA-Zé ]{0,40}".prop_map(W::String),
        // Long strings take the 29/30-size forms of the header.
        "[a-z]{280,300}".prop_map(W::String),
        (-1e9f64..1e9).prop_map(W::Double),
        any::<u16>().prop_map(W::U16),
        any::<u32>().prop_map(W::U32),
        any::<i32>().prop_map(W::I32),
        any::<u64>().prop_map(W::U64),
        any::<u64>().prop_map(|n| W::U128(u128::from(n))),
        any::<bool>().prop_map(W::Bool),
        (-1e6f32..1e6).prop_map(W::Float),
    ]
}

fn record() -> impl Strategy<Value = W> {
    leaf().prop_recursive(4, 40, 6, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..6).prop_map(W::Array),
            prop::collection::btree_map("[a-z_]{1,12}", inner, 0..6).prop_map(W::Map),
        ]
    })
}

fn build(
    v6: bool,
    size: RecordSize,
    nets: &[(u128, u8, usize)],
    records: &[W],
) -> (Vec<u8>, Vec<IpAddr>) {
    let mut w = Writer::builder("Test-DB")
        .ip_version(if v6 { IpVersion::V6 } else { IpVersion::V4 })
        .record_size(size)
        .metadata_pointers(MetadataPointers::Enabled)
        .build();
    let mut probes = Vec::new();
    for &(bits, len, rec) in nets {
        let net: ipnet::IpNet = if v6 && bits & 1 == 1 {
            ipnet::Ipv6Net::new(Ipv6Addr::from(bits), len.min(128))
                .unwrap()
                .trunc()
                .into()
        } else {
            ipnet::Ipv4Net::new(Ipv4Addr::from(bits as u32), len.min(32))
                .unwrap()
                .trunc()
                .into()
        };
        // Networks the writer refuses (reserved ranges) are simply left out.
        if w.insert_value(net, records[rec % records.len()].clone())
            .is_ok()
        {
            probes.push(net.addr());
            probes.push(net.broadcast());
        }
    }
    (w.to_bytes().unwrap(), probes)
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]
    #[test]
    fn reads_what_the_reference_reads(
        v6 in any::<bool>(),
        size in 0..3usize,
        records in prop::collection::vec(record(), 1..5),
        nets in prop::collection::vec((any::<u128>(), 8u8..33, any::<usize>()), 1..40),
        extra in prop::collection::vec(any::<u128>(), 0..40),
    ) {
        let size = [RecordSize::Bits24, RecordSize::Bits28, RecordSize::Bits32][size];
        let (bytes, mut probes) = build(v6, size, &nets, &records);
        probes.extend(extra.iter().map(|&b| IpAddr::V4(Ipv4Addr::from(b as u32))));
        if v6 {
            probes.extend(extra.iter().map(|&b| IpAddr::V6(Ipv6Addr::from(b))));
        }
        let db = Mmdb::open(bytes.clone()).unwrap();
        prop_assert_eq!(db.database_type(), "Test-DB");
        for ip in probes {
            prop_assert_eq!(db.lookup(ip).map_err(|e| e.to_string()), reference(&bytes, ip), "{}", ip);
        }
    }

    #[test]
    fn hostile_bytes_are_errors_not_panics(
        v6 in any::<bool>(),
        records in prop::collection::vec(record(), 1..3),
        nets in prop::collection::vec((any::<u128>(), 8u8..25, any::<usize>()), 1..8),
        flips in prop::collection::vec((any::<usize>(), any::<u8>()), 1..12),
        probes in prop::collection::vec(any::<u32>(), 1..16),
    ) {
        let (mut bytes, mut ips) = build(v6, RecordSize::Bits24, &nets, &records);
        ips.extend(probes.iter().map(|&p| IpAddr::V4(Ipv4Addr::from(p))));
        let n = bytes.len();
        for (at, b) in flips {
            bytes[at % n] = b;
        }
        if let Ok(db) = Mmdb::open(bytes) {
            for ip in ips {
                let _ = db.lookup(ip);
            }
        }
    }
}

#[test]
fn values_the_readers_read_differently() {
    let mut w = Writer::new("Test-DB");
    let rec = W::Map(
        [
            ("blob".to_string(), W::Bytes(vec![1, 2, 3])),
            ("big".to_string(), W::U128(u128::MAX)),
            ("asn".to_string(), W::U32(9009)),
        ]
        .into(),
    );
    w.insert_value("198.51.100.0/24".parse::<ipnet::IpNet>().unwrap(), rec)
        .unwrap();
    let bytes = w.to_bytes().unwrap();
    let ip: IpAddr = "198.51.100.9".parse().unwrap();
    // The reference cannot read this record as JSON at all; ours keeps what it can use.
    assert!(reference(&bytes, ip).is_err());
    let v = Mmdb::open(bytes).unwrap().lookup(ip).unwrap().unwrap();
    assert_eq!(
        v,
        serde_json::json!({"asn": 9009, "big": null, "blob": null})
    );
}

/// An array of `n` values: the header (extended type 11, size in the 29 + byte form) then `items`.
fn array(n: u8, items: &[u8]) -> Vec<u8> {
    let mut a = vec![0x1d, 0x04, n - 29];
    a.extend(items);
    a
}

/// A pointer (type 1, 11-bit form) to `offset` in the data section.
fn pointer(offset: usize) -> [u8; 2] {
    [0x20 | ((offset >> 8) & 7) as u8, offset as u8]
}

#[test]
fn pointer_bombs_and_loops_stop() {
    // Three arrays of 200 pointers each, to the next array: 200^3 values from 1.2 KB.
    let a = array(200, &pointer(403).repeat(200));
    let b = array(200, &pointer(806).repeat(200));
    let c = array(200, &[0xa0; 200]); // 200 × uint16 0
    let db = Mmdb::open(tiny_db(&[a, b, c].concat())).unwrap();
    let err = db.lookup("1.2.3.4".parse().unwrap()).unwrap_err();
    assert!(err.to_string().contains("more than 65536 values"), "{err}");
    // An array whose first element points back at the array: nesting without end.
    let db = Mmdb::open(tiny_db(&array(30, &pointer(0).repeat(30)))).unwrap();
    let err = db.lookup("1.2.3.4".parse().unwrap()).unwrap_err();
    assert!(err.to_string().contains("depth"), "{err}");
    // A pointer to a pointer.
    let db = Mmdb::open(tiny_db(&[pointer(2), pointer(0)].concat())).unwrap();
    let err = db.lookup("1.2.3.4".parse().unwrap()).unwrap_err();
    assert!(
        err.to_string()
            .contains("pointer points to another pointer"),
        "{err}"
    );
}

/// A one-node IPv4 database whose left record (addresses 0.0.0.0/1) points at `data`.
fn tiny_db(data: &[u8]) -> Vec<u8> {
    tiny_db_with(data, 24)
}

fn tiny_db_with(data: &[u8], record_size: u8) -> Vec<u8> {
    let mut b = Vec::new();
    // node 0: left record = node_count(1) + 16 + offset 0 = 17, right record = 1 (no data); 24 bits.
    b.extend([0, 0, 17, 0, 0, 1]);
    b.extend([0u8; 16]);
    b.extend(data);
    b.extend(b"\xAB\xCD\xEFMaxMind.com");
    // metadata map with 5 entries
    b.push(0xe5);
    let key = |b: &mut Vec<u8>, k: &str| {
        b.push(0x40 | k.len() as u8);
        b.extend(k.as_bytes());
    };
    key(&mut b, "binary_format_major_version");
    b.extend([0xa1, 2]);
    key(&mut b, "ip_version");
    b.extend([0xa1, 4]);
    key(&mut b, "record_size");
    b.extend([0xa1, record_size]);
    key(&mut b, "node_count");
    b.extend([0xc1, 1]);
    key(&mut b, "database_type");
    b.push(0x40 | 4);
    b.extend(b"Test");
    b
}

#[test]
fn a_hand_built_database_reads() {
    // A map {"a": true} at offset 0.
    let db = Mmdb::open(tiny_db(&[0xe1, 0x41, b'a', 0x01, 0x07])).unwrap();
    assert_eq!(db.database_type(), "Test");
    assert_eq!(
        db.lookup("1.2.3.4".parse().unwrap()).unwrap(),
        Some(serde_json::json!({"a": true}))
    );
    assert_eq!(db.lookup("200.2.3.4".parse().unwrap()).unwrap(), None);
    assert!(db.lookup("::1".parse().unwrap()).is_err());
}

#[test]
fn bad_files_say_why() {
    let cut = |mut b: Vec<u8>, n: usize| {
        b.truncate(b.len() - n);
        b
    };
    for (bytes, want) in [
        (
            b"not a database".to_vec(),
            "could not find MaxMind DB metadata",
        ),
        (
            tiny_db_with(&[0x01], 25),
            "record_size - Expected: 24, 28, or 32 Actual: 25",
        ),
        // The metadata cut inside `database_type`.
        (cut(tiny_db(&[0x01]), 2), "unexpected end"),
        // The metadata cut before `database_type`.
        (cut(tiny_db(&[0x01]), 19), "unexpected end"),
        // A search tree longer than the file: the node count says 200,000 nodes.
        (
            {
                let b = tiny_db(&[0x01]);
                let at = b.windows(11).position(|w| w == b"node_count\xc1").unwrap() + 10;
                [&b[..at], &[0xc3, 3, 13, 64], &b[at + 2..]].concat()
            },
            "search tree extends beyond",
        ),
    ] {
        let e = Mmdb::open(bytes).unwrap_err().to_string();
        assert!(e.contains(want), "{e}");
    }
}
