//! The reordering buffer: events waiting for the watermark, taken out in (time, tie key, arrival)
//! order.
//!
//! Logs mostly arrive in time order, oldest-first or (Graph exports) newest-first. An event that
//! extends the run at either end, or lands a few places from its end, goes into a deque kept in
//! time order; any other goes into an ordered map. The smallest key is at the front of one of the
//! two. Events of one time sit in the deque in arrival order, where they were put: only when their
//! time reaches the front are their tie keys sorted, as small keys, and the events taken out from
//! where they are (the holes they leave close as the front moves past them). Before, each event
//! was put in key order on arrival, moving a 400-byte entry past each later one of its second
//! (native −3 to −6 % with this, commit 523f8d7). The same order out as one ordered map, and the
//! tie key is
//! worked out only for events that meet another of the same time.

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
/// day after it was read (commit 5a0162c). Made a shared text again when its time
/// reaches the front (its tie key reads it) or when it leaves, whichever is first, it is read and
/// released while still in the cache.
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
    #[cfg(test)]
    fn new(mut ev: AuthEvent) -> Parked {
        let id = Parked::take_id(&mut ev);
        Parked { ev, id }
    }

    /// The record id taken out of `ev` when it can be held in place (and the request id with it
    /// when the same text).
    fn take_id(ev: &mut AuthEvent) -> Option<(Id, bool)> {
        ev.record.record_id.as_deref().and_then(Id::new).map(|id| {
            let same = ev.request_id.as_deref() == ev.record.record_id.as_deref();
            ev.record.record_id = None;
            if same {
                ev.request_id = None;
            }
            (id, same)
        })
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
    fn unpark(&mut self) -> &mut AuthEvent {
        if let Some((id, same)) = self.id.take() {
            let id: Shared<str> = Shared::from(id.write(&mut [0; 36]));
            if same {
                self.ev.request_id = Some(id.clone());
            }
            self.ev.record.record_id = Some(id);
        }
        &mut self.ev
    }
}

/// A waiting event in the run, held where it was put until it is taken out (events are never
/// moved to make room: one second's events arrive in any order and are put in key order only
/// when their second reaches the front, as small keys).
#[derive(Debug, Clone)]
struct Slot {
    time: DateTime<Utc>,
    seq: u64,
    /// Its tie key once worked out, [`NO_TIE`] until then.
    tie: u64,
    /// `None` once taken out: a hole until every slot before it is taken out too (only the
    /// front time's events are taken out of order).
    ev: Option<Parked>,
}

/// No tie key worked out yet (a tie key's top byte is its outcome's rank, 0 to 2).
const NO_TIE: u64 = u64::MAX;

impl Slot {
    fn tie(&mut self) -> u64 {
        // Unparked first: the id is written out once, for the tie key and for the signals.
        if self.tie == NO_TIE
            && let Some(p) = &mut self.ev
        {
            self.tie = p.unpark().tie_key();
        }
        self.tie
    }
}

/// How far from the end of the run an event may still be placed into it.
const NEAR_END: usize = 16;

#[derive(Debug, Clone, Default)]
pub(crate) struct Reorder {
    /// Sorted by time; events of one time in arrival order. The front slot is never a hole.
    run: VecDeque<Slot>,
    /// Events in `run` (slots that are not holes).
    live: usize,
    /// The number of `run`'s front slot: slots are numbered as they are put at either end
    /// (counting modulo 2^64), so a number stays valid while slots before it leave.
    base: u64,
    /// The front time's events in `run`, in reverse key order as (tie key, arrival, slot number):
    /// the next one out is last. Worked out when it is needed and empty (emptied when the front
    /// time's events change), not on each arrival.
    front: Vec<(u64, u64, u64)>,
    rest: BTreeMap<Key, Parked>,
}

impl Reorder {
    pub fn len(&self) -> usize {
        self.live + self.rest.len()
    }

    /// Add the event that arrived `seq`-th.
    ///
    /// Boxed as the reader made it: the ids are taken out where the event is, and the event is
    /// moved from its box to where it waits (two copies of it fewer than taking it unboxed,
    /// commit 2445a08).
    pub fn insert(&mut self, seq: u64, mut ev: Box<AuthEvent>) {
        let time = ev.time;
        let id = Parked::take_id(&mut ev);
        let slot = |ev| Slot {
            time,
            seq,
            tie: NO_TIE,
            ev: Some(Parked { ev, id }),
        };
        let front = self.run.front().map_or(time, |s| s.time);
        // Another event of the front time once those are in key order waits in the ordered map:
        // sorting them again for each such arrival would be quadratic (one timestamp for a whole
        // export, over the buffer's cap). An earlier time is a new front time.
        let sorted = time == front && !self.front.is_empty();
        if time < front {
            self.front.clear();
        }
        // Into the run after the last event of its time or earlier, a few places from its end
        // at most (events of one second arrive in any order: ties are ordered at the front) ...
        let n = self.run.len();
        let mut i = n;
        while i > 0 && n - i < NEAR_END && self.run[i - 1].time > time {
            i -= 1;
        }
        if !sorted
            && i.checked_sub(1)
                .map_or(n == 0, |j| self.run[j].time <= time)
        {
            self.live += 1;
            self.run.insert(i, slot(*ev));
        } else if time < front {
            // ... or before its start (newest-first input) ...
            self.live += 1;
            self.base = self.base.wrapping_sub(1);
            self.run.push_front(slot(*ev));
        } else {
            // ... or else into the ordered map.
            let p = Parked { ev: *ev, id };
            self.rest.insert((time, p.tie_key(), seq), p);
        }
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

    /// The first event of the run: where it is in `run`, and its arrival.
    fn run_first(&mut self) -> Option<(usize, u64)> {
        let t = self.run.front()?.time;
        if self.front.is_empty() {
            // One event of its time: no tie key to work out (unless another of that time is in
            // the ordered map: see `first_in_run`).
            let single = self.run.get(1).is_none_or(|s| s.time != t);
            let base = self.base;
            for (i, s) in self.run.iter_mut().enumerate() {
                if s.time != t {
                    break;
                }
                if s.ev.is_some() {
                    let tie = if single { 0 } else { s.tie() };
                    self.front.push((tie, s.seq, base.wrapping_add(i as u64)));
                }
            }
            crate::order::sort_by(&mut self.front, |a, b| b.cmp(a));
        }
        let &(_, seq, number) = self.front.last()?;
        Some((number.wrapping_sub(self.base) as usize, seq))
    }

    /// Where the first event is: `Some(i)` at `run[i]`, `None` first in the ordered map.
    fn first_in_run(&mut self) -> Option<Option<usize>> {
        let rest = self.rest.first_key_value().map(|(k, _)| *k);
        let Some((i, seq)) = self.run_first() else {
            return rest.map(|_| None);
        };
        let Some(k) = rest else {
            return Some(Some(i));
        };
        let t = self.run[i].time;
        if t != k.0 {
            return Some((t < k.0).then_some(i));
        }
        // Same time in both: the tie keys decide (the run's, worked out now if it was alone).
        let tie = self.run[i].tie();
        Some(((tie, seq) < (k.1, k.2)).then_some(i))
    }

    /// Hand the first event to `f`, read where it waits (not copied out), then drop it. `false`
    /// when there is none.
    pub fn take_first(&mut self, f: &mut dyn FnMut(&mut AuthEvent)) -> bool {
        self.take_first_keyed(&mut |_, ev| f(ev))
    }

    /// [`take_first`](Reorder::take_first), `f` also given the event's arrival sequence.
    pub fn take_first_keyed(&mut self, f: &mut dyn FnMut(u64, &mut AuthEvent)) -> bool {
        match self.first_in_run() {
            Some(Some(i)) => {
                let seq = self.run[i].seq;
                if let Some(p) = &mut self.run[i].ev {
                    f(seq, p.unpark());
                }
                self.front.pop();
                self.run[i].ev = None;
                self.live -= 1;
                while self.run.front().is_some_and(|s| s.ev.is_none()) {
                    self.run.pop_front();
                    self.base = self.base.wrapping_add(1);
                }
            }
            Some(None) => {
                if let Some(mut e) = self.rest.first_entry() {
                    let seq = e.key().2;
                    f(seq, e.get_mut().unpark());
                    e.remove();
                }
            }
            None => return false,
        }
        true
    }

    /// Every waiting event with its arrival sequence, as held: the run's, then the ordered map's
    /// (for snapshots; written as the events they are). Put back with
    /// [`insert`](Reorder::insert), in this order, they come out in the same key order.
    pub fn held(&self) -> Vec<(u64, &Parked)> {
        let mut out = Vec::new();
        for s in &self.run {
            if let Some(ev) = &s.ev {
                out.push((s.seq, ev));
            }
        }
        for (k, ev) in &self.rest {
            out.push((k.2, ev));
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
            same_order(ops.into_iter().enumerate().map(|(i, (t, take))| (t, take, i as i64 % 3)).collect())?;
        }

        /// The same for input in near time order with many events a minute (each minute's events
        /// in any order, a few a minute or more behind, events taken out between them): the
        /// run's own paths, not the ordered map's.
        #[test]
        fn near_sorted_input_comes_out_in_key_order(ops in proptest::collection::vec((0i64..3, 0u8..8, 0i64..6), 0..400)) {
            let mut t = 0;
            let ops = ops.into_iter().enumerate().map(|(i, (behind, take, kind))| {
                if i % 4 == 0 {
                    t += 1;
                }
                // Mostly the current minute, some behind it; one in four a take.
                ((t - behind).max(0), take < 2, kind)
            }).collect();
            same_order(ops)?;
        }
    }

    /// Arrivals (minute, kind) and takes, checked step by step against one ordered map.
    fn same_order(ops: Vec<(i64, bool, i64)>) -> Result<(), TestCaseError> {
        {
            let mut ours = Reorder::default();
            let mut map: BTreeMap<Key, u64> = BTreeMap::new();
            for (seq, (t, take, kind)) in ops.into_iter().enumerate() {
                let seq = seq as u64;
                if take {
                    let first = map.first_key_value().map(|(k, _)| k.0);
                    prop_assert_eq!(ours.first_time(), first);
                    let want = map.pop_first().map(|(_, s)| s);
                    let mut got = None;
                    prop_assert_eq!(
                        ours.take_first(&mut |e| got = Some(e.record.line)),
                        want.is_some()
                    );
                    prop_assert_eq!(got, want);
                } else {
                    // Three kinds of event per minute: equal times are ordered by the tie key.
                    let ip = format!("203.0.113.{kind}");
                    let mut ev = crate::signals::testkit::ev(t, "u", "0", &ip);
                    ev.record.line = seq;
                    map.insert((ev.time, ev.tie_key(), seq), seq);
                    ours.insert(seq, Box::new(ev));
                }
                prop_assert_eq!(ours.len(), map.len());
                // Put back as held (a snapshot restored), they come out in the same order.
                let mut again = Reorder::default();
                for (s, e) in ours.held() {
                    prop_assert_eq!(s, e.ev.record.line);
                    again.insert(s, Box::new(e.clone().unpark().clone()));
                }
                let mut lines = Vec::new();
                while again.take_first(&mut |e| lines.push(e.record.line)) {}
                prop_assert_eq!(lines, map.values().copied().collect::<Vec<_>>());
            }
        }
        Ok(())
    }
}
