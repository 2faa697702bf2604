//! The one pointer type for what the detector holds in several places at once: the reader's shared
//! texts (identities, addresses, apps, countries...), evidence, signal keys and the enrichment
//! tables.
//!
//! By default it is [`Rc`](std::rc::Rc): the detector runs on one thread (no threads inside, and
//! the `.wasm` builds have none at all), and a counted pointer without atomic operations is cheaper
//! on every event: each one clones and drops dozens of them (measured natively: 4-9 % of the whole
//! run, commit 9806b16). A [`Detector`](crate::Detector) is then not `Send`.
//!
//! With the feature `sync` it is [`Arc`](std::sync::Arc), and a detector can be moved to another
//! thread (`Send`), as for a pool of detectors, one per tenant or source. The feature only
//! adds that trait: the API, the alerts and the snapshots are the same either way.

#[cfg(not(feature = "sync"))]
pub use std::rc::Rc as Shared;
#[cfg(feature = "sync")]
pub use std::sync::Arc as Shared;
