//! The reordering buffer: events waiting for the watermark, taken out in (time, tie key, arrival)
//! order.
//!
//! Logs mostly arrive in time order, oldest-first or (Graph exports) newest-first. An event that
//! extends the sorted run at either end, or lands a few places from its end (one second's events
//! in any order), goes into a deque; any other goes into an ordered map. The smallest key is at the
//! front of one of the two. The same order out as one ordered map, with a fraction of the work for
//! sorted input (a B-tree insert compares keys down the tree), and the tie key is hashed only for
//! events that meet another of the same time.

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::event::AuthEvent;
use crate::shared::Shared;

/// (event time, tie key, arrival sequence): unique, and the processing order.
type Key = (DateTime<Utc>, u64, u64);

/// An event while it waits, as compact as it is cheap to make it: held in place (no box of its
/// own), and its record id, when it is short or a GUID written the canonical way (every Entra
/// sign-in's), held in place too instead of as a shared text.
///
/// An event waits about a day (the default lateness tolerance), long enough for everything it
/// points to to leave the cache. The id is the one text no other event shares: read for
/// de-duplication and released when the event is dropped, it cost two cache misses per event a
/// day after it was read (BENCHMARKS.md, tenth session). Made a shared text again when the event
/// leaves, it is read and released while still in the cache.
#[derive(Debug, Clone)]
pub(crate) struct Parked {
    ev: AuthEvent,
    /// The record id, taken out of `ev`, and whether the request id was the same text (taken out
    /// too).
    id: Option<(Id, bool)>,
}

/// A record id held in place.
#[derive(Debug, Clone, Copy)]
enum Id {
    /// A GUID in lower-case hex, 8-4-4-4-12 digits: its 16 bytes.
    Guid([u8; 16]),
    /// Up to 22 bytes of text, and how many.
    Short(u8, [u8; 22]),
}

impl Id {
    fn new(s: &str) -> Option<Id> {
        let b = s.as_bytes();
        if b.len() <= 22 {
            let mut t = [0; 22];
            t[..b.len()].copy_from_slice(b);
            return Some(Id::Short(b.len() as u8, t));
        }
        if b.len() != 36 || [8, 13, 18, 23].iter().any(|&i| b[i] != b'-') {
            return None;
        }
        let mut out = [0u8; 16];
        let mut digits = b.iter().filter(|&&c| c != b'-');
        for o in &mut out {
            for _ in 0..2 {
                let d = match *digits.next()? {
                    c @ b'0'..=b'9' => c - b'0',
                    c @ b'a'..=b'f' => c - b'a' + 10,
                    _ => return None,
                };
                *o = *o << 4 | d;
            }
        }
        Some(Id::Guid(out))
    }

    /// The text it was made from, written into `t` when a GUID.
    fn write<'a>(&'a self, t: &'a mut [u8; 36]) -> &'a str {
        const HEX: &[u8; 16] = b"0123456789abcdef";
        let b: &[u8] = match self {
            Id::Short(n, b) => &b[..usize::from(*n)],
            Id::Guid(g) => {
                let mut at = 0;
                for (i, &v) in g.iter().enumerate() {
                    if matches!(i, 4 | 6 | 8 | 10) {
                        t[at] = b'-';
                        at += 1;
                    }
                    t[at] = HEX[usize::from(v >> 4)];
                    t[at + 1] = HEX[usize::from(v & 15)];
                    at += 2;
                }
                t
            }
        };
        std::str::from_utf8(b).expect("taken from a text whole")
    }
}

/// Written as the event it holds.
impl serde::Serialize for Parked {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.with_ids(|ev, request_id, record_id| ev.serialize_with_ids(s, request_id, record_id))
    }
}

impl Parked {
    fn new(mut ev: AuthEvent) -> Parked {
        let id = ev.record.record_id.as_deref().and_then(Id::new).map(|id| {
            let same = ev.request_id.as_deref() == ev.record.record_id.as_deref();
            ev.record.record_id = None;
            if same {
                ev.request_id = None;
            }
            (id, same)
        });
        Parked { ev, id }
    }

    /// `f` of the event and its request and record ids.
    fn with_ids<R>(&self, f: impl FnOnce(&AuthEvent, Option<&str>, Option<&str>) -> R) -> R {
        let mut buf = [0; 36];
        let id = self
            .id
            .as_ref()
            .map(|(id, same)| (id.write(&mut buf), *same));
        let record_id = id.map_or(self.ev.record.record_id.as_deref(), |(t, _)| Some(t));
        let request_id = match id {
            Some((t, true)) => Some(t),
            _ => self.ev.request_id.as_deref(),
        };
        f(&self.ev, request_id, record_id)
    }

    /// The event's [`AuthEvent::tie_key`].
    fn tie_key(&self) -> u64 {
        self.with_ids(AuthEvent::tie_key_with_ids)
    }

    /// The event as it arrived, in place.
    fn unpark(&mut self) -> &AuthEvent {
        if let Some((id, same)) = self.id.take() {
            let id: Shared<str> = Shared::from(id.write(&mut [0; 36]));
            if same {
                self.ev.request_id = Some(id.clone());
            }
            self.ev.record.record_id = Some(id);
        }
        &self.ev
    }
}

/// An event in the sorted run. Its tie key is worked out only when another event has the same time.
#[derive(Debug, Clone)]
struct Entry {
    time: DateTime<Utc>,
    seq: u64,
    tie: Option<u64>,
    ev: Parked,
}

impl Entry {
    fn tie(&mut self) -> u64 {
        *self.tie.get_or_insert_with(|| self.ev.tie_key())
    }

    /// `self` before `other` in key order.
    fn before(&mut self, other: &mut Entry) -> bool {
        if self.time != other.time {
            return self.time < other.time;
        }
        (self.tie(), self.seq) < (other.tie(), other.seq)
    }

    /// `self` before the key `k`.
    fn before_key(&mut self, k: &Key) -> bool {
        if self.time != k.0 {
            return self.time < k.0;
        }
        (self.tie(), self.seq) < (k.1, k.2)
    }
}

/// How far from the end of the run an event may still be placed into it.
const NEAR_END: usize = 16;

#[derive(Debug, Clone, Default)]
pub(crate) struct Reorder {
    /// Sorted by key.
    run: VecDeque<Entry>,
    rest: BTreeMap<Key, Parked>,
}

impl Reorder {
    pub fn len(&self) -> usize {
        self.run.len() + self.rest.len()
    }

    /// Add the event that arrived `seq`-th.
    pub fn insert(&mut self, seq: u64, ev: AuthEvent) {
        let mut new = Entry {
            time: ev.time,
            seq,
            tie: None,
            ev: Parked::new(ev),
        };
        // Into the run a few places from its end (events of one second arrive in any order)...
        let n = self.run.len();
        let mut i = n;
        while i > 0 && n - i < NEAR_END {
            if self.run[i - 1].before(&mut new) {
                self.run.insert(i, new);
                return;
            }
            i -= 1;
        }
        if i == 0 {
            self.run.push_front(new);
            return;
        }
        // ... or before its start (newest-first input) ...
        let front = self.run.front_mut().expect("not empty");
        if new.before(front) {
            self.run.push_front(new);
            return;
        }
        // ... or else into the ordered map.
        let tie = new.tie();
        self.rest.insert((new.time, tie, seq), new.ev);
    }

    /// The time of the first event.
    pub fn first_time(&self) -> Option<DateTime<Utc>> {
        let a = self.run.front().map(|e| e.time);
        let b = self.rest.first_key_value().map(|(k, _)| k.0);
        match (a, b) {
            (Some(a), Some(b)) => Some(a.min(b)),
            (a, b) => a.or(b),
        }
    }

    /// Whether the first event is in the run (else in the ordered map).
    fn first_in_run(&mut self) -> Option<bool> {
        match (self.run.front_mut(), self.rest.first_key_value()) {
            (Some(a), Some((k, _))) => Some(a.before_key(k)),
            (Some(_), None) => Some(true),
            (None, Some(_)) => Some(false),
            (None, None) => None,
        }
    }

    /// The first event, read where it waits (not copied out: it is read once, by the signals,
    /// then dropped by [`drop_first`](Reorder::drop_first)).
    pub fn first(&mut self) -> Option<&AuthEvent> {
        let parked = if self.first_in_run()? {
            &mut self.run.front_mut()?.ev
        } else {
            self.rest.first_entry()?.into_mut()
        };
        Some(parked.unpark())
    }

    /// Drop the first event.
    pub fn drop_first(&mut self) {
        match self.first_in_run() {
            Some(true) => drop(self.run.pop_front()),
            Some(false) => drop(self.rest.pop_first()),
            None => {}
        }
    }

    /// Every waiting event with its arrival sequence, in key order (for snapshots; written as
    /// the events they are).
    pub fn in_order(&self) -> Vec<(u64, &Parked)> {
        let mut out = Vec::with_capacity(self.len());
        let key = |e: &Entry| (e.time, e.tie.unwrap_or_else(|| e.ev.tie_key()), e.seq);
        let mut a = self.run.iter().peekable();
        let mut b = self.rest.iter().peekable();
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some(ea), Some((kb, _))) => key(ea) < **kb,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            if take_a {
                let e = a.next().expect("peeked");
                out.push((e.seq, &e.ev));
            } else {
                let (k, e) = b.next().expect("peeked");
                out.push((k.2, e));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// Ids come back as they were, whichever way they are held.
    #[test]
    fn record_ids_come_back_as_they_were() {
        for id in [
            "",
            "ok-000038951",
            "1234567890123456789012",
            "12345678901234567890123",
            "3f2b9c1e-0a4d-4e8f-9b7a-5c6d7e8f9a0b",
            "3F2B9C1E-0A4D-4E8F-9B7A-5C6D7E8F9A0B",
            "3f2b9c1e-0a4d-4e8f-9b7a-5c6d7e8f9a0g",
            "3f2b9c1e00a4d-4e8f-9b7a-5c6d7e8f9a0b",
            "ünïcödé-ïd-thät-ïs-löng-enough",
        ] {
            for (req, same) in [(Some(id), true), (Some("other"), false), (None, false)] {
                let mut ev = crate::signals::testkit::ev(0, "u", "0", "203.0.113.1");
                ev.record.record_id = Some(id.into());
                ev.request_id = req.map(Into::into);
                let mut p = Parked::new(ev.clone());
                assert_eq!(p.id.map(|(_, s)| s), Id::new(id).map(|_| same), "{id:?}");
                let held = serde_json::to_string(&p).unwrap();
                assert_eq!(held, serde_json::to_string(&ev).unwrap(), "{id:?}");
                assert_eq!(p.tie_key(), ev.tie_key(), "{id:?}");
                assert_eq!(*p.unpark(), ev, "{id:?}");
            }
        }
        assert!(matches!(
            Id::new("3f2b9c1e-0a4d-4e8f-9b7a-5c6d7e8f9a0b"),
            Some(Id::Guid(_))
        ));
        assert!(Id::new("3F2B9C1E-0A4D-4E8F-9B7A-5C6D7E8F9A0B").is_none());
        assert!(matches!(
            Id::new("1234567890123456789012"),
            Some(Id::Short(22, _))
        ));
        assert!(Id::new("12345678901234567890123").is_none());
    }

    proptest! {
        /// Whatever the arrival order (sorted, reversed, shuffled, interleaved with taking events
        /// out), events come out as from one ordered map.
        #[test]
        fn same_order_as_one_ordered_map(ops in proptest::collection::vec((0i64..40, any::<bool>()), 0..300)) {
            let mut ours = Reorder::default();
            let mut map: BTreeMap<Key, u64> = BTreeMap::new();
            for (seq, (t, take)) in ops.into_iter().enumerate() {
                let seq = seq as u64;
                if take {
                    let first = map.first_key_value().map(|(k, _)| k.0);
                    prop_assert_eq!(ours.first_time(), first);
                    let want = map.pop_first().map(|(_, s)| s);
                    prop_assert_eq!(ours.first().map(|e| e.record.line), want);
                    ours.drop_first();
                } else {
                    // Three kinds of event per minute: equal times are ordered by the tie key.
                    let ip = format!("203.0.113.{}", seq % 3);
                    let mut ev = crate::signals::testkit::ev(t, "u", "0", &ip);
                    ev.record.line = seq;
                    map.insert((ev.time, ev.tie_key(), seq), seq);
                    ours.insert(seq, ev);
                }
                prop_assert_eq!(ours.len(), map.len());
                let lines: Vec<u64> = ours.in_order().iter().map(|(s, e)| { assert_eq!(*s, e.ev.record.line); e.ev.record.line }).collect();
                prop_assert_eq!(lines, map.values().copied().collect::<Vec<_>>());
            }
        }
    }
}
