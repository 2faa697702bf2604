//! Input adapters: bytes in, [`AuthEvent`](crate::AuthEvent)s (or counted rejections) out.
//!
//! A tree: this module owns what every decoder shares — the result of one record ([`Decoded`]),
//! record references, and the dispatch from a framed piece of input to the decoder of its format
//! (JSON objects to the Graph path, then the general sign-in reader, then the Windows reader; CSV
//! rows by their header; XML and EVTX to the Windows reader). The leaves know one format each:
//!
//! * [`framer`] finds record boundaries in a stream split anywhere;
//! * [`graph`]: Microsoft Graph's own `signIn` records, by a short path;
//! * [`entra`]: every other Entra sign-in shape (diagnostic records, Log Analytics rows, portal CSV);
//! * [`ecs`]: Elastic documents (ECS) of the Azure sign-in integration; a document that kept its
//!   record (`event.original`) is read as that record by the reader of its shape;
//! * [`windows`]: Windows logon events (JSON shapes, XML), and [`evtx`]: EVTX files' BinXML
//!   records, read into the Windows reader's record;
//!
//! and the shared helpers: [`normalize`] (the forms every decoder writes into an event), [`keys`]
//! (the keys of sign-in records), [`flex`] (lenient JSON field readers), [`time`], [`intern`].
//! Signals never see raw formats, and nothing outside `ingest` imports from it.

mod cloudtrail;
mod countries;
mod ecs;
pub mod entra;
pub mod evtx;
pub mod flex;
pub mod framer;
mod google;
mod graph;
pub(crate) mod intern;
mod keys;
mod m365;
pub mod normalize;
mod ocsf;
mod okta;
mod provider;
pub mod time;
mod udm;
pub mod windows;

use crate::event::{AuthEvent, RecordRef};
use crate::shared::Shared;

use serde::{Deserialize, Serialize};

pub use framer::InputFormat;
use framer::{Frame, FrameKind, Framer};
pub(crate) use intern::Interner;

/// What a source of text lines (CSV, classic event text) has shown so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Lines {
    /// The CSV header once seen.
    header: Option<Vec<String>>,
    /// A file of classic `WinEventLog` text (Splunk's `.event`, a rendered event export): the
    /// event being read, from its first line (a time alone on its line) on, with that line's
    /// number.
    classic: Option<(u64, String)>,
}

/// One source's reader: framing state plus the CSV header once seen.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Ingest {
    source: Shared<str>,
    framer: Framer,
    header: Lines,
    max_record: usize,
    /// EVTX records seen so far in this source (their "line" numbers).
    evtx_records: u64,
    /// Whether this source has received any bytes yet (for the `sources` statistic).
    pub(crate) used: bool,
    #[serde(skip)]
    intern: Interner,
}

/// What became of one record.
#[derive(Debug)]
pub enum Decoded {
    /// A normalized authentication event.
    Event(Box<AuthEvent>),
    /// A well-formed record that is not a user authentication (reason is a stats key).
    Ignored(&'static str),
    /// A record that cannot be used: `reason` is a stats key, `detail` says exactly what.
    Rejected {
        reason: &'static str,
        detail: String,
    },
}

fn reject(reason: &'static str, detail: impl Into<String>) -> Decoded {
    Decoded::Rejected {
        reason,
        detail: detail.into(),
    }
}

/// A record reference without a record id (decoders add the id when the record has one).
pub(crate) fn record_ref(source: &Shared<str>, line: u64) -> RecordRef {
    RecordRef {
        source: source.clone(),
        line,
        record_id: None,
    }
}

/// What the reader reports for each record-sized piece of input.
#[derive(Debug)]
pub struct Item {
    /// The source the record came from.
    pub source: Shared<str>,
    pub line: u64,
    pub decoded: Decoded,
}

impl Ingest {
    pub fn new(source: &str, max_record: usize) -> Self {
        Ingest {
            source: Shared::from(source),
            framer: Framer::new(max_record),
            header: Lines::default(),
            max_record,
            evtx_records: 0,
            used: false,
            intern: Interner::default(),
        }
    }

    /// The current source name.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// Feed bytes; every framed record is decoded and passed to `out`.
    pub fn push(&mut self, data: &[u8], out: &mut dyn FnMut(Item)) {
        let Ingest {
            source,
            framer,
            header,
            evtx_records,
            intern,
            ..
        } = self;
        framer.push(data, &mut |f| {
            decode(source, header, evtx_records, intern, f, out)
        });
    }

    /// End of this source: remaining bytes are decoded or rejected; the reader is ready for a new
    /// source, read as `format` (detected when `None`).
    pub fn finish(
        &mut self,
        next_source: &str,
        format: Option<InputFormat>,
        out: &mut dyn FnMut(Item),
    ) {
        let Ingest {
            source,
            framer,
            header,
            evtx_records,
            intern,
            ..
        } = self;
        framer.finish(&mut |f| decode(source, header, evtx_records, intern, f, out));
        if let Some((line, text)) = header.classic.take() {
            out(classic_event(source, line, &text));
        }
        let intern = std::mem::take(intern);
        *self = Ingest::new(next_source, self.max_record);
        self.intern = intern;
        if let Some(f) = format {
            self.framer = Framer::forced(self.max_record, f);
        }
    }
}

/// Decode one frame and pass what it holds to `out`. `false` only for a
/// [`FrameKind::JsonLine`] that is not one record as it stands (nothing was passed to `out`).
fn decode(
    source: &Shared<str>,
    header: &mut Lines,
    evtx_records: &mut u64,
    intern: &mut Interner,
    f: Frame<'_>,
    out: &mut dyn FnMut(Item),
) -> bool {
    let line = f.line;
    let decoded = match f.kind {
        FrameKind::EvtxChunk => {
            evtx::decode_chunk(f.bytes, f.line, evtx_records, &mut |line, rec| {
                let decoded = match rec {
                    Ok((id, r)) => windows::to_event(
                        r,
                        RecordRef {
                            source: source.clone(),
                            line,
                            record_id: Some(id.to_string().into()),
                        },
                    ),
                    Err((reason, detail)) => Decoded::Rejected { reason, detail },
                };
                out(Item {
                    source: source.clone(),
                    line,
                    decoded,
                })
            });
            return true;
        }
        FrameKind::Xml => windows::decode_xml(f.bytes, record_ref(source, line)),
        FrameKind::Reject(reason) => Decoded::Rejected {
            reason,
            detail: reason.to_string(),
        },
        FrameKind::Json => json_record(f.bytes, &record_ref(source, line), intern),
        FrameKind::JsonLine => match json_line(f.bytes, &record_ref(source, line), intern) {
            Some(d) => d,
            None => return false,
        },
        FrameKind::Csv if header.classic.is_some() || classic_start(header, f.bytes) => {
            let text = String::from_utf8_lossy(f.bytes);
            let starts = time::parse_time(text.trim()).is_some();
            match &mut header.classic {
                Some((_, buf)) if !starts => {
                    buf.push_str(&text);
                    buf.push('\n');
                }
                slot => {
                    if let Some((l, buf)) = slot.replace((line, format!("{text}\n"))) {
                        out(classic_event(source, l, &buf));
                    }
                }
            }
            return true;
        }
        FrameKind::Csv => {
            let mut rdr = csv::ReaderBuilder::new()
                .has_headers(false)
                .flexible(true)
                .from_reader(f.bytes);
            let mut rec = csv::StringRecord::new();
            match rdr.read_record(&mut rec) {
                Ok(true) => {}
                Ok(false) => return true,
                Err(e) => {
                    out(Item {
                        source: source.clone(),
                        line,
                        decoded: Decoded::Rejected {
                            reason: "invalid CSV row",
                            detail: e.to_string(),
                        },
                    });
                    return true;
                }
            }
            match &header.header {
                None => {
                    header.header = Some(rec.iter().map(normalize_header).collect());
                    return true;
                }
                Some(h) => csv_row(h, &rec, &record_ref(source, line), intern),
            }
        }
    };
    out(Item {
        source: source.clone(),
        line,
        decoded,
    });
    true
}

/// Whether a text source is classic `WinEventLog` text: its first line is a time alone (the
/// event's local time, as Splunk's `.event` files and rendered exports write it), where a CSV
/// file has its header.
fn classic_start(lines: &Lines, first: &[u8]) -> bool {
    lines.header.is_none()
        && std::str::from_utf8(first)
            .ok()
            .is_some_and(|t| !t.contains(',') && time::parse_time(t.trim()).is_some())
}

/// One event of classic `WinEventLog` text, read by the Windows reader.
fn classic_event(source: &Shared<str>, line: u64, text: &str) -> Item {
    let decoded = match windows::classic_text(text, None) {
        Some(v) if v.get("EventCode").is_some() => {
            windows::decode_value(&v, record_ref(source, line))
        }
        _ => reject(
            "unreadable classic event text",
            "a time alone on its line, but not followed by a classic WinEventLog event (EventCode=...)",
        ),
    };
    Item {
        source: source.clone(),
        line,
        decoded,
    }
}

/// The record as text when it is valid UTF-8 (for the Graph path), else its bytes.
fn as_text(bytes: &[u8]) -> Option<&str> {
    std::str::from_utf8(bytes).ok()
}

/// One framed JSON object: Graph's exact shape by the Graph path, else the general sign-in
/// reader, which hands Windows events (and objects it cannot read that look like one: PowerShell's
/// `Properties` array) to the Windows reader.
pub(crate) fn json_record(bytes: &[u8], record: &RecordRef, intern: &mut Interner) -> Decoded {
    let first = bytes.iter().find(|b| !b.is_ascii_whitespace());
    if first != Some(&b'{') {
        return reject("not a JSON object", "the record is not a JSON object");
    }
    if let Some(d) = as_text(bytes).and_then(|t| graph::decode(t, record, intern)) {
        return d;
    }
    match entra::read(bytes, record, intern) {
        entra::Read::SignIn(d) => d,
        entra::Read::Windows => windows::decode_json(bytes, record.clone()),
        entra::Read::Original(text, time) => kept(&text, time.as_deref(), bytes, record, intern),
        entra::Read::SplunkFields => splunk_fields(bytes, record, intern),
        entra::Read::Ecs(e) => ecs::decode(e, bytes, record, intern),
        entra::Read::Provider(p) => provider_record(p, bytes, record, intern),
        entra::Read::EsHit => es_hit(bytes, record, intern),
        entra::Read::Vendor => vendor(bytes, record, intern),
        entra::Read::Invalid(e) => match serde_json::from_slice::<serde_json::Value>(bytes) {
            Ok(v) if windows::looks_windows(&v) => windows::decode_value(&v, record.clone()),
            _ => reject("invalid JSON", e.to_string()),
        },
    }
}

/// An Elasticsearch search hit: its `_source` document, read as any record.
fn es_hit(bytes: &[u8], record: &RecordRef, intern: &mut Interner) -> Decoded {
    let hit: serde_json::Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return reject("invalid JSON", e.to_string()),
    };
    match hit.get("_source") {
        Some(doc @ serde_json::Value::Object(_)) => inside(
            "the search hit's _source",
            json_record(doc.to_string().as_bytes(), record, intern),
        ),
        _ => reject(
            "unreadable search hit",
            "an Elasticsearch hit whose _source is not a document",
        ),
    }
}

/// A LogScale (Falcon NG-SIEM) event without its raw record: the vendor's fields, under a
/// `Vendor` object or flattened `Vendor.a.b` keys, put back together and read as any record.
fn vendor(bytes: &[u8], record: &RecordRef, intern: &mut Interner) -> Decoded {
    use serde_json::Value;
    let event: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return reject("invalid JSON", e.to_string()),
    };
    let Some(fields) = event.as_object() else {
        return reject("not a JSON object", "the record is not a JSON object");
    };
    let mut doc = serde_json::Map::new();
    for (k, v) in fields {
        if k.eq_ignore_ascii_case("vendor") {
            if let Value::Object(m) = v {
                doc.extend(m.iter().map(|(k, v)| (k.clone(), v.clone())));
            }
        } else if let Some(rest) = k
            .get(..7)
            .filter(|p| p.eq_ignore_ascii_case("vendor."))
            .and_then(|_| k.get(7..))
        {
            put_path(&mut doc, rest, v.clone());
        }
    }
    inside(
        "the event's Vendor fields",
        json_record(
            serde_json::Value::Object(doc).to_string().as_bytes(),
            record,
            intern,
        ),
    )
}

/// `v` at the dotted `path` of `doc`: `a.b.c` → `{"a": {"b": {"c": v}}}` (flattened fields as
/// SIEMs write them, put back together).
fn put_path(
    doc: &mut serde_json::Map<String, serde_json::Value>,
    path: &str,
    v: serde_json::Value,
) {
    use serde_json::{Map, Value};
    let mut parts = path.split('.').peekable();
    let mut cur = doc;
    while let Some(p) = parts.next() {
        if parts.peek().is_none() {
            cur.insert(p.to_string(), v);
            return;
        }
        let next = cur
            .entry(p.to_string())
            .or_insert_with(|| Value::Object(Map::new()));
        if !next.is_object() {
            *next = Value::Object(Map::new());
        }
        cur = next.as_object_mut().expect("an object");
    }
}

/// A Splunk result read from its extracted fields (`result` in a streaming export line, else the
/// result itself): when it has no `_raw`, or a `_raw` no reader knows. Splunk's internal fields
/// (`_raw`, `_time`, `_cd`, …) are left out, dotted names (`properties.userPrincipalName`, as
/// Splunk extracts JSON) are put back together, and `_time` is the time where the fields have
/// none of their own. The fields are then read as any record: Entra's or Windows' own names.
fn splunk_fields(bytes: &[u8], record: &RecordRef, intern: &mut Interner) -> Decoded {
    use serde_json::Value;
    let result: Value = match serde_json::from_slice(bytes) {
        Ok(v) => v,
        Err(e) => return reject("invalid JSON", e.to_string()),
    };
    let fields = match result.get("result") {
        Some(r @ Value::Object(_)) => r,
        _ => &result,
    };
    let Some(fields) = fields.as_object() else {
        return reject("not a JSON object", "the record is not a JSON object");
    };
    // Neither Splunk's own fields nor a `result` that is not an object (the wrapper's key) are
    // the record's: left in, they would make the fields a Splunk result again, read forever.
    let mut doc = serde_json::Map::new();
    for (k, v) in fields
        .iter()
        .filter(|(k, _)| !k.starts_with('_') && !k.eq_ignore_ascii_case("result"))
    {
        put_path(&mut doc, k, v.clone());
    }
    const TIMES: [&str; 5] = [
        "time",
        "createdDateTime",
        "TimeGenerated",
        "TimeCreated",
        "SystemTime",
    ];
    let timed = |m: &serde_json::Map<String, Value>| {
        m.keys()
            .any(|k| TIMES.iter().any(|t| t.eq_ignore_ascii_case(k)))
    };
    let own_time = timed(&doc)
        || doc
            .get("properties")
            .and_then(Value::as_object)
            .is_some_and(timed);
    if !own_time && let Some(t) = fields.get("_time") {
        doc.insert("time".into(), t.clone());
    }
    inside(
        "the Splunk result's fields",
        json_record(Value::Object(doc).to_string().as_bytes(), record, intern),
    )
}

/// A wrapper's kept record ([`original`]); a Splunk result's (`time` given) that no reader knows
/// is read from the result's extracted fields instead ([`splunk_fields`]) when they make a record.
fn kept(
    text: &str,
    time: Option<&str>,
    whole: &[u8],
    record: &RecordRef,
    intern: &mut Interner,
) -> Decoded {
    let d = original(text, time, record, intern);
    match d {
        Decoded::Rejected {
            reason: UNREADABLE_ORIGINAL,
            ..
        } if time.is_some() => match splunk_fields(whole, record, intern) {
            Decoded::Rejected { .. } => d,
            fields => fields,
        },
        d => d,
    }
}

/// Another identity provider's record, by the reader of that provider.
fn provider_record(
    p: keys::Provider,
    bytes: &[u8],
    record: &RecordRef,
    intern: &mut Interner,
) -> Decoded {
    match serde_json::from_slice::<serde_json::Value>(bytes) {
        Ok(v) => provider_value(p, &v, record, intern),
        Err(e) => reject("invalid JSON", e.to_string()),
    }
}

/// [`provider_record`] of a parsed record.
fn provider_value(
    p: keys::Provider,
    v: &serde_json::Value,
    record: &RecordRef,
    intern: &mut Interner,
) -> Decoded {
    use keys::Provider as P;
    match p {
        P::Okta => okta::decode(v, record, intern),
        P::CloudTrail => cloudtrail::decode(v, record, intern),
        P::Google => google::decode(v, record, intern),
        P::Ocsf => ocsf::decode(v, record, intern),
        P::Udm => udm::decode(v, record, intern),
        P::M365 => m365::decode(v, record, intern),
        P::M365AuditData => m365::decode_export_row(v, record, intern),
    }
}

/// A JSON Lines line the framer did not scan ([`FrameKind::JsonLine`]): `None` unless it parses as
/// exactly one object that is not a wrapper page; then the framer reads the line byte by byte and
/// [`json_record`] gets what it frames there.
fn json_line(bytes: &[u8], record: &RecordRef, intern: &mut Interner) -> Option<Decoded> {
    if let Some(d) = as_text(bytes).and_then(|t| graph::decode(t, record, intern)) {
        return Some(d);
    }
    match entra::read_line(bytes, record, intern)? {
        entra::Read::SignIn(d) => Some(d),
        entra::Read::Windows => Some(windows::decode_json(bytes, record.clone())),
        entra::Read::Original(text, time) => {
            Some(kept(&text, time.as_deref(), bytes, record, intern))
        }
        entra::Read::SplunkFields => Some(splunk_fields(bytes, record, intern)),
        entra::Read::Ecs(e) => Some(ecs::decode(e, bytes, record, intern)),
        entra::Read::Provider(p) => Some(provider_record(p, bytes, record, intern)),
        entra::Read::EsHit => Some(es_hit(bytes, record, intern)),
        entra::Read::Vendor => Some(vendor(bytes, record, intern)),
        entra::Read::Invalid(_) => None,
    }
}

/// The reason given when a wrapper's kept record is in no shape a reader knows.
const UNREADABLE_ORIGINAL: &str = "unreadable original record";

/// The record a wrapper kept as its source wrote it — an Elastic document's `event.original`, a
/// Splunk result's `_raw`: a JSON record (an Entra sign-in, a Windows event as JSON), a Windows
/// event as XML or as classic `WinEventLog` text (`time`: the result's `_time`), read by its own
/// reader.
fn original(text: &str, time: Option<&str>, record: &RecordRef, intern: &mut Interner) -> Decoded {
    let d = match text.trim_start().as_bytes().first() {
        Some(b'{') => json_record(text.as_bytes(), record, intern),
        Some(b'<') => windows::decode_xml(text.as_bytes(), record.clone()),
        _ => match windows::classic_text(text, time) {
            Some(v) => windows::decode_value(&v, record.clone()),
            None => reject(
                UNREADABLE_ORIGINAL,
                "the original record (event.original, _raw) is neither a JSON object, XML nor classic WinEventLog text",
            ),
        },
    };
    inside("the original record (event.original, _raw)", d)
}

/// A record read from inside another (a kept original, a search hit, a LogScale event's vendor
/// fields): a rejection says where in the document it was.
fn inside(place: &str, d: Decoded) -> Decoded {
    match d {
        // The same place nested in itself (a `_source` inside a `_source`) is said once.
        Decoded::Rejected { reason, detail } if !detail.starts_with(place) => Decoded::Rejected {
            reason,
            detail: format!("{place}: {detail}"),
        },
        d => d,
    }
}

/// One CSV row given the (normalized) header, as a JSON object of its non-blank cells (cells that
/// hold JSON, as Log Analytics' dynamic columns do, as that JSON): Windows exports by their
/// `EventID` / `EventCode` column, the rest read as sign-ins.
fn csv_row(
    header: &[String],
    row: &csv::StringRecord,
    record: &RecordRef,
    intern: &mut Interner,
) -> Decoded {
    if row.len() != header.len() {
        return reject(
            "CSV field count",
            format!(
                "row has {} fields, the header has {}",
                row.len(),
                header.len()
            ),
        );
    }
    // A Splunk, QRadar or LogScale export: the record as the source wrote it (`_raw`,
    // `UTF8(payload)`, `@rawstring`: the keys the JSON reader knows) first; the extracted columns
    // when it is in a shape not read (classic WinEventLog text).
    if let Some(raw) = header
        .iter()
        .position(|h| keys::field_of(&h.to_ascii_lowercase()) == Some(keys::F::SplunkRaw))
        .and_then(|i| row.get(i))
        .filter(|r| !r.trim().is_empty())
    {
        let time = header
            .iter()
            .position(|h| h == "_time")
            .and_then(|i| row.get(i));
        match original(raw, time, record, intern) {
            Decoded::Rejected {
                reason: "unreadable original record",
                ..
            } => {}
            d => return d,
        }
    }
    let mut map = serde_json::Map::with_capacity(header.len());
    for (h, v) in header.iter().zip(row.iter()) {
        let v = v.trim();
        if v.is_empty() || h.is_empty() {
            continue;
        }
        let value = if v.starts_with('{') || v.starts_with('[') {
            serde_json::from_slice(v.as_bytes())
                .unwrap_or_else(|_| serde_json::Value::String(v.to_string()))
        } else {
            serde_json::Value::String(v.to_string())
        };
        map.insert(h.clone(), value);
    }
    let value = serde_json::Value::Object(map);
    if header
        .iter()
        .any(|h| h.eq_ignore_ascii_case("EventID") || h.eq_ignore_ascii_case("EventCode"))
    {
        return windows::decode_value(&value, record.clone());
    }
    // The row as JSON text, read by the reader of JSON records: one copy of the sign-in reader in
    // the module instead of a second one for `serde_json::Value` (12 KB of the `.wasm`; a CSV row
    // costs one more copy of its text).
    let text = value.to_string();
    match entra::read(text.as_bytes(), record, intern) {
        entra::Read::SignIn(d) => d,
        entra::Read::Windows => windows::decode_value(&value, record.clone()),
        entra::Read::Original(raw, time) => {
            kept(&raw, time.as_deref(), text.as_bytes(), record, intern)
        }
        entra::Read::SplunkFields => splunk_fields(text.as_bytes(), record, intern),
        entra::Read::Ecs(e) => ecs::decode(e, text.as_bytes(), record, intern),
        entra::Read::Provider(p) => provider_value(p, &value, record, intern),
        entra::Read::EsHit => es_hit(text.as_bytes(), record, intern),
        entra::Read::Vendor => vendor(text.as_bytes(), record, intern),
        entra::Read::Invalid(e) => reject("invalid CSV row", e.to_string()),
    }
}

/// Normalize a CSV header cell: `TimeGenerated [UTC]` → `TimeGenerated`, BOM and spaces trimmed.
fn normalize_header(h: &str) -> String {
    let h = h.trim_start_matches('\u{feff}').trim();
    let h = match h.find(" [") {
        Some(i) if h.ends_with(']') => &h[..i],
        _ => h,
    };
    h.to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A LogScale event's `Vendor.…` keys are put back together; keys of any spelling (one with a
    /// character of several bytes where `Vendor.` would end) are left alone, never split.
    #[test]
    fn logscale_vendor_fields() {
        let ev = r#"{"@timestamp":1772494200000,"Vendoré":"x","Vendor.published":"2026-03-02T23:30:00Z","Vendor.eventType":"user.session.start","Vendor.actor.alternateId":"a@b.example","Vendor.outcome.result":"SUCCESS","Vendor.client.ipAddress":"203.0.113.9"}"#;
        match json_record(
            ev.as_bytes(),
            &record_ref(&Shared::from("t"), 1),
            &mut Interner::default(),
        ) {
            Decoded::Event(e) => {
                assert_eq!(&*e.identity_key, "a@b.example");
                assert_eq!(e.source_kind, crate::event::SourceKind::Okta);
            }
            other => panic!("{other:?}"),
        }
    }

    fn read(json: &str) -> Decoded {
        json_record(
            json.as_bytes(),
            &record_ref(&Shared::from("t"), 1),
            &mut Interner::default(),
        )
    }

    /// A Splunk result without its record, or with one no reader knows, is read from its
    /// extracted fields (dotted names put back together, `_time` where they have no time); the
    /// kept record wins when it is readable.
    #[test]
    fn splunk_results_fall_back_to_their_fields() {
        for (json, user, time) in [
            // Streaming export line, no `_raw`: Entra's diagnostic fields as Splunk extracts them.
            (
                r#"{"preview":false,"offset":1,"result":{"_time":"2026-03-02T07:01:00.000+01:00","sourcetype":"azure:monitor:aad","properties.userPrincipalName":"A@b.example","properties.status.errorCode":"50126","callerIpAddress":"198.51.100.1","category":"SignInLogs","resultType":"50126","_cd":"1:2"}}"#,
                "a@b.example",
                "2026-03-02T06:01:00+00:00",
            ),
            // `_raw` in no known shape: the fields, with their own time.
            (
                r#"{"_time":"2026-03-02T07:00:00.000+00:00","_raw":"Mar 2 07:00:00 aad: sign-in","userPrincipalName":"c@b.example","resultType":"50126","ipAddress":"198.51.100.1","createdDateTime":"2026-03-02T07:00:05Z"}"#,
                "c@b.example",
                "2026-03-02T07:00:05+00:00",
            ),
            // A readable `_raw` wins over the fields.
            (
                r#"{"_time":"2026-03-02T07:00:00.000+00:00","_raw":"{\"time\":\"2026-03-02T07:00:00Z\",\"category\":\"SignInLogs\",\"resultType\":\"0\",\"properties\":{\"userPrincipalName\":\"d@b.example\"}}","userPrincipalName":"other@b.example"}"#,
                "d@b.example",
                "2026-03-02T07:00:00+00:00",
            ),
        ] {
            match read(json) {
                Decoded::Event(e) => {
                    assert_eq!(&*e.identity_key, user, "{json}");
                    assert_eq!(e.time.to_rfc3339(), time, "{json}");
                }
                other => panic!("{json}: {other:?}"),
            }
        }
        // Neither the record nor the fields: the record's reason, said where.
        match read(r#"{"_time":"2026-03-02T07:00:00Z","_raw":"plain text","host":"x"}"#) {
            Decoded::Rejected { reason, detail } => {
                assert_eq!(reason, UNREADABLE_ORIGINAL);
                assert!(detail.contains("_raw"), "{detail}");
            }
            other => panic!("{other:?}"),
        }
        // A `result` that is not an object, with nothing else: said once, not read forever (a
        // fuzzer's find: the fields were a Splunk result again).
        for json in [
            r#"{"result":"x"}"#,
            r#"{"result":7,"_time":"2026-03-02T07:00:00Z"}"#,
            r#"{"result":{"result":"x"}}"#,
        ] {
            assert!(matches!(read(json), Decoded::Rejected { .. }), "{json}");
        }
        match read(r#"{"result":{"_time":"2026-03-02T07:00:00Z","user":"x"}}"#) {
            Decoded::Rejected { detail, .. } => {
                assert!(detail.starts_with("the Splunk result's fields"), "{detail}")
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn csv_headers_normalized() {
        assert_eq!(
            normalize_header("\u{feff}TimeGenerated [UTC]"),
            "TimeGenerated"
        );
        assert_eq!(normalize_header(" Date (UTC) "), "Date (UTC)");
        let header: Vec<String> = [
            "TimeGenerated [UTC]",
            "UserPrincipalName",
            "ResultType",
            "LocationDetails",
        ]
        .iter()
        .map(|h| normalize_header(h))
        .collect();
        let row = csv::StringRecord::from(vec![
            "4/19/2021, 12:13:19.483 PM",
            "a@b.c",
            "0",
            r#"{"countryOrRegion":"KP"}"#,
        ]);
        match csv_row(
            &header,
            &row,
            &record_ref(&Shared::from("t"), 2),
            &mut Interner::default(),
        ) {
            Decoded::Event(e) => {
                assert_eq!(e.country.as_deref(), Some("KP"));
                assert_eq!(e.time.to_rfc3339(), "2021-04-19T12:13:19.483+00:00");
            }
            other => panic!("{other:?}"),
        }
        let short = csv::StringRecord::from(vec!["x"]);
        assert!(matches!(
            csv_row(
                &header,
                &short,
                &record_ref(&Shared::from("t"), 3),
                &mut Interner::default()
            ),
            Decoded::Rejected {
                reason: "CSV field count",
                ..
            }
        ));
    }
}
