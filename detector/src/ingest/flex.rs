//! Lenient field types: exports disagree on whether a field is a string, a number, a boolean, an
//! object, or an object serialized into a string (Log Analytics "dynamic" columns).

use std::borrow::Cow;
use std::fmt;

use serde::Deserialize;

use super::normalize::trim;
use serde::de::{self, Deserializer, IgnoredAny, MapAccess, SeqAccess, Visitor};

/// A float as text: integral values as integers (`50126.0` from pandas exports, an EVTX double
/// holding a count), others in their shortest form, through the float writer the alert serializer
/// uses (`f64`'s and `f32`'s own `Display` would add 16 KB of formatting code to the module);
/// infinities and NaN as nothing.
pub(crate) fn float_text<F: zmij::Float + Copy + Into<f64>>(v: F) -> String {
    let w: f64 = v.into();
    if w.fract() == 0.0 && w.abs() < 1e15 {
        itoa::Buffer::new().format(w as i64).to_string()
    } else if w.is_finite() {
        zmij::Buffer::new().format_finite(v).to_string()
    } else {
        String::new()
    }
}

/// A scalar as text, borrowed from the input when possible. Numbers and booleans become their text;
/// null, empty strings, objects and arrays become `None`.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Text<'a>(pub Option<Cow<'a, str>>);

impl<'a> Text<'a> {
    pub fn into_owned(self) -> Option<String> {
        self.0.map(Cow::into_owned)
    }
}

/// An integer as text; a single digit (result code `0` on most sign-ins) without an allocation.
pub(crate) fn number_text<'a>(v: i128) -> Cow<'a, str> {
    const DIGITS: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];
    match usize::try_from(v) {
        Ok(d) if d < 10 => Cow::Borrowed(DIGITS[d]),
        _ => Cow::Owned(v.to_string()),
    }
}

impl<'de> Deserialize<'de> for Text<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(TextVisitor)
    }
}

struct TextVisitor;

fn non_empty(c: Cow<'_, str>) -> Option<Cow<'_, str>> {
    if trim(&c).is_empty() { None } else { Some(c) }
}

impl<'de> Visitor<'de> for TextVisitor {
    type Value = Text<'de>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("a string, number or boolean")
    }
    fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Self::Value, E> {
        Ok(Text(non_empty(Cow::Borrowed(v))))
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        Ok(Text(non_empty(Cow::Owned(v.to_owned()))))
    }
    fn visit_string<E: de::Error>(self, v: String) -> Result<Self::Value, E> {
        Ok(Text(non_empty(Cow::Owned(v))))
    }
    fn visit_i64<E: de::Error>(self, v: i64) -> Result<Self::Value, E> {
        Ok(Text(Some(number_text(v.into()))))
    }
    fn visit_u64<E: de::Error>(self, v: u64) -> Result<Self::Value, E> {
        Ok(Text(Some(number_text(v.into()))))
    }
    fn visit_f64<E: de::Error>(self, v: f64) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Owned(float_text(v)))))
    }
    fn visit_bool<E: de::Error>(self, v: bool) -> Result<Self::Value, E> {
        Ok(Text(Some(Cow::Borrowed(if v { "true" } else { "false" }))))
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Text(None))
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
    fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Self::Value, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
    fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Self::Value, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Text(None))
    }
}

/// A boolean given as `true`, `"True"`, `"TRUE"`, `1`, ...
pub fn parse_bool(s: &str) -> Option<bool> {
    match s.trim() {
        t if t.eq_ignore_ascii_case("true") || t == "1" => Some(true),
        t if t.eq_ignore_ascii_case("false") || t == "0" => Some(false),
        _ => None,
    }
}

/// A nested value that may arrive as itself or as a JSON string holding it. Anything unusable
/// (a string that is not JSON, a number where an object was expected, a list where an object was
/// expected) gives `T::default()`: one odd optional field never costs the whole record. Read
/// straight into `T` (no intermediate `serde_json::Value`): this runs several times per record.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct Nested<T>(pub T);

/// A type [`Nested`] can read: from an object (structs, see [`lenient_struct!`]) or a list (`Vec`).
/// The other shape is skipped and gives the default.
/// Text fields borrow from the input (`'de`) where they can.
pub trait Lenient<'de>: Default + Sized {
    fn from_map<A: MapAccess<'de>>(mut m: A) -> Result<Self, A::Error> {
        while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
        Ok(Self::default())
    }
    fn from_seq<A: SeqAccess<'de>>(mut s: A) -> Result<Self, A::Error> {
        while s.next_element::<IgnoredAny>()?.is_some() {}
        Ok(Self::default())
    }
}

/// A list: each element read leniently (an unusable element gives its default).
impl<'de, T: Lenient<'de>> Lenient<'de> for Vec<T> {
    fn from_seq<A: SeqAccess<'de>>(mut s: A) -> Result<Self, A::Error> {
        let mut out = Vec::new();
        while let Some(Nested(x)) = s.next_element::<Nested<T>>()? {
            out.push(x);
        }
        Ok(out)
    }
}

impl<'de, T: Lenient<'de>> Deserialize<'de> for Nested<T> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        d.deserialize_any(NestedVisitor(std::marker::PhantomData))
    }
}

struct NestedVisitor<T>(std::marker::PhantomData<T>);

impl<'de, T: Lenient<'de>> Visitor<'de> for NestedVisitor<T> {
    type Value = Nested<T>;
    fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
        f.write_str("an object, a list, or a JSON string holding one")
    }
    fn visit_str<E: de::Error>(self, v: &str) -> Result<Self::Value, E> {
        // JSON inside a string (a temporary): read through an owned value, so the texts are owned.
        Ok(serde_json::from_slice::<serde_json::Value>(v.as_bytes())
            .ok()
            .and_then(|v| Nested::<T>::deserialize(v).ok())
            .unwrap_or_default())
    }
    fn visit_map<A: MapAccess<'de>>(self, m: A) -> Result<Self::Value, A::Error> {
        T::from_map(m).map(Nested)
    }
    fn visit_seq<A: SeqAccess<'de>>(self, s: A) -> Result<Self::Value, A::Error> {
        T::from_seq(s).map(Nested)
    }
    fn visit_bool<E: de::Error>(self, _: bool) -> Result<Self::Value, E> {
        Ok(Nested::default())
    }
    fn visit_i64<E: de::Error>(self, _: i64) -> Result<Self::Value, E> {
        Ok(Nested::default())
    }
    fn visit_u64<E: de::Error>(self, _: u64) -> Result<Self::Value, E> {
        Ok(Nested::default())
    }
    fn visit_f64<E: de::Error>(self, _: f64) -> Result<Self::Value, E> {
        Ok(Nested::default())
    }
    fn visit_unit<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Nested::default())
    }
    fn visit_none<E: de::Error>(self) -> Result<Self::Value, E> {
        Ok(Nested::default())
    }
    fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Self::Value, D::Error> {
        d.deserialize_any(self)
    }
}

/// A map key as borrowed text (escaped keys arrive owned).
pub(crate) struct Key<'a>(pub Cow<'a, str>);

impl<'de> Deserialize<'de> for Key<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Key<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a key")
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v.to_owned())))
            }
            fn visit_string<E: de::Error>(self, v: String) -> Result<Key<'de>, E> {
                Ok(Key(Cow::Owned(v)))
            }
        }
        d.deserialize_str(V)
    }
}

/// A field of a [`lenient_struct!`]: how its value is read.
pub trait Field<'de>: Sized {
    fn read<A: MapAccess<'de>>(m: &mut A) -> Result<Self, A::Error>;
}

/// Text (see [`Text`]), owned.
impl<'de> Field<'de> for Option<Cow<'de, str>> {
    fn read<A: MapAccess<'de>>(m: &mut A) -> Result<Self, A::Error> {
        Ok(m.next_value::<Text<'de>>()?.0)
    }
}

/// A number given as a number or a numeric string. Numbers are taken as they are (not
/// through their text).
impl<'de> Field<'de> for Option<f64> {
    fn read<A: MapAccess<'de>>(m: &mut A) -> Result<Self, A::Error> {
        Ok(m.next_value::<Scalar<'de>>()?.float())
    }
}

/// A scalar as it came, for fields read as numbers: an integer, a float, text (borrowed when it
/// can be), or anything else (null, a boolean, an object, a list: skipped unparsed).
#[derive(Debug)]
pub(crate) enum Scalar<'a> {
    Int(i128),
    Float(f64),
    Text(Cow<'a, str>),
    Other,
}

impl Scalar<'_> {
    /// A finite number from a number or a numeric string.
    pub fn float(self) -> Option<f64> {
        match self {
            Scalar::Int(i) => Some(i as f64),
            Scalar::Float(f) => Some(f).filter(|f| f.is_finite()),
            Scalar::Text(t) => decimal(t.trim()),
            Scalar::Other => None,
        }
    }
}

/// A decimal number written as text (`33.7`, `-84.4`, `+1.5`, `.5`, `5.`, `1e3`, `007`), read by
/// the JSON number reader once rewritten in JSON's stricter form. The core keeps that one float
/// reader, not also the standard library's (whose tables are 5 KB of the gzipped `.wasm`);
/// `inf`, `NaN`, hex and anything else are not numbers here.
pub(crate) fn decimal(t: &str) -> Option<f64> {
    let (neg, body) = match t.as_bytes().first()? {
        b'-' => (true, &t[1..]),
        b'+' => (false, &t[1..]),
        _ => (false, t),
    };
    let (mantissa, exp) = match body.find(['e', 'E']) {
        Some(i) => (&body[..i], Some(&body[i + 1..])),
        None => (body, None),
    };
    let (int, frac) = mantissa.split_once('.').unwrap_or((mantissa, ""));
    let digits = |s: &str| s.bytes().all(|b| b.is_ascii_digit());
    if int.is_empty() && frac.is_empty() || !digits(int) || !digits(frac) {
        return None;
    }
    let mut json = String::with_capacity(t.len() + 3);
    if neg {
        json.push('-');
    }
    let int = int.trim_start_matches('0');
    json.push_str(if int.is_empty() { "0" } else { int });
    if !frac.is_empty() {
        json.push('.');
        json.push_str(frac);
    }
    if let Some(e) = exp {
        let d = e.strip_prefix(['+', '-']).unwrap_or(e);
        if d.is_empty() || !digits(d) {
            return None;
        }
        json.push('e');
        json.push_str(e);
    }
    serde_json::from_slice::<f64>(json.as_bytes())
        .ok()
        .filter(|f| f.is_finite())
}

impl<'de> Deserialize<'de> for Scalar<'de> {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = Scalar<'de>;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a number")
            }
            fn visit_i64<E: de::Error>(self, v: i64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Int(v.into()))
            }
            fn visit_u64<E: de::Error>(self, v: u64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Int(v.into()))
            }
            fn visit_f64<E: de::Error>(self, v: f64) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Float(v))
            }
            fn visit_borrowed_str<E: de::Error>(self, v: &'de str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Borrowed(v)))
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Text(Cow::Owned(v.to_owned())))
            }
            fn visit_bool<E: de::Error>(self, _: bool) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_unit<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_none<E: de::Error>(self) -> Result<Scalar<'de>, E> {
                Ok(Scalar::Other)
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<Scalar<'de>, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<Scalar<'de>, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<Scalar<'de>, A::Error> {
                while s.next_element::<IgnoredAny>()?.is_some() {}
                Ok(Scalar::Other)
            }
        }
        d.deserialize_any(V)
    }
}

impl<'de, T: Lenient<'de>> Field<'de> for Nested<T> {
    fn read<A: MapAccess<'de>>(m: &mut A) -> Result<Self, A::Error> {
        m.next_value::<Nested<T>>()
    }
}

/// Implement [`Lenient`] for a `Default` struct: `Type { field: "key" | "Alias", ... }`. Keys match
/// exactly (with their aliases); unknown keys are skipped unparsed; a repeated key keeps the last
/// value; each field reads as its [`Field`] type (never failing on an odd value).
macro_rules! lenient_struct {
    ($ty:ty { $( $field:ident : $($key:literal)|+ ),* $(,)? }) => {
        impl<'de> $crate::ingest::flex::Lenient<'de> for $ty {
            fn from_map<A: serde::de::MapAccess<'de>>(mut m: A) -> Result<Self, A::Error> {
                let mut r = Self::default();
                while let Some(k) = m.next_key::<$crate::ingest::flex::Key<'de>>()? {
                    match &*k.0 {
                        $( $($key)|+ => r.$field = $crate::ingest::flex::Field::read(&mut m)?, )*
                        _ => {
                            m.next_value::<serde::de::IgnoredAny>()?;
                        }
                    }
                }
                Ok(r)
            }
        }
    };
}
pub(crate) use lenient_struct;

/// A list of strings from an array, a JSON string holding one, or a comma-separated string.
#[derive(Debug, Default, Clone, PartialEq)]
pub struct StrList(pub Vec<String>);

impl<'de> Deserialize<'de> for StrList {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        struct V;
        impl<'de> Visitor<'de> for V {
            type Value = StrList;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a list of strings")
            }
            fn visit_str<E: de::Error>(self, v: &str) -> Result<StrList, E> {
                let t = v.trim();
                if t.starts_with('[') {
                    let items: Vec<Text<'static>> =
                        serde_json::from_slice::<Vec<serde_json::Value>>(t.as_bytes())
                            .unwrap_or_default()
                            .into_iter()
                            .map(|v| Text::deserialize(v).unwrap_or_default())
                            .collect();
                    return Ok(StrList(
                        items.into_iter().filter_map(Text::into_owned).collect(),
                    ));
                }
                Ok(StrList(
                    t.split(',')
                        .map(str::trim)
                        .filter(|s| !s.is_empty())
                        .map(String::from)
                        .collect(),
                ))
            }
            fn visit_seq<A: SeqAccess<'de>>(self, mut s: A) -> Result<StrList, A::Error> {
                let mut out = Vec::new();
                while let Some(t) = s.next_element::<Text<'de>>()? {
                    if let Some(t) = t.into_owned() {
                        out.push(t);
                    }
                }
                Ok(StrList(out))
            }
            fn visit_unit<E: de::Error>(self) -> Result<StrList, E> {
                Ok(StrList::default())
            }
            fn visit_none<E: de::Error>(self) -> Result<StrList, E> {
                Ok(StrList::default())
            }
            fn visit_some<D: Deserializer<'de>>(self, d: D) -> Result<StrList, D::Error> {
                d.deserialize_any(self)
            }
            fn visit_map<A: MapAccess<'de>>(self, mut m: A) -> Result<StrList, A::Error> {
                while m.next_entry::<IgnoredAny, IgnoredAny>()?.is_some() {}
                Ok(StrList::default())
            }
        }
        d.deserialize_any(V)
    }
}

#[cfg(test)]
mod trim_tests {
    #[test]
    fn trim_agrees_with_str_trim() {
        for s in [
            "", " ", "x", " x", "x ", "\tx\n", "50126", "\u{a0}x", "x\u{a0}", "\u{3000}", "Ä",
            " Ä ", "a b",
        ] {
            assert_eq!(super::trim(s), s.trim(), "{s:?}");
        }
    }
}

#[cfg(test)]
mod number_text_tests {
    /// Numbers read as text print as `to_string` does; single digits are not allocated.
    #[test]
    fn numbers_as_text() {
        for (v, want, borrowed) in [
            (0i128, "0", true),
            (9, "9", true),
            (10, "10", false),
            (50126, "50126", false),
            (-1, "-1", false),
            (i128::from(u64::MAX), "18446744073709551615", false),
            (i128::from(i64::MIN), "-9223372036854775808", false),
        ] {
            let t = super::number_text(v);
            assert_eq!(t, want);
            assert_eq!(matches!(t, std::borrow::Cow::Borrowed(_)), borrowed, "{v}");
        }
    }
}

#[cfg(test)]
mod decimal_tests {
    use super::decimal;
    use proptest::prelude::*;

    #[test]
    fn forms_of_decimal_text() {
        for (t, want) in [
            ("33.7", Some(33.7)),
            ("-84.4", Some(-84.4)),
            ("+1.5", Some(1.5)),
            (".5", Some(0.5)),
            ("5.", Some(5.0)),
            ("007", Some(7.0)),
            ("-0", Some(0.0)),
            ("1e3", Some(1000.0)),
            ("1E-2", Some(0.01)),
            ("2.5e+1", Some(25.0)),
            ("", None),
            (".", None),
            ("-", None),
            ("e5", None),
            ("1e", None),
            ("1e+", None),
            ("inf", None),
            ("NaN", None),
            ("0x10", None),
            ("1.2.3", None),
            ("1 2", None),
            ("1e999", None),
        ] {
            assert_eq!(decimal(t), want, "{t:?}");
        }
    }

    /// Texts on which the JSON reader and the standard library differ by one and two last places:
    /// within the bound the property test below allows, always (not only when it draws them).
    #[test]
    fn long_mantissas_with_large_exponents() {
        for t in ["2382320320.308649730e79", "290151836858.06886848506e77"] {
            let std: f64 = t.parse().expect("a number");
            let ours = decimal(t).expect("a number");
            assert!(((std - ours) / std).abs() <= 1e-15, "{t}: {std} vs {ours}");
        }
    }

    proptest! {
        /// Wherever the standard library reads a finite decimal, this reads the same number, to
        /// within a relative 1e-15 (about four units in the last place). The JSON reader is not
        /// correctly rounded: it turns at most 19 digits into a float and scales it by a power of
        /// ten, each step rounded, so long mantissas with large exponents can come out two last
        /// places off (`2382320320.308649730e79`, `290151836858.06886848506e77`; 3,000,000
        /// samples of this test's texts gave at most 2 places, a relative 3.5e-16). For
        /// coordinates a relative 1e-15 is under a nanometre.
        #[test]
        fn reads_what_the_standard_library_reads(
            sign in "[+-]?",
            int in "[0-9]{0,12}",
            frac in "(\\.[0-9]{0,12})?",
            exp in "([eE][+-]?[0-9]{1,2})?",
        ) {
            let t = format!("{sign}{int}{frac}{exp}");
            let std = t.parse::<f64>().ok().filter(|f| f.is_finite());
            let ours = decimal(&t);
            match (std, ours) {
                (Some(a), Some(b)) => prop_assert!(
                    a == b || ((a - b) / a).abs() <= 1e-15,
                    "{}: {} vs {}", t, a, b
                ),
                (a, b) => prop_assert_eq!(a, b, "{}", t),
            }
        }
    }
}
