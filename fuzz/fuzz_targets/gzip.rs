//! Any bytes through the CLI's input opening (gzip detected by its magic, as `t1586 scan` does) and
//! then the core: a corrupt or truncated gzip stream is an I/O error after the part that did
//! decompress, never a panic; what was read is still accounted for.
#![no_main]

libfuzzer_sys::fuzz_target!(|data: &[u8]| t1586_fuzz::check_gzip(data));
