//! The record ids processed within the last window, for dropping a record seen twice (one sign-in
//! written as several rows, overlapping exports).
//!
//! The window is the ids with their times and hashes in arrival order; a table placed by hash
//! finds them, each entry two bytes of the hash (a fingerprint) and, apart, the id's arrival
//! number (where it is in the window). An id leaves the window by the window's front moving past
//! its number: the table is not touched then (its entry, long since out of the cache, is left to
//! be swept). Each id costs one lookup when it arrives, which reads fingerprints only; the table
//! is built again from the window, departed ids left out, before it is three quarters full.
//! Numbers are read only when fingerprints match, texts only when whole hashes do.
//!
//! The ids' texts are copied one after another into one ring of bytes, not kept as the events'
//! shared texts: an id's own memory then goes with its event, while it is still in the cache, and
//! an id leaving the window reads nothing (releasing a shared text a day later was a cache miss
//! for each id, and its memory returned to the allocator out of order).

use std::collections::VecDeque;

use chrono::{DateTime, Utc};
use serde::ser::{Serialize, SerializeSeq, Serializer};

#[derive(Debug, Clone, Default)]
pub(crate) struct SeenIds {
    /// The ids in the window with their times, where their texts start (counting every byte ever
    /// added to `text`), their lengths and their hashes, in arrival order; the front one arrived
    /// `departed`-th (counting from 0).
    order: VecDeque<(DateTime<Utc>, u64, u32, u32)>,
    /// The texts of the ids in `order`, one after another.
    text: VecDeque<u8>,
    /// How many ids have left the window.
    departed: u64,
    /// How many bytes of `text` have left with them.
    departed_bytes: u64,
    /// The ids in the window, and departed ones not yet swept, placed by hash with linear
    /// probing: 16 bits of each one's hash (never [`EMPTY`]) here, its arrival number (modulo
    /// 2^32) at the same place in `numbers`. A lookup reads these two-byte fingerprints from where
    /// its hash places it to the first empty one, and a number only when a fingerprint matches:
    /// a quarter of the bytes of a table of 8-byte entries, and one cache line an id where a Swiss
    /// table read two (commit 44fd215; even so, most lookups still miss the cache, which the input
    /// and the reordering buffer stream through: de-duplication is 0.11 s of a 1M-record run). An
    /// entry is in the
    /// window when its number's distance from `departed` is below the window's length; the table
    /// is built again from `order`, leaving out departed ids, before three quarters of it is
    /// used. A length that is a power of two, or zero.
    prints: Vec<u16>,
    /// The arrival numbers of the entries of `prints`.
    numbers: Vec<u32>,
    /// Entries of `prints` that are not [`EMPTY`].
    used: usize,
}

/// The id's hash in 32 bits (its texts are compared when two are equal): both halves of a 64-bit
/// hash folded together. In wasm32 the hasher works in 32 bits and the upper half is zero: taking
/// that half alone gave every id the same hash there (a test through the `.wasm` never finished).
fn hash(id: &str) -> u32 {
    use std::hash::Hasher;
    let mut h = rustc_hash::FxHasher::default();
    h.write(id.as_bytes());
    fold(h.finish())
}

/// A fingerprint where there is no id.
const EMPTY: u16 = u16::MAX;

/// The fingerprint of a hash: its low 16 bits (the place comes from all of them), never [`EMPTY`].
fn print(h: u32) -> u16 {
    (h as u16).min(EMPTY - 1)
}

/// A 64-bit hash in 32 bits, neither half left out.
fn fold(x: u64) -> u32 {
    (x ^ x >> 32) as u32
}

/// Where a table of `mask + 1` entries places a hash: the top bits of the hash spread over 64 bits.
fn place(h: u32, mask: usize) -> usize {
    let spread = u64::from(h).wrapping_mul(0x9e37_79b9_7f4a_7c15);
    (spread >> 32) as usize & mask
}

impl SeenIds {
    /// Ids in the window.
    pub fn len(&self) -> usize {
        self.order.len()
    }

    /// Forget the ids processed before `horizon` (from the front: processing order).
    pub fn expire(&mut self, horizon: DateTime<Utc>) {
        while self.order.front().is_some_and(|e| e.0 < horizon) {
            self.pop_oldest();
        }
    }

    /// Forget the oldest id.
    pub fn pop_oldest(&mut self) {
        if let Some((_, _, n, _)) = self.order.pop_front() {
            self.text.drain(..n as usize);
            self.departed += 1;
            self.departed_bytes += u64::from(n);
        }
    }

    /// The text of the `i`-th id in the window.
    fn text_of(&self, i: usize) -> impl Iterator<Item = &u8> {
        let (_, start, n, _) = self.order[i];
        let start = usize::try_from(start - self.departed_bytes).expect("within the ring");
        self.text.range(start..start + n as usize)
    }

    /// Record `id` at `time`; `false` (and nothing recorded) when it is in the window already.
    pub fn insert(&mut self, time: DateTime<Utc>, id: &str) -> bool {
        let h = hash(id);
        // An id over 4 GiB cannot come from a record within `limits.max_record_bytes`.
        let len = u32::try_from(id.len()).expect("an id under 4 GiB");
        if 4 * (self.used + 1) > 3 * self.prints.len() {
            self.sweep();
        }
        let departed = self.departed as u32;
        let live = self.order.len();
        let mask = self.prints.len() - 1;
        let p = print(h);
        let mut i = place(h, mask);
        loop {
            let q = self.prints[i];
            if q == EMPTY {
                break;
            }
            if q == p {
                let n = self.numbers[i].wrapping_sub(departed) as usize;
                if n < live && self.order[n].3 == h && self.text_of(n).eq(id.as_bytes()) {
                    return false;
                }
            }
            i = (i + 1) & mask;
        }
        self.prints[i] = p;
        self.numbers[i] = departed.wrapping_add(live as u32);
        self.used += 1;
        let start = self.departed_bytes + self.text.len() as u64;
        self.order.push_back((time, start, len, h));
        self.text.extend(id.as_bytes());
        true
    }

    /// Place the ids in the window again, in a table four times their number or more (at least
    /// 64 entries), departed ones left out: about once for each window's worth of ids.
    fn sweep(&mut self) {
        let live = self.order.len();
        let size = (4 * live + 4).next_power_of_two().max(64);
        let mask = size - 1;
        self.prints.clear();
        self.prints.resize(size, EMPTY);
        self.numbers.resize(size, 0);
        let departed = self.departed as u32;
        for (k, e) in self.order.iter().enumerate() {
            let mut i = place(e.3, mask);
            while self.prints[i] != EMPTY {
                i = (i + 1) & mask;
            }
            self.prints[i] = print(e.3);
            self.numbers[i] = departed.wrapping_add(k as u32);
        }
        self.used = live;
    }

    /// The ids in the window in arrival order, with their times (the snapshot form).
    pub fn pairs(&self) -> impl Iterator<Item = (DateTime<Utc>, String)> + '_ {
        (0..self.order.len()).map(|i| {
            let bytes: Vec<u8> = self.text_of(i).copied().collect();
            let text = String::from_utf8(bytes).expect("ids are kept whole, as given");
            (self.order[i].0, text)
        })
    }

    /// From the snapshot form (oldest first); a repeated id keeps its first time.
    pub fn from_pairs<S: AsRef<str>>(
        pairs: impl IntoIterator<Item = (DateTime<Utc>, S)>,
    ) -> SeenIds {
        let mut s = SeenIds::default();
        for (t, id) in pairs {
            s.insert(t, id.as_ref());
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
        assert!(s.insert(t(0), "a"));
        assert!(s.insert(t(1), "b"));
        assert!(!s.insert(t(2), &String::from("a")));
        assert_eq!(s.len(), 2);
        s.expire(t(1));
        assert_eq!(s.len(), 1);
        assert!(s.insert(t(3), "a"));
        assert!(!s.insert(t(3), "b"));
        s.pop_oldest();
        assert!(s.insert(t(4), "b"));
        assert_eq!(
            s.pairs()
                .map(|(t, id)| (t, id.to_string()))
                .collect::<Vec<_>>(),
            vec![(t(3), "a".to_string()), (t(4), "b".to_string())]
        );
    }

    /// Ids that differ in one character get different hashes (a hash that ignored part of the
    /// hasher's output made every lookup a collision in wasm32).
    #[test]
    fn folding_keeps_a_hasher_that_fills_only_32_bits() {
        // What wasm32's 32-bit hasher returns: the upper half zero.
        for x in [1u64, 0x1234_5678, u64::from(u32::MAX)] {
            assert_eq!(fold(x), x as u32);
        }
        assert_ne!(fold(1 << 32), fold(2 << 32));
    }

    #[test]
    fn hashes_of_similar_ids_differ() {
        let hashes: std::collections::HashSet<u32> =
            (0..1000).map(|i| hash(&format!("r{i}"))).collect();
        assert!(hashes.len() >= 990, "{} distinct of 1000", hashes.len());
    }

    #[test]
    fn many_ids_in_and_out_leave_the_table_consistent() {
        let mut s = SeenIds::default();
        for i in 0..10_000i64 {
            assert!(s.insert(t(i), &format!("id-{i}")));
            s.expire(t(i - 100));
            assert!(s.len() <= 101);
            assert!(
                s.text.len() <= 101 * "id-9999".len(),
                "departed texts leave the ring"
            );
            assert!(
                s.used <= 400 && s.prints.len() <= 512,
                "departed ids are swept: {} of {}",
                s.used,
                s.prints.len()
            );
        }
        assert!(!s.insert(t(20_000), "id-9999"));
        assert!(s.insert(t(20_000), "id-1"));
    }

    /// Enough ids that many share a fingerprint (16 bits) and a place: a repeat is refused only
    /// when its text is in the window, whatever else shares its fingerprint.
    #[test]
    fn ids_sharing_fingerprints_are_told_apart() {
        let mut s = SeenIds::default();
        let id = |i: i64| format!("{i:08x}-0a4d-4e8f-9b7a-5c6d7e8f9a0b");
        for i in 0..200_000i64 {
            assert!(s.insert(t(i), &id(i)), "{i}");
            s.expire(t(i - 49_999));
        }
        assert_eq!(s.len(), 50_000);
        let prints: std::collections::HashSet<u16> =
            (150_000..200_000).map(|i| print(hash(&id(i)))).collect();
        assert!(prints.len() < 50_000, "fingerprints repeat");
        for i in (150_000..200_000).step_by(7) {
            assert!(!s.insert(t(200_000), &id(i)), "{i} is in the window");
        }
        for i in (100_000..150_000).step_by(7) {
            assert!(s.insert(t(200_000), &id(i)), "{i} has left it");
        }
        assert!(s.prints.len() <= 1 << 18, "{}", s.prints.len());
    }

    proptest::proptest! {
        /// Whatever the ids (any length, repeats, texts that share a prefix) and however they leave,
        /// the window answers as a plain list of the ids in it, and its snapshot form is that list.
        #[test]
        fn same_answers_as_a_list(ops in proptest::collection::vec((0u8..4, "[ab]{0,3}|x{0,40}"), 0..200)) {
            let mut s = SeenIds::default();
            let mut model: VecDeque<(DateTime<Utc>, String)> = VecDeque::new();
            for (i, (op, id)) in ops.into_iter().enumerate() {
                let now = t(i as i64);
                match op {
                    0 => {
                        s.pop_oldest();
                        model.pop_front();
                    }
                    1 => {
                        let horizon = t(i as i64 - 5);
                        s.expire(horizon);
                        while model.front().is_some_and(|(t, _)| *t < horizon) {
                            model.pop_front();
                        }
                    }
                    _ => {
                        let fresh = !model.iter().any(|(_, x)| *x == id);
                        proptest::prop_assert_eq!(s.insert(now, &id), fresh, "{}", id);
                        if fresh {
                            model.push_back((now, id));
                        }
                    }
                }
                proptest::prop_assert_eq!(s.pairs().collect::<Vec<_>>(), model.iter().cloned().collect::<Vec<_>>());
            }
        }
    }

    #[test]
    fn the_snapshot_form_is_the_list_of_pairs() {
        let pairs: Vec<(DateTime<Utc>, crate::shared::Shared<str>)> =
            vec![(t(5), "x".into()), (t(6), "y".into())];
        let s = SeenIds::from_pairs(pairs.clone());
        assert_eq!(
            postcard::to_allocvec(&s).expect("serializes"),
            postcard::to_allocvec(&pairs).expect("serializes")
        );
    }
}
