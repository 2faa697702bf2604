//! Detector configuration: a profile plus every threshold, allowlist and limit.
//!
//! Configuration is JSON (the same document through every interface). Keys left out take the
//! profile's defaults; unknown keys are an error, so a typo never silently changes detection.
//! [`Config::from_json`] merges the given document over the chosen profile's defaults.

use ipnet::IpNet;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::error::{Error, ErrorKind};

/// A named set of signals and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The public T1586 KQL reproduced exactly: credential stuffing by counts over 24 h, impossible
    /// travel as two countries in one 1-hour bin, hosting ASN names / Tor-like prefixes.
    #[default]
    Seed,
}

/// Credential stuffing (seed semantics) — see [`crate::signals::credential_stuffing`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct CredentialStuffingConfig {
    /// Turn the signal on or off.
    pub enabled: bool,
    /// Failures needed inside the window (seed: 5).
    pub min_failures: u32,
    /// Successes needed inside the window (seed: 1).
    pub min_successes: u32,
    /// Result codes that are not counted as failures (seed: 50053 lockout, 50076 MFA required).
    pub excluded_result_codes: Vec<String>,
    /// Risk when the failures came from more than `high_ip_count` distinct IPs (seed: 90 above 5).
    pub risk_high: u32,
    pub high_ip_count: u32,
    /// Risk when from more than `medium_ip_count` distinct IPs (seed: 75 above 2).
    pub risk_medium: u32,
    pub medium_ip_count: u32,
    /// Risk otherwise (seed: 60).
    pub risk_low: u32,
}

impl Default for CredentialStuffingConfig {
    fn default() -> Self {
        CredentialStuffingConfig {
            enabled: true,
            min_failures: 5,
            min_successes: 1,
            excluded_result_codes: vec!["50053".into(), "50076".into()],
            risk_high: 90,
            high_ip_count: 5,
            risk_medium: 75,
            medium_ip_count: 2,
            risk_low: 60,
        }
    }
}

/// Impossible travel (seed semantics) — see [`crate::signals::impossible_travel`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct ImpossibleTravelConfig {
    pub enabled: bool,
    /// Width of the time bins, aligned to the epoch like KQL `bin()` (seed: 3600 s).
    pub bin_secs: u64,
    /// Distinct countries of successful sign-ins needed in one bin (seed: 2).
    pub min_countries: u32,
    /// Risk score (seed: 85).
    pub risk: u32,
}

impl Default for ImpossibleTravelConfig {
    fn default() -> Self {
        ImpossibleTravelConfig {
            enabled: true,
            bin_secs: 3600,
            min_countries: 2,
            risk: 85,
        }
    }
}

/// Successful sign-ins from hosting / anonymizer infrastructure — see [`crate::signals::hosting_asn`].
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct HostingConfig {
    pub enabled: bool,
    /// Case-insensitive substrings of the ASN (network owner) name.
    pub asn_names: Vec<String>,
    /// IP text prefixes (seed: the Tor-heavy `185.220.` and `185.129.`).
    pub ip_prefixes: Vec<String>,
    /// Risk score (seed: 80).
    pub risk: u32,
}

impl Default for HostingConfig {
    fn default() -> Self {
        HostingConfig {
            enabled: true,
            asn_names: [
                "M247",
                "Frantech",
                "Sharktech",
                "Psychz",
                "Quasi Networks",
                "Alexhost",
                "ITL-Bulgaria",
                "Serverius",
                "Combahton",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
            ip_prefixes: vec!["185.220.".into(), "185.129.".into()],
            risk: 80,
        }
    }
}

/// False-positive controls from the seed's advice.
#[derive(Debug, Clone, Default, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct AllowlistConfig {
    /// Corporate egress / VPN ranges: sign-ins from here never count as travel or hosting.
    pub trusted_ips: Vec<IpNet>,
    /// Identities (case-insensitive) never alerted on, e.g. service accounts with noisy retries.
    pub ignored_identities: Vec<String>,
}

/// Hard caps that bound memory whatever the input. Every time one is hit, [`crate::Stats::caps_hit`]
/// counts it.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Limits {
    /// Identities tracked at once per signal; beyond it the least recently seen are evicted.
    pub max_identities: usize,
    /// Events remembered per identity inside the window.
    pub max_events_per_identity: usize,
    /// Distinct IPs / apps / countries counted per alert.
    pub max_distinct_per_alert: usize,
    /// Evidence records listed per alert.
    pub max_evidence: usize,
    /// Events held in the reordering buffer.
    pub max_buffered_events: usize,
    /// Largest single record accepted, in bytes.
    pub max_record_bytes: usize,
    /// Rejected-record details kept in the statistics (all are still counted).
    pub max_error_details: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_identities: 200_000,
            max_events_per_identity: 4_096,
            max_distinct_per_alert: 1_024,
            max_evidence: 20,
            max_buffered_events: 500_000,
            max_record_bytes: 4 << 20,
            max_error_details: 100,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct Config {
    /// Which profile's signals run.
    pub profile: Profile,
    /// The detection window over event time (seed: the KQL's `ago(24h)` → 86400 s).
    pub window_secs: u64,
    /// How far out of time order records may arrive and still be processed in order. Records older
    /// than this behind the newest seen are processed at once and counted as late.
    pub max_lateness_secs: u64,
    pub credential_stuffing: CredentialStuffingConfig,
    pub impossible_travel: ImpossibleTravelConfig,
    pub hosting: HostingConfig,
    pub allowlist: AllowlistConfig,
    pub limits: Limits,
}

impl Default for Config {
    fn default() -> Self {
        Config::for_profile(Profile::default())
    }
}

impl Config {
    /// The defaults of one profile.
    pub fn for_profile(profile: Profile) -> Config {
        match profile {
            Profile::Seed => Config {
                profile,
                window_secs: 86_400,
                max_lateness_secs: 86_400,
                credential_stuffing: CredentialStuffingConfig::default(),
                impossible_travel: ImpossibleTravelConfig::default(),
                hosting: HostingConfig::default(),
                allowlist: AllowlistConfig::default(),
                limits: Limits::default(),
            },
        }
    }

    /// Parse a JSON configuration: its keys override the defaults of its `profile` (or the default
    /// profile). An empty string or `{}` gives the defaults.
    pub fn from_json(text: &str) -> Result<Config, Error> {
        let cfg_err = |m: String| Error::new(ErrorKind::Config, m);
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let given: Value =
            serde_json::from_str(text).map_err(|e| cfg_err(format!("invalid JSON: {e}")))?;
        if !given.is_object() {
            return Err(cfg_err("configuration must be a JSON object".into()));
        }
        let profile = match given.get("profile") {
            None | Some(Value::Null) => Profile::default(),
            Some(p) => Profile::deserialize(p).map_err(|e| cfg_err(format!("profile: {e}")))?,
        };
        let mut base = serde_json::to_value(Config::for_profile(profile))
            .map_err(|e| cfg_err(e.to_string()))?;
        merge(&mut base, given);
        let cfg: Config = serde_json::from_value(base).map_err(|e| cfg_err(e.to_string()))?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The configuration as pretty JSON (a starting point for users).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    fn validate(&self) -> Result<(), Error> {
        let bad = |m: &str| Err(Error::new(ErrorKind::Config, m.to_string()));
        if self.window_secs == 0 {
            return bad("window_secs must be positive");
        }
        if self.impossible_travel.bin_secs == 0 {
            return bad("impossible_travel.bin_secs must be positive");
        }
        if self.credential_stuffing.min_failures == 0 {
            return bad("credential_stuffing.min_failures must be positive");
        }
        let l = &self.limits;
        if l.max_identities == 0
            || l.max_events_per_identity == 0
            || l.max_distinct_per_alert == 0
            || l.max_buffered_events == 0
            || l.max_record_bytes < 1024
        {
            return bad(
                "limits must be positive (and max_record_bytes at least 1024); they bound memory, they cannot turn it off",
            );
        }
        Ok(())
    }
}

/// Deep-merge `over` into `base`: objects merge key by key, anything else replaces.
fn merge(base: &mut Value, over: Value) {
    match (base, over) {
        (Value::Object(b), Value::Object(o)) => {
            for (k, v) in o {
                match b.get_mut(&k) {
                    Some(slot) if slot.is_object() && v.is_object() => merge(slot, v),
                    _ => {
                        b.insert(k, v);
                    }
                }
            }
        }
        (b, o) => *b = o,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn empty_and_braces_give_defaults() {
        assert_eq!(Config::from_json("").unwrap(), Config::default());
        assert_eq!(Config::from_json("{}").unwrap(), Config::default());
    }

    #[test]
    fn partial_override_keeps_other_defaults() {
        let c = Config::from_json(r#"{"credential_stuffing":{"min_failures":7}}"#).unwrap();
        assert_eq!(c.credential_stuffing.min_failures, 7);
        assert_eq!(c.credential_stuffing.risk_low, 60);
        assert_eq!(c.impossible_travel.risk, 85);
    }

    #[test]
    fn unknown_key_is_an_error() {
        let e = Config::from_json(r#"{"credential_stuffing":{"min_failure":7}}"#).unwrap_err();
        assert_eq!(e.kind(), ErrorKind::Config);
        assert!(e.message().contains("min_failure"), "{e}");
        assert!(Config::from_json(r#"{"profile":"nope"}"#).is_err());
        assert!(Config::from_json("[1]").is_err());
        assert!(Config::from_json("{").is_err());
    }

    #[test]
    fn cidrs_parse_and_bad_values_fail() {
        let c =
            Config::from_json(r#"{"allowlist":{"trusted_ips":["10.0.0.0/8","2001:db8::/32"]}}"#)
                .unwrap();
        assert_eq!(c.allowlist.trusted_ips.len(), 2);
        assert!(Config::from_json(r#"{"allowlist":{"trusted_ips":["10.0.0.0/88"]}}"#).is_err());
        assert!(Config::from_json(r#"{"window_secs":0}"#).is_err());
    }
}
