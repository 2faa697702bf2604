//! Shared state for signals that fire on single matching records (hosting infrastructure, legacy
//! protocols, Identity Protection risk): matches of one identity are gathered into one alert per
//! `window_secs` from the first match — suppression: updated with new evidence, never repeated.
//!
//! One state type for every such signal (the detection its alert will be is a field): a tracker of
//! it is compiled once, not once per signal (the `.wasm` carries each monomorphized copy).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Ctx, Episode, IdState, Mini, Tracker, ended};
use crate::event::AuthEvent;
use crate::mitre::Detection;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    episode: Option<Box<Episode>>,
    risk: u32,
    last: DateTime<Utc>,
    /// What the alert will be (in snapshots: its name, looked up in the catalog).
    #[serde(with = "by_name")]
    detection: &'static Detection,
}

/// A detection as its `DetectionType`, read back from the catalog.
mod by_name {
    use serde::{Deserialize, Deserializer, Serializer, de::Error as _};

    use crate::mitre::Detection;

    pub fn serialize<S: Serializer>(d: &&'static Detection, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(d.name)
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<&'static Detection, D::Error> {
        let name = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        crate::signals::catalog()
            .into_iter()
            .map(|(_, d)| d)
            .find(|d| d.name == name)
            .ok_or_else(|| D::Error::custom(format!("unknown detection type {name:?}")))
    }
}

/// Add a matching event with its risk to the identity's alert of `detection`; `details` may
/// annotate the episode.
pub(crate) fn record(
    tracker: &mut Tracker<State>,
    detection: &'static Detection,
    ev: &AuthEvent,
    risk: u32,
    ctx: &mut Ctx<'_>,
    details: impl FnOnce(&mut Episode),
) {
    record_with(tracker, detection, ev, &[], risk, ctx, details)
}

/// Like [`record`], with earlier records (`extra`) that belong to the same evidence.
pub(crate) fn record_with(
    tracker: &mut Tracker<State>,
    detection: &'static Detection,
    ev: &AuthEvent,
    extra: &[Mini],
    risk: u32,
    ctx: &mut Ctx<'_>,
    details: impl FnOnce(&mut Episode),
) {
    tracker.update(
        &ev.identity_key,
        || State {
            episode: None,
            risk: 0,
            last: ev.time,
            detection,
        },
        ctx,
        |s, ctx| {
            s.last = s.last.max(ev.time);
            let w = ctx.window();
            if s.episode.as_ref().is_some_and(|e| ev.time >= e.first + w) {
                s.close(ctx);
            }
            let opening = s.episode.is_none();
            let ep = s
                .episode
                .get_or_insert_with(|| Box::new(Episode::new(&ev.identity, ev.time)));
            // Earlier records that explain this one join a new alert, if they are in its window.
            if opening {
                for m in extra
                    .iter()
                    .filter(|m| m.time() + w > ev.time && m.time() <= ev.time)
                {
                    ep.add(m, true, &ctx.cfg.limits, ctx.stats);
                }
            }
            ep.add(&Mini::of(ev), true, &ctx.cfg.limits, ctx.stats);
            s.risk = s.risk.max(risk);
            details(ep);
        },
    );
}

impl State {
    fn close(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(ep) = self.episode.take() {
            let risk = std::mem::take(&mut self.risk);
            ctx.emit(ep, self.detection, risk);
        }
    }
}

impl IdState for State {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        self.episode.as_ref().map(|e| e.first + ctx.window())
    }

    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if ended(&self.episode, ctx, now) {
            self.close(ctx);
        }
    }

    fn finish(&mut self, ctx: &mut Ctx<'_>) {
        self.close(ctx);
    }

    fn is_empty(&self) -> bool {
        self.episode.is_none()
    }

    fn last_seen(&self) -> DateTime<Utc> {
        self.last
    }
}

/// Append `v` to the list detail `key` (distinct values, at most 20).
pub(crate) fn push_detail(ep: &mut Episode, key: &str, v: &str) {
    let e = ep
        .details
        .entry(key.to_string())
        .or_insert_with(|| serde_json::Value::Array(vec![]));
    if let serde_json::Value::Array(a) = e
        && a.len() < 20
        && !a.iter().any(|x| x.as_str() == Some(v))
    {
        a.push(v.into());
    }
}
