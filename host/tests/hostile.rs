//! Hostile plugins through the CLI's `--plugin`: each ends with a clear error and exit code 4 (plugin
//! failure), within its time limit; the host never hangs, panics or reads outside guest memory.
//!
//! Each plugin is a small module written in WebAssembly text that speaks the whole ABI (detector/ABI.md)
//! correctly except for one thing.

use std::path::PathBuf;
use std::process::{Command, Output};
use std::time::{Duration, Instant};

/// A module with every ABI export; `bad` names the one misbehaviour (see the match below).
fn plugin(bad: &str) -> Vec<u8> {
    let ok_push = "(i64.const 0x0000000800000000)"; // (ptr 8, len 0): no alerts
    let (push, alloc, extra, start, memory, imports, version) = match bad {
        // Spins forever inside a call.
        "loop" => ("(loop $l (br $l)) (unreachable)", "", "", "", "1", "", "1"),
        // Spins forever while being instantiated (a start function).
        "start-loop" => (
            ok_push,
            "",
            "(func $spin (loop $l (br $l)))",
            "(start $spin)",
            "1",
            "",
            "1",
        ),
        // Grows its memory until refused.
        "memory-bomb" => (
            "(loop $l (drop (memory.grow (i32.const 256))) (br $l)) (unreachable)",
            "",
            "",
            "",
            "1",
            "",
            "1",
        ),
        // Asks for more memory than the cap at instantiation.
        "huge-memory" => (ok_push, "", "", "", "40000", "", "1"),
        // Returns a buffer far outside its memory.
        "out-of-bounds" => ("(i64.const 0xfff0000000001000)", "", "", "", "1", "", "1"),
        // A buffer that overflows the end of memory by one byte.
        "off-by-one" => (
            "(i64.or (i64.shl (i64.extend_i32_u (i32.sub (i32.mul (memory.size) (i32.const 65536)) \
             (i32.const 16))) (i64.const 32)) (i64.const 17))",
            "",
            "",
            "",
            "1",
            "",
            "1",
        ),
        // Hands out input buffers the host cannot write.
        "bad-alloc" => (ok_push, "(return (i32.const -16))", "", "", "1", "", "1"),
        // A Rust panic in a panic=abort build is an `unreachable` trap.
        "panic" => ("(unreachable)", "", "", "", "1", "", "1"),
        // Unbounded recursion.
        "stack-overflow" => (
            "(call $recurse (i32.const 0)) (i64.const 0)",
            "",
            "(func $recurse (param i32) (call $recurse (i32.add (local.get 0) (i32.const 1))))",
            "",
            "1",
            "",
            "1",
        ),
        // Returns bytes that are not alert JSON.
        "garbage-output" => ("(i64.const 0x000001000000000c)", "", "", "", "1", "", "1"),
        // Asks the host for a function.
        "imports" => (
            ok_push,
            "",
            "",
            "",
            "1",
            r#"(import "env" "now" (func $now (result i64)))"#,
            "1",
        ),
        "abi-version" => (ok_push, "", "", "", "1", "", "99"),
        other => panic!("no such plugin {other}"),
    };
    let wat = format!(
        r#"(module
  {imports}
  (memory (export "memory") {memory})
  (data (i32.const 16) "hostile")
  (data (i32.const 32) "{{}}")
  (data (i32.const 256) "\1b[2Jnot json")
  (global $next (mut i32) (i32.const 4096))
  {extra}
  {start}
  (func (export "t1586_abi_version") (result i32) (i32.const {version}))
  (func (export "t1586_detector_version") (result i64) (i64.const 0x0000001000000007))
  (func (export "t1586_alloc") (param $n i32) (result i32) (local $p i32)
    {alloc}
    (local.set $p (global.get $next))
    (global.set $next (i32.add (global.get $next) (local.get $n)))
    (if (i32.gt_u (global.get $next) (i32.mul (memory.size) (i32.const 65536)))
      (then (drop (memory.grow (i32.add (i32.shr_u (local.get $n) (i32.const 16)) (i32.const 1))))))
    (local.get $p))
  (func (export "t1586_free") (param i32 i32))
  (func (export "t1586_open") (param i32 i32) (result i32) (i32.const 1))
  (func (export "t1586_begin_source") (param i32 i32 i32) (result i32) (i32.const 0))
  (func (export "t1586_push") (param i32 i32 i32) (result i64) {push})
  (func (export "t1586_flush") (param i32) (result i64) (i64.const 0x0000000800000000))
  (func (export "t1586_stats") (param i32) (result i64) (i64.const 0x0000002000000002))
  (func (export "t1586_snapshot") (param i32) (result i64) (i64.const 0x0000000800000000))
  (func (export "t1586_restore") (param i32 i32) (result i32) (i32.const 0))
  (func (export "t1586_last_error") (result i64) (i64.const 0x0000001000000007))
  (func (export "t1586_close") (param i32) (result i32) (i32.const 0))
)"#
    );
    wat::parse_str(&wat).unwrap_or_else(|e| panic!("{bad}: {e}\n{wat}"))
}

fn scan_with(bad: &str, extra: &[&str]) -> (Output, Duration) {
    let dir = std::env::temp_dir().join(format!("t1586-hostile-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let wasm = dir.join(format!("{bad}.wasm"));
    std::fs::write(&wasm, plugin(bad)).unwrap();
    let input = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../tests/corpus/seed-graph-single-ip/signins.json");
    let t = Instant::now();
    let out = Command::new(env!("CARGO_BIN_EXE_t1586"))
        .args(["scan", "--format", "jsonl", "--plugin"])
        .arg(&wasm)
        .args(extra)
        .arg(&input)
        .env("T1586_NO_CACHE", "1")
        .output()
        .unwrap();
    (out, t.elapsed())
}

/// The plugin fails with exit code 4 and a message containing `want`; nothing reaches stdout.
fn refused(bad: &str, extra: &[&str], want: &str) -> Duration {
    let (out, took) = scan_with(bad, extra);
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(4), "{bad}: {stderr}");
    assert!(stderr.contains(want), "{bad}: wanted {want:?} in {stderr}");
    assert!(
        !stderr.contains("panicked at"),
        "{bad}: the host panicked: {stderr}"
    );
    assert!(out.stdout.is_empty(), "{bad}: printed {:?}", out.stdout);
    took
}

#[test]
fn an_infinite_loop_is_stopped_at_the_time_limit() {
    let took = refused(
        "loop",
        &["--timeout", "1"],
        "t1586_push exceeded the time limit of 1s",
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[test]
fn an_infinite_start_function_is_stopped() {
    let took = refused(
        "start-loop",
        &["--timeout", "1"],
        "instantiating the detector failed",
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// Without interruption points (as the embedded detector runs), an endless call cannot be stopped:
/// the watchdog ends the process at the time limit, with the same message and exit code.
#[test]
fn an_uninterruptible_infinite_loop_ends_the_process_at_the_time_limit() {
    let took = refused(
        "loop",
        &["--timeout", "1", "--trust-plugin"],
        "detector call t1586_push exceeded the time limit of 1s and was stopped",
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[test]
fn an_uninterruptible_infinite_start_function_ends_the_process() {
    let took = refused(
        "start-loop",
        &["--timeout", "1", "--trust-plugin"],
        "instantiating the detector exceeded the time limit of 1s",
    );
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

/// Without interruption points the memory cap still holds.
#[test]
fn an_uninterruptible_memory_bomb_stops_at_the_memory_limit() {
    refused(
        "memory-bomb",
        &["--max-memory", "64", "--trust-plugin"],
        "exceeded the memory limit of 64 MiB",
    );
}

#[test]
fn a_memory_bomb_stops_at_the_memory_limit() {
    refused(
        "memory-bomb",
        &["--max-memory", "64"],
        "exceeded the memory limit of 64 MiB",
    );
}

#[test]
fn a_module_asking_for_too_much_memory_is_refused() {
    refused(
        "huge-memory",
        &["--max-memory", "64"],
        "instantiating the detector failed",
    );
}

#[test]
fn out_of_bounds_results_are_refused() {
    refused("out-of-bounds", &[], "returned a buffer outside its memory");
    refused("off-by-one", &[], "returned a buffer outside its memory");
}

#[test]
fn an_unwritable_input_buffer_is_refused() {
    refused("bad-alloc", &[], "outside linear memory");
}

#[test]
fn a_guest_panic_is_reported() {
    refused("panic", &[], "t1586_push panicked");
}

#[test]
fn a_stack_overflow_is_reported() {
    refused("stack-overflow", &[], "t1586_push trapped");
}

#[test]
fn output_that_is_not_alert_json_is_refused() {
    refused("garbage-output", &[], "not alert JSON");
}

#[test]
fn imports_are_refused() {
    refused("imports", &[], "a t1586 detector must have no imports");
}

#[test]
fn a_wrong_abi_version_is_refused() {
    refused("abi-version", &[], "ABI version 99");
}

/// The well-behaved baseline of the same module: it runs and reports no alerts.
#[test]
fn the_baseline_module_runs() {
    let (out, _) = scan_with("huge-memory", &["--max-memory", "4096"]);
    assert_eq!(
        out.status.code(),
        Some(0),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
}
