//! Detector configuration: a profile plus every threshold, allowlist and limit.
//!
//! Configuration is JSON (the same document through every interface). Keys left out take the
//! profile's defaults; unknown keys are an error, so a typo never silently changes detection.
//! [`Config::from_json`] merges the given document over the chosen profile's defaults.

use ipnet::IpNet;
use serde::Serialize;
use serde_json::Value;

use crate::config_read::Setting;
use crate::error::{Error, ErrorKind};

/// A named set of signals and defaults.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Profile {
    /// The public T1586 KQL reproduced exactly: credential stuffing by counts over 24 h, impossible
    /// travel as two countries in one 1-hour bin, hosting ASN names / Tor-like prefixes.
    Seed,
    /// What real compromises look like: ordered failures-then-success, password spray, geo-velocity,
    /// hosting/Tor by ASN number and lists, token replay (AiTM), legacy protocols, MFA fatigue,
    /// Identity Protection risk, and a combined per-identity score.
    #[default]
    Default,
}

impl Profile {
    /// The profile's name as written in configuration and alerts.
    pub fn name(self) -> &'static str {
        match self {
            Profile::Seed => "seed",
            Profile::Default => "default",
        }
    }
}

/// A period when an identity is known to travel: its sign-ins then never count as travel.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TravelWindow {
    /// The identity (case-insensitive).
    pub identity: String,
    /// Start (RFC 3339).
    pub from: chrono::DateTime<chrono::Utc>,
    /// End (RFC 3339).
    pub to: chrono::DateTime<chrono::Utc>,
    /// Countries visited; empty means any.
    pub countries: Vec<String>,
}

/// How accounts written in several ways are recognised as one identity ([`crate::identity`]).
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct IdentityConfig {
    /// Windows: DNS domain names and UPN suffixes → NetBIOS domain (`{"offsec.lan": "OFFSEC"}`),
    /// case-insensitive. One not listed is its first label, upper-cased (`offsec.lan` → `OFFSEC`).
    pub domains: std::collections::BTreeMap<String, String>,
}

/// False-positive controls from the seed's advice.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AllowlistConfig {
    /// Corporate egress / VPN ranges (CIDR, or single addresses): sign-ins from here never count
    /// as travel or hosting.
    pub trusted_ips: Vec<IpNet>,
    /// Corporate VPN / secure-web-gateway ASNs: never travel, never hosting.
    pub trusted_asns: Vec<u32>,
    /// Identities (case-insensitive) never alerted on, e.g. service accounts with noisy retries; a
    /// workload identity as its key, `sp:` and its application id.
    pub ignored_identities: Vec<String>,
    /// Known travel per identity.
    pub travel: Vec<TravelWindow>,
    /// Applications of the self-service password reset flow: their failures are not counted as
    /// password guessing (case-insensitive names).
    pub password_reset_apps: Vec<String>,
}

/// Hard caps that bound memory whatever the input. Every time one is hit, [`crate::Stats::caps_hit`]
/// counts it.
///
/// With the defaults, the worst case measured (1,000,000 sign-ins in one hour, every one a new
/// identity, IP and session: `host/tests/adversarial.rs`) peaks at about 430 MiB of detector memory,
/// reached once the caps fill and flat from then on. The CLI's sandbox default (`--max-memory 1024`)
/// holds it. A tenant with more than 100,000 sign-ins a day in a newest-first export, or more than
/// 50,000 identities active in one window, should raise these (and `--max-memory`).
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Limits {
    /// Identities tracked at once per signal; beyond it the least recently seen are evicted.
    pub max_identities: usize,
    /// Events remembered per identity inside the window.
    pub max_events_per_identity: usize,
    /// Distinct IPs / apps / countries counted per alert.
    pub max_distinct_per_alert: usize,
    /// Evidence records listed per alert.
    pub max_evidence: usize,
    /// Events held in the reordering buffer (and record ids remembered for dedup; both count under
    /// this name in `caps_hit`).
    pub max_buffered_events: usize,
    /// Offline input being sorted: events held in memory before they are written out as a sorted
    /// run for the host to store (see [`crate::offline`]).
    pub sort_run_events: usize,
    /// Largest single record accepted, in bytes.
    pub max_record_bytes: usize,
    /// Rejected-record details kept in the statistics (all are still counted).
    pub max_error_details: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_identities: 50_000,
            max_events_per_identity: 4_096,
            max_distinct_per_alert: 1_024,
            max_evidence: 20,
            max_buffered_events: 100_000,
            sort_run_events: 100_000,
            max_record_bytes: 4 << 20,
            max_error_details: 100,
        }
    }
}

/// What the configuration of every signal offers the rest of the core (implemented by
/// [`signal_config!`]).
pub(crate) trait SignalConfig {
    /// Whether the signal runs.
    fn enabled(&self) -> bool;
    /// What is wrong with the values, if anything (a message naming the key within the section).
    fn check(&self) -> Result<(), &'static str>;
}

/// A signal's configuration section, declared in the signal's own file: the struct with each
/// field's default next to it, its `Default`, its reader (the same field list, so no key can be
/// left unread) and [`SignalConfig`]. Every section has an `enabled` field; a `check(c) { ... }`
/// block after the struct validates it.
macro_rules! signal_config {
    (
        $(#[$meta:meta])*
        pub struct $name:ident {
            $( $(#[$fmeta:meta])* pub $field:ident : $ty:ty = $default:expr, )*
        }
        $( check($c:ident) $check:block )?
    ) => {
        $(#[$meta])*
        #[derive(Debug, Clone, PartialEq, serde::Serialize)]
        pub struct $name {
            $( $(#[$fmeta])* pub $field: $ty, )*
        }

        impl Default for $name {
            fn default() -> Self {
                $name { $( $field: $default, )* }
            }
        }

        crate::config_read::sections! { $name { $($field),* } }

        impl crate::config::SignalConfig for $name {
            fn enabled(&self) -> bool {
                self.enabled
            }
            fn check(&self) -> Result<(), &'static str> {
                $crate::config::signal_config!(@check self $( $c $check )?)
            }
        }
    };
    (@check $s:tt) => { Ok(()) };
    (@check $s:tt $c:ident $check:block) => {{ let $c = $s; $check }};
}
pub(crate) use signal_config;

/// `Config` from the signal table ([`crate::signals`]): a field per signal, in the table's order.
macro_rules! config_from_table {
    ($( $key:ident: $module:ident::$signal:ident, $config:ident, $reads:ident, [$($profile:ident),*]; )*) => {
        $( pub use crate::signals::$module::$config; )*

        /// The whole configuration.
        #[derive(Debug, Clone, PartialEq, Serialize)]
        pub struct Config {
            /// Which profile's signals run.
            pub profile: Profile,
            /// The detection window over event time (seed: the KQL's `ago(24h)` → 86400 s).
            pub window_secs: u64,
            /// How far out of time order records may arrive and still be processed in order.
            /// Records older than this behind the newest seen are processed at once and counted as
            /// late.
            pub max_lateness_secs: u64,
            /// Live mode ([`crate::Detector::set_live`]: `--follow`, plugins): how far out of time
            /// order records may arrive and still be processed in order; alerts come this much
            /// event time after the record that decides them at most.
            pub live_lateness_secs: u64,
            $(
                #[doc = concat!("See [`crate::signals::", stringify!($module), "`].")]
                pub $key: $config,
            )*
            /// Count one sign-in written as several rows (same record id) once.
            pub dedup: bool,
            pub identity: IdentityConfig,
            pub allowlist: AllowlistConfig,
            pub limits: Limits,
        }

        crate::config_read::sections! {
            Config { profile, window_secs, max_lateness_secs, live_lateness_secs, $($key,)* dedup, identity, allowlist, limits }
        }

        impl Config {
            /// The configuration keys of the signals, in the signal table's order.
            pub const SIGNALS: &'static [&'static str] = &[$(stringify!($key)),*];

            /// Every signal at its own defaults, on in the profiles the signal table names; the
            /// rest neutral (the profile table in [`Config::for_profile`] sets it).
            fn signals_of(profile: Profile) -> Config {
                Config {
                    profile,
                    window_secs: 86_400,
                    max_lateness_secs: 86_400,
                    live_lateness_secs: 60,
                    $(
                        $key: $config {
                            enabled: [$(Profile::$profile),*].contains(&profile),
                            ..$config::default()
                        },
                    )*
                    dedup: false,
                    identity: IdentityConfig::default(),
                    allowlist: AllowlistConfig::default(),
                    limits: Limits::default(),
                }
            }

            /// Whether the signal of configuration key `key` runs (`None`: no such signal).
            pub fn signal_enabled(&self, key: &str) -> Option<bool> {
                match key {
                    $( stringify!($key) => Some(SignalConfig::enabled(&self.$key)), )*
                    _ => None,
                }
            }

            /// Turn every signal off (for measuring the parts of the core apart).
            pub fn disable_signals(&mut self) {
                $( self.$key.enabled = false; )*
            }

            /// Take the section of signal `key` from `other` (`false`: no such signal).
            pub fn copy_signal(&mut self, key: &str, other: &Config) -> bool {
                match key {
                    $( stringify!($key) => self.$key = other.$key.clone(), )*
                    _ => return false,
                }
                true
            }

            fn check_signals(&self) -> Result<(), String> {
                $(
                    SignalConfig::check(&self.$key)
                        .map_err(|m| format!("{}.{m}", stringify!($key)))?;
                )*
                Ok(())
            }
        }
    };
}
crate::signals::signal_table!(config_from_table);

impl Default for Config {
    fn default() -> Self {
        Config::for_profile(Profile::default())
    }
}

impl Config {
    /// The defaults of one profile. Which signals a profile runs is in the signal table
    /// ([`crate::signals`]); this is the profile table: what else a profile sets.
    pub fn for_profile(profile: Profile) -> Config {
        let mut c = Config::signals_of(profile);
        match profile {
            Profile::Seed => {}
            Profile::Default => {
                // The seed's providers by number too: Entra records carry the number, not the name.
                c.hosting.asn_numbers =
                    vec![9009, 53667, 46844, 40676, 29073, 200019, 50673, 30823];
                c.dedup = true;
                c.allowlist.password_reset_apps = strings(&[
                    "Microsoft Password Reset Service",
                    "Azure AD Password Reset",
                    "Self-service password reset",
                ]);
            }
        }
        c
    }

    /// Parse a JSON configuration: its keys override the defaults of its `profile` (or the default
    /// profile). An empty string or `{}` gives the defaults.
    pub fn from_json(text: &str) -> Result<Config, Error> {
        let cfg_err = |m: String| Error::new(ErrorKind::Config, m);
        if text.trim().is_empty() {
            return Ok(Config::default());
        }
        let given: Value = serde_json::from_slice(text.as_bytes())
            .map_err(|e| cfg_err(format!("invalid JSON: {e}")))?;
        if !given.is_object() {
            return Err(cfg_err("configuration must be a JSON object".into()));
        }
        let profile = match given.get("profile") {
            None => Profile::default(),
            Some(p) => Profile::from_value(p, "profile").map_err(cfg_err)?,
        };
        let mut cfg = Config::for_profile(profile);
        cfg.read(&given, "").map_err(cfg_err)?;
        cfg.validate()?;
        Ok(cfg)
    }

    /// The configuration as pretty JSON (a starting point for users).
    pub fn to_json_pretty(&self) -> String {
        serde_json::to_string_pretty(&self.to_value()).unwrap_or_default()
    }

    /// The configuration as a JSON value. Through the compact text form on purpose: that serializer
    /// is in the module anyway (snapshots), so no second one is generated for `Config` (the core
    /// `.wasm` is size-constrained). Read back with [`Config::from_json`].
    fn to_value(&self) -> Value {
        let text = serde_json::to_vec(self).unwrap_or_default();
        serde_json::from_slice(&text).unwrap_or_default()
    }

    fn validate(&self) -> Result<(), Error> {
        let bad = |m: &str| Err(Error::new(ErrorKind::Config, m.to_string()));
        if self.window_secs == 0 {
            return bad("window_secs must be positive");
        }
        if let Err(m) = self.check_signals() {
            return bad(&m);
        }
        let l = &self.limits;
        if l.max_identities == 0
            || l.max_events_per_identity == 0
            || l.max_distinct_per_alert == 0
            || l.max_buffered_events == 0
            || l.sort_run_events == 0
            || l.max_record_bytes < 1024
        {
            return bad(
                "limits must be positive (and max_record_bytes at least 1024); they bound memory, they cannot turn it off",
            );
        }
        Ok(())
    }
}

/// Owned copies of some texts (configuration lists).
pub(crate) fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn profiles_differ_in_signals() {
        let seed = Config::for_profile(Profile::Seed);
        let def = Config::default();
        assert_eq!(def.profile, Profile::Default);
        assert!(seed.credential_stuffing.enabled && !seed.failures_then_success.enabled);
        assert!(!def.credential_stuffing.enabled && def.failures_then_success.enabled);
        let c = Config::from_json(r#"{"profile":"seed","geo_velocity":{"enabled":true}}"#).unwrap();
        assert!(c.geo_velocity.enabled && c.credential_stuffing.enabled);
    }

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
        // One address is its own network, as in IP lists.
        let c =
            Config::from_json(r#"{"allowlist":{"trusted_ips":["203.0.113.7","::1"]}}"#).unwrap();
        let nets: Vec<String> = c
            .allowlist
            .trusted_ips
            .iter()
            .map(|n| n.to_string())
            .collect();
        assert_eq!(nets, ["203.0.113.7/32", "::1/128"]);
        assert!(Config::from_json(r#"{"allowlist":{"trusted_ips":["10.0.0.0/88"]}}"#).is_err());
        assert!(Config::from_json(r#"{"window_secs":0}"#).is_err());
    }

    /// Every leaf of `v` changed to another valid value of its kind (numbers up by one, booleans
    /// flipped, strings and lists replaced), so reading it back shows which keys were applied.
    fn perturb(v: &mut Value, path: &str) {
        match v {
            Value::Object(o) => {
                for (k, x) in o.iter_mut() {
                    perturb(x, &format!("{path}.{k}"));
                }
            }
            Value::Bool(b) => *b = !*b,
            Value::Number(n) => {
                *v = if let Some(u) = n.as_u64() {
                    (u + 1).into()
                } else {
                    (n.as_f64().unwrap() + 1.5).into()
                }
            }
            Value::String(s) if path.ends_with(".profile") => *s = "seed".into(),
            Value::String(s) if path.ends_with(".min_level") => *s = "high".into(),
            Value::Array(_) if path.contains("trusted_ips") || path.contains("cidrs") => {
                *v = serde_json::json!(["192.0.2.0/24"])
            }
            Value::Array(_) if path.contains("tor_exit_ips") => {
                *v = serde_json::json!(["192.0.2.9"])
            }
            Value::Array(_) if path.contains("asns") || path.contains("asn_numbers") => {
                *v = serde_json::json!([64500])
            }
            Value::Array(_) if path.contains("events") || path.contains("logon_types") => {
                *v = serde_json::json!([4771])
            }
            Value::Array(_) if path.ends_with(".travel") => {
                *v = serde_json::json!([{"identity": "a@b.c", "from": "2026-03-01T00:00:00Z",
                    "to": "2026-03-09T00:00:00Z", "countries": ["FR"]}])
            }
            Value::Array(_) => *v = serde_json::json!(["x-perturbed"]),
            other => panic!("{path}: unexpected {other}"),
        }
    }

    #[test]
    fn every_key_the_configuration_writes_is_read_back() {
        for profile in [Profile::Seed, Profile::Default] {
            let cfg = Config::for_profile(profile);
            // As written: reads back to the same configuration.
            assert_eq!(Config::from_json(&cfg.to_json_pretty()).unwrap(), cfg);
            // Every key changed: each change must show up (a key the reader skipped would not).
            let mut v = cfg.to_value();
            perturb(&mut v, "");
            v["profile"] = profile.name().into();
            let back = Config::from_json(&v.to_string()).unwrap();
            assert_eq!(back.to_value(), v, "{profile:?}");
        }
    }

    #[test]
    fn errors_name_the_key_and_what_was_wrong() {
        let msg = |text: &str| Config::from_json(text).unwrap_err().message().to_string();
        let m = msg(r#"{"credential_stuffing":{"min_failurs":3}}"#);
        assert!(
            m.starts_with("credential_stuffing: unknown key `min_failurs` (expected one of: enabled, min_failures,"),
            "{m}"
        );
        assert_eq!(
            msg(r#"{"credential_stuffing":{"min_failures":"three"}}"#),
            r#"credential_stuffing.min_failures: expected an integer from 0 to 4294967295, got "three""#
        );
        assert_eq!(
            msg(r#"{"limits":{"max_evidence":-1}}"#),
            "limits.max_evidence: expected an integer from 0 to 18446744073709551615, got -1"
                .replace("18446744073709551615", &usize::MAX.to_string())
        );
        assert_eq!(
            msg(r#"{"allowlist":{"trusted_ips":["10.0.0.0/8","10.0.0.0/88"]}}"#),
            r#"allowlist.trusted_ips[1]: expected an IP network such as "203.0.113.0/24", got "10.0.0.0/88""#
        );
        assert_eq!(
            msg(r#"{"allowlist":{"travel":[{"identity":"a@b.c","from":"2026-03-01T00:00:00Z"}]}}"#),
            "allowlist.travel[0]: missing key `to`"
        );
        assert_eq!(
            msg(r#"{"hosting":null}"#),
            "hosting: expected an object, got null"
        );
        assert_eq!(
            msg(r#"{"profile":"nope"}"#),
            r#"profile: expected "seed" or "default", got "nope""#
        );
        assert!(msg(r#"{"x":1}"#).starts_with("configuration: unknown key `x`"));
        assert_eq!(
            msg(&format!(
                r#"{{"legacy_auth":{{"user_agents":"{}"}}}}"#,
                "y".repeat(100)
            )),
            format!(
                r#"legacy_auth.user_agents: expected a list, got "{}..."#,
                "y".repeat(56)
            )
        );
    }
}
