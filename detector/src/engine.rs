//! The detector: ingest → reorder by event time → signals → alerts.
//!
//! Time is event time only. The newest event time seen defines a watermark; events wait in a
//! reordering buffer until they are `max_lateness_secs` behind it (so inputs sorted newest-first, as
//! Graph returns them, are processed in order), then go to the signals in time order; events that share
//! a timestamp go in an order taken from their content ([`AuthEvent::tie_key`]), then arrival. An
//! event older than what was already released is *late*: it is still processed, and counted.
//! Signal windows close when the release clock passes their end; [`Detector::flush`] closes
//! everything at end of input. Input that ends (files) can instead be read in any order with the
//! alerts of one time-ordered stream: [`Detector::set_order`] and [`crate::offline`].

use crate::shared::Shared;

use chrono::{DateTime, Utc};
use rustc_hash::FxHashSet;
use serde::{Deserialize, Serialize};

use crate::alert::{Alert, sort_alerts};
use crate::config::Config;
use crate::enrich::{Enrichment, EnrichmentInfo};
use crate::error::{Error, ErrorKind};
use crate::event::AuthEvent;
use crate::ingest::{Decoded, Ingest, Item};
use crate::offline::{Merge, Order};
use crate::reorder::Reorder;
use crate::signals::{Compiled, Ctx, Signals, secs};
use crate::stats::{RecordError, Stats};

/// The first bytes of every snapshot.
pub const SNAPSHOT_MAGIC: &[u8; 16] = b"t1586-snapshot\n\0";
/// Bump when the snapshot layout changes; older snapshots are then refused with a clear error.
/// Version 1 was JSON (refused as "not a t1586 snapshot"); version 2 is the binary layout;
/// version 3 is version 2 with the password-spray groups in the shared sequence state (no grouping
/// flag, no per-failure key text); version 4 adds the learned Windows identity domains, the open
/// brute-force attempts, the explicit-credential and scripted-session state; version 5 adds the
/// events' client, resource, protocol, risk-level and token fields, workload-identity events and
/// the token-phishing, workload-identity and watched-location signals; version 6 the other
/// identity providers' fields; version 7 adds alert ids (`AlertId`, live revisions) and live
/// mode's open alerts.
pub const SNAPSHOT_VERSION: u32 = 7;

/// Magic, version and checksum.
const SNAPSHOT_HEADER: usize = 16 + 4 + 8;

/// The snapshot checksum (fixed, so every host computes the same; any one damaged word changes it).
fn checksum(bytes: &[u8]) -> u64 {
    let mut h = crate::event::FixedHash(bytes.len() as u64);
    h.bytes(bytes);
    h.0
}

/// The default source name when the caller never names one.
pub const DEFAULT_SOURCE: &str = "input";

/// A streaming detector. Feed bytes with [`push`](Detector::push), finish with
/// [`flush`](Detector::flush); both return the alerts that became final.
#[derive(Debug, Clone)]
pub struct Detector {
    ingest: Ingest,
    core: Core,
}

/// Everything after the reader. Each record goes from the reader straight through here before the
/// next one is read, not after the whole chunk's records were read: its texts and its memory are
/// still in the cache when it is deduplicated, buffered or processed.
#[derive(Debug, Clone)]
struct Core {
    cfg: Config,
    compiled: Compiled,
    ignored: FxHashSet<String>,
    /// Record ids recently processed (dedup).
    seen_ids: crate::dedup::SeenIds,
    /// Events waiting for the watermark, in (time, tie key, arrival sequence) order.
    reorder: Reorder,
    newest: Option<DateTime<Utc>>,
    clock: Option<DateTime<Utc>>,
    seq: u64,
    signals: Signals,
    /// Windows accounts keyed by domain and name.
    identities: crate::identity::Identities,
    stats: Stats,
    pending: Vec<Alert>,
    enrichment: Enrichment,
    /// Accepted events, kept for [`Detector::take_events`] while the event log is on.
    event_log: Option<Vec<EventSummary>>,
    /// Only this identity's events are logged (its key, or its name lower-cased), when set.
    event_log_filter: Option<String>,
    /// The newest time less the lateness tolerance: events at or before it are released.
    release_before: Behind,
    /// The clock less the window: record ids before it leave the de-duplication window.
    ids_before: Behind,
    /// How input order is treated ([`crate::offline`]); not part of snapshots.
    order: Order,
    /// Sorted runs not yet taken by the host ([`Detector::take_spill`]).
    spills: std::collections::VecDeque<Vec<u8>>,
    /// Set while the last source is finished for a merge: the held events stay held.
    no_spill: bool,
    /// The merge in progress ([`Order::Merge`]).
    merge: Option<Box<Merge>>,
    /// Live mode ([`Detector::set_live`]): the open alerts.
    live: Option<Box<crate::live::Live>>,
}

/// A time less a fixed span, remembered for the last time it was asked for. Most records share
/// their second with the one before, and date arithmetic on a timestamp costs about a hundred
/// instructions (counted with callgrind at commit 3f12bc2). Derived state: not part of snapshots.
#[derive(Debug, Clone, Default)]
struct Behind {
    at: Option<DateTime<Utc>>,
    less: Option<DateTime<Utc>>,
}

impl Behind {
    /// `at - span`, or `None` when that is before the earliest representable time.
    fn get(&mut self, at: DateTime<Utc>, span: chrono::TimeDelta) -> Option<DateTime<Utc>> {
        if self.at != Some(at) {
            self.at = Some(at);
            self.less = at.checked_sub_signed(span);
        }
        self.less
    }
}

/// A compact view of one analysed event, for timelines and maps in review tools (see
/// [`Detector::set_event_log`]). Field names are the alert's where they exist.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct EventSummary {
    #[serde(rename = "Time", serialize_with = "crate::alert::ser_time")]
    pub time: DateTime<Utc>,
    #[serde(rename = "Identity")]
    pub identity: String,
    /// The key signals group by (lower-cased; Windows: the account name without domain).
    #[serde(rename = "IdentityKey")]
    pub identity_key: String,
    #[serde(rename = "Outcome")]
    pub outcome: crate::event::Outcome,
    #[serde(rename = "ResultType", skip_serializing_if = "Option::is_none")]
    pub result: Option<String>,
    #[serde(rename = "IPAddress", skip_serializing_if = "Option::is_none")]
    pub ip: Option<String>,
    #[serde(rename = "Country", skip_serializing_if = "Option::is_none")]
    pub country: Option<String>,
    #[serde(rename = "City", skip_serializing_if = "Option::is_none")]
    pub city: Option<String>,
    #[serde(rename = "Latitude", skip_serializing_if = "Option::is_none")]
    pub latitude: Option<f64>,
    #[serde(rename = "Longitude", skip_serializing_if = "Option::is_none")]
    pub longitude: Option<f64>,
    #[serde(rename = "App", skip_serializing_if = "Option::is_none")]
    pub app: Option<String>,
    #[serde(rename = "EventID", skip_serializing_if = "Option::is_none")]
    pub event_id: Option<u32>,
    #[serde(rename = "Source")]
    pub source: Shared<str>,
    #[serde(rename = "Line")]
    pub line: u64,
}

/// What [`Detector::restore`] reads after the header (see [`Detector::snapshot`]).
#[derive(Deserialize)]
struct Snapshot {
    /// Written for people inspecting a snapshot; the format version decides compatibility.
    _detector_version: String,
    /// The configuration and statistics as JSON text: their serde forms are the interface's
    /// (JSON-only attributes), and their JSON readers are in the module anyway.
    config: String,
    stats: String,
    pending: Vec<crate::alert::Binary>,
    ingest: Ingest,
    reorder: Vec<(u64, AuthEvent)>,
    newest: Option<DateTime<Utc>>,
    clock: Option<DateTime<Utc>>,
    seq: u64,
    signals: Signals,
    seen_ids: Vec<(DateTime<Utc>, Shared<str>)>,
    identities: crate::identity::Identities,
    /// Live mode's open alerts (`None`: not live).
    live: Option<crate::live::Snapshot<crate::alert::Binary>>,
}

impl Detector {
    /// A detector with the given configuration.
    pub fn new(cfg: Config) -> Detector {
        let ignored = cfg
            .allowlist
            .ignored_identities
            .iter()
            .map(|s| s.trim().to_lowercase())
            .collect();
        Detector {
            ingest: Ingest::new(DEFAULT_SOURCE, cfg.limits.max_record_bytes),
            core: Core {
                signals: Signals::new(&cfg),
                identities: Default::default(),
                compiled: Compiled::new(&cfg),
                seen_ids: Default::default(),
                ignored,
                cfg,
                reorder: Reorder::default(),
                newest: None,
                clock: None,
                seq: 0,
                stats: Stats::default(),
                pending: Vec::new(),
                enrichment: Enrichment::default(),
                event_log: None,
                event_log_filter: None,
                release_before: Behind::default(),
                ids_before: Behind::default(),
                order: Order::Stream,
                spills: Default::default(),
                no_spill: false,
                merge: None,
                live: None,
            },
        }
    }

    /// How input order is treated: [`Order::Stream`] (the default: live input, a lateness
    /// window), [`Order::Offline`] (input that ends: in order it streams, otherwise
    /// [`Order::Restart`] asks for it again to sort) or [`Order::Sort`] (input known to be out of
    /// order). See [`crate::offline`]. Set before the first input; not part of snapshots.
    pub fn set_order(&mut self, order: Order) -> Result<(), Error> {
        match order {
            Order::Offline | Order::Sort if self.core.live.is_some() => Err(Error::new(
                ErrorKind::Run,
                format!("{order:?} input order and live mode exclude each other"),
            )),
            Order::Stream | Order::Offline | Order::Sort => {
                self.core.order = order;
                Ok(())
            }
            _ => Err(Error::new(
                ErrorKind::Run,
                format!("{order:?} is a state the detector enters, not one to set"),
            )),
        }
    }

    /// The current [`Order`]: [`Order::Restart`] means offline input was found out of time order,
    /// and the host must call [`restart_sorted`](Detector::restart_sorted) and read every input
    /// again from its start.
    pub fn order(&self) -> Order {
        self.core.order
    }

    /// Forget all input and state (configuration and enrichment kept) and read the input again
    /// in [`Order::Sort`].
    pub fn restart_sorted(&mut self) {
        let core = &mut self.core;
        let mut fresh = Detector::new(core.cfg.clone());
        fresh.core.enrichment = std::mem::take(&mut core.enrichment);
        fresh.core.event_log = core.event_log.as_ref().map(|_| Vec::new());
        fresh.core.event_log_filter = core.event_log_filter.take();
        fresh.core.order = Order::Sort;
        fresh.core.stats.input_sorted = true;
        *self = fresh;
    }

    /// A sorted run to store (in [`Order::Sort`], whenever `limits.sort_run_events` events were
    /// held): the host keeps the bytes and hands them back to
    /// [`merge_begin`](Detector::merge_begin) / [`merge_feed`](Detector::merge_feed) at the end.
    /// Take them after each push until `None`.
    pub fn take_spill(&mut self) -> Option<Vec<u8>> {
        self.core.spills.pop_front()
    }

    /// End of offline input in [`Order::Sort`] with `runs` runs spilled: finish the last source
    /// and start merging the runs with the events held. Returns the alerts that became final;
    /// then hand over the bytes of each run [`merge_wanted`](Detector::merge_wanted) names with
    /// [`merge_feed`](Detector::merge_feed) until it names none, then [`flush`](Detector::flush).
    pub fn merge_begin(&mut self, runs: u64) -> Result<Vec<Alert>, Error> {
        let err = |m: String| Error::new(ErrorKind::Run, m);
        let core = &mut self.core;
        if core.order != Order::Sort {
            return Err(err(format!(
                "merge_begin in {:?}: only a sorting detector merges",
                core.order
            )));
        }
        if !core.spills.is_empty() || runs != core.stats.spilled_runs {
            return Err(err(format!(
                "merge_begin with {runs} runs: {} were spilled, {} of them not taken",
                core.stats.spilled_runs,
                core.spills.len()
            )));
        }
        core.no_spill = true;
        let name = self.ingest.source().to_string();
        self.ingest.finish(&name, None, &mut |it| core.handle(it));
        core.no_spill = false;
        let mut held = std::collections::VecDeque::with_capacity(core.reorder.len());
        let mut reorder = std::mem::take(&mut core.reorder);
        while reorder.take_first_keyed(&mut |seq, ev| {
            held.push_back(((ev.time, ev.tie_key(), seq), ev.clone()))
        }) {}
        core.merge = Some(Box::new(Merge::new(runs as usize, held)));
        core.order = Order::Merge;
        self.merge_feed(None, &[])
    }

    /// The run whose next bytes the merge needs, `None` when the merge is over.
    pub fn merge_wanted(&self) -> Option<usize> {
        self.core.merge.as_ref().and_then(|m| m.wanted())
    }

    /// The next bytes of run `run` (empty: the run is over). Returns the alerts that became final.
    pub fn merge_feed(&mut self, run: Option<usize>, bytes: &[u8]) -> Result<Vec<Alert>, Error> {
        let core = &mut self.core;
        let Some(mut m) = core.merge.take() else {
            return Err(Error::new(
                ErrorKind::Run,
                "merge_feed without merge_begin".to_string(),
            ));
        };
        let res = (|| {
            if let Some(r) = run {
                m.feed(r, bytes)?;
            }
            while let Some(mut ev) = m.pop()? {
                core.process(&mut ev);
            }
            Ok(())
        })();
        core.merge = Some(m);
        res.map(|()| core.take_alerts())
    }

    /// Keep a compact copy of every analysed event (after enrichment) until
    /// [`take_events`](Detector::take_events) collects it: for review tools that draw timelines.
    /// Off by default; not part of snapshots.
    pub fn set_event_log(&mut self, on: bool) {
        self.core.event_log = on.then(Vec::new);
    }

    /// Log only the events of one identity: its key (`IdentityKey`) or its name as alerts give
    /// it (`UserPrincipalName`), in any case; `None` logs every event. A timeline re-reads the
    /// input with this set instead of keeping every event of a large scan.
    pub fn set_event_log_filter(&mut self, identity: Option<&str>) {
        self.core.event_log_filter = identity.map(str::to_lowercase);
    }

    /// The events logged since the last call (empty when the log is off).
    pub fn take_events(&mut self) -> Vec<EventSummary> {
        self.core
            .event_log
            .as_mut()
            .map(std::mem::take)
            .unwrap_or_default()
    }

    /// Add a MaxMind-format `.mmdb` database (City, Country or ASN) for IP enrichment of records
    /// that lack geolocation or AS data (see [`crate::enrich`]). Not part of snapshots.
    pub fn add_mmdb(&mut self, bytes: Vec<u8>) -> Result<EnrichmentInfo, Error> {
        self.core.enrichment.add_mmdb(bytes)
    }

    /// Add an ip2asn TSV (decompressed) for AS enrichment (see [`crate::enrich`]). Not part of snapshots.
    pub fn add_ip2asn(&mut self, bytes: &[u8]) -> Result<EnrichmentInfo, Error> {
        self.core.enrichment.add_ip2asn(bytes)
    }

    /// A detector from a JSON configuration (see [`Config::from_json`]).
    pub fn from_json_config(json: &str) -> Result<Detector, Error> {
        Ok(Detector::new(Config::from_json(json)?))
    }

    /// The configuration in force.
    pub fn config(&self) -> &Config {
        &self.core.cfg
    }

    /// Start a new source (file). The previous source is finished: a last record without a trailing
    /// newline is processed, an unfinished one rejected. Evidence names records by this source name.
    pub fn begin_source(&mut self, name: &str) {
        self.begin_source_as(name, None);
    }

    /// Like [`begin_source`](Detector::begin_source), reading the new source as `format` instead of
    /// detecting it from its first bytes.
    pub fn begin_source_as(&mut self, name: &str, format: Option<crate::ingest::InputFormat>) {
        let core = &mut self.core;
        self.ingest.finish(name, format, &mut |it| core.handle(it));
    }

    /// Live mode ([`crate::live`]): events wait only `live_lateness_secs` for older ones, and
    /// every alert is returned as soon as the records decide it, then again (a new `Revision`)
    /// when later records change it, and a last time `Closed` when its window ends — that last
    /// revision is the offline alert. Returned alerts are in the order they were made, not
    /// sorted. Set before the first input (turning it off forgets the open alerts). Live input
    /// is a stream: an error in another input order ([`Detector::set_order`]).
    pub fn set_live(&mut self, on: bool) -> Result<(), Error> {
        let core = &mut self.core;
        if on && core.order != Order::Stream {
            return Err(Error::new(
                ErrorKind::Run,
                format!("live mode needs stream input order, not {:?}", core.order),
            ));
        }
        if on != core.live.is_some() {
            core.live = on.then(Default::default);
            core.release_before = Behind::default();
        }
        Ok(())
    }

    /// Whether live mode is on.
    pub fn live(&self) -> bool {
        self.core.live.is_some()
    }

    /// Process every event still waiting for older ones, now: for a live host whose input has
    /// gone quiet (its own clock says so; the detector has none). Events older than those that
    /// arrive afterwards are processed late, as any event behind the lateness window. Returns the
    /// alerts (live: revisions) this makes.
    pub fn release_held(&mut self) -> Vec<Alert> {
        let core = &mut self.core;
        if matches!(core.order, Order::Restart | Order::Sort | Order::Merge) {
            return Vec::new();
        }
        let mut reorder = std::mem::take(&mut core.reorder);
        while reorder.take_first(&mut |ev| core.process(ev)) {}
        core.reorder = reorder;
        core.take_alerts()
    }

    /// Feed a chunk of input (split anywhere). Returns alerts that became final, sorted.
    pub fn push(&mut self, bytes: &[u8]) -> Vec<Alert> {
        let core = &mut self.core;
        if matches!(core.order, Order::Restart | Order::Merge) {
            return Vec::new();
        }
        core.stats.bytes += bytes.len() as u64;
        if !bytes.is_empty() && !self.ingest.used {
            self.ingest.used = true;
            core.stats.sources += 1;
        }
        self.ingest.push(bytes, &mut |it| core.handle(it));
        core.take_alerts()
    }

    /// Feed one event made outside the readers (adapters living outside the crate, and tests). It
    /// is put into the readers' normalized forms first (see [`AuthEvent`]).
    pub fn push_event(&mut self, mut ev: AuthEvent) -> Vec<Alert> {
        crate::ingest::normalize::event(&mut ev);
        let core = &mut self.core;
        core.stats.records_read += 1;
        core.stats.records_parsed += 1;
        core.accept(Box::new(ev));
        core.take_alerts()
    }

    /// End of input: finish the current source, process everything buffered, close every open
    /// window. Returns the remaining alerts, sorted. The detector can be used again afterwards.
    pub fn flush(&mut self) -> Vec<Alert> {
        let core = &mut self.core;
        match core.order {
            Order::Restart => return Vec::new(),
            Order::Merge => {
                // What the merge can still process (all of it, when the host fed every run).
                if let Some(mut m) = core.merge.take() {
                    while let Ok(Some(mut ev)) = m.pop() {
                        core.process(&mut ev);
                    }
                }
                core.order = Order::Sort;
            }
            _ => {}
        }
        let name = self.ingest.source().to_string();
        self.ingest.finish(&name, None, &mut |it| core.handle(it));
        let mut reorder = std::mem::take(&mut core.reorder);
        while reorder.take_first(&mut |ev| core.process(ev)) {}
        core.reorder = reorder;
        core.finish_signals();
        core.take_alerts()
    }

    /// Statistics so far.
    pub fn stats(&self) -> Stats {
        let mut s = self.core.stats.clone();
        s.identities_tracked = self.core.signals.identities();
        s
    }

    /// The detector's whole state as bytes, to [`restore`](Detector::restore) later — across hosts
    /// too: a snapshot from the CLI restores in Node.
    ///
    /// Layout: the 16-byte [`SNAPSHOT_MAGIC`], the [`SNAPSHOT_VERSION`] as 4 bytes little-endian,
    /// a 64-bit checksum of the rest (little-endian), then the state in postcard (a compact serde
    /// encoding without field names), in the field order of `Snapshot`. A damaged or truncated
    /// snapshot is refused instead of restoring altered state.
    pub fn snapshot(&self) -> Vec<u8> {
        // Borrowed, field for field the layout `Snapshot` reads back: nothing is copied first.
        #[derive(Serialize)]
        struct SnapshotRef<'a> {
            detector_version: &'a str,
            config: String,
            stats: String,
            pending: Vec<crate::alert::BinaryRef<'a>>,
            ingest: &'a Ingest,
            reorder: Vec<(u64, &'a crate::reorder::Parked)>,
            newest: Option<DateTime<Utc>>,
            clock: Option<DateTime<Utc>>,
            seq: u64,
            signals: &'a Signals,
            seen_ids: &'a crate::dedup::SeenIds,
            identities: &'a crate::identity::Identities,
            live: Option<crate::live::Snapshot<crate::alert::BinaryRef<'a>>>,
        }
        let snap = SnapshotRef {
            detector_version: crate::VERSION,
            config: serde_json::to_string(&self.core.cfg).expect("config serializes"),
            stats: serde_json::to_string(&self.core.stats).expect("stats serialize"),
            pending: self
                .core
                .pending
                .iter()
                .map(crate::alert::BinaryRef::of)
                .collect(),
            ingest: &self.ingest,
            reorder: self.core.reorder.held(),
            newest: self.core.newest,
            clock: self.core.clock,
            seq: self.core.seq,
            signals: &self.core.signals,
            seen_ids: &self.core.seen_ids,
            identities: &self.core.identities,
            live: self.core.live.as_ref().map(|l| l.snapshot()),
        };
        let mut out = SNAPSHOT_MAGIC.to_vec();
        out.extend_from_slice(&SNAPSHOT_VERSION.to_le_bytes());
        out.extend_from_slice(&[0; 8]);
        let mut out = postcard::to_extend(&snap, out).expect("snapshot serializes");
        let sum = checksum(&out[SNAPSHOT_HEADER..]);
        out[SNAPSHOT_HEADER - 8..SNAPSHOT_HEADER].copy_from_slice(&sum.to_le_bytes());
        out
    }

    /// Rebuild a detector from [`snapshot`](Detector::snapshot) bytes.
    pub fn restore(bytes: &[u8]) -> Result<Detector, Error> {
        let err = |m: String| Error::new(ErrorKind::Snapshot, m);
        let Some(rest) = bytes.strip_prefix(SNAPSHOT_MAGIC.as_slice()) else {
            return Err(err("not a t1586 snapshot".into()));
        };
        let Some((version, body)) = rest.split_first_chunk::<4>() else {
            return Err(err("corrupt snapshot: truncated header".into()));
        };
        let version = u32::from_le_bytes(*version);
        if version != SNAPSHOT_VERSION {
            return Err(err(format!(
                "snapshot version {version} is not supported (this detector reads version {SNAPSHOT_VERSION})"
            )));
        }
        let Some((sum, body)) = body.split_first_chunk::<8>() else {
            return Err(err("corrupt snapshot: truncated header".into()));
        };
        if u64::from_le_bytes(*sum) != checksum(body) {
            return Err(err(
                "corrupt snapshot: checksum mismatch (the bytes were damaged or cut short)".into(),
            ));
        }
        let corrupt =
            |what: &str, e: &dyn std::fmt::Display| err(format!("corrupt snapshot: {what}: {e}"));
        let (s, left): (Snapshot, _) =
            postcard::take_from_bytes(body).map_err(|e| corrupt("state", &e))?;
        if !left.is_empty() {
            return Err(err(format!(
                "corrupt snapshot: {} bytes after the state",
                left.len()
            )));
        }
        let cfg = Config::from_json(&s.config).map_err(|e| corrupt("config", &e))?;
        let stats: Stats =
            serde_json::from_slice(s.stats.as_bytes()).map_err(|e| corrupt("stats", &e))?;
        let pending = s
            .pending
            .into_iter()
            .map(crate::alert::Binary::into_alert)
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| corrupt("pending alert", &e))?;
        let mut d = Detector::new(cfg);
        d.ingest = s.ingest;
        for (seq, e) in s.reorder {
            d.core.reorder.insert(seq, Box::new(e));
        }
        d.core.newest = s.newest;
        d.core.clock = s.clock;
        d.core.seq = s.seq;
        d.core.signals = s.signals;
        d.core.stats = stats;
        d.core.pending = pending;
        d.core.seen_ids = crate::dedup::SeenIds::from_pairs(s.seen_ids);
        d.core.identities = s.identities;
        if let Some(open) = s.live {
            d.core.live = Some(Box::new(
                crate::live::Live::restore(open).map_err(|e| corrupt("live alert", &e))?,
            ));
        }
        Ok(d)
    }
}

impl Core {
    fn take_alerts(&mut self) -> Vec<Alert> {
        let mut out = std::mem::take(&mut self.pending);
        if self.live.is_some() {
            // Revisions in the order they were made; closed ones are the alerts.
            self.stats.alerts += out
                .iter()
                .filter(|a| a.status == Some(crate::alert::Status::Closed))
                .count() as u64;
            return out;
        }
        sort_alerts(&mut out);
        self.stats.alerts += out.len() as u64;
        out
    }

    /// How far behind the newest event an event waits for older ones.
    fn lateness(&self) -> u64 {
        if self.live.is_some() {
            self.cfg.live_lateness_secs
        } else {
            self.cfg.max_lateness_secs
        }
    }

    /// One record from the reader.
    fn handle(&mut self, it: Item) {
        if self.order == Order::Restart {
            return;
        }
        self.stats.records_read += 1;
        let decoded = match it.decoded {
            // The seed's queries read the user sign-in table only.
            Decoded::Event(ev)
                if ev.source_kind.is_workload() && self.cfg.profile == crate::Profile::Seed =>
            {
                Decoded::Ignored("workload-identity sign-in (the seed profile reads user sign-ins)")
            }
            d => d,
        };
        match decoded {
            Decoded::Event(ev) => {
                self.stats.records_parsed += 1;
                self.accept(ev);
            }
            Decoded::Ignored(reason) => {
                self.stats.records_parsed += 1;
                self.stats.records_ignored += 1;
                *self
                    .stats
                    .ignored_by_reason
                    .entry(reason.to_string())
                    .or_default() += 1;
            }
            Decoded::Rejected { reason, detail } => {
                self.stats.records_rejected += 1;
                *self
                    .stats
                    .rejected_by_reason
                    .entry(reason.to_string())
                    .or_default() += 1;
                if self.stats.errors.len() < self.cfg.limits.max_error_details {
                    self.stats.errors.push(RecordError {
                        source: it.source.to_string(),
                        line: it.line,
                        reason: detail,
                    });
                } else {
                    self.stats.errors_not_listed += 1;
                }
            }
        }
    }

    /// Boxed from the reader; held in place in the reordering buffer (see `reorder`).
    fn accept(&mut self, mut ev: Box<AuthEvent>) {
        if !self.enrichment.is_empty() {
            self.enrichment.apply(&mut ev, &mut self.stats.enrichment);
        }
        if self.ignored.contains(&*ev.identity_key) {
            self.stats.events_allowlisted += 1;
            return;
        }
        self.stats.events += 1;
        if self.order == Order::Sort {
            self.seq += 1;
            self.reorder.insert(self.seq, ev);
            if self.reorder.len() >= self.cfg.limits.sort_run_events && !self.no_spill {
                self.spill();
            }
            return;
        }
        let offline = self.order == Order::Offline;
        // Offline, an event at the time of one processed could belong before it (tie keys): as
        // good as late.
        if self
            .clock
            .is_some_and(|c| ev.time < c || (offline && ev.time == c))
        {
            if offline {
                self.order = Order::Restart;
                return;
            }
            self.stats.late_events += 1;
            self.process(&mut ev);
            return;
        }
        self.newest = Some(self.newest.map_or(ev.time, |n| n.max(ev.time)));
        self.seq += 1;
        self.reorder.insert(self.seq, ev);
        let newest = self.newest.expect("set above");
        let release_before = self.release_before.get(newest, secs(self.lateness()));
        // Events are read where they wait: the buffer is set aside while the signals read them.
        let mut reorder = std::mem::take(&mut self.reorder);
        loop {
            let over_cap = reorder.len() > self.cfg.limits.max_buffered_events;
            let Some(first) = reorder.first_time() else {
                break;
            };
            // Not yet `max_lateness_secs` behind the newest time (offline: strictly behind, so
            // that every event of a time is there when the first of them is processed).
            if !over_cap && release_before.is_none_or(|t| first > t || (offline && first == t)) {
                break;
            }
            if over_cap {
                self.stats.cap("max_buffered_events");
            }
            reorder.take_first(&mut |ev| self.process(ev));
        }
        self.reorder = reorder;
        // Live: every event up to the watermark has been processed and any older one from now
        // on is late, so windows that end by it close now — not when the next event is
        // processed, which a filter that only runs per record may never see.
        if self.live.is_some()
            && let Some(w) = release_before
            && self.clock.is_some_and(|c| c < w)
        {
            self.advance_live(w);
        }
    }

    /// Live mode: move the clock to `now` without an event, closing what it makes final.
    fn advance_live(&mut self, now: DateTime<Utc>) {
        self.clock = Some(now);
        self.step(|signals, ctx| signals.advance(now, ctx));
    }

    /// One step of the signals (an event, the clock moving, the end of input). Offline its
    /// alerts are pending; live, they close open alerts and the step's revisions go out
    /// ([`Core::end_step`]).
    fn step(&mut self, step: impl FnOnce(&mut Signals, &mut Ctx<'_>)) {
        let Some(live) = self.live.as_deref_mut() else {
            let mut ctx = Ctx::new(
                &self.cfg,
                &self.compiled,
                &mut self.pending,
                &mut self.stats,
                None,
            );
            step(&mut self.signals, &mut ctx);
            return;
        };
        let mut real = Vec::new();
        let mut ctx = Ctx::new(
            &self.cfg,
            &self.compiled,
            &mut real,
            &mut self.stats,
            Some(live),
        );
        step(&mut self.signals, &mut ctx);
        self.end_step(real);
    }

    /// Write the held events out as a sorted run for the host to store.
    fn spill(&mut self) {
        let mut run = Vec::new();
        let mut reorder = std::mem::take(&mut self.reorder);
        while reorder.take_first_keyed(&mut |seq, ev| {
            crate::offline::write_event(&mut run, seq, ev.tie_key(), ev)
        }) {}
        self.reorder = reorder;
        self.spills.push_back(run);
        self.stats.spilled_runs += 1;
    }

    /// One sign-in written as several rows (same record id) counts once (`dedup`). Ids are kept
    /// for one window behind the clock, at most `limits.max_buffered_events` of them.
    fn duplicate(&mut self, ev: &AuthEvent, now: DateTime<Utc>) -> bool {
        let Some(id) = ev.record.record_id.as_ref().filter(|_| self.cfg.dedup) else {
            return false;
        };
        // Windows record ids count per computer's log: two hosts' record 42 are different records.
        let id: std::borrow::Cow<'_, str> =
            match ev.windows.as_ref().and_then(|w| w.computer.as_deref()) {
                Some(host) => format!("{}\u{1f}{id}", host.to_lowercase()).into(),
                None => (&**id).into(),
            };
        if let Some(t) = self.ids_before.get(now, secs(self.cfg.window_secs)) {
            self.seen_ids.expire(t);
        }
        let full = self.seen_ids.len() >= self.cfg.limits.max_buffered_events;
        if !self.seen_ids.insert(ev.time, &id) {
            self.stats.duplicates += 1;
            return true;
        }
        if full {
            // The oldest id makes room (never the one just added).
            if self.seen_ids.len() > 1 {
                self.seen_ids.pop_oldest();
            }
            self.stats.cap("max_buffered_events");
        }
        false
    }

    /// Hand one event to the signals, after closing whatever its time makes final. Windows
    /// accounts are keyed by domain and name first ([`crate::identity`]), in processing order.
    fn process(&mut self, ev: &mut AuthEvent) {
        self.identities.resolve(ev, &self.cfg, &mut self.stats);
        if let Some(log) = &mut self.event_log
            && self.event_log_filter.as_deref().is_none_or(|f| {
                *ev.identity_key == *f
                    || ev
                        .identity
                        .chars()
                        .flat_map(char::to_lowercase)
                        .eq(f.chars())
            })
        {
            log.push(EventSummary {
                time: ev.time,
                identity: ev.identity.to_string(),
                identity_key: ev.identity_key.to_string(),
                outcome: ev.outcome,
                result: ev.result_code.as_deref().map(String::from),
                ip: ev.ip.as_ref().map(ToString::to_string),
                country: ev.country.as_deref().map(String::from),
                city: ev.city.as_deref().map(String::from),
                latitude: ev.latitude,
                longitude: ev.longitude,
                app: ev.app.as_deref().map(String::from),
                event_id: ev.event_id(),
                source: ev.record.source.clone(),
                line: ev.record.line,
            });
        }
        let now = self.clock.map_or(ev.time, |c| c.max(ev.time));
        self.clock = Some(now);
        if self.duplicate(ev, now) {
            return;
        }
        self.step(|signals, ctx| {
            signals.advance(now, ctx);
            signals.observe(ev, ctx);
        });
    }

    /// End of input: close every open window.
    fn finish_signals(&mut self) {
        self.step(|signals, ctx| signals.finish(ctx));
    }

    /// Live mode, after one record (or the end of input): the real alerts close their live
    /// alerts, combined risk is speculated for the identities whose alerts changed, and the
    /// step's revisions go out.
    fn end_step(&mut self, real: Vec<Alert>) {
        let Some(live) = self.live.as_deref_mut() else {
            return;
        };
        for a in real {
            live.close(a);
        }
        let dirty = live.take_dirty();
        if !dirty.is_empty() {
            let mut ctx = Ctx::new(
                &self.cfg,
                &self.compiled,
                &mut self.pending,
                &mut self.stats,
                Some(live),
            );
            self.signals.speculate_combined(dirty, &mut ctx);
        }
        let live = self.live.as_deref_mut().expect("live");
        live.end_step(&mut self.pending, &mut self.stats);
    }
}
