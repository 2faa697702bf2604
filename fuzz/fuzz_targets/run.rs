//! Any bytes as sorted runs handed back for a merge: merged or refused with an error, never a
//! panic (see `t1586_fuzz::check_run`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    t1586_fuzz::check_run(data);
});
