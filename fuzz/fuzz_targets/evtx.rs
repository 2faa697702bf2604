//! Any bytes as the chunks of an EVTX file (header supplied): no panic, accounting holds, chunking
//! does not matter (see `t1586_fuzz::check_evtx`). Seeds: chunks of the corpus EVTX files.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| {
    t1586_fuzz::check_evtx(data);
});
