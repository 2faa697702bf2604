//! Detection signals. One signal per file; each documents its logic, thresholds, anchors and known
//! false positives. Signals see only [`AuthEvent`]s, in event-time order (late events aside), and
//! keep bounded per-identity state in a [`Tracker`].
//!
//! Every signal is one line of the signal table ([`signal_table!`]): its configuration key, its
//! module and state type, its configuration section, the records it reads and the profiles that run
//! it. The state of all signals ([`Signals`]: construction, `observe`, deadlines, iteration, counts),
//! the [`Config`] fields and the [`catalog`] of detection types are generated from that table. A
//! signal's own file holds everything else about it: the [`Signal`] implementation (its detection
//! types and ATT&CK techniques, how it observes a record), its configuration section with defaults
//! and reader ([`crate::config::signal_config!`]), and its tests.
//!
//! Shared state types: [`sequence::State`] for a sliding run of records that opens an alert
//! (stuffing, spray, MFA fatigue...), [`matched::State`] for single matching records (hosting,
//! legacy protocols, Identity Protection).

pub mod client_phishing;
pub mod combined;
pub mod credential_stuffing;
pub mod explicit_credentials;
pub mod failed_logons_then_success;
pub mod failures_then_success;
pub mod geo_velocity;
pub mod hosting_asn;
pub mod identity_protection;
pub mod impossible_travel;
pub mod legacy_auth;
pub mod matched;
pub mod mfa_fatigue;
pub mod one_source_many_accounts;
pub mod password_spray;
pub mod sequence;
pub mod token_replay;
pub mod workload_credentials;
pub mod workload_location;

use crate::shared::Shared;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

use chrono::{DateTime, TimeDelta, Utc};
use indexmap::IndexSet;
use rustc_hash::{FxBuildHasher, FxHashMap};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::alert::{Alert, Evidence};
use crate::config::{Config, Limits};
use crate::event::{AuthEvent, Outcome, SourceKind};
use crate::mitre::Detection;
use crate::stats::Stats;

/// The signal table: one line per signal, `key: module::State, Config, reads, [profiles];`.
///
/// * `key` — the configuration section, the [`Config`] field and the [`Signals`] field;
/// * `module::State` — the signal's file and its state type (a [`Signal`]);
/// * `Config` — its configuration section (declared in its file with
///   [`crate::config::signal_config!`]);
/// * `reads` — the records it is given ([`Reads`]);
/// * `profiles` — the profiles that run it ([`crate::Profile`]).
///
/// The order is the order in which signals see each record and in which their state is written
/// into snapshots: add a signal at the end, or bump [`crate::SNAPSHOT_VERSION`].
///
/// Expanded by a macro of the caller's, named here (`signal_table!(callback)`), which receives
/// the lines as written.
macro_rules! signal_table {
    ($then:ident) => {
        $then! {
            credential_stuffing: credential_stuffing::CredentialStuffing, CredentialStuffingConfig, Users, [Seed];
            impossible_travel: impossible_travel::ImpossibleTravel, ImpossibleTravelConfig, Users, [Seed];
            hosting: hosting_asn::Hosting, HostingConfig, Any, [Seed, Default];
            failures_then_success: failures_then_success::FailuresThenSuccess, FailuresThenSuccessConfig, SignIns, [Default];
            password_spray: password_spray::Spray, PasswordSprayConfig, SignIns, [Default];
            geo_velocity: geo_velocity::GeoVelocity, GeoVelocityConfig, Users, [Default];
            token_replay: token_replay::TokenReplay, TokenReplayConfig, SignIns, [Default];
            legacy_auth: legacy_auth::LegacyAuth, LegacyAuthConfig, Entra, [Default];
            mfa_fatigue: mfa_fatigue::MfaFatigue, MfaFatigueConfig, Entra, [Default];
            identity_protection: identity_protection::IdentityProtection, IdentityProtectionConfig, Risk, [Default];
            combined_risk: combined::Combined, CombinedRiskConfig, Alerts, [Default];
            failed_logons_then_success: failed_logons_then_success::FailedLogonsThenSuccess, FailedLogonsThenSuccessConfig, Windows, [Default];
            one_source_many_accounts: one_source_many_accounts::OneSourceManyAccounts, OneSourceManyAccountsConfig, Windows, [Default];
            explicit_credentials: explicit_credentials::ExplicitCredentials, ExplicitCredentialsConfig, Windows, [Default];
            client_phishing: client_phishing::ClientPhishing, ClientPhishingConfig, Entra, [Default];
            workload_credentials: workload_credentials::WorkloadCredentials, WorkloadCredentialsConfig, Workloads, [Default];
            workload_location: workload_location::WorkloadLocation, WorkloadLocationConfig, Workloads, [Default];
        }
    };
}
pub(crate) use signal_table;

/// Which records a signal is given. Only `Risk` is given the providers' verdicts
/// ([`Outcome::Verdict`]): they are statements, not attempts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Reads {
    /// Every authentication attempt: users' and workload identities'.
    Any,
    /// Every attempt and every verdict of an identity provider (the risk pass-through).
    Risk,
    /// Every user's record (sign-ins at every identity provider and Windows logons), no workload
    /// identity's.
    Users,
    /// Users' sign-ins at cloud identity providers (Entra ID, Okta, AWS console, Google
    /// Workspace, others): signals that decide by the normalized failure class
    /// ([`AuthEvent::failure_class`]), not by one provider's codes.
    SignIns,
    /// Entra ID user sign-ins only (signals built on Entra's result codes, sessions and client apps).
    Entra,
    /// Workload-identity sign-ins only (Entra service principals and managed identities).
    Workloads,
    /// Windows logon events only.
    Windows,
    /// No records: the other signals' alerts ([`Signal::observe_alert`]).
    Alerts,
}

impl Reads {
    /// Whether the record goes to the signal.
    #[inline]
    pub(crate) fn event(self, ev: &AuthEvent) -> bool {
        let kind = ev.source_kind;
        if ev.outcome == Outcome::Verdict {
            return self == Reads::Risk;
        }
        match self {
            Reads::Any | Reads::Risk => true,
            Reads::Users => !kind.is_workload(),
            Reads::SignIns => kind.is_cloud_sign_in(),
            Reads::Entra => kind == SourceKind::EntraSignIn,
            Reads::Workloads => kind.is_workload(),
            Reads::Windows => kind == SourceKind::WindowsSecurity,
            Reads::Alerts => false,
        }
    }
}

/// One signal's state for everything it tracks, and what it does with a record.
pub(crate) trait Signal:
    Stage + Default + Clone + std::fmt::Debug + Serialize + DeserializeOwned
{
    /// The detection types it raises, with their ATT&CK techniques.
    const DETECTIONS: &'static [Detection];
    /// A record of the kind its table line reads.
    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>);
    /// An alert of another signal (for the signals that read alerts).
    fn observe_alert(&mut self, _alert: &Alert, _ctx: &mut Ctx<'_>) {}
}

/// `Signals` and the catalog, from the signal table.
macro_rules! signals_from_table {
    ($( $key:ident: $module:ident::$signal:ident, $config:ident, $reads:ident, [$($profile:ident),*]; )*) => {
        /// The signals of the configured profile (`None`: off).
        #[derive(Debug, Clone, Serialize, Deserialize)]
        pub(crate) struct Signals {
            $( $key: Option<$module::$signal>, )*
            /// No deadline of any signal is earlier than this (`None`: not known, look). Not part
            /// of snapshots: a restored detector looks once.
            #[serde(skip)]
            due: Option<DateTime<Utc>>,
        }

        impl Signals {
            pub fn new(cfg: &Config) -> Signals {
                Signals {
                    $( $key: cfg.$key.enabled.then(Default::default), )*
                    due: None,
                }
            }

            /// The earliest deadline of any signal, exactly.
            fn first_due(&self) -> Option<DateTime<Utc>> {
                earliest([$( self.$key.as_ref().and_then(|s| s.first_due()), )*])
            }

            /// A record to every signal that reads its kind, in table order.
            fn observe_all(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
                $(
                    if Reads::$reads.event(ev)
                        && let Some(s) = &mut self.$key
                    {
                        ctx.signal = stringify!($key);
                        Signal::observe(s, ev, ctx);
                    }
                )*
            }

            /// Whether any signal that reads alerts runs.
            fn reads_alerts(&self) -> bool {
                false $( || (Reads::$reads == Reads::Alerts && self.$key.is_some()) )*
            }

            /// An alert to every signal that reads alerts.
            fn observe_alert(&mut self, a: &Alert, ctx: &mut Ctx<'_>) {
                $(
                    if Reads::$reads == Reads::Alerts
                        && let Some(s) = &mut self.$key
                    {
                        ctx.signal = stringify!($key);
                        ctx.reads_alerts = true;
                        s.observe_alert(a, ctx);
                        ctx.reads_alerts = false;
                    }
                )*
            }

            /// `f` on each running signal (with its configuration key): first those that read
            /// records, then (`alerts`) those that read alerts.
            fn each(&mut self, alerts: bool, mut f: impl FnMut(&'static str, &mut dyn Stage)) {
                $(
                    if (Reads::$reads == Reads::Alerts) == alerts
                        && let Some(s) = &mut self.$key
                    {
                        f(stringify!($key), s);
                    }
                )*
            }

            pub fn identities(&self) -> u64 {
                0 $( + self.$key.as_ref().map_or(0, |s| s.tracked() as u64) )*
            }
        }

        /// Every detection type, with the configuration key of the signal that raises it, in
        /// table order (a type raised by two signals, one per profile, is listed for each).
        pub fn catalog() -> Vec<(&'static str, &'static Detection)> {
            let mut out = Vec::new();
            $(
                for d in <$module::$signal as Signal>::DETECTIONS {
                    out.push((stringify!($key), d));
                }
            )*
            out
        }

        /// [`catalog`] as JSON, as the C ABI (`t1586_catalog`) and the JS binding (`catalog`)
        /// return it: `{"detections": [{"DetectionType", "Signal", "Mitre", "Attempt"}...], "techniques":
        /// {"T1586": "Compromise Accounts", ...}}`, in table order.
        pub fn catalog_json() -> String {
            // Written out by hand: names and ids are plain ASCII, and a `serde_json::Value` built
            // for this would add 5 KB to the module.
            let mut out = String::from("{\"detections\":[");
            let mut seen: Vec<&crate::mitre::Technique> = Vec::new();
            for (i, (key, d)) in catalog().into_iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push_str("{\"DetectionType\":\"");
                out.push_str(d.name);
                out.push_str("\",\"Signal\":\"");
                out.push_str(key);
                out.push_str("\",\"Mitre\":[");
                for (j, t) in d.techniques.iter().enumerate() {
                    if j > 0 {
                        out.push(',');
                    }
                    out.push('"');
                    out.push_str(t.id);
                    out.push('"');
                    if !seen.contains(&t) {
                        seen.push(t);
                    }
                }
                out.push_str(if d.attempt {
                    "],\"Attempt\":true}"
                } else {
                    "],\"Attempt\":false}"
                });
            }
            out.push_str("],\"techniques\":{");
            for (i, t) in seen.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                out.push('"');
                out.push_str(t.id);
                out.push_str("\":\"");
                out.push_str(t.name);
                out.push('"');
            }
            out.push_str("}}");
            out
        }

        // Each line's configuration type is the one its section reads.
        const _: fn(&Config) = |c| {
            $( let _: &$module::$config = &c.$key; )*
        };
    };
}
signal_table!(signals_from_table);

/// What a signal may touch while it runs.
pub(crate) struct Ctx<'a> {
    pub cfg: &'a Config,
    pub m: &'a Compiled,
    pub out: &'a mut Vec<Alert>,
    pub stats: &'a mut Stats,
    /// The earliest deadline scheduled during this call (lets [`Signals::advance`] skip the
    /// signals while nothing is due).
    pub earliest: Option<DateTime<Utc>>,
    /// The running signal's configuration key (alert ids name it).
    pub signal: &'static str,
    /// The running signal reads alerts, not records.
    pub reads_alerts: bool,
    /// Live mode: what each slot would emit if the input ended now ([`crate::live`]).
    pub live: Option<&'a mut crate::live::Live>,
}

/// Configuration turned into fast lookups once (not part of snapshots: rebuilt from the config).
#[derive(Debug, Clone, Default)]
pub(crate) struct Compiled {
    /// Phishing-kit user-agent substrings.
    pub kit_user_agents: FoldedSet,
    /// ROPC / legacy-client user-agent substrings.
    pub legacy_user_agents: FoldedSet,
    /// Scripted HTTP client user-agent substrings (token replay).
    pub scripted_user_agents: FoldedSet,
    pub tor: rustc_hash::FxHashSet<std::net::IpAddr>,
    pub hosting_asns: rustc_hash::FxHashSet<u32>,
    pub hosting_names: FoldedSet,
    pub reset_apps: Vec<String>,
    /// For each first octet of an IPv4 address, whether a configured hosting text prefix can
    /// match an address starting with it: the others are not written out as text to be compared.
    pub hosting_prefix_octets: OctetSet,
}

impl Compiled {
    pub fn new(cfg: &Config) -> Compiled {
        let lower = |v: &[String]| {
            v.iter()
                .map(|s| s.to_lowercase())
                .filter(|s| !s.is_empty())
                .collect()
        };
        Compiled {
            kit_user_agents: FoldedSet::new(&cfg.token_replay.kit_user_agents),
            legacy_user_agents: FoldedSet::new(&cfg.legacy_auth.user_agents),
            scripted_user_agents: FoldedSet::new(&cfg.token_replay.scripted_user_agents),
            tor: cfg.hosting.tor_exit_ips.iter().copied().collect(),
            hosting_asns: cfg.hosting.asn_numbers.iter().copied().collect(),
            hosting_names: FoldedSet::new(&cfg.hosting.asn_names),
            reset_apps: lower(&cfg.allowlist.password_reset_apps),
            hosting_prefix_octets: OctetSet::of(|o| {
                // An address's text starts with `o.`: a prefix can match only if it is a start of
                // that, or starts with it.
                let start = format!("{o}.");
                cfg.hosting.ip_prefixes.iter().any(|p| {
                    !p.is_empty() && (start.starts_with(p.as_str()) || p.starts_with(&start))
                })
            }),
        }
    }
}

/// A set of byte values (256 bits).
#[derive(Debug, Clone, Copy, Default)]
pub(crate) struct OctetSet([u64; 4]);

impl OctetSet {
    fn of(f: impl Fn(u8) -> bool) -> OctetSet {
        let mut s = OctetSet::default();
        for o in 0..=255u8 {
            if f(o) {
                s.0[usize::from(o >> 6)] |= 1 << (o & 63);
            }
        }
        s
    }

    pub fn contains(&self, o: u8) -> bool {
        self.0[usize::from(o >> 6)] & (1 << (o & 63)) != 0
    }
}

/// Substrings to look for in a text, ignoring case: the text is lower-cased once (on the stack
/// when it is short ASCII, as user agents and AS names nearly always are) and each pattern is
/// looked for where its first byte occurs (`memchr`).
#[derive(Debug, Clone, Default)]
pub(crate) struct FoldedSet {
    patterns: Vec<Box<[u8]>>,
    /// Answers for recently seen shared texts (the reader shares each distinct user agent), by
    /// the text's address: a direct-mapped table of `CACHE` entries holding the text itself, so
    /// an address is never reused while cached. Results only; output never depends on it.
    cache: std::cell::RefCell<Vec<Option<Remembered>>>,
}

/// A shared text and the index of the first pattern it contains.
type Remembered = (Shared<str>, Option<usize>);

const CACHE_BITS: u32 = 8;
const CACHE: usize = 1 << CACHE_BITS;

/// The cache slot of a text at address `p`: its low 32 bits, Fibonacci-hashed. Texts allocated a
/// page apart differ only above bit 11; with bits 4-11 as the slot, two common user agents shared
/// one and evicted each other on every event (a miss, and the text lower-cased and searched, on
/// 38 % of the events of one input before commit 51ee03f).
fn cache_slot(p: usize) -> usize {
    ((p as u32).wrapping_mul(0x9e37_79b9) >> (32 - CACHE_BITS)) as usize
}

impl FoldedSet {
    /// From patterns as configured; empty patterns never match.
    pub fn new(patterns: &[String]) -> FoldedSet {
        FoldedSet {
            patterns: patterns
                .iter()
                .map(|s| s.to_lowercase())
                .filter(|s| !s.is_empty())
                .map(|s| s.into_bytes().into_boxed_slice())
                .collect(),
            cache: Default::default(),
        }
    }

    /// [`position`](FoldedSet::position) for a shared text, remembered by the text's address.
    pub fn position_shared(&self, hay: &Shared<str>) -> Option<usize> {
        if self.patterns.is_empty() {
            return None;
        }
        let slot = cache_slot(Shared::as_ptr(hay).cast::<u8>() as usize);
        let mut cache = self.cache.borrow_mut();
        if cache.is_empty() {
            cache.resize(CACHE, None);
        }
        if let Some((text, found)) = &cache[slot]
            && Shared::ptr_eq(text, hay)
        {
            return *found;
        }
        let found = self.position(hay);
        cache[slot] = Some((hay.clone(), found));
        found
    }

    /// The index (among the non-empty patterns) of the first pattern `hay` contains.
    pub fn position(&self, hay: &str) -> Option<usize> {
        if self.patterns.is_empty() {
            return None;
        }
        with_lower(hay, |lower| {
            self.patterns.iter().position(|p| contains(lower, p))
        })
    }
}

/// `f` on `text` lower-cased: on the stack when `text` is short ASCII (user agents, app and AS
/// names nearly always are), else through `to_lowercase`.
fn with_lower<R>(text: &str, f: impl FnOnce(&[u8]) -> R) -> R {
    let mut buf = [0u8; 512];
    if text.is_ascii() && text.len() <= buf.len() {
        let b = &mut buf[..text.len()];
        b.copy_from_slice(text.as_bytes());
        b.make_ascii_lowercase();
        f(b)
    } else {
        f(text.to_lowercase().as_bytes())
    }
}

/// Whether `hay` contains `needle` (an empty needle is contained everywhere).
fn contains(hay: &[u8], needle: &[u8]) -> bool {
    let Some((&first, rest)) = needle.split_first() else {
        return true;
    };
    let mut from = 0;
    while let Some(i) = memchr::memchr(first, &hay[from..]) {
        let at = from + i + 1;
        if hay[at..].starts_with(rest) {
            return true;
        }
        from = at;
    }
    false
}

/// Whether `hay` contains `needle` (given lower-case), ignoring case: as
/// `hay.to_lowercase().contains(needle)`, without allocating for short ASCII texts.
pub(crate) fn contains_folded(hay: &str, needle: &str) -> bool {
    with_lower(hay, |lower| contains(lower, needle.as_bytes()))
}

/// Whether `text` lower-cased equals `lower` (given lower-case), without allocating for ASCII.
pub(crate) fn eq_folded(text: &str, lower: &str) -> bool {
    if text.is_ascii() && lower.is_ascii() {
        text.eq_ignore_ascii_case(lower)
    } else {
        text.to_lowercase() == lower
    }
}

/// Configurations with the seed's risk ladder by distinct IPs: `risk_high` above `high_ip_count`,
/// `risk_medium` above `medium_ip_count`, else `risk_low` (90 / 75 / 60 for more than 5 / 2 IPs).
pub(crate) trait IpLadder {
    /// The risk for a count of distinct IPs.
    fn ladder_risk(&self, ips: u64) -> u32;
}

macro_rules! ip_ladder {
    ($($t:ty),*) => {$(
        impl IpLadder for $t {
            fn ladder_risk(&self, ips: u64) -> u32 {
                if ips > u64::from(self.high_ip_count) {
                    self.risk_high
                } else if ips > u64::from(self.medium_ip_count) {
                    self.risk_medium
                } else {
                    self.risk_low
                }
            }
        }
    )*};
}
ip_ladder!(
    credential_stuffing::CredentialStuffingConfig,
    failures_then_success::FailuresThenSuccessConfig,
    failed_logons_then_success::FailedLogonsThenSuccessConfig,
    workload_credentials::WorkloadCredentialsConfig
);

/// The `UserPrincipalName` of alerts about a source rather than one identity.
pub const MULTIPLE: &str = "(multiple)";

/// The risk of an attempt, by volume and spread: `base` at `min` (the signal's threshold), 5 more
/// each time the count quadruples (4 × `min`, 16 × `min`, ...), 5 more when it came from more than
/// five sources, never above `max` (attempts stay below every compromise alert, which start at 60).
///
/// With the defaults (base 40 or 45, max 55) five wrong passwords in five minutes are 40, twenty are
/// 45, eighty 50; a spray of five accounts is 45, twenty 50, eighty 55.
pub(crate) fn attempt_risk(base: u32, max: u32, count: u64, min: u32, sources: u64) -> u32 {
    let mut risk = base;
    let mut step = u64::from(min.max(1)) * 4;
    while count >= step && risk < max {
        risk += 5;
        step = step.saturating_mul(4);
    }
    if sources > 5 {
        risk += 5;
    }
    risk.min(max)
}

/// Whether alerts of this detection type are attempts ([`Detection::attempt`]).
pub(crate) fn is_attempt(detection_type: &str) -> bool {
    catalog()
        .iter()
        .any(|(_, d)| d.attempt && d.name == detection_type)
}

/// The open episode's window (from its first record) has ended by `now`.
pub(crate) fn ended(ep: &Option<Box<Episode>>, ctx: &Ctx<'_>, now: DateTime<Utc>) -> bool {
    ep.as_ref().is_some_and(|e| e.first + ctx.window() <= now)
}

/// The earliest of some optional deadlines.
pub(crate) fn earliest(
    ds: impl IntoIterator<Item = Option<DateTime<Utc>>>,
) -> Option<DateTime<Utc>> {
    ds.into_iter().flatten().min()
}

/// Counted reasons why a signal passed over an event (e.g. no geolocation).
pub(crate) fn skip(stats: &mut Stats, why: &str) {
    *stats.signal_skips.entry(why.to_string()).or_default() += 1;
}

/// Event from a password-reset flow (its failures are not guessing).
pub(crate) fn password_reset_flow(ev: &AuthEvent, m: &Compiled) -> bool {
    ev.app
        .as_deref()
        .is_some_and(|a| m.reset_apps.iter().any(|r| eq_folded(a, r)))
}

/// Why a Windows account is left out of the Windows signals, if it is: machine accounts (`NAME$`)
/// and anonymous logons, when so configured.
pub(crate) fn excluded_windows_account(
    ev: &AuthEvent,
    machine: bool,
    anonymous: bool,
) -> Option<&'static str> {
    if machine && ev.identity_key.ends_with('$') {
        return Some("windows: machine account");
    }
    let sid = ev.windows.as_deref().and_then(|w| w.target_sid.as_deref());
    // The key is `domain\name` once the domain is known (`nt authority\anonymous logon`).
    let name = ev
        .identity_key
        .rsplit_once('\\')
        .map_or(&*ev.identity_key, |(_, n)| n);
    if anonymous && (name == "anonymous logon" || sid == Some("S-1-5-7")) {
        return Some("windows: anonymous logon");
    }
    None
}

/// The identity is inside a declared travel window (to one of its countries, if listed).
pub(crate) fn known_travel(ev: &AuthEvent, cfg: &Config) -> bool {
    cfg.allowlist.travel.iter().any(|w| {
        w.identity.eq_ignore_ascii_case(&ev.identity)
            && w.from <= ev.time
            && ev.time <= w.to
            && (w.countries.is_empty()
                || ev
                    .country
                    .as_deref()
                    .is_some_and(|c| w.countries.iter().any(|x| x.eq_ignore_ascii_case(c))))
    })
}

impl<'a> Ctx<'a> {
    /// A context for the engine's calls into the signals.
    pub fn new(
        cfg: &'a Config,
        m: &'a Compiled,
        out: &'a mut Vec<Alert>,
        stats: &'a mut Stats,
        live: Option<&'a mut crate::live::Live>,
    ) -> Ctx<'a> {
        Ctx {
            cfg,
            m,
            out,
            stats,
            earliest: None,
            signal: "",
            reads_alerts: false,
            live,
        }
    }
}

impl Ctx<'_> {
    pub fn window(&self) -> TimeDelta {
        secs(self.cfg.window_secs)
    }

    /// Emit `ep` as an alert of `detection` (`TimeGenerated`: its last record's time). Boxed: open
    /// alerts are held boxed (`Option<Box<Episode>>`), and this is where they end.
    #[allow(clippy::boxed_local)]
    pub fn emit(&mut self, ep: Box<Episode>, detection: &Detection, risk: u32) {
        let last = ep.last;
        self.emit_at(*ep, detection, risk, last);
    }

    /// Emit `ep` as an alert of `detection` generated at `time`.
    pub fn emit_at(&mut self, ep: Episode, detection: &Detection, risk: u32, time: DateTime<Utc>) {
        self.emit_as(ep, detection, risk, time, detection.name);
    }

    /// [`emit_at`](Ctx::emit_at), with the alert id of an alert of detection type `id_as` (an
    /// attempt takes the id of the compromise it would become).
    pub fn emit_as(
        &mut self,
        mut ep: Episode,
        detection: &Detection,
        risk: u32,
        time: DateTime<Utc>,
        id_as: &'static str,
    ) {
        if detection.attempt {
            ep.details.insert("Stage".into(), "attempt".into());
        }
        // The id names the identity; a tracker names the key it tracks instead ([`stamp`]).
        let id = crate::alert::alert_id(self.signal, &ep.user, ep.first, id_as);
        let mut alert = ep.into_alert(detection, risk, time, self.cfg, self.stats);
        alert.alert_id = id;
        alert.id_as = id_as;
        self.out.push(alert);
    }
}

pub(crate) fn secs(s: u64) -> TimeDelta {
    TimeDelta::seconds(
        i64::try_from(s)
            .unwrap_or(i64::MAX / 1_000_000)
            .min(100 * 365 * 86_400),
    )
}

/// An insertion-ordered set of distinct strings, capped.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Distinct(IndexSet<String, FxBuildHasher>);

impl Distinct {
    fn add(&mut self, v: Option<&str>, limits: &Limits, stats: &mut Stats) {
        // Texts come trimmed ([`AuthEvent`]'s normalized forms).
        let Some(v) = v.filter(|v| !v.is_empty()) else {
            return;
        };
        if self.0.contains(v) {
            return;
        }
        if self.0.len() >= limits.max_distinct_per_alert {
            stats.cap("max_distinct_per_alert");
            return;
        }
        self.0.insert(v.to_string());
    }
    pub fn len(&self) -> u64 {
        self.0.len() as u64
    }
    pub fn contains(&self, v: &str) -> bool {
        self.0.contains(v)
    }
    pub fn add_str(&mut self, v: &str, limits: &Limits, stats: &mut Stats) {
        self.add(Some(v), limits, stats)
    }
    pub fn first(&self, n: usize) -> Vec<String> {
        self.0.iter().take(n).cloned().collect()
    }
    /// Name these accounts in a source-level alert: `AccountCount`, and the first 50 as
    /// `Accounts`.
    pub fn describe(&self, ep: &mut Episode) {
        ep.details.insert("AccountCount".into(), self.len().into());
        ep.details.insert("Accounts".into(), self.first(50).into());
    }
}

/// The part of an event a signal keeps while it waits for a window to fill.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Mini {
    pub app: Option<Shared<str>>,
    pub evidence: Evidence,
    /// The failure reason, kept only where a signal reads it (50053: lockout or malicious IP).
    pub reason: Option<Shared<str>>,
    /// Whose record: a user's, or a workload identity's (an alert about one says so).
    pub kind: SourceKind,
}

impl Mini {
    pub fn of(ev: &AuthEvent) -> Mini {
        Mini {
            app: ev.app.clone(),
            evidence: Evidence::of(ev),
            reason: ev.failure_reason.clone().filter(|_| ev.result_is("50053")),
            kind: ev.source_kind,
        }
    }
    pub fn time(&self) -> DateTime<Utc> {
        self.evidence.time
    }
    pub fn is_success(&self) -> bool {
        self.evidence.outcome == Outcome::Success
    }
}

/// JSON values in snapshots: as JSON text, since the binary encoding cannot carry self-describing
/// values.
mod json_text {
    use std::collections::BTreeMap;

    use serde::{Deserialize, Deserializer, Serializer, de::Error as _, ser::Error as _};
    use serde_json::Value;

    pub fn serialize<S: Serializer>(v: &BTreeMap<String, Value>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&serde_json::to_string(v).map_err(S::Error::custom)?)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(
        d: D,
    ) -> Result<BTreeMap<String, Value>, D::Error> {
        let text = String::deserialize(d)?;
        serde_json::from_slice(text.as_bytes()).map_err(D::Error::custom)
    }
}

/// An open alert being accumulated for one identity: counts, distinct sets and evidence.
///
/// Signal states hold it boxed (`Option<Box<Episode>>`): most identities have none open, and with
/// one inline a state is four to five times the size (about 390 bytes instead of 90), which spreads
/// each tracker's table over that many more cache lines.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Episode {
    pub user: Shared<str>,
    pub first: DateTime<Utc>,
    pub last: DateTime<Utc>,
    pub failures: u64,
    pub successes: u64,
    pub ips: Distinct,
    pub apps: Distinct,
    pub countries: Distinct,
    head: Vec<Evidence>,
    tail: VecDeque<Evidence>,
    /// Evidence records left out (counted in `caps_hit` only if the episode becomes an alert).
    evidence_dropped: u64,
    /// Signal-specific facts shown in the alert's `Details`.
    #[serde(with = "json_text")]
    pub details: BTreeMap<String, serde_json::Value>,
}

impl Episode {
    pub fn new(user: &str, t: DateTime<Utc>) -> Episode {
        Episode {
            user: user.into(),
            first: t,
            last: t,
            failures: 0,
            successes: 0,
            ips: Distinct::default(),
            apps: Distinct::default(),
            countries: Distinct::default(),
            head: Vec::new(),
            tail: VecDeque::new(),
            evidence_dropped: 0,
            details: BTreeMap::new(),
        }
    }

    /// Count `m`; `describe` says whether its IP/app/country go into the distinct sets.
    pub fn add(&mut self, m: &Mini, describe: bool, limits: &Limits, stats: &mut Stats) {
        let t = m.time();
        self.first = self.first.min(t);
        self.last = self.last.max(t);
        match m.evidence.outcome {
            Outcome::Success => self.successes += 1,
            Outcome::Failure | Outcome::Interrupted => self.failures += 1,
            // Credentials presented, the result not recorded: neither.
            Outcome::Attempt | Outcome::Verdict => {}
        }
        if m.kind.is_workload() && !self.details.contains_key("IdentityKind") {
            // A workload identity's alert says so.
            self.details
                .insert("IdentityKind".into(), m.kind.identity_kind().into());
        }
        if describe {
            self.ips.add(
                m.evidence.ip.as_ref().map(Address::text).as_deref(),
                limits,
                stats,
            );
            self.apps.add(m.app.as_deref(), limits, stats);
            self.countries
                .add(m.evidence.country.as_deref(), limits, stats);
        }
        // Evidence keeps the first records and the most recent ones: the start of an attack and
        // what it led to.
        let cap = limits.max_evidence;
        let head_cap = cap - cap / 2;
        if self.head.len() < head_cap {
            self.head.push(m.evidence.clone());
        } else if cap / 2 > 0 {
            if self.tail.len() == cap / 2 {
                self.tail.pop_front();
                self.evidence_dropped += 1;
            }
            self.tail.push_back(m.evidence.clone());
        } else {
            self.evidence_dropped += 1;
        }
    }

    /// Whether this record is already in the evidence (combined alerts fold several alerts).
    pub fn has_evidence(&self, e: &Evidence) -> bool {
        self.head.iter().chain(self.tail.iter()).any(|x| {
            x.source == e.source
                && x.line == e.line
                && x.time == e.time
                && x.record_id == e.record_id
        })
    }

    /// Add an app name to the distinct apps.
    pub fn apps_add(&mut self, app: &str, limits: &Limits, stats: &mut Stats) {
        self.apps.add_str(app, limits, stats);
    }

    /// Turn the episode into an alert (lists capped as in the seed KQL: IPs 10, apps 5, countries 20).
    pub fn into_alert(
        self,
        detection: &Detection,
        risk_score: u32,
        time_generated: DateTime<Utc>,
        cfg: &Config,
        stats: &mut Stats,
    ) -> Alert {
        if self.evidence_dropped > 0 {
            *stats
                .caps_hit
                .entry("max_evidence".to_string())
                .or_default() += self.evidence_dropped;
        }
        let mut evidence: Vec<Evidence> = self.head.into_iter().chain(self.tail).collect();
        crate::order::sort_by(&mut evidence, Evidence::listing_order);
        Alert {
            time_generated,
            user_principal_name: self.user.to_string(),
            detection_type: detection.name.to_string(),
            risk_score,
            failure_count: self.failures,
            success_count: self.successes,
            unique_ips: self.ips.len(),
            ip_list: self.ips.first(10),
            apps: self.apps.first(5),
            countries: self.countries.first(20),
            first_seen: self.first,
            last_seen: self.last,
            evidence,
            mitre: detection
                .techniques
                .iter()
                .map(|t| t.id.to_string())
                .collect(),
            profile: cfg.profile.name().to_string(),
            detector_version: crate::VERSION.to_string(),
            details: self.details,
            alert_id: String::new(),
            revision: None,
            status: None,
            id_as: "",
        }
    }
}

/// Per-identity state of one signal.
pub(crate) trait IdState: Clone {
    /// The earliest event time at which something must happen (a window closes, state expires).
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>>;
    /// Close and expire whatever is due at `now`.
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>);
    /// End of input (or forced eviction): close everything.
    fn finish(&mut self, ctx: &mut Ctx<'_>);
    /// Nothing left to remember.
    fn is_empty(&self) -> bool;
    /// Most recent event time seen, for least-recently-seen eviction.
    fn last_seen(&self) -> DateTime<Utc>;
    /// Live mode: emit what [`finish`](IdState::finish) would emit now, leaving the state as it
    /// is ([`crate::live`]). States that hold records which cannot become an alert at the end
    /// skip copying them.
    fn speculate(&self, ctx: &mut Ctx<'_>) {
        self.clone().finish(ctx);
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Slot<S> {
    state: S,
    due: Option<DateTime<Utc>>,
}

/// Per-identity state of one signal with exact deadline scheduling and a hard cap on identities.
///
/// Keys are shared texts: for identities, the reader's shared copy, so a lookup with the event's
/// key matches by address without reading the text, and keeping a key copies no text.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Tracker<S> {
    slots: FxHashMap<Key, Slot<S>>,
    deadlines: BTreeSet<(DateTime<Utc>, Shared<str>)>,
}

/// A tracker's key: a shared text, equal to another with the same text; the same copy is equal
/// without reading it (`Shared`'s own equality compares the texts: its address shortcut is not made
/// for unsized types such as `str`).
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(transparent)]
pub(crate) struct Key(Shared<str>);

/// As the text (so a `str` finds it: [`Borrow`](std::borrow::Borrow)).
impl std::hash::Hash for Key {
    fn hash<H: std::hash::Hasher>(&self, h: &mut H) {
        (*self.0).hash(h);
    }
}

impl PartialEq for Key {
    fn eq(&self, other: &Key) -> bool {
        Shared::ptr_eq(&self.0, &other.0) || *self.0 == *other.0
    }
}

impl Eq for Key {}

impl std::borrow::Borrow<str> for Key {
    fn borrow(&self) -> &str {
        &self.0
    }
}

/// A key as given to [`Tracker::update`]: a shared text (kept by cloning it) or a plain one
/// (copied when kept).
pub(crate) trait TrackerKey {
    fn key(&self) -> Key;
    fn text(&self) -> &str;
    fn find<'m, S>(&self, slots: &'m mut FxHashMap<Key, Slot<S>>) -> Option<&'m mut Slot<S>>;
    fn remove<S>(&self, slots: &mut FxHashMap<Key, Slot<S>>);
}

impl TrackerKey for Shared<str> {
    fn key(&self) -> Key {
        Key(self.clone())
    }
    fn text(&self) -> &str {
        self
    }
    fn find<'m, S>(&self, slots: &'m mut FxHashMap<Key, Slot<S>>) -> Option<&'m mut Slot<S>> {
        slots.get_mut(&Key(self.clone()))
    }
    fn remove<S>(&self, slots: &mut FxHashMap<Key, Slot<S>>) {
        slots.remove(&Key(self.clone()));
    }
}

impl TrackerKey for str {
    fn key(&self) -> Key {
        Key(Shared::from(self))
    }
    fn text(&self) -> &str {
        self
    }
    fn find<'m, S>(&self, slots: &'m mut FxHashMap<Key, Slot<S>>) -> Option<&'m mut Slot<S>> {
        slots.get_mut(self)
    }
    fn remove<S>(&self, slots: &mut FxHashMap<Key, Slot<S>>) {
        slots.remove(self);
    }
}

impl<S> Default for Tracker<S> {
    fn default() -> Self {
        Tracker {
            slots: FxHashMap::default(),
            deadlines: BTreeSet::new(),
        }
    }
}

impl<S: IdState> Tracker<S> {
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn contains(&self, key: &str) -> bool {
        self.slots.contains_key(key)
    }

    pub fn get(&self, key: &str) -> Option<&S> {
        self.slots.get(key).map(|s| &s.state)
    }

    /// Run `f` on the identity's state (created by `make` when new), then reschedule it.
    pub fn update<K: TrackerKey + ?Sized>(
        &mut self,
        key: &K,
        make: impl FnOnce() -> S,
        ctx: &mut Ctx<'_>,
        f: impl FnOnce(&mut S, &mut Ctx<'_>),
    ) {
        // One lookup for an identity already tracked (the common case).
        let slot = match key.find(&mut self.slots) {
            Some(slot) => slot,
            None => {
                if self.slots.len() >= ctx.cfg.limits.max_identities {
                    self.evict_least_recent(ctx);
                }
                self.slots.entry(key.key()).or_insert(Slot {
                    state: make(),
                    due: None,
                })
            }
        };
        let start = ctx.out.len();
        f(&mut slot.state, ctx);
        stamp(ctx, start, key.text());
        Self::reschedule(&mut self.deadlines, key, slot, ctx);
        Self::speculate(&slot.state, key.text(), ctx);
        if slot.state.is_empty() {
            key.remove(&mut self.slots);
        }
    }

    /// Live mode: tell [`crate::live::Live`] what the slot of `key` would emit if the input
    /// ended now (signals that read alerts are speculated apart, from the open alerts).
    fn speculate(state: &S, key: &str, ctx: &mut Ctx<'_>) {
        if ctx.live.is_none() || ctx.reads_alerts {
            return;
        }
        let run = |spec: &mut Ctx<'_>| {
            if !state.is_empty() {
                state.speculate(spec);
            }
        };
        speculate_with(std::any::type_name::<S>(), key, &run, ctx);
    }

    fn reschedule<K: TrackerKey + ?Sized>(
        deadlines: &mut BTreeSet<(DateTime<Utc>, Shared<str>)>,
        key: &K,
        slot: &mut Slot<S>,
        ctx: &mut Ctx<'_>,
    ) {
        let due = if slot.state.is_empty() {
            None
        } else {
            slot.state.next_deadline(ctx)
        };
        // A deadline that only moved later stays where it is: when it fires, `on_deadline` finds
        // nothing due yet and the real one is scheduled then. Most events push an identity's
        // deadline later; this saves two ordered-set operations (and a key copy) on each.
        if let (Some(old), Some(new)) = (slot.due, due)
            && new >= old
        {
            return;
        }
        if due != slot.due {
            if let Some(old) = slot.due {
                deadlines.remove(&(old, key.key().0));
            }
            if let Some(new) = due {
                deadlines.insert((new, key.key().0));
                ctx.earliest = Some(ctx.earliest.map_or(new, |e| e.min(new)));
            }
            slot.due = due;
        }
    }

    /// Fire every deadline at or before `now`.
    pub fn advance(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        while let Some((t, _)) = self.deadlines.first() {
            if *t > now {
                break;
            }
            let (_, key) = self.deadlines.pop_first().expect("non-empty");
            let Some(slot) = key.find(&mut self.slots) else {
                continue;
            };
            slot.due = None;
            let start = ctx.out.len();
            slot.state.on_deadline(now, ctx);
            stamp(ctx, start, &key);
            Self::reschedule(&mut self.deadlines, &key, slot, ctx);
            Self::speculate(&slot.state, &key, ctx);
            if slot.state.is_empty() {
                key.remove(&mut self.slots);
            }
        }
    }

    /// Close everything, in identity order (deterministic).
    pub fn finish(&mut self, ctx: &mut Ctx<'_>) {
        let mut keys: Vec<Shared<str>> = self.slots.keys().map(|k| k.0.clone()).collect();
        crate::order::sort(&mut keys);
        for k in keys {
            if let Some(mut slot) = self.slots.remove(&*k) {
                let start = ctx.out.len();
                slot.state.finish(ctx);
                stamp(ctx, start, &k);
            }
        }
        self.deadlines.clear();
    }

    /// At the identity cap: close and drop the least recently seen eighth.
    fn evict_least_recent(&mut self, ctx: &mut Ctx<'_>) {
        let mut by_age: Vec<(DateTime<Utc>, Shared<str>)> = self
            .slots
            .iter()
            .map(|(k, s)| (s.state.last_seen(), k.0.clone()))
            .collect();
        crate::order::sort(&mut by_age);
        let n = (by_age.len() / 8).max(1);
        for (_, k) in by_age.into_iter().take(n) {
            if let Some(mut slot) = self.slots.remove(&*k) {
                if let Some(d) = slot.due {
                    self.deadlines.remove(&(d, k.clone()));
                }
                let start = ctx.out.len();
                slot.state.finish(ctx);
                stamp(ctx, start, &k);
                ctx.stats.cap("max_identities");
            }
        }
    }
}

/// Give the alerts a tracker's slot emitted since `start` their [`Alert::alert_id`]: the signal,
/// the key the tracker keys the slot by (an identity, or a source for alerts about many), and the
/// window start.
#[inline(never)]
pub(crate) fn stamp(ctx: &mut Ctx<'_>, start: usize, key: &str) {
    for a in &mut ctx.out[start..] {
        a.alert_id = crate::alert::alert_id(ctx.signal, key, a.first_seen, a.id_as);
        a.id_as = "";
    }
}

/// [`Tracker::speculate`]'s part that does not depend on the state type (once in the module, not
/// once per state type).
#[inline(never)]
fn speculate_with(state: &str, key: &str, run: &dyn Fn(&mut Ctx<'_>), ctx: &mut Ctx<'_>) {
    let mut out = Vec::new();
    let mut stats = Stats::default();
    {
        let mut spec = Ctx::new(ctx.cfg, ctx.m, &mut out, &mut stats, None);
        spec.signal = ctx.signal;
        run(&mut spec);
        stamp(&mut spec, 0, key);
    }
    let owner = crate::live::owner(ctx.signal, state, key);
    if let Some(live) = ctx.live.as_deref_mut() {
        live.speculated(owner, out);
    }
}

impl Signals {
    pub fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let start = ctx.out.len();
        self.observe_all(ev, ctx);
        self.correlate(start, ctx);
        // Deadlines scheduled by this event lower the bound.
        if let (Some(d), Some(e)) = (self.due, ctx.earliest.take()) {
            self.due = Some(d.min(e));
        }
    }

    pub fn advance(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        // Most events come before any deadline: nothing to fire, so no signal is asked.
        if self.due.is_some_and(|d| now < d) {
            return;
        }
        let start = ctx.out.len();
        self.each(false, |k, t| {
            ctx.signal = k;
            t.advance_dyn(now, ctx)
        });
        self.correlate(start, ctx);
        ctx.reads_alerts = true;
        self.each(true, |k, t| {
            ctx.signal = k;
            t.advance_dyn(now, ctx)
        });
        ctx.reads_alerts = false;
        self.due = Some(self.first_due().unwrap_or(DateTime::<Utc>::MAX_UTC));
        ctx.earliest = None;
    }

    pub fn finish(&mut self, ctx: &mut Ctx<'_>) {
        self.due = None;
        let start = ctx.out.len();
        self.each(false, |k, t| {
            ctx.signal = k;
            t.finish_dyn(ctx)
        });
        self.correlate(start, ctx);
        ctx.reads_alerts = true;
        self.each(true, |k, t| {
            ctx.signal = k;
            t.finish_dyn(ctx)
        });
        ctx.reads_alerts = false;
    }

    /// Live mode: speculate combined risk for these identities (lower-cased) and their open
    /// alerts ([`crate::live`]).
    pub fn speculate_combined(&self, users: Vec<(String, Vec<Alert>)>, ctx: &mut Ctx<'_>) {
        let Some(c) = &self.combined_risk else {
            return;
        };
        ctx.signal = "combined_risk";
        for (user, alerts) in users {
            combined::speculate(c, &user, &alerts, ctx);
        }
    }

    /// Feed alerts emitted since `start` to the signals that read alerts.
    fn correlate(&mut self, start: usize, ctx: &mut Ctx<'_>) {
        if ctx.out.len() == start || !self.reads_alerts() {
            return;
        }
        let new: Vec<Alert> = ctx.out[start..].to_vec();
        for a in &new {
            self.observe_alert(a, ctx);
        }
    }
}

/// What the engine needs from every signal's state container.
pub(crate) trait Stage {
    fn advance_dyn(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>);
    fn finish_dyn(&mut self, ctx: &mut Ctx<'_>);
    fn tracked(&self) -> usize;
    /// The earliest scheduled deadline.
    fn first_due(&self) -> Option<DateTime<Utc>>;
}

/// The [`Stage`] of a signal whose state is some [`Tracker`]s side by side:
/// `stage_of_trackers!(TokenReplay { sessions, history, alerts });` advances, finishes and counts
/// each, and its first deadline is theirs.
macro_rules! stage_of_trackers {
    ($t:ty { $($f:tt),+ $(,)? }) => {
        impl $crate::signals::Stage for $t {
            fn advance_dyn(
                &mut self,
                now: ::chrono::DateTime<::chrono::Utc>,
                ctx: &mut $crate::signals::Ctx<'_>,
            ) {
                $( self.$f.advance(now, ctx); )+
            }
            fn finish_dyn(&mut self, ctx: &mut $crate::signals::Ctx<'_>) {
                $( self.$f.finish(ctx); )+
            }
            fn first_due(&self) -> Option<::chrono::DateTime<::chrono::Utc>> {
                $crate::signals::earliest([$( self.$f.first_due(), )+])
            }
            fn tracked(&self) -> usize {
                0 $( + self.$f.len() )+
            }
        }
    };
}
pub(crate) use stage_of_trackers;

/// How many detection windows an identity's history (the networks it signs in from) is kept
/// while it does not sign in.
pub(crate) const HISTORY_WINDOWS: i32 = 30;

impl<S: IdState> Stage for Tracker<S> {
    fn advance_dyn(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        self.advance(now, ctx)
    }
    fn finish_dyn(&mut self, ctx: &mut Ctx<'_>) {
        self.finish(ctx)
    }
    fn tracked(&self) -> usize {
        self.len()
    }
    fn first_due(&self) -> Option<DateTime<Utc>> {
        self.deadlines.first().map(|d| d.0)
    }
}

/// True when the event comes from a trusted (corporate egress / VPN) range or ASN.
pub(crate) fn trusted_ip(ev: &AuthEvent, cfg: &Config) -> bool {
    let by_ip = ev
        .ip_addr()
        .is_some_and(|ip| cfg.allowlist.trusted_ips.iter().any(|n| n.contains(&ip)));
    let by_asn = ev
        .asn
        .is_some_and(|a| cfg.allowlist.trusted_asns.contains(&a));
    by_ip || by_asn
}

#[cfg(test)]
pub(crate) mod testkit {
    //! Helpers for table-style signal tests: build events tersely, run a detector, summarise alerts.
    use super::*;
    use crate::event::{RecordRef, SourceKind};
    use crate::shared::Shared;
    use chrono::TimeZone;

    pub fn t(min: i64) -> DateTime<Utc> {
        Utc.with_ymd_and_hms(2026, 3, 2, 8, 0, 0).unwrap() + TimeDelta::minutes(min)
    }

    /// An event at minute `min` for `user` with result `code` from `ip`.
    pub fn ev(min: i64, user: &str, code: &str, ip: &str) -> AuthEvent {
        AuthEvent {
            time: t(min),
            identity: user.into(),
            identity_key: user.to_lowercase().into(),
            outcome: if code == "0" {
                Outcome::Success
            } else {
                Outcome::Failure
            },
            result_code: Some(code.into()),
            failure_reason: None,
            ip: (!ip.is_empty()).then(|| ip.into()),
            country: None,
            city: None,
            latitude: None,
            longitude: None,
            asn: None,
            app: Some("Office 365".into()),
            client_app: None,
            user_agent: None,
            request_id: None,
            extra: None,
            interactive: Some(true),
            source_kind: SourceKind::EntraSignIn,
            windows: None,
            record: RecordRef {
                source: Shared::from("test"),
                line: min.unsigned_abs(),
                record_id: None,
            },
        }
    }

    /// A Windows event at minute `min`: `event_id` for `account` (`DOMAIN\\user` or `user@domain`)
    /// from `ip` ("" for none) with `code` as Status (SubStatus for 4625), mapped like the reader does.
    pub fn win(
        min: i64,
        event_id: u32,
        account: &str,
        ip: &str,
        logon_type: Option<u32>,
        code: &str,
    ) -> AuthEvent {
        let (domain, user) = match (account.split_once('\\'), account.split_once('@')) {
            (Some((d, u)), _) => (Some(d.to_string()), u.to_string()),
            (None, Some((u, d))) => (Some(d.to_string()), u.to_string()),
            _ => (None, account.to_string()),
        };
        let mut e = ev(min, account, code, ip);
        e.identity = domain
            .as_ref()
            .map_or(user.clone(), |d| format!("{d}\\{user}"))
            .into();
        e.identity_key = user.to_lowercase().into();
        e.outcome = if event_id == 4624 || (event_id != 4625 && event_id != 4771 && code == "0x0") {
            Outcome::Success
        } else {
            Outcome::Failure
        };
        e.app = Some("SRV01".into());
        e.source_kind = SourceKind::WindowsSecurity;
        e.windows = Some(Box::new(crate::event::WindowsLogon {
            event_id,
            logon_type,
            status: Some(if event_id == 4625 {
                "0xc000006d".into()
            } else {
                code.to_string()
            }),
            sub_status: (event_id == 4625).then(|| code.to_string()),
            domain,
            workstation: Some("KALI".into()),
            computer: Some("SRV01".into()),
            ..Default::default()
        }));
        e
    }

    pub fn country(mut e: AuthEvent, c: &str) -> AuthEvent {
        e.country = Some(c.into());
        e
    }

    pub fn asn_name(mut e: AuthEvent, n: &str) -> AuthEvent {
        e.extra_mut().asn_name = Some(n.into());
        e
    }

    /// Run events through a fresh detector with `cfg`; return (type, user, risk, failures, successes, unique IPs).
    pub fn run(cfg: &Config, events: Vec<AuthEvent>) -> Vec<(String, String, u32, u64, u64, u64)> {
        let mut d = crate::Detector::new(cfg.clone());
        let mut alerts = Vec::new();
        for e in events {
            alerts.extend(d.push_event(e));
        }
        alerts.extend(d.flush());
        alerts
            .into_iter()
            .map(|a| {
                (
                    a.detection_type,
                    a.user_principal_name,
                    a.risk_score,
                    a.failure_count,
                    a.success_count,
                    a.unique_ips,
                )
            })
            .collect()
    }

    /// (type, user, risk, failures, successes, unique IPs) of an alert.
    pub type Summary = (String, String, u32, u64, u64, u64);

    /// The `BruteForceAttempt` alerts of a default run.
    pub fn attempts(events: Vec<AuthEvent>) -> Vec<Summary> {
        run(&Config::default(), events)
            .into_iter()
            .filter(|a| a.0 == "BruteForceAttempt")
            .collect()
    }

    /// A `BruteForceAttempt` summary: `f` failures, no success, `ips` addresses.
    pub fn attempt(user: &str, risk: u32, f: u64, ips: u64) -> Summary {
        ("BruteForceAttempt".into(), user.into(), risk, f, 0, ips)
    }
}

#[cfg(test)]
mod folding_tests {
    use super::{FoldedSet, contains_folded, eq_folded};
    use crate::shared::Shared;

    #[test]
    fn case_folded_matching_agrees_with_lower_casing() {
        // (haystack, lower-case needle): the fast path must give what lower-casing gives.
        let cases = [
            ("Mozilla/5.0 BAV2ROPC", "bav2ropc"),
            ("bav2ropc", "bav2ropc"),
            ("BAV2ROP", "bav2ropc"),
            ("", "x"),
            ("anything", ""),
            ("python-requests/2.31", "python-requests"),
            ("PYTHON-REQUESTS", "python-requests"),
            ("Ünïcode AXIOS/1.0", "axios"),
            ("ÄXIOS", "äxios"),
            ("\u{212A}ELVIN OKHTTP", "okhttp"),
            ("M247 Europe SRL", "m247"),
            ("Multi-factor authentication", "multi"),
            ("singleFactorAuthentication", "multi"),
        ];
        for (hay, needle) in cases {
            assert_eq!(
                contains_folded(hay, needle),
                hay.to_lowercase().contains(needle),
                "{hay:?} / {needle:?}"
            );
            // The set takes patterns as configured (any case); an empty pattern never matches.
            let set = FoldedSet::new(&[needle.to_uppercase(), needle.to_string()]);
            assert_eq!(
                set.position(hay).is_some(),
                !needle.is_empty() && hay.to_lowercase().contains(needle),
                "set: {hay:?} / {needle:?}"
            );
        }
        // Longer than the stack buffer, and the index among the non-empty patterns.
        let long = format!("{}BAV2ROPC", "x".repeat(600));
        let set = FoldedSet::new(&["".into(), "cbainprod".into(), "bav2ropc".into()]);
        assert_eq!(set.position(&long), Some(1));
        assert_eq!(set.position("CBAinPROD"), Some(0));
        assert_eq!(set.position("nothing"), None);
        // Remembered answers are the computed ones, through slot collisions and reuse.
        let texts: Vec<Shared<str>> = (0..2000)
            .map(|n| match n % 3 {
                0 => format!("Mozilla/5.0 BAV2ROPC {n}"),
                1 => format!("CBAinPROD/{n}"),
                _ => format!("Outlook {n}"),
            })
            .map(Into::into)
            .collect();
        for round in 0..2 {
            for t in texts.iter().rev().skip(round) {
                assert_eq!(set.position_shared(t), set.position(t), "{t}");
            }
        }
        for (text, lower) in [
            ("Azure AD Password Reset", "azure ad password reset"),
            ("AZURE AD PASSWORD RESET", "azure ad password reset"),
            ("Azure AD Password Reset ", "azure ad password reset"),
            ("Ärger", "ärger"),
            ("", ""),
        ] {
            assert_eq!(
                eq_folded(text, lower),
                text.to_lowercase() == lower,
                "{text:?}"
            );
        }
    }
}

#[cfg(test)]
mod key_tests {
    use super::*;

    #[test]
    fn cache_slots_of_texts_a_page_apart_differ() {
        // Addresses one or more pages apart, as the allocator places texts of one size class.
        for base in [0x5590_1000usize, 0x7f3a_2010, 0x0011_0100, 0xc518_9f00] {
            let slots: std::collections::BTreeSet<usize> = (0..16)
                .map(|k| super::cache_slot(base + k * 0x1000))
                .collect();
            assert!(slots.len() >= 14, "{base:#x}: {slots:?}");
            assert!(slots.iter().all(|&s| s < super::CACHE));
        }
    }

    #[test]
    fn keys_match_by_copy_by_text_and_by_plain_text() {
        let mut slots: FxHashMap<Key, Slot<u8>> = FxHashMap::default();
        let alice: Shared<str> = Shared::from("alice@contoso.com");
        slots.insert(
            alice.key(),
            Slot {
                state: 1,
                due: None,
            },
        );
        // The same shared copy, another copy of the same text, and a plain text all find it.
        assert_eq!(alice.find(&mut slots).map(|s| s.state), Some(1));
        let other: Shared<str> = Shared::from(String::from("alice@contoso.com"));
        assert!(!Shared::ptr_eq(&alice, &other));
        assert_eq!(other.find(&mut slots).map(|s| s.state), Some(1));
        assert_eq!(
            TrackerKey::find("alice@contoso.com", &mut slots).map(|s| s.state),
            Some(1)
        );
        assert!(TrackerKey::find("bob@contoso.com", &mut slots).is_none());
        TrackerKey::remove("alice@contoso.com", &mut slots);
        assert!(slots.is_empty());
    }
}
