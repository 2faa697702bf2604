//! The record ids processed within the last window, for dropping a record seen twice (one sign-in
//! written as several rows, overlapping exports).
//!
//! Each id is hashed once, when it arrives; the hash is kept beside it, so an id leaving the window
//! is found again by hash and address without reading its text (long since out of the cache).
//! Texts are compared only when two hashes are equal.

use std::collections::VecDeque;
use std::sync::Arc;

use chrono::{DateTime, Utc};
use serde::ser::{Serialize, SerializeSeq, Serializer};

#[derive(Debug, Clone, Default)]
pub(crate) struct SeenIds {
    /// In processing order: time, hash, id.
    order: VecDeque<(DateTime<Utc>, u64, Arc<str>)>,
    /// The same ids by hash.
    set: hashbrown::HashTable<(u64, Arc<str>)>,
}

fn hash(id: &str) -> u64 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(id.as_bytes());
    h.finish()
}

impl SeenIds {
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Forget the ids processed before `horizon`.
    pub fn expire(&mut self, horizon: DateTime<Utc>) {
        while self.order.front().is_some_and(|(t, ..)| *t < horizon) {
            self.pop_oldest();
        }
    }

    /// Forget the oldest id.
    pub fn pop_oldest(&mut self) {
        let Some((_, h, id)) = self.order.pop_front() else {
            return;
        };
        // The entry is the same shared text: found by address, its bytes never read.
        if let Ok(e) = self
            .set
            .find_entry(h, |(h2, s)| *h2 == h && Arc::ptr_eq(s, &id))
        {
            e.remove();
        }
    }

    /// Record `id` at `time`; `false` (and nothing recorded) when it is already there.
    pub fn insert(&mut self, time: DateTime<Utc>, id: Arc<str>) -> bool {
        let h = hash(&id);
        match self.set.entry(h, |(h2, s)| *h2 == h && **s == *id, |e| e.0) {
            hashbrown::hash_table::Entry::Occupied(_) => false,
            hashbrown::hash_table::Entry::Vacant(v) => {
                v.insert((h, id.clone()));
                self.order.push_back((time, h, id));
                true
            }
        }
    }

    /// The ids in processing order, with their times (the snapshot form).
    pub fn iter(&self) -> impl Iterator<Item = (DateTime<Utc>, &Arc<str>)> {
        self.order.iter().map(|(t, _, id)| (*t, id))
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
        let mut seq = s.serialize_seq(Some(self.order.len()))?;
        for (t, id) in self.iter() {
            seq.serialize_element(&(t, id))?;
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
            s.iter()
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
            assert_eq!(s.len(), s.set.len());
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
