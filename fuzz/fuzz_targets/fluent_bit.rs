//! The Fluent Bit filter: records separated by 0x1e, both modes (see `t1586_fuzz::check_fluent_bit`).
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    t1586_fuzz::check_fluent_bit(data);
});
