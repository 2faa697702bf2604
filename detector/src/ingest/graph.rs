//! Microsoft Graph's own `signIn` records, read by a short path of their own.
//!
//! Most records are Graph's, written with Graph's keys and value types. This path reads exactly
//! those: each key by its exact spelling, each value as the type Graph writes (texts as borrowed
//! strings, result codes and AS numbers as integers, `isInteractive` as a boolean, coordinates as
//! numbers), into a small typed record, then straight into an [`AuthEvent`]. It runs a fraction of
//! the code of the general reader ([`super::entra`]), whose per-record code no longer fits the
//! processor's instruction cache (commit 9806b16: the reader 20 % faster on Graph exports).
//!
//! It reads the bytes itself ([`Scan`]) rather than through serde_json, because it needs so much
//! less: no escapes (a string with one is not this path's), no numbers beyond 15 digits, no
//! exponents. Strings are scanned eight bytes at a time for their end; numbers are computed as
//! serde_json computes them (digits as an integer divided by an exact power of ten), to the bit.
//! Each key is first compared in place with the known key Graph writes next. This takes under
//! three fifths of the instructions of reading a record through serde_json's visitors: the reader
//! is a fifth faster, the whole detector 7-12 % faster natively, in wasmtime and in Node
//! (commits bd666a9, f17fbd9, 742136b). serde_json remains the reader of every other record.
//!
//! It gives up, and the general reader reads the record instead, whenever the record is anything
//! else: a key the general reader knows in another spelling (`UserPrincipalName`, `ResultType`,
//! `properties`...), a value of another type (a code as text, a location as a string), a string
//! with escapes or control characters, a number it does not read, a repeated key, malformed JSON,
//! or a record the general reader would reject or ignore. Keys neither reader knows are skipped by
//! both. So the two agree on every record this path takes (property tests hold them to that), and
//! the general reader remains the definition.

use super::Decoded;
use super::flex;
use super::intern::{Field, Interner, same_bytes};
use super::keys::{field_name, field_of};
use super::normalize::{self, address, country_code, outcome};
use super::time::parse_time;
use crate::event::{AuthEvent, EventExtra, RecordRef, SourceKind};
use crate::shared::Shared;

/// The fields of a Graph sign-in this reader uses, as written.
#[derive(Debug, Default)]
struct Rec<'a> {
    id: Option<&'a str>,
    created: Option<&'a str>,
    upn: Option<&'a str>,
    app: Option<&'a str>,
    ip: Option<&'a str>,
    client_app: Option<&'a str>,
    user_agent: Option<&'a str>,
    correlation_id: Option<&'a str>,
    interactive: Option<bool>,
    asn: Option<i64>,
    error_code: Option<i64>,
    failure_reason: Option<&'a str>,
    location: Option<Loc<'a>>,
    risk_v1: Vec<&'a str>,
    risk_v2: Vec<&'a str>,
    app_id: Option<&'a str>,
    resource: Option<&'a str>,
    resource_id: Option<&'a str>,
    risk_level_aggregated: Option<&'a str>,
    risk_level_during: Option<&'a str>,
    risk_state: Option<&'a str>,
}

#[derive(Debug, Default)]
struct Loc<'a> {
    city: Option<&'a str>,
    country: Option<&'a str>,
    latitude: Option<f64>,
    longitude: Option<f64>,
}

/// The event of one Graph record, or `None` when the record is not in Graph's exact shape (the
/// general reader reads it then).
pub(crate) fn decode(text: &str, record: &RecordRef, intern: &mut Interner) -> Option<Decoded> {
    let mut rec = Rec::default();
    Scan { text, at: 0 }.record(&mut rec, &mut intern.keys)?;
    to_event(&rec, record, intern)
}

/// Text as the general reader takes it ([`flex::Text`]): `None` when blank.
fn text(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !normalize::trim(s).is_empty())
}

/// A top-level field as the general reader picks it: trimmed, `None` when blank.
fn field(s: Option<&str>) -> Option<&str> {
    text(s).map(normalize::trim)
}

fn to_event(r: &Rec<'_>, record: &RecordRef, intern: &mut Interner) -> Option<Decoded> {
    // Whatever the general reader would reject, it also reports (with its reason): left to it.
    let time = parse_time(field(r.created)?)?;
    let identity = field(r.upn)?;
    let code = flex::number_text(i128::from(r.error_code?));
    let outcome = outcome(&code);
    let failure_reason = if outcome == crate::event::Outcome::Success {
        None
    } else {
        text(r.failure_reason).map(|t| intern.field(Field::FailureReason, t))
    };
    let ip = address(field(r.ip), intern);
    let loc = r.location.as_ref();
    let country = loc
        .and_then(|l| text(l.country))
        .and_then(country_code)
        .map(|c| intern.field(Field::Country, c));
    let mut risk_event_types: Vec<String> = Vec::new();
    for t in r.risk_v2.iter().chain(&r.risk_v1) {
        if !t.eq_ignore_ascii_case("none") && !risk_event_types.iter().any(|x| x == t) {
            risk_event_types.push((*t).to_string());
        }
    }
    let record_id: Option<Shared<str>> = field(r.id).map(Shared::from);
    let (identity, identity_key) = normalize::identity(identity, intern);
    let mut shared = |f: Field, t: Option<&str>| t.map(|t| intern.field(f, t));
    Some(Decoded::Event(Box::new(AuthEvent {
        time,
        identity,
        identity_key,
        outcome,
        result_code: shared(Field::ResultCode, Some(&code)),
        failure_reason,
        ip,
        country,
        city: shared(Field::City, loc.and_then(|l| text(l.city))),
        latitude: loc.and_then(|l| l.latitude),
        longitude: loc.and_then(|l| l.longitude),
        asn: r
            .asn
            .and_then(|a| u32::try_from(a).ok())
            .filter(|&a| a != 0),
        app: shared(Field::App, field(r.app)),
        client_app: shared(Field::ClientApp, field(r.client_app)),
        user_agent: shared(Field::UserAgent, field(r.user_agent)),
        request_id: record_id.clone(),
        interactive: r.interactive,
        extra: EventExtra {
            risk_event_types,
            correlation_id: field(r.correlation_id).map(Shared::from),
            app_id: normalize::lower_id(field(r.app_id), intern),
            resource: field(r.resource).map(|t| intern.get(t)),
            resource_id: normalize::lower_id(field(r.resource_id), intern),
            risk_level: normalize::risk_level(
                [field(r.risk_level_during), field(r.risk_level_aggregated)],
                intern,
            ),
            risk_state: normalize::unless_none(field(r.risk_state), true, intern),
            ..EventExtra::default()
        }
        .boxed(),
        source_kind: SourceKind::EntraSignIn,
        windows: None,
        record: RecordRef {
            record_id,
            ..record.clone()
        },
    })))
}

/// Where JSON allows whitespace.
fn is_space(c: u8) -> bool {
    matches!(c, b' ' | b'\t' | b'\n' | b'\r')
}

/// Where the string whose text starts at `b[i]` ends: the index of its closing `"`; `None` when
/// an escape or a control character comes first (not this path's) or it does not end. Eight bytes
/// at a time (in the `.wasm` too, where `u64` is a native type), reading on past the string's end:
/// a record goes on after each of its strings.
fn string_end(b: &[u8], mut i: usize) -> Option<usize> {
    const ONES: u64 = 0x0101_0101_0101_0101;
    const HIGH: u64 = 0x8080_8080_8080_8080;
    while let Some(w) = b.get(i..i + 8) {
        let w = u64::from_le_bytes(w.try_into().expect("eight bytes"));
        let quote = w ^ (ONES * u64::from(b'"'));
        let slash = w ^ (ONES * u64::from(b'\\'));
        // A byte is flagged when it is zero after an xor, or below 0x20. Bytes of 0x80 and above
        // are never flagged (`!w`), and a borrow only runs upwards from a flagged byte: the lowest
        // flag is exact.
        let hit = (quote.wrapping_sub(ONES) & !quote
            | slash.wrapping_sub(ONES) & !slash
            | w.wrapping_sub(ONES * 0x20))
            & !w
            & HIGH;
        if hit != 0 {
            let j = i + (hit.trailing_zeros() / 8) as usize;
            return (b[j] == b'"').then_some(j);
        }
        i += 8;
    }
    while let Some(&c) = b.get(i) {
        if c == b'"' {
            return Some(i);
        }
        if c == b'\\' || c < 0x20 {
            return None;
        }
        i += 1;
    }
    None
}

/// A JSON number, with its value when this path reads it bit for bit as serde_json does: at most
/// 15 digits (exact in an `f64`) and no exponent. A fraction is then the digits as an integer
/// divided by a power of ten, both exact, so correctly rounded: serde_json's own computation.
enum Num {
    Int(i64),
    Dec(f64),
    Other,
}

/// 10^0 to 10^15, each exact in an `f64`.
const POW10: [f64; 16] = [
    1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8, 1e9, 1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
];

/// A reader of one record in Graph's exact shape, byte by byte. Every method returns `None` for
/// anything else (the general reader then reads the record, and reports what it finds wrong).
struct Scan<'a> {
    text: &'a str,
    at: usize,
}

/// How deep [`Scan::skip`] follows nested values (serde_json's limit is 128).
const MAX_DEPTH: u32 = 64;

impl<'a> Scan<'a> {
    fn bytes(&self) -> &'a [u8] {
        self.text.as_bytes()
    }

    /// The next byte that is not whitespace (not taken).
    fn peek(&mut self) -> Option<u8> {
        let b = self.bytes();
        // Graph writes no whitespace between tokens: that case first.
        if let Some(&c) = b.get(self.at)
            && !is_space(c)
        {
            return Some(c);
        }
        while let Some(&c) = b.get(self.at) {
            if !is_space(c) {
                return Some(c);
            }
            self.at += 1;
        }
        None
    }

    /// Take `c` as the next byte that is not whitespace.
    fn eat(&mut self, c: u8) -> Option<()> {
        (self.peek()? == c).then(|| self.at += 1)
    }

    /// Take the literal `word` (`null`, `true`, `false`).
    fn word(&mut self, word: &[u8]) -> Option<()> {
        let end = self.at + word.len();
        (self.bytes().get(self.at..end)? == word).then(|| self.at = end)
    }

    /// A string without escapes.
    fn string(&mut self) -> Option<&'a str> {
        self.eat(b'"')?;
        let start = self.at;
        let end = string_end(self.bytes(), start)?;
        self.at = end + 1;
        // Both ends are at a `"`: on character boundaries of the text.
        self.text.get(start..end)
    }

    /// `null` (taken: `true`), or something else (not taken: `false`).
    fn null(&mut self) -> Option<bool> {
        if self.peek()? == b'n' {
            self.word(b"null")?;
            return Some(true);
        }
        Some(false)
    }

    fn opt_str(&mut self) -> Option<Option<&'a str>> {
        if self.null()? {
            return Some(None);
        }
        self.string().map(Some)
    }

    fn opt_bool(&mut self) -> Option<Option<bool>> {
        match self.peek()? {
            b'n' => self.word(b"null").map(|()| None),
            b't' => self.word(b"true").map(|()| Some(true)),
            b'f' => self.word(b"false").map(|()| Some(false)),
            _ => None,
        }
    }

    /// A JSON number (its grammar checked).
    fn number(&mut self) -> Option<Num> {
        self.peek()?;
        let b = self.bytes();
        let mut i = self.at;
        let negative = b.get(i) == Some(&b'-');
        i += usize::from(negative);
        let (mut sig, mut digits) = (0u64, 0usize);
        let mut run = |i: &mut usize| {
            let from = *i;
            while let Some(&c) = b.get(*i).filter(|c| c.is_ascii_digit()) {
                sig = sig.wrapping_mul(10).wrapping_add(u64::from(c - b'0'));
                *i += 1;
            }
            digits += *i - from;
            *i - from
        };
        let whole = i;
        let n = run(&mut i);
        if n == 0 || (n > 1 && b[whole] == b'0') {
            return None;
        }
        let mut fraction = 0;
        if b.get(i) == Some(&b'.') {
            i += 1;
            fraction = run(&mut i);
            if fraction == 0 {
                return None;
            }
        }
        let mut exponent = false;
        if matches!(b.get(i), Some(b'e' | b'E')) {
            i += 1;
            i += usize::from(matches!(b.get(i), Some(b'+' | b'-')));
            let from = i;
            i += b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
            if i == from {
                return None;
            }
            exponent = true;
        }
        self.at = i;
        Some(
            if exponent || digits > 15 || (negative && sig == 0 && fraction == 0) {
                // Long numbers, exponents and "-0": left to serde_json.
                Num::Other
            } else if fraction == 0 {
                let v = sig as i64;
                Num::Int(if negative { -v } else { v })
            } else {
                let v = sig as f64 / POW10[fraction];
                Num::Dec(if negative { -v } else { v })
            },
        )
    }

    /// An integer as serde_json reads one into `i64`.
    fn opt_int(&mut self) -> Option<Option<i64>> {
        if self.null()? {
            return Some(None);
        }
        match self.number()? {
            Num::Int(v) => Some(Some(v)),
            _ => None,
        }
    }

    /// A number as serde_json reads one into `f64`.
    fn opt_f64(&mut self) -> Option<Option<f64>> {
        if self.null()? {
            return Some(None);
        }
        match self.number()? {
            Num::Int(v) => Some(Some(v as f64)),
            Num::Dec(v) => Some(Some(v)),
            Num::Other => None,
        }
    }

    /// An object whose keys this path knows are `known` (in the order Graph writes them): `f`
    /// reads the value of each key, given the key and its place in `known` (`f` must take exactly
    /// one value). A known key seen twice is not this path's.
    ///
    /// Each key is first compared with the known key expected next (the one after the last known
    /// key), in place: Graph writes its keys in one order, so most keys are found without looking
    /// for their end or comparing them with every known key.
    fn object(
        &mut self,
        known: &'static [&'static str],
        mut f: impl FnMut(&mut Self, Option<usize>, &'a str) -> Option<()>,
    ) -> Option<()> {
        self.eat(b'{')?;
        if self.peek()? == b'}' {
            self.at += 1;
            return Some(());
        }
        let (mut next, mut seen) = (0, 0u32);
        loop {
            let (i, k) = match self.expected(known.get(next)) {
                Some(k) => (Some(next), k),
                None => {
                    let k = self.string()?;
                    (known.iter().position(|&x| x == k), k)
                }
            };
            if let Some(i) = i {
                let bit = 1 << i;
                if seen & bit != 0 {
                    return None;
                }
                seen |= bit;
                next = i + 1;
            }
            self.eat(b':')?;
            f(self, i, k)?;
            if !self.more(b'}')? {
                return Some(());
            }
        }
    }

    /// After an element of an object or array: `true` past a `,` (another follows), `false` past
    /// `close` (the last one).
    #[inline]
    fn more(&mut self, close: u8) -> Option<bool> {
        let c = self.peek()?;
        if c != b',' && c != close {
            return None;
        }
        self.at += 1;
        Some(c == b',')
    }

    /// An array: `f` reads each element.
    fn array(&mut self, mut f: impl FnMut(&mut Self) -> Option<()>) -> Option<()> {
        self.eat(b'[')?;
        if self.peek()? == b']' {
            self.at += 1;
            return Some(());
        }
        loop {
            f(self)?;
            if !self.more(b']')? {
                return Some(());
            }
        }
    }

    /// The key `name` when the next token is exactly that string (taken), else `None` (nothing
    /// taken).
    fn expected(&mut self, name: Option<&&'static str>) -> Option<&'static str> {
        let name = *name?;
        let n = name.len();
        let b = self.bytes();
        let at = self.at;
        let hit = b.get(at) == Some(&b'"')
            && b.get(at + 1..at + 1 + n)
                .is_some_and(|k| same_bytes(k, name.as_bytes()))
            && b.get(at + 1 + n) == Some(&b'"');
        hit.then(|| {
            self.at = at + n + 2;
            name
        })
    }

    /// `null` or an object read by `f` (see [`object`](Scan::object)): whether it was an object.
    fn opt_object(
        &mut self,
        known: &'static [&'static str],
        f: impl FnMut(&mut Self, Option<usize>, &'a str) -> Option<()>,
    ) -> Option<bool> {
        if self.null()? {
            return Some(false);
        }
        self.object(known, f).map(|()| true)
    }

    /// Any JSON value, read and left (strings with escapes are left to the general reader).
    fn skip(&mut self, depth: u32) -> Option<()> {
        if depth > MAX_DEPTH {
            return None;
        }
        match self.peek()? {
            b'"' => self.string().map(drop),
            b'{' => self.object(&[], |s, _, _| s.skip(depth + 1)),
            b'[' => self.array(|s| s.skip(depth + 1)),
            b'n' => self.word(b"null"),
            b't' => self.word(b"true"),
            b'f' => self.word(b"false"),
            _ => self.number().map(drop),
        }
    }

    /// `riskEventTypes`: `null`, or a list of strings and nulls (blank ones left out).
    fn texts(&mut self) -> Option<Vec<&'a str>> {
        let mut out = Vec::new();
        if self.null()? {
            return Some(out);
        }
        self.array(|s| {
            out.extend(text(s.opt_str()?));
            Some(())
        })?;
        Some(out)
    }

    /// The whole record, and nothing after it but whitespace.
    fn record(&mut self, r: &mut Rec<'a>, keys: &mut String) -> Option<()> {
        const TOP: &[&str] = &[
            "id",
            "createdDateTime",
            "userPrincipalName",
            "appDisplayName",
            "ipAddress",
            "clientAppUsed",
            "userAgent",
            "correlationId",
            "isInteractive",
            "autonomousSystemNumber",
            "status",
            "location",
            "riskEventTypes",
            "riskEventTypes_v2",
            "appId",
            "resourceDisplayName",
            "resourceId",
            "riskLevelAggregated",
            "riskLevelDuringSignIn",
            "riskState",
        ];
        self.object(TOP, |s, i, k| {
            match i {
                Some(0) => r.id = s.opt_str()?,
                Some(1) => r.created = s.opt_str()?,
                Some(2) => r.upn = s.opt_str()?,
                Some(3) => r.app = s.opt_str()?,
                Some(4) => r.ip = s.opt_str()?,
                Some(5) => r.client_app = s.opt_str()?,
                Some(6) => r.user_agent = s.opt_str()?,
                Some(7) => r.correlation_id = s.opt_str()?,
                Some(8) => r.interactive = s.opt_bool()?,
                Some(9) => r.asn = s.opt_int()?,
                Some(10) => {
                    s.opt_object(&["errorCode", "failureReason"], |s, i, k| match i {
                        Some(0) => s.opt_int().map(|v| r.error_code = v),
                        Some(_) => s.opt_str().map(|v| r.failure_reason = v),
                        // Another spelling: the general reader's.
                        None if k == "ErrorCode" || k == "FailureReason" => None,
                        None => s.skip(2),
                    })?;
                }
                Some(11) => {
                    let mut l = Loc::default();
                    let there =
                        s.opt_object(&["city", "countryOrRegion", "geoCoordinates"], |s, i, _| {
                            match i {
                                Some(0) => s.opt_str().map(|v| l.city = v),
                                Some(1) => s.opt_str().map(|v| l.country = v),
                                Some(_) => s
                                    .opt_object(&["latitude", "longitude"], |s, i, _| match i {
                                        Some(0) => s.opt_f64().map(|v| l.latitude = v),
                                        Some(_) => s.opt_f64().map(|v| l.longitude = v),
                                        None => s.skip(3),
                                    })
                                    .map(drop),
                                None => s.skip(2),
                            }
                        })?;
                    r.location = there.then_some(l);
                }
                Some(12) => r.risk_v1 = s.texts()?,
                Some(13) => r.risk_v2 = s.texts()?,
                Some(14) => r.app_id = s.opt_str()?,
                Some(15) => r.resource = s.opt_str()?,
                Some(16) => r.resource_id = s.opt_str()?,
                Some(17) => r.risk_level_aggregated = s.opt_str()?,
                Some(18) => r.risk_level_during = s.opt_str()?,
                Some(_) => r.risk_state = s.opt_str()?,
                None => {
                    if field_of(field_name(k, keys)).is_some() {
                        return None;
                    }
                    s.skip(1)?;
                }
            }
            Some(())
        })?;
        self.peek().is_none().then_some(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ingest::entra;
    use proptest::prelude::*;

    fn rec() -> RecordRef {
        crate::ingest::record_ref(&Shared::from("t.jsonl"), 7)
    }

    /// The general reader's result for one JSON Lines line (the path this one must agree with).
    fn general_line(line: &[u8], intern: &mut Interner) -> Option<Decoded> {
        match entra::read_line(line, &rec(), intern)? {
            entra::Read::SignIn(d) => Some(d),
            _ => None,
        }
    }

    /// The Graph path's event for `line`, checked against the general reader's: `Some(true)` when
    /// the Graph path took the record (and gave the same event), `None` when it left it.
    fn agrees(line: &str) -> Option<bool> {
        let fast = decode(line, &rec(), &mut Interner::default())?;
        let general = general_line(line.as_bytes(), &mut Interner::default());
        match (fast, general) {
            (Decoded::Event(a), Some(Decoded::Event(b))) => {
                assert_eq!(a, b, "the two readers disagree on {line}");
                Some(true)
            }
            (a, b) => panic!("the Graph path gave {a:?}, the general reader {b:?}, on {line}"),
        }
    }

    const GRAPH: &str = r#"{"id":"r-1","createdDateTime":"2026-03-02T00:05:00Z","userPrincipalName":"Alice@Contoso.com","appDisplayName":"Office 365 Exchange Online","ipAddress":"131.107.30.5","clientAppUsed":"Browser","userAgent":"Mozilla/5.0","correlationId":"c-1","isInteractive":true,"autonomousSystemNumber":8075,"riskEventTypes":["none"],"riskEventTypes_v2":["unfamiliarFeatures","none","unfamiliarFeatures"],"status":{"errorCode":50126,"failureReason":"Invalid username or password.","additionalDetails":null},"location":{"city":"Seattle","state":"Washington","countryOrRegion":"US","geoCoordinates":{"altitude":null,"latitude":47.61,"longitude":-122}},"deviceDetail":{"browser":"Edge"},"appId":"C44B4083-3BB0-49C1-B47D-974E53CBDF3C","resourceDisplayName":"Windows Azure Service Management API","resourceId":"797f4846-ba00-4fd7-ba43-dac1f8f63013","riskLevelAggregated":"none","riskLevelDuringSignIn":"Medium","riskState":"atRisk","appliedConditionalAccessPolicies":[]}"#;

    #[test]
    fn takes_graphs_own_records_and_agrees() {
        assert_eq!(agrees(GRAPH), Some(true));
        // A success: no failure reason kept; an IPv6 address written in upper case is canonical.
        let ok = GRAPH
            .replace("50126", "0")
            .replace("131.107.30.5", "2001:DB8::1");
        assert_eq!(agrees(&ok), Some(true));
    }

    #[test]
    fn leaves_every_other_shape_to_the_general_reader() {
        for (from, to) in [
            // Another spelling of a known key, or a key only other shapes have.
            ("\"userPrincipalName\"", "\"UserPrincipalName\""),
            ("\"deviceDetail\"", "\"properties\""),
            ("\"deviceDetail\"", "\"value\""),
            ("\"deviceDetail\"", "\"EventID\""),
            ("\"errorCode\"", "\"ErrorCode\""),
            // Other value types.
            ("50126", "\"50126\""),
            ("8075", "\"AS8075\""),
            ("true", "\"True\""),
            ("47.61", "\"47.61\""),
            (
                "{\"city\":\"Seattle\"",
                "\"US\",\"x\":{\"city\":\"Seattle\"",
            ),
            // Escapes, in a key or a value.
            ("\"clientAppUsed\"", "\"clientApp\\u0055sed\""),
            ("Mozilla/5.0", "Mozilla\\/5.0"),
            // What the general reader rejects (it says why).
            ("2026-03-02T00:05:00Z", "yesterday"),
            ("Alice@Contoso.com", "  "),
        ] {
            let line = GRAPH.replacen(from, to, 1);
            assert_ne!(line, GRAPH, "{from} not in the sample");
            assert_eq!(
                decode(&line, &rec(), &mut Interner::default()).map(|_| ()),
                None,
                "{line}"
            );
        }
        // Trailing bytes after the object are not one record.
        assert!(decode(&format!("{GRAPH} x"), &rec(), &mut Interner::default()).is_none());
    }

    /// Every record in the conformance corpus and the shared real samples: where the Graph path
    /// takes one, it gives the general reader's event.
    #[test]
    fn agrees_on_every_corpus_and_sample_record() {
        let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("..");
        let mut dirs = vec![root.join("tests/corpus")];
        dirs.push(
            std::env::var_os("T1586_SHARED_DATA")
                .filter(|v| !v.is_empty())
                .map(std::path::PathBuf::from)
                .unwrap_or_else(|| root.join("../shared/data")),
        );
        let mut files = Vec::new();
        while let Some(d) = dirs.pop() {
            let Ok(rd) = std::fs::read_dir(&d) else {
                continue;
            };
            for e in rd.flatten() {
                let p = e.path();
                if p.is_dir() {
                    dirs.push(p);
                } else if p
                    .extension()
                    .is_some_and(|x| x == "json" || x == "jsonl" || x == "log")
                {
                    files.push(p);
                }
            }
        }
        let (mut taken, mut records) = (0, 0);
        for f in files {
            let text = std::fs::read_to_string(&f).unwrap_or_default();
            let mut values: Vec<serde_json::Value> = Vec::new();
            match serde_json::from_str::<serde_json::Value>(&text) {
                Ok(v) => values.push(v),
                Err(_) => values.extend(text.lines().filter_map(|l| serde_json::from_str(l).ok())),
            }
            let mut objects = Vec::new();
            while let Some(v) = values.pop() {
                match v {
                    serde_json::Value::Array(a) => values.extend(a),
                    serde_json::Value::Object(ref o) => {
                        for k in ["value", "records", "results"] {
                            if let Some(inner) = o.get(k) {
                                values.push(inner.clone());
                            }
                        }
                        objects.push(v);
                    }
                    _ => {}
                }
            }
            for o in objects {
                records += 1;
                if agrees(&o.to_string()) == Some(true) {
                    taken += 1;
                }
            }
        }
        // The corpus's Graph cases are in Graph's shape: the path is taken, not only left.
        assert!(
            taken >= 50,
            "the Graph path took {taken} of {records} records"
        );
    }

    /// The fast path reads whitespace wherever JSON allows it (pretty-printed exports).
    #[test]
    fn takes_pretty_printed_records() {
        let v: serde_json::Value = serde_json::from_str(GRAPH).unwrap();
        let pretty = serde_json::to_string_pretty(&v).unwrap();
        assert!(pretty.contains("\n  "), "{pretty}");
        assert_eq!(agrees(&pretty), Some(true));
        assert_eq!(agrees(&format!(" \t{pretty}\r\n ")), Some(true));
    }

    /// Malformed or unusual JSON is never read by the fast path: the general reader reports it.
    #[test]
    fn leaves_malformed_json_to_the_general_reader() {
        let deep = format!("{}1{}", "[".repeat(100), "]".repeat(100));
        for (from, to) in [
            ("8075", "08075"),
            ("8075", "8075."),
            ("8075", "-"),
            ("8075", "80e"),
            ("8075", "+8075"),
            ("8075", "-0"),
            ("8075", "8075e0"),
            ("8075", "8075.5"),
            ("8075", "12345678901234567"),
            ("47.61", "4.761e1"),
            ("47.61", ".5"),
            ("47.61", "1234567890.1234567"),
            ("\"c-1\"", "\"c-1\",\"correlationId\":\"c-2\""),
            ("\"Edge\"", "\"Ed\u{1}ge\""),
            ("\"Edge\"", "\"Ed\\\"ge\""),
            ("\"Edge\"", "\"Edge\",}"),
            ("\"Edge\"", "[1,]"),
            ("\"Edge\"", "[1 2]"),
            ("\"Edge\"", "tru"),
            ("\"Edge\"", "nul"),
            ("\"Edge\"", &deep),
            ("\"errorCode\":50126", "\"errorCode\":50126,\"errorCode\":0"),
            ("\"city\":\"Seattle\"", "\"city\" \"Seattle\""),
            (
                "\"city\":\"Seattle\"",
                "\"city\":\"Seattle\",\"city\":\"Paris\"",
            ),
        ] {
            let line = GRAPH.replacen(from, to, 1);
            assert_ne!(line, GRAPH, "{from} not in the sample");
            assert_eq!(
                decode(&line, &rec(), &mut Interner::default()).map(|_| ()),
                None,
                "{line}"
            );
        }
        for cut in [1, 2, GRAPH.len() / 2, GRAPH.len() - 1] {
            let line = &GRAPH[..cut];
            assert!(
                decode(line, &rec(), &mut Interner::default()).is_none(),
                "{line}"
            );
        }
    }

    /// A number read by the fast path is serde_json's number, to the last bit; any other is left.
    #[test]
    fn numbers_are_serde_jsons_to_the_bit() {
        fn f64_of(t: &str) -> Option<f64> {
            Scan { text: t, at: 0 }.opt_f64()?
        }
        for t in [
            "0",
            "-1",
            "47.61",
            "-122.33",
            "-0.0",
            "0.000001",
            "123456789012345",
            "1.5",
            "-0.5",
            "999999999999999",
            "0.1",
            "0.2",
            "0.3",
            "2.675",
            "1.005",
            "9007199254740.99",
        ] {
            let ours = f64_of(t).unwrap_or_else(|| panic!("{t} not read"));
            let theirs: f64 = serde_json::from_str(t).unwrap();
            assert_eq!(ours.to_bits(), theirs.to_bits(), "{t}");
        }
        for t in [
            "1e3",
            "-0",
            "1234567890123456",
            "0.1234567890123456",
            "01",
            "1.",
            "-",
        ] {
            assert_eq!(f64_of(t), None, "{t}");
        }
        let int = |t: &str| Scan { text: t, at: 0 }.opt_int().flatten();
        assert_eq!(int("50126"), Some(50126));
        assert_eq!(int("-7"), Some(-7));
        assert_eq!(int("null"), None);
        assert_eq!(int("5.0"), None);
    }

    proptest! {
        /// Decimals of up to 15 digits: the same bits as serde_json's.
        #[test]
        fn decimals_are_serde_jsons(whole in 0u64..1_000_000_000, frac in 0u64..1_000_000, width in 1usize..7, negative in any::<bool>()) {
            let t = format!("{}{whole}.{frac:0width$}", if negative { "-" } else { "" });
            let theirs: f64 = serde_json::from_str(&t).unwrap();
            let ours = Scan { text: &t, at: 0 }.opt_f64().flatten();
            if let Some(ours) = ours {
                prop_assert_eq!(ours.to_bits(), theirs.to_bits(), "{}", t);
            } else {
                prop_assert!(t.trim_start_matches('-').len() > 16, "{} left", t);
            }
        }

        /// Graph's record with a few bytes replaced, inserted or removed (JSON's own characters
        /// above all): whatever the fast path takes, it reads as the general reader does.
        #[test]
        fn mutated_records_agree(edits in proptest::collection::vec((0usize..2000, 0u8..3, prop_oneof![
            3 => proptest::sample::select(b"\"{}[],: \n\t0123456789.eE+-nulltruefalse\\/u".to_vec()),
            1 => 0x20u8..0x7f,
            1 => 0u8..0x20,
        ]), 1..4)) {
            let mut b = GRAPH.as_bytes().to_vec();
            for (at, op, c) in edits {
                let at = at % (b.len() + 1);
                match op {
                    0 if at < b.len() => b[at] = c,
                    1 => b.insert(at, c),
                    _ if at < b.len() => {
                        b.remove(at);
                    }
                    _ => {}
                }
            }
            agrees(std::str::from_utf8(&b).expect("ASCII edits of ASCII"));
        }

        /// The word-at-a-time scan finds what a byte-by-byte one finds.
        #[test]
        fn string_end_is_a_byte_loops(bytes in proptest::collection::vec(prop_oneof![
            4 => 0x20u8..0x7f, 1 => Just(b'"'), 1 => Just(b'\\'), 1 => 0u8..0x20, 2 => 0x80u8..=0xff,
        ], 0..40), start in 0usize..40) {
            let start = start.min(bytes.len());
            let slow = bytes[start..]
                .iter()
                .position(|&c| c == b'"' || c == b'\\' || c < 0x20)
                .map(|k| start + k)
                .filter(|&j| bytes[j] == b'"');
            prop_assert_eq!(string_end(&bytes, start), slow);
        }
    }

    fn text_value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_string()),
            Just("\"\"".to_string()),
            Just("\"  \"".to_string()),
            Just("\" padded \"".to_string()),
            Just("\"esc\\u0041ped\"".to_string()),
            Just("7".to_string()),
            Just("true".to_string()),
            Just("{}".to_string()),
            "[a-zA-Z0-9 .@:,_-]{1,12}".prop_map(|s| format!("\"{s}\"")),
        ]
    }

    fn number_value() -> impl Strategy<Value = String> {
        prop_oneof![
            Just("null".to_string()),
            Just("0".to_string()),
            Just("50126".to_string()),
            Just("50074".to_string()),
            Just("-1".to_string()),
            Just("4294967296".to_string()),
            Just("1.5".to_string()),
            Just("8075.0".to_string()),
            Just("\"3598\"".to_string()),
            Just("\"AS3598\"".to_string()),
            Just("true".to_string()),
        ]
    }

    fn key_and_value() -> impl Strategy<Value = String> {
        let text_keys = prop_oneof![
            Just("id"),
            Just("userPrincipalName"),
            Just("appDisplayName"),
            Just("ipAddress"),
            Just("clientAppUsed"),
            Just("userAgent"),
            Just("correlationId"),
            Just("UserPrincipalName"),
            Just("useragent"),
            Just("category"),
            Just("resultType"),
            Just("deviceDetail"),
            Just("userId"),
            Just("appId"),
            Just("resourceDisplayName"),
            Just("resourceId"),
            Just("riskLevelAggregated"),
            Just("riskLevelDuringSignIn"),
            Just("riskState"),
            Just("AppId"),
            Just("authenticationProtocol"),
        ];
        prop_oneof![
            (text_keys, text_value()).prop_map(|(k, v)| format!("\"{k}\":{v}")),
            prop_oneof![
                Just("\"createdDateTime\":\"2026-03-02T00:05:00Z\"".to_string()),
                Just("\"createdDateTime\":\" 2026-03-02T00:05:00.123Z \"".to_string()),
                Just("\"createdDateTime\":\"never\"".to_string()),
                Just("\"ipAddress\":\"10.0.0.1\"".to_string()),
                Just("\"ipAddress\":\"::FFFF:10.0.0.1\"".to_string()),
                Just("\"ipAddress\":\" 10.0.0.01 \"".to_string()),
                Just("\"userPrincipalName\":\"BOB@x.com\"".to_string()),
                Just("\"isInteractive\":false".to_string()),
                Just("\"isInteractive\":\"true\"".to_string()),
                Just("\"riskEventTypes\":[\"none\",\"x\",null,\" \"]".to_string()),
                Just("\"riskEventTypes_v2\":[\"x\",\"y\",\"NONE\"]".to_string()),
                Just("\"riskEventTypes\":\"a,b\"".to_string()),
                Just("\"riskEventTypes\":[1]".to_string()),
                Just("\"value\":[]".to_string()),
                Just("\"properties\":{}".to_string()),
                Just("\"riskLevelDuringSignIn\":\"High\"".to_string()),
                Just("\"riskLevelAggregated\":\"low\"".to_string()),
                Just("\"riskState\":\"None\"".to_string()),
                Just("\"resourceId\":\"/tenants/x\"".to_string()),
                Just("\"appId\":\"ABC-def\"".to_string()),
            ],
            number_value().prop_map(|v| format!("\"autonomousSystemNumber\":{v}")),
            (number_value(), text_value()).prop_map(|(c, r)| format!(
                "\"status\":{{\"errorCode\":{c},\"failureReason\":{r},\"additionalDetails\":\"x\"}}"
            )),
            (text_value(), text_value(), number_value(), number_value()).prop_map(
                |(city, cc, la, lo)| format!(
                    "\"location\":{{\"city\":{city},\"countryOrRegion\":{cc},\"geoCoordinates\":{{\"latitude\":{la},\"longitude\":{lo}}}}}"
                )
            ),
            Just("\"location\":null".to_string()),
            Just("\"location\":\"US\"".to_string()),
            Just("\"location\":{\"countryOrRegion\":\"Seattle, WA, US\"}".to_string()),
            Just("\"status\":{\"errorCode\":0}".to_string()),
            Just("\"status\":null".to_string()),
        ]
    }

    proptest! {
        /// Graph-like records with fields present, absent, blank, padded, escaped, of other types,
        /// in other spellings and repeated: the Graph path gives the general reader's event or
        /// leaves the record to it.
        #[test]
        fn agrees_with_the_general_reader(fields in proptest::collection::vec(key_and_value(), 0..14)) {
            let base = [
                "\"createdDateTime\":\"2026-03-02T00:05:00Z\"",
                "\"userPrincipalName\":\"a@x.com\"",
                "\"status\":{\"errorCode\":0}",
            ];
            let all: Vec<String> = base.iter().map(|s| s.to_string()).chain(fields).collect();
            agrees(&format!("{{{}}}", all.join(",")));
        }
    }
}
