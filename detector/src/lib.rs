/*!
The t1586 detection core: authentication events in, compromised-account alerts out.

Design choices, each made so the same bytes give the same alerts everywhere:

* **Pure and deterministic.** No clock, no randomness, no I/O, no threads. Time comes from the events;
  maps that are iterated to produce output are ordered (or sorted before output), so native Rust, the
  zero-import `.wasm` and the wasm-bindgen build produce byte-identical alert JSON.
* **Streaming.** [`Detector::push`] takes chunks of any size split anywhere (inside a record, inside a
  UTF-8 character); records are framed by a small byte-level state machine ([`ingest::framer`]) whose
  state is plain data, so a detector can be [snapshotted](Detector::snapshot) between chunks.
* **One normalized event.** Input adapters ([`ingest`]) map every format into [`AuthEvent`]; signals
  ([`signals`]) never see raw formats.
* **Bounded state.** Per-identity state older than the detection window is evicted; hard caps
  ([`config::Limits`]) bound tracked identities, distinct IPs and evidence, and every time a cap is hit a
  counter in [`Stats`] says so.
* **One thread.** Texts shared by many events and states are counted without atomic operations
  ([`shared::Shared`] is `Rc`), so a [`Detector`] is not `Send`; the feature `sync` makes it `Arc`
  and the detector `Send`.
* **Honest about input.** Every record is counted as parsed, ignored (with a reason) or rejected (with
  its source, line and reason); nothing is dropped silently.
*/
// Unsafe code is refused everywhere except the C ABI module, which opts in explicitly (the only
// place that may).
#![deny(unsafe_code)]

pub mod address;
pub mod alert;
pub mod config;
mod config_read;
mod dedup;
pub mod engine;
pub mod error;
pub mod event;
mod identity;
pub mod ingest;
pub mod iplist;
mod live;
pub mod mitre;
pub mod offline;
mod order;
mod reorder;
pub mod report;
pub mod shared;
pub mod signals;
pub mod stats;

#[cfg(feature = "abi")]
pub mod abi;
pub mod enrich;
pub mod mmdb;

pub use address::Address;
pub use alert::{Alert, Evidence, sort_alerts};
pub use config::{Config, Profile};
pub use engine::{Detector, EventSummary, SNAPSHOT_MAGIC, SNAPSHOT_VERSION};
pub use error::{Error, ErrorKind};
pub use event::{AuthEvent, FailureClass, Outcome, RecordRef};
pub use ingest::InputFormat;
pub use iplist::{IpList, IpListError, parse_ip_list};
pub use mitre::{Detection, Technique};
pub use offline::Order;
pub use signals::{catalog, catalog_json};
pub use stats::Stats;

// With the feature `sync`, a detector can move to another thread (checked here, at compile time).
#[cfg(feature = "sync")]
const _: fn() = || {
    fn send<T: Send>() {}
    send::<Detector>();
};

/// The detector version written into every alert (`DetectorVersion`).
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
