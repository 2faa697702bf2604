//! Any bytes read as json: no panic, accounting holds, chunking does not matter (see `t1586_fuzz::check`).
#![no_main]

#[allow(unused_imports)]
use t1586_detector::InputFormat;

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    t1586_fuzz::check(data, Some(InputFormat::Json));
});
