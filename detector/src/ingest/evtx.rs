//! EVTX chunks into events, through the `evtx` crate (default features off: no threads, no allocator).
//!
//! The framer hands over each 64 KiB chunk as soon as it is complete, so an `.evtx` file of any size
//! streams in constant memory. Every record is rendered to JSON by the crate (its `evtx_dump` shape)
//! and mapped by [`super::windows`]. Empty (all-zero) chunks are skipped, as the crate's own parser
//! does; a chunk with a bad header is rejected once, naming the chunk; a record the crate cannot
//! render is rejected, naming its ordinal.
//!
//! Records are numbered 1, 2, … in file order: for EVTX the "line" of a record (in errors and
//! evidence) is that ordinal; the evidence's `RecordId` is the EventRecordID.
//!
//! NOTE: chunks are read in file order. A log that has wrapped around keeps its newest chunks at the
//! start of the file; their records then arrive before older ones, and older records beyond the
//! lateness tolerance are processed as late events (counted in `late_events`).

use std::sync::Arc;

use evtx::{EvtxChunkData, ParserSettings};

use super::entra::Decoded;
use super::windows;
use crate::event::RecordRef;

/// Decode one chunk; `ordinal` is the number of records of this file seen before it.
pub(crate) fn decode_chunk(
    bytes: &[u8],
    chunk_no: u64,
    source: &Arc<str>,
    ordinal: &mut u64,
    out: &mut dyn FnMut(u64, Decoded),
) {
    if bytes.iter().all(|&b| b == 0) {
        return;
    }
    let mut data = match EvtxChunkData::new(bytes.to_vec(), false) {
        Ok(d) => d,
        Err(e) => {
            out(
                *ordinal + 1,
                Decoded::Rejected {
                    reason: "invalid EVTX chunk",
                    detail: format!("chunk {chunk_no}: {} (its records are lost)", chain(&e)),
                },
            );
            return;
        }
    };
    let settings = Arc::new(ParserSettings::new().num_threads(1));
    let mut chunk = match data.parse(settings) {
        Ok(c) => c,
        Err(e) => {
            out(
                *ordinal + 1,
                Decoded::Rejected {
                    reason: "invalid EVTX chunk",
                    detail: format!("chunk {chunk_no}: {} (its records are lost)", chain(&e)),
                },
            );
            return;
        }
    };
    for rec in chunk.iter() {
        *ordinal += 1;
        let line = *ordinal;
        let decoded = match rec.and_then(|r| r.into_json_value()) {
            Ok(r) => windows::decode_value(
                &r.data,
                RecordRef {
                    source: source.clone(),
                    line,
                    record_id: Some(r.event_record_id.to_string()),
                },
            ),
            Err(e) => Decoded::Rejected {
                reason: "invalid EVTX record",
                detail: format!("chunk {chunk_no}: {}", chain(&e)),
            },
        };
        out(line, decoded);
    }
}

/// An error and its causes, `outer: inner: ...` (the crate's top message alone rarely says why).
fn chain(e: &dyn std::error::Error) -> String {
    let mut s = e.to_string();
    let mut src = e.source();
    while let Some(c) = src {
        s.push_str(": ");
        s.push_str(&c.to_string());
        src = c.source();
    }
    s
}
