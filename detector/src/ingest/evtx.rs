//! EVTX chunks into events: a BinXML reader of its own, for the fields a logon event needs.
//!
//! The framer hands over each 64 KiB chunk as soon as it is complete, so an `.evtx` file of any size
//! streams in constant memory. Each chunk's records are walked as the format lays them out (chunk
//! header, then `**\0\0` records from offset 0x200 to the free space or the chunk's last record id)
//! and each record's BinXML is expanded into a small element tree: template instances (definitions
//! inline or earlier in the chunk), substitutions (typed values rendered to text the way Windows and
//! the `evtx` crate render them: decimal integers, `0x…` lower-case hex, `{guid}`, `S-1-…` SIDs,
//! FILETIME/SYSTEMTIME as `YYYY-MM-DDThh:mm:ss.fffffffZ`), and nested BinXML values (`UserData`).
//! The tree becomes one [`WinRecord`] exactly as the event's XML would (see [`super::windows`]).
//!
//! A hand-written reader instead of the `evtx` crate: the crate's parser and renderers were about
//! half of the core `.wasm` (≈ 480 KiB of 783 KiB gzipped) and needed a random-number shim for its
//! hash maps; this reader is a few KiB. The crate stays a dev-dependency: a test reads every sample
//! EVTX with both and requires the same records, fields and values.
//!
//! Errors: a chunk without the `ElfChnk` magic is rejected once, naming the chunk; a record that
//! cannot be read is rejected with its ordinal and why, and the walk resynchronises on the next
//! record of the chunk (a record magic whose id is in the chunk's id range). Empty (all-zero) chunks
//! are skipped. Hostile input is bounded: nesting depth and tokens per record are capped.
//!
//! Records are numbered 1, 2, … in file order: for EVTX the "line" of a record (in errors and
//! evidence) is that ordinal; the evidence's `RecordId` is the EventRecordID.
//!
//! NOTE: chunks are read in file order. A log that has wrapped around keeps its newest chunks at the
//! start of the file, so their records arrive before older ones: a scan of files sorts them
//! ([`crate::offline`]); live input processes records beyond the lateness tolerance as late events
//! (counted in `late_events`).
//! NOTE: ANSI string values (rare in Security logs) are decoded as Latin-1, not the code page.

use std::fmt::Write as _;

use rustc_hash::FxHashMap;

use super::windows::WinRecord;

const CHUNK_HEADER: usize = 0x200;
const RECORD_HEADER: usize = 24;
const RECORD_MAGIC: &[u8; 4] = b"\x2a\x2a\x00\x00";
/// Template instances and BinXML values nested deeper than this are rejected.
const MAX_DEPTH: u32 = 16;
/// Tokens one record may expand to (templates can be instantiated many times over).
const MAX_TOKENS: u32 = 200_000;

/// A chunk's record: its EventRecordID and fields, or why it could not be read (a reason for the
/// statistics, and the details).
pub(crate) type ChunkRecord = Result<(u64, WinRecord), (&'static str, String)>;

/// Decode one chunk; `ordinal` is the number of records of this file seen before it. Each record
/// goes to `out` with its ordinal in the file (its "line").
pub(crate) fn decode_chunk(
    bytes: &[u8],
    chunk_no: u64,
    ordinal: &mut u64,
    out: &mut dyn FnMut(u64, ChunkRecord),
) {
    if bytes.iter().all(|&b| b == 0) {
        return;
    }
    let header = match ChunkHeader::read(bytes) {
        Ok(h) => h,
        Err(e) => {
            out(
                *ordinal + 1,
                Err((
                    "invalid EVTX chunk",
                    format!("chunk {chunk_no}: {e} (its records are lost)"),
                )),
            );
            return;
        }
    };
    read_records(bytes, &header, |rec| {
        *ordinal += 1;
        let r = match rec {
            Ok((id, Ok(r))) => Ok((id, r)),
            Ok((id, Err(e))) => Err((
                "invalid EVTX record",
                format!("chunk {chunk_no}: record {id}: {e}"),
            )),
            Err((offset, e)) => Err((
                "invalid EVTX record",
                format!("chunk {chunk_no}: record at offset {offset:#x}: {e}"),
            )),
        };
        out(*ordinal, r);
    });
}

/// One record of a chunk: its id and fields (or why its BinXML could not be read), or, for a record
/// that cannot even be located, its offset and why.
type RecordResult = Result<(u64, Result<WinRecord, String>), (usize, String)>;

/// Walk a chunk's records in order: from 0x200 to the free space or the chunk's last record id;
/// after a record that cannot be located, on from the next live one (zeroes with nothing live after
/// them are where the free space really starts).
fn read_records(bytes: &[u8], header: &ChunkHeader, mut each: impl FnMut(RecordResult)) {
    let mut reader = Reader::new(bytes);
    let live_end = (header.free_space as usize).min(bytes.len());
    let mut at = Some(CHUNK_HEADER);
    while let Some(offset) = at.filter(|&o| o < live_end) {
        match record_at(bytes, offset) {
            Ok(rec) => {
                at = (rec.id != header.last_id).then_some(rec.end);
                each(Ok((rec.id, reader.record(rec.binxml.clone()))));
            }
            Err(e) => {
                let next = find_live_record(bytes, header, offset + 1, live_end);
                if next.is_none()
                    && bytes[offset..live_end.min(offset + 4)]
                        .iter()
                        .all(|&b| b == 0)
                {
                    break;
                }
                each(Err((offset, e)));
                at = next;
            }
        }
    }
}

struct ChunkHeader {
    first_id: u64,
    last_id: u64,
    last_offset: u32,
    free_space: u32,
}

impl ChunkHeader {
    fn read(b: &[u8]) -> Result<ChunkHeader, String> {
        if b.len() < CHUNK_HEADER {
            return Err(format!("{} bytes, shorter than a chunk header", b.len()));
        }
        if &b[..8] != b"ElfChnk\0" {
            return Err(format!("bad chunk magic {:02x?}", &b[..8]));
        }
        Ok(ChunkHeader {
            first_id: le_u64(b, 0x18),
            last_id: le_u64(b, 0x20),
            last_offset: le_u32(b, 0x2c),
            free_space: le_u32(b, 0x30),
        })
    }
}

struct RawRecord {
    id: u64,
    binxml: std::ops::Range<usize>,
    end: usize,
}

fn le_u32(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"))
}
fn le_u64(b: &[u8], at: usize) -> u64 {
    u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"))
}

/// The record starting at `offset`: magic, size (header + BinXML + its trailing copy), id.
fn record_at(chunk: &[u8], offset: usize) -> Result<RawRecord, String> {
    let Some(h) = chunk.get(offset..offset + RECORD_HEADER) else {
        return Err("truncated record header".into());
    };
    if &h[..4] != RECORD_MAGIC {
        return Err(format!("bad record magic {:02x?}", &h[..4]));
    }
    let size = le_u32(h, 4) as usize;
    if size < RECORD_HEADER + 4 || offset + size > chunk.len() {
        return Err(format!("record size {size} out of bounds"));
    }
    Ok(RawRecord {
        id: le_u64(h, 8),
        binxml: offset + RECORD_HEADER..offset + size - 4,
        end: offset + size,
    })
}

/// The next record at or after `from` whose size copy checks out and whose id is the chunk's.
fn find_live_record(chunk: &[u8], h: &ChunkHeader, mut from: usize, end: usize) -> Option<usize> {
    let search_end = end.min(h.last_offset as usize + 4);
    while from < search_end {
        let pos = from + memchr::memmem::find(&chunk[from..search_end], RECORD_MAGIC)?;
        if let Ok(r) = record_at(chunk, pos)
            && r.end <= end
            && chunk.get(r.end - 4..r.end).map(|s| le_u32(s, 0) as usize) == Some(r.end - pos)
            && (h.first_id..=h.last_id).contains(&r.id)
        {
            return Some(pos);
        }
        from = pos + 1;
    }
    None
}

/// One element of a record's tree. Names are chunk offsets of the chunk's name strings.
///
/// Nodes (and their texts and lists) are reused from one record to the next: a record's tree was
/// a hundred or so allocations, a quarter of reading an EVTX file (`native --reader-only` on the
/// EVTX benchmark folder, malloc and free 25 % of samples).
#[derive(Debug, Default)]
struct Node {
    name: u32,
    /// The first `n_attrs` are this record's; the rest are kept for their capacity.
    attrs: Vec<(u32, String)>,
    n_attrs: usize,
    text: String,
    children: Vec<usize>,
}

impl Node {
    fn attrs(&self) -> &[(u32, String)] {
        &self.attrs[..self.n_attrs]
    }
}

/// A substitution value: its type and its bytes' place in the chunk.
#[derive(Clone, Copy)]
struct Value {
    ty: u8,
    at: usize,
    len: usize,
}

struct Reader<'c> {
    chunk: &'c [u8],
    names: FxHashMap<u32, String>,
    /// The record's tree is `nodes[..used]`.
    nodes: Vec<Node>,
    used: usize,
    stack: Vec<usize>,
    /// The attribute of the top element a value goes to (between an attribute token and the next).
    attr: Option<usize>,
    tokens: u32,
}

/// A position in the chunk, bounds-checked.
struct Cur<'c> {
    d: &'c [u8],
    p: usize,
    end: usize,
}

/// The error for a read past the end (kept out of the readers' fast path: in the module the
/// readers were not inlined because of it, 12 % of reading an EVTX file).
#[cold]
#[inline(never)]
fn truncated(what: &str, at: usize) -> String {
    format!("truncated {what} at offset {at:#x}")
}

impl<'c> Cur<'c> {
    #[inline(always)]
    fn take(&mut self, n: usize, what: &str) -> Result<&'c [u8], String> {
        match self.d.get(self.p..self.p + n) {
            Some(s) if self.p + n <= self.end => {
                self.p += n;
                Ok(s)
            }
            _ => Err(truncated(what, self.p)),
        }
    }
    #[inline(always)]
    fn u8(&mut self, what: &str) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }
    #[inline(always)]
    fn u16(&mut self, what: &str) -> Result<u16, String> {
        let b = self.take(2, what)?;
        Ok(u16::from_le_bytes([b[0], b[1]]))
    }
    #[inline(always)]
    fn u32(&mut self, what: &str) -> Result<u32, String> {
        let b = self.take(4, what)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }
}

impl<'c> Reader<'c> {
    fn new(chunk: &'c [u8]) -> Reader<'c> {
        Reader {
            chunk,
            names: FxHashMap::default(),
            nodes: Vec::new(),
            used: 0,
            stack: Vec::new(),
            attr: None,
            tokens: 0,
        }
    }

    /// Expand one record's BinXML and read its fields.
    fn record(&mut self, binxml: std::ops::Range<usize>) -> Result<WinRecord, String> {
        self.used = 0;
        self.stack.clear();
        self.attr = None;
        self.tokens = 0;
        self.walk(binxml.start, binxml.end, false, &[], 0)?;
        if self.used == 0 {
            return Err("no element in the record".into());
        }
        Ok(self.read_fields())
    }

    /// Walk the token stream in `start..end`; `in_template`: element tokens carry a dependency id.
    fn walk(
        &mut self,
        start: usize,
        end: usize,
        in_template: bool,
        subs: &[Value],
        depth: u32,
    ) -> Result<(), String> {
        if depth > MAX_DEPTH {
            return Err("BinXML nested too deeply".into());
        }
        let mut c = Cur {
            d: self.chunk,
            p: start,
            end: end.min(self.chunk.len()),
        };
        while c.p < c.end {
            self.tokens += 1;
            if self.tokens > MAX_TOKENS {
                return Err(format!("record expands to more than {MAX_TOKENS} tokens"));
            }
            let at = c.p;
            let token = c.u8("token")?;
            match token {
                0x00 => break,
                0x0f => {
                    c.take(3, "fragment header")?;
                }
                0x0c => self.template_instance(&mut c, depth)?,
                0x01 | 0x41 => {
                    if in_template {
                        c.u16("dependency id")?;
                    }
                    c.u32("element size")?;
                    let name = self.name_ref(&mut c)?;
                    if token & 0x40 != 0 {
                        c.u32("attribute list size")?;
                    }
                    if self.stack.len() >= 64 {
                        return Err("elements nested too deeply".into());
                    }
                    // Resolved now so reading the tree later needs no lookups; a name that
                    // cannot be read stays empty, as before.
                    let _ = self.name(name);
                    let idx = self.used;
                    if idx == self.nodes.len() {
                        self.nodes.push(Node::default());
                    }
                    self.used += 1;
                    let n = &mut self.nodes[idx];
                    n.name = name;
                    n.n_attrs = 0;
                    n.text.clear();
                    n.children.clear();
                    if let Some(&parent) = self.stack.last() {
                        self.nodes[parent].children.push(idx);
                    } else if idx != 0 {
                        // A second top-level element: keep it out of the record's tree.
                        self.nodes[idx].name = u32::MAX;
                    }
                    self.stack.push(idx);
                    self.attr = None;
                }
                0x02 => self.attr = None,
                0x03 | 0x04 => {
                    self.attr = None;
                    self.stack.pop();
                }
                0x06 | 0x46 => {
                    let name = self.name_ref(&mut c)?;
                    let _ = self.name(name);
                    let top = *self
                        .stack
                        .last()
                        .ok_or_else(|| format!("attribute outside an element at {at:#x}"))?;
                    let n = &mut self.nodes[top];
                    if n.n_attrs < n.attrs.len() {
                        n.attrs[n.n_attrs].0 = name;
                        n.attrs[n.n_attrs].1.clear();
                    } else {
                        n.attrs.push((name, String::new()));
                    }
                    n.n_attrs += 1;
                    self.attr = Some(n.n_attrs - 1);
                }
                0x05 | 0x45 => {
                    let ty = c.u8("value type")?;
                    let len = match ty {
                        0x01 => usize::from(c.u16("string length")?) * 2,
                        0x04 | 0x03 => 1,
                        0x05 | 0x06 => 2,
                        0x07 | 0x08 | 0x14 => 4,
                        0x09 | 0x0a | 0x15 | 0x11 => 8,
                        _ => return Err(format!("unsupported literal value type {ty:#04x}")),
                    };
                    let v = Value { ty, at: c.p, len };
                    c.take(len, "value")?;
                    self.text(v, depth)?;
                }
                0x0d | 0x0e => {
                    let id = c.u16("substitution id")?;
                    c.u8("substitution type")?;
                    if let Some(&v) = subs.get(usize::from(id)) {
                        self.text(v, depth)?;
                    } else if token == 0x0d {
                        return Err(format!("substitution {id} of {} at {at:#x}", subs.len()));
                    }
                }
                0x07 | 0x47 => {
                    let n = usize::from(c.u16("CDATA length")?) * 2;
                    let at = c.p;
                    c.take(n, "CDATA")?;
                    self.text(
                        Value {
                            ty: 0x01,
                            at,
                            len: n,
                        },
                        depth,
                    )?;
                }
                0x08 | 0x48 => {
                    let ch = c.u16("character reference")?;
                    let s = char::from_u32(u32::from(ch))
                        .unwrap_or('\u{fffd}')
                        .to_string();
                    self.push_text(&s);
                }
                0x09 | 0x49 => {
                    let name = self.name_ref(&mut c)?;
                    let s = match self.name(name)?.as_str() {
                        "amp" => "&",
                        "lt" => "<",
                        "gt" => ">",
                        "quot" => "\"",
                        "apos" => "'",
                        _ => "",
                    };
                    self.push_text(s);
                }
                0x0a => {
                    self.name_ref(&mut c)?;
                }
                0x0b => {
                    let n = usize::from(c.u16("PI data length")?) * 2;
                    c.take(n, "PI data")?;
                }
                other => return Err(format!("invalid BinXML token {other:#04x} at {at:#x}")),
            }
        }
        Ok(())
    }

    /// A template instance: the definition (inline, or earlier in the chunk) and its values.
    fn template_instance(&mut self, c: &mut Cur<'c>, depth: u32) -> Result<(), String> {
        c.u8("template instance")?;
        c.u32("template id")?;
        let def = c.u32("template offset")? as usize;
        let body_len = if def == c.p {
            c.take(20, "template header")?;
            let n = c.u32("template size")? as usize;
            c.take(n, "template definition")?;
            n
        } else {
            let h = self
                .chunk
                .get(def..def + 24)
                .ok_or_else(|| format!("template at {def:#x} outside the chunk"))?;
            le_u32(h, 20) as usize
        };
        let body = def + 24;
        let count = c.u32("substitution count")? as usize;
        if count > 4096 {
            return Err(format!("{count} substitutions"));
        }
        let desc = c.take(count * 4, "substitution descriptors")?;
        let mut values = Vec::with_capacity(count);
        for d in desc.chunks_exact(4) {
            let len = usize::from(u16::from_le_bytes([d[0], d[1]]));
            let at = c.p;
            c.take(len, "substitution value")?;
            values.push(Value { ty: d[2], at, len });
        }
        self.walk(body, body + body_len, true, &values, depth + 1)
    }

    /// A name reference: its chunk offset; an inline name (at the reference) is skipped.
    fn name_ref(&mut self, c: &mut Cur<'c>) -> Result<u32, String> {
        let off = c.u32("name offset")?;
        if off as usize == c.p {
            c.take(6, "name header")?;
            let n = usize::from(c.u16("name length")?);
            c.take(n * 2 + 2, "name")?;
        }
        Ok(off)
    }

    /// The name at a chunk offset (cached per chunk).
    fn name(&mut self, off: u32) -> Result<&String, String> {
        if !self.names.contains_key(&off) {
            let at = off as usize;
            let n = self
                .chunk
                .get(at + 6..at + 8)
                .map(|b| usize::from(u16::from_le_bytes([b[0], b[1]])))
                .ok_or_else(|| format!("name at {at:#x} outside the chunk"))?;
            let units = self
                .chunk
                .get(at + 8..at + 8 + n * 2)
                .ok_or_else(|| format!("name at {at:#x} outside the chunk"))?;
            self.names.insert(off, utf16(units));
        }
        Ok(&self.names[&off])
    }

    fn push_text(&mut self, s: &str) {
        if let Some(t) = self.target() {
            t.push_str(s);
        }
    }

    /// Where text goes: the current attribute's value or the top element's text.
    fn target(&mut self) -> Option<&mut String> {
        let &top = self.stack.last()?;
        let node = &mut self.nodes[top];
        Some(match self.attr {
            Some(a) => &mut node.attrs[a].1,
            None => &mut node.text,
        })
    }

    /// A value's text into the current attribute or element; nested BinXML is expanded in place.
    fn text(&mut self, v: Value, depth: u32) -> Result<(), String> {
        if v.ty == 0x21 {
            let saved = self.attr.take();
            self.walk(v.at, v.at + v.len, false, &[], depth + 1)?;
            self.attr = saved;
            return Ok(());
        }
        let chunk = self.chunk;
        if let Some(t) = self.target() {
            render(v.ty, &chunk[v.at..v.at + v.len], t);
        }
        Ok(())
    }

    /// The record's fields, read from the tree as from the event's XML.
    fn read_fields(&self) -> WinRecord {
        let mut r = WinRecord::default();
        // A logon event has about twenty data items: one allocation, not five rehashes.
        r.data.reserve(24);
        for &sys in &self.nodes[0].children {
            match self.name_of(sys) {
                "System" => {
                    for &f in &self.nodes[sys].children {
                        let n = &self.nodes[f];
                        match self.name_of(f) {
                            "EventID" => r.event_id = super::normalize::parse_u32(&n.text),
                            "EventRecordID" => r.record_id = Some(n.text.trim().to_string()),
                            "Computer" => r.computer = Some(n.text.trim().to_string()),
                            "TimeCreated" => {
                                for (a, v) in n.attrs() {
                                    if self.name_at(*a) == "SystemTime" {
                                        r.time = Some(v.clone());
                                    }
                                }
                            }
                            _ => {}
                        }
                    }
                }
                "EventData" => self.event_data(&mut r, sys, false),
                "UserData" => self.event_data(&mut r, sys, true),
                _ => {}
            }
        }
        r
    }

    /// `Data Name="X"` items and other children by element name; `UserData` one level down.
    fn event_data(&self, r: &mut WinRecord, at: usize, user_data: bool) {
        for &child in &self.nodes[at].children {
            let name = self.name_of(child);
            let n = &self.nodes[child];
            let structured = !n.children.is_empty() || n.n_attrs > 0;
            if name == "Data" {
                for (a, v) in n.attrs() {
                    if self.name_at(*a) == "Name" && !n.text.is_empty() {
                        r.data
                            .entry(v.to_ascii_lowercase())
                            .or_insert_with(|| n.text.clone());
                    }
                }
            } else if user_data && structured {
                self.event_data(r, child, false);
            } else if !n.text.is_empty() && n.children.is_empty() {
                r.data
                    .entry(name.to_ascii_lowercase())
                    .or_insert_with(|| n.text.clone());
            }
        }
    }

    /// A node's name (resolved while the tree was built; empty when it could not be read).
    fn name_of(&self, node: usize) -> &str {
        self.name_at(self.nodes[node].name)
    }
    fn name_at(&self, off: u32) -> &str {
        self.names.get(&off).map_or("", String::as_str)
    }
}

/// UTF-16LE to text, stopping at a NUL unit; unpaired surrogates become U+FFFD.
fn utf16(b: &[u8]) -> String {
    let mut s = String::new();
    utf16_into(b, &mut s);
    s
}

/// [`utf16`] appended to `out`; ASCII (nearly every value of a Security log) copied unit by unit,
/// decoding only from the first unit that is not.
fn utf16_into(b: &[u8], out: &mut String) {
    out.reserve(b.len() / 2);
    let mut ascii = [0u8; 64];
    let mut n = 0;
    let mut i = 0;
    while let [lo, hi] = b[i..b.len().min(i + 2)] {
        if hi != 0 || lo >= 0x80 || lo == 0 {
            break;
        }
        ascii[n] = lo;
        n += 1;
        i += 2;
        if n == ascii.len() {
            out.push_str(std::str::from_utf8(&ascii).expect("ASCII"));
            n = 0;
        }
    }
    out.push_str(std::str::from_utf8(&ascii[..n]).expect("ASCII"));
    let units = b[i..]
        .chunks_exact(2)
        .map(|u| u16::from_le_bytes([u[0], u[1]]))
        .take_while(|&u| u != 0);
    out.extend(char::decode_utf16(units).map(|c| c.unwrap_or('\u{fffd}')));
}

/// A typed value as text, the way Windows (and the `evtx` crate) render it. Arrays, handles and
/// unknown types render as nothing (an exported event's XML lists them, a logon never needs them).
fn render(ty: u8, b: &[u8], out: &mut String) {
    // Integers through `itoa` (the formatting machinery was 5 % of reading an EVTX file).
    macro_rules! int {
        ($t:ty) => {
            if let Ok(a) = b.try_into() {
                out.push_str(itoa::Buffer::new().format(<$t>::from_le_bytes(a)));
            }
        };
    }
    macro_rules! float {
        ($t:ty) => {
            if let Ok(a) = b.try_into() {
                out.push_str(&super::flex::float_text(<$t>::from_le_bytes(a)));
            }
        };
    }
    match ty {
        0x01 => utf16_into(b, out),
        0x02 => out.extend(b.iter().filter(|&&c| c != 0).map(|&c| char::from(c))),
        0x03 => int!(i8),
        0x04 => int!(u8),
        0x05 => int!(i16),
        0x06 => int!(u16),
        0x07 => int!(i32),
        0x08 => int!(u32),
        0x09 => int!(i64),
        0x0a => int!(u64),
        0x0b => float!(f32),
        0x0c => float!(f64),
        0x0d => {
            if let Ok(a) = b.try_into() {
                match i32::from_le_bytes(a) {
                    0 => out.push_str("false"),
                    1 => out.push_str("true"),
                    n => {
                        let _ = write!(out, "{n}");
                    }
                }
            }
        }
        0x0e => {
            for x in b {
                let _ = write!(out, "{x:02X}");
            }
        }
        0x0f if b.len() == 16 => {
            let _ = write!(
                out,
                "{{{:08x}-{:04x}-{:04x}-{:02x}{:02x}-{}}}",
                u32::from_le_bytes([b[0], b[1], b[2], b[3]]),
                u16::from_le_bytes([b[4], b[5]]),
                u16::from_le_bytes([b[6], b[7]]),
                b[8],
                b[9],
                b[10..16]
                    .iter()
                    .map(|x| format!("{x:02x}"))
                    .collect::<String>()
            );
        }
        0x10 | 0x14 | 0x15 => match b.len() {
            4 => hex(u64::from(u32::from_le_bytes(b.try_into().expect("4"))), out),
            8 => hex(u64::from_le_bytes(b.try_into().expect("8")), out),
            _ => {}
        },
        0x11 if b.len() == 8 => filetime(u64::from_le_bytes(b.try_into().expect("8")), out),
        0x12 if b.len() == 16 => {
            let w = |i: usize| u32::from(u16::from_le_bytes([b[2 * i], b[2 * i + 1]]));
            let (y, mo, d, h, mi, s, ms) = (w(0), w(1), w(3), w(4), w(5), w(6), w(7));
            let _ = write!(
                out,
                "{:04}-{mo:02}-{d:02}T{h:02}:{mi:02}:{s:02}.{:07}Z",
                y % 10_000,
                ms * 10_000
            );
        }
        0x13 if b.len() >= 8 => {
            let auth = u64::from_be_bytes([0, 0, b[2], b[3], b[4], b[5], b[6], b[7]]);
            let _ = write!(out, "S-{}-{auth}", b[0]);
            for sub in b[8..].chunks_exact(4).take(usize::from(b[1])) {
                let _ = write!(out, "-{}", u32::from_le_bytes(sub.try_into().expect("4")));
            }
        }
        _ => {}
    }
}

/// `0x` and the lower-case hex digits of `v` (no leading zeros).
fn hex(v: u64, out: &mut String) {
    const HEX: &[u8; 16] = b"0123456789abcdef";
    let mut t = [0u8; 18];
    let mut at = t.len();
    let mut v = v;
    loop {
        at -= 1;
        t[at] = HEX[(v & 15) as usize];
        v >>= 4;
        if v == 0 {
            break;
        }
    }
    t[at - 2] = b'0';
    t[at - 1] = b'x';
    out.push_str(std::str::from_utf8(&t[at - 2..]).expect("ASCII"));
}

/// A FILETIME (100 ns ticks since 1601-01-01) as `YYYY-MM-DDThh:mm:ss.fffffffZ`.
fn filetime(ft: u64, out: &mut String) {
    const TICKS_PER_DAY: u64 = 864_000_000_000;
    if ft > i64::MAX as u64 {
        out.push_str("0000-00-00T00:00:00.0000000Z");
        return;
    }
    let (days, ticks) = (ft / TICKS_PER_DAY, ft % TICKS_PER_DAY);
    // Howard Hinnant's civil_from_days, counting from 0000-03-01 (584,694 days before 1601-01-01).
    let z = days + 584_694;
    let (era, doe) = (z / 146_097, z % 146_097);
    let yoe = (doe - doe / 1_460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = (era * 400 + yoe + u64::from(month <= 2)) % 10_000;
    let secs = ticks / 10_000_000;
    // Digits written by hand: `write!` with padding was 5 % of reading an EVTX file in the module.
    let mut t = *b"0000-00-00T00:00:00.0000000Z";
    let mut put = |at: usize, width: usize, mut v: u64| {
        for i in (at..at + width).rev() {
            t[i] = b'0' + (v % 10) as u8;
            v /= 10;
        }
    };
    put(0, 4, year);
    put(5, 2, month);
    put(8, 2, day);
    put(11, 2, secs / 3600);
    put(14, 2, secs / 60 % 60);
    put(17, 2, secs % 60);
    put(20, 7, ticks % 10_000_000);
    out.push_str(std::str::from_utf8(&t).expect("ASCII"));
}

#[cfg(test)]
mod tests {
    use super::*;

    /// UTF-16 text: ASCII copied, the rest decoded from the first unit that is not ASCII, a NUL
    /// ends it, unpaired surrogates become U+FFFD, an odd last byte is dropped.
    #[test]
    fn utf16_text_as_the_standard_decoder_gives_it() {
        let enc = |s: &str| {
            s.encode_utf16()
                .flat_map(u16::to_le_bytes)
                .collect::<Vec<u8>>()
        };
        let long = "x".repeat(200) + "é" + &"y".repeat(70);
        for s in ["", "abc", "é", "aé€b", "ab\0cd", "S-1-5-18", long.as_str()] {
            let want: String = s.split('\0').next().unwrap().to_string();
            assert_eq!(utf16(&enc(s)), want, "{s:?}");
        }
        let mut odd = enc("abc");
        odd.push(b'z');
        assert_eq!(utf16(&odd), "abc");
        assert_eq!(utf16(&[0x00, 0xd8, 0x41, 0x00]), "\u{fffd}A");
        let mut out = String::from("pre:");
        utf16_into(&enc("ok"), &mut out);
        assert_eq!(out, "pre:ok");
    }

    #[test]
    fn renders_values_as_windows_does() {
        let cases: &[(u8, &[u8], &str)] = &[
            (0x08, &3u32.to_le_bytes(), "3"),
            (0x14, &0xc000006au32.to_le_bytes(), "0xc000006a"),
            (0x15, &0x1f2u64.to_le_bytes(), "0x1f2"),
            (0x0d, &1i32.to_le_bytes(), "true"),
            (0x0d, &7i32.to_le_bytes(), "7"),
            (0x0e, &[0xab, 0x01], "AB01"),
            (
                0x13,
                &[1, 2, 0, 0, 0, 0, 0, 5, 32, 0, 0, 0, 0x20, 2, 0, 0],
                "S-1-5-32-544",
            ),
            (
                0x0f,
                &[
                    0x33, 0x22, 0x11, 0x00, 0x55, 0x44, 0x77, 0x66, 0x88, 0x99, 0xaa, 0xbb, 0xcc,
                    0xdd, 0xee, 0xff,
                ],
                "{00112233-4455-6677-8899-aabbccddeeff}",
            ),
            (
                0x11,
                &132_130_656_000_000_000u64.to_le_bytes(),
                "2019-09-16T00:00:00.0000000Z",
            ),
            (0x01, &[b'h', 0, b'i', 0, 0, 0, b'x', 0], "hi"),
        ];
        for (ty, bytes, want) in cases {
            let mut s = String::new();
            render(*ty, bytes, &mut s);
            assert_eq!(&s, want, "type {ty:#x}");
        }
    }

    #[test]
    fn garbage_chunks_are_rejected_not_panicking() {
        let mut chunk = vec![0u8; 65536];
        chunk[..8].copy_from_slice(b"ElfChnk\0");
        chunk[0x30..0x34].copy_from_slice(&65536u32.to_le_bytes());
        // A record whose BinXML is a template instance pointing outside the chunk.
        let rec = 0x200;
        chunk[rec..rec + 4].copy_from_slice(RECORD_MAGIC);
        chunk[rec + 4..rec + 8].copy_from_slice(&64u32.to_le_bytes());
        chunk[rec + 24..rec + 30].copy_from_slice(&[0x0c, 0x01, 0, 0, 0, 0]);
        chunk[rec + 30..rec + 34].copy_from_slice(&0xfffff0u32.to_le_bytes());
        chunk[rec + 60..rec + 64].copy_from_slice(&64u32.to_le_bytes());
        let mut seen = Vec::new();
        let mut n = 0;
        decode_chunk(&chunk, 0, &mut n, &mut |line, d| {
            seen.push((line, format!("{d:?}")))
        });
        assert_eq!(seen.len(), 1, "{seen:?}");
        assert!(seen[0].1.contains("outside the chunk"), "{seen:?}");
        chunk[..8].copy_from_slice(b"NotChnk\0");
        seen.clear();
        decode_chunk(&chunk, 3, &mut n, &mut |line, d| {
            seen.push((line, format!("{d:?}")))
        });
        assert!(seen[0].1.contains("chunk 3: bad chunk magic"), "{seen:?}");
    }

    /// Every record of every sample EVTX (the shared real logs and the corpus): the same fields and
    /// values through this reader as through the `evtx` crate's JSON and the evtx_dump mapping.
    #[test]
    fn agrees_with_the_evtx_crate_on_every_sample() {
        use std::path::PathBuf;
        let root = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..");
        let shared = std::env::var_os("T1586_SHARED_DATA")
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
            .unwrap_or_else(|| root.join("../shared/data"));
        let mut files: Vec<PathBuf> = Vec::new();
        for dir in [
            shared.join("windows-evtx"),
            shared.join("evtx"),
            root.join("tests/corpus/windows-evtx-seed-third"),
            root.join("tests/corpus/windows-evtx-seed-third-seed"),
        ] {
            if let Ok(rd) = std::fs::read_dir(&dir) {
                files.extend(
                    rd.flatten()
                        .map(|e| e.path())
                        .filter(|p| p.extension().is_some_and(|x| x == "evtx")),
                );
            }
        }
        files.sort();
        assert!(
            files.iter().any(|p| p.starts_with(&root)),
            "the corpus EVTX files are missing"
        );
        let (mut compared, mut fields) = (0usize, 0usize);
        for path in &files {
            let bytes = std::fs::read(path).unwrap();
            // The crate's view: each record's evtx_dump JSON mapped as evtx_dump input is.
            let mut parser = evtx::EvtxParser::from_buffer(bytes.clone()).unwrap();
            let want: Vec<(u64, WinRecord)> = parser
                .records_json_value()
                .filter_map(Result::ok)
                .map(|r| {
                    (
                        r.event_record_id,
                        crate::ingest::windows::from_json(&r.data).unwrap(),
                    )
                })
                .collect();
            // Ours.
            let mut got: Vec<(u64, WinRecord)> = Vec::new();
            let mut rejected = Vec::new();
            for (no, chunk) in bytes[4096..].chunks(65536).enumerate() {
                if chunk.len() < 65536 || chunk.iter().all(|&b| b == 0) {
                    continue;
                }
                let header = ChunkHeader::read(chunk).unwrap();
                read_records(chunk, &header, |rec| match rec {
                    Ok((id, Ok(r))) => got.push((id, r)),
                    Ok((id, Err(e))) => rejected.push(format!("chunk {no} record {id}: {e}")),
                    Err((at, e)) => rejected.push(format!("chunk {no} at {at:#x}: {e}")),
                });
            }
            let name = path.display();
            assert!(rejected.is_empty(), "{name}: {rejected:?}");
            assert_eq!(got.len(), want.len(), "{name}: record count");
            for ((gid, g), (wid, w)) in got.iter().zip(&want) {
                assert_eq!(gid, wid, "{name}");
                assert_eq!(g.event_id, w.event_id, "{name} #{gid}");
                assert_eq!(g.time, w.time, "{name} #{gid}");
                assert_eq!(g.record_id, w.record_id, "{name} #{gid}");
                assert_eq!(g.computer, w.computer, "{name} #{gid}");
                // The crate's JSON renames a repeated `Data Name` `X_1`; XML (and we) keep the first.
                let renamed = |k: &str| {
                    k.rsplit_once('_').is_some_and(|(base, n)| {
                        n.parse::<u32>().is_ok() && w.data.contains_key(base)
                    })
                };
                let norm = |r: &WinRecord| {
                    let mut v: Vec<(String, String)> = r
                        .data
                        .iter()
                        .filter(|(k, v)| !v.trim().is_empty() && !renamed(k))
                        .map(|(k, v)| (k.clone(), v.clone()))
                        .collect();
                    v.sort();
                    v
                };
                assert_eq!(norm(g), norm(w), "{name} #{gid}");
                fields += g.data.len();
                compared += 1;
            }
        }
        eprintln!(
            "{} files, {compared} records, {fields} fields agree",
            files.len()
        );
    }
}
