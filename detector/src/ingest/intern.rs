//! Shared copies of the texts that repeat from record to record, for every decoder.

use crate::shared::Shared;

/// Shared copies of the texts that repeat from record to record (identities, apps, countries, user
/// agents, result codes...): one allocation per distinct text instead of one per record and field,
/// and signal state that keeps them shares the same copy. A cache, so not part of snapshots.
///
/// Identities have their own pool: an identity should keep one shared copy for the whole run, so
/// that the signal trackers keyed by it find it by address. Addresses are not texts here: they are
/// kept parsed ([`crate::address::Address`]); only a text that is not an address is shared (through
/// the general pool).
///
/// The few texts that repeat on nearly every record (apps, client apps, user agents, places,
/// result codes) are looked for first among the last texts of the same field (see [`Field`]): a hit
/// there reads only memory the previous records used, where the pool's table and texts are spread
/// over a quarter of a megabyte.
#[derive(Debug, Clone)]
pub(crate) struct Interner {
    texts: Pool,
    identities: Pool,
    recent: [Recent; Field::COUNT],
    /// Where the sign-in reader lower-cases field names, kept from record to record (one
    /// allocation per source instead of one per record).
    pub(crate) keys: String,
}

impl Default for Interner {
    fn default() -> Self {
        Interner {
            texts: Pool::new(1 << 14),
            identities: Pool::new(1 << 16),
            recent: Default::default(),
            keys: String::new(),
        }
    }
}

impl Interner {
    /// The shared copy of `s`.
    pub fn get(&mut self, s: &str) -> Shared<str> {
        self.texts.get(s)
    }

    /// The shared copy of `s`, a value of field `f`.
    pub fn field(&mut self, f: Field, s: &str) -> Shared<str> {
        self.recent[f as usize].get(s, &mut self.texts)
    }

    /// The shared copy of the identity `s`.
    pub fn identity(&mut self, s: &str) -> Shared<str> {
        self.identities.get(s)
    }

    /// The identity `s` lower-cased, shared (without a temporary copy when `s` is short ASCII).
    pub fn identity_lower(&mut self, s: &str) -> Shared<str> {
        let mut buf = [0u8; 128];
        if s.is_ascii() && s.len() <= buf.len() {
            let b = &mut buf[..s.len()];
            b.copy_from_slice(s.as_bytes());
            b.make_ascii_lowercase();
            return self.identities.get(std::str::from_utf8(b).expect("ASCII"));
        }
        self.identities.get(&s.to_lowercase())
    }
}

/// Fields whose values repeat on nearly every record: few distinct values in a whole log.
#[derive(Debug, Clone, Copy)]
pub(crate) enum Field {
    App,
    ClientApp,
    UserAgent,
    City,
    Country,
    ResultCode,
    FailureReason,
}

impl Field {
    const COUNT: usize = 7;
}

/// The last few distinct texts of one field, newest first.
#[derive(Debug, Clone, Default)]
struct Recent([Option<Shared<str>>; 4]);

impl Recent {
    /// The shared copy of `s`: one of the last texts when it is one of them (kept in place, so a
    /// field that alternates between a few values costs no writes), else from `pool`, made the
    /// newest.
    fn get(&mut self, s: &str, pool: &mut Pool) -> Shared<str> {
        for t in self.0.iter().flatten() {
            if same_bytes(t.as_bytes(), s.as_bytes()) {
                return t.clone();
            }
        }
        let t = pool.get(s);
        self.0.rotate_right(1);
        self.0[0] = Some(t.clone());
        t
    }
}

/// One bounded set of shared texts: at `cap` texts it drops those no one else holds (the texts
/// already handed out stay valid), and if still half full, all of them.
#[derive(Debug, Clone)]
struct Pool {
    table: hashbrown::HashTable<Shared<str>>,
    cap: usize,
}

impl Pool {
    fn new(cap: usize) -> Pool {
        Pool {
            table: hashbrown::HashTable::new(),
            cap,
        }
    }

    fn hash(s: &str) -> u64 {
        use std::hash::Hasher;
        let mut h = rustc_hash::FxHasher::default();
        h.write(s.as_bytes());
        h.finish()
    }

    fn get(&mut self, s: &str) -> Shared<str> {
        let h = Self::hash(s);
        if let Some(a) = self
            .table
            .find(h, |k| same_bytes(k.as_bytes(), s.as_bytes()))
        {
            return a.clone();
        }
        if self.table.len() >= self.cap {
            self.table.retain(|a| Shared::strong_count(a) > 1);
            if self.table.len() >= self.cap / 2 {
                self.table.clear();
            }
        }
        let a: Shared<str> = Shared::from(s);
        self.table.insert_unique(h, a.clone(), |k| Self::hash(k));
        a
    }
}

/// Byte equality eight bytes at a time: in wasm, `memcmp` compares byte by byte, and interned texts
/// (user agents above all) are long.
pub(crate) fn same_bytes(a: &[u8], b: &[u8]) -> bool {
    let n = a.len();
    if n != b.len() {
        return false;
    }
    if n < 8 {
        return a.iter().zip(b).all(|(x, y)| x == y);
    }
    let word = |s: &[u8], i: usize| u64::from_ne_bytes(s[i..i + 8].try_into().expect("8 bytes"));
    let mut i = 0;
    while i + 8 <= n {
        if word(a, i) != word(b, i) {
            return false;
        }
        i += 8;
    }
    // The last (overlapping) word covers the tail.
    word(a, n - 8) == word(b, n - 8)
}

#[cfg(test)]
mod tests {
    use super::{Field, Interner, Shared, same_bytes};

    #[test]
    fn byte_equality_agrees_with_slices() {
        let texts: [&[u8]; 9] = [
            b"",
            b"a",
            b"abcdefg",
            b"abcdefgh",
            b"abcdefgi",
            b"abcdefghi",
            b"abcdefghj",
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x64)",
            b"Mozilla/5.0 (Windows NT 10.0; Win64; x65)",
        ];
        for a in texts {
            for b in texts {
                assert_eq!(same_bytes(a, b), a == b, "{a:?} {b:?}");
            }
        }
    }

    #[test]
    fn interned_texts_are_shared_and_the_table_is_bounded() {
        let mut i = Interner::default();
        let a = i.identity("alice@contoso.com");
        let b = i.identity("alice@contoso.com");
        assert!(Shared::ptr_eq(&a, &b));
        assert!(Shared::ptr_eq(&i.identity_lower("Alice@Contoso.COM"), &a));
        assert_eq!(&*i.identity_lower("ÄLICE"), "älice");
        // Other texts are another pool.
        assert!(!Shared::ptr_eq(&i.get("alice@contoso.com"), &a));
        let held = i.get("held");
        for n in 0..(1 << 14) + 10 {
            assert_eq!(&*i.get(&n.to_string()), n.to_string());
        }
        assert!(i.texts.table.len() <= 1 << 14);
        // At the cap, a text something else holds keeps its shared copy.
        assert!(Shared::ptr_eq(&i.get("held"), &held));
        // Texts handed out before the table started over stay valid.
        assert_eq!(&*a, "alice@contoso.com");
    }

    #[test]
    fn field_values_are_the_pools_shared_copies_whatever_their_order() {
        let mut i = Interner::default();
        let apps = [
            "Office 365",
            "Azure Portal",
            "Teams",
            "Outlook",
            "SharePoint",
            "",
            "Teams",
        ];
        // More distinct values than a field remembers, in an order that makes each fall out.
        for round in 0..3 {
            for (k, app) in apps.iter().cycle().skip(round).take(20).enumerate() {
                let got = i.field(Field::App, app);
                assert_eq!(&*got, *app, "round {round}, value {k}");
                assert!(Shared::ptr_eq(&got, &i.get(app)), "the pool's copy");
            }
        }
        // Fields are separate: another field's value is found through the pool, the same copy.
        let a = i.field(Field::UserAgent, "Teams");
        assert!(Shared::ptr_eq(&a, &i.field(Field::App, "Teams")));
    }
}
