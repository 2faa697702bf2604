//! The t1586 detections written out as each SIEM's own rules, from one configuration: the same
//! thresholds, lists and exclusions the detector runs with (`t1586 rules --to TARGET`).
//!
//! Each target is one file (`kql.rs`, `spl.rs`, `eql.rs`, `esql.rs`, `sigma.rs`, `aql.rs`, `sumo.rs`,
//! `yaral.rs`, `cql.rs`) that turns the neutral
//! description of a detection ([`Detection`], built here from a [`Config`]) into a query in its
//! language, with that SIEM's field names, and says in the rule's comment what the language cannot
//! express. The generators are plain text functions of the configuration: deterministic, no I/O.
//!
//! Output ([`render`]): one query per detection, queries separated by one blank line and never
//! containing one, each preceded by comment lines in the target's own syntax naming the detection,
//! its risk, the configuration it was written from and the differences from the detector. QRadar
//! refuses a comment before `SELECT` (IBM: "AQL comments can occur only in the body of the query"),
//! so AQL's `/* */` lines, and Sumo Logic's `//` lines for the same reason in saved searches, come
//! right after the query's first line.

#![forbid(unsafe_code)]

mod aql;
mod cql;
mod eql;
mod esql;
mod kql;
mod sigma;
mod spl;
mod sumo;
mod yaral;

use std::fmt;
use std::str::FromStr;

use t1586_detector::{Config, Profile};

/// A SIEM language rules are written in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Target {
    /// Microsoft Sentinel / Defender KQL over `SigninLogs`.
    SentinelKql,
    /// Splunk SPL over the `azure:monitor:aad` sourcetype.
    SplunkSpl,
    /// Elastic EQL over `logs-azure.signinlogs-*` (ECS and `azure.signinlogs.*`).
    ElasticEql,
    /// Elastic ES|QL over the same documents.
    ElasticEsql,
    /// Sigma (with v2 correlations) over the `azure` / `signinlogs` log source.
    Sigma,
    /// IBM QRadar AQL over the Microsoft Azure DSM's events (normalized fields and custom properties).
    QradarAql,
    /// Sumo Logic's search language over Entra's JSON records.
    Sumo,
    /// Google SecOps (Chronicle) YARA-L 2.0 over UDM `USER_LOGIN` events.
    ChronicleYaral,
    /// CrowdStrike Falcon LogScale / Next-Gen SIEM CQL over the Entra ID parser's fields.
    LogscaleCql,
}

impl Target {
    /// Every target, in the order `--to` lists them.
    pub const ALL: &'static [Target] = &[
        Target::SentinelKql,
        Target::SplunkSpl,
        Target::ElasticEql,
        Target::ElasticEsql,
        Target::QradarAql,
        Target::Sumo,
        Target::ChronicleYaral,
        Target::LogscaleCql,
        Target::Sigma,
    ];

    /// The name `--to` takes.
    pub fn name(self) -> &'static str {
        match self {
            Target::SentinelKql => "sentinel-kql",
            Target::SplunkSpl => "splunk-spl",
            Target::ElasticEql => "elastic-eql",
            Target::ElasticEsql => "elastic-esql",
            Target::Sigma => "sigma",
            Target::QradarAql => "qradar-aql",
            Target::Sumo => "sumo",
            Target::ChronicleYaral => "chronicle-yaral",
            Target::LogscaleCql => "logscale-cql",
        }
    }

    /// How a comment line starts in the language.
    pub fn comment(self) -> &'static str {
        match self {
            Target::SentinelKql
            | Target::ElasticEql
            | Target::ElasticEsql
            | Target::Sumo
            | Target::ChronicleYaral
            | Target::LogscaleCql => "// ",
            Target::Sigma => "# ",
            // SPL's comments are triple backticks around the text, on one line each here.
            Target::SplunkSpl => "```",
            Target::QradarAql => "/* ",
        }
    }

    /// How a comment line ends (SPL's and AQL's comments are closed on their line).
    pub fn comment_end(self) -> &'static str {
        match self {
            Target::SplunkSpl => "```",
            Target::QradarAql => " */",
            _ => "",
        }
    }

    /// Whether the comment lines follow the query's first line rather than precede it: QRadar
    /// documents that a comment before `SELECT` does not parse, and Sumo Logic's scheduled searches
    /// and monitors start from the scope line.
    pub fn comments_after_first_line(self) -> bool {
        matches!(self, Target::QradarAql | Target::Sumo)
    }
}

impl fmt::Display for Target {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// A target name `--to` does not know.
#[derive(Debug, thiserror::Error)]
#[error("unknown rules target {0:?}: one of {list}", list = Target::ALL.iter().map(|t| t.name()).collect::<Vec<_>>().join(", "))]
pub struct UnknownTarget(pub String);

impl FromStr for Target {
    type Err = UnknownTarget;
    fn from_str(s: &str) -> Result<Target, UnknownTarget> {
        Target::ALL
            .iter()
            .copied()
            .find(|t| t.name() == s)
            .ok_or_else(|| UnknownTarget(s.to_string()))
    }
}

/// Failures (codes outside `excluded`) and successes (code 0) of one identity within `window`
/// seconds; `min_failures` / `min_successes` of them; the risk by distinct failure addresses:
/// `risks.0` above `tiers.0`, `risks.1` above `tiers.1`, else `risks.2`.
#[derive(Debug, Clone)]
pub struct Stuffing {
    pub window: u64,
    pub min_failures: u32,
    pub min_successes: u32,
    pub excluded: Vec<String>,
    pub tiers: (u32, u32),
    pub risks: (u32, u32, u32),
}

/// Successful sign-ins of one identity from `min_countries` countries within one time bin of
/// `bin` seconds (aligned to the epoch, as KQL's `bin()`), over `window` seconds.
#[derive(Debug, Clone)]
pub struct Travel {
    pub window: u64,
    pub bin: u64,
    pub min_countries: u32,
    pub risk: u32,
}

/// Successful sign-ins from hosting networks within `window` seconds: the AS owner's name
/// containing one of `asn_names`, the AS number in `asn_numbers`, the address starting with one
/// of `ip_prefixes`, inside one of `cidrs`, or one of `ips` (the Tor exit list).
#[derive(Debug, Clone)]
pub struct Hosting {
    pub window: u64,
    pub asn_names: Vec<String>,
    pub asn_numbers: Vec<u32>,
    pub ip_prefixes: Vec<String>,
    pub cidrs: Vec<String>,
    pub ips: Vec<String>,
    pub risk: u32,
}

impl Hosting {
    /// The address ranges for languages that match an address by range (Elastic's `source.ip`):
    /// the CIDRs, and the prefixes of whole IPv4 octets as ranges; a prefix that is not is noted.
    pub(crate) fn ranges(&self, notes: &mut Vec<String>) -> Vec<String> {
        let mut ranges = self.cidrs.clone();
        for ip in &self.ips {
            let bits = if ip.contains(':') { 128 } else { 32 };
            ranges.push(format!("{ip}/{bits}"));
        }
        for p in &self.ip_prefixes {
            match prefix_cidr(p) {
                Some(c) => ranges.push(c),
                None => notes.push(format!(
                    "Not expressible: the address prefix {p:?} is not whole IPv4 octets (the address is matched by range)."
                )),
            }
        }
        ranges
    }

    /// For languages over Entra's own record, which has the AS number and not its owner's name.
    pub(crate) fn names_note(&self, notes: &mut Vec<String>) {
        if !self.asn_names.is_empty() {
            notes.push(format!(
                "Not expressible: the sign-in record has the AS number, not its owner's name ({}): list those networks by number in hosting.asn_numbers.",
                self.asn_names.join(", ")
            ));
        }
    }

    /// The AS numbers as a comma-separated list.
    pub(crate) fn numbers(&self) -> String {
        let n: Vec<String> = self.asn_numbers.iter().map(u32::to_string).collect();
        n.join(", ")
    }
}

/// Windows Security failures as the detector counts them: `events` (4625, 4768, 4771, 4776), the
/// logon type in `logon_types` when the event has one, the `SubStatus` (else `Status`) in `codes`
/// (all, when `codes` is empty); machine accounts (`NAME$`) and `ANONYMOUS LOGON` left out when
/// asked.
#[derive(Debug, Clone)]
pub struct WinFailures {
    pub events: Vec<u32>,
    pub codes: Vec<String>,
    pub logon_types: Vec<u32>,
    pub exclude_machine: bool,
    pub exclude_anonymous: bool,
}

/// The records a detection reads, with what makes one a failure.
#[derive(Debug, Clone)]
pub enum Log {
    /// Entra sign-ins: a failure has a result code other than 0, not in `correct_password` (codes
    /// meaning the password was right: they end a run like a success), not in `excluded`, from an
    /// app not in `reset_apps` (password-reset flows).
    SignIns {
        excluded: Vec<String>,
        correct_password: Vec<String>,
        reset_apps: Vec<String>,
    },
    /// Windows Security events; a success is a 4624 with a logon type in `success_logon_types`
    /// (any, when empty).
    Windows {
        failures: WinFailures,
        success_logon_types: Vec<u32>,
    },
    /// Workload identities' sign-ins (service principals and managed identities), keyed by the
    /// application id: a failure has a credential code in `codes`, a success code 0.
    Workload { codes: Vec<String> },
}

impl Log {
    /// Why a language that writes only the sign-in form cannot write this log's: `windows` or
    /// `workload`, as the log is.
    pub(crate) fn not_written(&self, windows: &str, workload: &str) -> String {
        match self {
            Log::Workload { .. } => workload.into(),
            _ => windows.into(),
        }
    }

    /// The configuration section of an ordered run or a burst over this log.
    fn signal(&self) -> &'static str {
        match self {
            Log::SignIns { .. } => "failures_then_success",
            Log::Windows { .. } => "failed_logons_then_success",
            Log::Workload { .. } => "workload_credentials",
        }
    }
}

/// A run of at least `min_failures` failures of one identity, then a success, the failures within
/// `window` seconds before it; risk by the run's distinct failure addresses as [`Stuffing`]'s.
#[derive(Debug, Clone)]
pub struct Ordered {
    /// The detection type the detector writes (`CredentialStuffing`, `FailedLogonsThenSuccess`).
    pub detection: &'static str,
    pub window: u64,
    /// The look-back of a run over records (the top-level `window_secs`).
    pub lookback: u64,
    pub min_failures: u32,
    pub tiers: (u32, u32),
    pub risks: (u32, u32, u32),
    pub log: Log,
}

/// Failures from one source address against at least `min_identities` distinct identities within
/// `window` seconds: an attempt, risk `risk` at the threshold (the detector raises it with volume,
/// to `risk_max`).
#[derive(Debug, Clone)]
pub struct Spray {
    /// The detection type the detector writes (`PasswordSpray`, `OneSourceManyAccounts`).
    pub detection: &'static str,
    /// Which of the detector's rules this is, for the comment (`20 min`, `burst`, ...).
    pub label: String,
    pub window: u64,
    pub lookback: u64,
    pub min_identities: u32,
    pub risk: u32,
    pub risk_max: u32,
    pub log: Log,
}

/// At least `min_failures` failures of one identity within `window` seconds: the brute-force
/// attempt. The detector reports it only when no success follows within `follow` seconds (a
/// success in time makes it the ordered compromise instead); a rule reports the failures.
#[derive(Debug, Clone)]
pub struct Burst {
    /// The detection type the detector writes (`BruteForceAttempt`, `WorkloadCredentialFailures`).
    pub detection: &'static str,
    pub window: u64,
    pub follow: u64,
    pub lookback: u64,
    pub min_failures: u32,
    pub risk: u32,
    pub risk_max: u32,
    pub log: Log,
}

impl IdRisk {
    /// The note every language's rule carries.
    pub(crate) fn note(&self, notes: &mut Vec<String>) {
        notes.push("Entra ID Protection's verdicts only: the detector also passes through Okta's, Google Workspace's and AWS's, which these sign-in rules do not read.".into());
        if !self.ignored_types.is_empty() {
            notes.push(format!(
                "Approximated: a record whose only types are ignored ({}) still counts when its level does.",
                self.ignored_types.join(", ")
            ));
        }
    }

    /// For the languages that cannot test "any type other than none" on a list field.
    pub(crate) fn types_note(&self, notes: &mut Vec<String>) {
        notes.push(format!(
            "Approximated: a risk event type counts when it is one of high_types; others ({} in the detector) count only through the record's level.",
            self.risk_other
        ));
    }
}

impl Burst {
    /// The note every language's rule carries.
    pub(crate) fn note(&self, notes: &mut Vec<String>) {
        notes.push(format!(
            "The detector reports the attempt only when no success follows within {} s; with one, it is the ordered rule's compromise instead: read this rule's alerts together with that rule's.",
            self.follow
        ));
    }
}

/// Entra ID Protection's own verdicts on a sign-in: risk event types other than `none`, a risk
/// level (during the sign-in or aggregated) in `levels`, or the state `confirmedCompromised`; not
/// when the state is in `cleared_states`. Risk `risk_high` for a type in `high_types`, a `high`
/// level or a confirmed compromise, `risk_low` for a `low` level alone, else `risk_other`.
#[derive(Debug, Clone)]
pub struct IdRisk {
    pub window: u64,
    pub high_types: Vec<String>,
    pub ignored_types: Vec<String>,
    pub levels: Vec<String>,
    pub cleared_states: Vec<String>,
    pub risk_high: u32,
    pub risk_other: u32,
    pub risk_low: u32,
}

/// More than `max_denials` MFA denials (`denial_codes`) of one identity within `window` seconds,
/// then a success within `success_within` seconds of the last one: push-bombing that worked.
#[derive(Debug, Clone)]
pub struct Fatigue {
    pub window: u64,
    pub lookback: u64,
    pub denial_codes: Vec<String>,
    pub max_denials: u32,
    pub success_within: u64,
    pub risk: u32,
}

/// A successful sign-in of a first-party client used for token phishing: by the device-code flow
/// to one of `clients` (ids) or `client_names` (`device_code`), or, for the OAuth pattern, of one
/// of `clients` or with a user agent in `user_agents`, for Microsoft Graph. The device-code
/// sign-in of `broker` (the first client) scores `risk_broker`.
#[derive(Debug, Clone)]
pub struct Phishing {
    /// `DeviceCodePhishing` or `OAuthClientPhishing`.
    pub detection: &'static str,
    pub device_code: bool,
    pub window: u64,
    pub clients: Vec<String>,
    pub client_names: Vec<String>,
    pub user_agents: Vec<String>,
    pub broker: Option<String>,
    pub risk: u32,
    pub risk_broker: u32,
    /// The detector raises the alert to this when a device registration follows.
    pub risk_registration: u32,
}

/// Microsoft Graph's application id (the `resourceId` of a Graph token).
pub(crate) const GRAPH: &str = "00000003-0000-0000-c000-000000000000";

impl Phishing {
    pub(crate) fn note(&self, notes: &mut Vec<String>) {
        notes.push(format!(
            "The detector raises the alert to {} when a device registration follows within the hour; this rule does not look for it.",
            self.risk_registration
        ));
    }
}

/// One Windows account presenting the credentials of at least `min_accounts` other accounts to one
/// target (event 4648) within `window` seconds: an attempt.
#[derive(Debug, Clone)]
pub struct Explicit {
    pub window: u64,
    pub lookback: u64,
    pub min_accounts: u32,
    pub exclude_machine_subjects: bool,
    pub risk: u32,
    pub risk_max: u32,
}

/// Two consecutive successful sign-ins of one identity at least `min_km` apart (great circle),
/// faster than `max_kmh` once `pad_km` is taken off each end for geolocation error.
#[derive(Debug, Clone)]
pub struct Velocity {
    pub lookback: u64,
    pub min_km: f64,
    pub max_kmh: f64,
    pub pad_km: f64,
    pub interactive_only: bool,
    pub risk: u32,
}

/// A successful single-factor sign-in over a legacy protocol (`client_apps`) or the ROPC password
/// grant (a user agent containing one of `user_agents`).
#[derive(Debug, Clone)]
pub struct Legacy {
    pub window: u64,
    pub client_apps: Vec<String>,
    pub user_agents: Vec<String>,
    pub single_factor_only: bool,
    pub risk: u32,
}

/// One pattern of the AiTM / session-token replay signal (`TokenReplay`); each is its own rule.
/// Every pattern reads successful sign-ins only.
#[derive(Debug, Clone)]
pub enum ReplayPattern {
    /// One session id used from at least `min_networks` countries, or as many AS numbers.
    Session { min_networks: u32 },
    /// A session whose first interactive success came from a browser (a `Mozilla/` user agent),
    /// then used by a scripted client (a user agent containing one of `agents`, any case) from
    /// another address, by the same identity.
    Scripted { agents: Vec<String> },
    /// One session used in interactive successes to Microsoft Graph, by an app not in `trusted`,
    /// from at least `min_networks` networks (an IPv4 /24, an IPv6 /48) within `secs`.
    Graph {
        min_networks: u32,
        secs: u64,
        trusted: Vec<String>,
    },
    /// An interactive success to one of `apps` with a kit user agent (`agents`, any case), then
    /// within `follow` seconds a non-interactive success of the identity from another address.
    Kit {
        apps: Vec<String>,
        agents: Vec<String>,
        follow: u64,
    },
    /// MFA satisfied by a claim in the token, from a country or AS number the identity never
    /// used before, once it has `min_history` successes: needs the identity's history.
    MfaClaim { min_history: u32 },
}

/// A `TokenReplay` pattern, its risk and the look-back of its rule.
#[derive(Debug, Clone)]
pub struct Replay {
    pub pattern: ReplayPattern,
    pub window: u64,
    pub risk: u32,
}

impl Replay {
    /// The pattern's name, as the detector writes it in `Details.Patterns`.
    pub fn name(&self) -> &'static str {
        match self.pattern {
            ReplayPattern::Session { .. } => "SessionFromMultipleNetworks",
            ReplayPattern::Scripted { .. } => "ScriptedClientReusesSession",
            ReplayPattern::Graph { .. } => "GraphSessionFromMultipleIps",
            ReplayPattern::Kit { .. } => "KitSignInThenNonInteractive",
            ReplayPattern::MfaClaim { .. } => "MfaClaimFromNewNetwork",
        }
    }

    /// Why a language that counts distinct values per session does not write the paired
    /// patterns (scripted reuse, kit then non-interactive).
    pub(crate) const PAIRS: &str = "not written yet: a pair of sign-ins in order, from different addresses (KQL's join, EQL's and Sigma's sequences write it)";

    /// Why no language writes the MFA-claim pattern.
    pub(crate) const HISTORY: &str = "it compares a sign-in with every network the identity used before (the detector's history of this stream), which one scheduled query can only approximate with a baseline join over the whole look-back";

    /// Why a language does not write this pattern: `why`, named.
    pub(crate) fn not(&self, why: &str) -> String {
        format!("{}: {why}", self.name())
    }
}

/// A workload identity's success from a country the tenant watches (`countries`, any case).
#[derive(Debug, Clone)]
pub struct Watched {
    pub countries: Vec<String>,
    pub window: u64,
    pub risk: u32,
}

/// A detection of the detector that no single scheduled query says: it compares each record with
/// the identity's history in the stream. Named, with the reason, for every target.
#[derive(Debug, Clone)]
pub struct Baseline {
    pub detection: &'static str,
    pub signal: &'static str,
    pub reason: &'static str,
}

/// One detection as the generators see it: what to count, over which window, with which
/// thresholds and lists — the configuration's values, nothing else.
#[derive(Debug, Clone)]
pub enum Detection {
    CredentialStuffing(Stuffing),
    ImpossibleTravel(Travel),
    Hosting(Hosting),
    Ordered(Ordered),
    Spray(Spray),
    Legacy(Legacy),
    Burst(Burst),
    IdRisk(IdRisk),
    Fatigue(Fatigue),
    Phishing(Phishing),
    Explicit(Explicit),
    Velocity(Velocity),
    Replay(Replay),
    Watched(Watched),
    Baseline(Baseline),
}

impl Detection {
    /// The detection type the detector writes in its alerts.
    pub fn name(&self) -> &'static str {
        match self {
            Detection::CredentialStuffing(_) => "CredentialStuffing",
            Detection::ImpossibleTravel(_) => "ImpossibleTravel",
            Detection::Hosting(_) => "SuspiciousInfrastructure",
            Detection::Ordered(o) => o.detection,
            Detection::Spray(s) => s.detection,
            Detection::Legacy(_) => "LegacyProtocolSuccess",
            Detection::Burst(b) => b.detection,
            Detection::IdRisk(_) => "IdentityProtectionRisk",
            Detection::Fatigue(_) => "MfaFatigue",
            Detection::Phishing(p) => p.detection,
            Detection::Explicit(_) => "ExplicitCredentialSpray",
            Detection::Velocity(_) => "ImpossibleTravel",
            Detection::Replay(_) => "TokenReplay",
            Detection::Watched(_) => "WorkloadWatchedLocation",
            Detection::Baseline(b) => b.detection,
        }
    }

    /// The configuration section the detection comes from.
    pub fn signal(&self) -> &'static str {
        match self {
            Detection::CredentialStuffing(_) => "credential_stuffing",
            Detection::ImpossibleTravel(_) => "impossible_travel",
            Detection::Hosting(_) => "hosting",
            Detection::Ordered(o) => o.log.signal(),
            Detection::Spray(s) => match s.log {
                Log::Windows { .. } => "one_source_many_accounts",
                Log::SignIns { .. } | Log::Workload { .. } => "password_spray",
            },
            Detection::Legacy(_) => "legacy_auth",
            Detection::IdRisk(_) => "identity_protection",
            Detection::Fatigue(_) => "mfa_fatigue",
            Detection::Phishing(_) => "client_phishing",
            Detection::Explicit(_) => "explicit_credentials",
            Detection::Velocity(_) => "geo_velocity",
            Detection::Replay(_) => "token_replay",
            Detection::Watched(_) => "workload_location",
            Detection::Baseline(b) => b.signal,
            Detection::Burst(b) => b.log.signal(),
        }
    }

    /// The risk as the alert gives it, for the rule's comment.
    fn risk_text(&self) -> String {
        match self {
            Detection::CredentialStuffing(s) => format!(
                "{} above {} distinct failure addresses, {} above {}, else {}",
                s.risks.0, s.tiers.0, s.risks.1, s.tiers.1, s.risks.2
            ),
            Detection::Ordered(o) => format!(
                "{} above {} distinct failure addresses, {} above {}, else {}",
                o.risks.0, o.tiers.0, o.risks.1, o.tiers.1, o.risks.2
            ),
            Detection::Spray(s) => format!(
                "{} (an attempt: the detector raises it with volume, to {}); {}",
                s.risk, s.risk_max, s.label
            ),
            Detection::Burst(b) => format!(
                "{} (an attempt: the detector raises it with volume and spread, to {})",
                b.risk, b.risk_max
            ),
            Detection::Phishing(p) if p.device_code => {
                format!("{} ({} through the broker)", p.risk, p.risk_broker)
            }
            Detection::Phishing(p) => p.risk.to_string(),
            Detection::Explicit(e) => format!(
                "{} (an attempt: the detector raises it with volume, to {})",
                e.risk, e.risk_max
            ),
            Detection::Velocity(v) => v.risk.to_string(),
            Detection::Replay(r) => format!("{} ({})", r.risk, r.name()),
            Detection::Watched(w) => w.risk.to_string(),
            Detection::Baseline(_) => String::new(),
            Detection::IdRisk(r) => format!(
                "{} for a high-risk type, a high level or a confirmed compromise, {} for a low level alone, else {}",
                r.risk_high, r.risk_low, r.risk_other
            ),
            Detection::ImpossibleTravel(Travel { risk, .. })
            | Detection::Hosting(Hosting { risk, .. })
            | Detection::Legacy(Legacy { risk, .. })
            | Detection::Fatigue(Fatigue { risk, .. }) => risk.to_string(),
        }
    }
}

/// A language's writer: each detection as a query, with notes on what the language cannot say
/// (pushed to `notes`, which starts with the language's [`Language::notes`]).
pub(crate) trait Language {
    /// Notes every rule of the language carries.
    fn notes(&self) -> Vec<String> {
        Vec::new()
    }
    fn stuffing(&self, s: &Stuffing, notes: &mut Vec<String>) -> String;
    fn travel(&self, t: &Travel, notes: &mut Vec<String>) -> String;
    fn hosting(&self, h: &Hosting, notes: &mut Vec<String>) -> String;
    /// Failures then a success; `Err` says why the language cannot (or does not yet) write it.
    fn ordered(&self, o: &Ordered, notes: &mut Vec<String>) -> Result<String, String>;
    /// Many identities failing from one source.
    fn spray(&self, s: &Spray, notes: &mut Vec<String>) -> Result<String, String>;
    /// A legacy-protocol success.
    fn legacy(&self, l: &Legacy, notes: &mut Vec<String>) -> Result<String, String>;
    /// A burst of failures of one identity (the brute-force attempt).
    fn burst(&self, b: &Burst, notes: &mut Vec<String>) -> Result<String, String>;
    /// The identity provider's own risk verdicts.
    fn id_risk(&self, r: &IdRisk, notes: &mut Vec<String>) -> Result<String, String>;
    /// MFA denials, then a success.
    fn fatigue(&self, f: &Fatigue, notes: &mut Vec<String>) -> Result<String, String>;
    /// A token-phishing client's success.
    fn phishing(&self, p: &Phishing, notes: &mut Vec<String>) -> Result<String, String>;
    /// One Windows account presenting many accounts' credentials (4648).
    fn explicit(&self, _: &Explicit, _: &mut Vec<String>) -> Result<String, String> {
        Err(NO_WINDOWS_FIELDS.into())
    }
    /// One pattern of session-token replay.
    fn replay(&self, r: &Replay, _: &mut Vec<String>) -> Result<String, String> {
        Err(r.not("not written yet for this language"))
    }
    /// A workload identity's success from a watched country.
    fn watched(&self, _: &Watched, _: &mut Vec<String>) -> Result<String, String> {
        Err("not written yet: this SIEM's records of workload identities' sign-ins are not pinned against a public sample".into())
    }
    /// Impossible travel by speed between consecutive sign-ins.
    fn velocity(&self, _: &Velocity, _: &mut Vec<String>) -> Result<String, String> {
        Err("the language cannot compare a record with the identity's previous one (no row-to-row functions)".into())
    }
}

/// Why a language has no Windows rules yet: its parser's field names were not checked against a
/// public sample.
pub(crate) const NO_WINDOWS_FIELDS: &str =
    "not written yet: this SIEM's Windows field names are not pinned against a public sample";

impl Target {
    fn language(self) -> &'static dyn Language {
        match self {
            Target::SentinelKql => &kql::Kql,
            Target::SplunkSpl => &spl::Spl,
            Target::ElasticEql => &eql::Eql,
            Target::ElasticEsql => &esql::Esql,
            Target::Sigma => &sigma::Sigma,
            Target::QradarAql => &aql::Aql,
            Target::Sumo => &sumo::Sumo,
            Target::ChronicleYaral => &yaral::Yaral,
            Target::LogscaleCql => &cql::Cql,
        }
    }
}

/// The configuration's signals that have no generator yet (left out of the output, named by
/// [`rules`]).
const NOT_GENERATED: &[&str] = &["combined_risk"];

/// The detections `cfg` runs that have generators, and the enabled signals that have none yet.
pub fn detections(cfg: &Config) -> (Vec<Detection>, Vec<&'static str>) {
    let mut out = Vec::new();
    let s = &cfg.credential_stuffing;
    if s.enabled {
        out.push(Detection::CredentialStuffing(Stuffing {
            window: cfg.window_secs,
            min_failures: s.min_failures,
            min_successes: s.min_successes,
            excluded: s.excluded_result_codes.clone(),
            tiers: (s.high_ip_count, s.medium_ip_count),
            risks: (s.risk_high, s.risk_medium, s.risk_low),
        }));
    }
    let t = &cfg.impossible_travel;
    if t.enabled {
        out.push(Detection::ImpossibleTravel(Travel {
            window: cfg.window_secs,
            bin: t.bin_secs,
            min_countries: t.min_countries,
            risk: t.risk,
        }));
    }
    let h = &cfg.hosting;
    if h.enabled {
        out.push(Detection::Hosting(Hosting {
            window: cfg.window_secs,
            asn_names: h.asn_names.clone(),
            asn_numbers: h.asn_numbers.clone(),
            ip_prefixes: h.ip_prefixes.clone(),
            cidrs: h.cidrs.iter().map(ToString::to_string).collect(),
            ips: h.tor_exit_ips.iter().map(ToString::to_string).collect(),
            risk: h.risk,
        }));
    }
    let reset_apps = cfg.allowlist.password_reset_apps.clone();
    let f = &cfg.failures_then_success;
    if f.enabled {
        out.push(Detection::Ordered(Ordered {
            detection: "CredentialStuffing",
            window: f.window_secs,
            lookback: cfg.window_secs,
            min_failures: f.min_failures,
            tiers: (f.high_ip_count, f.medium_ip_count),
            risks: (f.risk_high, f.risk_medium, f.risk_low),
            log: Log::SignIns {
                excluded: f.excluded_result_codes.clone(),
                correct_password: f.correct_password_codes.clone(),
                reset_apps: reset_apps.clone(),
            },
        }));
        out.push(Detection::Burst(Burst {
            detection: "BruteForceAttempt",
            window: f.attempt_window_secs,
            follow: f.window_secs,
            lookback: cfg.window_secs,
            min_failures: f.attempt_min_failures,
            risk: f.attempt_risk,
            risk_max: f.attempt_risk_max,
            // Lockout storms (50053) count toward the attempt even when excluded from runs.
            log: Log::SignIns {
                excluded: Vec::new(),
                correct_password: f.correct_password_codes.clone(),
                reset_apps: reset_apps.clone(),
            },
        }));
    }
    let p = &cfg.password_spray;
    if p.enabled {
        out.push(Detection::Spray(Spray {
            detection: "PasswordSpray",
            label: format!(
                "failures from one address against {} identities in {} s",
                p.min_identities, p.window_secs
            ),
            window: p.window_secs,
            lookback: cfg.window_secs,
            min_identities: p.min_identities,
            risk: p.risk,
            risk_max: p.risk_max,
            log: Log::SignIns {
                excluded: Vec::new(),
                correct_password: cfg.failures_then_success.correct_password_codes.clone(),
                reset_apps: reset_apps.clone(),
            },
        }));
    }
    let m = &cfg.mfa_fatigue;
    if m.enabled {
        out.push(Detection::Fatigue(Fatigue {
            window: m.window_secs,
            lookback: cfg.window_secs,
            denial_codes: m.denial_codes.clone(),
            max_denials: m.max_denials,
            success_within: m.success_within_secs,
            risk: m.risk,
        }));
    }
    let i = &cfg.identity_protection;
    if i.enabled {
        let levels: &[&str] = match i.min_level.to_ascii_lowercase().as_str() {
            "low" => &["low", "medium", "high"],
            "high" => &["high"],
            _ => &["medium", "high"],
        };
        out.push(Detection::IdRisk(IdRisk {
            window: cfg.window_secs,
            high_types: i.high_types.clone(),
            ignored_types: i.ignored_types.clone(),
            levels: levels.iter().map(ToString::to_string).collect(),
            cleared_states: i.cleared_states.clone(),
            risk_high: i.risk_high,
            risk_other: i.risk_other,
            risk_low: i.risk_low,
        }));
    }
    let g = &cfg.geo_velocity;
    if g.enabled {
        out.push(Detection::Velocity(Velocity {
            lookback: cfg.window_secs,
            min_km: g.min_distance_km,
            max_kmh: g.max_speed_kmh,
            pad_km: g.radius_pad_km,
            interactive_only: g.interactive_only,
            risk: g.risk,
        }));
    }
    let x = &cfg.explicit_credentials;
    if x.enabled {
        out.push(Detection::Explicit(Explicit {
            window: x.window_secs,
            lookback: cfg.window_secs,
            min_accounts: x.min_accounts,
            exclude_machine_subjects: x.exclude_machine_subjects,
            risk: x.risk,
            risk_max: x.risk_max,
        }));
    }
    let c = &cfg.client_phishing;
    if c.enabled {
        out.push(Detection::Phishing(Phishing {
            detection: "DeviceCodePhishing",
            device_code: true,
            window: cfg.window_secs,
            clients: c.device_code_clients.clone(),
            client_names: c.device_code_client_names.clone(),
            user_agents: Vec::new(),
            broker: c.device_code_clients.first().cloned(),
            risk: c.risk_device_code,
            risk_broker: c.risk_broker,
            risk_registration: c.risk_registration,
        }));
        out.push(Detection::Phishing(Phishing {
            detection: "OAuthClientPhishing",
            device_code: false,
            window: cfg.window_secs,
            clients: c.oauth_clients.clone(),
            client_names: Vec::new(),
            user_agents: c.oauth_client_user_agents.clone(),
            broker: None,
            risk: c.risk_oauth,
            risk_broker: c.risk_oauth,
            risk_registration: c.risk_registration,
        }));
    }
    let l = &cfg.legacy_auth;
    if l.enabled {
        out.push(Detection::Legacy(Legacy {
            window: cfg.window_secs,
            client_apps: l.client_apps.clone(),
            user_agents: l.user_agents.clone(),
            single_factor_only: l.single_factor_only,
            risk: l.risk,
        }));
    }
    let w = &cfg.failed_logons_then_success;
    if w.enabled {
        // One failure set for the compromise and the attempt.
        let failures = WinFailures {
            events: w.failure_events.clone(),
            codes: w.failure_codes.clone(),
            logon_types: w.failure_logon_types.clone(),
            exclude_machine: w.exclude_machine_accounts,
            exclude_anonymous: w.exclude_anonymous,
        };
        out.push(Detection::Ordered(Ordered {
            detection: "FailedLogonsThenSuccess",
            window: w.window_secs,
            lookback: cfg.window_secs,
            min_failures: w.min_failures,
            tiers: (w.high_ip_count, w.medium_ip_count),
            risks: (w.risk_high, w.risk_medium, w.risk_low),
            log: Log::Windows {
                failures: failures.clone(),
                success_logon_types: w.success_logon_types.clone(),
            },
        }));
        out.push(Detection::Burst(Burst {
            detection: "BruteForceAttempt",
            window: w.attempt_window_secs,
            follow: w.window_secs,
            lookback: cfg.window_secs,
            min_failures: w.attempt_min_failures,
            risk: w.attempt_risk,
            risk_max: w.attempt_risk_max,
            log: Log::Windows {
                failures,
                success_logon_types: Vec::new(),
            },
        }));
    }
    let r = &cfg.token_replay;
    if r.enabled {
        let patterns = [
            (
                ReplayPattern::Session {
                    min_networks: r.session_min_networks,
                },
                r.risk_session,
            ),
            (
                ReplayPattern::Scripted {
                    agents: r.scripted_user_agents.clone(),
                },
                r.risk_scripted,
            ),
            (
                ReplayPattern::Graph {
                    min_networks: r.graph_session_min_ips,
                    secs: r.graph_session_secs,
                    trusted: r.graph_trusted_app_ids.clone(),
                },
                r.risk_graph_session,
            ),
            (
                ReplayPattern::Kit {
                    apps: r.kit_apps.clone(),
                    agents: r.kit_user_agents.clone(),
                    follow: r.follow_secs,
                },
                r.risk_kit,
            ),
            (
                ReplayPattern::MfaClaim {
                    min_history: r.min_history,
                },
                r.risk_mfa_claim,
            ),
        ];
        for (pattern, risk) in patterns {
            out.push(Detection::Replay(Replay {
                pattern,
                window: cfg.window_secs,
                risk,
            }));
        }
    }
    let l = &cfg.workload_location;
    if l.enabled {
        out.push(Detection::Baseline(Baseline {
            detection: "WorkloadNewLocation",
            signal: "workload_location",
            reason: "it compares a success with the places (countries, AS numbers, addresses) the workload identity used before — the detector's history of this stream — which one scheduled query can only approximate with a baseline join over the whole look-back",
        }));
        if !l.watched_countries.is_empty() {
            out.push(Detection::Watched(Watched {
                countries: l.watched_countries.clone(),
                window: cfg.window_secs,
                risk: l.risk_watched,
            }));
        }
    }
    let c = &cfg.workload_credentials;
    if c.enabled {
        let log = Log::Workload {
            codes: c.failure_codes.clone(),
        };
        out.push(Detection::Ordered(Ordered {
            detection: "WorkloadCredentialAbuse",
            window: c.window_secs,
            lookback: cfg.window_secs,
            min_failures: c.min_failures,
            tiers: (c.high_ip_count, c.medium_ip_count),
            risks: (c.risk_high, c.risk_medium, c.risk_low),
            log: log.clone(),
        }));
        out.push(Detection::Burst(Burst {
            detection: "WorkloadCredentialFailures",
            window: c.attempt_window_secs,
            follow: c.window_secs,
            lookback: cfg.window_secs,
            min_failures: c.attempt_min_failures,
            risk: c.attempt_risk,
            risk_max: c.attempt_risk_max,
            log,
        }));
    }
    let o = &cfg.one_source_many_accounts;
    if o.enabled {
        let failures = WinFailures {
            events: o.failure_events.clone(),
            codes: Vec::new(),
            logon_types: Vec::new(),
            exclude_machine: o.exclude_machine_accounts,
            exclude_anonymous: o.exclude_anonymous,
        };
        for (label, min, window) in [
            ("burst", o.burst_min_accounts, o.burst_window_secs),
            ("sustained", o.min_accounts, o.window_secs),
        ] {
            out.push(Detection::Spray(Spray {
                detection: "OneSourceManyAccounts",
                label: format!("the {label} rule, {min} accounts in {window} s"),
                window,
                lookback: cfg.window_secs,
                min_identities: min,
                risk: o.risk,
                risk_max: o.risk_max,
                log: Log::Windows {
                    failures: failures.clone(),
                    success_logon_types: Vec::new(),
                },
            }));
        }
    }
    // Which other signals are on, read from the configuration as the detector writes it.
    let json = serde_json::to_value(cfg).unwrap_or_default();
    let missing = NOT_GENERATED
        .iter()
        .copied()
        .filter(|k| json[*k]["enabled"] == serde_json::Value::Bool(true))
        .collect();
    (out, missing)
}

/// One rule in a target's language: the comment lines (without their comment marks) and the query.
#[derive(Debug, Clone)]
pub struct Rule {
    pub detection: &'static str,
    /// The configuration section it comes from (`failed_logons_then_success`, ...).
    pub signal: &'static str,
    pub notes: Vec<String>,
    pub query: String,
}

/// The rules of `cfg`'s detections in `target`'s language.
pub fn rules(cfg: &Config, target: Target) -> Vec<Rule> {
    each(cfg, target)
        .into_iter()
        .filter_map(Result::ok)
        .collect()
}

/// The detections `target` cannot write, each with the reason: `(signal, detection, reason)`,
/// once per distinct reason.
pub fn unwritten(cfg: &Config, target: Target) -> Vec<(&'static str, &'static str, String)> {
    let mut not: Vec<(&'static str, &'static str, String)> = Vec::new();
    for e in each(cfg, target) {
        if let Err(u) = e
            && !not.contains(&u)
        {
            not.push(u);
        }
    }
    not
}

/// One entry per detection of `cfg` ([`detections`], in order): its rule, or why `target` does
/// not write it (`(signal, detection, reason)`).
pub fn each(
    cfg: &Config,
    target: Target,
) -> Vec<Result<Rule, (&'static str, &'static str, String)>> {
    let (dets, _) = detections(cfg);
    let lang = target.language();
    dets.iter()
        .map(|d| {
            let mut limits = lang.notes();
            let query = match d {
                Detection::CredentialStuffing(s) => Ok(lang.stuffing(s, &mut limits)),
                Detection::ImpossibleTravel(t) => Ok(lang.travel(t, &mut limits)),
                Detection::Hosting(h) => Ok(lang.hosting(h, &mut limits)),
                Detection::Ordered(o) => lang.ordered(o, &mut limits),
                Detection::Spray(s) => lang.spray(s, &mut limits),
                Detection::Legacy(l) => lang.legacy(l, &mut limits),
                Detection::Burst(b) => lang.burst(b, &mut limits),
                Detection::IdRisk(r) => lang.id_risk(r, &mut limits),
                Detection::Fatigue(f) => lang.fatigue(f, &mut limits),
                Detection::Phishing(p) => lang.phishing(p, &mut limits),
                Detection::Explicit(e) => lang.explicit(e, &mut limits),
                Detection::Velocity(v) => lang.velocity(v, &mut limits),
                Detection::Replay(r) => lang.replay(r, &mut limits),
                Detection::Watched(w) => lang.watched(w, &mut limits),
                Detection::Baseline(b) => Err(b.reason.to_string()),
            };
            let query = query.map_err(|why| (d.signal(), d.name(), why))?;
            let mut notes = vec![
                format!("t1586 {} — risk {}", d.name(), d.risk_text()),
                format!(
                    "Written by t1586 rules --to {target} from the {} profile's configuration.",
                    profile_name(cfg.profile)
                ),
            ];
            notes.extend(limits);
            debug_assert!(
                !query.lines().any(|l| l.trim().is_empty()),
                "{target}: a blank line inside the query"
            );
            Ok(Rule {
                detection: d.name(),
                signal: d.signal(),
                notes,
                query,
            })
        })
        .collect()
}

fn profile_name(p: Profile) -> &'static str {
    match p {
        Profile::Seed => "seed",
        Profile::Default => "default",
    }
}

/// The rules as the target's text: each rule's comment lines, then its query; one blank line
/// between rules.
pub fn render(target: Target, rules: &[Rule]) -> String {
    let mut out = String::new();
    for (i, r) in rules.iter().enumerate() {
        if i > 0 {
            out.push('\n');
        }
        let query = r.query.trim_end();
        let (first, rest) = if target.comments_after_first_line() {
            match query.split_once('\n') {
                Some((first, rest)) => (Some(first), rest),
                None => (Some(query), ""),
            }
        } else {
            (None, query)
        };
        if let Some(first) = first {
            out.push_str(first);
            out.push('\n');
        }
        for n in &r.notes {
            out.push_str(target.comment());
            // SPL's comments end at the next three backticks, AQL's at `*/`: none inside.
            out.push_str(&n.replace('`', "'").replace("*/", "* /"));
            out.push_str(target.comment_end());
            out.push('\n');
        }
        if target == Target::Sigma && i > 0 {
            // One YAML stream for the whole file: each detection's documents start a new one.
            out.push_str("---\n");
        }
        if !rest.is_empty() {
            out.push_str(rest);
            out.push('\n');
        }
    }
    out
}

/// `185.220.` → `185.220.0.0/16`: an address prefix of whole IPv4 octets as a range (Elastic's
/// `source.ip` is an address, matched by range).
pub(crate) fn prefix_cidr(p: &str) -> Option<String> {
    let octets: Vec<&str> = p.strip_suffix('.')?.split('.').collect();
    if octets.is_empty() || octets.len() > 3 || !octets.iter().all(|o| o.parse::<u8>().is_ok()) {
        return None;
    }
    let mut all = octets.clone();
    all.resize(4, "0");
    Some(format!("{}/{}", all.join("."), octets.len() * 8))
}

/// A text as a double-quoted string literal of the C family (KQL, SPL, EQL): backslashes and
/// quotes escaped.
pub(crate) fn quoted(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        if c == '"' || c == '\\' {
            out.push('\\');
        }
        out.push(c);
    }
    out.push('"');
    out
}

/// Texts lower-cased (ids compared without regard to case).
pub(crate) fn lower(items: &[String]) -> Vec<String> {
    items.iter().map(|s| s.to_lowercase()).collect()
}

/// Texts as a comma-separated list of quoted literals.
pub(crate) fn quoted_list(items: &[String]) -> String {
    items
        .iter()
        .map(|s| quoted(s))
        .collect::<Vec<_>>()
        .join(", ")
}

/// A duration in the largest whole unit: `86400` → `24h`, `5400` → `90m`, `61` → `61s` (the
/// `s`/`m`/`h` units YARA-L's `over`, CQL's `span=` and Sumo's `timeslice` share).
pub(crate) fn span(secs: u64) -> String {
    if secs > 0 && secs.is_multiple_of(3600) {
        format!("{}h", secs / 3600)
    } else if secs > 0 && secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

/// A text as a single-quoted SQL literal (AQL): quotes doubled.
pub(crate) fn sql_quoted(s: &str) -> String {
    format!("'{}'", s.replace('\'', "''"))
}

/// A regular expression matching any of `names` as a substring (their own metacharacters
/// escaped), for the AS owner's name.
pub(crate) fn any_of(names: &[String]) -> String {
    let mut out = String::new();
    for (i, n) in names.iter().enumerate() {
        if i > 0 {
            out.push('|');
        }
        for c in n.chars() {
            if "\\.+*?()|[]{}^$/`\"".contains(c) {
                out.push('\\');
            }
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    #[test]
    fn spans_and_patterns() {
        assert_eq!(super::span(86400), "24h");
        assert_eq!(super::span(5400), "90m");
        assert_eq!(super::span(61), "61s");
        assert_eq!(super::sql_quoted("O'Neil"), "'O''Neil'");
        assert_eq!(
            super::any_of(&["M247".into(), "ITL-Bulgaria".into(), "a.b (c)".into()]),
            "M247|ITL-Bulgaria|a\\.b \\(c\\)"
        );
    }

    #[test]
    fn prefixes_as_ranges() {
        assert_eq!(
            super::prefix_cidr("185.220.").as_deref(),
            Some("185.220.0.0/16")
        );
        assert_eq!(super::prefix_cidr("10.").as_deref(), Some("10.0.0.0/8"));
        assert_eq!(super::prefix_cidr("1.2.3.").as_deref(), Some("1.2.3.0/24"));
        assert_eq!(super::prefix_cidr("185.22"), None);
        assert_eq!(super::prefix_cidr("2001:db8:"), None);
    }
}
