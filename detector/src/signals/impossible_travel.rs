//! **Impossible travel** (seed profile): successful sign-ins of one identity from two or more
//! countries inside one time bin.
//!
//! Logic (the public T1586 KQL): successful sign-ins (result code `0`) are grouped per identity into
//! bins of `bin_secs` (seed: 1 hour) aligned to the epoch, like KQL `bin(TimeGenerated, 1h)`; a bin with
//! at least `min_countries` (2) distinct country codes raises one alert with risk `risk` (85).
//! `TimeGenerated` is the bin's start, as in the KQL's summarised row. Records without a country are
//! skipped; sign-ins from `allowlist.trusted_ips` are skipped (corporate egress / VPN ranges).
//! A bin is final when event time passes its end (or at end of input).
//!
//! Anchors: MITRE ATT&CK T1586 / T1078; Microsoft Entra ID Protection "atypical travel"; Sentinel
//! "Anomalous sign-in location" rules.
//!
//! Known false positives: VPN and cloud-proxy egress in another country (configure `trusted_ips`),
//! mobile carriers that geolocate to a neighbouring country, travelling staff. Bins are coarse: two
//! countries 5 minutes apart across a bin boundary are not caught, and a legitimate 59-minute
//! flight between neighbouring countries is. The default profile replaces this with geo-velocity.

use std::collections::BTreeMap;

use crate::shared::Shared;
use chrono::{DateTime, TimeDelta, Utc};
use serde::{Deserialize, Serialize};

use super::{Ctx, Episode, IdState, Mini, Signal, Tracker, trusted_ip};
use crate::event::{AuthEvent, Outcome};
use crate::mitre::{Detection, T1078, T1586};

crate::config::signal_config! {
    /// Impossible travel (seed semantics) — see [`crate::signals::impossible_travel`].
    pub struct ImpossibleTravelConfig {
        pub enabled: bool = true,
        /// Width of the time bins, aligned to the epoch like KQL `bin()` (seed: 3600 s).
        pub bin_secs: u64 = 3600,
        /// Distinct countries of successful sign-ins needed in one bin (seed: 2).
        pub min_countries: u32 = 2,
        /// Risk score (seed: 85).
        pub risk: u32 = 85,
    }
    check(c) {
        if c.bin_secs == 0 {
            return Err("bin_secs must be positive");
        }
        Ok(())
    }
}

pub const DETECTION: Detection = Detection::compromise("ImpossibleTravel", &[T1586, T1078]);

pub(crate) type ImpossibleTravel = Tracker<State>;

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    user: Shared<str>,
    /// Bin start (seconds since the epoch) → what was seen in it.
    bins: BTreeMap<i64, Episode>,
    last: DateTime<Utc>,
}

fn bin_of(t: DateTime<Utc>, bin_secs: u64) -> i64 {
    let b = i64::try_from(bin_secs).unwrap_or(i64::MAX);
    t.timestamp().div_euclid(b) * b
}

fn bin_end(start: i64, bin_secs: u64) -> DateTime<Utc> {
    DateTime::from_timestamp(start, 0).unwrap_or(DateTime::<Utc>::MAX_UTC)
        + TimeDelta::seconds(
            i64::try_from(bin_secs)
                .unwrap_or(i64::MAX / 1000)
                .min(1 << 40),
        )
}

impl Signal for ImpossibleTravel {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        if ev.outcome != Outcome::Success || ev.country.is_none() || trusted_ip(ev, ctx.cfg) {
            return;
        }
        let user = ev.identity.clone();
        self.update(
            &ev.identity_key,
            || State {
                user,
                bins: BTreeMap::new(),
                last: ev.time,
            },
            ctx,
            |s, ctx| {
                s.last = s.last.max(ev.time);
                let start = bin_of(ev.time, ctx.cfg.impossible_travel.bin_secs);
                let ep = s
                    .bins
                    .entry(start)
                    .or_insert_with(|| Episode::new(&s.user, ev.time));
                ep.add(&Mini::of(ev), true, &ctx.cfg.limits, ctx.stats);
                if s.bins.len() > ctx.cfg.limits.max_events_per_identity {
                    // Far more open bins than a window can hold: drop the oldest without alerting.
                    s.bins.pop_first();
                    ctx.stats.cap("max_events_per_identity");
                }
            },
        );
    }
}

impl State {
    fn close(&mut self, start: i64, ctx: &mut Ctx<'_>) {
        let Some(ep) = self.bins.remove(&start) else {
            return;
        };
        let cfg = &ctx.cfg.impossible_travel;
        if ep.countries.len() >= u64::from(cfg.min_countries) {
            let t = DateTime::from_timestamp(start, 0).unwrap_or(ep.first);
            let risk = cfg.risk;
            ctx.emit_at(ep, &DETECTION, risk, t);
        }
    }
}

impl IdState for State {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        self.bins
            .keys()
            .next()
            .map(|&s| bin_end(s, ctx.cfg.impossible_travel.bin_secs))
    }

    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        let bin = ctx.cfg.impossible_travel.bin_secs;
        let due: Vec<i64> = self
            .bins
            .keys()
            .copied()
            .take_while(|&s| bin_end(s, bin) <= now)
            .collect();
        for s in due {
            self.close(s, ctx);
        }
    }

    fn finish(&mut self, ctx: &mut Ctx<'_>) {
        let all: Vec<i64> = self.bins.keys().copied().collect();
        for s in all {
            self.close(s, ctx);
        }
    }

    fn is_empty(&self) -> bool {
        self.bins.is_empty()
    }

    fn last_seen(&self) -> DateTime<Utc> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{country, ev, run};

    #[test]
    fn table() {
        let cfg = Config::for_profile(crate::config::Profile::Seed);
        let u = "meganb@contoso.com";
        let it = |risk: u32, s: u64, ips: u64| {
            (
                "ImpossibleTravel".to_string(),
                u.to_string(),
                risk,
                0u64,
                s,
                ips,
            )
        };
        let cases = vec![
            (
                "two countries in one hour bin",
                vec![
                    country(ev(5, u, "0", "136.55.145.135"), "US"),
                    country(ev(50, u, "0", "109.88.218.99"), "BE"),
                ],
                vec![it(85, 2, 2)],
            ),
            (
                "same country twice",
                vec![
                    country(ev(5, u, "0", "136.55.145.135"), "US"),
                    country(ev(50, u, "0", "136.55.145.136"), "US"),
                ],
                vec![],
            ),
            (
                "across a bin boundary is not caught (seed semantics)",
                vec![
                    country(ev(55, u, "0", "136.55.145.135"), "US"),
                    country(ev(65, u, "0", "109.88.218.99"), "BE"),
                ],
                vec![],
            ),
            (
                "a failure from the second country does not count",
                vec![
                    country(ev(5, u, "0", "136.55.145.135"), "US"),
                    country(ev(50, u, "50126", "109.88.218.99"), "BE"),
                ],
                vec![],
            ),
            (
                "missing country is skipped",
                vec![
                    country(ev(5, u, "0", "136.55.145.135"), "US"),
                    ev(50, u, "0", "109.88.218.99"),
                ],
                vec![],
            ),
            (
                "three countries, one alert",
                vec![
                    country(ev(1, u, "0", "1.1.1.1"), "US"),
                    country(ev(2, u, "0", "2.2.2.2"), "BE"),
                    country(ev(3, u, "0", "3.3.3.3"), "NL"),
                ],
                vec![it(85, 3, 3)],
            ),
        ];
        for (name, events, want) in cases {
            let got: Vec<_> = run(&cfg, events)
                .into_iter()
                .filter(|a| a.0 == "ImpossibleTravel")
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn trusted_egress_is_not_travel() {
        let cfg = Config::from_json(
            r#"{"profile":"seed","allowlist":{"trusted_ips":["109.88.0.0/16"]}}"#,
        )
        .unwrap();
        let u = "meganb@contoso.com";
        let got = run(
            &cfg,
            vec![
                country(ev(5, u, "0", "136.55.145.135"), "US"),
                country(ev(50, u, "0", "109.88.218.99"), "BE"),
            ],
        );
        assert!(got.is_empty(), "{got:?}");
    }

    #[test]
    fn time_generated_is_bin_start() {
        let mut d = crate::Detector::new(Config::for_profile(crate::config::Profile::Seed));
        let u = "x@y.z";
        d.push_event(country(ev(5, u, "0", "1.1.1.1"), "US"));
        d.push_event(country(ev(50, u, "0", "2.2.2.2"), "BE"));
        let a = d.flush();
        assert_eq!(a.len(), 1);
        assert_eq!(a[0].time_generated, crate::signals::testkit::t(0));
        assert_eq!(a[0].countries, vec!["US", "BE"]);
    }
}
