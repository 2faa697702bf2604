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
//! * `{` — either a wrapper page (`{"value":[...]}` from Graph, `{"records":[...]}` from Azure Monitor)
//!   whose array elements are the records, or a record itself: one object per line (JSON Lines) or
//!   pretty-printed objects one after another;
//! * anything else — CSV with a header row (Log Analytics / Sentinel / portal exports);
//! * `<`, the EVTX magic, gzip magic — not handled here; rejected once for the whole source.
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
    /// One CSV record (the header row included: the first CSV frame of a source is its header).
    Csv,
    /// Bytes that could not be framed as a record; the `&'static str` is the reason.
    Reject(&'static str),
}

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
    Unsupported(Unsupported),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
enum Unsupported {
    Xml,
    Evtx,
    Gzip,
}

impl Unsupported {
    fn reason(self) -> &'static str {
        match self {
            Unsupported::Xml => "XML input is not supported yet (source skipped)",
            Unsupported::Evtx => "EVTX input is not supported yet (source skipped)",
            Unsupported::Gzip => {
                "gzip-compressed input must be decompressed by the host (source skipped)"
            }
        }
    }
}

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
}

const KEY_CAP: usize = 16;
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
            key: Vec::new(),
            key_capture: false,
            skip_elem: false,
            jsonl: false,
            junk: false,
            junk_line: 0,
            in_quotes: false,
            sniff: Vec::new(),
        }
    }

    /// Feed a chunk; complete records are passed to `sink` in input order.
    pub fn push(&mut self, data: &[u8], sink: &mut dyn FnMut(Frame<'_>)) {
        let mut i = 0;
        while i < data.len() {
            match self.format {
                Format::Detect => {
                    i += self.detect(&data[i..], sink);
                }
                Format::Json => {
                    for &b in &data[i..] {
                        self.json_byte(b, sink);
                        if b == b'\n' {
                            self.line += 1;
                        }
                    }
                    return;
                }
                Format::Csv => {
                    self.csv_bytes(&data[i..], sink);
                    return;
                }
                Format::Unsupported(_) => return,
            }
        }
    }

    /// End of the source: emit or reject whatever is left.
    pub fn finish(&mut self, sink: &mut dyn FnMut(Frame<'_>)) {
        match self.format {
            Format::Detect if !self.sniff.is_empty() => {
                self.decide(sink);
                return self.finish(sink);
            }
            Format::Detect => {}
            Format::Unsupported(u) => sink(Frame {
                kind: FrameKind::Reject(u.reason()),
                line: 1,
                bytes: &[],
            }),
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
    fn detect(&mut self, data: &[u8], sink: &mut dyn FnMut(Frame<'_>)) -> usize {
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
    fn decide(&mut self, sink: &mut dyn FnMut(Frame<'_>)) {
        let head = std::mem::take(&mut self.sniff);
        self.format = if head.starts_with(b"<") {
            Format::Unsupported(Unsupported::Xml)
        } else if head.starts_with(&[0x1f, 0x8b]) {
            Format::Unsupported(Unsupported::Gzip)
        } else if head.starts_with(b"ElfFile") {
            Format::Unsupported(Unsupported::Evtx)
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
        self.recording = false;
        self.oversize = false;
        self.skip_elem = false;
        self.key_capture = false;
        self.buf.clear();
    }

    fn start_record(&mut self) {
        self.recording = true;
        self.oversize = false;
        self.rec_line = self.line;
        self.buf.clear();
    }

    #[inline]
    fn record_byte(&mut self, b: u8, sink: &mut dyn FnMut(Frame<'_>)) {
        if self.recording {
            if self.buf.len() >= self.max_record {
                self.recording = false;
                self.oversize = true;
                self.buf = Vec::new();
                sink(Frame {
                    kind: FrameKind::Reject("record larger than limits.max_record_bytes"),
                    line: self.rec_line,
                    bytes: &[],
                });
            } else {
                self.buf.push(b);
            }
        }
    }

    fn json_byte(&mut self, b: u8, sink: &mut dyn FnMut(Frame<'_>)) {
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
            self.record_byte(b, sink);
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
                if self.depth == 1 && self.top == Top::Object {
                    self.key_capture = true;
                    self.key.clear();
                }
                self.scalar_at_record_depth(sink);
                self.record_byte(b, sink);
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
                    && (self.key == b"value" || self.key == b"records")
                {
                    self.top = Top::Wrapper;
                    self.record_depth = 2;
                    self.in_wrapper_array = true;
                    self.recording = false;
                    self.buf.clear();
                } else if self.depth == 1 && self.top == Top::Wrapper && b == b'[' {
                    self.in_wrapper_array = self.key == b"value" || self.key == b"records";
                }
                self.depth += 1;
                self.record_byte(b, sink);
            }
            b'}' | b']' => {
                if self.depth == 0 {
                    self.junk = true;
                    self.junk_line = self.line;
                    return;
                }
                self.depth -= 1;
                self.record_byte(b, sink);
                if self.depth == self.record_depth {
                    self.skip_elem = false;
                    if self.recording {
                        self.recording = false;
                        if self.record_depth == 0 && self.rec_line == self.line {
                            self.jsonl = true;
                        }
                        sink(Frame {
                            kind: FrameKind::Json,
                            line: self.rec_line,
                            bytes: &self.buf,
                        });
                        self.buf.clear();
                    }
                }
                if self.depth == 1 && self.top == Top::Wrapper {
                    self.in_wrapper_array = false;
                }
                if self.depth == 0 {
                    self.top = Top::None;
                    self.record_depth = 0;
                    self.in_wrapper_array = false;
                }
            }
            b' ' | b'\t' | b'\r' | b'\n' | b':' => self.record_byte(b, sink),
            b',' => {
                if self.depth == self.record_depth {
                    self.skip_elem = false;
                }
                self.record_byte(b, sink);
            }
            _ => {
                if self.depth == 0 {
                    self.junk = true;
                    self.junk_line = self.line;
                    return;
                }
                self.scalar_at_record_depth(sink);
                self.record_byte(b, sink);
            }
        }
    }

    /// A scalar where a record object was expected (`[1, "x"]`): reject it once.
    fn scalar_at_record_depth(&mut self, sink: &mut dyn FnMut(Frame<'_>)) {
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

    fn csv_bytes(&mut self, data: &[u8], sink: &mut dyn FnMut(Frame<'_>)) {
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

    fn append_csv(&mut self, part: &[u8], sink: &mut dyn FnMut(Frame<'_>)) {
        if self.oversize {
            return;
        }
        if self.buf.len() + part.len() > self.max_record {
            self.oversize = true;
            self.buf = Vec::new();
            sink(Frame {
                kind: FrameKind::Reject("record larger than limits.max_record_bytes"),
                line: self.rec_line,
                bytes: &[],
            });
            return;
        }
        self.buf.extend_from_slice(part);
    }

    fn emit_csv(&mut self, sink: &mut dyn FnMut(Frame<'_>)) {
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

#[cfg(test)]
mod tests {
    use super::*;

    fn frames(input: &[u8], split: usize) -> Vec<(String, u64, String)> {
        let mut f = Framer::new(1 << 20);
        let mut out = Vec::new();
        let mut sink = |fr: Frame<'_>| {
            let kind = match fr.kind {
                FrameKind::Json => "json".to_string(),
                FrameKind::Csv => "csv".to_string(),
                FrameKind::Reject(r) => format!("reject: {r}"),
            };
            out.push((
                kind,
                fr.line,
                String::from_utf8_lossy(fr.bytes).into_owned(),
            ));
        };
        for c in input.chunks(split.max(1)) {
            f.push(c, &mut sink);
        }
        f.finish(&mut sink);
        out
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
        assert_eq!(all_splits(b"<Events></Events>").len(), 1);
        assert_eq!(all_splits(b"ElfFile\0\0\0").len(), 1);
        assert_eq!(all_splits(b"\x1f\x8b\x08\0").len(), 1);
        assert!(all_splits(b"  \n\n ").is_empty());
    }

    #[test]
    fn oversize_record_rejected_and_next_kept() {
        let mut f = Framer::new(1024);
        let mut out = Vec::new();
        let big = format!("{{\"a\":\"{}\"}}\n{{\"b\":1}}\n", "x".repeat(5000));
        f.push(big.as_bytes(), &mut |fr| out.push((fr.kind, fr.line)));
        f.finish(&mut |fr| out.push((fr.kind, fr.line)));
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
