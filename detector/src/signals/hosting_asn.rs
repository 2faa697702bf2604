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
//! only the ASN number, so the default profile also matches `asn_numbers` (the seed's providers by
//! number: M247 9009, Frantech 53667, Sharktech 46844, Psychz 40676, Quasi Networks 29073, Alexhost
//! 200019, Serverius 50673, Combahton 30823), a Tor exit list (`tor_exit_ips`) and `cidrs`. In the
//! default profile the alert's `Details.MatchedBy` says which list matched.
//!
//! Anchors: MITRE ATT&CK T1586, T1078, T1090 (proxy: anonymizers, Tor, VPS relays); Entra ID Protection
//! "anonymous IP address"; public bad-ASN lists.
//!
//! Known false positives: corporate VPN or secure web gateways hosted at these providers (add their
//! ranges to `trusted_ips`); researchers and privacy-conscious staff using Tor; `185.129.` and
//! `185.220.` also contain ordinary hosting customers.

use ipnet::IpNet;

use super::matched::{self, push_detail};
use super::{Ctx, Signal, Tracker, trusted_ip};
use crate::address::Address;
use crate::event::{AuthEvent, Outcome};
use crate::mitre::{Detection, T1078, T1090, T1586};
use std::net::IpAddr;

crate::config::signal_config! {
    /// Successful sign-ins from hosting / anonymizer infrastructure — see [`crate::signals::hosting_asn`].
    pub struct HostingConfig {
        pub enabled: bool = true,
        /// Case-insensitive substrings of the ASN (network owner) name.
        pub asn_names: Vec<String> = [
            "M247",
            "Frantech",
            "Sharktech",
            "Psychz",
            "Quasi Networks",
            "Alexhost",
            "ITL-Bulgaria",
            "Serverius",
            "Combahton",
            ]
            .into_iter()
            .map(String::from)
            .collect(),
        /// IP text prefixes (seed: the Tor-heavy `185.220.` and `185.129.`).
        pub ip_prefixes: Vec<String> = vec!["185.220.".into(), "185.129.".into()],
        /// Autonomous system numbers (default profile: the seed's providers by number).
        pub asn_numbers: Vec<u32> = Vec::new(),
        /// CIDR ranges (e.g. a datacenter/VPN range list).
        pub cidrs: Vec<IpNet> = Vec::new(),
        /// Tor exit addresses (the Tor Project's bulk exit list: one IP per line; the CLI's `--tor-list`).
        pub tor_exit_ips: Vec<std::net::IpAddr> = Vec::new(),
        /// Risk score (seed: 80).
        pub risk: u32 = 80,
    }
}

pub const DETECTION: Detection =
    Detection::compromise("SuspiciousInfrastructure", &[T1586, T1078, T1090]);

/// Sign-ins from hosting infrastructure: one alert per identity and window.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct Hosting(Tracker<matched::State>);

super::stage_of_trackers!(Hosting { 0 });

/// Why the event comes from listed infrastructure, if it does.
pub(crate) fn matches(ev: &AuthEvent, ctx: &Ctx<'_>) -> Option<&'static str> {
    if trusted_ip(ev, ctx.cfg) {
        return None;
    }
    let cfg = &ctx.cfg.hosting;
    if ev.ip_addr().is_some_and(|ip| ctx.m.tor.contains(&ip)) {
        return Some("Tor exit list");
    }
    if ev.asn.is_some_and(|a| ctx.m.hosting_asns.contains(&a)) {
        return Some("ASN number");
    }
    if ev
        .asn_name()
        .is_some_and(|n| ctx.m.hosting_names.position_shared(n).is_some())
    {
        return Some("ASN name");
    }
    if ev.ip.as_ref().is_some_and(|ip| {
        if let Address::Ip(IpAddr::V4(a)) = ip
            && !ctx.m.hosting_prefix_octets.contains(a.octets()[0])
        {
            return false;
        }
        let ip = ip.text();
        cfg.ip_prefixes
            .iter()
            .any(|p| !p.is_empty() && ip.starts_with(p.as_str()))
    }) {
        return Some("IP prefix");
    }
    if ev
        .ip_addr()
        .is_some_and(|ip| cfg.cidrs.iter().any(|n| n.contains(&ip)))
    {
        return Some("CIDR list");
    }
    None
}

impl Signal for Hosting {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        if ev.outcome != Outcome::Success {
            return;
        }
        let Some(why) = matches(ev, ctx) else {
            return;
        };
        let risk = ctx.cfg.hosting.risk;
        let profile_default = ctx.cfg.profile == crate::config::Profile::Default;
        matched::record(&mut self.0, &DETECTION, ev, risk, ctx, |ep| {
            // The seed profile's alerts stay exactly the seed's columns.
            if profile_default {
                push_detail(ep, "MatchedBy", why);
                if let Some(a) = ev.asn {
                    push_detail(ep, "ASNs", &a.to_string());
                }
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{asn_name, ev, run};

    #[test]
    fn table() {
        let cfg = Config::for_profile(crate::config::Profile::Seed);
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
    fn default_profile_matches_numbers_lists_and_honours_trusted_asns() {
        let u = "h@contoso.com";
        let num = |n: u32| {
            let mut e = ev(1, u, "0", "38.132.1.1");
            e.asn = Some(n);
            e
        };
        let def = Config::default();
        assert_eq!(
            run(&def, vec![num(9009)])
                .iter()
                .filter(|a| a.0 == "SuspiciousInfrastructure")
                .count(),
            1
        );
        assert!(run(&def, vec![num(8075)]).is_empty());
        let seed = Config::for_profile(crate::config::Profile::Seed);
        assert!(
            run(&seed, vec![num(9009)]).is_empty(),
            "the seed matches names only"
        );
        let trusted = Config::from_json(r#"{"allowlist":{"trusted_asns":[9009]}}"#).unwrap();
        assert!(run(&trusted, vec![num(9009)]).is_empty());
        let cidr = Config::from_json(r#"{"hosting":{"cidrs":["38.132.0.0/16"]}}"#).unwrap();
        assert_eq!(run(&cidr, vec![ev(1, u, "0", "38.132.1.1")]).len(), 1);
    }

    #[test]
    fn trusted_ranges_and_custom_lists() {
        let cfg = Config::from_json(r#"{"profile":"seed","allowlist":{"trusted_ips":["185.220.101.0/24"]},"hosting":{"asn_names":["ExampleHost"],"ip_prefixes":[]}}"#).unwrap();
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

    /// Prefixes are compared as texts: a partial octet, a whole address, an IPv6 start, and an
    /// address that is not one (kept as written) all match as written; IPv4 addresses whose first
    /// octet no prefix can start are not written out as text, and must not match.
    #[test]
    fn text_prefixes_match_whatever_their_shape() {
        let cfg = Config::from_json(
            r#"{"hosting":{"ip_prefixes":["18","9.9.9.9","2001:db8:","host-"]}}"#,
        )
        .unwrap();
        let u = "p@contoso.com";
        for (ip, hit) in [
            ("185.1.1.1", true),
            ("18.1.1.1", true),
            ("180.1.1.1", true),
            ("1.18.1.1", false),
            ("81.1.1.1", false),
            ("9.9.9.9", true),
            ("9.9.9.99", true),
            ("9.9.9.1", false),
            ("2001:db8::1", true),
            ("2001:db9::1", false),
            ("host-7", true),
            ("7-host", false),
        ] {
            let n = run(&cfg, vec![ev(1, u, "0", ip)])
                .iter()
                .filter(|a| a.0 == "SuspiciousInfrastructure")
                .count();
            assert_eq!(n, usize::from(hit), "{ip}");
        }
    }
}
