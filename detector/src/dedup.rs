//! The record ids processed within the last window, for dropping a record seen twice (one sign-in
//! written as several rows, overlapping exports).
//!
//! Ids live in a hash table, each with its hash and its arrival number; the window itself is only
//! their times in arrival order. An id leaves the window by the window's front moving past its
//! number: the table is not touched then (its entry, long since out of the cache, is left to be
//! swept). Each id costs one table lookup when it arrives; the table is swept of departed ids, in one
//! sequential pass, whenever they outnumber the ids in the window. Texts are compared only when two
//! hashes are equal.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::ser::{Serialize, SerializeSeq, Serializer};

#[derive(Debug, Clone, Default)]
pub(crate) struct SeenIds {
    /// The times of the ids in the window, in arrival order; the front one arrived `departed`-th
    /// (counting from 0).
    times: VecDeque<DateTime<Utc>>,
    /// How many ids have left the window.
    departed: u64,
    /// Ids by hash: (hash, arrival number, id). An entry whose number is below `departed` has left.
    table: hashbrown::HashTable<(u64, u64, Arc<str>)>,
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
        self.times.len()
    }

    /// Forget the ids processed before `horizon` (from the front: processing order).
    pub fn expire(&mut self, horizon: DateTime<Utc>) {
        while self.times.front().is_some_and(|t| *t < horizon) {
            self.pop_oldest();
        }
    }

    /// Forget the oldest id.
    pub fn pop_oldest(&mut self) {
        if self.times.pop_front().is_some() {
            self.departed += 1;
        }
    }

    /// Record `id` at `time`; `false` (and nothing recorded) when it is in the window already.
    pub fn insert(&mut self, time: DateTime<Utc>, id: Arc<str>) -> bool {
        let h = hash(&id);
        let number = self.departed + self.times.len() as u64;
        match self
            .table
            .entry(h, |(h2, _, s)| *h2 == h && **s == *id, |e| e.0)
        {
            hashbrown::hash_table::Entry::Occupied(mut o) => {
                if o.get().1 >= self.departed {
                    return false;
                }
                // Seen before, but it has left the window: it arrives anew.
                o.get_mut().1 = number;
            }
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert((h, number, id));
            }
        }
        self.times.push_back(time);
        if self.table.len() > 2 * self.times.len() + 64 {
            let departed = self.departed;
            self.table.retain(|e| e.1 >= departed);
        }
        true
    }

    /// The ids in the window in arrival order, with their times (the snapshot form).
    pub fn pairs(&self) -> Vec<(DateTime<Utc>, &Arc<str>)> {
        let mut live: Vec<(u64, &Arc<str>)> = self
            .table
            .iter()
            .filter(|e| e.1 >= self.departed)
            .map(|e| (e.1, &e.2))
            .collect();
        live.sort_unstable_by_key(|e| e.0);
        live.iter()
            .zip(&self.times)
            .map(|(&(_, id), &t)| (t, id))
            .collect()
    }

    /// From the snapshot form (oldest first); a repeated id keeps its first time.
    pub fn from_pairs(pairs: impl IntoIterator<Item = (DateTime<Utc>, Arc<str>)>) -> SeenIds {
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
        let pairs = self.pairs();
        let mut seq = s.serialize_seq(Some(pairs.len()))?;
        for p in &pairs {
            seq.serialize_element(p)?;
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
        assert!(!s.insert(t(2), Arc::from(String::from("a"))));
        assert_eq!(s.len(), 2);
        s.expire(t(1));
        assert_eq!(s.len(), 1);
        assert!(s.insert(t(3), "a".into()));
        assert!(!s.insert(t(3), "b".into()));
        s.pop_oldest();
        assert!(s.insert(t(4), "b".into()));
        assert_eq!(
            s.pairs()
                .into_iter()
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
        let pairs: Vec<(DateTime<Utc>, Arc<str>)> = vec![(t(5), "x".into()), (t(6), "y".into())];
        let s = SeenIds::from_pairs(pairs.clone());
        assert_eq!(
            postcard::to_allocvec(&s).expect("serializes"),
            postcard::to_allocvec(&pairs).expect("serializes")
        );
    }
}
