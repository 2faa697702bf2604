//! Record framing over a byte stream split anywhere.
//!
//! The framer finds record boundaries without parsing records: a byte-level state machine over the
//! structural characters of JSON (`{}[]",:` and backslash) and of CSV (quotes and newlines). Because
//! those are all ASCII, a chunk boundary inside a multi-byte UTF-8 character is harmless: bytes are
//! buffered until a record is complete, then the whole record is handed to a real parser. All state is
//! plain data (serializable), so a detector can be snapshotted between any two chunks.
//!
//! Shapes recognised, per source, from the first significant byte:
//! * `[` — a JSON array of records (Graph export, Log Analytics JSON export);
//! * `{` — either a wrapper page (`{"value":[...]}` from Graph, `{"records":[...]}` from Azure Monitor,
//!   `{"results":[...]}` from a Splunk export, `{"Records":[...]}` from CloudTrail, `{"items":[...]}`
//!   from Google's Reports API, `{"events":[...]}` from QRadar's Ariel API, the `hits.hits` of an
//!   Elasticsearch search response)
//!   whose array elements are the records, or a record itself: one object per line (JSON Lines) or
//!   pretty-printed objects one after another;
//! * `<` — Windows event XML: each `<Event>` element is a record, with or without an `<Events>` root,
//!   an XML declaration or comments around them (`wevtutil qe /f:xml`, `ToXml()` one per line);
//! * `ElfFile\0` — an EVTX file: the 4 KiB file header is checked and skipped, then every 64 KiB chunk
//!   is one frame (the chunk is self-contained: its records are parsed by [`super::evtx`]);
//! * anything else — CSV with a header row (Log Analytics / Sentinel / portal exports);
//! * gzip magic — not handled here (hosts decompress); rejected once for the whole source.
//!
//! JSON Lines, once known: a line that starts with `{` and ends with `}` is not scanned here at all.
//! It goes to the reader whole ([`FrameKind::JsonLine`]), whose parse decides: exactly one object
//! that is not a wrapper page is the record the state machine would have framed; anything else is
//! handed back and framed byte by byte. So the bytes of a good line are read once, by the parser.
//!
//! Resynchronisation: once a source is known to be JSON Lines (its first record ended on the line it
//! started), a newline inside an unfinished record rejects that record and restarts at the next line, so
//! one truncated line never swallows the rest of the file. Junk between records is rejected per line.

use serde::{Deserialize, Serialize};

/// What kind of bytes a frame holds.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FrameKind {
    /// One JSON value (normally an object) to parse as a record.
    Json,
    /// JSON Lines: the bytes from a `{` to the end of its line (trailing blanks left out), ending
    /// in `}`, not scanned. If they parse as exactly one JSON object that is not a wrapper page
    /// (no top-level `"value"` or `"records"` key), it is the record the byte-by-byte framer
    /// would have framed there, and the sink takes it (returns `true`). Otherwise the sink must
    /// not use it and returns `false`: the framer then frames these bytes byte by byte. The parse
    /// the reader does anyway decides, so a line is not scanned twice.
    JsonLine,
    /// One CSV record (the header row included: the first CSV frame of a source is its header).
    Csv,
    /// One XML `<Event>` element.
    Xml,
    /// One 64 KiB EVTX chunk; `line` is the chunk's number (0-based).
    EvtxChunk,
    /// Bytes that could not be framed as a record; the `&'static str` is the reason.
    Reject(&'static str),
}

/// Where frames go. The answer matters only for [`FrameKind::JsonLine`]: `false` means the line is
/// not one record as it stands, and the framer reads the same bytes again byte by byte.
pub type Sink<'s> = dyn FnMut(Frame<'_>) -> bool + 's;

/// One framed record.
#[derive(Debug)]
pub struct Frame<'a> {
    pub kind: FrameKind,
    /// 1-based line where the record starts.
    pub line: u64,
    pub bytes: &'a [u8],
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Format {
    Detect,
    Json,
    Csv,
    Xml,
    Evtx,
    Unsupported(Unsupported),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Unsupported {
    Gzip,
    BadEvtx,
}

impl Unsupported {
    fn reason(self) -> &'static str {
        match self {
            Unsupported::Gzip => {
                "gzip-compressed input must be decompressed by the host (source skipped)"
            }
            Unsupported::BadEvtx => "not an EVTX file: bad file header (source skipped)",
        }
    }
}

/// Where the XML framer is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
enum XmlState {
    /// Between elements.
    #[default]
    Between,
    /// Reading the start of a tag, to see whether it opens an `<Event>`.
    Tag,
    /// Inside some other tag (`<?xml ...?>`, `<Events>`, a comment): skip to its `>`.
    SkipTag,
    /// Inside an `<Event>` element, looking for `</Event>`.
    Record,
}

/// Size of the EVTX file header and of each chunk (fixed by the format).
pub const EVTX_HEADER: usize = 4096;
pub const EVTX_CHUNK: usize = 65536;
const EVENT_END: &[u8; 8] = b"</Event>";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Top {
    /// Between top-level values.
    None,
    /// Inside a top-level array: its object elements are records.
    Array,
    /// Inside a top-level object that is (so far) a record itself.
    Object,
    /// Inside a top-level wrapper page (`value` / `records` array found).
    Wrapper,
}

/// An input format a caller can force instead of detection (for files whose first bytes mislead it).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum InputFormat {
    Json,
    Csv,
    Xml,
    Evtx,
}

impl InputFormat {
    /// `json`, `csv`, `xml`, `evtx` (case-insensitive); `None` for anything else.
    pub fn parse(s: &str) -> Option<InputFormat> {
        match s.to_ascii_lowercase().as_str() {
            "json" | "jsonl" | "ndjson" => Some(InputFormat::Json),
            "csv" => Some(InputFormat::Csv),
            "xml" => Some(InputFormat::Xml),
            "evtx" => Some(InputFormat::Evtx),
            _ => None,
        }
    }
}

/// The framer's state for one source.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Framer {
    line: u64,
    format: Format,
    bom: u8,
    buf: Vec<u8>,
    rec_line: u64,
    recording: bool,
    oversize: bool,
    max_record: usize,
    // JSON
    depth: u32,
    in_str: bool,
    esc: bool,
    top: Top,
    record_depth: u32,
    in_wrapper_array: bool,
    /// Inside the top-level `hits` object of an Elasticsearch search response, whose `hits`
    /// array holds the records.
    hits: bool,
    key: Vec<u8>,
    key_capture: bool,
    skip_elem: bool,
    jsonl: bool,
    junk: bool,
    junk_line: u64,
    // CSV
    in_quotes: bool,
    /// First significant bytes, held until the format is known.
    sniff: Vec<u8>,
    // XML
    xml: XmlState,
    tag: Vec<u8>,
    end_match: u8,
    // EVTX
    evtx_header_done: bool,
    evtx_chunk: u64,
    /// JSON, during one `push` only: the index in the chunk of the byte being handled, and where
    /// the current record's bytes not yet copied to `buf` begin. A record that starts and ends in
    /// one chunk is handed over as a slice of it, never copied; `buf` receives a record's bytes
    /// only when the chunk ends inside it (so snapshots between chunks see what they always did).
    #[serde(skip)]
    pos: usize,
    #[serde(skip)]
    seg: usize,
}

const KEY_CAP: usize = 16;

/// JSON Lines: the length of the line at the start of `h` without its trailing blanks, when that
/// ends in `}` (a candidate record, see [`FrameKind::JsonLine`]); `None` when the chunk ends
/// before the newline (the byte path keeps the partial record) or the line ends otherwise.
fn line_record(h: &[u8]) -> Option<usize> {
    let mut end = find_newline(h)?;
    while end > 0 && matches!(h[end - 1], b' ' | b'\t' | b'\r') {
        end -= 1;
    }
    (end > 0 && h[end - 1] == b'}').then_some(end)
}

#[cfg(not(target_arch = "wasm32"))]
fn find_newline(h: &[u8]) -> Option<usize> {
    memchr::memchr(b'\n', h)
}

/// The first newline, eight bytes a step (see [`find3_swar`]).
#[cfg(target_arch = "wasm32")]
fn find_newline(h: &[u8]) -> Option<usize> {
    find3_swar(h, b'\n', b'\n', b'\n')
}

/// The first quote, backslash or newline: where a run of string bytes ends. Most strings are
/// short (field names, codes): their first 16 bytes are looked at inline, eight at a time, before
/// the vector search (whose setup costs more than a short string).
#[cfg(not(target_arch = "wasm32"))]
fn find_string_stop(h: &[u8]) -> Option<usize> {
    if h.len() >= 16 {
        let (a, b) = (word(h, 0), word(h, 8));
        if let Some(i) = stop_in_word(a) {
            return Some(i);
        }
        if let Some(i) = stop_in_word(b) {
            return Some(8 + i);
        }
        return memchr::memchr3(b'"', b'\\', b'\n', &h[16..]).map(|i| i + 16);
    }
    memchr::memchr3(b'"', b'\\', b'\n', h)
}

#[cfg(not(target_arch = "wasm32"))]
fn word(h: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(h[at..at + 8].try_into().expect("8 bytes"))
}

/// The first quote, backslash or newline among eight bytes (little-endian word), as
/// [`find3_swar`] tests them.
#[cfg(not(target_arch = "wasm32"))]
fn stop_in_word(w: u64) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let m = zero(w ^ (LO * u64::from(b'"')))
        | zero(w ^ (LO * u64::from(b'\\')))
        | zero(w ^ (LO * u64::from(b'\n')));
    (m != 0).then(|| (m.trailing_zeros() / 8) as usize)
}

/// The first quote, backslash or newline. In wasm (no SIMD in the baseline), eight bytes per step
/// with 64-bit arithmetic; `memchr`'s portable path steps by the 4-byte `usize` of wasm32.
#[cfg(target_arch = "wasm32")]
fn find_string_stop(h: &[u8]) -> Option<usize> {
    find3_swar(h, b'"', b'\\', b'\n')
}

/// The first of three bytes, eight bytes at a time ("has a zero byte" on the word XOR each byte
/// repeated: the lowest flagged byte of each mask is exact, so the lowest of the three is the
/// first match).
#[cfg(any(target_arch = "wasm32", test))]
fn find3_swar(h: &[u8], a: u8, b: u8, c: u8) -> Option<usize> {
    const LO: u64 = 0x0101_0101_0101_0101;
    const HI: u64 = 0x8080_8080_8080_8080;
    let zero = |v: u64| v.wrapping_sub(LO) & !v & HI;
    let (ra, rb, rc) = (LO * u64::from(a), LO * u64::from(b), LO * u64::from(c));
    let mut chunks = h.chunks_exact(8);
    let mut at = 0;
    for w in &mut chunks {
        let w = u64::from_le_bytes(w.try_into().expect("8 bytes"));
        let m = zero(w ^ ra) | zero(w ^ rb) | zero(w ^ rc);
        if m != 0 {
            return Some(at + (m.trailing_zeros() / 8) as usize);
        }
        at += 8;
    }
    chunks
        .remainder()
        .iter()
        .position(|&x| x == a || x == b || x == c)
        .map(|p| at + p)
}
const SNIFF: usize = 8;

impl Framer {
    /// A framer for a new source; records larger than `max_record` bytes are rejected.
    pub fn new(max_record: usize) -> Self {
        Framer {
            line: 1,
            format: Format::Detect,
            bom: 0,
            buf: Vec::new(),
            rec_line: 1,
            recording: false,
            oversize: false,
            max_record,
            depth: 0,
            in_str: false,
            esc: false,
            top: Top::None,
            record_depth: 0,
            in_wrapper_array: false,
            hits: false,
            key: Vec::new(),
            key_capture: false,
            skip_elem: false,
            jsonl: false,
            junk: false,
            junk_line: 0,
            in_quotes: false,
            sniff: Vec::new(),
            xml: XmlState::Between,
            tag: Vec::new(),
            end_match: 0,
            evtx_header_done: false,
            evtx_chunk: 0,
            pos: 0,
            seg: 0,
        }
    }

    /// A framer that skips detection and reads `format`.
    pub fn forced(max_record: usize, format: InputFormat) -> Self {
        let mut f = Framer::new(max_record);
        f.format = match format {
            InputFormat::Json => Format::Json,
            InputFormat::Csv => Format::Csv,
            InputFormat::Xml => Format::Xml,
            InputFormat::Evtx => Format::Evtx,
        };
        f
    }

    /// Feed a chunk; complete records are passed to `sink` in input order.
    pub fn push(&mut self, data: &[u8], sink: &mut Sink<'_>) {
        let mut i = 0;
        while i < data.len() {
            match self.format {
                Format::Detect => {
                    i += self.detect(&data[i..], sink);
                }
                Format::Json => {
                    let data = &data[i..];
                    self.seg = 0;
                    let mut j = 0;
                    while j < data.len() {
                        // Inside a string (not after a backslash), only a quote, a backslash or a
                        // newline changes the state: copy the run up to the next one at once. Most
                        // of a record's bytes are string contents.
                        if self.in_str && !self.esc && !self.junk {
                            let rest = &data[j..];
                            let mut run = find_string_stop(rest).unwrap_or(rest.len());
                            if self.recording {
                                // Up to the size limit at once; the byte path rejects the byte
                                // past it (one byte at a time there, with this scan of the rest
                                // repeated for each, was quadratic in a long string).
                                let room = self
                                    .max_record
                                    .saturating_sub(self.buf.len() + (j - self.seg));
                                run = run.min(room);
                            }
                            if run > 0 {
                                // A recorded run stays in `data` (see `seg`).
                                if self.key_capture {
                                    // As the byte path does: keep up to KEY_CAP + 1 bytes of a key.
                                    let room = (KEY_CAP + 1).saturating_sub(self.key.len());
                                    self.key.extend_from_slice(&rest[..run.min(room)]);
                                }
                                j += run;
                                continue;
                            }
                        }
                        let b = data[j];
                        // JSON Lines, between records: a line holding one record is handed over
                        // whole, unscanned; the reader's parse decides (see `FrameKind::JsonLine`).
                        if b == b'{'
                            && self.jsonl
                            && self.depth == 0
                            && !self.in_str
                            && !self.junk
                            && !self.recording
                            && let Some(len) = line_record(&data[j..])
                            && len <= self.max_record
                            && sink(Frame {
                                kind: FrameKind::JsonLine,
                                line: self.line,
                                bytes: &data[j..j + len],
                            })
                        {
                            // The state the byte path leaves after a record.
                            self.rec_line = self.line;
                            self.skip_elem = false;
                            self.top = Top::None;
                            self.record_depth = 0;
                            self.in_wrapper_array = false;
                            self.hits = false;
                            self.key.clear();
                            j += len;
                            continue;
                        }
                        self.pos = j;
                        self.json_byte(data, b, sink);
                        if b == b'\n' {
                            self.line += 1;
                        }
                        j += 1;
                    }
                    if self.recording {
                        self.buf.extend_from_slice(&data[self.seg..]);
                    }
                    return;
                }
                Format::Csv => {
                    self.csv_bytes(&data[i..], sink);
                    return;
                }
                Format::Xml => {
                    for &b in &data[i..] {
                        self.xml_byte(b, sink);
                        if b == b'\n' {
                            self.line += 1;
                        }
                    }
                    return;
                }
                Format::Evtx => {
                    i += self.evtx_bytes(&data[i..], sink);
                }
                Format::Unsupported(_) => return,
            }
        }
    }

    /// End of the source: emit or reject whatever is left.
    pub fn finish(&mut self, sink: &mut Sink<'_>) {
        match self.format {
            Format::Detect if !self.sniff.is_empty() => {
                self.decide(sink);
                return self.finish(sink);
            }
            Format::Detect => {}
            Format::Unsupported(u) => {
                sink(Frame {
                    kind: FrameKind::Reject(u.reason()),
                    line: 1,
                    bytes: &[],
                });
            }
            Format::Json => {
                if self.junk {
                    self.junk = false;
                    sink(Frame {
                        kind: FrameKind::Reject("not JSON"),
                        line: self.junk_line,
                        bytes: &[],
                    });
                }
                if self.depth > 0 || self.recording {
                    let line = if self.recording {
                        self.rec_line
                    } else {
                        self.line
                    };
                    sink(Frame {
                        kind: FrameKind::Reject("truncated JSON at end of input"),
                        line,
                        bytes: &[],
                    });
                }
                self.reset_json();
            }
            Format::Xml => {
                self.xml_junk(sink);
                if self.xml == XmlState::Record {
                    sink(Frame {
                        kind: FrameKind::Reject("truncated XML <Event> at end of input"),
                        line: self.rec_line,
                        bytes: &[],
                    });
                }
            }
            Format::Evtx => {
                if !self.buf.is_empty() {
                    let kind = if self.evtx_header_done {
                        FrameKind::Reject(
                            "incomplete EVTX chunk at end of file (its records are lost)",
                        )
                    } else {
                        FrameKind::Reject("EVTX file shorter than its 4 KiB header")
                    };
                    sink(Frame {
                        kind,
                        line: self.evtx_chunk,
                        bytes: &[],
                    });
                }
            }
            Format::Csv => {
                if self.in_quotes {
                    sink(Frame {
                        kind: FrameKind::Reject("unterminated quoted CSV field at end of input"),
                        line: self.rec_line,
                        bytes: &[],
                    });
                    self.buf.clear();
                    self.in_quotes = false;
                } else {
                    self.emit_csv(sink);
                }
            }
        }
        let max = self.max_record;
        *self = Framer::new(max);
    }

    /// Skip BOM and whitespace; decide the format from the first significant bytes (JSON at once;
    /// otherwise after 8 bytes, so magic numbers split across chunks are still recognised).
    /// Returns how many bytes were consumed.
    fn detect(&mut self, data: &[u8], sink: &mut Sink<'_>) -> usize {
        const BOM: [u8; 3] = [0xEF, 0xBB, 0xBF];
        let mut i = 0;
        while i < data.len() {
            let b = data[i];
            if !self.sniff.is_empty() {
                let take = (SNIFF - self.sniff.len()).min(data.len() - i);
                self.sniff.extend_from_slice(&data[i..i + take]);
                i += take;
                if self.sniff.len() >= SNIFF {
                    self.decide(sink);
                    return i;
                }
                continue;
            }
            if self.bom < 3 && b == BOM[self.bom as usize] && self.line == 1 {
                self.bom += 1;
                i += 1;
                continue;
            }
            self.bom = 3;
            match b {
                b'\n' => {
                    self.line += 1;
                    i += 1;
                }
                b' ' | b'\t' | b'\r' => i += 1,
                b'{' | b'[' => {
                    self.format = Format::Json;
                    return i;
                }
                _ => {
                    // First significant byte that is not JSON: collect a few bytes, then decide.
                    self.sniff.push(b);
                    i += 1;
                    if self.sniff.len() >= SNIFF {
                        self.decide(sink);
                        return i;
                    }
                }
            }
        }
        i
    }

    /// Choose the format from the sniffed bytes, then run them through it.
    fn decide(&mut self, sink: &mut Sink<'_>) {
        let head = std::mem::take(&mut self.sniff);
        self.format = if head.starts_with(b"<") {
            Format::Xml
        } else if head.starts_with(&[0x1f, 0x8b]) {
            Format::Unsupported(Unsupported::Gzip)
        } else if head.starts_with(b"ElfFile") {
            Format::Evtx
        } else {
            self.rec_line = self.line;
            Format::Csv
        };
        self.push(&head, sink);
    }

    fn reset_json(&mut self) {
        self.depth = 0;
        self.in_str = false;
        self.esc = false;
        self.top = Top::None;
        self.record_depth = 0;
        self.in_wrapper_array = false;
        self.hits = false;
        self.recording = false;
        self.oversize = false;
        self.skip_elem = false;
        self.key_capture = false;
        self.buf.clear();
    }

    /// A JSON record begins at the current byte.
    fn start_record(&mut self) {
        // A wrapper page is recognised by the key before its `[` in the same object: nothing
        // carries over from the previous record.
        self.key.clear();
        self.recording = true;
        self.oversize = false;
        self.rec_line = self.line;
        self.buf.clear();
        self.seg = self.pos;
    }

    /// The top-level object being recorded has had one key so far, the one just read: its bytes
    /// (`buf` and then `rest`, from the chunk) are `{"key":` with blanks anywhere. QRadar's Ariel
    /// results (`{"events":[…]}`) are a page only so: a Google Workspace activity has an
    /// `events` array too, after its `kind`, `id` and `actor`.
    fn first_key(&self, rest: &[u8]) -> bool {
        let mut quotes = 0;
        self.recording
            && self.buf.iter().chain(rest).all(|&b| {
                quotes += usize::from(b == b'"');
                quotes <= 2 && b != b','
            })
    }

    /// The current JSON byte belongs to the record being recorded: only the size limit is checked
    /// here (the bytes are taken from the chunk when the record ends, see `seg`).
    #[inline]
    fn json_record_byte(&mut self, sink: &mut Sink<'_>) {
        if self.recording && self.buf.len() + (self.pos - self.seg) >= self.max_record {
            self.reject_oversize(sink);
        }
    }

    /// The record being recorded passed `max_record`: reject it and stop recording it.
    fn reject_oversize(&mut self, sink: &mut Sink<'_>) {
        self.recording = false;
        self.oversize = true;
        self.buf = Vec::new();
        sink(Frame {
            kind: FrameKind::Reject("record larger than limits.max_record_bytes"),
            line: self.rec_line,
            bytes: &[],
        });
    }

    #[inline]
    fn record_byte(&mut self, b: u8, sink: &mut Sink<'_>) {
        if self.recording {
            if self.buf.len() >= self.max_record {
                self.reject_oversize(sink);
            } else {
                self.buf.push(b);
            }
        }
    }

    fn json_byte(&mut self, data: &[u8], b: u8, sink: &mut Sink<'_>) {
        if self.junk {
            if b == b'\n' {
                self.junk = false;
                sink(Frame {
                    kind: FrameKind::Reject("not JSON"),
                    line: self.junk_line,
                    bytes: &[],
                });
            }
            return;
        }
        if b == b'\n' && self.jsonl && self.depth > 0 {
            // JSON Lines: a record may not span lines. Reject it and resynchronise here.
            let line = if self.recording {
                self.rec_line
            } else {
                self.line
            };
            self.reset_json();
            sink(Frame {
                kind: FrameKind::Reject("truncated or malformed JSON line"),
                line,
                bytes: &[],
            });
            return;
        }
        if self.in_str {
            self.json_record_byte(sink);
            if self.esc {
                self.esc = false;
            } else if b == b'\\' {
                self.esc = true;
            } else if b == b'"' {
                self.in_str = false;
                self.key_capture = false;
            } else if self.key_capture && self.key.len() <= KEY_CAP {
                self.key.push(b);
            }
            return;
        }
        match b {
            b'"' => {
                self.in_str = true;
                if (self.depth == 1 && self.top == Top::Object) || (self.depth == 2 && self.hits) {
                    self.key_capture = true;
                    self.key.clear();
                }
                self.scalar_at_record_depth(sink);
                self.json_record_byte(sink);
            }
            b'{' | b'[' => {
                if self.depth == 0 {
                    if b == b'[' {
                        self.top = Top::Array;
                        self.record_depth = 1;
                    } else {
                        self.top = Top::Object;
                        self.record_depth = 0;
                        self.start_record();
                    }
                } else if self.depth == self.record_depth
                    && !self.recording
                    && (self.top == Top::Array || self.in_wrapper_array)
                {
                    // An element of the records array: objects are records; arrays are framed too
                    // and rejected by the parser as "not an object".
                    self.start_record();
                } else if self.depth == 1
                    && self.top == Top::Object
                    && b == b'['
                    && (wrapper_key(&self.key)
                        || (self.key == b"events" && self.first_key(&data[self.seg..self.pos])))
                {
                    self.top = Top::Wrapper;
                    self.record_depth = 2;
                    self.in_wrapper_array = true;
                    self.recording = false;
                    self.buf.clear();
                } else if self.depth == 1 && self.top == Top::Wrapper && b == b'[' {
                    self.in_wrapper_array = wrapper_key(&self.key);
                } else if self.depth == 1 && self.top == Top::Object && b == b'{' {
                    // An Elasticsearch search response: `{"took":…,"hits":{"total":…,"hits":[…]}}`.
                    self.hits = self.key == b"hits";
                } else if self.depth == 2 && self.hits && b == b'[' && self.key == b"hits" {
                    self.top = Top::Wrapper;
                    self.record_depth = 3;
                    self.in_wrapper_array = true;
                    self.recording = false;
                    self.buf.clear();
                }
                self.depth += 1;
                self.json_record_byte(sink);
            }
            b'}' | b']' => {
                if self.depth == 0 {
                    self.junk = true;
                    self.junk_line = self.line;
                    return;
                }
                self.depth -= 1;
                self.json_record_byte(sink);
                if self.depth == self.record_depth {
                    self.skip_elem = false;
                    if self.recording {
                        self.recording = false;
                        if self.record_depth == 0 && self.rec_line == self.line {
                            self.jsonl = true;
                        }
                        let end = self.pos + 1;
                        let bytes: &[u8] = if self.buf.is_empty() {
                            &data[self.seg..end]
                        } else {
                            self.buf.extend_from_slice(&data[self.seg..end]);
                            &self.buf
                        };
                        sink(Frame {
                            kind: FrameKind::Json,
                            line: self.rec_line,
                            bytes,
                        });
                        self.buf.clear();
                    }
                }
                if self.top == Top::Wrapper && self.depth + 1 == self.record_depth {
                    self.in_wrapper_array = false;
                }
                if self.depth == 1 {
                    self.hits = false;
                }
                if self.depth == 0 {
                    self.top = Top::None;
                    self.record_depth = 0;
                    self.in_wrapper_array = false;
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' | b':' => self.json_record_byte(sink),
            b',' => {
                if self.depth == self.record_depth {
                    self.skip_elem = false;
                }
                self.json_record_byte(sink);
            }
            _ => {
                if self.depth == 0 {
                    self.junk = true;
                    self.junk_line = self.line;
                    return;
                }
                self.scalar_at_record_depth(sink);
                self.json_record_byte(sink);
            }
        }
    }

    /// A scalar where a record object was expected (`[1, "x"]`): reject it once.
    fn scalar_at_record_depth(&mut self, sink: &mut Sink<'_>) {
        if self.depth > 0
            && self.depth == self.record_depth
            && !self.recording
            && !self.skip_elem
            && (self.top == Top::Array || self.in_wrapper_array)
        {
            self.skip_elem = true;
            sink(Frame {
                kind: FrameKind::Reject("array element is not a JSON object"),
                line: self.line,
                bytes: &[],
            });
        }
    }

    /// Text outside any element was seen: reject it once, at the line where it started.
    fn xml_junk(&mut self, sink: &mut Sink<'_>) {
        if self.junk {
            self.junk = false;
            sink(Frame {
                kind: FrameKind::Reject("text outside <Event> elements"),
                line: self.junk_line,
                bytes: &[],
            });
        }
    }

    fn xml_byte(&mut self, b: u8, sink: &mut Sink<'_>) {
        match self.xml {
            XmlState::Between => {
                if b == b'<' {
                    self.xml = XmlState::Tag;
                    self.tag.clear();
                    self.tag.push(b);
                    self.rec_line = self.line;
                } else if !b.is_ascii_whitespace() && !self.junk {
                    self.junk = true;
                    self.junk_line = self.line;
                }
            }
            XmlState::Tag => {
                self.tag.push(b);
                if self.tag.len() < 7 {
                    if b == b'>' {
                        self.xml = XmlState::Between;
                    } else if !b"<Event".starts_with(&self.tag) {
                        self.xml = XmlState::SkipTag;
                    }
                    return;
                }
                if matches!(b, b' ' | b'\t' | b'\r' | b'\n' | b'>' | b'/') {
                    self.xml_junk(sink);
                    self.xml = XmlState::Record;
                    self.end_match = 0;
                    self.recording = true;
                    self.oversize = false;
                    self.buf.clear();
                    let tag = std::mem::take(&mut self.tag);
                    for t in tag {
                        self.record_byte(t, sink);
                    }
                } else {
                    // `<Events>`, `<EventData>` outside a record, ...
                    self.xml = if b == b'>' {
                        XmlState::Between
                    } else {
                        XmlState::SkipTag
                    };
                }
            }
            XmlState::SkipTag => {
                if b == b'>' {
                    self.xml = XmlState::Between;
                }
            }
            XmlState::Record => {
                self.record_byte(b, sink);
                if b == EVENT_END[self.end_match as usize] {
                    self.end_match += 1;
                } else {
                    self.end_match = u8::from(b == b'<');
                }
                if self.end_match as usize == EVENT_END.len() {
                    self.xml = XmlState::Between;
                    self.end_match = 0;
                    if self.recording {
                        self.recording = false;
                        sink(Frame {
                            kind: FrameKind::Xml,
                            line: self.rec_line,
                            bytes: &self.buf,
                        });
                    }
                    self.buf.clear();
                }
            }
        }
    }

    /// EVTX: skip the checked file header, then frame whole chunks. Returns bytes consumed.
    fn evtx_bytes(&mut self, data: &[u8], sink: &mut Sink<'_>) -> usize {
        let want = if self.evtx_header_done {
            EVTX_CHUNK
        } else {
            EVTX_HEADER
        };
        let take = (want - self.buf.len()).min(data.len());
        self.buf.extend_from_slice(&data[..take]);
        if self.buf.len() == want {
            if !self.evtx_header_done {
                self.evtx_header_done = true;
                if !self.buf.starts_with(b"ElfFile\0") {
                    self.format = Format::Unsupported(Unsupported::BadEvtx);
                }
            } else {
                sink(Frame {
                    kind: FrameKind::EvtxChunk,
                    line: self.evtx_chunk,
                    bytes: &self.buf,
                });
                self.evtx_chunk += 1;
            }
            self.buf.clear();
        }
        take
    }

    fn csv_bytes(&mut self, data: &[u8], sink: &mut Sink<'_>) {
        let mut start = 0;
        for (i, &b) in data.iter().enumerate() {
            if b == b'"' {
                self.in_quotes = !self.in_quotes;
            } else if b == b'\n' && !self.in_quotes {
                self.append_csv(&data[start..i], sink);
                self.emit_csv(sink);
                start = i + 1;
                self.line += 1;
                self.rec_line = self.line;
                continue;
            }
            if b == b'\n' {
                self.line += 1;
            }
        }
        self.append_csv(&data[start..], sink);
    }

    fn append_csv(&mut self, part: &[u8], sink: &mut Sink<'_>) {
        if self.oversize {
            return;
        }
        if self.buf.len() + part.len() > self.max_record {
            // (`recording` is a JSON/XML state, always false here.)
            self.reject_oversize(sink);
            return;
        }
        self.buf.extend_from_slice(part);
    }

    fn emit_csv(&mut self, sink: &mut Sink<'_>) {
        if self.oversize {
            self.oversize = false;
            self.buf.clear();
            return;
        }
        if self.buf.last() == Some(&b'\r') {
            self.buf.pop();
        }
        if !self.buf.iter().all(|b| b.is_ascii_whitespace()) {
            sink(Frame {
                kind: FrameKind::Csv,
                line: self.rec_line,
                bytes: &self.buf,
            });
        }
        self.buf.clear();
    }
}

/// The key of a wrapper page's array of records: `value` (Graph), `records` (Azure Monitor,
/// Event Hubs), `results` (a Splunk search's non-streaming JSON export), `Records` (CloudTrail's
/// files as S3 delivers them), `items` (a Google Reports API page). QRadar's `events` is one too,
/// when it is the page's first key (see `Framer::first_key`).
pub(crate) fn wrapper_key(k: &[u8]) -> bool {
    matches!(
        k,
        b"value" | b"records" | b"results" | b"Records" | b"items"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    proptest::proptest! {
        /// The word-at-a-time searches find what `memchr3` finds, at every alignment.
        #[test]
        fn swar_search_agrees_with_memchr(
            bytes in proptest::collection::vec(proptest::sample::select(
                vec![b'a', b'"', b'\\', b'\n', 0x80, 0xff, 0x00, 0x21, 0x5b, 0x5d]), 0..64),
            skip in 0usize..8,
        ) {
            let h = &bytes[skip.min(bytes.len())..];
            proptest::prop_assert_eq!(
                find3_swar(h, b'"', b'\\', b'\n'),
                memchr::memchr3(b'"', b'\\', b'\n', h)
            );
            // And the native search (16 bytes inline, then memchr3).
            proptest::prop_assert_eq!(
                find_string_stop(h),
                memchr::memchr3(b'"', b'\\', b'\n', h)
            );
        }
    }

    /// What the reader answers for a [`FrameKind::JsonLine`]: exactly one JSON object without a
    /// top-level `value` or `records` key (`lines` false: never, as if every line were bad).
    fn reader_takes(bytes: &[u8], lines: bool) -> bool {
        lines
            && serde_json::from_slice::<serde_json::Map<String, serde_json::Value>>(bytes)
                .is_ok_and(|m| {
                    !["value", "records", "results", "Records", "items", "hits"]
                        .iter()
                        .any(|k| m.contains_key(*k))
                })
            && !bytes.starts_with(b"{\"events\"")
    }

    fn frames(input: &[u8], split: usize) -> Vec<(String, u64, String)> {
        frames_with(input, split, true)
    }

    /// Frames as the reader sees them (a line it takes is reported as "json", as the byte path
    /// would frame it); `lines` false refuses every unscanned line.
    fn frames_with(input: &[u8], split: usize, lines: bool) -> Vec<(String, u64, String)> {
        let mut f = Framer::new(1 << 20);
        let mut out = Vec::new();
        let mut sink = |fr: Frame<'_>| {
            let kind = match fr.kind {
                FrameKind::JsonLine if !reader_takes(fr.bytes, lines) => return false,
                FrameKind::Json | FrameKind::JsonLine => "json".to_string(),
                FrameKind::Csv => "csv".to_string(),
                FrameKind::Xml => "xml".to_string(),
                FrameKind::EvtxChunk => format!("evtx chunk {}", fr.bytes.len()),
                FrameKind::Reject(r) => format!("reject: {r}"),
            };
            out.push((
                kind,
                fr.line,
                String::from_utf8_lossy(fr.bytes).into_owned(),
            ));
            true
        };
        for c in input.chunks(split.max(1)) {
            f.push(c, &mut sink);
        }
        f.finish(&mut sink);
        out
    }

    proptest::proptest! {
        /// JSON Lines: lines handed over unscanned and taken by the reader are exactly the
        /// records the byte-by-byte path frames, in whole-input and one-byte chunks (which never
        /// hold a whole line), on lines built from the characters that matter: braces,
        /// brackets, quotes, escapes, newlines, blanks, the wrapper keys.
        #[test]
        fn jsonl_lines_frame_as_the_byte_path_does(
            tokens in proptest::collection::vec(proptest::sample::select(vec![
                "{", "}", "[", "]", "\"", "\\", "\n", "a", "\"value\"", "\"records\"", ":", ",",
                " ", "1", "{\"k\":\"v\"}", "{\"value\":[{\"x\":1}]}", "\"x\\\"y\"", "\r",
                "\t", "{\"value\":1}", "{\"a\":[1,{\"b\":\"}\"}]}\n", "{\"k\":\"v\"}\n",
            ]), 0..40),
        ) {
            let mut input = b"{\"first\":1}\n".to_vec();
            for t in &tokens {
                input.extend_from_slice(t.as_bytes());
            }
            let bytewise = frames_with(&input, input.len(), false);
            proptest::prop_assert_eq!(&frames(&input, input.len()), &bytewise);
            proptest::prop_assert_eq!(&frames(&input, 1), &bytewise);
        }
    }

    fn all_splits(input: &[u8]) -> Vec<(String, u64, String)> {
        let whole = frames(input, input.len().max(1));
        for s in 1..input.len().min(17) {
            assert_eq!(frames(input, s), whole, "split {s}");
        }
        whole
    }

    #[test]
    fn array_of_records() {
        let got = all_splits(b"[\n {\"a\":1},\n {\"b\":\"x}\"}\n]\n");
        assert_eq!(
            got,
            vec![
                ("json".into(), 2, "{\"a\":1}".into()),
                ("json".into(), 3, "{\"b\":\"x}\"}".into())
            ]
        );
    }

    #[test]
    fn wrapper_pages() {
        let got = all_splits(
            "\u{feff}{\"@odata.context\":\"x\",\"value\":[{\"a\":[1,{\"b\":2}]},{\"c\":\"é\"}],\"@odata.nextLink\":\"y\"}\n{\"records\":[{\"d\":1}]}"
                .as_bytes(),
        );
        let kinds: Vec<_> = got.iter().map(|g| (g.0.as_str(), g.2.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                ("json", "{\"a\":[1,{\"b\":2}]}"),
                ("json", "{\"c\":\"é\"}"),
                ("json", "{\"d\":1}")
            ]
        );
    }

    /// `events` is QRadar's page of results only as the first key: a Google Workspace activity
    /// keeps its `events` array whole.
    #[test]
    fn ariel_results_page_but_not_a_google_activity() {
        let got = all_splits(
            b"{\"events\":[{\"payload\":\"a\"},\n {\"payload\":\"b\"}]}\n{ \"events\" : [{\"c\":1}]}\n{\"kind\":\"x\",\"events\":[{\"name\":\"login_success\"}]}",
        );
        let kinds: Vec<_> = got.iter().map(|g| (g.0.as_str(), g.2.as_str())).collect();
        assert_eq!(
            kinds,
            vec![
                ("json", "{\"payload\":\"a\"}"),
                ("json", "{\"payload\":\"b\"}"),
                ("json", "{\"c\":1}"),
                (
                    "json",
                    "{\"kind\":\"x\",\"events\":[{\"name\":\"login_success\"}]}"
                ),
            ]
        );
        let pretty = all_splits(b"{\"id\": {\"a\": 1},\n \"events\": [{\"d\": 2}]\n}");
        assert_eq!(pretty.len(), 1);
        assert_eq!(pretty[0].0, "json");
    }

    #[test]
    fn json_lines_resync_after_truncated_line() {
        let got = all_splits(b"{\"a\":1}\n{\"b\":\n{\"c\":3}\nnot json\n{\"d\":4}");
        assert_eq!(
            got,
            vec![
                ("json".into(), 1, "{\"a\":1}".into()),
                (
                    "reject: truncated or malformed JSON line".into(),
                    2,
                    "".into()
                ),
                ("json".into(), 3, "{\"c\":3}".into()),
                ("reject: not JSON".into(), 4, "".into()),
                ("json".into(), 5, "{\"d\":4}".into()),
            ]
        );
    }

    #[test]
    fn pretty_objects_and_scalar_elements() {
        let got = all_splits(b"{\n \"a\": 1\n}\n{\n \"b\": [2]\n}\n[1, {\"x\":1}, \"s\"]");
        let k: Vec<_> = got.iter().map(|g| (g.0.as_str(), g.1)).collect();
        assert_eq!(
            k,
            vec![
                ("json", 1),
                ("json", 4),
                ("reject: array element is not a JSON object", 7),
                ("json", 7),
                ("reject: array element is not a JSON object", 7)
            ]
        );
    }

    #[test]
    fn truncated_json_at_end() {
        let got = all_splits(b"[{\"a\":1},{\"b\":");
        assert_eq!(got.len(), 2);
        assert_eq!(got[1].0, "reject: truncated JSON at end of input");
    }

    #[test]
    fn csv_with_quoted_newlines_and_crlf() {
        let got = all_splits(b"A,B\r\n1,\"x\ny\"\r\n\r\n2,\"q\"\"\"\r\n3,z");
        assert_eq!(
            got,
            vec![
                ("csv".into(), 1, "A,B".into()),
                ("csv".into(), 2, "1,\"x\ny\"".into()),
                ("csv".into(), 5, "2,\"q\"\"\"".into()),
                ("csv".into(), 6, "3,z".into()),
            ]
        );
    }

    #[test]
    fn unsupported_formats_rejected_once() {
        assert!(all_splits(b"<Events></Events>").is_empty());
        assert_eq!(
            all_splits(b"ElfFile\0\0\0"),
            vec![(
                "reject: EVTX file shorter than its 4 KiB header".into(),
                0,
                String::new()
            )]
        );
        assert_eq!(all_splits(b"\x1f\x8b\x08\0").len(), 1);
        assert!(all_splits(b"  \n\n ").is_empty());
    }

    #[test]
    fn xml_events_with_and_without_root() {
        let input = b"<?xml version=\"1.0\"?>\n<Events>\n<Event xmlns='x'><System><EventID>4625</EventID></System>\n<EventData><Data Name='A'>a</Data></EventData></Event>\n<!-- c -->\n<Event><System/></Event>stray\n</Events>\n<Event>";
        let got = all_splits(input);
        assert_eq!(got.len(), 4, "{got:?}");
        assert_eq!(got[0].0, "xml");
        assert_eq!(got[0].1, 3);
        assert!(got[0].2.starts_with("<Event xmlns='x'>") && got[0].2.ends_with("</Event>"));
        assert_eq!(got[1], ("xml".into(), 6, "<Event><System/></Event>".into()));
        assert_eq!(
            got[2],
            (
                "reject: text outside <Event> elements".into(),
                6,
                String::new()
            )
        );
        assert_eq!(
            got[3],
            (
                "reject: truncated XML <Event> at end of input".into(),
                8,
                String::new()
            )
        );
    }

    #[test]
    fn evtx_chunks_framed_whole() {
        let mut input = b"ElfFile\0".to_vec();
        input.resize(EVTX_HEADER + 2 * EVTX_CHUNK + 10, 7);
        for split in [1usize, 4095, 4096, 65536, 100_000, input.len()] {
            let got = frames(&input, split);
            assert_eq!(
                got.iter().map(|g| (g.0.as_str(), g.1)).collect::<Vec<_>>(),
                vec![
                    ("evtx chunk 65536", 0),
                    ("evtx chunk 65536", 1),
                    (
                        "reject: incomplete EVTX chunk at end of file (its records are lost)",
                        2
                    )
                ],
                "split {split}"
            );
        }
        let mut bad = b"ElfFile\x01".to_vec();
        bad.resize(EVTX_HEADER + EVTX_CHUNK, 0);
        assert_eq!(
            frames(&bad, 1000),
            vec![(
                "reject: not an EVTX file: bad file header (source skipped)".into(),
                1,
                String::new()
            )]
        );
    }

    /// A string far past the limit in one chunk (a pipeline engine's single record, a browser's
    /// whole file): rejected at the limit, then the next record read. The byte path used to
    /// rescan the rest of the chunk for every byte between the string's start and the limit:
    /// a 5 MB record in one push took minutes.
    #[test]
    fn oversize_string_in_one_chunk_rejected_and_next_kept() {
        let mut f = Framer::new(4 << 20);
        let mut out = Vec::new();
        let big = format!("{{\"log\":\"{}\"}}\n{{\"b\":1}}\n", "x".repeat(12 << 20));
        let mut sink = |fr: Frame<'_>| {
            out.push((fr.kind, fr.line, fr.bytes.len()));
            true
        };
        f.push(big.as_bytes(), &mut sink);
        f.finish(&mut sink);
        assert_eq!(
            out,
            vec![
                (
                    FrameKind::Reject("record larger than limits.max_record_bytes"),
                    1,
                    0
                ),
                (FrameKind::Json, 2, 7)
            ]
        );
    }

    #[test]
    fn oversize_record_rejected_and_next_kept() {
        let mut f = Framer::new(1024);
        let mut out = Vec::new();
        let big = format!("{{\"a\":\"{}\"}}\n{{\"b\":1}}\n", "x".repeat(5000));
        let mut sink = |fr: Frame<'_>| {
            out.push((fr.kind, fr.line));
            true
        };
        f.push(big.as_bytes(), &mut sink);
        f.finish(&mut sink);
        assert_eq!(
            out,
            vec![
                (
                    FrameKind::Reject("record larger than limits.max_record_bytes"),
                    1
                ),
                (FrameKind::Json, 2)
            ]
        );
    }
}
