//! Shared state for signals that watch a sliding run of recent records per key and open an alert
//! when the run meets their condition: credential stuffing, failures then success, failed logons
//! then success, MFA fatigue, password spray and one source many accounts.
//!
//! The sequence logic lives here once, the way Sigma's correlation rules (`event_count`,
//! `value_count`, `temporal_ordered` over a group-by and a timespan) state it once:
//!
//! * the **run** holds the key's records of the last [`Run::run`] of event time, oldest first —
//!   a record that arrives late goes where its time puts it, so the oldest is always at the front;
//! * at most `limits.max_events_per_identity` are kept (the oldest leave, counted in `caps_hit`);
//! * an **alert** ([`Episode`]) opened from the run takes every record of it; later records of the
//!   key join it until `window_secs` after its first record, when it is closed and emitted through
//!   [`Run::close`] (one alert per key and window, never repeated);
//! * deadlines: the alert's end, and the moment the run's oldest record leaves it (always from the
//!   front: a deadline from the newest record would leave expired records behind until it fires,
//!   and one from an unsorted queue could fire forever without anything expiring).
//!
//! What a signal keeps is its own: which records join the run ([`State::keep`]), what triggers
//! ([`State::open`], reading [`State::recent`]), the run's length, the risk and details
//! ([`Run::close`]), and any state of its own besides the run ([`Run::Own`]).

use std::collections::VecDeque;
use std::fmt::Debug;

use chrono::{DateTime, TimeDelta, Utc};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

use super::{Ctx, Episode, IdState, Mini, Tracker, earliest, ended};
use crate::event::AuthEvent;
use crate::mitre::{Detection, T1110, T1110_001};
use crate::shared::Shared;

/// A record kept in a run: an event's [`Mini`], or one with facts of the signal's own.
pub(crate) trait Kept: Clone + Debug + Serialize + DeserializeOwned {
    fn mini(&self) -> &Mini;
    fn time(&self) -> DateTime<Utc> {
        self.mini().time()
    }
}

impl Kept for Mini {
    fn mini(&self) -> &Mini {
        self
    }
}

/// What one sequence signal is: its records, its run, its alert.
pub(crate) trait Run {
    /// A record in the run.
    type Record: Kept;
    /// State of the signal's own per key, besides the run and the open alert (`()` for most).
    type Own: Clone + Debug + Default + Serialize + DeserializeOwned;
    /// The alert is about a source of many identities (`UserPrincipalName` `(multiple)`), not
    /// about the key's identity.
    const ABOUT_SOURCE: bool = false;
    /// How long a record stays in the run.
    fn run(own: &Self::Own, ctx: &Ctx<'_>) -> TimeDelta;
    /// Emit the alert that has closed (risk, detection type and last details are the signal's).
    fn close(ep: Box<Episode>, label: &Shared<str>, own: &mut Self::Own, ctx: &mut Ctx<'_>);
    /// The next moment the own state changes by itself.
    fn own_deadline(_own: &Self::Own, _ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        None
    }
    /// Forget (or emit) what of the own state is over at `now` (`alert_open`: an alert is still
    /// open).
    fn own_expire(
        _own: &mut Self::Own,
        _label: &Shared<str>,
        _now: DateTime<Utc>,
        _alert_open: bool,
        _ctx: &mut Ctx<'_>,
    ) {
    }
    /// Nothing of the own state left to remember.
    fn own_is_empty(_own: &Self::Own) -> bool {
        true
    }
    /// End of input: emit or forget the own state.
    fn own_finish(_own: &mut Self::Own, _label: &Shared<str>, _ctx: &mut Ctx<'_>) {}
}

/// One key's run, open alert and own state.
///
/// Serialized as its fields in this order; `Own` = `()` writes nothing, so a signal with no own
/// state is `(label, run, alert, last)`.
#[derive(Debug, Serialize, Deserialize)]
#[serde(bound = "")]
pub(crate) struct State<K: Run> {
    /// The key as alerts show it: the identity as first written, or the source.
    label: Shared<str>,
    recent: VecDeque<K::Record>,
    episode: Option<Box<Episode>>,
    own: K::Own,
    last: DateTime<Utc>,
}

impl<K: Run> Clone for State<K> {
    fn clone(&self) -> Self {
        State {
            label: self.label.clone(),
            recent: self.recent.clone(),
            episode: self.episode.clone(),
            own: self.own.clone(),
            last: self.last,
        }
    }
}

impl<K: Run> State<K> {
    pub fn new(label: Shared<str>, t: DateTime<Utc>) -> Self {
        State {
            label,
            recent: VecDeque::new(),
            episode: None,
            own: K::Own::default(),
            last: t,
        }
    }

    pub fn label(&self) -> &Shared<str> {
        &self.label
    }

    pub fn own(&self) -> &K::Own {
        &self.own
    }

    pub fn own_mut(&mut self) -> &mut K::Own {
        &mut self.own
    }

    /// The run, oldest first.
    pub fn recent(&self) -> &VecDeque<K::Record> {
        &self.recent
    }

    /// Note that the key was seen at `t` (for least-recently-seen eviction).
    pub fn touch(&mut self, t: DateTime<Utc>) {
        self.last = self.last.max(t);
    }

    /// A record at `t`: the open alert and the own state when the record falls inside the alert's
    /// window (it joins the alert, not the run); otherwise an alert whose window has ended is
    /// emitted, and `None`.
    pub fn joining(
        &mut self,
        t: DateTime<Utc>,
        ctx: &mut Ctx<'_>,
    ) -> Option<(&mut Episode, &mut K::Own)> {
        self.settle(t, ctx);
        let own = &mut self.own;
        self.episode.as_deref_mut().map(|ep| (ep, own))
    }

    /// Note that a record at `t` came, and emit the open alert if its window has ended by then.
    fn settle(&mut self, t: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        self.touch(t);
        if self
            .episode
            .as_ref()
            .is_some_and(|e| t >= e.first + ctx.window())
        {
            self.close(ctx);
        }
    }

    /// Records that have been in the run for its whole length by `now` leave it, and the own
    /// state forgets what is over.
    pub fn expire(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        let run = K::run(&self.own, ctx);
        while self.recent.front().is_some_and(|r| r.time() + run <= now) {
            self.recent.pop_front();
        }
        K::own_expire(&mut self.own, &self.label, now, self.episode.is_some(), ctx);
    }

    /// Keep a record in the run, where its time puts it; past the cap the oldest leaves.
    pub fn keep(&mut self, r: K::Record, ctx: &mut Ctx<'_>) {
        let t = r.time();
        self.recent.push_back(r);
        // A late record moves back past the later ones (in time order the loop does nothing).
        let mut i = self.recent.len() - 1;
        while i > 0 && self.recent[i - 1].time() > t {
            self.recent.swap(i - 1, i);
            i -= 1;
        }
        if self.recent.len() > ctx.cfg.limits.max_events_per_identity {
            self.recent.pop_front();
            ctx.stats.cap("max_events_per_identity");
        }
    }

    /// Keep only the run's records for which `f` holds.
    pub fn retain(&mut self, f: impl FnMut(&K::Record) -> bool) {
        self.recent.retain(f);
    }

    /// Forget the run (a user who mistyped, then got in).
    pub fn clear(&mut self) {
        self.recent.clear();
    }

    /// Open an alert from the run, from its oldest record (or `t` when it is empty): `each` adds
    /// every record of the run to it, oldest first. Returns the alert, to add the record that
    /// triggered it and the details.
    pub fn open(
        &mut self,
        t: DateTime<Utc>,
        ctx: &mut Ctx<'_>,
        mut each: impl FnMut(&mut Episode, &mut K::Own, K::Record, &mut Ctx<'_>),
    ) -> &mut Episode {
        let first = self.recent.front().map_or(t, Kept::time);
        let who: &str = if K::ABOUT_SOURCE {
            super::MULTIPLE
        } else {
            &self.label
        };
        let mut ep = Box::new(Episode::new(who, first));
        for r in self.recent.drain(..) {
            each(&mut ep, &mut self.own, r, ctx);
        }
        self.episode.insert(ep)
    }

    fn close(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(ep) = self.episode.take() {
            K::close(ep, &self.label, &mut self.own, ctx);
        }
    }
}

impl<K: Run> IdState for State<K> {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        earliest([
            self.episode.as_ref().map(|e| e.first + ctx.window()),
            self.recent
                .front()
                .map(|r| r.time() + K::run(&self.own, ctx)),
            K::own_deadline(&self.own, ctx),
        ])
    }

    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if ended(&self.episode, ctx, now) {
            self.close(ctx);
        }
        self.expire(now, ctx);
    }

    fn finish(&mut self, ctx: &mut Ctx<'_>) {
        self.close(ctx);
        self.recent.clear();
        K::own_finish(&mut self.own, &self.label, ctx);
    }

    fn is_empty(&self) -> bool {
        self.episode.is_none() && self.recent.is_empty() && K::own_is_empty(&self.own)
    }

    fn last_seen(&self) -> DateTime<Utc> {
        self.last
    }

    /// The run never becomes an alert at the end of input: only the open alert and the own
    /// state are copied (nothing at all when neither holds anything).
    fn speculate(&self, ctx: &mut Ctx<'_>) {
        if self.episode.is_none() && K::own_is_empty(&self.own) {
            return;
        }
        State::<K> {
            label: self.label.clone(),
            recent: VecDeque::new(),
            episode: self.episode.clone(),
            own: self.own.clone(),
            last: self.last,
        }
        .finish(ctx);
    }
}

impl<K: Run> Tracker<State<K>> {
    /// `f` on the state of the record's identity (made, labelled with the identity as written,
    /// when new), then rescheduled.
    pub fn by_identity(
        &mut self,
        ev: &AuthEvent,
        ctx: &mut Ctx<'_>,
        f: impl FnOnce(&mut State<K>, &mut Ctx<'_>),
    ) {
        let user = ev.identity.clone();
        self.update(&ev.identity_key, || State::new(user, ev.time), ctx, f);
    }
}

/// What became of a record in [`failures_then`].
pub(crate) enum Step<'a> {
    /// It joined the open alert.
    Joined(&'a mut Episode),
    /// It ended a run of enough failures: the alert it opened.
    Opened(&'a mut Episode),
    /// It joined the run, or ended one too short.
    Neither,
}

/// Brute force attempts: the detection type the failures-then-success signals raise for failures
/// that no success followed.
pub const BRUTE_FORCE: Detection = Detection::attempt("BruteForceAttempt", &[T1110_001, T1110]);

/// The attempt half of a failures-then-success signal: failures at a guessing pace
/// (`min` within `window`) open an attempt, which a success within `followed_within` of its latest
/// failure turns into the compromise the signal reports instead; otherwise it is reported as a
/// [`BRUTE_FORCE`] attempt once that time has passed with no success (or a detection window
/// after its first failure, or at the end of input). Risk by volume and spread from `risk`, at most
/// `risk_max` ([`super::attempt_risk`]).
pub(crate) struct AttemptRule {
    /// The attempt's detection type ([`BRUTE_FORCE`] for users).
    pub detection: &'static Detection,
    /// The compromise it becomes when a success follows: the attempt's alert id is the
    /// compromise's, so that in live mode the compromise revises the attempt.
    pub becomes: &'static Detection,
    pub min: u32,
    pub window: TimeDelta,
    pub followed_within: TimeDelta,
    pub risk: u32,
    pub risk_max: u32,
}

/// A failures-then-success signal's open attempt, and the time of its latest failure (`None`
/// with no attempt open).
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Attempt {
    episode: Option<Box<Episode>>,
    last_failure: Option<DateTime<Utc>>,
}

/// A signal of the failures-then-success pattern ([`failures_then`]).
pub(crate) trait FailuresThen: Run<Record = Mini, Own = Attempt> {
    fn attempt_rule(ctx: &Ctx<'_>) -> AttemptRule;
}

/// The [`Run`] and [`FailuresThen`] of a failures-then-success signal, from its configuration
/// section (`ctx.cfg.$section`, with `window_secs`, `ladder_risk` and the `attempt_*` keys) and its
/// compromise detection: the run lasts `window_secs`; a compromise's risk comes from the IP ladder;
/// the attempt opens at `attempt_min_failures` within `attempt_window_secs` and is reported when no
/// success comes within `window_secs` of its latest failure.
macro_rules! failures_then_run {
    ($kind:ty, $section:ident, $detection:expr) => {
        $crate::signals::sequence::failures_then_run!(
            $kind,
            $section,
            $detection,
            $crate::signals::sequence::BRUTE_FORCE
        );
    };
    ($kind:ty, $section:ident, $detection:expr, $attempt:expr) => {
        impl $crate::signals::sequence::Run for $kind {
            type Record = $crate::signals::Mini;
            type Own = $crate::signals::sequence::Attempt;

            fn run(_: &Self::Own, ctx: &$crate::signals::Ctx<'_>) -> ::chrono::TimeDelta {
                $crate::signals::secs(ctx.cfg.$section.window_secs)
            }

            fn close(
                ep: Box<$crate::signals::Episode>,
                _: &$crate::shared::Shared<str>,
                _: &mut Self::Own,
                ctx: &mut $crate::signals::Ctx<'_>,
            ) {
                let risk = ctx.cfg.$section.ladder_risk(ep.ips.len());
                ctx.emit(ep, &$detection, risk);
            }

            fn own_deadline(
                own: &Self::Own,
                ctx: &$crate::signals::Ctx<'_>,
            ) -> Option<::chrono::DateTime<::chrono::Utc>> {
                use $crate::signals::sequence::FailuresThen;
                own.deadline(&Self::attempt_rule(ctx), ctx)
            }

            fn own_expire(
                own: &mut Self::Own,
                _: &$crate::shared::Shared<str>,
                now: ::chrono::DateTime<::chrono::Utc>,
                _: bool,
                ctx: &mut $crate::signals::Ctx<'_>,
            ) {
                use $crate::signals::sequence::FailuresThen;
                own.expire(&Self::attempt_rule(ctx), now, ctx);
            }

            fn own_is_empty(own: &Self::Own) -> bool {
                own.is_empty()
            }

            fn own_finish(
                own: &mut Self::Own,
                _: &$crate::shared::Shared<str>,
                ctx: &mut $crate::signals::Ctx<'_>,
            ) {
                use $crate::signals::sequence::FailuresThen;
                own.report(&Self::attempt_rule(ctx), ctx);
            }
        }

        impl $crate::signals::sequence::FailuresThen for $kind {
            fn attempt_rule(
                ctx: &$crate::signals::Ctx<'_>,
            ) -> $crate::signals::sequence::AttemptRule {
                let c = &ctx.cfg.$section;
                $crate::signals::sequence::AttemptRule {
                    detection: &$attempt,
                    becomes: &$detection,
                    min: c.attempt_min_failures,
                    window: $crate::signals::secs(c.attempt_window_secs),
                    followed_within: $crate::signals::secs(c.window_secs),
                    risk: c.attempt_risk,
                    risk_max: c.attempt_risk_max,
                }
            }
        }
    };
}
pub(crate) use failures_then_run;

impl Attempt {
    /// When the open attempt is due: no success within `followed_within` of its latest failure, or
    /// a detection window after its first.
    pub fn deadline(&self, rule: &AttemptRule, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        let ep = self.episode.as_ref()?;
        earliest([
            self.last_failure.map(|t| t + rule.followed_within),
            Some(ep.first + ctx.window()),
        ])
    }

    /// Report the attempt if it is due at `now`.
    pub fn expire(&mut self, rule: &AttemptRule, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if self.deadline(rule, ctx).is_some_and(|d| d <= now) {
            self.report(rule, ctx);
        }
    }

    /// Report the open attempt (end of input, or it is due).
    pub fn report(&mut self, rule: &AttemptRule, ctx: &mut Ctx<'_>) {
        self.last_failure = None;
        if let Some(ep) = self.episode.take() {
            let risk = super::attempt_risk(
                rule.risk,
                rule.risk_max,
                ep.failures,
                rule.min,
                ep.ips.len(),
            );
            let last = ep.last;
            ctx.emit_as(*ep, rule.detection, risk, last, rule.becomes.name);
        }
    }

    pub fn is_empty(&self) -> bool {
        self.episode.is_none()
    }
}

/// Failures, then the record that shows the attacker has the password (a logon, or a sign-in
/// stopped after the password passed): the pattern of the Entra and the Windows signals. A record
/// inside an open alert joins it; a failure joins the run (and the open attempt, or opens one at a
/// guessing pace, see [`AttemptRule`]); a record that ends the run opens an alert when at least
/// `min` failures precede it — the attempt, if one was open, is then this compromise — or else the
/// run and any open attempt are over (a user who mistyped, then got in). `note` sees every record added to an alert.
pub(crate) fn failures_then<'s, K: FailuresThen>(
    s: &'s mut State<K>,
    m: Mini,
    failure: bool,
    min: u32,
    ctx: &mut Ctx<'_>,
    note: impl Fn(&mut Episode, &Mini),
) -> Step<'s> {
    let t = m.time();
    s.settle(t, ctx);
    if s.episode.is_some() {
        let ep = s.episode.as_deref_mut().expect("open");
        ep.add(&m, failure, &ctx.cfg.limits, ctx.stats);
        note(ep, &m);
        return Step::Joined(ep);
    }
    s.expire(t, ctx);
    if failure {
        let rule = K::attempt_rule(ctx);
        let own = &mut s.own;
        let joined = match own.episode.as_deref_mut() {
            Some(ep) => {
                ep.add(&m, true, &ctx.cfg.limits, ctx.stats);
                note(ep, &m);
                own.last_failure = Some(own.last_failure.map_or(t, |l| l.max(t)));
                true
            }
            None => false,
        };
        s.keep(m, ctx);
        if joined {
            return Step::Neither;
        }
        let since = t - rule.window;
        let pace = s
            .recent
            .iter()
            .rev()
            .take_while(|r| r.time() > since)
            .count();
        if pace as u64 >= u64::from(rule.min) {
            let first = s.recent.front().map_or(t, Kept::time);
            let mut ep = Box::new(Episode::new(&s.label, first));
            for r in &s.recent {
                ep.add(r, true, &ctx.cfg.limits, ctx.stats);
                note(&mut ep, r);
            }
            s.own.episode = Some(ep);
            s.own.last_failure = Some(t);
        }
        return Step::Neither;
    }
    if (s.recent.len() as u64) < u64::from(min) {
        // Too few failures for a compromise: the user got in, and what looked like guessing
        // (only possible when `min` is above the attempt's own threshold) is over with the run.
        s.clear();
        s.own = Attempt::default();
        return Step::Neither;
    }
    // The attempt, if one was open, is this compromise.
    s.own = Attempt::default();
    let ep = s.open(t, ctx, |ep, _, f, ctx| {
        ep.add(&f, true, &ctx.cfg.limits, ctx.stats);
        note(ep, &f);
    });
    ep.add(&m, false, &ctx.cfg.limits, ctx.stats);
    note(ep, &m);
    Step::Opened(ep)
}
