//! Any bytes as a MaxMind DB: no panic, no endless decoding (see `t1586_fuzz::check_mmdb`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    t1586_fuzz::check_mmdb(data);
});
