//! **Impossible travel by geo-velocity** (default profile): two consecutive successful interactive
//! sign-ins of one identity too far apart for the time between them.
//!
//! Logic: per identity, the last successful sign-in with coordinates is kept. For the next one, the
//! great-circle (haversine) distance is computed; if it is at least `min_distance_km` (500), the
//! distance less `radius_pad_km` (50) at each end for geolocation error is divided by the elapsed time;
//! above `max_speed_kmh` (900, a jet) the pair is a leg of impossible travel. A zero-minute gap is
//! infinitely fast (reported with `KmH: null`), never a division by zero. Sliding, not binned: each
//! sign-in is compared with the previous one. Legs of one identity within the window are one alert
//! (`Details.Legs`: from/to country and city, km, km/h, minutes), risk `risk` (85).
//! Skipped and counted in `signal_skips`: records without coordinates, non-interactive sign-ins (with
//! `interactive_only`), sign-ins from `allowlist.trusted_ips`/`trusted_asns`, and sign-ins inside a
//! declared `allowlist.travel` window.
//!
//! Anchors: MozDef / Panther "impossible travel" (haversine speed over consecutive logins), Entra ID
//! Protection "atypical travel", Sentinel "Impossible travel activity"; MITRE ATT&CK T1586, T1078.
//!
//! Known false positives: VPN and cloud proxies (egress far from the user: list them as trusted),
//! IP geolocation errors beyond the pad (mobile carriers), a laptop and a phone of the same user
//! egressing in different countries.

use crate::shared::Shared;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{
    Ctx, Episode, IdState, Mini, Signal, Tracker, earliest, ended, known_travel, skip, trusted_ip,
};
use crate::event::{AuthEvent, Outcome};
use crate::mitre::{Detection, T1078, T1586};

crate::config::signal_config! {
    /// Impossible travel by geo-velocity (default profile) — see [`crate::signals::geo_velocity`].
    pub struct GeoVelocityConfig {
        pub enabled: bool = true,
        /// Alert above this speed (km/h).
        pub max_speed_kmh: f64 = 900.0,
        /// ... and only when the two places are at least this far apart (km).
        pub min_distance_km: f64 = 500.0,
        /// Geolocation error allowed at each end (km), subtracted from the distance.
        pub radius_pad_km: f64 = 50.0,
        /// Only interactive sign-ins (records that do not say are included).
        pub interactive_only: bool = true,
        pub risk: u32 = 85,
    }
}

pub const DETECTION: Detection = Detection::compromise("ImpossibleTravel", &[T1586, T1078]);

pub(crate) type GeoVelocity = Tracker<State>;

#[derive(Debug, Clone, Serialize, Deserialize)]
struct Point {
    lat: f64,
    lon: f64,
    place: Place,
    mini: Mini,
}

/// Where a sign-in was, as the reader's shared texts; written out ("City, CC") only for a leg of
/// an alert, not for every sign-in. In snapshots it is that written-out text, as before.
#[derive(Debug, Clone, Default)]
struct Place {
    city: Option<Shared<str>>,
    country: Option<Shared<str>>,
}

impl Place {
    fn text(&self) -> String {
        match (&self.city, &self.country) {
            (Some(city), Some(cc)) => format!("{city}, {cc}"),
            (Some(one), None) | (None, Some(one)) => one.to_string(),
            (None, None) => String::new(),
        }
    }
}

impl Serialize for Place {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.text())
    }
}

impl<'de> Deserialize<'de> for Place {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = Shared::<str>::deserialize(d)?;
        Ok(Place {
            city: (!text.is_empty()).then_some(text),
            country: None,
        })
    }
}

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    user: Shared<str>,
    prev: Option<Point>,
    episode: Option<Box<Episode>>,
    last: DateTime<Utc>,
}

/// Great-circle distance in km (mean Earth radius 6371.0088 km).
pub fn haversine_km(lat1: f64, lon1: f64, lat2: f64, lon2: f64) -> f64 {
    let (p1, p2) = (lat1.to_radians(), lat2.to_radians());
    let dp = (lat2 - lat1).to_radians();
    let dl = (lon2 - lon1).to_radians();
    let a = (dp / 2.0).sin().powi(2) + p1.cos() * p2.cos() * (dl / 2.0).sin().powi(2);
    2.0 * 6371.0088 * a.sqrt().min(1.0).asin()
}

/// True when two points are certainly less than `km` apart, without trigonometry: going along the
/// meridian, then along the parallel, is a path between them no shorter than the great circle, and
/// a parallel is no longer than the equator (so the distance is at most the mean radius times the
/// sum of the two angle differences). Most sign-ins of an identity come from where its last one
/// did, and four sines and cosines for each were a tenth of this signal's time. A thousandth of
/// margin covers rounding, so every pair this passes is one the haversine would find closer.
fn surely_within(lat1: f64, lon1: f64, lat2: f64, lon2: f64, km: f64) -> bool {
    let bound = 6371.0088 * ((lat2 - lat1).abs() + (lon2 - lon1).abs()).to_radians();
    bound * 1.001 < km
}

fn valid(lat: f64, lon: f64) -> bool {
    lat.is_finite()
        && lon.is_finite()
        && lat.abs() <= 90.0
        && lon.abs() <= 180.0
        && !(lat == 0.0 && lon == 0.0)
}

impl Signal for GeoVelocity {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let cfg = &ctx.cfg.geo_velocity;
        if ev.outcome != Outcome::Success {
            return;
        }
        if cfg.interactive_only && ev.interactive == Some(false) {
            return;
        }
        let (Some(lat), Some(lon)) = (ev.latitude, ev.longitude) else {
            skip(ctx.stats, "geo_velocity: no geolocation");
            return;
        };
        if !valid(lat, lon) {
            skip(ctx.stats, "geo_velocity: invalid coordinates");
            return;
        }
        if trusted_ip(ev, ctx.cfg) {
            skip(ctx.stats, "geo_velocity: trusted network");
            return;
        }
        if known_travel(ev, ctx.cfg) {
            skip(ctx.stats, "geo_velocity: declared travel");
            return;
        }
        let user = ev.identity.clone();
        self.update(
            &ev.identity_key,
            || State {
                user,
                prev: None,
                episode: None,
                last: ev.time,
            },
            ctx,
            |s, ctx| s.add(ev, lat, lon, ctx),
        );
    }
}

impl State {
    fn add(&mut self, ev: &AuthEvent, lat: f64, lon: f64, ctx: &mut Ctx<'_>) {
        let cfg = &ctx.cfg.geo_velocity;
        let w = ctx.window();
        self.last = self.last.max(ev.time);
        let place = Place {
            city: ev.city.clone(),
            country: ev.country.clone(),
        };
        let here = Point {
            lat,
            lon,
            place,
            mini: Mini::of(ev),
        };
        if self
            .episode
            .as_ref()
            .is_some_and(|e| ev.time >= e.first + w)
        {
            self.close(ctx);
        }
        if let Some(prev) = &self.prev
            && !surely_within(prev.lat, prev.lon, lat, lon, cfg.min_distance_km)
        {
            let km = haversine_km(prev.lat, prev.lon, lat, lon);
            if km >= cfg.min_distance_km {
                let eff = (km - 2.0 * cfg.radius_pad_km).max(0.0);
                let secs = (ev.time - prev.mini.time())
                    .num_milliseconds()
                    .unsigned_abs() as f64
                    / 1000.0;
                let kmh = if secs == 0.0 {
                    f64::INFINITY
                } else {
                    eff / (secs / 3600.0)
                };
                if kmh > cfg.max_speed_kmh {
                    let ep = self.episode.get_or_insert_with(|| {
                        Box::new(Episode::new(&self.user, prev.mini.time().min(ev.time)))
                    });
                    ep.add(&prev.mini, true, &ctx.cfg.limits, ctx.stats);
                    ep.add(&here.mini, true, &ctx.cfg.limits, ctx.stats);
                    let leg = serde_json::json!({
                        "From": prev.place.text(),
                        "To": here.place.text(),
                        "Km": km.round() as u64,
                        "KmH": if kmh.is_finite() { Some(kmh.round() as u64) } else { None },
                        "Minutes": (secs / 60.0).round() as u64,
                    });
                    let legs = ep
                        .details
                        .entry("Legs".into())
                        .or_insert_with(|| serde_json::json!([]));
                    if let Some(a) = legs.as_array_mut()
                        && a.len() < 10
                    {
                        a.push(leg);
                    }
                }
            }
        }
        self.prev = Some(here);
    }

    fn close(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(ep) = self.episode.take() {
            let risk = ctx.cfg.geo_velocity.risk;
            ctx.emit(ep, &DETECTION, risk);
        }
    }
}

impl IdState for State {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        let ep = self.episode.as_ref().map(|e| e.first + ctx.window());
        let exp = self.prev.as_ref().map(|p| p.mini.time() + ctx.window());
        earliest([ep, exp])
    }
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if ended(&self.episode, ctx, now) {
            self.close(ctx);
        }
        if self
            .prev
            .as_ref()
            .is_some_and(|p| p.mini.time() + ctx.window() <= now)
        {
            self.prev = None;
        }
    }
    fn finish(&mut self, ctx: &mut Ctx<'_>) {
        self.close(ctx);
        self.prev = None;
    }
    fn is_empty(&self) -> bool {
        self.episode.is_none() && self.prev.is_none()
    }
    fn last_seen(&self) -> DateTime<Utc> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use super::haversine_km;
    use crate::config::Config;
    use crate::signals::testkit::{ev, run};

    /// The shortcut never passes a pair the haversine puts at or beyond the distance, and passes
    /// nearby ones.
    #[test]
    fn the_shortcut_only_passes_pairs_within_the_distance() {
        let mut x: u64 = 1586;
        let mut next = || {
            x = x
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            (x >> 11) as f64 / (1u64 << 53) as f64
        };
        let mut passed = 0;
        for i in 0..200_000 {
            let (lat1, lon1) = (next() * 180.0 - 90.0, next() * 360.0 - 180.0);
            // Half the pairs near each other, half anywhere.
            let (lat2, lon2) = if i % 2 == 0 {
                (
                    (lat1 + next() * 10.0 - 5.0).clamp(-90.0, 90.0),
                    lon1 + next() * 10.0 - 5.0,
                )
            } else {
                (next() * 180.0 - 90.0, next() * 360.0 - 180.0)
            };
            for km in [1.0, 50.0, 500.0, 2000.0] {
                if super::surely_within(lat1, lon1, lat2, lon2, km) {
                    passed += 1;
                    assert!(
                        haversine_km(lat1, lon1, lat2, lon2) < km,
                        "{lat1} {lon1} {lat2} {lon2} {km}"
                    );
                }
            }
        }
        assert!(passed > 100_000, "{passed}");
        assert!(super::surely_within(47.61, -122.33, 47.61, -122.33, 500.0));
        assert!(!super::surely_within(47.61, -122.33, 51.5, -0.12, 500.0));
    }

    /// A place is kept as shared texts but written to snapshots as its text, as before it was
    /// kept: the text survives a snapshot and restore for every combination of city and country.
    #[test]
    fn place_text_survives_a_snapshot() {
        use super::Place;
        let cases = [
            (Some("Paris"), Some("FR"), "Paris, FR"),
            (Some("Paris"), None, "Paris"),
            (None, Some("FR"), "FR"),
            (None, None, ""),
        ];
        for (city, country, text) in cases {
            let p = Place {
                city: city.map(Into::into),
                country: country.map(Into::into),
            };
            assert_eq!(p.text(), text);
            let bytes = postcard::to_allocvec(&p).expect("serializes");
            assert_eq!(
                bytes,
                postcard::to_allocvec(text).expect("a str"),
                "layout: a string"
            );
            let back: Place = postcard::from_bytes(&bytes).expect("restores");
            assert_eq!(back.text(), text);
        }
    }

    fn at(min: i64, lat: f64, lon: f64) -> crate::AuthEvent {
        let mut e = ev(min, "traveller@contoso.com", "0", "203.0.113.1");
        e.latitude = Some(lat);
        e.longitude = Some(lon);
        e
    }

    const SEATTLE: (f64, f64) = (47.61, -122.33);
    const LONDON: (f64, f64) = (51.51, -0.13);
    const PORTLAND: (f64, f64) = (45.52, -122.68);

    #[test]
    fn haversine_is_right() {
        let d = haversine_km(SEATTLE.0, SEATTLE.1, LONDON.0, LONDON.1);
        assert!((d - 7700.0).abs() < 50.0, "{d}");
        assert_eq!(haversine_km(1.0, 2.0, 1.0, 2.0), 0.0);
    }

    #[test]
    fn table() {
        let cfg = Config::default();
        let cases = vec![
            (
                "Seattle → London in 1 h",
                vec![at(0, SEATTLE.0, SEATTLE.1), at(60, LONDON.0, LONDON.1)],
                1,
            ),
            (
                "Seattle → London in 10 h (a flight)",
                vec![at(0, SEATTLE.0, SEATTLE.1), at(600, LONDON.0, LONDON.1)],
                0,
            ),
            (
                "zero-minute gap",
                vec![at(0, SEATTLE.0, SEATTLE.1), at(0, LONDON.0, LONDON.1)],
                1,
            ),
            (
                "Seattle → Portland in 5 min: under the minimum distance",
                vec![at(0, SEATTLE.0, SEATTLE.1), at(5, PORTLAND.0, PORTLAND.1)],
                0,
            ),
            (
                "no coordinates: skipped",
                vec![
                    at(0, SEATTLE.0, SEATTLE.1),
                    ev(60, "traveller@contoso.com", "0", "1.1.1.1"),
                ],
                0,
            ),
            (
                "a failure from far away is not travel",
                vec![at(0, SEATTLE.0, SEATTLE.1), {
                    let mut e = at(60, LONDON.0, LONDON.1);
                    e.result_code = Some("50126".into());
                    e.outcome = crate::Outcome::Failure;
                    e
                }],
                0,
            ),
        ];
        for (name, events, want) in cases {
            let got = run(&cfg, events)
                .into_iter()
                .filter(|a| a.0 == "ImpossibleTravel")
                .count();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn declared_travel_and_trusted_networks() {
        let cfg = Config::from_json(
            r#"{"allowlist":{"travel":[{"identity":"Traveller@contoso.com","from":"2026-03-02T00:00:00Z","to":"2026-03-03T00:00:00Z"}]}}"#,
        )
        .unwrap();
        assert!(
            run(
                &cfg,
                vec![at(0, SEATTLE.0, SEATTLE.1), at(60, LONDON.0, LONDON.1)]
            )
            .is_empty()
        );
        let cfg = Config::from_json(r#"{"allowlist":{"trusted_ips":["203.0.113.0/24"]}}"#).unwrap();
        assert!(
            run(
                &cfg,
                vec![at(0, SEATTLE.0, SEATTLE.1), at(60, LONDON.0, LONDON.1)]
            )
            .is_empty()
        );
    }
}
