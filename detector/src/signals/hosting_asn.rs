//! **Suspicious infrastructure** (seed profile): successful sign-ins from hosting / anonymizer
//! networks or Tor-heavy address ranges.
//!
//! Logic (the public T1586 KQL): a successful sign-in (result code `0`) matches when its ASN name
//! contains one of `asn_names` (case-insensitive; seed: M247, Frantech, Sharktech, Psychz, Quasi
//! Networks, Alexhost, ITL-Bulgaria, Serverius, Combahton) or its IP text starts with one of
//! `ip_prefixes` (seed: `185.220.`, `185.129.`). Matches of one identity are gathered into one alert
//! per `window_secs` (24 h) from the first match, with risk `risk` (80); `TimeGenerated` is the last
//! match. Sign-ins from `allowlist.trusted_ips` never match.
//!
//! The ASN name comes from the record (`autonomousSystemName`, `ASName`, ...) — Entra exports carry
//! only the ASN number, so without enrichment only the IP prefixes can match.
//!
//! Anchors: MITRE ATT&CK T1586, T1078, T1090 (proxy: anonymizers, Tor, VPS relays); Entra ID Protection
//! "anonymous IP address"; public bad-ASN lists.
//!
//! Known false positives: corporate VPN or secure web gateways hosted at these providers (add their
//! ranges to `trusted_ips`); researchers and privacy-conscious staff using Tor; `185.129.` and
//! `185.220.` also contain ordinary hosting customers.

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::{Ctx, Episode, IdState, Mini, Tracker, trusted_ip};
use crate::event::AuthEvent;

pub const DETECTION_TYPE: &str = "SuspiciousInfrastructure";
pub const MITRE: &[&str] = &["T1586", "T1078", "T1090"];

#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct State {
    episode: Option<Episode>,
    last: DateTime<Utc>,
}

/// Does the event come from listed infrastructure?
pub(crate) fn matches(ev: &AuthEvent, ctx: &Ctx<'_>) -> bool {
    let cfg = &ctx.cfg.hosting;
    let by_name = ev.asn_name.as_deref().is_some_and(|n| {
        let n = n.to_lowercase();
        cfg.asn_names
            .iter()
            .any(|a| !a.is_empty() && n.contains(&a.to_lowercase()))
    });
    let by_prefix = ev.ip.as_deref().is_some_and(|ip| {
        cfg.ip_prefixes
            .iter()
            .any(|p| !p.is_empty() && ip.starts_with(p.as_str()))
    });
    (by_name || by_prefix) && !trusted_ip(ev, ctx.cfg)
}

pub(crate) fn observe(tracker: &mut Tracker<State>, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
    if !ev.result_is("0") || !matches(ev, ctx) {
        return;
    }
    tracker.update(
        &ev.identity_key,
        || State {
            episode: None,
            last: ev.time,
        },
        ctx,
        |s, ctx| {
            s.last = s.last.max(ev.time);
            let w = ctx.window();
            if s.episode.as_ref().is_some_and(|e| ev.time >= e.first + w) {
                s.close(ctx);
            }
            let ep = s
                .episode
                .get_or_insert_with(|| Episode::new(&ev.identity, ev.time));
            ep.add(&Mini::of(ev), true, &ctx.cfg.limits, ctx.stats);
        },
    );
}

impl State {
    fn close(&mut self, ctx: &mut Ctx<'_>) {
        if let Some(ep) = self.episode.take() {
            let last = ep.last;
            ctx.out.push(ep.into_alert(
                DETECTION_TYPE,
                ctx.cfg.hosting.risk,
                last,
                MITRE,
                ctx.cfg,
                ctx.stats,
            ));
        }
    }
}

impl IdState for State {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        self.episode.as_ref().map(|e| e.first + ctx.window())
    }

    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if self
            .episode
            .as_ref()
            .is_some_and(|e| e.first + ctx.window() <= now)
        {
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

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{asn_name, ev, run};

    #[test]
    fn table() {
        let cfg = Config::default();
        let u = "frank@contoso.com";
        let hit = |s: u64, ips: u64| {
            (
                "SuspiciousInfrastructure".to_string(),
                u.to_string(),
                80u32,
                0u64,
                s,
                ips,
            )
        };
        let cases = vec![
            (
                "ASN name contains M247, any case",
                vec![asn_name(ev(1, u, "0", "38.132.1.1"), "m247 Europe SRL")],
                vec![hit(1, 1)],
            ),
            (
                "Tor-like prefix 185.220.",
                vec![ev(1, u, "0", "185.220.101.4")],
                vec![hit(1, 1)],
            ),
            (
                "prefix 185.129.",
                vec![ev(1, u, "0", "185.129.62.62")],
                vec![hit(1, 1)],
            ),
            (
                "185.22.x is not 185.220.",
                vec![ev(1, u, "0", "185.22.1.1")],
                vec![],
            ),
            (
                "a failure from Tor is not a success",
                vec![ev(1, u, "50126", "185.220.101.4")],
                vec![],
            ),
            (
                "ordinary ASN",
                vec![asn_name(
                    ev(1, u, "0", "20.1.1.1"),
                    "MICROSOFT-CORP-MSN-AS-BLOCK",
                )],
                vec![],
            ),
            (
                "two matches in a day → one alert",
                vec![
                    ev(1, u, "0", "185.220.101.4"),
                    asn_name(ev(90, u, "0", "193.27.1.1"), "Frantech Solutions"),
                ],
                vec![hit(2, 2)],
            ),
            (
                "missing IP and ASN do not panic",
                vec![ev(1, u, "0", "")],
                vec![],
            ),
        ];
        for (name, events, want) in cases {
            let got: Vec<_> = run(&cfg, events)
                .into_iter()
                .filter(|a| a.0 == "SuspiciousInfrastructure")
                .collect();
            assert_eq!(got, want, "{name}");
        }
    }

    #[test]
    fn trusted_ranges_and_custom_lists() {
        let cfg = Config::from_json(r#"{"allowlist":{"trusted_ips":["185.220.101.0/24"]},"hosting":{"asn_names":["ExampleHost"],"ip_prefixes":[]}}"#).unwrap();
        let u = "g@contoso.com";
        assert!(run(&cfg, vec![ev(1, u, "0", "185.220.101.4")]).is_empty());
        assert_eq!(
            run(
                &cfg,
                vec![asn_name(ev(1, u, "0", "8.8.8.8"), "examplehost ltd")]
            )
            .len(),
            1
        );
    }
}
