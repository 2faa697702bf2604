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

/// (event time, tie key, arrival sequence): unique, and the processing order.
type Key = (DateTime<Utc>, u64, u64);

/// An event in the sorted run. Its tie key is worked out only when another event has the same time
/// (hashing the event's texts is most of the cost of a key).
#[derive(Debug, Clone)]
struct Entry {
    time: DateTime<Utc>,
    seq: u64,
    tie: Option<u64>,
    ev: Box<AuthEvent>,
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
    rest: BTreeMap<Key, Box<AuthEvent>>,
}

impl Reorder {
    pub fn len(&self) -> usize {
        self.run.len() + self.rest.len()
    }

    /// Add the event that arrived `seq`-th.
    pub fn insert(&mut self, seq: u64, ev: Box<AuthEvent>) {
        let mut new = Entry {
            time: ev.time,
            seq,
            tie: None,
            ev,
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

    /// Take the first event.
    pub fn pop_first(&mut self) -> Option<Box<AuthEvent>> {
        let from_run = match (self.run.front_mut(), self.rest.first_key_value()) {
            (Some(a), Some((k, _))) => a.before_key(k),
            (Some(_), None) => true,
            (None, _) => false,
        };
        if from_run {
            self.run.pop_front().map(|e| e.ev)
        } else {
            self.rest.pop_first().map(|(_, e)| e)
        }
    }

    /// Every waiting event with its arrival sequence, in key order (for snapshots).
    pub fn in_order(&self) -> Vec<(u64, &AuthEvent)> {
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
                out.push((e.seq, &*e.ev));
            } else {
                let (k, e) = b.next().expect("peeked");
                out.push((k.2, &**e));
            }
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

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
                    prop_assert_eq!(ours.pop_first().map(|e| e.record.line), want);
                } else {
                    // Three kinds of event per minute: equal times are ordered by the tie key.
                    let ip = format!("203.0.113.{}", seq % 3);
                    let mut ev = crate::signals::testkit::ev(t, "u", "0", &ip);
                    ev.record.line = seq;
                    map.insert((ev.time, ev.tie_key(), seq), seq);
                    ours.insert(seq, Box::new(ev));
                }
                prop_assert_eq!(ours.len(), map.len());
                let lines: Vec<u64> = ours.in_order().iter().map(|(s, e)| { assert_eq!(*s, e.record.line); e.record.line }).collect();
                prop_assert_eq!(lines, map.values().copied().collect::<Vec<_>>());
            }
        }
    }
}
