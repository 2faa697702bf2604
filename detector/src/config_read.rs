//! Reading a JSON configuration onto a profile's defaults: each key onto the field it names, nested
//! objects onto nested sections, anything else replacing the default. Errors name the key's full path
//! (`credential_stuffing.min_failures: expected an integer from 0 to 4294967295, got "three"`).
//!
//! Written out instead of derived: serde's derived readers for the ~20 configuration sections were
//! about 7 % of the core `.wasm` (each with sequence and map forms, field matching and error paths),
//! and their messages pointed at a line and column of an internal merged document rather than at the
//! user's key. A signal's section is read as its [`crate::config::signal_config!`] declares it (the
//! same field list makes the struct and its reader); the configuration's own sections are listed in
//! [`sections!`]. The tests check that every key the configuration writes is read back and changes
//! what it names.

use std::net::IpAddr;

use chrono::{DateTime, Utc};
use ipnet::IpNet;
use serde_json::Value;

use crate::config::*;

/// A configuration value read from JSON. `read` applies a value onto an existing one (sections
/// overlay key by key; everything else is replaced).
pub(crate) trait Setting: Sized {
    fn from_value(v: &Value, path: &str) -> Result<Self, String>;
    fn read(&mut self, v: &Value, path: &str) -> Result<(), String> {
        *self = Self::from_value(v, path)?;
        Ok(())
    }
}

fn got(v: &Value) -> String {
    let mut s = v.to_string();
    if s.len() > 60 {
        let mut cut = 57;
        while !s.is_char_boundary(cut) {
            cut -= 1;
        }
        s.truncate(cut);
        s.push_str("...");
    }
    s
}

fn expected(path: &str, what: &str, v: &Value) -> String {
    format!("{}: expected {what}, got {}", shown(path), got(v))
}

fn shown(path: &str) -> &str {
    if path.is_empty() {
        "configuration"
    } else {
        path
    }
}

pub(crate) fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

pub(crate) fn object<'a>(
    v: &'a Value,
    path: &str,
) -> Result<&'a serde_json::Map<String, Value>, String> {
    v.as_object().ok_or_else(|| expected(path, "an object", v))
}

pub(crate) fn unknown(path: &str, key: &str, keys: &[&str]) -> String {
    format!(
        "{}: unknown key `{key}` (expected one of: {})",
        shown(path),
        keys.join(", ")
    )
}

impl Setting for bool {
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        v.as_bool()
            .ok_or_else(|| expected(path, "true or false", v))
    }
}

macro_rules! integers {
    ($($t:ty),*) => {$(
        impl Setting for $t {
            fn from_value(v: &Value, path: &str) -> Result<Self, String> {
                v.as_u64()
                    .and_then(|n| <$t>::try_from(n).ok())
                    .ok_or_else(|| {
                        expected(path, &format!("an integer from 0 to {}", <$t>::MAX), v)
                    })
            }
        }
    )*};
}
integers!(u32, u64, usize);

impl Setting for f64 {
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        v.as_f64().ok_or_else(|| expected(path, "a number", v))
    }
}

impl Setting for String {
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        v.as_str()
            .map(str::to_string)
            .ok_or_else(|| expected(path, "a string", v))
    }
}

/// A string parsed with `FromStr`, described as `what` in errors.
fn parsed<T: std::str::FromStr>(v: &Value, path: &str, what: &str) -> Result<T, String> {
    v.as_str()
        .and_then(|s| s.parse().ok())
        .ok_or_else(|| expected(path, what, v))
}

impl Setting for IpNet {
    /// A network in CIDR notation, or one address (its own /32 or /128), as IP lists have them.
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        if let Some(a) = v.as_str().and_then(|s| s.parse::<IpAddr>().ok()) {
            return Ok(IpNet::from(a));
        }
        parsed(v, path, "an IP network such as \"203.0.113.0/24\"")
    }
}

impl Setting for IpAddr {
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        parsed(v, path, "an IP address")
    }
}

impl Setting for DateTime<Utc> {
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        parsed(v, path, "an RFC 3339 time such as \"2026-03-02T08:00:00Z\"")
    }
}

impl Setting for Profile {
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        match v.as_str() {
            Some("seed") => Ok(Profile::Seed),
            Some("default") => Ok(Profile::Default),
            _ => Err(expected(path, "\"seed\" or \"default\"", v)),
        }
    }
}

impl<T: Setting> Setting for Vec<T> {
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        v.as_array()
            .ok_or_else(|| expected(path, "a list", v))?
            .iter()
            .enumerate()
            .map(|(i, x)| T::from_value(x, &format!("{}[{i}]", shown(path))))
            .collect()
    }
}

impl<T: Setting> Setting for std::collections::BTreeMap<String, T> {
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        object(v, path)?
            .iter()
            .map(|(k, x)| Ok((k.clone(), T::from_value(x, &join(path, k))?)))
            .collect()
    }
}

impl Setting for TravelWindow {
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
        let o = object(v, path)?;
        let need = |k: &str| {
            o.get(k)
                .ok_or_else(|| format!("{}: missing key `{k}`", shown(path)))
        };
        let mut w = TravelWindow {
            identity: String::from_value(need("identity")?, &join(path, "identity"))?,
            from: Setting::from_value(need("from")?, &join(path, "from"))?,
            to: Setting::from_value(need("to")?, &join(path, "to"))?,
            countries: Vec::new(),
        };
        for (k, x) in o {
            match k.as_str() {
                "identity" | "from" | "to" => {}
                "countries" => w.countries.read(x, &join(path, k))?,
                _ => return Err(unknown(path, k, &["identity", "from", "to", "countries"])),
            }
        }
        Ok(w)
    }
}

/// Sections: objects read key by key onto their current values. Used here for the configuration's
/// own sections and by [`crate::config::signal_config!`] for each signal's.
macro_rules! sections {
    ($($t:ty { $($f:ident),* $(,)? })*) => {$(
        impl $crate::config_read::Setting for $t {
            fn from_value(v: &serde_json::Value, path: &str) -> Result<Self, String> {
                let mut s = <$t>::default();
                s.read(v, path)?;
                Ok(s)
            }
            fn read(&mut self, v: &serde_json::Value, path: &str) -> Result<(), String> {
                const KEYS: &[&str] = &[$(stringify!($f)),*];
                for (k, x) in $crate::config_read::object(v, path)? {
                    match k.as_str() {
                        $(stringify!($f) => $crate::config_read::Setting::read(&mut self.$f, x, &$crate::config_read::join(path, k))?,)*
                        _ => return Err($crate::config_read::unknown(path, k, KEYS)),
                    }
                }
                Ok(())
            }
        }
    )*};
}

pub(crate) use sections;

sections! {
    IdentityConfig { domains }
    AllowlistConfig { trusted_ips, trusted_asns, ignored_identities, travel, password_reset_apps }
    Limits {
        max_identities, max_events_per_identity, max_distinct_per_alert, max_evidence,
        max_buffered_events, sort_run_events, max_record_bytes, max_error_details,
    }
}
