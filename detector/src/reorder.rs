//! The reordering buffer: events waiting for the watermark, taken out in (time, tie key, arrival)
//! order.
//!
//! Logs mostly arrive in time order, oldest-first or (Graph exports) newest-first. An event that
//! extends the sorted run at either end goes into a deque in constant time; any other goes into an
//! ordered map. The smallest key is at the front of one of the two. Same order out as one ordered
//! map, with a fraction of the work for sorted input (a B-tree insert compares keys down the tree).

use std::collections::{BTreeMap, VecDeque};

use chrono::{DateTime, Utc};

use crate::event::AuthEvent;

/// (event time, tie key, arrival sequence): unique, and the processing order.
pub(crate) type Key = (DateTime<Utc>, u64, u64);

#[derive(Debug, Clone, Default)]
pub(crate) struct Reorder {
    /// Sorted by key.
    run: VecDeque<(Key, Box<AuthEvent>)>,
    rest: BTreeMap<Key, Box<AuthEvent>>,
}

impl Reorder {
    pub fn len(&self) -> usize {
        self.run.len() + self.rest.len()
    }

    pub fn insert(&mut self, key: Key, ev: Box<AuthEvent>) {
        match (self.run.front(), self.run.back()) {
            (_, None) => self.run.push_back((key, ev)),
            (_, Some((b, _))) if *b < key => self.run.push_back((key, ev)),
            (Some((f, _)), _) if key < *f => self.run.push_front((key, ev)),
            _ => {
                self.rest.insert(key, ev);
            }
        }
    }

    /// The smallest key.
    pub fn first_key(&self) -> Option<&Key> {
        match (self.run.front(), self.rest.first_key_value()) {
            (Some((a, _)), Some((b, _))) => Some(a.min(b)),
            (Some((a, _)), None) => Some(a),
            (None, Some((b, _))) => Some(b),
            (None, None) => None,
        }
    }

    /// Take the event with the smallest key.
    pub fn pop_first(&mut self) -> Option<Box<AuthEvent>> {
        let from_run = match (self.run.front(), self.rest.first_key_value()) {
            (Some((a, _)), Some((b, _))) => a < b,
            (Some(_), None) => true,
            (None, _) => false,
        };
        if from_run {
            self.run.pop_front().map(|(_, e)| e)
        } else {
            self.rest.pop_first().map(|(_, e)| e)
        }
    }

    /// Every waiting event in key order (for snapshots).
    pub fn in_order(&self) -> Vec<(&Key, &AuthEvent)> {
        let mut out = Vec::with_capacity(self.len());
        let mut a = self.run.iter().peekable();
        let mut b = self.rest.iter().peekable();
        loop {
            let take_a = match (a.peek(), b.peek()) {
                (Some((ka, _)), Some((kb, _))) => ka < *kb,
                (Some(_), None) => true,
                (None, Some(_)) => false,
                (None, None) => break,
            };
            let (k, e) = if take_a {
                let (k, e) = a.next().expect("peeked");
                (k, e)
            } else {
                b.next().expect("peeked")
            };
            out.push((k, &**e));
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
                    let want = map.pop_first().map(|(_, s)| s);
                    prop_assert_eq!(ours.first_key().map(|k| k.2), want);
                    prop_assert_eq!(ours.pop_first().map(|e| e.record.line), want);
                } else {
                    let key = (DateTime::from_timestamp(t, 0).expect("time"), (t as u64) % 3, seq);
                    let mut ev = crate::signals::testkit::ev(t, "u", "0", "203.0.113.1");
                    ev.record.line = seq;
                    ours.insert(key, Box::new(ev));
                    map.insert(key, seq);
                }
                prop_assert_eq!(ours.len(), map.len());
                let lines: Vec<u64> = ours.in_order().iter().map(|(_, e)| e.record.line).collect();
                prop_assert_eq!(lines, map.values().copied().collect::<Vec<_>>());
            }
        }
    }
}
