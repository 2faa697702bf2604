//! A reader for MaxMind DB files (`.mmdb`, format 2.x): the search tree walk and the data section
//! decoder, records read as [`serde_json::Value`].
//!
//! Written here rather than taken from the `maxminddb` crate for the size of the core `.wasm`: with
//! that crate's serde-generic decoder and metadata parser replaced by this reader, the gzipped
//! module is 22.6 KB smaller (459,098 → 436,537 bytes). The `maxminddb` crate stays the reference: tests require both to read the same answers from
//! generated databases (record sizes 24/28/32, IPv4 and IPv6 trees, shared data through pointers).
//!
//! Layout (MaxMind DB spec 2.0): `[search tree][16 zero bytes][data section]\xAB\xCD\xEFMaxMind.com[metadata]`.
//! The metadata is a map in the data format; the tree has `node_count` nodes of two records of
//! `record_size` bits; a record `== node_count` means "no data", `> node_count` points into the data
//! section at `record - node_count - 16`.
//!
//! Hostile files: every read is bounds-checked; a pointer may not point to a pointer; nesting is
//! limited to [`MAX_DEPTH`] and one record's decoding to [`MAX_VALUES`] values, so data shared
//! through pointers cannot be expanded without end. Differences from the `maxminddb` crate, chosen
//! for a lookup that fills in a few fields: a `bytes` value reads as `null` and a `uint128` above
//! `u64::MAX` as `null` (the crate's `serde_json::Value` decoding fails the whole record on either).

use std::net::IpAddr;

use serde_json::{Map, Number, Value};

const MARKER: &[u8] = b"\xAB\xCD\xEFMaxMind.com";
/// Deepest nesting of maps, arrays and pointers (the `maxminddb` crate's limit).
pub const MAX_DEPTH: u32 = 512;
/// Most values decoded for one record (pointers to shared data count each time they are followed).
pub const MAX_VALUES: u32 = 1 << 16;

/// An opened database.
#[derive(Debug)]
pub struct Mmdb {
    buf: Vec<u8>,
    node_count: usize,
    record_size: usize,
    ipv6: bool,
    /// Where the data section starts and ends (the end excludes the metadata marker).
    data: (usize, usize),
    /// The node IPv4 lookups start from in an IPv6 tree (after 96 zero bits), and its depth.
    ipv4_start: (usize, usize),
    database_type: String,
}

/// Why a database could not be opened or a record read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct MmdbError(String);

fn bad(m: impl Into<String>) -> MmdbError {
    MmdbError(m.into())
}

impl Mmdb {
    /// Open a database from its bytes; checks the metadata and the layout.
    pub fn open(buf: Vec<u8>) -> Result<Self, MmdbError> {
        let meta_start = memchr::memmem::rfind(&buf, MARKER)
            .ok_or_else(|| bad("could not find MaxMind DB metadata in file"))?
            + MARKER.len();
        let meta = Decoder::new(&buf[meta_start..]).value_at(0)?;
        let uint = |k: &str| {
            meta.get(k)
                .and_then(Value::as_u64)
                .ok_or_else(|| bad(format!("metadata lacks an unsigned integer `{k}`")))
        };
        let major = uint("binary_format_major_version")?;
        if major != 2 {
            return Err(bad(format!(
                "binary_format_major_version - Expected: 2 Actual: {major}"
            )));
        }
        let ip_version = uint("ip_version")?;
        if ip_version != 4 && ip_version != 6 {
            return Err(bad(format!(
                "ip_version - Expected: 4 or 6 Actual: {ip_version}"
            )));
        }
        let record_size = uint("record_size")?;
        if ![24, 28, 32].contains(&record_size) {
            return Err(bad(format!(
                "record_size - Expected: 24, 28, or 32 Actual: {record_size}"
            )));
        }
        let node_count = uint("node_count")?;
        if node_count == 0 || node_count > u64::from(u32::MAX) {
            return Err(bad(format!(
                "node_count - Expected: positive 32-bit integer Actual: {node_count}"
            )));
        }
        let database_type = meta
            .get("database_type")
            .and_then(Value::as_str)
            .ok_or_else(|| bad("metadata lacks a string `database_type`"))?
            .to_string();
        let (node_count, record_size) = (node_count as usize, record_size as usize);
        let data_end = meta_start - MARKER.len();
        let data_start = node_count
            .checked_mul(record_size)
            .map(|bits| bits / 4 + 16)
            .filter(|&s| s <= data_end)
            .ok_or_else(|| {
                bad("the MaxMind DB file's search tree extends beyond the metadata section")
            })?;
        let mut db = Mmdb {
            buf,
            node_count,
            record_size,
            ipv6: ip_version == 6,
            data: (data_start, data_end),
            ipv4_start: (0, 0),
            database_type,
        };
        if db.ipv6 {
            let mut node = 0;
            let mut depth = 0;
            while depth < 96 && node < node_count {
                node = db.read_node(node, 0);
                depth += 1;
            }
            db.ipv4_start = (node, depth);
        }
        Ok(db)
    }

    /// The metadata's `database_type` (`GeoLite2-City`, ...).
    pub fn database_type(&self) -> &str {
        &self.database_type
    }

    /// Nodes in the search tree.
    pub fn node_count(&self) -> u64 {
        self.node_count as u64
    }

    /// The record for `ip`, `None` when the database has none.
    pub fn lookup(&self, ip: IpAddr) -> Result<Option<Value>, MmdbError> {
        let (bits, len, mut node) = match ip {
            IpAddr::V4(v4) => (u128::from(u32::from(v4)) << 96, 32, self.ipv4_start.0),
            IpAddr::V6(_) if !self.ipv6 => {
                return Err(bad("cannot look up IPv6 address in IPv4-only database"));
            }
            IpAddr::V6(v6) => (u128::from(v6), 128, 0),
        };
        for i in 0..len {
            if node >= self.node_count {
                break;
            }
            node = self.read_node(node, ((bits >> (127 - i)) & 1) as usize);
        }
        if node <= self.node_count {
            return Ok(None);
        }
        let offset = node - self.node_count - 16;
        let (start, end) = self.data;
        if offset >= end - start {
            return Err(bad(
                "the MaxMind DB file's data pointer resolves to an invalid location",
            ));
        }
        Decoder::new(&self.buf[start..end])
            .value_at(offset)
            .map(Some)
    }

    fn read_node(&self, node: usize, side: usize) -> usize {
        let b = &self.buf;
        let at = |i: usize| usize::from(b[i]);
        match self.record_size {
            24 => {
                let o = node * 6 + side * 3;
                at(o) << 16 | at(o + 1) << 8 | at(o + 2)
            }
            28 => {
                let o = node * 7;
                if side == 0 {
                    (at(o + 3) & 0xF0) << 20 | at(o) << 16 | at(o + 1) << 8 | at(o + 2)
                } else {
                    (at(o + 3) & 0x0F) << 24 | at(o + 4) << 16 | at(o + 5) << 8 | at(o + 6)
                }
            }
            _ => {
                let o = node * 8 + side * 4;
                at(o) << 24 | at(o + 1) << 16 | at(o + 2) << 8 | at(o + 3)
            }
        }
    }
}

/// Decodes values from one section (data or metadata); pointers are offsets into that section.
struct Decoder<'a> {
    buf: &'a [u8],
    pos: usize,
    values: u32,
}

const POINTER: u8 = 1;
const STRING: u8 = 2;
const MAP: u8 = 7;

impl<'a> Decoder<'a> {
    fn new(buf: &'a [u8]) -> Self {
        Decoder {
            buf,
            pos: 0,
            values: 0,
        }
    }

    fn value_at(&mut self, offset: usize) -> Result<Value, MmdbError> {
        self.pos = offset;
        self.value(0)
    }

    fn byte(&mut self) -> Result<u8, MmdbError> {
        let b = *self
            .buf
            .get(self.pos)
            .ok_or_else(|| bad("unexpected end of the MaxMind DB data"))?;
        self.pos += 1;
        Ok(b)
    }

    fn take(&mut self, n: usize) -> Result<&'a [u8], MmdbError> {
        let s = self
            .pos
            .checked_add(n)
            .and_then(|e| self.buf.get(self.pos..e))
            .ok_or_else(|| bad("unexpected end of the MaxMind DB data"))?;
        self.pos += n;
        Ok(s)
    }

    /// A value's type and size (for a pointer, the size bits the pointer needs).
    fn header(&mut self) -> Result<(u8, usize), MmdbError> {
        let ctrl = self.byte()?;
        let mut ty = ctrl >> 5;
        if ty == 0 {
            ty = self
                .byte()?
                .checked_add(7)
                .ok_or_else(|| bad("unknown MaxMind DB data type"))?;
        }
        let low = usize::from(ctrl & 0x1f);
        if ty == POINTER {
            return Ok((ty, low));
        }
        let size = match low {
            29 => 29 + usize::from(self.byte()?),
            30 => 285 + self.uint_bytes(2)? as usize,
            31 => 65_821 + self.uint_bytes(3)? as usize,
            n => n,
        };
        Ok((ty, size))
    }

    fn uint_bytes(&mut self, n: usize) -> Result<u128, MmdbError> {
        Ok(self
            .take(n)?
            .iter()
            .fold(0u128, |acc, &b| acc << 8 | u128::from(b)))
    }

    fn uint(&mut self, size: usize, max: usize, what: &str) -> Result<u128, MmdbError> {
        if size > max {
            return Err(bad(format!("invalid size {size} for a MaxMind DB {what}")));
        }
        self.uint_bytes(size)
    }

    fn value(&mut self, depth: u32) -> Result<Value, MmdbError> {
        if depth > MAX_DEPTH {
            return Err(bad(
                "exceeded maximum data structure depth; database is likely corrupt",
            ));
        }
        self.values += 1;
        if self.values > MAX_VALUES {
            return Err(bad(format!(
                "a record expands to more than {MAX_VALUES} values; database is likely corrupt"
            )));
        }
        let (ty, size) = self.header()?;
        Ok(match ty {
            POINTER => {
                let n = (size >> 3) & 3;
                let low = size & 7;
                let target = match n {
                    0 => low << 8 | self.uint_bytes(1)? as usize,
                    1 => (low << 16 | self.uint_bytes(2)? as usize) + 2048,
                    2 => (low << 24 | self.uint_bytes(3)? as usize) + 526_336,
                    _ => self.uint_bytes(4)? as usize,
                };
                let back = self.pos;
                self.pos = target;
                if self.header()?.0 == POINTER {
                    return Err(bad("pointer points to another pointer"));
                }
                self.pos = target;
                let v = self.value(depth + 1)?;
                self.pos = back;
                v
            }
            STRING => Value::String(self.string(size)?),
            3 => {
                if size != 8 {
                    return Err(bad(format!("invalid size {size} for a MaxMind DB double")));
                }
                let b: [u8; 8] = self.take(8)?.try_into().expect("8 bytes");
                Number::from_f64(f64::from_be_bytes(b)).map_or(Value::Null, Value::Number)
            }
            4 => {
                self.take(size)?;
                Value::Null
            }
            5 => Value::from(self.uint(size, 2, "uint16")? as u64),
            6 => Value::from(self.uint(size, 4, "uint32")? as u64),
            MAP => {
                let mut m = Map::new();
                for _ in 0..size {
                    let k = match self.value(depth + 1)? {
                        Value::String(k) => k,
                        _ => return Err(bad("a MaxMind DB map key is not a string")),
                    };
                    let v = self.value(depth + 1)?;
                    m.insert(k, v);
                }
                Value::Object(m)
            }
            8 => {
                let u = self.uint(size, 4, "int32")? as u32;
                Value::from(i64::from(u as i32))
            }
            9 => Value::from(self.uint(size, 8, "uint64")? as u64),
            10 => u64::try_from(self.uint(size, 16, "uint128")?).map_or(Value::Null, Value::from),
            11 => {
                // Each element is at least one byte: a size larger than the data left is corrupt.
                if size > self.buf.len() - self.pos.min(self.buf.len()) {
                    return Err(bad("unexpected end of the MaxMind DB data"));
                }
                let mut a = Vec::with_capacity(size);
                for _ in 0..size {
                    a.push(self.value(depth + 1)?);
                }
                Value::Array(a)
            }
            14 => {
                if size > 1 {
                    return Err(bad(format!("invalid size {size} for a MaxMind DB boolean")));
                }
                Value::Bool(size == 1)
            }
            15 => {
                if size != 4 {
                    return Err(bad(format!("invalid size {size} for a MaxMind DB float")));
                }
                let b: [u8; 4] = self.take(4)?.try_into().expect("4 bytes");
                Number::from_f64(f64::from(f32::from_be_bytes(b)))
                    .map_or(Value::Null, Value::Number)
            }
            other => return Err(bad(format!("unexpected MaxMind DB data type {other}"))),
        })
    }

    fn string(&mut self, size: usize) -> Result<String, MmdbError> {
        std::str::from_utf8(self.take(size)?)
            .map(str::to_string)
            .map_err(|_| bad("invalid UTF-8 in string"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tree(record_size: usize, node: &[u8]) -> Mmdb {
        Mmdb {
            buf: node.to_vec(),
            node_count: 1,
            record_size,
            ipv6: false,
            data: (0, 0),
            ipv4_start: (0, 0),
            database_type: String::new(),
        }
    }

    #[test]
    fn nodes_of_every_record_size() {
        // The spec's 28-bit layout: [left low 24][left high 4 | right high 4][right low 24].
        let t = tree(28, &[0x23, 0x45, 0x67, 0x18, 0x9A, 0xBC, 0xDE]);
        assert_eq!(
            (t.read_node(0, 0), t.read_node(0, 1)),
            (0x0123_4567, 0x089A_BCDE)
        );
        let t = tree(24, &[0x12, 0x34, 0x56, 0xAB, 0xCD, 0xEF]);
        assert_eq!(
            (t.read_node(0, 0), t.read_node(0, 1)),
            (0x12_3456, 0xAB_CDEF)
        );
        let t = tree(32, &[0xF1, 0x23, 0x45, 0x67, 0x89, 0xAB, 0xCD, 0xEF]);
        assert_eq!(
            (t.read_node(0, 0), t.read_node(0, 1)),
            (0xF123_4567, 0x89AB_CDEF)
        );
    }
}
