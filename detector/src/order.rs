//! Sorting through one compiled sort routine.
//!
//! Every `sort`/`sort_by` on a new element type or comparator compiles a new copy of the standard
//! library's sort (about 6 KB of `.wasm` each; there were nine). Alert lists, evidence,
//! end-of-input key lists and the enrichment table (once, at load) are sorted rarely, so they
//! share one routine here: the positions are sorted (one `u32` sort behind a `dyn` comparator)
//! and the elements moved into place after. Hot sorts keep the standard ones.

use std::cmp::Ordering;

/// The positions `0..n` in the order `cmp` gives them; equal items keep their order (stable).
fn order(n: usize, cmp: &mut dyn FnMut(usize, usize) -> Ordering) -> Vec<u32> {
    let n = u32::try_from(n).expect("fewer than 2^32 items");
    let mut idx: Vec<u32> = (0..n).collect();
    idx.sort_unstable_by(|&a, &b| cmp(a as usize, b as usize).then(a.cmp(&b)));
    idx
}

/// Move `v[idx[i]]` to `v[i]` for every `i`, following each cycle of the permutation once.
fn permute<T>(v: &mut [T], idx: &[u32]) {
    let mut done = vec![false; v.len()];
    for start in 0..v.len() {
        if done[start] {
            continue;
        }
        let mut at = start;
        loop {
            done[at] = true;
            let from = idx[at] as usize;
            if from == start {
                break;
            }
            v.swap(at, from);
            at = from;
        }
    }
}

/// Stable sort by `cmp`, as `slice::sort_by`.
pub(crate) fn sort_by<T>(v: &mut [T], mut cmp: impl FnMut(&T, &T) -> Ordering) {
    if v.len() < 2 {
        return;
    }
    let idx = order(v.len(), &mut |a, b| cmp(&v[a], &v[b]));
    permute(v, &idx);
}

/// Stable sort, as `slice::sort`.
pub(crate) fn sort<T: Ord>(v: &mut [T]) {
    sort_by(v, T::cmp);
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// The same order as the standard stable sort, equal keys included (stability).
        #[test]
        fn agrees_with_the_standard_stable_sort(v in proptest::collection::vec((0u8..6, any::<u16>()), 0..200)) {
            let mut ours = v.clone();
            sort_by(&mut ours, |a, b| a.0.cmp(&b.0));
            let mut std = v.clone();
            std.sort_by_key(|a| a.0);
            prop_assert_eq!(&ours, &std);
            let mut ours = v.clone();
            sort(&mut ours);
            let mut std = v;
            std.sort();
            prop_assert_eq!(ours, std);
        }
    }
}
