//! **Explicit-credential spray** (Windows, default profile): one logged-on account presenting the
//! credentials of many other accounts — `runas /netonly`, a spraying tool on a compromised host
//! (CrackMapExec, `net use` loops, Invoke-SMBSpray), each try logged as event 4648.
//!
//! Logic: 4648 events (a logon attempted with explicit credentials; the record does not say whether
//! they worked) are grouped by the presenting account (`SubjectDomainName\SubjectUserName`) and the
//! address the credentials went to (`IpAddress`, else `TargetServerName`). When one such pair has
//! presented at least `min_accounts` (10) distinct target accounts within `window_secs` (5 min), an
//! `ExplicitCredentialSpray` attempt opens for it (`UserPrincipalName` `(multiple)`;
//! `Details.Subject`, `Details.Target`, `Details.Accounts`, `Details.AccountCount`); later 4648s of
//! the pair join it until the top-level `window_secs` (24 h) after its first. A target that is the
//! subject itself is not counted. Machine-account subjects (services acting for users: `HOST$`) are
//! left out by default.
//!
//! Risk (an attempt): `risk` (45) at `min_accounts`, 5 more each time the count quadruples, at most
//! `risk_max` (55) ([`super::attempt_risk`]).
//!
//! Anchors: MITRE ATT&CK T1110.003 (password spraying); DeepBlueCLI's "Password spray attack
//! detected" (explicit credentials for many target users by one subject); Hayabusa's "PW Spray"
//! correlation; Windows event 4648.
//!
//! Known false positives: a job scheduler or deployment tool that runs tasks as many accounts from
//! one user account (allowlist it in `allowlist.ignored_identities` by target, or raise
//! `min_accounts`); an administrator testing many service-account passwords.

use chrono::TimeDelta;
use serde::{Deserialize, Serialize};

use super::sequence::{self, Kept, Run};
use super::{Ctx, Distinct, Episode, Mini, Signal, Tracker, attempt_risk, secs};
use crate::event::{AuthEvent, Outcome};
use crate::mitre::{Detection, T1110_003};
use crate::shared::Shared;

crate::config::signal_config! {
    /// Windows: one account presenting many accounts' credentials (4648) — see
    /// [`crate::signals::explicit_credentials`].
    pub struct ExplicitCredentialsConfig {
        pub enabled: bool = true,
        /// Distinct target accounts needed ...
        pub min_accounts: u32 = 10,
        /// ... within this many seconds.
        pub window_secs: u64 = 300,
        /// Leave out subjects that are machine accounts (names ending in `$`).
        pub exclude_machine_subjects: bool = true,
        pub risk: u32 = 45,
        pub risk_max: u32 = 55,
    }
    check(c) {
        if c.min_accounts < 2 || c.window_secs == 0 {
            return Err("min_accounts must be at least 2 and window_secs positive");
        }
        Ok(())
    }
}

pub const DETECTION: Detection = Detection::attempt("ExplicitCredentialSpray", &[T1110_003]);

/// One 4648: the target account and the record.
#[derive(Debug, Clone, Serialize, Deserialize)]
pub(crate) struct Presented {
    account: Shared<str>,
    display: Shared<str>,
    mini: Mini,
}

impl Kept for Presented {
    fn mini(&self) -> &Mini {
        &self.mini
    }
}

/// The target accounts of the open spray.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Accounts(Distinct);

/// The run: the pair's 4648s of the last `window_secs`.
#[derive(Debug, Clone)]
pub(crate) struct Kind;

impl Run for Kind {
    type Record = Presented;
    type Own = Accounts;
    const ABOUT_SOURCE: bool = true;

    fn run(_: &Accounts, ctx: &Ctx<'_>) -> TimeDelta {
        secs(ctx.cfg.explicit_credentials.window_secs)
    }

    fn close(mut ep: Box<Episode>, _: &Shared<str>, own: &mut Accounts, ctx: &mut Ctx<'_>) {
        let accounts = std::mem::take(&mut own.0);
        accounts.describe(&mut ep);
        let c = &ctx.cfg.explicit_credentials;
        let risk = attempt_risk(c.risk, c.risk_max, accounts.len(), c.min_accounts, 0);
        ctx.emit(ep, &DETECTION, risk);
    }
}

pub(crate) type ExplicitCredentials = Tracker<sequence::State<Kind>>;

impl Signal for ExplicitCredentials {
    const DETECTIONS: &'static [Detection] = &[DETECTION];

    fn observe(&mut self, ev: &AuthEvent, ctx: &mut Ctx<'_>) {
        let Some(w) = ev.windows.as_deref() else {
            return;
        };
        if w.event_id != 4648 || ev.outcome != Outcome::Attempt {
            return;
        }
        let Some(subject) = w.subject.as_deref().filter(|s| !s.is_empty()) else {
            return;
        };
        let c = &ctx.cfg.explicit_credentials;
        if c.exclude_machine_subjects && subject.ends_with('$') {
            return;
        }
        // The subject presenting its own credentials is not spraying.
        let subject_name = subject.rsplit_once('\\').map_or(subject, |(_, n)| n);
        let target_name = ev
            .identity
            .rsplit_once('\\')
            .map_or(&*ev.identity, |(_, n)| n);
        if subject_name.eq_ignore_ascii_case(target_name) {
            return;
        }
        let target = ev
            .ip
            .as_ref()
            .filter(|a| !a.is_empty())
            .map(ToString::to_string)
            .or_else(|| w.target_server.clone())
            .unwrap_or_default();
        let key = format!("{}|{target}", subject.to_lowercase());
        let (subject, target) = (subject.to_string(), target);
        self.update(
            key.as_str(),
            || sequence::State::new(key.as_str().into(), ev.time),
            ctx,
            |s, ctx| add(s, ev, &subject, &target, ctx),
        );
    }
}

fn add(
    s: &mut sequence::State<Kind>,
    ev: &AuthEvent,
    subject: &str,
    target: &str,
    ctx: &mut Ctx<'_>,
) {
    let p = Presented {
        account: ev.identity_key.clone(),
        display: ev.identity.clone(),
        mini: Mini::of(ev),
    };
    if let Some((ep, own)) = s.joining(ev.time, ctx) {
        ep.add(&p.mini, true, &ctx.cfg.limits, ctx.stats);
        own.0.add_str(&p.display, &ctx.cfg.limits, ctx.stats);
        return;
    }
    s.expire(ev.time, ctx);
    s.keep(p, ctx);
    let mut distinct: Vec<&str> = s.recent().iter().map(|p| &*p.account).collect();
    crate::order::sort(&mut distinct);
    distinct.dedup();
    if (distinct.len() as u64) < u64::from(ctx.cfg.explicit_credentials.min_accounts) {
        return;
    }
    let ep = s.open(ev.time, ctx, |ep, own, p, ctx| {
        ep.add(&p.mini, true, &ctx.cfg.limits, ctx.stats);
        own.0.add_str(&p.display, &ctx.cfg.limits, ctx.stats);
    });
    ep.details.insert("Subject".into(), subject.into());
    ep.details.insert("Target".into(), target.into());
}

#[cfg(test)]
mod tests {
    use crate::config::Config;
    use crate::signals::testkit::{run, win};

    /// A 4648 by `subject` presenting `target`'s credentials to `ip` at minute `min`.
    fn presented(min: i64, subject: &str, target: &str, ip: &str) -> crate::AuthEvent {
        let mut e = win(min, 4648, target, ip, None, "");
        e.outcome = crate::event::Outcome::Attempt;
        e.result_code = None;
        let w = e.windows.as_mut().unwrap();
        w.status = None;
        w.sub_status = None;
        w.subject = Some(subject.into());
        w.target_server = Some("SRV01".into());
        e
    }

    fn sprays(events: Vec<crate::AuthEvent>) -> Vec<(String, String, u32, u64, u64, u64)> {
        run(&Config::default(), events)
            .into_iter()
            .filter(|a| a.0 == "ExplicitCredentialSpray")
            .collect()
    }

    fn hit(risk: u32) -> Vec<(String, String, u32, u64, u64, u64)> {
        // Attempts are neither failures nor successes.
        vec![(
            "ExplicitCredentialSpray".into(),
            "(multiple)".into(),
            risk,
            0,
            0,
            1,
        )]
    }

    #[test]
    fn table() {
        let ip = "172.16.144.128";
        let many = |n: usize, subject: &str| -> Vec<crate::AuthEvent> {
            (0..n)
                .map(|i| presented(i as i64 / 5, subject, &format!("DOMAIN\\user{i}"), ip))
                .collect()
        };
        let cases: Vec<(&str, Vec<crate::AuthEvent>, Vec<_>)> = vec![
            (
                "ten accounts in two minutes",
                many(10, "HOST\\jwrig"),
                hit(45),
            ),
            ("nine is not enough", many(9, "HOST\\jwrig"), vec![]),
            (
                "forty accounts: more risk",
                many(40, "HOST\\jwrig"),
                hit(50),
            ),
            (
                "a machine account acting for users is left out",
                many(12, "CORP\\WIN-1$"),
                vec![],
            ),
            (
                "the same account presented again and again is one",
                (0..12)
                    .map(|i| presented(i, "HOST\\jwrig", "DOMAIN\\smisenar", ip))
                    .collect(),
                vec![],
            ),
            (
                "the subject's own credentials do not count",
                {
                    let mut v = many(9, "HOST\\jwrig");
                    v.push(presented(3, "HOST\\jwrig", "DOMAIN\\jwrig", ip));
                    v
                },
                vec![],
            ),
        ];
        for (name, events, want) in cases {
            assert_eq!(sprays(events), want, "{name}");
        }
    }

    #[test]
    fn missing_fields_do_not_panic() {
        let mut e = presented(1, "HOST\\jwrig", "DOMAIN\\a", "");
        e.windows.as_mut().unwrap().subject = None;
        let mut f = presented(1, "HOST\\jwrig", "DOMAIN\\b", "");
        f.windows.as_mut().unwrap().target_server = None;
        let mut g = presented(1, "HOST\\jwrig", "DOMAIN\\c", "");
        g.windows = None;
        assert!(sprays(vec![e, f, g]).is_empty());
    }
}
