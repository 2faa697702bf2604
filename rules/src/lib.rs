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
/// of `ip_prefixes` or inside one of `cidrs`.
#[derive(Debug, Clone)]
pub struct Hosting {
    pub window: u64,
    pub asn_names: Vec<String>,
    pub asn_numbers: Vec<u32>,
    pub ip_prefixes: Vec<String>,
    pub cidrs: Vec<String>,
    pub risk: u32,
}

impl Hosting {
    /// The address ranges for languages that match an address by range (Elastic's `source.ip`):
    /// the CIDRs, and the prefixes of whole IPv4 octets as ranges; a prefix that is not is noted.
    pub(crate) fn ranges(&self, notes: &mut Vec<String>) -> Vec<String> {
        let mut ranges = self.cidrs.clone();
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

/// One detection as the generators see it: what to count, over which window, with which
/// thresholds and lists — the configuration's values, nothing else.
#[derive(Debug, Clone)]
pub enum Detection {
    CredentialStuffing(Stuffing),
    ImpossibleTravel(Travel),
    Hosting(Hosting),
}

impl Detection {
    /// The detection type the detector writes in its alerts.
    pub fn name(&self) -> &'static str {
        match self {
            Detection::CredentialStuffing(_) => "CredentialStuffing",
            Detection::ImpossibleTravel(_) => "ImpossibleTravel",
            Detection::Hosting(_) => "SuspiciousInfrastructure",
        }
    }

    /// The risk as the alert gives it, for the rule's comment.
    fn risk_text(&self) -> String {
        match self {
            Detection::CredentialStuffing(s) => format!(
                "{} above {} distinct failure addresses, {} above {}, else {}",
                s.risks.0, s.tiers.0, s.risks.1, s.tiers.1, s.risks.2
            ),
            Detection::ImpossibleTravel(Travel { risk, .. })
            | Detection::Hosting(Hosting { risk, .. }) => risk.to_string(),
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
}

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
const NOT_GENERATED: &[&str] = &[
    "failures_then_success",
    "password_spray",
    "geo_velocity",
    "token_replay",
    "legacy_auth",
    "mfa_fatigue",
    "identity_protection",
    "combined_risk",
    "failed_logons_then_success",
    "one_source_many_accounts",
    "explicit_credentials",
    "client_phishing",
    "workload_credentials",
    "workload_location",
];

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
            risk: h.risk,
        }));
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
    pub notes: Vec<String>,
    pub query: String,
}

/// The rules of `cfg`'s detections in `target`'s language.
pub fn rules(cfg: &Config, target: Target) -> Vec<Rule> {
    let (dets, _) = detections(cfg);
    dets.iter()
        .map(|d| {
            let lang = target.language();
            let mut limits = lang.notes();
            let query = match d {
                Detection::CredentialStuffing(s) => lang.stuffing(s, &mut limits),
                Detection::ImpossibleTravel(t) => lang.travel(t, &mut limits),
                Detection::Hosting(h) => lang.hosting(h, &mut limits),
            };
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
            Rule {
                detection: d.name(),
                notes,
                query,
            }
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
