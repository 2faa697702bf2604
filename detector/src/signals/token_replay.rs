//! **AiTM / session-token replay** (default profile): signs that a session or token stolen by an
//! adversary-in-the-middle phishing kit is being used from the attacker's network.
//!
//! Patterns, all reported as one `TokenReplay` alert per identity and window (`Details.Patterns`):
//! * `SessionFromMultipleNetworks` — one `SessionId` used from `session_min_networks` (2) or more
//!   distinct countries or ASNs (IPs alone change too often on mobile networks to count);
//! * `MfaClaimFromNewNetwork` — a success whose MFA was "satisfied by claim in the token", from an ASN
//!   or country never seen for the identity, once the identity has `min_history` (3) successes;
//! * `ScriptedClientReusesSession` — a session whose first interactive success came from a browser
//!   (a `Mozilla/` user agent) used, successfully, by a scripted HTTP client (`scripted_user_agents`:
//!   axios, node-fetch, undici, python-requests, Go-http-client, curl, PowerShell, okhttp, …) from
//!   another address: the session cookie or token was taken and replayed by a tool. It needs no
//!   country or ASN difference (kits proxy from the victim's own country) — only session ids,
//!   which diagnostic and Log Analytics exports carry (Graph v1.0 does not);
//! * `GraphSessionFromMultipleIps` — one session id (or, without one, one `uniqueTokenIdentifier`)
//!   used in interactive successes to Microsoft Graph from `graph_session_min_ips` (2) or more
//!   networks within `graph_session_secs` (1 h), by an app not in `graph_trusted_app_ids`
//!   (Microsoft's own clients that legitimately move between addresses). The mobile / IPv6 guard:
//!   addresses count as one network when they share an IPv4 /24 or an IPv6 /48 (privacy addresses,
//!   carrier NAT pools), or when one is IPv4 and the other IPv6 with the same AS number (a
//!   dual-stack device); non-interactive sign-ins (refresh tokens from wherever the app runs) are
//!   left out;
//! * `KitSignInThenNonInteractive` — an interactive success to a kit target app (`kit_apps`: OfficeHome,
//!   the authentication broker, …) with a kit HTTP client user agent (`kit_user_agents`: axios, node,
//!   undici, python-requests, …) or from hosting infrastructure (the hosting signal's lists), followed
//!   within `follow_secs` (1 h) by a non-interactive sign-in of the identity from a different IP.
//!
//! Sources: every provider's user sign-ins (`Reads::SignIns`): a session id is Entra's `SessionId`
//! or Okta's `authenticationContext.externalSessionId`; a success is Entra's code 0, or the
//! provider's success outcome. The Entra-only patterns (an MFA claim, Microsoft Graph, kit apps and
//! non-interactive follow-ups) need Entra's fields and stay silent for the others.
//!
//! Risks: `risk_session` (85), `risk_scripted` (85), `risk_graph_session` (80), `risk_mfa_claim`
//! (75), `risk_kit` (90); the alert keeps the highest.
//!
//! Anchors: Microsoft's AiTM phishing write-ups (Storm-1167, EvilProxy, Tycoon 2FA), Proofpoint's
//! 2025 account-takeover reports (axios and node-fetch user agents replaying stolen sessions), Entra ID
//! Protection `attackerinTheMiddle` / `anomalousToken`, Panther "Azure sign-in same session from
//! multiple IPs" and "Azure Microsoft Graph Single Session from Multiple IP Addresses", Elastic
//! "Entra ID Graph Single Session from Multiple Addresses", Sentinel "Possible AiTM phishing attempt",
//! Panther "Okta Potentially Stolen Session"; MITRE ATT&CK T1557, T1550.004, T1539, T1586.
//!
//! Known false positives: a user whose session roams between home broadband and a mobile carrier
//! (two ASNs); split-tunnel VPNs (trust their ASNs); first sign-ins after the history starts
//! (hence `min_history`). The baseline is what this stream has seen, not the tenant's past.

use crate::shared::Shared;

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::matched::{self, push_detail};
use super::{Ctx, IdState, Mini, Signal, Tracker, hosting_asn, secs};
use crate::config::strings;
use crate::event::{AuthEvent, Outcome, SourceKind};
use crate::mitre::{Detection, T1539, T1550_004, T1557, T1586};

crate::config::signal_config! {
    /// AiTM / session-token replay (default profile) — see [`crate::signals::token_replay`].
    pub struct TokenReplayConfig {
        pub enabled: bool = true,
        /// One session id seen from this many countries or ASNs.
        pub session_min_networks: u32 = 2,
        pub risk_session: u32 = 85,
        /// MFA satisfied by a token claim from an ASN/country never seen for the identity, once the
        /// identity has at least `min_history` successful sign-ins.
        pub min_history: u32 = 3,
        pub risk_mfa_claim: u32 = 75,
        /// Apps phishing kits sign into interactively.
        pub kit_apps: Vec<String> = strings(&[
            "OfficeHome",
            "Office 365",
            "Microsoft Authentication Broker",
            "Microsoft Office",
            ]),
        /// User-agent substrings of phishing-kit HTTP clients (case-insensitive).
        pub kit_user_agents: Vec<String> = strings(&[
            "axios",
            "node-fetch",
            "node.js",
            "undici",
            "python-requests",
            "go-http-client",
            "okhttp",
            ]),
        /// User-agent substrings of scripted HTTP clients (case-insensitive): a session a browser
        /// started, used by one of these from another address, is replayed.
        pub scripted_user_agents: Vec<String> = strings(&[
            "axios",
            "node-fetch",
            "undici",
            "python-requests",
            "python-urllib",
            "aiohttp",
            "go-http-client",
            "curl/",
            "powershell",
            "okhttp",
            "libwww-perl",
            "wget/",
        ]),
        pub risk_scripted: u32 = 85,
        /// One session (or token) used for Microsoft Graph from this many networks.
        pub graph_session_min_ips: u32 = 2,
        /// ... within this many seconds.
        pub graph_session_secs: u64 = 3_600,
        /// Apps (application ids) whose Graph sessions move between networks by design: Office,
        /// Exchange, Teams, OneDrive, Edge, the Azure portal and CLI, Defender and other Microsoft
        /// services.
        pub graph_trusted_app_ids: Vec<String> = strings(&[
            "00000003-0000-0ff1-ce00-000000000000",
            "00000006-0000-0ff1-ce00-000000000000",
            "00b41c95-dab0-4487-9791-b9d2c32c80f2",
            "d3590ed6-52b3-4102-aeff-aad2292ab01c",
            "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
            "5e3ce6c0-2b1f-4285-8d4b-75ee78787346",
            "cc15fd57-2c6c-4117-a88c-83b1d56b4bbe",
            "ab9b8c07-8f02-4f72-87fa-80105867a763",
            "ea5a67f6-b6f3-4338-b240-c655ddc3cc8e",
            "ecd6b820-32c2-49b6-98a6-444530e5a77a",
            "f44b1140-bc5e-48c6-8dc0-5cf5a53c0e34",
            "797f4846-ba00-4fd7-ba43-dac1f8f63013",
            "c44b4083-3bb0-49c1-b47d-974e53cbdf3c",
            "04b07795-8ddb-461a-bbee-02f9e1bf7b46",
            "fc780465-2017-40d4-a0c5-307022471b92",
            "8ee8fdad-f234-4243-8f3b-15c294843740",
            "2793995e-0a7d-40d7-bd35-6968ba142197",
            "7b7531ad-5926-4f2d-8a1d-38495ad33e17",
        ]),
        pub risk_graph_session: u32 = 80,
        /// Non-interactive sign-ins from another IP within this many seconds after the kit sign-in.
        pub follow_secs: u64 = 3_600,
        pub risk_kit: u32 = 90,
    }
}

pub const DETECTION: Detection =
    Detection::compromise("TokenReplay", &[T1586, T1557, T1550_004, T1539]);

/// Networks (country or ASN) one session id was used from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Session {
    identity: Shared<str>,
    networks: Vec<String>,
    first: Mini,
    last: DateTime<Utc>,
    /// The session's first interactive sign-in from a browser, and its address (boxed: rare).
    browser: Option<Box<(Mini, String)>>,
    /// The networks of its interactive Microsoft Graph sign-ins (boxed: rare).
    graph: Option<Box<GraphUses>>,
}

/// The networks a session was used from for Microsoft Graph, and its first such sign-in.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct GraphUses {
    first: Mini,
    /// (network, IPv6, AS number, latest use) — at most [`GRAPH_CAP`].
    nets: Vec<(String, bool, Option<u32>, DateTime<Utc>)>,
}

const GRAPH_CAP: usize = 16;

/// Microsoft Graph's application id.
const GRAPH: &str = "00000003-0000-0000-c000-000000000000";

/// An address's network for the Graph session guard: its IPv4 /24 or IPv6 /48 (an address
/// that did not parse: its text).
fn network_of(a: &crate::address::Address) -> (String, bool) {
    match a.ip() {
        Some(std::net::IpAddr::V4(v4)) => {
            let o = v4.octets();
            (format!("{}.{}.{}.0/24", o[0], o[1], o[2]), false)
        }
        Some(std::net::IpAddr::V6(v6)) => {
            let s = v6.segments();
            (format!("{:x}:{:x}:{:x}::/48", s[0], s[1], s[2]), true)
        }
        None => (a.text().to_string(), false),
    }
}

/// An interactive Microsoft Graph success by an app not trusted to roam.
fn graph_use(ev: &AuthEvent, cfg: &TokenReplayConfig) -> bool {
    ev.interactive != Some(false)
        && (ev.resource_id() == Some(GRAPH)
            || ev
                .resource()
                .is_some_and(|r| super::contains_folded(r, "microsoft graph")))
        && !ev.app_id().is_some_and(|a| {
            cfg.graph_trusted_app_ids
                .iter()
                .any(|t| t.eq_ignore_ascii_case(a))
        })
}

impl Session {
    fn forget(&mut self) {
        self.networks.clear();
        self.browser = None;
        self.graph = None;
    }

    /// A Graph use of this session: the session's first Graph sign-in when this one brought the
    /// networks to the threshold.
    fn graph_network(&mut self, ev: &AuthEvent, cfg: &TokenReplayConfig) -> Option<Mini> {
        let ip = ev.ip.as_ref().filter(|a| !a.is_empty())?;
        let (net, v6) = network_of(ip);
        let g = self.graph.get_or_insert_with(|| {
            Box::new(GraphUses {
                first: Mini::of(ev),
                nets: Vec::new(),
            })
        });
        let since = ev.time - secs(cfg.graph_session_secs);
        g.nets.retain(|n| n.3 > since);
        let same = g
            .nets
            .iter_mut()
            .find(|n| n.0 == net || (n.1 != v6 && ev.asn.is_some() && n.2 == ev.asn));
        if let Some(n) = same {
            n.3 = n.3.max(ev.time);
            return None;
        }
        if g.nets.len() >= GRAPH_CAP {
            return None;
        }
        g.nets.push((net, v6, ev.asn, ev.time));
        (g.nets.len() == cfg.graph_session_min_ips.max(2) as usize).then(|| g.first.clone())
    }
}

/// What this stream has seen of an identity.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct History {
    /// Inline up to four (most identities use one or two networks): no separate allocation to read
    /// on every success.
    asns: SmallVec<[u32; 4]>,
    /// The reader's shared texts: comparing them reads text that is in use anyway (a `String` each
    /// would be one more place in memory to read per country, on every success). Inline up to two,
    /// like the AS numbers: a separate list was one more random cache line on every success, about
    /// a third of this signal's time (`native --upto token_replay` 1.32 → 1.26 s, commit 3e29bdd).
    /// Written in snapshots as the list it was.
    countries: SmallVec<[Shared<str>; 2]>,
    successes: u64,
    /// Boxed: rare, and most of the history's size inline.
    kit: Option<Box<(Mini, String)>>,
    last: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct TokenReplay {
    sessions: Tracker<Session>,
    history: Tracker<History>,
    alerts: Tracker<matched::State>,
}

const NETWORK_CAP: usize = 64;

/// The country of a session network kept as `country:CC` (the first byte is looked at first: in
/// wasm a prefix compare is a call).
fn country_of(n: &str) -> Option<&str> {
    if n.as_bytes().first() != Some(&b'c') {
        return None;
    }
    n.strip_prefix("country:")
}

fn kit_claim(ev: &AuthEvent) -> bool {
    ev.auth_step_results()
        .iter()
        .any(|d| super::contains_folded(d, "satisfied by claim in the token"))
}

impl Signal for TokenReplay {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        // Entra's successes by their code; the other providers' by their outcome.
        let success = if ev.source_kind == SourceKind::EntraSignIn {
            ev.result_is("0")
        } else {
            ev.outcome == Outcome::Success
        };
        if !success {
            return;
        }
        let cfg = &ctx.cfg.token_replay;
        let mut hits: Vec<(&'static str, u32, Vec<Mini>)> = Vec::new();

        // 1. One session id from several networks.
        if let Some(sid) = ev.session_id().map(|s| &**s).filter(|s| !s.is_empty()) {
            // Networks are kept as "country:CC" and "AS123"; compared without formatting them.
            let country = ev.country.as_deref();
            let mut first = None;
            let mut scripted = None;
            let mut graph_hit = None;
            let interactive_now = ev.interactive;
            let browser_ua = ev
                .user_agent
                .as_deref()
                .is_some_and(|u| super::contains_folded(u, "mozilla/"));
            let scripted_ua = ev
                .user_agent
                .as_ref()
                .is_some_and(|u| ctx.m.scripted_user_agents.position_shared(u).is_some());
            let min = cfg.session_min_networks as usize;
            let graph = graph_use(ev, cfg);
            self.sessions.update(
                sid,
                || Session {
                    identity: ev.identity_key.clone(),
                    networks: vec![],
                    first: Mini::of(ev),
                    last: ev.time,
                    browser: None,
                    graph: None,
                },
                ctx,
                |s, _| {
                    s.last = s.last.max(ev.time);
                    let same_identity = Shared::ptr_eq(&s.identity, &ev.identity_key)
                        || s.identity == ev.identity_key;
                    // A scripted client in a session a browser started, from another address.
                    if let Some(ip) = ev.ip.as_ref().filter(|a| !a.is_empty()) {
                        let ip = ip.to_string();
                        match &s.browser {
                            None if browser_ua && interactive_now != Some(false) => {
                                s.browser = Some(Box::new((Mini::of(ev), ip)));
                            }
                            Some(b) if scripted_ua && same_identity && b.1 != ip => {
                                scripted = Some(b.0.clone());
                            }
                            _ => {}
                        }
                    }
                    if graph && same_identity {
                        graph_hit = s.graph_network(ev, cfg);
                    }
                    // One pass over the session's networks: how many are countries, and whether
                    // this sign-in's country and AS are among them.
                    let (mut before_c, mut seen_c, mut seen_a) = (0, false, false);
                    for n in &s.networks {
                        if let Some(x) = country_of(n) {
                            before_c += 1;
                            seen_c |= country == Some(x);
                        } else if let Some(a) = ev.asn {
                            seen_a |=
                                n.strip_prefix("AS").and_then(|x| x.parse::<u32>().ok()) == Some(a);
                        }
                    }
                    let before_a = s.networks.len() - before_c;
                    let (mut c, mut a) = (before_c, before_a);
                    if let Some(cc) = country
                        && !seen_c
                        && s.networks.len() < NETWORK_CAP
                    {
                        s.networks.push(format!("country:{cc}"));
                        c += 1;
                    }
                    if let Some(asn) = ev.asn
                        && !seen_a
                        && s.networks.len() < NETWORK_CAP
                    {
                        s.networks.push(format!("AS{asn}"));
                        a += 1;
                    }
                    let grew = (c >= min && c > before_c) || (a >= min && a > before_a);
                    if grew
                        && (Shared::ptr_eq(&s.identity, &ev.identity_key)
                            || s.identity == ev.identity_key)
                    {
                        first = Some(s.first.clone());
                    }
                },
            );
            if let Some(f) = first {
                hits.push(("SessionFromMultipleNetworks", cfg.risk_session, vec![f]));
            }
            if let Some(b) = scripted {
                hits.push(("ScriptedClientReusesSession", cfg.risk_scripted, vec![b]));
            }
            if let Some(g) = graph_hit {
                hits.push((
                    "GraphSessionFromMultipleIps",
                    cfg.risk_graph_session,
                    vec![g],
                ));
            }
        } else if let Some(tok) = ev.token_id().filter(|t| !t.is_empty())
            && graph_use(ev, cfg)
        {
            // No session id: one token used from several networks.
            let mut graph_hit = None;
            let key = format!("token:{tok}");
            self.sessions.update(
                key.as_str(),
                || Session {
                    identity: ev.identity_key.clone(),
                    networks: vec![],
                    first: Mini::of(ev),
                    last: ev.time,
                    browser: None,
                    graph: None,
                },
                ctx,
                |s, _| {
                    s.last = s.last.max(ev.time);
                    if s.identity == ev.identity_key {
                        graph_hit = s.graph_network(ev, cfg);
                    }
                },
            );
            if let Some(g) = graph_hit {
                hits.push((
                    "GraphSessionFromMultipleIps",
                    cfg.risk_graph_session,
                    vec![g],
                ));
            }
        }

        // 2 and 3 need the identity's history.
        let interactive = ev.interactive;
        let kit_app = ev
            .app
            .as_deref()
            .is_some_and(|a| cfg.kit_apps.iter().any(|k| a.eq_ignore_ascii_case(k)));
        // Only kit apps need the user-agent check (it lower-cases the agent).
        let kit_ua = kit_app
            && ev
                .user_agent
                .as_ref()
                .is_some_and(|u| ctx.m.kit_user_agents.position_shared(u).is_some());
        let kit_now = interactive == Some(true)
            && kit_app
            && (kit_ua || hosting_asn::matches(ev, ctx).is_some());
        let claim = kit_claim(ev);
        let follow = secs(cfg.follow_secs);
        let min_history = u64::from(cfg.min_history);
        let ip = ev.ip.as_ref().filter(|a| !a.is_empty());
        self.history.update(
            &ev.identity_key,
            || History {
                asns: SmallVec::new(),
                countries: SmallVec::new(),
                successes: 0,
                kit: None,
                last: ev.time,
            },
            ctx,
            |h, ctx| {
                h.last = h.last.max(ev.time);
                if claim && h.successes >= min_history {
                    let new_asn = ev.asn.is_some_and(|a| !h.asns.contains(&a));
                    let new_country = ev
                        .country
                        .as_deref()
                        .is_some_and(|c| !h.countries.iter().any(|x| **x == *c));
                    if new_asn || new_country {
                        hits.push((
                            "MfaClaimFromNewNetwork",
                            ctx.cfg.token_replay.risk_mfa_claim,
                            vec![],
                        ));
                    }
                }
                if interactive == Some(false)
                    && let Some((kit, kit_ip)) = h.kit.as_deref()
                    && ev.time - kit.time() <= follow
                    && let Some(ip) = ip
                    && **kit_ip != *ip.text()
                {
                    hits.push((
                        "KitSignInThenNonInteractive",
                        ctx.cfg.token_replay.risk_kit,
                        vec![kit.clone()],
                    ));
                    h.kit = None;
                }
                if kit_now {
                    h.kit = Some(Box::new((
                        Mini::of(ev),
                        ip.map_or_else(String::new, ToString::to_string),
                    )));
                }
                h.successes += 1;
                if let Some(a) = ev.asn
                    && !h.asns.contains(&a)
                    && h.asns.len() < NETWORK_CAP
                {
                    h.asns.push(a);
                }
                if let Some(c) = &ev.country
                    && !h
                        .countries
                        .iter()
                        .any(|x| Shared::ptr_eq(x, c) || **x == **c)
                    && h.countries.len() < NETWORK_CAP
                {
                    h.countries.push(c.clone());
                }
            },
        );

        for (pattern, risk, extra) in hits {
            let sid = ev.session_id();
            matched::record_with(&mut self.alerts, &DETECTION, ev, &extra, risk, ctx, |ep| {
                push_detail(ep, "Patterns", pattern);
                if matches!(
                    pattern,
                    "SessionFromMultipleNetworks" | "GraphSessionFromMultipleIps"
                ) && let Some(s) = &sid
                {
                    push_detail(ep, "SessionIds", s);
                }
            });
        }
    }
}

super::stage_of_trackers!(TokenReplay {
    sessions,
    history,
    alerts
});

impl IdState for Session {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        Some(self.last + ctx.window())
    }
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if self.last + ctx.window() <= now {
            self.forget();
        }
    }
    fn finish(&mut self, _: &mut Ctx<'_>) {
        self.forget();
    }
    fn is_empty(&self) -> bool {
        self.networks.is_empty() && self.browser.is_none() && self.graph.is_none()
    }
    fn last_seen(&self) -> DateTime<Utc> {
        self.last
    }
}

impl IdState for History {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        Some(self.last + ctx.window() * super::HISTORY_WINDOWS)
    }
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if self.last + ctx.window() * super::HISTORY_WINDOWS <= now {
            self.successes = 0;
            self.asns.clear();
            self.countries.clear();
            self.kit = None;
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
    use crate::signals::testkit::{country, ev, run};

    fn replay(events: Vec<crate::AuthEvent>) -> usize {
        run(&Config::default(), events)
            .into_iter()
            .filter(|a| a.0 == "TokenReplay")
            .count()
    }

    /// Another provider's session (Okta's `externalSessionId`): its successes count by outcome,
    /// its failures not at all; Entra's code-based patterns stay silent.
    #[test]
    fn other_providers_sessions() {
        use crate::event::{Outcome, SourceKind};
        let u = "o@example.com";
        let mk = |min, ip: &str, cc: &str, outcome: Outcome| {
            let mut e = country(ev(min, u, "0", ip), cc);
            e.source_kind = SourceKind::Okta;
            e.result_code = None;
            e.outcome = outcome;
            e.interactive = None;
            e.extra_mut().session_id = Some("102okta".into());
            e
        };
        // (case, events, replay alerts)
        let cases = [
            (
                "one Okta session used from two countries",
                vec![
                    mk(0, "198.51.100.1", "NL", Outcome::Success),
                    mk(40, "203.0.113.7", "RO", Outcome::Success),
                ],
                1,
            ),
            (
                "failed uses are not uses of the session",
                vec![
                    mk(0, "198.51.100.1", "NL", Outcome::Success),
                    mk(40, "203.0.113.7", "RO", Outcome::Failure),
                ],
                0,
            ),
            (
                "one country, one network",
                vec![
                    mk(0, "198.51.100.1", "NL", Outcome::Success),
                    mk(40, "198.51.100.2", "NL", Outcome::Success),
                ],
                0,
            ),
        ];
        for (case, events, want) in cases {
            assert_eq!(replay(events), want, "{case}");
        }
        // Missing fields: no session, no place, no outcome detail — no alert, no panic.
        let mut bare = mk(0, "198.51.100.1", "NL", Outcome::Success);
        bare.extra = None;
        bare.country = None;
        bare.ip = None;
        assert_eq!(replay(vec![bare.clone(), bare]), 0);
    }

    #[test]
    fn scripted_client_reuses_a_browser_session() {
        let u = "s@contoso.com";
        let mk = |min, ip: &str, ua: &str, sid: &str, interactive: bool| {
            let mut e = country(ev(min, u, "0", ip), "US");
            e.extra_mut().session_id = Some(sid.into());
            e.user_agent = Some(ua.into());
            e.interactive = Some(interactive);
            e
        };
        let browser = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) Edge/120";
        // (case, events, replay alerts)
        let cases = [
            (
                "axios from another address, same country, same session",
                vec![
                    mk(0, "198.51.100.1", browser, "s1", true),
                    mk(9, "203.0.113.7", "axios/1.7.2", "s1", false),
                ],
                1,
            ),
            (
                "PowerShell too, any case",
                vec![
                    mk(0, "198.51.100.1", browser, "s1", true),
                    mk(
                        9,
                        "203.0.113.7",
                        "Mozilla/5.0 (Windows NT; Windows NT 10.0) WindowsPowerShell/5.1",
                        "s1",
                        false,
                    ),
                ],
                1,
            ),
            (
                "the scripted client from the browser's own address is the user's tooling",
                vec![
                    mk(0, "198.51.100.1", browser, "s1", true),
                    mk(9, "198.51.100.1", "python-requests/2.31", "s1", false),
                ],
                0,
            ),
            (
                "a browser from another address is roaming, not a tool",
                vec![
                    mk(0, "198.51.100.1", browser, "s1", true),
                    mk(9, "203.0.113.7", browser, "s1", true),
                ],
                0,
            ),
            (
                "another session is another story",
                vec![
                    mk(0, "198.51.100.1", browser, "s1", true),
                    mk(9, "203.0.113.7", "axios/1.7.2", "s2", false),
                ],
                0,
            ),
            (
                "no browser sign-in first: nothing to compare with",
                vec![
                    mk(0, "198.51.100.1", "axios/1.7.2", "s1", false),
                    mk(9, "203.0.113.7", "axios/1.7.2", "s1", false),
                ],
                0,
            ),
        ];
        for (name, events, want) in cases {
            assert_eq!(replay(events), want, "{name}");
        }
    }

    #[test]
    fn session_from_two_countries() {
        let u = "s@contoso.com";
        let mk = |min, ip: &str, c: &str, sid: &str| {
            let mut e = country(ev(min, u, "0", ip), c);
            e.extra_mut().session_id = Some(sid.into());
            e
        };
        assert_eq!(
            replay(vec![
                mk(0, "1.1.1.1", "US", "s1"),
                mk(5, "2.2.2.2", "NL", "s1")
            ]),
            1
        );
        assert_eq!(
            replay(vec![
                mk(0, "1.1.1.1", "US", "s1"),
                mk(5, "1.1.1.9", "US", "s1")
            ]),
            0,
            "same country, new IP"
        );
        assert_eq!(
            replay(vec![
                mk(0, "1.1.1.1", "US", "s1"),
                mk(5, "2.2.2.2", "NL", "s2")
            ]),
            0,
            "different sessions"
        );
        // Networks are countries and AS numbers, counted apart.
        let with_asn = |mut e: crate::AuthEvent, asn: u32| {
            e.asn = Some(asn);
            e
        };
        assert_eq!(
            replay(vec![
                with_asn(mk(0, "1.1.1.1", "US", "s1"), 64500),
                with_asn(mk(5, "1.1.1.2", "US", "s1"), 64501)
            ]),
            1,
            "one country, two AS numbers"
        );
        assert_eq!(
            replay(vec![
                with_asn(mk(0, "1.1.1.1", "US", "s1"), 64500),
                with_asn(mk(5, "1.1.1.2", "US", "s1"), 64500),
                with_asn(mk(9, "1.1.1.3", "US", "s1"), 64500)
            ]),
            0,
            "one country, one AS number"
        );
    }

    #[test]
    fn mfa_claim_from_a_new_asn_after_history() {
        let u = "m@contoso.com";
        let mk = |min, asn: u32, claim: bool| {
            let mut e = ev(min, u, "0", "1.1.1.1");
            e.asn = Some(asn);
            if claim {
                e.extra_mut().auth_step_results =
                    vec!["MFA requirement satisfied by claim in the token".into()];
            }
            e
        };
        let history: Vec<_> = (0..3).map(|i| mk(i, 7922, false)).collect();
        let mut v = history.clone();
        v.push(mk(10, 9009, true));
        assert_eq!(replay(v), 1);
        let mut v = history.clone();
        v.push(mk(10, 7922, true));
        assert_eq!(replay(v), 0, "known ASN");
        assert_eq!(
            replay(vec![mk(0, 7922, false), mk(10, 9009, true)]),
            0,
            "not enough history"
        );
    }

    #[test]
    fn kit_sign_in_then_non_interactive_from_elsewhere() {
        let u = "k@contoso.com";
        let mut kit = ev(0, u, "0", "45.1.1.1");
        kit.app = Some("OfficeHome".into());
        kit.user_agent = Some("axios/1.6.8".into());
        let mut follow = ev(20, u, "0", "45.9.9.9");
        follow.interactive = Some(false);
        assert_eq!(replay(vec![kit.clone(), follow.clone()]), 1);
        let mut same_ip = follow.clone();
        same_ip.ip = Some("45.1.1.1".into());
        assert_eq!(replay(vec![kit.clone(), same_ip]), 0);
        let mut late = follow.clone();
        late.time = crate::signals::testkit::t(120);
        assert_eq!(replay(vec![kit.clone(), late]), 0);
        let mut browser = kit.clone();
        browser.user_agent = Some("Mozilla/5.0".into());
        assert_eq!(replay(vec![browser, follow]), 0);
    }

    #[test]
    fn missing_fields_do_not_panic() {
        let mut e = ev(0, "x@y.z", "0", "");
        e.app = None;
        e.extra_mut().session_id = Some("".into());
        assert_eq!(replay(vec![e.clone(), e]), 0);
    }
}
