//! Timestamps as log exports really write them.
//!
//! Accepted: RFC 3339 / ISO 8601 with any number of fractional digits and `Z` or an offset; ISO
//! without a zone (taken as UTC, as Log Analytics exports mean it); `YYYY-MM-DD HH:MM:SS[.fff]`; and the
//! US month-first forms of the Azure portal and Excel (`1/9/2007 9:41:00 AM`, `4/19/2021, 12:13:19.483 PM`,
//! optionally followed by an offset). Anything else is rejected by the caller with the text shown.

use chrono::{DateTime, FixedOffset, NaiveDateTime, TimeZone, Utc};

/// Parse a timestamp; `None` when the text is not a time in one of the accepted forms.
pub fn parse_time(text: &str) -> Option<DateTime<Utc>> {
    let s = text.trim();
    if s.is_empty() || s.len() > 64 {
        return None;
    }
    if let Ok(t) = DateTime::parse_from_rfc3339(s) {
        return Some(t.to_utc());
    }
    // Split a trailing zone designator off: "Z", "UTC", "+01:00", "-0500".
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
