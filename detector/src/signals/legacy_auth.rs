//! **Legacy protocol / password-grant success** (default profile): a successful single-factor
//! sign-in over a protocol that cannot do MFA, or through the ROPC password grant.
//!
//! Logic: result code `0`, and the client app is one of `client_apps` (Authenticated SMTP, IMAP4,
//! POP3, Exchange ActiveSync, Exchange Web Services, MAPI Over HTTP, Other clients, …) or the user agent
//! contains one of `user_agents` (BAV2ROPC, CBAinPROD, CBAinTAR — the ROPC clients seen in password
//! spray follow-ups); with `single_factor_only`, the sign-in must not be multi-factor
//! (`authenticationRequirement` absent or single-factor). One alert per identity per window, risk
//! `risk` (70). This is the seed's second test ("single-factor success over Authenticated SMTP").
//!
//! Anchors: MITRE ATT&CK T1586, T1078.004, T1110 (legacy protocols are the classic spray target);
//! Microsoft Sentinel "Sign-ins from legacy authentication", Panther "Azure legacy auth" and ROPC rules;
//! Entra's guidance to block legacy authentication.
//!
//! Known false positives: printers/scanners sending mail over SMTP AUTH, old mail clients, service
//! mailboxes — put them in `allowlist.ignored_identities` (the real fix is to block legacy auth).

use super::matched::{self, push_detail};
use super::{Ctx, Signal, Tracker};
use crate::config::strings;
use crate::event::AuthEvent;
use crate::mitre::{Detection, T1078_004, T1110, T1586};

crate::config::signal_config! {
    /// Legacy protocol / password-grant success (default profile) — see [`crate::signals::legacy_auth`].
    pub struct LegacyAuthConfig {
        pub enabled: bool = true,
        /// Client apps that cannot do MFA (case-insensitive).
        pub client_apps: Vec<String> = strings(&[
            "Authenticated SMTP",
            "IMAP4",
            "POP3",
            "Exchange ActiveSync",
            "Exchange Web Services",
            "MAPI Over HTTP",
            "Other clients",
            "AutoDiscover",
            "Exchange Online PowerShell",
            "Offline Address Book",
            "Outlook Anywhere (RPC over HTTP)",
            "Reporting Web Services",
            "Universal Outlook",
            ]),
        /// User-agent substrings of ROPC password grants (case-insensitive).
        pub user_agents: Vec<String> = strings(&["BAV2ROPC", "CBAinPROD", "CBAinTAR"]),
        /// Alert only when the sign-in was single-factor (or did not say).
        pub single_factor_only: bool = true,
        pub risk: u32 = 70,
    }
}

pub const DETECTION: Detection =
    Detection::compromise("LegacyProtocolSuccess", &[T1586, T1078_004, T1110]);

/// Legacy-protocol successes: one alert per identity and window.
#[derive(Debug, Clone, Default, serde::Serialize, serde::Deserialize)]
#[serde(transparent)]
pub(crate) struct LegacyAuth(Tracker<matched::State>);

super::stage_of_trackers!(LegacyAuth { 0 });

impl Signal for LegacyAuth {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let cfg = &ctx.cfg.legacy_auth;
        if !ev.result_is("0") {
            return;
        }
        let client = ev
            .client_app
            .as_deref()
            .filter(|c| cfg.client_apps.iter().any(|x| x.eq_ignore_ascii_case(c)));
        // The configured spelling is reported; the match is on the lower-cased patterns.
        let ua = ev.user_agent.as_ref().and_then(|u| {
            let i = ctx.m.legacy_user_agents.position_shared(u)?;
            cfg.user_agents.iter().filter(|x| !x.is_empty()).nth(i)
        });
        if client.is_none() && ua.is_none() {
            return;
        }
        let multi = ev
            .auth_requirement()
            .is_some_and(|r| super::contains_folded(r, "multi"));
        if cfg.single_factor_only && multi {
            return;
        }
        let (client, ua) = (client.map(str::to_string), ua.cloned());
        let risk = cfg.risk;
        matched::record(&mut self.0, &DETECTION, ev, risk, ctx, |ep| {
            if let Some(c) = &client {
                push_detail(ep, "ClientApps", c);
            }
            if let Some(u) = &ua {
                push_detail(ep, "UserAgents", u);
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{ev, run};

    #[test]
    fn table() {
        let cfg = Config::default();
        let u = "smtp@contoso.com";
        let with = |client: Option<&str>, ua: Option<&str>, req: Option<&str>, code: &str| {
            let mut e = ev(1, u, code, "203.0.113.9");
            e.client_app = client.map(Into::into);
            e.user_agent = ua.map(Into::into);
            e.extra_mut().auth_requirement = req.map(Into::into);
            e
        };
        let cases = vec![
            (
                "seed test 2: single-factor success over Authenticated SMTP",
                with(
                    Some("Authenticated SMTP"),
                    None,
                    Some("singleFactorAuthentication"),
                    "0",
                ),
                1,
            ),
            (
                "IMAP4, requirement unknown",
                with(Some("imap4"), None, None, "0"),
                1,
            ),
            (
                "ROPC user agent BAV2ROPC",
                with(
                    Some("Mobile Apps and Desktop clients"),
                    Some("BAV2ROPC"),
                    None,
                    "0",
                ),
                1,
            ),
            (
                "multi-factor is not legacy single-factor",
                with(
                    Some("Exchange ActiveSync"),
                    None,
                    Some("multiFactorAuthentication"),
                    "0",
                ),
                0,
            ),
            (
                "a failure is not a success",
                with(Some("Authenticated SMTP"), None, None, "50126"),
                0,
            ),
            (
                "browser",
                with(Some("Browser"), Some("Mozilla/5.0"), None, "0"),
                0,
            ),
            (
                "missing fields do not panic",
                with(None, None, None, "0"),
                0,
            ),
        ];
        for (name, e, want) in cases {
            let got = run(&cfg, vec![e])
                .into_iter()
                .filter(|a| a.0 == "LegacyProtocolSuccess")
                .count();
            assert_eq!(got, want, "{name}");
        }
    }
}
