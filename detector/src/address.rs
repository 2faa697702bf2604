//! A source address as events, evidence and signal state hold it: the parsed address itself, or the
//! text as written when it did not parse.
//!
//! Nearly every address parses, and then nothing is allocated, shared or counted: an event carries
//! its 17 bytes inline. Before, it held a shared text from a pool of every distinct address, and an
//! event buffered for a day released that text a day later, a cache miss for each event (and the
//! pool lookup on arrival was another: keeping addresses parsed took last-level cache misses down
//! 11.6 % on the whole run, commit d88d74d). The text is written out only
//! where it is shown or compared as text (alerts, configured text prefixes).
//!
//! The text of a parsed address is its canonical form (`IpAddr`'s `Display`), as the readers
//! always wrote it; an address that did not parse keeps the text as written. Written and read
//! (serde) as that text, so alerts and snapshots look exactly as before; reading parses first, so
//! a text that parses always becomes the parsed form and two equal addresses are equal values.

use std::cmp::Ordering;
use std::fmt;
use std::net::IpAddr;

use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::shared::Shared;

/// A source address: parsed, or the text as written when it did not parse.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Address {
    /// An address that parsed.
    Ip(IpAddr),
    /// The text as written, when it is not an address (it never parses).
    Text(Shared<str>),
}

impl Address {
    /// The parsed address when `text` is one, else the text.
    pub fn from_text(text: &str) -> Address {
        match text.parse::<IpAddr>() {
            Ok(a) => Address::Ip(a),
            Err(_) => Address::Text(Shared::from(text)),
        }
    }

    /// The address, when it parsed.
    pub fn ip(&self) -> Option<IpAddr> {
        match self {
            Address::Ip(a) => Some(*a),
            Address::Text(_) => None,
        }
    }

    /// An empty text (a record with the field present but blank).
    pub fn is_empty(&self) -> bool {
        matches!(self, Address::Text(t) if t.is_empty())
    }

    /// The text, written into a buffer on the stack for a parsed address.
    pub fn text(&self) -> AddressText<'_> {
        match self {
            Address::Text(t) => AddressText::Borrowed(t),
            Address::Ip(IpAddr::V4(a)) => {
                // Four decimal octets, written directly: the formatting machinery costs several
                // times as much, and this runs for every sign-in a signal lists in an alert.
                let mut b = [0u8; MAX_TEXT];
                let mut n = 0;
                for o in a.octets() {
                    // At most 4 × 4 bytes: `n` stays under 16.
                    let n4 = n & 15;
                    let w = &mut b[n4..n4 + 4];
                    let mut k = 0;
                    if o >= 100 {
                        w[k] = b'0' + o / 100;
                        k += 1;
                    }
                    if o >= 10 {
                        w[k] = b'0' + o / 10 % 10;
                        k += 1;
                    }
                    w[k] = b'0' + o % 10;
                    w[k + 1] = b'.';
                    n = n4 + k + 2;
                }
                // Without the last dot.
                AddressText::Inline(b, (n - 1) as u8)
            }
            Address::Ip(a) => {
                let mut b = Buf([0; MAX_TEXT], 0);
                // An address's text is at most 45 bytes (`ffff:...:255.255.255.255`): it fits.
                let _ = fmt::Write::write_fmt(&mut b, format_args!("{a}"));
                AddressText::Inline(b.0, b.1 as u8)
            }
        }
    }
}

/// Longest text of an `IpAddr` (an IPv4-mapped IPv6 address in full is 45 bytes).
const MAX_TEXT: usize = 48;

struct Buf([u8; MAX_TEXT], usize);

impl fmt::Write for Buf {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.1 + s.len();
        self.0
            .get_mut(self.1..end)
            .ok_or(fmt::Error)?
            .copy_from_slice(s.as_bytes());
        self.1 = end;
        Ok(())
    }
}

/// An address's text ([`Address::text`]): a `str` by `Deref`.
pub enum AddressText<'a> {
    Borrowed(&'a str),
    Inline([u8; MAX_TEXT], u8),
}

impl std::ops::Deref for AddressText<'_> {
    type Target = str;
    fn deref(&self) -> &str {
        match self {
            AddressText::Borrowed(s) => s,
            // Written from `IpAddr`'s `Display`: ASCII, so always valid UTF-8.
            AddressText::Inline(b, n) => std::str::from_utf8(&b[..usize::from(*n)]).unwrap_or(""),
        }
    }
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Address::Ip(a) => fmt::Display::fmt(a, f),
            Address::Text(t) => f.write_str(t),
        }
    }
}

/// In the order of the texts (as when addresses were held as texts: the order alerts list them in).
impl Ord for Address {
    fn cmp(&self, other: &Address) -> Ordering {
        if self == other {
            return Ordering::Equal;
        }
        (*self.text()).cmp(&*other.text())
    }
}

impl PartialOrd for Address {
    fn partial_cmp(&self, other: &Address) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}

impl From<&str> for Address {
    fn from(s: &str) -> Address {
        Address::from_text(s)
    }
}

impl From<IpAddr> for Address {
    fn from(a: IpAddr) -> Address {
        Address::Ip(a)
    }
}

impl Serialize for Address {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Address {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Address, D::Error> {
        struct V;
        impl serde::de::Visitor<'_> for V {
            type Value = Address;
            fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
                f.write_str("an address as text")
            }
            fn visit_str<E: serde::de::Error>(self, s: &str) -> Result<Address, E> {
                Ok(Address::from_text(s))
            }
        }
        d.deserialize_str(V)
    }
}

#[cfg(test)]
mod tests {
    use super::Address;
    use proptest::prelude::*;

    #[test]
    fn texts_round_trip_and_parse_first() {
        for (text, parsed) in [
            ("203.0.113.9", true),
            ("2001:db8::1", true),
            ("::ffff:255.255.255.255", true),
            ("ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff", true),
            ("not-an-ip", false),
            ("", false),
            ("010.1.1.1", false),
        ] {
            let a = Address::from_text(text);
            assert_eq!(a.ip().is_some(), parsed, "{text}");
            assert_eq!(&*a.text(), text, "{text}");
            assert_eq!(a.to_string(), text, "{text}");
            let json = serde_json::to_string(&a).unwrap();
            assert_eq!(json, serde_json::to_string(text).unwrap());
            assert_eq!(serde_json::from_str::<Address>(&json).unwrap(), a);
        }
        assert!(Address::from_text("").is_empty());
        // A non-canonical spelling that parses becomes the canonical text.
        assert_eq!(Address::from_text("2001:DB8::1").to_string(), "2001:db8::1");
    }

    proptest! {
        #[test]
        fn written_as_the_standard_library_writes_it(a in any::<std::net::IpAddr>()) {
            let addr = Address::Ip(a);
            prop_assert_eq!(&*addr.text(), a.to_string());
        }

        #[test]
        fn ordered_as_the_texts(a in any::<std::net::IpAddr>(), b in any::<std::net::IpAddr>(), t in "[0-9a-f:.x]{0,12}") {
            let all = [Address::Ip(a), Address::Ip(b), Address::from_text(&t)];
            for x in &all {
                for y in &all {
                    prop_assert_eq!(x.cmp(y), x.to_string().cmp(&y.to_string()));
                    prop_assert_eq!(x == y, x.to_string() == y.to_string());
                }
            }
        }
    }
}
