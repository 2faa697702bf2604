//! Counters every interface exposes: what was read, what became of it, and which limits were hit.

use std::collections::BTreeMap;

use serde::{Deserialize, Serialize};

/// One rejected record, with where it was.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RecordError {
    pub source: String,
    pub line: u64,
    pub reason: String,
}

/// Detector statistics. `records_read = records_parsed + records_rejected` always holds.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Stats {
    /// Sources (files, stdin) that delivered any bytes.
    pub sources: u64,
    /// Bytes pushed.
    pub bytes: u64,
    /// Records seen (framed), whatever became of them.
    pub records_read: u64,
    /// Records parsed into a normalized form (events + ignored).
    pub records_parsed: u64,
    /// Records that could not be used, by reason.
    pub records_rejected: u64,
    pub rejected_by_reason: BTreeMap<String, u64>,
    /// Parsed records that are not user authentication events, by reason.
    pub records_ignored: u64,
    pub ignored_by_reason: BTreeMap<String, u64>,
    /// Authentication events that reached the signals.
    pub events: u64,
    /// Events from identities on the allowlist (not analysed).
    pub events_allowlisted: u64,
    /// Events that arrived older than the lateness tolerance behind the newest event (processed, but
    /// possibly after their window closed).
    pub late_events: u64,
    /// Alerts returned.
    pub alerts: u64,
    /// Records passed over by one signal for a counted reason (e.g. travel without geolocation).
    #[serde(default)]
    pub signal_skips: BTreeMap<String, u64>,
    /// Records dropped as duplicates of an earlier row (same record id).
    #[serde(default)]
    pub duplicates: u64,
    /// How often each hard limit was hit (state was evicted or truncated).
    pub caps_hit: BTreeMap<String, u64>,
    /// The first rejected records in detail (see `limits.max_error_details`).
    pub errors: Vec<RecordError>,
    /// Rejected records not listed in `errors`.
    pub errors_not_listed: u64,
    /// Identities currently tracked (summed over signals).
    pub identities_tracked: u64,
    /// IP enrichment outcomes (only when `.mmdb` / ip2asn data was added): fields filled, misses,
    /// addresses never looked up because they are private or reserved.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub enrichment: BTreeMap<String, u64>,
    /// Offline input that was not in time order, read a second time and sorted (see
    /// [`crate::offline`]); written only when true.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub input_sorted: bool,
    /// Runs of sorted events the host stored while sorting (offline input larger than
    /// `limits.sort_run_events`); written only when some were.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub spilled_runs: u64,
    /// Live mode ([`crate::Detector::set_live`]): alert revisions returned (every line of live
    /// output; `alerts` counts the closed ones); written only in live mode.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub live_revisions: u64,
    /// Live mode: alerts withdrawn (see [`crate::alert::Status::Withdrawn`]); written only when
    /// some were.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub withdrawn_alerts: u64,
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

impl Stats {
    pub(crate) fn cap(&mut self, which: &str) {
        *self.caps_hit.entry(which.to_string()).or_default() += 1;
    }
}
