//! Offline input in any order: the same alerts as one time-ordered stream.
//!
//! A streaming detector holds events for `max_lateness_secs` and processes anything older as
//! *late*: right for live feeds, wrong for exports, which come newest-first (Graph, the Entra
//! portal, Splunk searches) or as several files covering one period (one log per domain
//! controller, interactive and non-interactive sign-ins side by side). Offline, the host knows
//! its inputs end, so nothing needs to be late:
//!
//! 1. **In order** ([`Order::Offline`]): the detector streams exactly as live, with the lateness
//!    window, and checks that no event arrives at or before the time of one already processed.
//!    Input in time order (or out of order by less than the window) costs nothing extra.
//! 2. **Restart** ([`Order::Restart`]): the first event that would be late stops it. The detector
//!    ignores input until the host calls [`Detector::restart_sorted`](crate::Detector::restart_sorted)
//!    and reads every input again from its start (files are read twice, standard input is spooled
//!    by the host first). Newest-first input is found on its second record.
//! 3. **Sort** ([`Order::Sort`]): events are decoded and held, nothing is processed. When
//!    `limits.sort_run_events` are held, they are written out in processing order as a *run*
//!    (bytes the host stores, [`Detector::take_spill`](crate::Detector::take_spill)): memory stays
//!    bounded whatever the input's size.
//! 4. **Merge**: at the end the host hands the runs back in chunks; the detector merges them with
//!    the events still held, in (time, tie key, arrival) order — the order a time-ordered stream
//!    is processed in — and processes them. Then [`flush`](crate::Detector::flush) as usual.
//!
//! The processing order is the one a single time-ordered stream gets: events by time, equal
//! times by [`AuthEvent::tie_key`](crate::AuthEvent::tie_key) (their content), then arrival. So
//! the alerts are the same bytes whatever the input order, apart from which of two records with
//! the same content an alert's evidence names (its file and line).
//!
//! # Run format (version [`RUN_VERSION`])
//!
//! The 16-byte [`RUN_MAGIC`], the version as 4 bytes little-endian, then one record per event in
//! processing order: its length as 4 bytes little-endian, then postcard of (arrival sequence,
//! tie key, event) with the event in its snapshot form. Runs are temporary: written and read by
//! one detector in one scan.

use std::cmp::Reverse;
use std::collections::{BinaryHeap, VecDeque};

use chrono::{DateTime, Utc};

use crate::error::{Error, ErrorKind};
use crate::event::AuthEvent;

/// The first bytes of every run.
pub const RUN_MAGIC: &[u8; 16] = b"t1586-run\n\0\0\0\0\0\0";
/// The run layout's version: the event form is the snapshot's, so it moves with
/// [`SNAPSHOT_VERSION`](crate::SNAPSHOT_VERSION).
pub const RUN_VERSION: u32 = crate::engine::SNAPSHOT_VERSION;

/// How a detector treats the order its input arrives in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum Order {
    /// Live: events wait `max_lateness_secs`; older ones are processed late and counted.
    #[default]
    Stream,
    /// Offline, in order so far: streaming, watching for an event that would be late.
    Offline,
    /// Offline input found out of order: input is ignored until [`Detector::restart_sorted`](crate::Detector::restart_sorted).
    Restart,
    /// Offline input read again to be sorted: events are held (and spilled), processed at the end.
    Sort,
    /// The held events and the spilled runs are being merged and processed.
    Merge,
}

impl Order {
    /// The number the C ABI and the JS binding give each state.
    pub fn code(self) -> u32 {
        match self {
            Order::Stream => 0,
            Order::Offline => 1,
            Order::Restart => 2,
            Order::Sort => 3,
            Order::Merge => 4,
        }
    }
}

/// (event time, tie key, arrival sequence): the processing order.
pub(crate) type Key = (DateTime<Utc>, u64, u64);

/// Append one event to a run (its header first when `run` is empty).
pub(crate) fn write_event(run: &mut Vec<u8>, seq: u64, tie: u64, ev: &AuthEvent) {
    if run.is_empty() {
        run.extend_from_slice(RUN_MAGIC);
        run.extend_from_slice(&RUN_VERSION.to_le_bytes());
    }
    let at = run.len();
    run.extend_from_slice(&[0; 4]);
    let mut out =
        postcard::to_extend(&(seq, tie, ev), std::mem::take(run)).expect("an event serializes");
    let len = (out.len() - at - 4) as u32;
    out[at..at + 4].copy_from_slice(&len.to_le_bytes());
    *run = out;
}

/// One spilled run being read back: bytes the host handed over and not yet read, and the next
/// event.
#[derive(Debug, Clone, Default)]
struct RunReader {
    buf: Vec<u8>,
    pos: usize,
    header_read: bool,
    /// The host said there is no more.
    ended: bool,
}

impl RunReader {
    /// The next event, `Ok(None)` when more bytes are needed (or the run is over: see `ended`).
    fn next(&mut self, run: usize) -> Result<Option<(Key, AuthEvent)>, Error> {
        let err = |m: String| Error::new(ErrorKind::Run, format!("run {run}: {m}"));
        let left = &self.buf[self.pos..];
        if !self.header_read {
            if left.len() < 20 {
                return match self.ended {
                    true if left.is_empty() => Ok(None),
                    true => Err(err("truncated header".into())),
                    false => Ok(None),
                };
            }
            if &left[..16] != RUN_MAGIC {
                return Err(err("not a t1586 run".into()));
            }
            let v = u32::from_le_bytes(left[16..20].try_into().expect("4 bytes"));
            if v != RUN_VERSION {
                return Err(err(format!(
                    "run version {v} is not supported (this detector writes {RUN_VERSION})"
                )));
            }
            self.pos += 20;
            self.header_read = true;
            return self.next(run);
        }
        let left = &self.buf[self.pos..];
        let Some((len, body)) = left.split_first_chunk::<4>() else {
            return match self.ended && !left.is_empty() {
                true => Err(err("truncated record".into())),
                false => Ok(None),
            };
        };
        let len = u32::from_le_bytes(*len) as usize;
        if body.len() < len {
            return match self.ended {
                true => Err(err("truncated record".into())),
                false => Ok(None),
            };
        }
        let (seq, tie, ev): (u64, u64, AuthEvent) =
            postcard::from_bytes(&body[..len]).map_err(|e| err(format!("bad record: {e}")))?;
        self.pos += 4 + len;
        Ok(Some(((ev.time, tie, seq), ev)))
    }

    fn feed(&mut self, bytes: &[u8]) {
        if bytes.is_empty() {
            self.ended = true;
            return;
        }
        if self.pos > 0 {
            self.buf.drain(..self.pos);
            self.pos = 0;
        }
        self.buf.extend_from_slice(bytes);
    }
}

/// The merge of the spilled runs and the events held when input ended (in processing order).
#[derive(Debug, Clone, Default)]
pub(crate) struct Merge {
    runs: Vec<RunReader>,
    /// Each source's next event; the held events are source `runs.len()`.
    heads: Vec<Option<(Key, AuthEvent)>>,
    held: VecDeque<(Key, AuthEvent)>,
    heap: BinaryHeap<Reverse<(Key, usize)>>,
    /// Sources whose next event is not known yet (their bytes ran out), in order.
    waiting: Vec<usize>,
}

impl Merge {
    /// A merge of `runs` spilled runs and the `held` events.
    pub fn new(runs: usize, held: VecDeque<(Key, AuthEvent)>) -> Merge {
        let mut m = Merge {
            runs: vec![RunReader::default(); runs],
            heads: vec![None; runs + 1],
            held,
            heap: BinaryHeap::new(),
            waiting: (0..runs).collect(),
        };
        m.refill(runs).expect("held events need no bytes");
        m
    }

    /// The run whose next bytes are needed before anything more can be processed.
    pub fn wanted(&self) -> Option<usize> {
        self.waiting.first().copied()
    }

    /// Bytes of run `run` (empty: it is over).
    pub fn feed(&mut self, run: usize, bytes: &[u8]) -> Result<(), Error> {
        let Some(r) = self.runs.get_mut(run) else {
            return Err(Error::new(
                ErrorKind::Run,
                format!(
                    "run {run} does not exist ({} were spilled)",
                    self.runs.len()
                ),
            ));
        };
        r.feed(bytes);
        let waiting = std::mem::take(&mut self.waiting);
        for s in waiting {
            if s == run {
                self.refill(s)?;
            } else {
                self.waiting.push(s);
            }
        }
        Ok(())
    }

    /// The next event in processing order, when every source's next is known.
    pub fn pop(&mut self) -> Result<Option<AuthEvent>, Error> {
        if !self.waiting.is_empty() {
            return Ok(None);
        }
        let Some(Reverse((_, s))) = self.heap.pop() else {
            return Ok(None);
        };
        let (_, ev) = self.heads[s]
            .take()
            .expect("a source in the heap has a head");
        self.refill(s)?;
        Ok(Some(ev))
    }

    /// Whether every source is over.
    #[cfg(test)]
    pub fn done(&self) -> bool {
        self.waiting.is_empty() && self.heap.is_empty()
    }

    /// Read source `s`'s next event into its head (and the heap), or mark it waiting for bytes.
    fn refill(&mut self, s: usize) -> Result<(), Error> {
        let next = match self.runs.get_mut(s) {
            Some(r) => match r.next(s)? {
                Some(e) => Some(e),
                None if r.ended => None,
                None => {
                    self.waiting.push(s);
                    return Ok(());
                }
            },
            None => self.held.pop_front(),
        };
        if let Some((k, ev)) = next {
            self.heap.push(Reverse((k, s)));
            self.heads[s] = Some((k, ev));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ev(t: i64, ip: &str) -> AuthEvent {
        crate::signals::testkit::ev(t, "u", "0", ip)
    }

    /// Runs fed in chunks of any size merge with the held events in key order; damaged runs are
    /// refused with the run named.
    #[test]
    fn runs_merge_in_key_order_whatever_the_chunks() {
        let mut a = Vec::new();
        let mut b = Vec::new();
        for (i, t) in [1, 4, 4, 9].into_iter().enumerate() {
            let e = ev(t, "203.0.113.1");
            write_event(&mut a, i as u64, e.tie_key(), &e);
        }
        for (i, t) in [2, 4, 8].into_iter().enumerate() {
            let e = ev(t, "203.0.113.2");
            write_event(&mut b, 10 + i as u64, e.tie_key(), &e);
        }
        let held: VecDeque<_> = [3, 10]
            .into_iter()
            .enumerate()
            .map(|(i, t)| {
                let e = ev(t, "203.0.113.3");
                ((e.time, e.tie_key(), 20 + i as u64), e)
            })
            .collect();
        for chunk in [1, 3, 7, 1000] {
            let mut m = Merge::new(2, held.clone());
            let runs = [&a, &b];
            let mut at = [0, 0];
            let mut out = Vec::new();
            while !m.done() {
                while let Some(e) = m.pop().unwrap() {
                    out.push(e.time.timestamp() / 60);
                }
                if let Some(r) = m.wanted() {
                    let end = (at[r] + chunk).min(runs[r].len());
                    m.feed(r, &runs[r][at[r]..end]).unwrap();
                    at[r] = end;
                }
            }
            let base = out[0] - 1;
            let out: Vec<i64> = out.iter().map(|m| m - base).collect();
            assert_eq!(out, [1, 2, 3, 4, 4, 4, 8, 9, 10], "chunk {chunk}");
        }
        let mut m = Merge::new(1, VecDeque::new());
        m.feed(0, &a[..a.len() - 1]).unwrap();
        while m.pop().unwrap().is_some() {}
        let e = m.feed(0, &[]).unwrap_err();
        assert!(e.message().contains("run 0: truncated record"), "{e}");
        let mut m = Merge::new(1, VecDeque::new());
        let e = m.feed(0, b"not a run at all, clearly").unwrap_err();
        assert!(e.message().contains("not a t1586 run"), "{e}");
        assert!(m.feed(3, b"x").is_err());
    }
}
