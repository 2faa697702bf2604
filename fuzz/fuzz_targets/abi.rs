//! Random call sequences through the real `.wasm` and its C ABI, as the CLI drives it (wasmtime,
//! `t1586::runtime`): random configurations, sources and forced formats, pushes of random bytes in
//! random pieces, enrichment files, snapshots restored into a new instance, stats, flushes. Errors
//! the detector reports (a rejected configuration, an unreadable `.mmdb`) are fine; a trap (a panic
//! in the core), a time-out or a memory-limit stop is a bug.
#![no_main]

libfuzzer_sys::fuzz_target!(|input: t1586_fuzz::abi::Input| t1586_fuzz::abi::check(&input));
