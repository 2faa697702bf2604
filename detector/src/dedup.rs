//! The record ids processed within the last window, for dropping a record seen twice (one sign-in
//! written as several rows, overlapping exports).
//!
//! The window is the ids with their times in arrival order; a hash table finds them by hash, each
//! entry holding only the hash and the id's arrival number (where it is in the window). An id
//! leaves the window by the window's front moving past its number: the table is not touched then
//! (its entry, long since out of the cache, is left to be swept). Each id costs one table lookup
//! when it arrives; entries of departed ids are swept, in one sequential pass, whenever they
//! outnumber the ids in the window. Texts are compared only when two hashes are equal.

use crate::shared::Shared;
use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::ser::{Serialize, SerializeSeq, Serializer};

#[derive(Debug, Clone, Default)]
pub(crate) struct SeenIds {
    /// The ids in the window with their times, in arrival order; the front one arrived
    /// `departed`-th (counting from 0).
    order: VecDeque<(DateTime<Utc>, Shared<str>)>,
    /// How many ids have left the window.
    departed: u64,
    /// (hash, arrival number) of the ids in the window, and of departed ones not yet swept (their
    /// number is below `departed`).
    table: hashbrown::HashTable<(u64, u64)>,
}

fn hash(id: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(id.as_bytes());
    h.finish()
}

impl SeenIds {
    /// Ids in the window.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Forget the ids processed before `horizon` (from the front: processing order).
    pub fn expire(&mut self, horizon: DateTime<Utc>) {
        while self.order.front().is_some_and(|(t, _)| *t < horizon) {
            self.pop_oldest();
        }
    }

    /// Forget the oldest id.
    pub fn pop_oldest(&mut self) {
        if self.order.pop_front().is_some() {
            self.departed += 1;
        }
    }

    /// Record `id` at `time`; `false` (and nothing recorded) when it is in the window already.
    pub fn insert(&mut self, time: DateTime<Utc>, id: Shared<str>) -> bool {
        let h = hash(&id);
        let SeenIds {
            order,
            departed,
            table,
        } = self;
        let number = *departed + order.len() as u64;
        let in_window = |&(h2, n): &(u64, u64)| {
            h2 == h
                && n >= *departed
                && usize::try_from(n - *departed)
                    .ok()
                    .and_then(|i| order.get(i))
                    .is_some_and(|(_, s)| **s == *id)
        };
        match table.entry(h, in_window, |e| e.0) {
            hashbrown::hash_table::Entry::Occupied(_) => return false,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert((h, number));
            }
        }
        order.push_back((time, id));
        if table.len() > 2 * order.len() + 64 {
            let departed = *departed;
            table.retain(|e| e.1 >= departed);
        }
        true
    }

    /// The ids in the window in arrival order, with their times (the snapshot form).
    pub fn pairs(&self) -> impl Iterator<Item = (DateTime<Utc>, &Shared<str>)> {
        self.order.iter().map(|(t, id)| (*t, id))
    }

    /// From the snapshot form (oldest first); a repeated id keeps its first time.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (DateTime<Utc>, Shared<str>)>) -> SeenIds {
        let mut s = SeenIds::default();
        for (t, id) in pairs {
            s.insert(t, id);
        }
        s
    }
}

/// Written as the sequence of `(time, id)` pairs, oldest first.
impl Serialize for SeenIds {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        let mut seq = s.serialize_seq(Some(self.order.len()))?;
        for p in self.pairs() {
            seq.serialize_element(&p)?;
        }
        seq.end()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(s, 0).expect("in range")
    }

    #[test]
    fn a_repeat_within_the_window_is_refused_and_one_after_it_accepted() {
        let mut s = SeenIds::default();
        assert!(s.insert(t(0), "a".into()));
        assert!(s.insert(t(1), "b".into()));
        // Equal text, another allocation: still the same id.
        assert!(!s.insert(t(2), Shared::from(String::from("a"))));
        assert_eq!(s.len(), 2);
        s.expire(t(1));
        assert_eq!(s.len(), 1);
        assert!(s.insert(t(3), "a".into()));
        assert!(!s.insert(t(3), "b".into()));
        s.pop_oldest();
        assert!(s.insert(t(4), "b".into()));
        assert_eq!(
            s.pairs()
                .map(|(t, id)| (t, id.to_string()))
                .collect::<Vec<_>>(),
            vec![(t(3), "a".to_string()), (t(4), "b".to_string())]
        );
    }

    #[test]
    fn many_ids_in_and_out_leave_the_table_consistent() {
        let mut s = SeenIds::default();
        for i in 0..10_000i64 {
            assert!(s.insert(t(i), format!("id-{i}").into()));
            s.expire(t(i - 100));
            assert!(s.len() <= 101);
            assert!(
                s.table.len() <= 300,
                "departed ids are swept: {}",
                s.table.len()
            );
        }
        assert!(!s.insert(t(20_000), "id-9999".into()));
        assert!(s.insert(t(20_000), "id-1".into()));
    }

    #[test]
    fn the_snapshot_form_is_the_list_of_pairs() {
        let pairs: Vec<(DateTime<Utc>, Shared<str>)> = vec![(t(5), "x".into()), (t(6), "y".into())];
        let s = SeenIds::from_pairs(pairs.clone());
        assert_eq!(
            postcard::to_allocvec(&s).expect("serializes"),
            postcard::to_allocvec(&pairs).expect("serializes")
        );
    }
}
