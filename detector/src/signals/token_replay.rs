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
//! * `KitSignInThenNonInteractive` — an interactive success to a kit target app (`kit_apps`: OfficeHome,
//!   the authentication broker, …) with a kit HTTP client user agent (`kit_user_agents`: axios, node,
//!   undici, python-requests, …) or from hosting infrastructure (the hosting signal's lists), followed
//!   within `follow_secs` (1 h) by a non-interactive sign-in of the identity from a different IP.
//!
//! Risks: `risk_session` (85), `risk_scripted` (85), `risk_mfa_claim` (75), `risk_kit` (90); the
//! alert keeps the highest.
//!
//! Anchors: Microsoft's AiTM phishing write-ups (Storm-1167, EvilProxy, Tycoon 2FA), Proofpoint's
//! 2025 account-takeover reports (axios and node-fetch user agents replaying stolen sessions), Entra ID
//! Protection `attackerinTheMiddle` / `anomalousToken`, Panther "Azure sign-in same session from
//! multiple IPs", Sentinel "Possible AiTM phishing attempt"; MITRE ATT&CK T1557, T1550.004, T1539, T1586.
//!
//! Known false positives: a user whose session roams between home broadband and a mobile carrier
//! (two ASNs); split-tunnel VPNs (trust their ASNs); first sign-ins after the history starts
//! (hence `min_history`). The baseline is what this stream has seen, not the tenant's past.

use crate::shared::Shared;

use chrono::{DateTime, Utc};

use serde::{Deserialize, Serialize};
use smallvec::SmallVec;

use super::matched::{self, push_detail};
use super::{Ctx, IdState, Mini, Signal, Stage, Tracker, hosting_asn, secs};
use crate::config::strings;
use crate::event::AuthEvent;
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
        /// Non-interactive sign-ins from another IP within this many seconds after the kit sign-in.
        pub follow_secs: u64 = 3_600,
        pub risk_kit: u32 = 90,
    }
}

pub const DETECTION: Detection =
    Detection::compromise("TokenReplay", &[T1586, T1557, T1550_004, T1539]);

#[derive(Debug, Clone)]
pub(crate) struct Kind;
impl matched::Kind for Kind {
    const DETECTION: &'static Detection = &DETECTION;
}

/// Networks (country or ASN) one session id was used from.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Session {
    identity: Shared<str>,
    networks: Vec<String>,
    first: Mini,
    last: DateTime<Utc>,
    /// The session's first interactive sign-in from a browser, and its address (boxed: rare).
    browser: Option<Box<(Mini, String)>>,
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
    alerts: Tracker<matched::State<Kind>>,
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
        if !ev.result_is("0") {
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
            self.sessions.update(
                sid,
                || Session {
                    identity: ev.identity_key.clone(),
                    networks: vec![],
                    first: Mini::of(ev),
                    last: ev.time,
                    browser: None,
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
            matched::record_with(&mut self.alerts, ev, &extra, risk, ctx, |ep| {
                push_detail(ep, "Patterns", pattern);
                if pattern == "SessionFromMultipleNetworks"
                    && let Some(s) = &sid
                {
                    push_detail(ep, "SessionIds", s);
                }
            });
        }
    }
}

impl Stage for TokenReplay {
    fn advance_dyn(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        self.sessions.advance(now, ctx);
        self.history.advance(now, ctx);
        self.alerts.advance(now, ctx);
    }
    fn finish_dyn(&mut self, ctx: &mut Ctx<'_>) {
        self.sessions.finish(ctx);
        self.history.finish(ctx);
        self.alerts.finish(ctx);
    }
    fn first_due(&self) -> Option<DateTime<Utc>> {
        super::earliest([
            self.sessions.first_due(),
            self.history.first_due(),
            self.alerts.first_due(),
        ])
    }
    fn tracked(&self) -> usize {
        self.sessions.len() + self.history.len() + self.alerts.len()
    }
}

impl IdState for Session {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        Some(self.last + ctx.window())
    }
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if self.last + ctx.window() <= now {
            self.networks.clear();
        }
    }
    fn finish(&mut self, _: &mut Ctx<'_>) {
        self.networks.clear();
    }
    fn is_empty(&self) -> bool {
        self.networks.is_empty()
    }
    fn last_seen(&self) -> DateTime<Utc> {
        self.last
    }
}

/// How long an identity's network history is kept without activity: 30 windows.
const HISTORY_WINDOWS: i32 = 30;

impl IdState for History {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        Some(self.last + ctx.window() * HISTORY_WINDOWS)
    }
    fn on_deadline(&mut self, now: DateTime<Utc>, ctx: &mut Ctx<'_>) {
        if self.last + ctx.window() * HISTORY_WINDOWS <= now {
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
