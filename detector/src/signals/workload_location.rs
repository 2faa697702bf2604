//! **Workload identity from a new or watched place** (default profile): a service principal or
//! managed identity — which runs from the same servers day after day — signing in from somewhere
//! it never did, or from a place the tenant watches.
//!
//! Logic, per workload identity, on successful sign-ins:
//! * **new place** (`WorkloadNewLocation`): once the identity has `min_history` (10) successes
//!   all from one country, a success from another country (`risk_new_country`, 80); all from one
//!   AS number, a success from another (`risk_new_asn`, 75); all from one IP address, a success
//!   from another (`risk_new_ip`, 60). A dimension where the identity already uses two or more
//!   places (cloud workloads that move between regions and addresses) is never raised: the guard
//!   is "normally has one place", per dimension. `Details.NewPlaces` says which (`country:RU`,
//!   `AS9009`, `ip:203.0.113.9`) and `Details.UsualPlaces` what it was;
//! * **watched place** (`WorkloadWatchedLocation`): a success from a country in
//!   `watched_countries` (empty by default: which countries a tenant's workloads never sign in from
//!   is the tenant's to say; Panther's rogue-state list is CN, IR, RU) (`risk_watched`, 80).
//!
//! The history is what this stream has seen (kept while the identity signs in at least once every
//! 30 detection windows), not the tenant's past: feed a few days before the period of interest.
//!
//! Anchors: Microsoft Entra workload-identity risk detections ("unfamiliar sign-in properties",
//! "suspicious sign-ins"); Sentinel "Service principal sign-in from a new location"-style hunting
//! queries; Panther "Sign-In from Rogue State"; MITRE ATT&CK T1078.004, T1586.003.
//!
//! Known false positives: a workload moved to another region or cloud (one alert, then it has two
//! places and is not raised again); a CI runner whose egress address changes (IP only: risk 60).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::matched::{self, push_detail};
use super::{Ctx, IdState, Signal, Tracker};
use crate::event::{AuthEvent, Outcome};
use crate::mitre::{Detection, T1078_004, T1586_003};

crate::config::signal_config! {
    /// Workload identity from a new or watched place (default profile) — see
    /// [`crate::signals::workload_location`].
    pub struct WorkloadLocationConfig {
        pub enabled: bool = true,
        /// Successes needed before a new place is raised.
        pub min_history: u32 = 10,
        pub risk_new_country: u32 = 80,
        pub risk_new_asn: u32 = 75,
        pub risk_new_ip: u32 = 60,
        /// Country codes (case-insensitive) no workload identity should sign in from.
        pub watched_countries: Vec<String> = Vec::new(),
        pub risk_watched: u32 = 80,
    }
}

const TECHNIQUES: &[crate::mitre::Technique] = &[T1586_003, T1078_004];

pub const NEW: Detection = Detection::compromise("WorkloadNewLocation", TECHNIQUES);
pub const WATCHED: Detection = Detection::compromise("WorkloadWatchedLocation", TECHNIQUES);

/// One dimension of where an identity signs in from: its one place, or "more than one".
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
struct Place {
    only: Option<String>,
    many: bool,
}

impl Place {
    /// Whether `v` is new while the identity had exactly one place; then learn it.
    fn see(&mut self, v: Option<&str>, established: bool) -> Option<String> {
        let v = v.filter(|v| !v.is_empty())?;
        let new = match &self.only {
            None => {
                self.only = Some(v.to_string());
                false
            }
            Some(o) if o == v => false,
            Some(_) => {
                let new = !self.many && established;
                self.many = true;
                new
            }
        };
        new.then(|| self.only.clone()).flatten()
    }
}

/// What this stream has seen of a workload identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct History {
    successes: u64,
    country: Place,
    asn: Place,
    ip: Place,
    last: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct WorkloadLocation {
    history: Tracker<History>,
    new: Tracker<matched::State>,
    watched: Tracker<matched::State>,
}

impl Signal for WorkloadLocation {
    const DETECTIONS: &'static [Detection] = &[NEW, WATCHED];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        if ev.outcome != Outcome::Success {
            return;
        }
        let cfg = &ctx.cfg.workload_location;
        if let Some(c) = ev.country.as_deref()
            && cfg
                .watched_countries
                .iter()
                .any(|w| w.eq_ignore_ascii_case(c))
        {
            let risk = cfg.risk_watched;
            matched::record(&mut self.watched, &WATCHED, ev, risk, ctx, |ep| {
                push_detail(ep, "WatchedCountries", c);
            });
        }
        let min = u64::from(cfg.min_history);
        let (asn, ip) = (
            ev.asn.map(|a| format!("AS{a}")),
            ev.ip.as_ref().map(|a| a.text()),
        );
        let mut found: Vec<(String, String, u32)> = Vec::new();
        self.history.update(
            &ev.identity_key,
            || History {
                successes: 0,
                country: Place::default(),
                asn: Place::default(),
                ip: Place::default(),
                last: ev.time,
            },
            ctx,
            |h, ctx| {
                h.last = h.last.max(ev.time);
                let established = h.successes >= min;
                let cfg = &ctx.cfg.workload_location;
                if let Some(was) = h.country.see(ev.country.as_deref(), established) {
                    let now = ev.country.as_deref().unwrap_or_default();
                    found.push((
                        format!("country:{now}"),
                        format!("country:{was}"),
                        cfg.risk_new_country,
                    ));
                }
                if let Some(was) = h.asn.see(asn.as_deref(), established) {
                    let now = asn.clone().unwrap_or_default();
                    found.push((now, was, cfg.risk_new_asn));
                }
                if let Some(was) = h.ip.see(ip.as_deref(), established) {
                    let now = ip.as_deref().unwrap_or_default();
                    found.push((format!("ip:{now}"), format!("ip:{was}"), cfg.risk_new_ip));
                }
                h.successes += 1;
            },
        );
        if let Some(risk) = found.iter().map(|f| f.2).max() {
            matched::record(&mut self.new, &NEW, ev, risk, ctx, |ep| {
                for (now, was, _) in &found {
                    push_detail(ep, "NewPlaces", now);
                    push_detail(ep, "UsualPlaces", was);
                }
            });
        }
    }
}

super::stage_of_trackers!(WorkloadLocation {
    history,
    new,
    watched
});

impl IdState for History {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        Some(self.last + ctx.window() * super::HISTORY_WINDOWS)
    }
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if self.last + ctx.window() * super::HISTORY_WINDOWS <= now {
            self.successes = 0;
        }
    }
    fn finish(&mut self, _: &mut Ctx<'_>) {
        self.successes = 0;
    }
    fn is_empty(&self) -> bool {
        self.successes == 0
    }
    fn last_seen(&self) -> DateTime<Utc> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::event::SourceKind;
    use crate::signals::testkit::{ev, run};

    fn sp(min: i64, country: &str, asn: u32, ip: &str) -> crate::AuthEvent {
        let mut e = ev(min, "billing-sync (app 1b2c)", "0", ip);
        e.identity_key = "sp:1b2c".into();
        e.source_kind = SourceKind::EntraServicePrincipal;
        e.country = (!country.is_empty()).then(|| country.into());
        e.asn = (asn != 0).then_some(asn);
        e
    }

    fn got(cfg: &Config, events: Vec<crate::AuthEvent>) -> Vec<(String, u32)> {
        run(cfg, events)
            .into_iter()
            .filter(|a| a.0.starts_with("Workload"))
            .map(|a| (a.0, a.2))
            .collect()
    }

    /// A case: its name, the configuration, the events, the alerts (type, risk) it must raise.
    type Case<'c> = (
        &'static str,
        &'c Config,
        Vec<crate::AuthEvent>,
        Vec<(&'static str, u32)>,
    );

    #[test]
    fn table() {
        let usual = |n: i64| -> Vec<crate::AuthEvent> {
            (0..n).map(|i| sp(i * 60, "IE", 8075, "20.1.2.3")).collect()
        };
        let with = |mut v: Vec<crate::AuthEvent>, e: crate::AuthEvent| {
            v.push(e);
            v
        };
        let mut watching = Config::default();
        watching.workload_location.watched_countries = vec!["ru".into()];
        let d = Config::default();
        let cases: Vec<Case> = vec![
            (
                "one country, AS and IP for ten sign-ins, then Russia from another AS",
                &d,
                with(usual(10), sp(700, "RU", 9009, "185.1.2.3")),
                vec![("WorkloadNewLocation", 80)],
            ),
            (
                "a new address in the usual AS and country",
                &d,
                with(usual(10), sp(700, "IE", 8075, "20.1.2.4")),
                vec![("WorkloadNewLocation", 60)],
            ),
            (
                "too little history",
                &d,
                with(usual(5), sp(700, "RU", 9009, "185.1.2.3")),
                vec![],
            ),
            (
                "an identity that already roams addresses is not raised for a new one",
                &d,
                {
                    let mut v: Vec<_> = (0..10)
                        .map(|i| sp(i * 60, "IE", 8075, &format!("20.1.2.{i}")))
                        .collect();
                    v.push(sp(700, "IE", 8075, "20.1.2.99"));
                    v
                },
                vec![],
            ),
            (
                "a watched country",
                &watching,
                vec![sp(0, "RU", 9009, "185.1.2.3")],
                vec![("WorkloadWatchedLocation", 80)],
            ),
            (
                "a user is not a workload",
                &watching,
                vec![{
                    let mut e = ev(0, "alice@contoso.com", "0", "185.1.2.3");
                    e.country = Some("RU".into());
                    e
                }],
                vec![],
            ),
            (
                "missing fields must not panic",
                &watching,
                with(usual(10), sp(700, "", 0, "")),
                vec![],
            ),
        ];
        for (name, cfg, events, want) in cases {
            let want: Vec<(String, u32)> = want.into_iter().map(|(t, r)| (t.into(), r)).collect();
            assert_eq!(got(cfg, events), want, "{name}");
        }
    }
}
