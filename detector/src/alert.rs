//! Alerts: the seed's columns with their exact names, plus evidence, ATT&CK techniques and version.

use crate::shared::Shared;
use std::cmp::Ordering;
use std::collections::BTreeMap;

use chrono::{DateTime, SecondsFormat, Utc};
use serde::{Deserialize, Serialize, Serializer};

use crate::address::Address;
use crate::event::{AuthEvent, Outcome};

/// Timestamps in alerts: RFC 3339, UTC, `Z`, with the fraction only when the source had one.
pub(crate) fn ser_time<S: Serializer>(t: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
    s.serialize_str(&t.to_rfc3339_opts(SecondsFormat::AutoSi, true))
}

/// One raw record behind an alert. In alerts (JSON) absent fields are left out; in snapshots
/// (a binary encoding without field names) every field is written.
#[derive(Debug, Clone, PartialEq, Deserialize)]
pub struct Evidence {
    #[serde(rename = "Source")]
    pub source: Shared<str>,
    #[serde(rename = "Line")]
    pub line: u64,
    #[serde(rename = "RecordId", default)]
    pub record_id: Option<Shared<str>>,
    #[serde(rename = "Time")]
    pub time: DateTime<Utc>,
    #[serde(rename = "Outcome")]
    pub outcome: Outcome,
    #[serde(rename = "ResultType", default)]
    pub result_type: Option<Shared<str>>,
    #[serde(rename = "IPAddress", default)]
    pub ip: Option<Address>,
    #[serde(rename = "Country", default)]
    pub country: Option<Shared<str>>,
    /// Windows event ID (Windows sources only).
    #[serde(rename = "EventID", default)]
    pub event_id: Option<u32>,
    /// Windows logon type, when the event has one.
    #[serde(rename = "LogonType", default)]
    pub logon_type: Option<u32>,
}

impl Serialize for Evidence {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeStruct;
        // Field order is the deserializer's (the binary snapshot encoding depends on it).
        let all = !s.is_human_readable();
        let mut st = s.serialize_struct("Evidence", 10)?;
        fn opt<T: Serialize, St: SerializeStruct>(
            st: &mut St,
            all: bool,
            name: &'static str,
            v: &Option<T>,
        ) -> Result<(), St::Error> {
            if all || v.is_some() {
                st.serialize_field(name, v)
            } else {
                st.skip_field(name)
            }
        }
        st.serialize_field("Source", &self.source)?;
        st.serialize_field("Line", &self.line)?;
        opt(&mut st, all, "RecordId", &self.record_id)?;
        if all {
            st.serialize_field("Time", &self.time)?;
        } else {
            st.serialize_field("Time", &Rfc3339(&self.time))?;
        }
        st.serialize_field("Outcome", &self.outcome)?;
        opt(&mut st, all, "ResultType", &self.result_type)?;
        opt(&mut st, all, "IPAddress", &self.ip)?;
        opt(&mut st, all, "Country", &self.country)?;
        opt(&mut st, all, "EventID", &self.event_id)?;
        opt(&mut st, all, "LogonType", &self.logon_type)?;
        st.end()
    }
}

/// A time written as alerts write it (see [`ser_time`]).
struct Rfc3339<'a>(&'a DateTime<Utc>);

impl Serialize for Rfc3339<'_> {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        ser_time(self.0, s)
    }
}

impl Evidence {
    /// The order evidence is listed in: by time, then by what the record is (its record id —
    /// numbers by value —, result, address), its file and line last. Input order never changes
    /// it: evidence of one second is not listed in whichever order the files or lines came.
    pub fn listing_order(a: &Evidence, b: &Evidence) -> std::cmp::Ordering {
        fn id(e: &Evidence) -> (bool, usize, &str) {
            let t = e.record_id.as_deref().unwrap_or("");
            let digits = !t.is_empty() && t.bytes().all(|c| c.is_ascii_digit());
            (!digits, if digits { t.len() } else { 0 }, t)
        }
        a.time
            .cmp(&b.time)
            .then_with(|| id(a).cmp(&id(b)))
            .then_with(|| a.result_type.cmp(&b.result_type))
            .then_with(|| a.ip.cmp(&b.ip))
            .then_with(|| a.source.cmp(&b.source))
            .then(a.line.cmp(&b.line))
    }

    pub fn of(ev: &AuthEvent) -> Evidence {
        Evidence {
            source: ev.record.source.clone(),
            line: ev.record.line,
            record_id: ev.record.record_id.clone(),
            time: ev.time,
            outcome: ev.outcome,
            result_type: ev.result_code.clone(),
            ip: ev.ip.clone(),
            country: ev.country.clone(),
            event_id: ev.event_id(),
            logon_type: ev.windows.as_ref().and_then(|w| w.logon_type),
        }
    }
}

/// A detection. Field names and order are part of the interface (see detector/ABI.md).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Alert {
    #[serde(rename = "TimeGenerated", serialize_with = "ser_time")]
    pub time_generated: DateTime<Utc>,
    #[serde(rename = "UserPrincipalName")]
    pub user_principal_name: String,
    #[serde(rename = "DetectionType")]
    pub detection_type: String,
    #[serde(rename = "RiskScore")]
    pub risk_score: u32,
    #[serde(rename = "FailureCount")]
    pub failure_count: u64,
    #[serde(rename = "SuccessCount")]
    pub success_count: u64,
    #[serde(rename = "UniqueIPs")]
    pub unique_ips: u64,
    #[serde(rename = "IPList")]
    pub ip_list: Vec<String>,
    #[serde(rename = "Apps")]
    pub apps: Vec<String>,
    #[serde(rename = "Countries")]
    pub countries: Vec<String>,
    #[serde(rename = "FirstSeen", serialize_with = "ser_time")]
    pub first_seen: DateTime<Utc>,
    #[serde(rename = "LastSeen", serialize_with = "ser_time")]
    pub last_seen: DateTime<Utc>,
    #[serde(rename = "Evidence")]
    pub evidence: Vec<Evidence>,
    #[serde(rename = "Mitre")]
    pub mitre: Vec<String>,
    #[serde(rename = "Profile")]
    pub profile: String,
    #[serde(rename = "DetectorVersion")]
    pub detector_version: String,
    /// Signal-specific facts (speeds, session ids, lockout counts, contributing signals...).
    #[serde(
        rename = "Details",
        default,
        skip_serializing_if = "BTreeMap::is_empty"
    )]
    pub details: BTreeMap<String, serde_json::Value>,
    /// Stable identity of the alert: the same for every revision of it in live mode and for the
    /// alert of an offline scan of the same records ([`alert_id`]).
    #[serde(rename = "AlertId", default)]
    pub alert_id: String,
    /// Live mode only: 1 for the first revision of an alert, one more for each later one.
    #[serde(rename = "Revision", default, skip_serializing_if = "Option::is_none")]
    pub revision: Option<u32>,
    /// Live mode only: whether later records can still change the alert.
    #[serde(rename = "Status", default, skip_serializing_if = "Option::is_none")]
    pub status: Option<Status>,
    /// The detection type the id is made with (its own, or for an attempt the compromise it would
    /// become); only while the alert is being made.
    #[serde(skip)]
    pub(crate) id_as: &'static str,
}

/// Where a live alert stands ([`Alert::status`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Its window is still open: later records may revise it.
    Open,
    /// Final: an offline scan of the same records reports exactly this alert.
    Closed,
    /// Later records turned what it said into something else (an attempt whose failures turned
    /// out to be a user who then got in with a single mistype, an alert whose window start moved):
    /// no offline scan reports this id. Its last revision's content is repeated.
    Withdrawn,
}

/// The [`Alert::alert_id`] of the alert of detection type `detection` a signal (its configuration
/// key) raised about `subject` (the identity or source it tracks, as it keys them) for the window
/// starting at `first`: 16 hex digits of a fixed 64-bit hash, the same on every host. An attempt
/// that a success would turn into a compromise is named by the compromise's type.
pub fn alert_id(signal: &str, subject: &str, first: DateTime<Utc>, detection: &str) -> String {
    let mut h = crate::event::FixedHash(0x7431_3538_3661_6964);
    h.bytes(signal.as_bytes());
    h.word(0xff);
    h.bytes(detection.as_bytes());
    h.word(0xff);
    h.bytes(subject.as_bytes());
    h.word(first.timestamp() as u64);
    h.word(u64::from(first.timestamp_subsec_nanos()));
    format!("{:016x}", h.0)
}

impl Alert {
    /// The alert as one line of JSON: the canonical bytes every host must reproduce.
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("alerts always serialize")
    }
}

/// The final order: RiskScore desc, then TimeGenerated desc; ties broken by user, type and first
/// seen so the order is total and identical on every host.
pub fn compare_alerts(a: &Alert, b: &Alert) -> Ordering {
    b.risk_score
        .cmp(&a.risk_score)
        .then(b.time_generated.cmp(&a.time_generated))
        .then_with(|| a.user_principal_name.cmp(&b.user_principal_name))
        .then_with(|| a.detection_type.cmp(&b.detection_type))
        .then(a.first_seen.cmp(&b.first_seen))
}

/// Sort alerts into the final order.
pub fn sort_alerts(alerts: &mut [Alert]) {
    crate::order::sort_by(alerts, compare_alerts);
}

/// An alert as snapshots hold it (alerts made final but not yet returned, live alerts still
/// open): every field in order, `Details` as JSON text (the binary
/// encoding cannot carry self-describing values). Reading alerts back through their JSON form
/// instead took 26 KB of the module.
#[derive(Serialize)]
pub(crate) struct BinaryRef<'a> {
    time_generated: DateTime<Utc>,
    user_principal_name: &'a str,
    detection_type: &'a str,
    risk_score: u32,
    failure_count: u64,
    success_count: u64,
    unique_ips: u64,
    ip_list: &'a [String],
    apps: &'a [String],
    countries: &'a [String],
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    evidence: &'a [Evidence],
    mitre: &'a [String],
    profile: &'a str,
    detector_version: &'a str,
    details: String,
    alert_id: &'a str,
    revision: Option<u32>,
    status: Option<Status>,
}

impl<'a> BinaryRef<'a> {
    pub(crate) fn of(a: &'a Alert) -> Self {
        BinaryRef {
            time_generated: a.time_generated,
            user_principal_name: &a.user_principal_name,
            detection_type: &a.detection_type,
            risk_score: a.risk_score,
            failure_count: a.failure_count,
            success_count: a.success_count,
            unique_ips: a.unique_ips,
            ip_list: &a.ip_list,
            apps: &a.apps,
            countries: &a.countries,
            first_seen: a.first_seen,
            last_seen: a.last_seen,
            evidence: &a.evidence,
            mitre: &a.mitre,
            profile: &a.profile,
            detector_version: &a.detector_version,
            details: serde_json::to_string(&a.details).unwrap_or_default(),
            alert_id: &a.alert_id,
            revision: a.revision,
            status: a.status,
        }
    }
}

/// [`BinaryRef`] read back.
#[derive(Deserialize)]
pub(crate) struct Binary {
    time_generated: DateTime<Utc>,
    user_principal_name: String,
    detection_type: String,
    risk_score: u32,
    failure_count: u64,
    success_count: u64,
    unique_ips: u64,
    ip_list: Vec<String>,
    apps: Vec<String>,
    countries: Vec<String>,
    first_seen: DateTime<Utc>,
    last_seen: DateTime<Utc>,
    evidence: Vec<Evidence>,
    mitre: Vec<String>,
    profile: String,
    detector_version: String,
    details: String,
    alert_id: String,
    revision: Option<u32>,
    status: Option<Status>,
}

impl Binary {
    pub(crate) fn into_alert(self) -> Result<Alert, serde_json::Error> {
        Ok(Alert {
            time_generated: self.time_generated,
            user_principal_name: self.user_principal_name,
            detection_type: self.detection_type,
            risk_score: self.risk_score,
            failure_count: self.failure_count,
            success_count: self.success_count,
            unique_ips: self.unique_ips,
            ip_list: self.ip_list,
            apps: self.apps,
            countries: self.countries,
            first_seen: self.first_seen,
            last_seen: self.last_seen,
            evidence: self.evidence,
            mitre: self.mitre,
            profile: self.profile,
            detector_version: self.detector_version,
            details: serde_json::from_slice(self.details.as_bytes())?,
            alert_id: self.alert_id,
            revision: self.revision,
            status: self.status,
            id_as: "",
        })
    }
}
