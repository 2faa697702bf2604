//! Live mode: an alert as soon as the records decide it, revised as more arrive.
//!
//! An offline scan reports an alert when its window closes (or at the end of input). Live mode
//! ([`crate::Detector::set_live`]) also reports, after every record, what an offline scan ending at
//! that record would report about the identity or source the record touched: each signal's state
//! for that key is copied and finished ([`crate::signals::IdState::speculate`]) — the same code
//! that ends an offline scan, so a live alert says exactly what the offline alert would if the
//! input stopped there. Its first revision comes at the record that decides it (the success that
//! completes a stuffing run, the fifth account of a spray, the second country of a travel pair);
//! later records that change it give revisions of the same [`Alert::alert_id`]; when its window
//! closes the real alert is emitted with [`Status::Closed`], and that last revision is exactly the
//! offline alert.
//!
//! * **Revisions** — one per record at most (changes within one record's processing are one
//!   step). A change of the detection type, risk, IPs, apps, countries or details makes one; a
//!   change of the counts alone makes one while they are below 8 and then each time one reaches a
//!   power of two (a long attack gives a logarithmic number of lines, not one per record).
//!   Evidence and times alone make none: the closing revision carries them.
//! * **Withdrawn** — an open alert that later records turned into something no offline scan
//!   reports (an attempt that turned out to be a user who mistyped once too few times for the
//!   compromise rule, then got in; an alert whose window start moved) gets a last revision with
//!   [`Status::Withdrawn`].
//! * **Combined risk** reads other alerts: it is speculated after each record from the identity's
//!   open alerts and what it has seen of the closed ones.
//!
//! Live state (the open alerts) is part of snapshots.

use indexmap::{IndexMap, IndexSet};
use rustc_hash::{FxBuildHasher, FxHashMap};

use crate::alert::{Alert, Binary, BinaryRef, Status};
use crate::event::FixedHash;
use crate::stats::Stats;

/// An open alert as snapshots hold it: id, revision, summary hash, owner, the alert.
pub(crate) type Stored<A> = (String, u32, u64, Owner, A);

/// Who speculated an alert: a signal's tracker and key ([`owner`]).
pub(crate) type Owner = u64;

/// The owner of alerts speculated from `signal`'s state of type `state` for `key`.
pub(crate) fn owner(signal: &str, state: &str, key: &str) -> Owner {
    let mut h = FixedHash(0x006f_776e_6572);
    h.bytes(signal.as_bytes());
    h.word(0xff);
    h.bytes(state.as_bytes());
    h.word(0xff);
    h.bytes(key.as_bytes());
    h.0
}

/// An alert sent and still open.
#[derive(Debug, Clone)]
struct Open {
    /// Its latest content (the last revision sent, or a later one that changed nothing material).
    alert: Alert,
    revision: u32,
    summary: u64,
    owner: Owner,
}

/// What happened to an alert during the current step.
#[derive(Debug, Clone)]
struct Change {
    alert: Alert,
    status: Status,
    owner: Owner,
}

/// The open alerts, and the current step's changes.
#[derive(Debug, Clone, Default)]
pub(crate) struct Live {
    open: FxHashMap<String, Open>,
    /// The ids each owner speculated last (sent or not yet).
    owners: FxHashMap<Owner, Vec<String>>,
    /// Lower-cased identity → ids of its open alerts (sent or not yet), for combined risk.
    users: FxHashMap<String, IndexSet<String, FxBuildHasher>>,
    step: IndexMap<String, Change, FxBuildHasher>,
    /// Ids an owner stopped speculating during this step.
    missing: IndexSet<String, FxBuildHasher>,
    /// Identities whose alerts changed during this step (for combined risk).
    dirty: IndexSet<String, FxBuildHasher>,
}

/// The detection type of combined risk, whose alerts do not feed combined risk.
const COMBINED: &str = crate::signals::combined::DETECTION.name;

impl Live {
    /// `owner` now speculates exactly `alerts` (each with its id).
    pub fn speculated(&mut self, owner: Owner, alerts: Vec<Alert>) {
        let before = if alerts.is_empty() {
            match self.owners.remove(&owner) {
                Some(b) => b,
                None => return,
            }
        } else {
            let ids: Vec<String> = alerts.iter().map(|a| a.alert_id.clone()).collect();
            self.owners.insert(owner, ids).unwrap_or_default()
        };
        for id in before {
            if !alerts.iter().any(|a| a.alert_id == id) {
                self.missing.insert(id);
            }
        }
        for a in alerts {
            self.missing.shift_remove(&a.alert_id);
            self.note(a, Status::Open, owner);
        }
    }

    /// A real alert (its window closed, or the input ended).
    pub fn close(&mut self, a: Alert) {
        self.missing.shift_remove(&a.alert_id);
        let owner = self
            .step
            .get(&a.alert_id)
            .map(|c| c.owner)
            .or_else(|| self.open.get(&a.alert_id).map(|o| o.owner));
        if let Some(ids) = owner.and_then(|o| self.owners.get_mut(&o)) {
            ids.retain(|i| *i != a.alert_id);
        }
        self.note(a, Status::Closed, owner.unwrap_or(0));
    }

    fn note(&mut self, a: Alert, status: Status, owner: Owner) {
        if a.detection_type != COMBINED && a.user_principal_name != crate::signals::MULTIPLE {
            let user = a.user_principal_name.to_lowercase();
            let ids = self.users.entry(user.clone()).or_default();
            if status == Status::Open {
                ids.insert(a.alert_id.clone());
            } else {
                ids.shift_remove(&a.alert_id);
            }
            self.dirty.insert(user);
        }
        self.step.insert(
            a.alert_id.clone(),
            Change {
                alert: a,
                status,
                owner,
            },
        );
    }

    /// Identities whose alerts changed in this step, with their open alerts (latest content), for
    /// combined risk; the set is emptied.
    pub fn take_dirty(&mut self) -> Vec<(String, Vec<Alert>)> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .into_iter()
            .map(|user| {
                let mut alerts: Vec<Alert> = self
                    .users
                    .get(&user)
                    .into_iter()
                    .flatten()
                    .filter(|id| !self.missing.contains(*id))
                    .filter_map(|id| match self.step.get(id) {
                        Some(c) if c.status == Status::Open => Some(c.alert.clone()),
                        Some(_) => None,
                        None => self.open.get(id).map(|o| o.alert.clone()),
                    })
                    .collect();
                alerts.sort_by(|a, b| {
                    a.first_seen
                        .cmp(&b.first_seen)
                        .then_with(|| a.detection_type.cmp(&b.detection_type))
                        .then_with(|| a.alert_id.cmp(&b.alert_id))
                });
                (user, alerts)
            })
            .collect()
    }

    /// End of a step: withdraw what no owner speculates any more, then write the revisions (in
    /// the order the alerts first changed in the step) to `out`.
    pub fn end_step(&mut self, out: &mut Vec<Alert>, stats: &mut Stats) {
        for id in std::mem::take(&mut self.missing) {
            if let Some(o) = self.open.get(&id) {
                let (alert, owner) = (o.alert.clone(), o.owner);
                self.note(alert, Status::Withdrawn, owner);
            } else {
                // Never sent: forgotten.
                if let Some(c) = self.step.shift_remove(&id) {
                    self.forget_user(&c.alert);
                }
            }
        }
        for (id, c) in std::mem::take(&mut self.step) {
            let mut a = c.alert;
            match c.status {
                Status::Open => {
                    let summary = summary(&a);
                    let revision = match self.open.get_mut(&id) {
                        Some(o) => {
                            let changed = o.summary != summary;
                            o.alert = a.clone();
                            o.summary = summary;
                            o.owner = c.owner;
                            if !changed {
                                continue;
                            }
                            o.revision += 1;
                            o.revision
                        }
                        None => {
                            self.open.insert(
                                id,
                                Open {
                                    alert: a.clone(),
                                    revision: 1,
                                    summary,
                                    owner: c.owner,
                                },
                            );
                            1
                        }
                    };
                    a.revision = Some(revision);
                }
                Status::Closed | Status::Withdrawn => {
                    let revision = self.open.remove(&id).map_or(1, |o| o.revision + 1);
                    a.revision = Some(revision);
                    if c.status == Status::Withdrawn {
                        stats.withdrawn_alerts += 1;
                        self.forget_user(&a);
                        if let Some(ids) = self.owners.get_mut(&c.owner) {
                            ids.retain(|i| *i != id);
                        }
                    }
                }
            }
            a.status = Some(c.status);
            stats.live_revisions += 1;
            out.push(a);
        }
        self.owners.retain(|_, ids| !ids.is_empty());
        self.users.retain(|_, ids| !ids.is_empty());
    }

    fn forget_user(&mut self, a: &Alert) {
        if let Some(ids) = self.users.get_mut(&a.user_principal_name.to_lowercase()) {
            ids.shift_remove(&a.alert_id);
        }
    }

    /// The state to keep in a snapshot (between steps: nothing of a step is pending).
    pub fn snapshot(&self) -> Vec<Stored<BinaryRef<'_>>> {
        let mut v: Vec<_> = self
            .open
            .iter()
            .map(|(id, o)| {
                (
                    id.clone(),
                    o.revision,
                    o.summary,
                    o.owner,
                    BinaryRef::of(&o.alert),
                )
            })
            .collect();
        v.sort_by(|a, b| a.0.cmp(&b.0));
        v
    }

    /// Back from [`Live::snapshot`].
    pub fn restore(
        open: Vec<(String, u32, u64, Owner, Binary)>,
    ) -> Result<Live, serde_json::Error> {
        let mut live = Live::default();
        for (id, revision, summary, owner, a) in open {
            let alert = a.into_alert()?;
            live.owners.entry(owner).or_default().push(id.clone());
            if alert.detection_type != COMBINED
                && alert.user_principal_name != crate::signals::MULTIPLE
            {
                live.users
                    .entry(alert.user_principal_name.to_lowercase())
                    .or_default()
                    .insert(id.clone());
            }
            live.open.insert(
                id,
                Open {
                    alert,
                    revision,
                    summary,
                    owner,
                },
            );
        }
        Ok(live)
    }
}

/// Counts as revisions see them: exact below 8, then the power of two they have reached.
fn bucket(n: u64) -> u64 {
    if n < 8 {
        n
    } else {
        1 << (63 - n.leading_zeros())
    }
}

/// What makes a revision (see the module documentation), hashed.
fn summary(a: &Alert) -> u64 {
    let mut h = FixedHash(1);
    h.bytes(a.detection_type.as_bytes());
    h.word(u64::from(a.risk_score));
    h.word(bucket(a.failure_count));
    h.word(bucket(a.success_count));
    h.word(a.unique_ips);
    for list in [&a.ip_list, &a.apps, &a.countries] {
        h.word(list.len() as u64);
        for s in list {
            h.bytes(s.as_bytes());
        }
    }
    h.word(a.details.len() as u64);
    for (k, v) in &a.details {
        h.bytes(k.as_bytes());
        value(&mut h, v);
    }
    h.0
}

fn value(h: &mut FixedHash, v: &serde_json::Value) {
    use serde_json::Value;
    match v {
        Value::Null => h.word(0),
        Value::Bool(b) => h.word(2 + u64::from(*b)),
        Value::Number(n) => h.word(bucket(n.as_u64().unwrap_or(0))),
        Value::String(s) => h.bytes(s.as_bytes()),
        Value::Array(a) => h.word(bucket(a.len() as u64) | 1 << 62),
        Value::Object(o) => {
            h.word(o.len() as u64 | 1 << 61);
            for (k, v) in o {
                h.bytes(k.as_bytes());
                value(h, v);
            }
        }
    }
}
