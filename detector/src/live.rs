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
//! * **Late records** (older than the lateness window allows) are processed when they come, and
//!   can raise an alert that already ended again: it goes on from its last revision (open again,
//!   then closed again; the last [`ENDED_KEPT`] ended alerts are remembered).
//! * **Combined risk** reads other alerts: it is speculated after each record from the identity's
//!   open alerts and what it has seen of the closed ones.
//!
//! Live state (the open alerts) is part of snapshots.

use rustc_hash::FxHashMap;

use crate::alert::{Alert, Binary, BinaryRef, Status};
use crate::event::FixedHash;
use crate::stats::Stats;

/// Who speculated an alert: a signal's tracker and key ([`owner`]).
pub(crate) type Owner = u64;

/// An alert id as a number (ids are 16 hex digits: [`crate::alert::alert_id`]).
type Id = u64;

fn id_of(a: &Alert) -> Id {
    u64::from_str_radix(&a.alert_id, 16).unwrap_or(0)
}

/// An open alert as snapshots hold it: revision, summary hash, owner, the alert.
pub(crate) type Stored<A> = (u32, u64, Owner, A);

/// Live state as snapshots hold it: the open alerts, the ended alerts' last revisions.
pub(crate) type Snapshot<A> = (Vec<Stored<A>>, Vec<(u64, u32)>);

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

/// The identity an alert is about, lower-cased, and its hash; `None` for alerts that do not feed
/// combined risk (its own, and those about a source).
fn user_of(a: &Alert) -> Option<(u64, String)> {
    if a.detection_type == COMBINED || a.user_principal_name == crate::signals::MULTIPLE {
        return None;
    }
    let user = a.user_principal_name.to_lowercase();
    let mut h = FixedHash(0x7573_6572);
    h.bytes(user.as_bytes());
    Some((h.0, user))
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
    id: Id,
    alert: Alert,
    status: Status,
    owner: Owner,
}

/// The open alerts, and the current step's changes (a step is one record: a handful of changes,
/// kept in lists).
#[derive(Debug, Clone, Default)]
pub(crate) struct Live {
    open: FxHashMap<Id, Open>,
    /// The ids each owner speculated last (sent or not yet).
    owners: FxHashMap<Owner, Vec<Id>>,
    /// Identity (hashed, lower-cased) → ids of its open alerts (sent or not yet), for combined risk.
    users: FxHashMap<u64, Vec<Id>>,
    step: Vec<Change>,
    /// Ids an owner stopped speculating during this step.
    missing: Vec<Id>,
    /// Identities whose alerts changed during this step (for combined risk).
    dirty: Vec<(u64, String)>,
    /// The last revision of recently ended alerts (at most [`ENDED_KEPT`], oldest forgotten
    /// first): a record that arrives later than the lateness window can raise an ended alert
    /// again, which then goes on from that revision.
    ended: FxHashMap<Id, u32>,
    ended_order: std::collections::VecDeque<Id>,
}

/// How many ended alerts' last revisions are remembered.
pub(crate) const ENDED_KEPT: usize = 4096;

/// The detection type of combined risk, whose alerts do not feed combined risk.
const COMBINED: &str = crate::signals::combined::DETECTION.name;

impl Live {
    /// `owner` now speculates exactly `alerts` (each with its id).
    pub fn speculated(&mut self, owner: Owner, alerts: Vec<Alert>) {
        let now: Vec<Id> = alerts.iter().map(id_of).collect();
        let before = if now.is_empty() {
            match self.owners.remove(&owner) {
                Some(b) => b,
                None => return,
            }
        } else {
            self.owners.insert(owner, now.clone()).unwrap_or_default()
        };
        for id in before {
            if !now.contains(&id) && !self.missing.contains(&id) {
                self.missing.push(id);
            }
        }
        for (a, id) in alerts.into_iter().zip(now) {
            self.missing.retain(|m| *m != id);
            self.note(id, a, Status::Open, owner);
        }
    }

    /// A real alert (its window closed, or the input ended).
    pub fn close(&mut self, a: Alert) {
        let id = id_of(&a);
        self.missing.retain(|m| *m != id);
        let owner = self
            .step
            .iter()
            .find(|c| c.id == id)
            .map(|c| c.owner)
            .or_else(|| self.open.get(&id).map(|o| o.owner));
        if let Some(ids) = owner.and_then(|o| self.owners.get_mut(&o)) {
            ids.retain(|i| *i != id);
        }
        self.note(id, a, Status::Closed, owner.unwrap_or(0));
    }

    fn note(&mut self, id: Id, alert: Alert, status: Status, owner: Owner) {
        if let Some((user, name)) = user_of(&alert) {
            let ids = self.users.entry(user).or_default();
            ids.retain(|i| *i != id);
            if status == Status::Open {
                ids.push(id);
            }
            if !self.dirty.iter().any(|d| d.0 == user) {
                self.dirty.push((user, name));
            }
        }
        let change = Change {
            id,
            alert,
            status,
            owner,
        };
        match self.step.iter_mut().find(|c| c.id == id) {
            Some(c) => *c = change,
            None => self.step.push(change),
        }
    }

    /// Identities whose alerts changed in this step, with their open alerts (latest content), for
    /// combined risk; the list is emptied.
    pub fn take_dirty(&mut self) -> Vec<(String, Vec<Alert>)> {
        let dirty = std::mem::take(&mut self.dirty);
        dirty
            .into_iter()
            .map(|(user, name)| {
                let alerts: Vec<Alert> = self
                    .users
                    .get(&user)
                    .into_iter()
                    .flatten()
                    .filter(|id| !self.missing.contains(id))
                    .filter_map(|id| match self.step.iter().find(|c| c.id == *id) {
                        Some(c) if c.status == Status::Open => Some(c.alert.clone()),
                        Some(_) => None,
                        None => self.open.get(id).map(|o| o.alert.clone()),
                    })
                    .collect();
                (name, alerts)
            })
            .collect()
    }

    /// End of a step: withdraw what no owner speculates any more, then write the revisions (in
    /// the order the alerts first changed in the step) to `out`.
    pub fn end_step(&mut self, out: &mut Vec<Alert>, stats: &mut Stats) {
        for id in std::mem::take(&mut self.missing) {
            if let Some(o) = self.open.get(&id) {
                let (alert, owner) = (o.alert.clone(), o.owner);
                self.note(id, alert, Status::Withdrawn, owner);
            } else if let Some(i) = self.step.iter().position(|c| c.id == id) {
                // Never sent: forgotten.
                let c = self.step.remove(i);
                self.forget_user(id, &c.alert);
            }
        }
        self.dirty.clear();
        for c in std::mem::take(&mut self.step) {
            let (id, mut a) = (c.id, c.alert);
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
                            let revision = self.ended.remove(&id).map_or(1, |r| r + 1);
                            self.open.insert(
                                id,
                                Open {
                                    alert: a.clone(),
                                    revision,
                                    summary,
                                    owner: c.owner,
                                },
                            );
                            revision
                        }
                    };
                    a.revision = Some(revision);
                }
                Status::Closed | Status::Withdrawn => {
                    let revision = match self.open.remove(&id) {
                        Some(o) => o.revision + 1,
                        None => self.ended.get(&id).map_or(1, |r| r + 1),
                    };
                    self.remember_ended(id, revision);
                    a.revision = Some(revision);
                    if c.status == Status::Withdrawn {
                        stats.withdrawn_alerts += 1;
                        self.forget_user(id, &a);
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

    fn remember_ended(&mut self, id: Id, revision: u32) {
        if self.ended.insert(id, revision).is_none() {
            self.ended_order.push_back(id);
            if self.ended_order.len() > ENDED_KEPT
                && let Some(old) = self.ended_order.pop_front()
            {
                self.ended.remove(&old);
            }
        }
    }

    fn forget_user(&mut self, id: Id, a: &Alert) {
        if let Some(ids) = user_of(a).and_then(|(u, _)| self.users.get_mut(&u)) {
            ids.retain(|i| *i != id);
        }
    }

    /// The state to keep in a snapshot (between steps: nothing of a step is pending): the open
    /// alerts in id order, and the ended ones' last revisions, oldest first.
    pub fn snapshot(&self) -> Snapshot<BinaryRef<'_>> {
        let mut v: Vec<(Id, Stored<BinaryRef<'_>>)> = self
            .open
            .iter()
            .map(|(id, o)| {
                (
                    *id,
                    (o.revision, o.summary, o.owner, BinaryRef::of(&o.alert)),
                )
            })
            .collect();
        v.sort_by_key(|x| x.0);
        let ended = self
            .ended_order
            .iter()
            .map(|id| (*id, self.ended.get(id).copied().unwrap_or(0)))
            .collect();
        (v.into_iter().map(|x| x.1).collect(), ended)
    }

    /// Back from [`Live::snapshot`].
    pub fn restore((open, ended): Snapshot<Binary>) -> Result<Live, serde_json::Error> {
        let mut live = Live::default();
        for (id, revision) in ended {
            live.remember_ended(id, revision);
        }
        for (revision, summary, owner, a) in open {
            let alert = a.into_alert()?;
            let id = id_of(&alert);
            live.owners.entry(owner).or_default().push(id);
            if let Some((user, _)) = user_of(&alert) {
                live.users.entry(user).or_default().push(id);
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
