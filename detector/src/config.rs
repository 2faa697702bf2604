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

/// Credential stuffing (seed semantics) — see [`crate::signals::credential_stuffing`].
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
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
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct HostingConfig {
    pub enabled: bool,
    /// Case-insensitive substrings of the ASN (network owner) name.
    pub asn_names: Vec<String>,
    /// IP text prefixes (seed: the Tor-heavy `185.220.` and `185.129.`).
    pub ip_prefixes: Vec<String>,
    /// Autonomous system numbers (default profile: the seed's providers by number).
    pub asn_numbers: Vec<u32>,
    /// CIDR ranges (e.g. a datacenter/VPN range list).
    pub cidrs: Vec<IpNet>,
    /// Tor exit addresses (the Tor Project's bulk exit list: one IP per line; the CLI's `--tor-list`).
    pub tor_exit_ips: Vec<std::net::IpAddr>,
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
            asn_numbers: Vec::new(),
            cidrs: Vec::new(),
            tor_exit_ips: Vec::new(),
            risk: 80,
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

/// False-positive controls from the seed's advice.
#[derive(Debug, Clone, Default, PartialEq, Serialize)]
pub struct AllowlistConfig {
    /// Corporate egress / VPN ranges: sign-ins from here never count as travel or hosting.
    pub trusted_ips: Vec<IpNet>,
    /// Corporate VPN / secure-web-gateway ASNs: never travel, never hosting.
    pub trusted_asns: Vec<u32>,
    /// Identities (case-insensitive) never alerted on, e.g. service accounts with noisy retries.
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
            max_record_bytes: 4 << 20,
            max_error_details: 100,
        }
    }
}

/// The whole configuration.
#[derive(Debug, Clone, PartialEq, Serialize)]
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
    pub failures_then_success: FailuresThenSuccessConfig,
    pub password_spray: PasswordSprayConfig,
    pub geo_velocity: GeoVelocityConfig,
    pub token_replay: TokenReplayConfig,
    pub legacy_auth: LegacyAuthConfig,
    pub mfa_fatigue: MfaFatigueConfig,
    pub identity_protection: IdentityProtectionConfig,
    pub combined_risk: CombinedRiskConfig,
    pub failed_logons_then_success: FailedLogonsThenSuccessConfig,
    pub one_source_many_accounts: OneSourceManyAccountsConfig,
    /// Count one sign-in written as several rows (same record id) once.
    pub dedup: bool,
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
                failures_then_success: off(FailuresThenSuccessConfig::default()),
                password_spray: off(PasswordSprayConfig::default()),
                geo_velocity: off(GeoVelocityConfig::default()),
                token_replay: off(TokenReplayConfig::default()),
                legacy_auth: off(LegacyAuthConfig::default()),
                mfa_fatigue: off(MfaFatigueConfig::default()),
                identity_protection: off(IdentityProtectionConfig::default()),
                combined_risk: off(CombinedRiskConfig::default()),
                failed_logons_then_success: off(FailedLogonsThenSuccessConfig::default()),
                one_source_many_accounts: off(OneSourceManyAccountsConfig::default()),
                dedup: false,
                allowlist: AllowlistConfig::default(),
                limits: Limits::default(),
            },
            Profile::Default => Config {
                profile,
                window_secs: 86_400,
                max_lateness_secs: 86_400,
                credential_stuffing: off(CredentialStuffingConfig::default()),
                impossible_travel: off(ImpossibleTravelConfig::default()),
                hosting: HostingConfig {
                    // The seed's providers by number too: Entra records carry the number, not the name.
                    asn_numbers: vec![9009, 53667, 46844, 40676, 29073, 200019, 50673, 30823],
                    ..HostingConfig::default()
                },
                failures_then_success: FailuresThenSuccessConfig::default(),
                password_spray: PasswordSprayConfig::default(),
                geo_velocity: GeoVelocityConfig::default(),
                token_replay: TokenReplayConfig::default(),
                legacy_auth: LegacyAuthConfig::default(),
                mfa_fatigue: MfaFatigueConfig::default(),
                identity_protection: IdentityProtectionConfig::default(),
                combined_risk: CombinedRiskConfig::default(),
                failed_logons_then_success: FailedLogonsThenSuccessConfig::default(),
                one_source_many_accounts: OneSourceManyAccountsConfig::default(),
                dedup: true,
                allowlist: AllowlistConfig {
                    password_reset_apps: vec![
                        "Microsoft Password Reset Service".into(),
                        "Azure AD Password Reset".into(),
                        "Self-service password reset".into(),
                    ],
                    ..AllowlistConfig::default()
                },
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
        if self.impossible_travel.bin_secs == 0 {
            return bad("impossible_travel.bin_secs must be positive");
        }
        if self.credential_stuffing.min_failures == 0 {
            return bad("credential_stuffing.min_failures must be positive");
        }
        if self.failed_logons_then_success.min_failures == 0
            || self.failed_logons_then_success.window_secs == 0
        {
            return bad("failed_logons_then_success.min_failures and window_secs must be positive");
        }
        if self.one_source_many_accounts.min_accounts < 2
            || self.one_source_many_accounts.window_secs == 0
        {
            return bad(
                "one_source_many_accounts.min_accounts must be at least 2 and window_secs positive",
            );
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

/// A signal configuration with `enabled: false`.
fn off<T: Toggle>(mut t: T) -> T {
    t.set_enabled(false);
    t
}

trait Toggle {
    fn set_enabled(&mut self, on: bool);
}

macro_rules! toggles {
    ($($t:ty),*) => {$(
        impl Toggle for $t {
            fn set_enabled(&mut self, on: bool) {
                self.enabled = on;
            }
        }
    )*};
}
toggles!(
    CredentialStuffingConfig,
    ImpossibleTravelConfig,
    FailuresThenSuccessConfig,
    PasswordSprayConfig,
    GeoVelocityConfig,
    TokenReplayConfig,
    LegacyAuthConfig,
    MfaFatigueConfig,
    IdentityProtectionConfig,
    CombinedRiskConfig,
    FailedLogonsThenSuccessConfig,
    OneSourceManyAccountsConfig
);

fn strings(v: &[&str]) -> Vec<String> {
    v.iter().map(|s| s.to_string()).collect()
}

/// Failures then success, ordered (default profile) — see [`crate::signals::failures_then_success`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailuresThenSuccessConfig {
    pub enabled: bool,
    /// Failures must precede the success within this many seconds.
    pub window_secs: u64,
    /// Failures needed before the success.
    pub min_failures: u32,
    /// Result codes never counted as failures.
    pub excluded_result_codes: Vec<String>,
    /// Result codes meaning "the password was right, something else blocked": they end a run of
    /// failures like a success does (the attacker has the password).
    pub correct_password_codes: Vec<String>,
    /// `authenticationStepResultDetail` texts with the same meaning (case-insensitive).
    pub correct_password_details: Vec<String>,
    pub risk_high: u32,
    pub high_ip_count: u32,
    pub risk_medium: u32,
    pub medium_ip_count: u32,
    pub risk_low: u32,
}

impl Default for FailuresThenSuccessConfig {
    fn default() -> Self {
        FailuresThenSuccessConfig {
            enabled: true,
            window_secs: 3_600,
            min_failures: 5,
            excluded_result_codes: Vec::new(),
            correct_password_codes: strings(&[
                "50076", "50079", "50074", "50158", "53003", "50055", "500121",
            ]),
            correct_password_details: strings(&["Correct Password"]),
            risk_high: 90,
            high_ip_count: 5,
            risk_medium: 75,
            medium_ip_count: 2,
            risk_low: 60,
        }
    }
}

/// Password spray (default profile) — see [`crate::signals::password_spray`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PasswordSprayConfig {
    pub enabled: bool,
    /// One source IP failing against at least `min_identities` identities within `window_secs`.
    pub window_secs: u64,
    pub min_identities: u32,
    pub risk: u32,
    /// Low-and-slow: at least `distributed_min_identities` identities from at least
    /// `distributed_min_ips` IPs, each IP trying at most `distributed_max_attempts_per_ip` times,
    /// all with one user agent and one result code, within `distributed_window_secs`.
    pub distributed_window_secs: u64,
    pub distributed_min_identities: u32,
    pub distributed_min_ips: u32,
    pub distributed_max_attempts_per_ip: u32,
    /// A success for a sprayed identity within this many seconds of the spray.
    pub success_window_secs: u64,
    pub risk_success: u32,
}

impl Default for PasswordSprayConfig {
    fn default() -> Self {
        PasswordSprayConfig {
            enabled: true,
            window_secs: 1_200,
            min_identities: 5,
            risk: 70,
            distributed_window_secs: 86_400,
            distributed_min_identities: 10,
            distributed_min_ips: 10,
            distributed_max_attempts_per_ip: 2,
            success_window_secs: 86_400,
            risk_success: 95,
        }
    }
}

/// Windows: failed network logons, then a logon, for one account — see
/// [`crate::signals::failed_logons_then_success`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FailedLogonsThenSuccessConfig {
    pub enabled: bool,
    /// Failures must precede the logon within this many seconds (1 h).
    pub window_secs: u64,
    /// Failures needed before the logon (5).
    pub min_failures: u32,
    /// Event IDs counted as failures (4625; add 4771 / 4776 for domain-controller logs, which can
    /// double-count a failure also logged as 4625 on the member server).
    pub failure_events: Vec<u32>,
    /// Logon types of counted 4625 failures (3 network, 10 RDP; add 8 for OpenSSH / IIS basic auth).
    pub failure_logon_types: Vec<u32>,
    /// Status / SubStatus codes counted (lower-case hex; 0xc000006a bad password, 0x18 Kerberos).
    pub failure_codes: Vec<String>,
    /// Logon types of the 4624 that completes the pattern; empty means any.
    pub success_logon_types: Vec<u32>,
    /// Leave out machine accounts (names ending in `$`).
    pub exclude_machine_accounts: bool,
    /// Leave out `ANONYMOUS LOGON` (SID S-1-5-7).
    pub exclude_anonymous: bool,
    /// Risk by distinct failure source IPs: `risk_high` above `high_ip_count`, `risk_medium` above
    /// `medium_ip_count`, else `risk_low` (the seed's 90 / 75 / 60 ladder).
    pub risk_high: u32,
    pub high_ip_count: u32,
    pub risk_medium: u32,
    pub medium_ip_count: u32,
    pub risk_low: u32,
}

impl Default for FailedLogonsThenSuccessConfig {
    fn default() -> Self {
        FailedLogonsThenSuccessConfig {
            enabled: true,
            window_secs: 3_600,
            min_failures: 5,
            failure_events: vec![4625],
            failure_logon_types: vec![3, 10],
            failure_codes: strings(&["0xc000006a", "0x18"]),
            success_logon_types: Vec::new(),
            exclude_machine_accounts: true,
            exclude_anonymous: true,
            risk_high: 90,
            high_ip_count: 5,
            risk_medium: 75,
            medium_ip_count: 2,
            risk_low: 60,
        }
    }
}

/// Windows: one source failing against many accounts — see
/// [`crate::signals::one_source_many_accounts`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct OneSourceManyAccountsConfig {
    pub enabled: bool,
    /// Sliding window (5 min, as Splunk's "Windows Multiple Users Failed To Authenticate From Ip").
    pub window_secs: u64,
    /// Distinct accounts needed in the window (31: Splunk's "more than 30").
    pub min_accounts: u32,
    /// Event IDs counted as failures (any failure status).
    pub failure_events: Vec<u32>,
    pub exclude_machine_accounts: bool,
    pub exclude_anonymous: bool,
    pub risk: u32,
    /// A logon by a sprayed account from the same source within this many seconds of its failure.
    pub success_window_secs: u64,
    pub risk_success: u32,
}

impl Default for OneSourceManyAccountsConfig {
    fn default() -> Self {
        OneSourceManyAccountsConfig {
            enabled: true,
            window_secs: 300,
            min_accounts: 31,
            failure_events: vec![4625, 4768, 4771, 4776],
            exclude_machine_accounts: true,
            exclude_anonymous: true,
            risk: 70,
            success_window_secs: 3_600,
            risk_success: 95,
        }
    }
}

/// Impossible travel by geo-velocity (default profile) — see [`crate::signals::geo_velocity`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct GeoVelocityConfig {
    pub enabled: bool,
    /// Alert above this speed (km/h).
    pub max_speed_kmh: f64,
    /// ... and only when the two places are at least this far apart (km).
    pub min_distance_km: f64,
    /// Geolocation error allowed at each end (km), subtracted from the distance.
    pub radius_pad_km: f64,
    /// Only interactive sign-ins (records that do not say are included).
    pub interactive_only: bool,
    pub risk: u32,
}

impl Default for GeoVelocityConfig {
    fn default() -> Self {
        GeoVelocityConfig {
            enabled: true,
            max_speed_kmh: 900.0,
            min_distance_km: 500.0,
            radius_pad_km: 50.0,
            interactive_only: true,
            risk: 85,
        }
    }
}

/// AiTM / session-token replay (default profile) — see [`crate::signals::token_replay`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TokenReplayConfig {
    pub enabled: bool,
    /// One session id seen from this many countries or ASNs.
    pub session_min_networks: u32,
    pub risk_session: u32,
    /// MFA satisfied by a token claim from an ASN/country never seen for the identity, once the
    /// identity has at least `min_history` successful sign-ins.
    pub min_history: u32,
    pub risk_mfa_claim: u32,
    /// Apps phishing kits sign into interactively.
    pub kit_apps: Vec<String>,
    /// User-agent substrings of phishing-kit HTTP clients (case-insensitive).
    pub kit_user_agents: Vec<String>,
    /// Non-interactive sign-ins from another IP within this many seconds after the kit sign-in.
    pub follow_secs: u64,
    pub risk_kit: u32,
}

impl Default for TokenReplayConfig {
    fn default() -> Self {
        TokenReplayConfig {
            enabled: true,
            session_min_networks: 2,
            risk_session: 85,
            min_history: 3,
            risk_mfa_claim: 75,
            kit_apps: strings(&[
                "OfficeHome",
                "Office 365",
                "Microsoft Authentication Broker",
                "Microsoft Office",
            ]),
            kit_user_agents: strings(&[
                "axios",
                "node-fetch",
                "node.js",
                "undici",
                "python-requests",
                "go-http-client",
                "okhttp",
            ]),
            follow_secs: 3_600,
            risk_kit: 90,
        }
    }
}

/// Legacy protocol / password-grant success (default profile) — see [`crate::signals::legacy_auth`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct LegacyAuthConfig {
    pub enabled: bool,
    /// Client apps that cannot do MFA (case-insensitive).
    pub client_apps: Vec<String>,
    /// User-agent substrings of ROPC password grants (case-insensitive).
    pub user_agents: Vec<String>,
    /// Alert only when the sign-in was single-factor (or did not say).
    pub single_factor_only: bool,
    pub risk: u32,
}

impl Default for LegacyAuthConfig {
    fn default() -> Self {
        LegacyAuthConfig {
            enabled: true,
            client_apps: strings(&[
                "Authenticated SMTP",
                "IMAP4",
                "POP3",
                "Exchange ActiveSync",
                "Exchange Web Services",
                "MAPI Over HTTP",
                "Other clients",
                "AutoDiscover",
                "Exchange Online PowerShell",
                "Offline Address Book",
                "Outlook Anywhere (RPC over HTTP)",
                "Reporting Web Services",
                "Universal Outlook",
            ]),
            user_agents: strings(&["BAV2ROPC", "CBAinPROD", "CBAinTAR"]),
            single_factor_only: true,
            risk: 70,
        }
    }
}

/// MFA fatigue (default profile) — see [`crate::signals::mfa_fatigue`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MfaFatigueConfig {
    pub enabled: bool,
    /// Result codes of denied / unanswered MFA prompts.
    pub denial_codes: Vec<String>,
    /// More than `max_denials` denials within `window_secs` ...
    pub max_denials: u32,
    pub window_secs: u64,
    /// ... then a success within this many seconds of the last denial.
    pub success_within_secs: u64,
    pub risk: u32,
}

impl Default for MfaFatigueConfig {
    fn default() -> Self {
        MfaFatigueConfig {
            enabled: true,
            denial_codes: strings(&["500121", "50088", "50074"]),
            max_denials: 10,
            window_secs: 3_600,
            success_within_secs: 300,
            risk: 90,
        }
    }
}

/// Entra ID Protection pass-through (default profile) — see [`crate::signals::identity_protection`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct IdentityProtectionConfig {
    pub enabled: bool,
    /// Risk event types that mean compromise with high confidence (case-insensitive).
    pub high_types: Vec<String>,
    pub risk_high: u32,
    /// Any other risk event type.
    pub risk_other: u32,
}

impl Default for IdentityProtectionConfig {
    fn default() -> Self {
        IdentityProtectionConfig {
            enabled: true,
            high_types: strings(&[
                "maliciousIPAddress",
                "attackerinTheMiddle",
                "anomalousToken",
                "tokenIssuerAnomaly",
                "passwordSpray",
                "leakedCredentials",
                "investigationsThreatIntelligence",
                "adminConfirmedUserCompromised",
                "suspiciousAPITraffic",
            ]),
            risk_high: 80,
            risk_other: 60,
        }
    }
}

/// Combined per-identity risk (default profile) — see [`crate::signals::combined`].
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct CombinedRiskConfig {
    pub enabled: bool,
    /// Distinct detection types on one identity within the window needed for a combined alert.
    pub min_signals: u32,
}

impl Default for CombinedRiskConfig {
    fn default() -> Self {
        CombinedRiskConfig {
            enabled: true,
            min_signals: 2,
        }
    }
}

/// Deep-merge `over` into `base`: objects merge key by key, anything else replaces.
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
