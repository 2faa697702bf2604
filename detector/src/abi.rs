//! The plain C ABI of the zero-import `.wasm` (feature `abi`). Specified in `detector/ABI.md`;
//! this is the only module allowed `unsafe`, for raw pointers handed over by the host.
//!
//! Conventions: pointers and lengths are `u32` offsets into this module's linear memory; functions
//! that return bytes return a `u64` packing `(ptr << 32) | len`, where the bytes belong to the handle
//! (or to the module, for errors) and stay valid until the next call on that handle; `0` means failure
//! and [`t1586_last_error`] says why.
#![allow(unsafe_code)]

use std::cell::RefCell;

use crate::engine::Detector;

/// The module's allocator: Talc in place of the standard library's dlmalloc. As fast here (the CLI
/// on 1M sign-ins, 3.62 s median with either) and 1.8 KB smaller gzipped (commit 09aea26).
#[cfg(all(target_family = "wasm", not(target_feature = "atomics")))]
#[global_allocator]
static ALLOC: talc::wasm::WasmDynamicTalc = talc::wasm::new_wasm_dynamic_allocator();

/// ABI version. See `detector/ABI.md` for the rules of changing it.
pub const ABI_VERSION: u32 = 1;

struct Slot {
    det: Detector,
    out: Vec<u8>,
}

thread_local! {
    static HANDLES: RefCell<Vec<Option<Slot>>> = const { RefCell::new(Vec::new()) };
    static LAST_ERROR: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
    static MODULE_OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

fn set_error(msg: impl Into<String>) {
    LAST_ERROR.with(|e| *e.borrow_mut() = msg.into().into_bytes());
}

fn pack(buf: &[u8]) -> u64 {
    ((buf.as_ptr() as usize as u64) << 32) | buf.len() as u64
}

/// Borrow host-provided bytes.
///
/// # Safety
/// `ptr..ptr+len` must lie in linear memory (the host wrote it there via `t1586_alloc`); on wasm an
/// out-of-range access traps rather than reading outside the sandbox.
unsafe fn bytes<'a>(ptr: u32, len: u32) -> &'a [u8] {
    if len == 0 {
        return &[];
    }
    // SAFETY: see the function contract.
    unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) }
}

fn new_handle(det: Detector) -> u32 {
    HANDLES.with(|h| {
        let mut h = h.borrow_mut();
        let slot = Slot {
            det,
            out: Vec::new(),
        };
        if let Some(i) = h.iter().position(Option::is_none) {
            h[i] = Some(slot);
            i as u32 + 1
        } else {
            h.push(Some(slot));
            h.len() as u32
        }
    })
}

/// Run `f` on the handle's slot; store its bytes as the handle's output and return them packed.
fn with_output(handle: u32, f: impl FnOnce(&mut Detector) -> Vec<u8>) -> u64 {
    HANDLES.with(|h| {
        let mut h = h.borrow_mut();
        match h
            .get_mut((handle as usize).wrapping_sub(1))
            .and_then(Option::as_mut)
        {
            Some(slot) => {
                slot.out = f(&mut slot.det);
                pack(&slot.out)
            }
            None => {
                set_error(format!("invalid handle {handle}"));
                0
            }
        }
    })
}

fn jsonl(alerts: Vec<crate::Alert>) -> Vec<u8> {
    let mut out = Vec::new();
    for a in alerts {
        out.extend_from_slice(a.to_json().as_bytes());
        out.push(b'\n');
    }
    out
}

/// The ABI version implemented by this module.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_abi_version() -> u32 {
    ABI_VERSION
}

/// The detector version as UTF-8 text (packed pointer and length).
#[unsafe(no_mangle)]
pub extern "C" fn t1586_detector_version() -> u64 {
    MODULE_OUT.with(|v| {
        let mut v = v.borrow_mut();
        *v = crate::VERSION.as_bytes().to_vec();
        pack(&v)
    })
}

/// Allocate `len` bytes for the host to write into. Returns 0 when memory is exhausted.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_alloc(len: u32) -> u32 {
    let mut v: Vec<u8> = Vec::new();
    if v.try_reserve_exact(len as usize).is_err() {
        set_error("out of memory");
        return 0;
    }
    let ptr = v.as_mut_ptr();
    std::mem::forget(v);
    ptr as usize as u32
}

/// Free a buffer from [`t1586_alloc`] (same `len`).
///
/// # Safety
/// `ptr`/`len` must come from one `t1586_alloc` call and be freed once.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_free(ptr: u32, len: u32) {
    if ptr == 0 || len == 0 {
        return;
    }
    // SAFETY: per the contract, this is the allocation made by t1586_alloc(len).
    drop(unsafe { Vec::from_raw_parts(ptr as usize as *mut u8, 0, len as usize) });
}

/// Open a detector with a JSON configuration (`len` 0 for the defaults). Returns a handle (≥ 1),
/// or 0 on a configuration error.
///
/// # Safety
/// `ptr..ptr+len` must be readable linear memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_open(ptr: u32, len: u32) -> u32 {
    // SAFETY: caller contract.
    let cfg = unsafe { bytes(ptr, len) };
    let Ok(text) = std::str::from_utf8(cfg) else {
        set_error("configuration is not UTF-8");
        return 0;
    };
    match Detector::from_json_config(text) {
        Ok(d) => new_handle(d),
        Err(e) => {
            set_error(e.to_string());
            0
        }
    }
}

/// Start a new named source (file); finishes the previous one. Returns 0 on success, -1 on error.
///
/// # Safety
/// `ptr..ptr+len` must be readable linear memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_begin_source(handle: u32, ptr: u32, len: u32) -> i32 {
    // SAFETY: caller contract.
    let name = String::from_utf8_lossy(unsafe { bytes(ptr, len) }).into_owned();
    if with_output(handle, |d| {
        d.begin_source(&name);
        Vec::new()
    }) == 0
    {
        -1
    } else {
        0
    }
}

/// Push input bytes. Returns the alerts that became final, as JSON Lines.
///
/// # Safety
/// `ptr..ptr+len` must be readable linear memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_push(handle: u32, ptr: u32, len: u32) -> u64 {
    // SAFETY: caller contract.
    let data = unsafe { bytes(ptr, len) };
    with_output(handle, |d| jsonl(d.push(data)))
}

/// End of input: returns the remaining alerts as JSON Lines.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_flush(handle: u32) -> u64 {
    with_output(handle, |d| jsonl(d.flush()))
}

/// Statistics as a JSON object.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_stats(handle: u32) -> u64 {
    with_output(handle, |d| {
        serde_json::to_vec(&d.stats()).unwrap_or_default()
    })
}

/// The detector's state as bytes, for [`t1586_restore`].
#[unsafe(no_mangle)]
pub extern "C" fn t1586_snapshot(handle: u32) -> u64 {
    with_output(handle, |d| d.snapshot())
}

/// A new handle from snapshot bytes, or 0 on error.
///
/// # Safety
/// `ptr..ptr+len` must be readable linear memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_restore(ptr: u32, len: u32) -> u32 {
    // SAFETY: caller contract.
    match Detector::restore(unsafe { bytes(ptr, len) }) {
        Ok(d) => new_handle(d),
        Err(e) => {
            set_error(e.to_string());
            0
        }
    }
}

/// The last error message (UTF-8), empty when none.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_last_error() -> u64 {
    LAST_ERROR.with(|e| pack(&e.borrow()))
}

/// Close a handle. Returns 0, or -1 for an unknown handle.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_close(handle: u32) -> i32 {
    HANDLES.with(|h| {
        let mut h = h.borrow_mut();
        match h.get_mut((handle as usize).wrapping_sub(1)) {
            Some(s @ Some(_)) => {
                *s = None;
                0
            }
            _ => {
                set_error(format!("invalid handle {handle}"));
                -1
            }
        }
    })
}

/// Add IP enrichment data to a detector: `kind` 1 = a MaxMind-format `.mmdb` database, 2 = an
/// ip2asn TSV (decompressed). Returns a JSON description of what was loaded, or 0 on error.
///
/// # Safety
/// `ptr..ptr+len` must be readable linear memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_enrich(handle: u32, kind: u32, ptr: u32, len: u32) -> u64 {
    // SAFETY: caller contract.
    let data = unsafe { bytes(ptr, len) };
    with_result(handle, |d| {
        let info = match kind {
            1 => d.add_mmdb(data.to_vec()),
            2 => d.add_ip2asn(data),
            other => {
                return Err(format!(
                    "unknown enrichment kind {other} (1 = mmdb, 2 = ip2asn)"
                ));
            }
        }
        .map_err(|e| e.to_string())?;
        Ok(serde_json::to_vec(&info).unwrap_or_default())
    })
}

/// Run `f` on the handle's detector: `None` (and the error set) for an unknown handle.
fn with_detector<R>(handle: u32, f: impl FnOnce(&mut Detector) -> R) -> Option<R> {
    HANDLES.with(|h| {
        let mut h = h.borrow_mut();
        match h
            .get_mut((handle as usize).wrapping_sub(1))
            .and_then(Option::as_mut)
        {
            Some(slot) => Some(f(&mut slot.det)),
            None => {
                set_error(format!("invalid handle {handle}"));
                None
            }
        }
    })
}

/// [`with_output`] for a call that can fail: 0 and the error set when it does.
fn with_result<E: std::fmt::Display>(
    handle: u32,
    f: impl FnOnce(&mut Detector) -> Result<Vec<u8>, E>,
) -> u64 {
    let mut failed = None;
    let packed = with_output(handle, |d| {
        f(d).unwrap_or_else(|e| {
            failed = Some(e.to_string());
            Vec::new()
        })
    });
    match failed {
        Some(e) => {
            set_error(e);
            0
        }
        None => packed,
    }
}

/// How input order is treated (see `crate::offline`): 0 stream (live input, the lateness
/// window; the default), 1 offline (input that ends: streamed while in time order, else
/// `t1586_order` turns 2 and the input must be read again), 3 sort. Returns 0, or -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_set_order(handle: u32, order: u32) -> i32 {
    use crate::offline::Order;
    let order = match order {
        0 => Order::Stream,
        1 => Order::Offline,
        3 => Order::Sort,
        other => {
            set_error(format!(
                "order {other} cannot be set (0 stream, 1 offline, 3 sort)"
            ));
            return -1;
        }
    };
    match with_detector(handle, |d| d.set_order(order)) {
        Some(Ok(())) => 0,
        Some(Err(e)) => {
            set_error(e.to_string());
            -1
        }
        None => -1,
    }
}

/// Live mode (`on` 1) or not (0): alerts as soon as the records decide them, revised as more
/// arrive (see `crate::live`); stream input order only. Returns 0, or -1 on error.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_set_live(handle: u32, on: u32) -> i32 {
    match with_detector(handle, |d| d.set_live(on != 0)) {
        Some(Ok(())) => 0,
        Some(Err(e)) => {
            set_error(e.to_string());
            -1
        }
        None => -1,
    }
}

/// Process every event still waiting for older ones (a live host whose input went quiet).
/// Returns the alerts this makes, as JSON Lines.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_release(handle: u32) -> u64 {
    with_output(handle, |d| jsonl(d.release_held()))
}

/// The order state: 0 stream, 1 offline in order so far, 2 restart needed (call
/// `t1586_restart_sorted`, then read every input again from its start), 3 sorting, 4 merging;
/// -1 for an unknown handle.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_order(handle: u32) -> i32 {
    with_detector(handle, |d| d.order().code() as i32).unwrap_or(-1)
}

/// Forget all input and state (configuration and enrichment kept) and sort the input read again.
/// Returns 0, or -1 for an unknown handle.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_restart_sorted(handle: u32) -> i32 {
    with_detector(handle, Detector::restart_sorted).map_or(-1, |()| 0)
}

/// The next sorted run to store (length 0: none left). Take them after each push.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_take_spill(handle: u32) -> u64 {
    with_output(handle, |d| d.take_spill().unwrap_or_default())
}

/// End of sorted input with `runs` runs taken: starts the merge. Returns alerts as JSON Lines, or
/// 0 on error.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_merge_begin(handle: u32, runs: u32) -> u64 {
    with_result(handle, |d| d.merge_begin(u64::from(runs)).map(jsonl))
}

/// The run (numbered from 0 in the order taken) whose next bytes the merge needs; -1 when the
/// merge is over, -2 for an unknown handle.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_merge_wanted(handle: u32) -> i32 {
    with_detector(handle, |d| d.merge_wanted().map_or(-1, |r| r as i32)).unwrap_or(-2)
}

/// The next bytes of run `run` (length 0: the run is over). Returns alerts as JSON Lines, or 0 on
/// error (a damaged run).
///
/// # Safety
/// `ptr..ptr+len` must be readable linear memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_merge_feed(handle: u32, run: u32, ptr: u32, len: u32) -> u64 {
    // SAFETY: caller contract.
    let data = unsafe { bytes(ptr, len) };
    with_result(handle, |d| {
        d.merge_feed(Some(run as usize), data).map(jsonl)
    })
}

/// Like `t1586_begin_source`, reading the new source as `format`: 0 detect, 1 JSON / JSON Lines,
/// 2 CSV, 3 XML, 4 EVTX. Returns 0 on success, -1 on error.
///
/// # Safety
/// `ptr..ptr+len` must be readable linear memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_begin_source_as(
    handle: u32,
    ptr: u32,
    len: u32,
    format: u32,
) -> i32 {
    use crate::ingest::InputFormat;
    let fmt = match format {
        0 => None,
        1 => Some(InputFormat::Json),
        2 => Some(InputFormat::Csv),
        3 => Some(InputFormat::Xml),
        4 => Some(InputFormat::Evtx),
        other => {
            set_error(format!(
                "unknown input format {other} (0 detect, 1 json, 2 csv, 3 xml, 4 evtx)"
            ));
            return -1;
        }
    };
    // SAFETY: caller contract.
    let name = String::from_utf8_lossy(unsafe { bytes(ptr, len) }).into_owned();
    if with_output(handle, |d| {
        d.begin_source_as(&name, fmt);
        Vec::new()
    }) == 0
    {
        -1
    } else {
        0
    }
}

/// The default configuration of a profile (`len` 0: the default profile) as pretty JSON, or 0 for
/// an unknown profile.
///
/// # Safety
/// `ptr..ptr+len` must be readable linear memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_default_config(ptr: u32, len: u32) -> u64 {
    // SAFETY: caller contract.
    let name = String::from_utf8_lossy(unsafe { bytes(ptr, len) }).into_owned();
    let json = if name.is_empty() {
        "{}".to_string()
    } else {
        format!("{{\"profile\":{}}}", serde_json::Value::from(name))
    };
    match crate::Config::from_json(&json) {
        Ok(c) => MODULE_OUT.with(|v| {
            let mut v = v.borrow_mut();
            *v = c.to_json_pretty().into_bytes();
            pack(&v)
        }),
        Err(e) => {
            set_error(e.to_string());
            0
        }
    }
}

/// Every detection type with the signal that raises it and its ATT&CK techniques, and the
/// techniques' names, as JSON (see [`crate::catalog_json`]). Valid until the next call.
#[unsafe(no_mangle)]
pub extern "C" fn t1586_catalog() -> u64 {
    MODULE_OUT.with(|v| {
        let mut v = v.borrow_mut();
        *v = crate::catalog_json().into_bytes();
        pack(&v)
    })
}

/// Parse an IP list (see [`crate::iplist`]): `{"addresses": [...], "networks": [...]}`, or 0 when
/// a line is not an entry (`t1586_last_error` names the lines). Valid until the next call.
///
/// # Safety
/// `ptr..ptr+len` must be readable linear memory.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_parse_ip_list(ptr: u32, len: u32) -> u64 {
    // SAFETY: caller contract.
    let text = String::from_utf8_lossy(unsafe { bytes(ptr, len) });
    match crate::parse_ip_list(&text) {
        Ok(l) => MODULE_OUT.with(|v| {
            let mut v = v.borrow_mut();
            *v = l.to_json().into_bytes();
            pack(&v)
        }),
        Err(e) => {
            set_error(e.to_string());
            0
        }
    }
}

/// Byte comparison for the `.wasm`, eight bytes a step.
///
/// On wasm32 the toolchain's `memcmp` (and `bcmp`, which calls it) compares one byte at a time,
/// and every `==` on strings and slices of unknown length ends there: hash-map keys, interned
/// texts, identity and country compares. Defining the symbols here replaces the weak built-in ones
/// in this module only; native builds keep the C library's.
#[cfg(target_arch = "wasm32")]
mod mem {
    /// # Safety
    /// `a` and `b` must be valid for reads of `n` bytes (the C contract of `memcmp`).
    #[unsafe(no_mangle)]
    #[inline(never)]
    pub unsafe extern "C" fn memcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        let mut i = 0;
        // SAFETY: every read is below `n`, inside both ranges by the contract above.
        unsafe {
            while i + 8 <= n {
                let x = a.add(i).cast::<u64>().read_unaligned();
                let y = b.add(i).cast::<u64>().read_unaligned();
                if x != y {
                    // Little-endian: the lowest differing bit is in the first differing byte.
                    let k = ((x ^ y).trailing_zeros() / 8) as usize;
                    return i32::from(*a.add(i + k)) - i32::from(*b.add(i + k));
                }
                i += 8;
            }
            while i < n {
                let (x, y) = (*a.add(i), *b.add(i));
                if x != y {
                    return i32::from(x) - i32::from(y);
                }
                i += 1;
            }
        }
        0
    }

    /// # Safety
    /// As [`memcmp`]; only zero / non-zero is meaningful.
    #[unsafe(no_mangle)]
    pub unsafe extern "C" fn bcmp(a: *const u8, b: *const u8, n: usize) -> i32 {
        // SAFETY: the same contract.
        unsafe { memcmp(a, b, n) }
    }
}
