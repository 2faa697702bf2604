//! Reading a JSON configuration onto a profile's defaults: each key onto the field it names, nested
//! objects onto nested sections, anything else replacing the default. Errors name the key's full path
//! (`credential_stuffing.min_failures: expected an integer from 0 to 4294967295, got "three"`).
//!
//! Written out instead of derived: serde's derived readers for the ~20 configuration sections were
//! about 7 % of the core `.wasm` (each with sequence and map forms, field matching and error paths),
//! and their messages pointed at a line and column of an internal merged document rather than at the
//! user's key. Every field is listed once, in [`sections!`]; the tests check that every key the
//! configuration writes is read back and changes what it names.

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

fn join(path: &str, key: &str) -> String {
    if path.is_empty() {
        key.to_string()
    } else {
        format!("{path}.{key}")
    }
}

fn object<'a>(v: &'a Value, path: &str) -> Result<&'a serde_json::Map<String, Value>, String> {
    v.as_object().ok_or_else(|| expected(path, "an object", v))
}

fn unknown(path: &str, key: &str, keys: &[&str]) -> String {
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
    fn from_value(v: &Value, path: &str) -> Result<Self, String> {
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

/// Sections: objects read key by key onto their current values.
macro_rules! sections {
    ($($t:ty { $($f:ident),* $(,)? })*) => {$(
        impl Setting for $t {
            fn from_value(v: &Value, path: &str) -> Result<Self, String> {
                let mut s = <$t>::default();
                s.read(v, path)?;
                Ok(s)
            }
            fn read(&mut self, v: &Value, path: &str) -> Result<(), String> {
                const KEYS: &[&str] = &[$(stringify!($f)),*];
                for (k, x) in object(v, path)? {
                    match k.as_str() {
                        $(stringify!($f) => self.$f.read(x, &join(path, k))?,)*
                        _ => return Err(unknown(path, k, KEYS)),
                    }
                }
                Ok(())
            }
        }
    )*};
}

sections! {
    Config {
        profile, window_secs, max_lateness_secs, credential_stuffing, impossible_travel, hosting,
        failures_then_success, password_spray, geo_velocity, token_replay, legacy_auth, mfa_fatigue,
        identity_protection, combined_risk, failed_logons_then_success, one_source_many_accounts,
        dedup, allowlist, limits,
    }
    CredentialStuffingConfig {
        enabled, min_failures, min_successes, excluded_result_codes, risk_high, high_ip_count,
        risk_medium, medium_ip_count, risk_low,
    }
    ImpossibleTravelConfig { enabled, bin_secs, min_countries, risk }
    HostingConfig { enabled, asn_names, ip_prefixes, asn_numbers, cidrs, tor_exit_ips, risk }
    AllowlistConfig { trusted_ips, trusted_asns, ignored_identities, travel, password_reset_apps }
    Limits {
        max_identities, max_events_per_identity, max_distinct_per_alert, max_evidence,
        max_buffered_events, max_record_bytes, max_error_details,
    }
    FailuresThenSuccessConfig {
        enabled, window_secs, min_failures, excluded_result_codes, correct_password_codes,
        correct_password_details, risk_high, high_ip_count, risk_medium, medium_ip_count, risk_low,
    }
    PasswordSprayConfig {
        enabled, window_secs, min_identities, risk, distributed_window_secs,
        distributed_min_identities, distributed_min_ips, distributed_max_attempts_per_ip,
        success_window_secs, risk_success,
    }
    FailedLogonsThenSuccessConfig {
        enabled, window_secs, min_failures, failure_events, failure_logon_types, failure_codes,
        success_logon_types, exclude_machine_accounts, exclude_anonymous, risk_high, high_ip_count,
        risk_medium, medium_ip_count, risk_low,
    }
    OneSourceManyAccountsConfig {
        enabled, window_secs, min_accounts, failure_events, exclude_machine_accounts,
        exclude_anonymous, risk, success_window_secs, risk_success,
    }
    GeoVelocityConfig {
        enabled, max_speed_kmh, min_distance_km, radius_pad_km, interactive_only, risk,
    }
    TokenReplayConfig {
        enabled, session_min_networks, risk_session, min_history, risk_mfa_claim, kit_apps,
        kit_user_agents, follow_secs, risk_kit,
    }
    LegacyAuthConfig { enabled, client_apps, user_agents, single_factor_only, risk }
    MfaFatigueConfig {
        enabled, denial_codes, max_denials, window_secs, success_within_secs, risk,
    }
    IdentityProtectionConfig { enabled, high_types, risk_high, risk_other }
    CombinedRiskConfig { enabled, min_signals }
}
