//! Adversarial cardinality through the real `.wasm` (default configuration and sandbox): a million
//! sign-ins in one hour, each from a new identity, a new IP and a new session, some with very long
//! strings and some records over the size limit. The detector's memory must stop growing once its
//! caps are full (wasm memory never shrinks, so its size is the peak), stay under the documented
//! bound, and the statistics must say which caps evicted state.

use std::fmt::Write as _;

use t1586_host::runtime::{Detector, Limits, Plugin};

/// Sign-in `i` of the flood: 1,000,000 of them span 09:00–10:00.
fn record(i: u64, out: &mut String) {
    let t = i * 3_600_000_000 / 1_000_000; // microseconds after 09:00
    let (m, us) = (t / 60_000_000, t % 60_000_000);
    let long = if i.is_multiple_of(10_000) {
        "x".repeat(200_000) // a 200 KB user agent now and then
    } else {
        "Mozilla/5.0".to_string()
    };
    let _ = writeln!(
        out,
        r#"{{"id":"r{i}","createdDateTime":"2026-03-02T09:{m:02}:{:02}.{:06}Z","userPrincipalName":"user{i}@contoso.com","appDisplayName":"App{}","ipAddress":"{}.{}.{}.7","correlationId":"c{i}","sessionId":"s{i}","isInteractive":true,"userAgent":"{long}","status":{{"errorCode":{}}},"location":{{"countryOrRegion":"{}"}}}}"#,
        us / 1_000_000,
        us % 1_000_000,
        i % 7,
        11 + i / 65_536 % 200,
        i / 256 % 256,
        i % 256,
        [0, 50126, 50126, 50074][(i % 4) as usize],
        ["US", "DE", "FR", "BR", "JP"][(i % 5) as usize],
    );
    if i % 250_000 == 1 {
        // A record over limits.max_record_bytes (4 MiB): rejected, counted, the rest goes on.
        let _ = writeln!(
            out,
            r#"{{"id":"huge","userAgent":"{}"}}"#,
            "y".repeat(5 << 20)
        );
    }
}

#[test]
fn a_million_new_identities_ips_and_sessions_keep_memory_flat() {
    let plugin = Plugin::embedded().unwrap();
    let mut d = Detector::open(&plugin, "{}", Limits::default()).unwrap();
    d.begin_source("flood.jsonl").unwrap();
    let mut mem = Vec::new();
    let mut buf = String::new();
    const N: u64 = 1_000_000;
    for i in 0..N {
        record(i, &mut buf);
        if buf.len() > 1 << 20 {
            d.push(buf.as_bytes()).unwrap();
            buf.clear();
        }
        if (i + 1).is_multiple_of(100_000) {
            mem.push(d.memory_bytes());
        }
    }
    d.push(buf.as_bytes()).unwrap();
    d.flush().unwrap();
    mem.push(d.memory_bytes());
    let mib: Vec<usize> = mem.iter().map(|b| b >> 20).collect();
    eprintln!("guest memory (MiB) every 100,000 records, then after flush: {mib:?}");
    let stats = d.stats().unwrap();
    eprintln!("caps_hit: {}", stats["caps_hit"]);

    // Flat: the last 60% of the flood adds at most 20% to what the first 40% needed.
    let at_400k = mem[3];
    let peak = *mem.last().unwrap();
    assert!(
        peak * 10 <= at_400k * 12,
        "memory kept growing: {mib:?} MiB"
    );
    // Under the bound documented in config::Limits (about 430 MiB), with a little room.
    assert!(peak <= 512 << 20, "peak {} MiB", peak >> 20);
    // The caps that evicted state say so, and nothing went missing.
    for cap in ["max_identities", "max_buffered_events"] {
        assert!(
            stats["caps_hit"][cap].as_u64().unwrap_or(0) > 0,
            "{cap} not counted: {}",
            stats["caps_hit"]
        );
    }
    assert_eq!(stats["records_read"].as_u64(), Some(N + 4));
    assert_eq!(stats["records_rejected"].as_u64(), Some(4));
    assert_eq!(
        stats["rejected_by_reason"]["record larger than limits.max_record_bytes"].as_u64(),
        Some(4)
    );
}
