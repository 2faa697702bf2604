//! The seed `getrandom` hands to hash maps inside dependencies (the `evtx` crate's `ahash`), on
//! wasm32 only.
//!
//! wasm32-unknown-unknown has no entropy source unless JavaScript is imported, and the core `.wasm`
//! imports nothing (`detector/ABI.md`). `.cargo/config.toml` selects getrandom's "custom" backend, and
//! this function is that backend: a fixed byte pattern. That keeps the module import-free and the
//! detector deterministic. The cost: hash seeds are predictable, so someone who crafts an EVTX file
//! could aim for hash collisions in the parser's caches — a slowdown, bounded by the 64 KiB chunk
//! size, never wrong output.
#![allow(unsafe_code)]

/// # Safety
/// getrandom calls it with a valid, writable `dest` of `len` bytes.
#[unsafe(no_mangle)]
unsafe extern "Rust" fn __getrandom_v03_custom(
    dest: *mut u8,
    len: usize,
) -> Result<(), getrandom::Error> {
    // SAFETY: the caller (getrandom) passes a valid buffer of `len` writable bytes.
    let out = unsafe { std::slice::from_raw_parts_mut(dest, len) };
    for (i, b) in out.iter_mut().enumerate() {
        *b = (i as u8).wrapping_mul(151).wrapping_add(0x5a);
    }
    Ok(())
}
