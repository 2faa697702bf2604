//! **Token phishing through first-party clients** (default profile): the consent-free phishing
//! of 2024–25, where the victim signs in to a genuine Microsoft page and the attacker walks away
//! with tokens for a Microsoft client.
//!
//! Patterns, each its own detection type:
//! * `DeviceCodePhishing` — a successful sign-in through the device-code flow
//!   (`authenticationProtocol` `deviceCode`, or a session whose `originalTransferMethod` is
//!   `deviceCodeFlow`) to a client in `device_code_clients` (by application id, or by name in
//!   `device_code_client_names` when the record has no id): the Microsoft Authentication Broker
//!   (`risk_broker`, 85: the Storm-2372 path to a device registration and a primary refresh token),
//!   Microsoft Office or Teams (`risk_device_code`, 70). Device code sign-ins of other clients
//!   (Azure CLI, PowerShell: admins on headless machines) are left alone.
//! * `OAuthClientPhishing` — a successful sign-in of a public client in `oauth_clients` (Visual
//!   Studio Code), or with a user agent in `oauth_client_user_agents`, for Microsoft Graph
//!   (`resourceId` `00000003-0000-0000-c000-000000000000` or a resource named "Microsoft Graph"):
//!   the authorization code the victim pasted back (Volexity's UTA0352/UTA0355 campaigns) redeemed
//!   for Graph tokens (`risk_oauth`, 70).
//!
//! Either one followed within `follow_secs` (1 h) by a sign-in of the same identity to the Device
//! Registration Service (`device_registration_ids`) raises the alert to `risk_registration` (90)
//! with `Details.FollowedBy` `DeviceRegistration`: the attacker registered a device to hold a
//! primary refresh token. `Details.ClientAppIds`, `Details.Resources` and `Details.Protocols` show
//! what matched.
//!
//! Anchors: Microsoft Threat Intelligence, "Storm-2372 conducts device code phishing campaign"
//! (Feb 2025); Volexity, "Phishing for Codes: Russian Threat Actors Target Microsoft 365 OAuth
//! Workflows" (Apr 2025); Elastic "Entra ID OAuth Device Code Grant by Microsoft Authentication
//! Broker" and "Entra ID OAuth Phishing via First-Party Microsoft Application"; Panther "Azure
//! Device Code Authentication with Broker Client", "Azure VS Code OAuth Phishing"; Sentinel
//! "Suspicious Sign In by Device Code Flow"; MITRE ATT&CK T1528, T1566.002, T1550.001, T1078.004.
//!
//! Known false positives: Teams Rooms and other shared devices that sign in Teams or Office by
//! device code (allowlist their accounts, or take Teams off the list); developers who use VS Code's
//! Microsoft account sign-in against Graph (take it off `oauth_clients`, or allowlist them).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use super::matched::{self, push_detail};
use super::{Ctx, IdState, Mini, Signal, Tracker, contains_folded, secs};
use crate::config::strings;
use crate::event::{AuthEvent, Outcome};
use crate::mitre::{Detection, T1078_004, T1528, T1550_001, T1566_002};

crate::config::signal_config! {
    /// Token phishing through first-party clients (default profile) — see
    /// [`crate::signals::client_phishing`].
    pub struct ClientPhishingConfig {
        pub enabled: bool = true,
        /// Clients (application ids, case-insensitive) whose device-code sign-ins are phishing
        /// unless shown otherwise. The first is the Microsoft Authentication Broker.
        pub device_code_clients: Vec<String> = strings(&[
            "29d9ed98-a469-4536-ade2-f981bc1d605e",
            "d3590ed6-52b3-4102-aeff-aad2292ab01c",
            "1fec8e78-bce4-4aaf-ab1b-5451cc387264",
        ]),
        /// The same clients by name, for records without an application id (case-insensitive).
        pub device_code_client_names: Vec<String> = strings(&[
            "Microsoft Authentication Broker",
            "Microsoft Office",
            "Microsoft Teams",
        ]),
        /// The broker's device-code sign-in (the path to a primary refresh token).
        pub risk_broker: u32 = 85,
        /// Another listed client's device-code sign-in.
        pub risk_device_code: u32 = 70,
        /// Public clients (application ids) whose Graph sign-ins are OAuth phishing: Visual
        /// Studio Code.
        pub oauth_clients: Vec<String> = strings(&["aebc6443-996d-45c2-90f0-388ff96faa56"]),
        /// The same clients by user-agent text (case-insensitive).
        pub oauth_client_user_agents: Vec<String> = strings(&["Visual Studio Code"]),
        pub risk_oauth: u32 = 70,
        /// Application ids of the Device Registration Service (a sign-in to it after a phishing
        /// match: a device being registered).
        pub device_registration_ids: Vec<String> = strings(&["01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9"]),
        /// A device registration within this many seconds after the match raises the alert.
        pub follow_secs: u64 = 3_600,
        pub risk_registration: u32 = 90,
    }
}

/// The techniques both patterns share: an application access token stolen (T1528) through a
/// phishing link (T1566.002), used as alternate authentication material (T1550.001) of a cloud
/// account (T1078.004).
const TECHNIQUES: &[crate::mitre::Technique] = &[T1528, T1566_002, T1550_001, T1078_004];

pub const DEVICE_CODE: Detection = Detection::compromise("DeviceCodePhishing", TECHNIQUES);
pub const OAUTH_CLIENT: Detection = Detection::compromise("OAuthClientPhishing", TECHNIQUES);

/// Microsoft Graph's application id.
const GRAPH: &str = "00000003-0000-0000-c000-000000000000";

/// The identity's latest phishing match, waiting `follow_secs` for a device registration.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Mark {
    at: Mini,
    device_code: bool,
    last: DateTime<Utc>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct ClientPhishing {
    marks: Tracker<Mark>,
    device_code: Tracker<matched::State>,
    oauth: Tracker<matched::State>,
}

fn listed(v: &[String], t: Option<&str>) -> bool {
    t.is_some_and(|t| v.iter().any(|x| x.eq_ignore_ascii_case(t)))
}

/// A device-code flow sign-in: the protocol, or a session that started by device code.
fn device_code_flow(ev: &AuthEvent) -> bool {
    ev.auth_protocol()
        .is_some_and(|p| p.eq_ignore_ascii_case("deviceCode"))
        || ev
            .transfer_method()
            .is_some_and(|t| t.eq_ignore_ascii_case("deviceCodeFlow"))
}

fn for_graph(ev: &AuthEvent) -> bool {
    ev.resource_id() == Some(GRAPH)
        || ev
            .resource()
            .is_some_and(|r| contains_folded(r, "microsoft graph"))
}

impl Signal for ClientPhishing {
    const DETECTIONS: &'static [Detection] = &[DEVICE_CODE, OAUTH_CLIENT];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        if ev.outcome != Outcome::Success {
            return;
        }
        let cfg = &ctx.cfg.client_phishing;
        // A device registration after a match raises that match's alert.
        if listed(&cfg.device_registration_ids, ev.resource_id())
            || ev
                .resource()
                .is_some_and(|r| r.eq_ignore_ascii_case("Device Registration Service"))
        {
            let follow = secs(cfg.follow_secs);
            let risk = cfg.risk_registration;
            if let Some(m) = self.marks.get(&ev.identity_key)
                && ev.time >= m.at.time()
                && ev.time - m.at.time() <= follow
            {
                let (at, device_code) = (m.at.clone(), m.device_code);
                let note = |ep: &mut super::Episode| {
                    push_detail(ep, "FollowedBy", "DeviceRegistration");
                };
                if device_code {
                    matched::record_with(
                        &mut self.device_code,
                        &DEVICE_CODE,
                        ev,
                        &[at],
                        risk,
                        ctx,
                        note,
                    );
                } else {
                    matched::record_with(
                        &mut self.oauth,
                        &OAUTH_CLIENT,
                        ev,
                        &[at],
                        risk,
                        ctx,
                        note,
                    );
                }
            }
            return;
        }
        let client = ev.app_id();
        let device_code = device_code_flow(ev)
            && (listed(&cfg.device_code_clients, client)
                || (client.is_none() && listed(&cfg.device_code_client_names, ev.app.as_deref())));
        let oauth = !device_code
            && for_graph(ev)
            && (listed(&cfg.oauth_clients, client)
                || ev.user_agent.as_deref().is_some_and(|u| {
                    cfg.oauth_client_user_agents
                        .iter()
                        .any(|p| !p.is_empty() && contains_folded(u, &p.to_lowercase()))
                }));
        if !device_code && !oauth {
            return;
        }
        let risk = if !device_code {
            cfg.risk_oauth
        } else if client.is_some_and(|c| {
            cfg.device_code_clients
                .first()
                .is_some_and(|b| b.eq_ignore_ascii_case(c))
        }) || ev
            .app
            .as_deref()
            .is_some_and(|a| a.eq_ignore_ascii_case("Microsoft Authentication Broker"))
        {
            cfg.risk_broker
        } else {
            cfg.risk_device_code
        };
        let details = |ep: &mut super::Episode| {
            if let Some(c) = client {
                push_detail(ep, "ClientAppIds", c);
            }
            if let Some(r) = ev.resource() {
                push_detail(ep, "Resources", r);
            }
            if let Some(p) = ev.auth_protocol() {
                push_detail(ep, "Protocols", p);
            }
        };
        if device_code {
            matched::record(&mut self.device_code, &DEVICE_CODE, ev, risk, ctx, details);
        } else {
            matched::record(&mut self.oauth, &OAUTH_CLIENT, ev, risk, ctx, details);
        }
        self.marks.update(
            &ev.identity_key,
            || Mark {
                at: Mini::of(ev),
                device_code,
                last: ev.time,
            },
            ctx,
            |m, _| {
                m.at = Mini::of(ev);
                m.device_code = device_code;
                m.last = m.last.max(ev.time);
            },
        );
    }
}

super::stage_of_trackers!(ClientPhishing {
    marks,
    device_code,
    oauth
});

impl IdState for Mark {
    fn next_deadline(&self, ctx: &Ctx<'_>) -> Option<DateTime<Utc>> {
        Some(self.at.time() + secs(ctx.cfg.client_phishing.follow_secs))
    }
    fn on_deadline(&mut self, _now: DateTime<Utc>, _ctx: &mut Ctx<'_>) {
        // Due means over: the registration window has passed. Emptied by `last` never reached.
        self.last = DateTime::<Utc>::MIN_UTC;
    }
    fn finish(&mut self, _ctx: &mut Ctx<'_>) {
        self.last = DateTime::<Utc>::MIN_UTC;
    }
    fn is_empty(&self) -> bool {
        self.last == DateTime::<Utc>::MIN_UTC
    }
    fn last_seen(&self) -> DateTime<Utc> {
        self.last
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{ev, run};

    const BROKER: &str = "29d9ed98-a469-4536-ade2-f981bc1d605e";
    const VSCODE: &str = "aebc6443-996d-45c2-90f0-388ff96faa56";
    const DRS: &str = "01cb2876-7ebd-4aa4-9cc9-d28bd4d359a9";

    fn signin(
        min: i64,
        code: &str,
        app_id: Option<&str>,
        protocol: Option<&str>,
        resource: Option<&str>,
    ) -> crate::AuthEvent {
        let mut e = ev(min, "victim@contoso.com", code, "203.0.113.9");
        let x = e.extra_mut();
        x.app_id = app_id.map(Into::into);
        x.auth_protocol = protocol.map(Into::into);
        x.resource = resource.map(Into::into);
        e
    }

    fn got(events: Vec<crate::AuthEvent>) -> Vec<(String, u32)> {
        run(&Config::default(), events)
            .into_iter()
            .filter(|a| a.0.ends_with("Phishing"))
            .map(|a| (a.0, a.2))
            .collect()
    }

    /// A case: its name, the events, the alerts (type, risk) it must raise.
    type Case = (
        &'static str,
        Vec<crate::AuthEvent>,
        Vec<(&'static str, u32)>,
    );

    #[test]
    fn table() {
        let graph = Some("Microsoft Graph");
        let cases: Vec<Case> = vec![
            (
                "device code to the broker",
                vec![signin(0, "0", Some(BROKER), Some("deviceCode"), graph)],
                vec![("DeviceCodePhishing", 85)],
            ),
            (
                "device code to Office",
                vec![signin(
                    0,
                    "0",
                    Some("d3590ed6-52b3-4102-aeff-aad2292ab01c"),
                    Some("deviceCode"),
                    graph,
                )],
                vec![("DeviceCodePhishing", 70)],
            ),
            (
                "device code to the Azure CLI is an admin's",
                vec![signin(
                    0,
                    "0",
                    Some("04b07795-8ddb-461a-bbee-02f9e1bf7b46"),
                    Some("deviceCode"),
                    graph,
                )],
                vec![],
            ),
            (
                "a failed device code sign-in",
                vec![signin(0, "50126", Some(BROKER), Some("deviceCode"), graph)],
                vec![],
            ),
            (
                "the broker without the device code flow",
                vec![signin(0, "0", Some(BROKER), Some("oAuth2"), graph)],
                vec![],
            ),
            (
                "VS Code for Graph",
                vec![signin(0, "0", Some(VSCODE), Some("oAuth2"), graph)],
                vec![("OAuthClientPhishing", 70)],
            ),
            (
                "VS Code for another resource",
                vec![signin(
                    0,
                    "0",
                    Some(VSCODE),
                    Some("oAuth2"),
                    Some("Azure DevOps"),
                )],
                vec![],
            ),
            (
                "device code then a device registration within the hour",
                vec![signin(0, "0", Some(BROKER), Some("deviceCode"), graph), {
                    let mut e = signin(20, "0", Some(BROKER), Some("oAuth2"), None);
                    e.extra_mut().resource_id = Some(DRS.into());
                    e
                }],
                vec![("DeviceCodePhishing", 90)],
            ),
            (
                "a device registration two hours later is not raised",
                vec![
                    signin(0, "0", Some(VSCODE), Some("oAuth2"), graph),
                    signin(
                        130,
                        "0",
                        Some(BROKER),
                        None,
                        Some("Device Registration Service"),
                    ),
                ],
                vec![("OAuthClientPhishing", 70)],
            ),
            (
                "missing fields must not panic",
                vec![signin(0, "0", None, None, None)],
                vec![],
            ),
        ];
        for (name, events, want) in cases {
            let want: Vec<(String, u32)> = want.into_iter().map(|(t, r)| (t.into(), r)).collect();
            assert_eq!(got(events), want, "{name}");
        }
    }
}
