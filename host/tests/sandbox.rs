//! Hostile or wrong plugins end with a clear error, never a hang or a panic.

use std::time::Duration;

use t1586_host::runtime::{Detector, Limits, Plugin};

fn err_of(r: anyhow::Result<Detector>) -> String {
    match r {
        Ok(_) => panic!("expected an error"),
        Err(e) => format!("{e:#}"),
    }
}

/// Build a minimal module binary: exports `t1586_abi_version` returning `version`, plus memory.
fn module_with_version(version: i32) -> Vec<u8> {
    // (module (memory (export "memory") 1) (func (export "t1586_abi_version") (result i32) i32.const V))
    let mut m = vec![0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
    m.extend([0x01, 0x05, 0x01, 0x60, 0x00, 0x01, 0x7f]); // type: () -> i32
    m.extend([0x03, 0x02, 0x01, 0x00]); // func 0 : type 0
    m.extend([0x05, 0x03, 0x01, 0x00, 0x01]); // memory min 1
    let name = b"t1586_abi_version";
    let mut exports = vec![0x02];
    exports.extend([0x06]);
    exports.extend(b"memory");
    exports.extend([0x02, 0x00]);
    exports.push(name.len() as u8);
    exports.extend(name);
    exports.extend([0x00, 0x00]);
    m.push(0x07);
    m.push(exports.len() as u8);
    m.extend(exports);
    let body = [0x00, 0x41, (version & 0x3f) as u8, 0x0b];
    m.extend([0x0a, (body.len() + 2) as u8, 0x01, body.len() as u8]);
    m.extend(body);
    m
}

#[test]
fn wrong_abi_version_is_refused() {
    let p = Plugin::load(&module_with_version(7), "test.wasm").unwrap();
    let e = err_of(Detector::open(&p, "{}", Limits::default()));
    assert!(e.contains("ABI version 7"), "{e}");
}

#[test]
fn missing_export_is_named() {
    let p = Plugin::load(&module_with_version(1), "test.wasm").unwrap();
    let e = err_of(Detector::open(&p, "{}", Limits::default()));
    assert!(e.contains("t1586_detector_version"), "{e}");
}

#[test]
fn garbage_is_not_a_module() {
    let e = Plugin::load(b"\0asm garbage", "x.wasm")
        .err()
        .unwrap()
        .to_string();
    assert!(e.contains("not a valid WebAssembly module"), "{e}");
}

#[test]
fn memory_cap_stops_a_huge_input_cleanly() {
    let p = Plugin::embedded().unwrap();
    // 4 MiB of memory cannot hold the detector plus a large record buffer.
    let limits = Limits {
        max_memory: 4 << 20,
        call_timeout: Duration::from_secs(30),
    };
    let r = Detector::open(&p, "{}", limits).and_then(|mut d| {
        let big = format!("[{{\"a\":\"{}\"}}]", "x".repeat(3 << 20));
        d.push(big.as_bytes()).map(|_| ())
    });
    // The guest runs out of its 4 MiB: a clear error naming the trap, not a host crash.
    let e = format!(
        "{:#}",
        r.expect_err("a 3 MiB record cannot fit in 4 MiB of guest memory")
    );
    assert!(e.contains("exceeded the memory limit of 4 MiB"), "{e}");
}

/// The module's catalog and IP-list parser answer exactly as the core does natively (one
/// implementation, two builds).
#[test]
fn catalog_and_ip_lists_through_the_abi_match_the_core() {
    let p = Plugin::embedded().unwrap();
    let limits = Limits {
        max_memory: 256 << 20,
        call_timeout: Duration::from_secs(20),
    };
    let mut d = Detector::open(&p, "", limits).unwrap();
    let native: serde_json::Value = serde_json::from_str(&t1586_detector::catalog_json()).unwrap();
    assert_eq!(d.catalog().unwrap(), Some(native));
    let list = "# Tor\nExitAddress 185.220.101.4 2024-01-01\n203.0.113.0/24 office\n::1\n";
    let native: serde_json::Value =
        serde_json::from_str(&t1586_detector::parse_ip_list(list).unwrap().to_json()).unwrap();
    assert_eq!(d.parse_ip_list(list).unwrap(), native);
    let err = format!("{:#}", d.parse_ip_list("1.1.1.1\n999.1.1.1\n").unwrap_err());
    assert!(
        err.contains(r#"line 2: not an IP address or network: "999.1.1.1""#),
        "{err}"
    );
    // A failed call leaves the module usable.
    assert!(d.parse_ip_list("10.0.0.1").is_ok());
}
