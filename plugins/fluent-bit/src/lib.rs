//! The t1586 detector as a **Fluent Bit `wasm` filter** (`t1586 plugin fluent-bit` writes it).
//!
//! Fluent Bit's contract (its `plugins/filter_wasm` and `src/wasm/flb_wasm.c`, 4.1 and later): the
//! filter calls the export named by `function_name` — here [`t1586_filter`] — once per record as
//! `(tag_ptr, tag_len, time_sec, time_nsec, record_ptr, record_len: i32) -> i32`, with the tag and
//! the record (JSON with `event_format json`) copied into the module's memory through its exported
//! `malloc` / `free`. The result points to a NUL-terminated string that replaces the record (a
//! JSON object), or to an empty one to drop it; Fluent Bit copies it and never frees it. One
//! instance lives as long as the plugin, so the detector's state persists from record to record;
//! there is no flush or shutdown call and no configuration channel.
//!
//! So the configuration is carried inside the module: a slot in its data ([`SLOT_MAGIC`], a 32-bit
//! length, then `{"mode": "alerts" | "annotate", "config": {…}}`) that the CLI fills in when it
//! writes the module. The detector runs in live mode (`detector/src/live.rs`):
//!
//! * **alerts** — a record that produces alert revisions is replaced by `{"alerts":[…]}` (the alert
//!   JSON the CLI prints, with `AlertId`, `Revision`, `Status`); every other record is dropped.
//! * **annotate** — every record passes unchanged; one that produces revisions gets them in a
//!   `t1586_alerts` field.
//!
//! What the missing flush means: events wait `live_lateness_secs` of event time for older ones, and
//! windows close as later records arrive; revisions that only the end of input would give (the
//! closing of the last windows, the last records' alerts when nothing newer comes) are lost when
//! Fluent Bit stops.
#![allow(unsafe_code)]

use std::cell::RefCell;

use t1586_detector::{Alert, Detector};

/// The first bytes of the configuration slot.
pub const SLOT_MAGIC: &[u8; 16] = b"t1586-fb-config\0";
/// The slot's size: magic, length, and at most this less 20 bytes of JSON.
pub const SLOT_SIZE: usize = 64 * 1024;

/// The configuration slot, as the CLI fills it in (empty here: the default profile, alerts mode).
/// Read with volatile loads: the compiler must not fold in the zeros it was built with.
static SLOT: [u8; SLOT_SIZE] = {
    let mut s = [0u8; SLOT_SIZE];
    let mut i = 0;
    while i < SLOT_MAGIC.len() {
        s[i] = SLOT_MAGIC[i];
        i += 1;
    }
    s
};

/// What the filter does with a record that produces alert revisions (see the module docs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Mode {
    Alerts,
    Annotate,
}

/// The slot's contents, filled in for a configuration JSON and a mode: the bytes to put where
/// [`SLOT_MAGIC`] starts in the module. Errors when the JSON does not fit.
pub fn slot_bytes(config_json: &str, mode: Mode) -> Result<Vec<u8>, String> {
    let body = format!(
        r#"{{"mode":"{}","config":{}}}"#,
        match mode {
            Mode::Alerts => "alerts",
            Mode::Annotate => "annotate",
        },
        if config_json.trim().is_empty() {
            "{}"
        } else {
            config_json
        }
    );
    if body.len() > SLOT_SIZE - 20 {
        return Err(format!(
            "the configuration is {} bytes; the module holds at most {}",
            body.len(),
            SLOT_SIZE - 20
        ));
    }
    let mut out = SLOT_MAGIC.to_vec();
    out.extend_from_slice(&(body.len() as u32).to_le_bytes());
    out.extend_from_slice(body.as_bytes());
    out.resize(SLOT_SIZE, 0);
    Ok(out)
}

/// The slot's JSON as this module was written with (`None`: never filled in).
fn slot_json() -> Option<String> {
    let base = SLOT.as_ptr();
    // SAFETY: every offset read is inside SLOT; volatile so that the bytes are the module file's.
    let byte = |i: usize| unsafe { std::ptr::read_volatile(base.add(i)) };
    let len = u32::from_le_bytes([byte(16), byte(17), byte(18), byte(19)]) as usize;
    if len == 0 || len > SLOT_SIZE - 20 {
        return None;
    }
    let bytes: Vec<u8> = (20..20 + len).map(byte).collect();
    String::from_utf8(bytes).ok()
}

/// One filter: the detector, the mode, the current tag.
pub struct Filter {
    det: Detector,
    mode: Mode,
    tag: Option<String>,
}

impl Filter {
    /// From the slot's JSON (`{"mode", "config"}`); `None` gives the defaults in alerts mode.
    pub fn new(slot: Option<&str>) -> Result<Filter, String> {
        let (mode, config) = match slot {
            None => (Mode::Alerts, String::new()),
            Some(text) => {
                let v: serde_json::Value =
                    serde_json::from_str(text).map_err(|e| format!("slot: {e}"))?;
                let mode = match v.get("mode").and_then(|m| m.as_str()) {
                    Some("annotate") => Mode::Annotate,
                    Some("alerts") | None => Mode::Alerts,
                    Some(other) => return Err(format!("unknown mode {other:?}")),
                };
                (
                    mode,
                    v.get("config").map(ToString::to_string).unwrap_or_default(),
                )
            }
        };
        let mut det = Detector::from_json_config(&config).map_err(|e| e.to_string())?;
        det.set_live(true).map_err(|e| e.to_string())?;
        Ok(Filter {
            det,
            mode,
            tag: None,
        })
    }

    /// One record: what replaces it (`None`: drop it).
    ///
    /// Only a JSON object reaches the detector (Fluent Bit's records always are; anything else —
    /// not JSON, not UTF-8, a NUL inside, nested past serde_json's limit — is passed through in
    /// annotate mode and dropped in alerts mode without touching the detector's state). An
    /// object whose `log` field is a string holding a JSON object (a `tail` input without the
    /// `json` parser, Docker's log driver) is read as that object. Raw line breaks, which valid
    /// JSON only has as whitespace, become spaces, so each record is one line of JSON Lines and
    /// evidence `Line` counts the records of the tag.
    pub fn record(&mut self, tag: &[u8], record: &[u8]) -> Option<Vec<u8>> {
        let tag = String::from_utf8_lossy(tag);
        if self.tag.as_deref() != Some(&*tag) {
            // Evidence names the record's tag as its source.
            self.det
                .begin_source_as(&tag, Some(t1586_detector::ingest::InputFormat::Json));
            self.tag = Some(tag.into_owned());
        }
        // Every record is one line, so `Line` counts the tag's records; one that is no JSON
        // object is an empty line.
        let mut line: Vec<u8> = signin_json(record).map_or_else(Vec::new, |json| {
            json.iter()
                .map(|&b| if b == b'\n' || b == b'\r' { b' ' } else { b })
                .collect()
        });
        line.push(b'\n');
        let revisions = self.det.push(&line);
        match self.mode {
            Mode::Alerts => (!revisions.is_empty()).then(|| {
                let mut out = b"{\"alerts\":".to_vec();
                list(&mut out, &revisions);
                out.push(b'}');
                out
            }),
            Mode::Annotate => {
                if revisions.is_empty() {
                    return Some(record.to_vec());
                }
                Some(annotate(record, &revisions).unwrap_or_else(|| record.to_vec()))
            }
        }
    }
}

/// What the detector reads of a record: the record itself when it is a JSON object, the object
/// in its `log` string when it has one, `None` when it is no JSON object.
fn signin_json(record: &[u8]) -> Option<std::borrow::Cow<'_, [u8]>> {
    #[derive(serde::Deserialize)]
    struct Probe<'a> {
        #[serde(borrow, default)]
        log: Option<std::borrow::Cow<'a, str>>,
    }
    fn is_object(bytes: &[u8]) -> bool {
        bytes.iter().find(|b| !b.is_ascii_whitespace()) == Some(&b'{')
    }
    if !is_object(record) {
        return None;
    }
    // A `log` that is not a string (a number, an object) is a field like any other.
    let probe: Probe = match serde_json::from_slice(record) {
        Ok(p) => p,
        Err(e) if e.is_data() => {
            serde_json::from_slice::<serde::de::IgnoredAny>(record).ok()?;
            Probe { log: None }
        }
        Err(_) => return None,
    };
    if let Some(log) = probe.log.filter(|l| is_object(l.as_bytes()))
        && serde_json::from_str::<serde::de::IgnoredAny>(&log).is_ok()
    {
        return Some(match log {
            std::borrow::Cow::Borrowed(s) => std::borrow::Cow::Borrowed(s.as_bytes()),
            std::borrow::Cow::Owned(s) => std::borrow::Cow::Owned(s.into_bytes()),
        });
    }
    Some(std::borrow::Cow::Borrowed(record))
}

/// `[alert,…]` onto `out`.
fn list(out: &mut Vec<u8>, alerts: &[Alert]) {
    out.push(b'[');
    for (i, a) in alerts.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        out.extend_from_slice(a.to_json().as_bytes());
    }
    out.push(b']');
}

/// The record (a JSON object) with `"t1586_alerts":[…]` added as its last key.
fn annotate(record: &[u8], alerts: &[Alert]) -> Option<Vec<u8>> {
    with_key(record, "t1586_alerts", |out| list(out, alerts))
}

/// The record (a JSON object) with `"key":` and what `value` writes added as its last key;
/// `None` when it is not an object.
fn with_key(record: &[u8], key: &str, value: impl FnOnce(&mut Vec<u8>)) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(record).ok()?.trim_end();
    let body = text.strip_suffix('}')?;
    if !text.trim_start().starts_with('{') {
        return None;
    }
    let mut out = body.as_bytes().to_vec();
    if body.trim_start().len() > 1 {
        out.push(b',');
    }
    out.push(b'"');
    out.extend_from_slice(key.as_bytes());
    out.extend_from_slice(b"\":");
    value(&mut out);
    out.push(b'}');
    Some(out)
}

thread_local! {
    static FILTER: RefCell<Option<Result<Filter, String>>> = const { RefCell::new(None) };
    static OUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Borrow host-written bytes.
///
/// # Safety
/// `ptr..ptr+len` must lie in linear memory (Fluent Bit copied them there with [`malloc`]); on
/// wasm an access out of range traps rather than reading outside the sandbox.
unsafe fn bytes<'a>(ptr: u32, len: u32) -> &'a [u8] {
    if len == 0 || ptr == 0 {
        return &[];
    }
    // SAFETY: see the function contract.
    unsafe { std::slice::from_raw_parts(ptr as usize as *const u8, len as usize) }
}

/// The filter function Fluent Bit calls (`function_name t1586_filter`). Returns a pointer to a
/// NUL-terminated string valid until the next call.
///
/// # Safety
/// Tag and record must be readable linear memory of the given lengths.
#[unsafe(no_mangle)]
pub unsafe extern "C" fn t1586_filter(
    tag_ptr: u32,
    tag_len: u32,
    _time_sec: u32,
    _time_nsec: u32,
    record_ptr: u32,
    record_len: u32,
) -> u32 {
    // SAFETY: the caller's contract.
    let (tag, record) = unsafe { (bytes(tag_ptr, tag_len), bytes(record_ptr, record_len)) };
    // Fluent Bit's copies end in a NUL that is not part of the text.
    let record = record.strip_suffix(b"\0").unwrap_or(record);
    let tag = tag.strip_suffix(b"\0").unwrap_or(tag);
    let result = FILTER.with(|f| {
        let mut f = f.borrow_mut();
        let filter = f.get_or_insert_with(|| Filter::new(slot_json().as_deref()));
        match filter {
            Ok(filter) => filter.record(tag, record),
            // A module written wrong: every record passes, saying why nothing is detected.
            Err(e) => annotate_error(record, e),
        }
    });
    OUT.with(|o| {
        let mut o = o.borrow_mut();
        o.clear();
        if let Some(r) = result {
            // A NUL inside would cut the string short: JSON never has one unescaped.
            o.extend(r.into_iter().filter(|b| *b != 0));
        }
        o.push(0);
        o.as_ptr() as usize as u32
    })
}

fn annotate_error(record: &[u8], e: &str) -> Option<Vec<u8>> {
    with_key(record, "t1586_error", |out| {
        out.extend_from_slice(serde_json::Value::from(e).to_string().as_bytes())
    })
}

/// Allocate `size` bytes for Fluent Bit to copy a tag or record into (0 when out of memory). The
/// size is kept in front of the block for [`free`]. Only in the `.wasm`: natively these names are
/// the C library's.
#[cfg(target_family = "wasm")]
#[unsafe(no_mangle)]
pub extern "C" fn malloc(size: u32) -> u32 {
    let Ok(layout) = std::alloc::Layout::from_size_align(size as usize + 8, 8) else {
        return 0;
    };
    // SAFETY: the layout is never zero-sized (8 bytes of header at least).
    let p = unsafe { std::alloc::alloc(layout) };
    if p.is_null() {
        return 0;
    }
    // SAFETY: the block is at least 8 bytes; the header is the first of them.
    unsafe {
        (p as *mut u64).write(u64::from(size));
        p.add(8) as usize as u32
    }
}

/// Free a block from [`malloc`] (0 is ignored).
///
/// # Safety
/// `ptr` must come from [`malloc`] and be freed once.
#[cfg(target_family = "wasm")]
#[unsafe(no_mangle)]
pub unsafe extern "C" fn free(ptr: u32) {
    if ptr == 0 {
        return;
    }
    // SAFETY: per the contract the header is 8 bytes before `ptr`, written by malloc.
    unsafe {
        let p = (ptr as usize as *mut u8).sub(8);
        let size = (p as *const u64).read() as usize;
        std::alloc::dealloc(
            p,
            std::alloc::Layout::from_size_align_unchecked(size + 8, 8),
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn slot_round_trip_and_limits() {
        let s = slot_bytes(r#"{"profile":"seed"}"#, Mode::Annotate).unwrap();
        assert_eq!(&s[..16], SLOT_MAGIC);
        assert_eq!(s.len(), SLOT_SIZE);
        let len = u32::from_le_bytes(s[16..20].try_into().unwrap()) as usize;
        let text = std::str::from_utf8(&s[20..20 + len]).unwrap();
        let f = Filter::new(Some(text)).unwrap();
        assert_eq!(f.mode, Mode::Annotate);
        assert!(slot_bytes(&"x".repeat(SLOT_SIZE), Mode::Alerts).is_err());
        assert!(Filter::new(Some(r#"{"mode":"nope","config":{}}"#)).is_err());
        assert!(Filter::new(Some(r#"{"config":{"window_secs":"x"}}"#)).is_err());
        // The module built here was never filled in.
        assert_eq!(slot_json(), None);
    }

    #[test]
    fn only_json_objects_reach_the_detector() {
        let read = |r: &[u8]| signin_json(r).map(|c| c.into_owned());
        assert_eq!(read(br#" {"a":1}"#).unwrap(), br#" {"a":1}"#);
        assert_eq!(
            read(br#"{"log":"{\"a\":\"x\\ny\"}","stream":"stdout"}"#).unwrap(),
            br#"{"a":"x\ny"}"#
        );
        // A `log` that is no object, or not valid JSON inside, leaves the record as it is.
        for r in [
            &br#"{"log":"plain text"}"#[..],
            br#"{"log":"{broken"}"#,
            br#"{"log":5,"b":[]}"#,
        ] {
            assert_eq!(read(r).unwrap(), r);
        }
        // Bytes that are not UTF-8 inside a string leave the structure whole: the detector's
        // reader decides.
        assert!(read(b"{\"a\":\"\xff\"}").is_some());
        for r in [
            &b""[..],
            b"[1]",
            b"{",
            b"{\"log\":5,",
            b"{\"a\":\"\0\"}",
            b"\xff{}",
            b"{} {}",
        ] {
            assert_eq!(read(r), None, "{:?}", String::from_utf8_lossy(r));
        }
    }

    #[test]
    fn annotate_adds_the_alerts_as_the_last_key() {
        assert_eq!(annotate(b"{}", &[]).unwrap(), br#"{"t1586_alerts":[]}"#);
        assert_eq!(
            annotate(br#"{"a":1} "#, &[]).unwrap(),
            br#"{"a":1,"t1586_alerts":[]}"#
        );
        assert_eq!(annotate(b"[1]", &[]), None);
        assert_eq!(annotate(b"\xff}", &[]), None);
    }
}
