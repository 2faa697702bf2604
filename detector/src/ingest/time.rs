//! Timestamps as log exports really write them.
//!
//! Accepted: RFC 3339 / ISO 8601 with any number of fractional digits and `Z` or an offset; ISO
//! without a zone (taken as UTC, as Log Analytics exports mean it); `YYYY-MM-DD HH:MM:SS[.fff]`; and the
//! US month-first forms of the Azure portal and Excel (`1/9/2007 9:41:00 AM`, `4/19/2021, 12:13:19.483 PM`,
//! optionally followed by an offset). Anything else is rejected by the caller with the text shown.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime, TimeZone, Utc};

/// Parse a timestamp; `None` when the text is not a time in one of the accepted forms.
///
/// Read here rather than by chrono's format-string parser (the size of the core `.wasm`; tests
/// require the same answers as chrono's `parse_from_rfc3339` and `parse_from_str` with the forms
/// listed above).
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let b = text.as_bytes();
    let blank = |c: Option<&u8>| c.is_none_or(|c| !c.is_ascii_alphanumeric());
    let s = if blank(b.first()) || blank(b.last()) {
        text.trim()
    } else {
        text
    };
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Some(t) = rfc3339(s) {
        return Some(t);
    }
    // Split a trailing zone designator off: "Z", "UTC", "+01:00", "-0500".
    let (body, offset) = split_offset(s);
    let body = body.trim().replace(',', "");
    let n = naive(&body)?;
    offset.from_local_datetime(&n).single().map(|t| t.to_utc())
}

/// A cursor over ASCII digits and punctuation.
struct Cur<'a> {
    b: &'a [u8],
    i: usize,
}

impl Cur<'_> {
    /// A number of `min..=max` digits (as many as there are, up to `max`).
    fn num(&mut self, min: usize, max: usize) -> Option<u32> {
        let start = self.i;
        let mut v = 0u32;
        while self.i - start < max {
            match self.b.get(self.i) {
                Some(&c) if c.is_ascii_digit() => {
                    v = v * 10 + u32::from(c - b'0');
                    self.i += 1;
                }
                _ => break,
            }
        }
        (self.i - start >= min).then_some(v)
    }

    fn eat(&mut self, c: u8) -> bool {
        let hit = self.b.get(self.i) == Some(&c);
        self.i += usize::from(hit);
        hit
    }

    fn spaces(&mut self) -> usize {
        let start = self.i;
        while self.b.get(self.i).is_some_and(u8::is_ascii_whitespace) {
            self.i += 1;
        }
        self.i - start
    }

    /// An optional `.` and fraction: nanoseconds from its first nine digits (more are read and
    /// dropped); `None` for a dot without digits.
    fn fraction(&mut self) -> Option<u32> {
        if !self.eat(b'.') {
            return Some(0);
        }
        let start = self.i;
        let mut nanos = 0u32;
        while let Some(&c) = self.b.get(self.i).filter(|c| c.is_ascii_digit()) {
            if self.i - start < 9 {
                nanos = nanos * 10 + u32::from(c - b'0');
            }
            self.i += 1;
        }
        let n = self.i - start;
        (n > 0).then(|| nanos * 10u32.pow(9 - n.min(9) as u32))
    }

    fn done(&self) -> bool {
        self.i == self.b.len()
    }
}

#[inline]
fn two_digits(a: u8, b: u8) -> Option<u32> {
    let (x, y) = (a.wrapping_sub(b'0'), b.wrapping_sub(b'0'));
    (x < 10 && y < 10).then(|| u32::from(x) * 10 + u32::from(y))
}

/// A date and time from its parts; a second of 60 is a leap second, as chrono reads it.
fn datetime(
    y: u32,
    mo: u32,
    d: u32,
    h: u32,
    mi: u32,
    sec: u32,
    nanos: u32,
) -> Option<NaiveDateTime> {
    let (sec, nanos) = if sec == 60 {
        (59, nanos.checked_add(1_000_000_000)?)
    } else {
        (sec, nanos)
    };
    NaiveDate::from_ymd_opt(i32::try_from(y).ok()?, mo, d)?.and_hms_nano_opt(h, mi, sec, nanos)
}

/// RFC 3339: `YYYY-MM-DD`, `T` (or `t` or a space), `HH:MM:SS`, an optional fraction, then `Z` or
/// an offset `±HH:MM`. Fixed positions: this is the form of nearly every record.
fn rfc3339(s: &str) -> Option<DateTime<Utc>> {
    let b = s.as_bytes();
    let head: &[u8; 19] = b.get(..19)?.try_into().ok()?;
    if b.len() < 20
        || head[4] != b'-'
        || head[7] != b'-'
        || !matches!(head[10], b'T' | b't' | b' ')
        || head[13] != b':'
        || head[16] != b':'
    {
        return None;
    }
    let two = |i: usize| two_digits(head[i], head[i + 1]);
    let y = two(0)? * 100 + two(2)?;
    let mut c = Cur { b, i: 19 };
    let nanos = c.fraction()?;
    let n = datetime(y, two(5)?, two(8)?, two(11)?, two(14)?, two(17)?, nanos)?;
    let rest = &b[c.i..];
    let offset = match rest {
        [b'Z' | b'z'] => return Some(n.and_utc()),
        [sign @ (b'+' | b'-'), _, _, b':', _, _] => {
            let (oh, om) = (two_digits(rest[1], rest[2])?, two_digits(rest[4], rest[5])?);
            if oh > 23 || om > 59 {
                return None;
            }
            let secs = (oh * 3600 + om * 60) as i32;
            if *sign == b'-' { -secs } else { secs }
        }
        _ => return None,
    };
    // Through the offset type, which keeps a leap second (`23:59:60`) as one.
    FixedOffset::east_opt(offset)?
        .from_local_datetime(&n)
        .single()
        .map(|t| t.to_utc())
}

/// The zone-less forms: `YYYY-MM-DD` then `T` or spaces, or `M/D/YYYY` then spaces; then
/// `H:MM[:SS[.fff]]`; after a `M/D/YYYY` date, an optional `AM`/`PM` (then the hour is 1-12). Month,
/// day, hour, minute and second take one or two digits, as chrono's `%m %d %H %I %M %S` do.
fn naive(s: &str) -> Option<NaiveDateTime> {
    let mut c = Cur {
        b: s.as_bytes(),
        i: 0,
    };
    let (y, mo, d, us) = if s.as_bytes().get(4) == Some(&b'-') {
        let y = c.num(4, 4)?;
        c.eat(b'-').then_some(())?;
        let mo = c.num(1, 2)?;
        c.eat(b'-').then_some(())?;
        let d = c.num(1, 2)?;
        // chrono's space matches any run of blanks, none included.
        if !c.eat(b'T') {
            c.spaces();
        }
        (y, mo, d, false)
    } else {
        let mo = c.num(1, 2)?;
        c.eat(b'/').then_some(())?;
        let d = c.num(1, 2)?;
        c.eat(b'/').then_some(())?;
        let y = c.num(4, 4)?;
        c.spaces();
        (y, mo, d, true)
    };
    let mut h = c.num(1, 2)?;
    c.eat(b':').then_some(())?;
    let mi = c.num(1, 2)?;
    let (sec, nanos) = if c.eat(b':') {
        (c.num(1, 2)?, c.fraction()?)
    } else {
        (0, 0)
    };
    if us {
        c.spaces();
        let rest = &s[c.i..];
        let pm = if rest.eq_ignore_ascii_case("pm") {
            Some(true)
        } else if rest.eq_ignore_ascii_case("am") {
            Some(false)
        } else {
            None
        };
        if let Some(pm) = pm {
            if !(1..=12).contains(&h) {
                return None;
            }
            h = h % 12 + if pm { 12 } else { 0 };
            c.i = c.b.len();
        }
    }
    if !c.done() {
        return None;
    }
    datetime(y, mo, d, h, mi, sec, nanos)
}

fn split_offset(s: &str) -> (&str, FixedOffset) {
    let utc = FixedOffset::east_opt(0).expect("zero offset");
    if let Some(b) = s.strip_suffix('Z') {
        return (b, utc);
    }
    if let Some(b) = s.strip_suffix(" UTC") {
        return (b, utc);
    }
    // An offset is the last token starting with + or -, after a space or a time digit.
    let bytes = s.as_bytes();
    for (i, &c) in bytes.iter().enumerate().rev().take(7) {
        if (c == b'+' || c == b'-') && i > 0 {
            let prev = bytes[i - 1];
            // Don't mistake the date's own '-' for an offset: an offset follows a time (digit or space
            // after a ':'-containing part).
            if !(prev == b' ' || (prev.is_ascii_digit() && s[..i].contains(':'))) {
                continue;
            }
            let digits: String = s[i + 1..].chars().filter(|c| c.is_ascii_digit()).collect();
            if digits.len() != 4 {
                continue;
            }
            let h: i32 = digits[..2].parse().unwrap_or(99);
            let m: i32 = digits[2..].parse().unwrap_or(99);
            if h > 23 || m > 59 {
                continue;
            }
            let secs = (h * 3600 + m * 60) * if c == b'-' { -1 } else { 1 };
            if let Some(off) = FixedOffset::east_opt(secs) {
                return (&s[..i], off);
            }
        }
    }
    (s, utc)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The reader this file had before: chrono's RFC 3339 parser, then its format-string parser
    /// with the accepted forms. The reference the own reader is held to.
    fn reference(text: &str) -> Option<DateTime<Utc>> {
        let s = text.trim();
        if s.is_empty() || s.len() > 64 {
            return None;
        }
        if let Ok(t) = DateTime::parse_from_rfc3339(s) {
            return Some(t.to_utc());
        }
        let (body, offset) = split_offset(s);
        let body = body.trim().replace(',', "");
        const NAIVE: [&str; 8] = [
            "%Y-%m-%dT%H:%M:%S%.f",
            "%Y-%m-%d %H:%M:%S%.f",
            "%Y-%m-%dT%H:%M",
            "%Y-%m-%d %H:%M",
            "%m/%d/%Y %I:%M:%S%.f %p",
            "%m/%d/%Y %H:%M:%S%.f",
            "%m/%d/%Y %I:%M %p",
            "%m/%d/%Y %H:%M",
        ];
        for fmt in NAIVE {
            if let Ok(n) = NaiveDateTime::parse_from_str(&body, fmt) {
                return offset.from_local_datetime(&n).single().map(|t| t.to_utc());
            }
        }
        None
    }

    /// A number as one or two digits (or exactly `w` when `w` is given).
    fn digits(v: u32, two: bool) -> String {
        if two {
            format!("{v:02}")
        } else {
            v.to_string()
        }
    }

    fn timestamp() -> impl Strategy<Value = String> {
        (
            any::<bool>(),
            (
                1900u32..2101,
                0u32..14,
                0u32..33,
                any::<bool>(),
                any::<bool>(),
            ),
            prop::sample::select(vec!["T", "t", " ", "  ", "", ", ", "x"]),
            (
                0u32..26,
                0u32..62,
                prop::option::of(0u32..62),
                any::<bool>(),
                any::<bool>(),
            ),
            prop::option::of("[0-9]{0,12}"),
            prop::sample::select(vec!["", " AM", " pm", "PM", " am ", "A"]),
            prop::sample::select(vec![
                "", "Z", "z", " UTC", "+01:00", "-05:00", "+0530", " -0800", "+24:00", "+01:60",
                "+1", "-00:00", "+23:59",
            ]),
        )
            .prop_map(
                |(
                    iso,
                    (y, mo, d, pad_m, pad_d),
                    sep,
                    (h, mi, sec, pad_h, pad_s),
                    frac,
                    ampm,
                    zone,
                )| {
                    let date = if iso {
                        format!("{y}-{}-{}", digits(mo, pad_m), digits(d, pad_d))
                    } else {
                        format!("{}/{}/{y}", digits(mo, pad_m), digits(d, pad_d))
                    };
                    let mut t = format!("{date}{sep}{}:{}", digits(h, pad_h), digits(mi, pad_s));
                    if let Some(sec) = sec {
                        t.push(':');
                        t.push_str(&digits(sec, pad_s));
                        if let Some(f) = frac {
                            t.push('.');
                            t.push_str(&f);
                        }
                    }
                    format!("{t}{ampm}{zone}")
                },
            )
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(20_000))]
        #[test]
        fn reads_what_chrono_reads(t in timestamp()) {
            prop_assert_eq!(parse_time(&t), reference(&t), "{:?}", t);
        }

        #[test]
        fn any_text_never_panics_and_agrees(t in "[0-9 :/.,TZAPMUC+-]{0,40}") {
            prop_assert_eq!(parse_time(&t), reference(&t), "{:?}", t);
        }
    }

    #[test]
    fn formats_from_real_exports() {
        let want = "2007-01-09T09:41:00Z";
        for s in [
            "01/09/2007 09:41:00",
            "1/9/2007 09:41:00",
            "01/09/2007 09:41:00 AM",
            "1/9/2007 9:41:00 AM",
            "1/9/2007 10:41:00 AM +01:00",
            "2007-01-09T09:41:00",
            "2007-01-09T09:41:00Z",
            "2007-01-09T11:41:00+02:00",
            "2007-01-09 09:41:00",
            "1/9/2007, 9:41:00.000 AM",
            "2007-01-09T04:41:00-05:00",
            "2007-01-09 09:41:00 UTC",
        ] {
            let t = parse_time(s).unwrap_or_else(|| panic!("{s} did not parse"));
            assert_eq!(
                t.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                want,
                "{s}"
            );
        }
    }

    #[test]
    fn fractions_kept() {
        for (s, nanos) in [
            ("2007-01-09T09:41:00.22Z", 220_000_000),
            ("2007-01-09T09:41:00.6816663Z", 681_666_300),
            ("2007-01-09T09:41:00.535404056Z", 535_404_056),
            ("2007-01-09T09:41:00.992099+00:00", 992_099_000),
            ("2020-05-20 18:19:04.423", 423_000_000),
            ("4/19/2021, 12:13:19.483 PM", 483_000_000),
        ] {
            let t = parse_time(s).unwrap_or_else(|| panic!("{s}"));
            assert_eq!(chrono::Timelike::nanosecond(&t), nanos, "{s}");
        }
        assert_eq!(
            parse_time("4/19/2021, 12:13:19.483 PM")
                .unwrap()
                .to_rfc3339(),
            "2021-04-19T12:13:19.483+00:00"
        );
    }

    #[test]
    fn garbage_is_none_never_panics() {
        for s in [
            "",
            " ",
            "yesterday",
            "2007-13-09T09:41:00Z",
            "13/40/2007 9:41",
            "+",
            "-0500",
            "1/9/2007 +",
            "2007-01-09T25:00:00",
            "ééé+00:00",
            "0/0/0 0:0 PM +99:99",
        ] {
            assert!(parse_time(s).is_none(), "{s:?} parsed");
        }
    }
}
