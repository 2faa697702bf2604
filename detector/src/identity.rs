//! Identities written several ways, made one key.
//!
//! Windows accounts are keyed by **NetBIOS domain and name**, lower-cased (`offsec\admmig`): two
//! domains' `administrator` are two identities, and the spellings of one account are one:
//!
//! * `DOMAIN\name` and `TargetDomainName` + `TargetUserName` give the domain as written; a DNS name
//!   (`OFFSEC.LAN` in Kerberos events) or a UPN suffix (`admmig@offsec.lan`) becomes a NetBIOS domain
//!   through `identity.domains`, by default its first label (`OFFSEC`);
//! * a record with no domain (NTLM 4776 has none) takes the domain last seen for that name on the
//!   same computer, else the one domain seen for that name anywhere, else it is keyed by the name
//!   alone (and meets only other records without a domain).
//!
//! Alerts show the account as `NETBIOS\name`. Machine accounts and anonymous logons keep their keys
//! (the Windows signals leave them out). Entra identities (UPNs) are keyed by the reader and never
//! pass here.
//!
//! What was learned is kept per (computer, name) and per name, at most `limits.max_identities`
//! of each (then forgotten, counted in `caps_hit` as `max_identities`); it is part of snapshots.

use std::collections::BTreeMap;

use rustc_hash::FxHashMap;
use serde::{Deserialize, Serialize};

use crate::config::Config;
use crate::event::{AuthEvent, SourceKind};
use crate::shared::Shared;
use crate::stats::Stats;

/// (NetBIOS domain as shown, name as written) → (display name, key).
type Made = FxHashMap<(Shared<str>, Shared<str>), (Shared<str>, Shared<str>)>;

/// The domains learned from records that name one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(crate) struct Identities {
    /// (computer, name) → NetBIOS domain, both lower-case.
    on_host: BTreeMap<(String, String), String>,
    /// name → the NetBIOS domain it was seen with (`None`: more than one).
    by_name: BTreeMap<String, Option<String>>,
    /// Keys and display names made so far, by (NetBIOS domain as shown, name as written). A cache:
    /// not part of snapshots.
    #[serde(skip)]
    made: Made,
}

/// The NetBIOS form of a domain as written: a DNS name through the configured table, else its
/// first label; ASCII letters upper-cased (as Windows shows NetBIOS domains; keys are lower-case).
fn netbios(domain: &str, cfg: &Config) -> String {
    let d = domain.trim();
    if d.contains('.') {
        let lower = d.to_lowercase();
        if let Some((_, nb)) = cfg
            .identity
            .domains
            .iter()
            .find(|(k, _)| k.to_lowercase() == lower)
        {
            return nb.trim().to_ascii_uppercase();
        }
        return d.split('.').next().unwrap_or(d).to_ascii_uppercase();
    }
    d.to_ascii_uppercase()
}

impl Identities {
    /// Key a Windows event by NetBIOS domain and name (see the module documentation).
    pub fn resolve(&mut self, ev: &mut AuthEvent, cfg: &Config, stats: &mut Stats) {
        if ev.source_kind != SourceKind::WindowsSecurity {
            return;
        }
        let Some(w) = ev.windows.as_deref() else {
            return;
        };
        // The reader's key is the account name alone, lower-cased.
        let name = ev.identity_key.to_string();
        let host = w
            .computer
            .as_deref()
            .map(str::to_lowercase)
            .unwrap_or_default();
        let domain = match w.domain.as_deref().filter(|d| !d.trim().is_empty()) {
            Some(d) => {
                let nb = netbios(d, cfg);
                self.learn(&host, &name, &nb, cfg, stats);
                Some(nb)
            }
            None => self
                .on_host
                .get(&(host, name.clone()))
                .map(|d| d.to_ascii_uppercase())
                .or_else(|| self.by_name.get(&name).cloned().flatten())
                .map(|d| d.to_ascii_uppercase()),
        };
        let Some(domain) = domain else {
            return;
        };
        // The name as written: after the domain separator of the reader's display.
        let written: &str = ev
            .identity
            .rsplit_once('\\')
            .map_or(&ev.identity, |(_, n)| n);
        let k = (Shared::from(domain.as_str()), Shared::from(written));
        if let Some((display, key)) = self.made.get(&k) {
            ev.identity = display.clone();
            ev.identity_key = key.clone();
            return;
        }
        if self.made.len() >= cfg.limits.max_identities {
            self.made.clear();
        }
        let display: Shared<str> = format!("{domain}\\{written}").into();
        let key: Shared<str> = format!("{}\\{name}", domain.to_lowercase()).into();
        self.made.insert(k, (display.clone(), key.clone()));
        ev.identity = display;
        ev.identity_key = key;
    }

    fn learn(&mut self, host: &str, name: &str, domain: &str, cfg: &Config, stats: &mut Stats) {
        let d = domain.to_lowercase();
        let cap = cfg.limits.max_identities;
        if self.on_host.len() >= cap || self.by_name.len() >= cap {
            self.on_host.clear();
            self.by_name.clear();
            stats.cap("max_identities");
        }
        if !host.is_empty() {
            self.on_host
                .insert((host.to_string(), name.to_string()), d.clone());
        }
        match self.by_name.get_mut(name) {
            None => {
                self.by_name.insert(name.to_string(), Some(d));
            }
            Some(seen) => {
                if seen.as_deref().is_some_and(|s| s != d) {
                    *seen = None;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signals::testkit::win;

    fn key(ids: &mut Identities, cfg: &Config, mut e: AuthEvent) -> (String, String) {
        ids.resolve(&mut e, cfg, &mut Stats::default());
        (e.identity.to_string(), e.identity_key.to_string())
    }

    #[test]
    fn spellings_of_one_account_are_one_key() {
        let cfg = Config::default();
        let mut ids = Identities::default();
        let pair = |d: &str, k: &str| (d.to_string(), k.to_string());
        // (written, display, key)
        for (written, want) in [
            ("OFFSEC\\admmig", pair("OFFSEC\\admmig", "offsec\\admmig")),
            (
                "admmig@offsec.lan",
                pair("OFFSEC\\admmig", "offsec\\admmig"),
            ),
            (
                "offsec.lan\\Admmig",
                pair("OFFSEC\\Admmig", "offsec\\admmig"),
            ),
            ("OTHER\\admmig", pair("OTHER\\admmig", "other\\admmig")),
            (
                "CORP\\Administrator",
                pair("CORP\\Administrator", "corp\\administrator"),
            ),
            (
                "LAB\\Administrator",
                pair("LAB\\Administrator", "lab\\administrator"),
            ),
        ] {
            let e = win(1, 4625, written, "", Some(3), "0xc000006a");
            assert_eq!(key(&mut ids, &cfg, e), want, "{written}");
        }
    }

    #[test]
    fn a_record_without_a_domain_takes_the_one_seen() {
        let cfg = Config::default();
        let mut ids = Identities::default();
        let bare = |n: &str| {
            let mut e = win(2, 4776, n, "", None, "0xc000006a");
            e.windows.as_mut().unwrap().domain = None;
            e
        };
        // Nothing seen yet: the name alone.
        assert_eq!(key(&mut ids, &cfg, bare("jdoe")).1, "jdoe");
        key(
            &mut ids,
            &cfg,
            win(3, 4624, "CORP\\jdoe", "", Some(3), "0x0"),
        );
        assert_eq!(
            key(&mut ids, &cfg, bare("jdoe")),
            ("CORP\\jdoe".into(), "corp\\jdoe".into())
        );
        // The same name in a second domain on another computer: this computer's wins.
        let mut other = win(4, 4624, "LAB\\jdoe", "", Some(3), "0x0");
        other.windows.as_mut().unwrap().computer = Some("DC2".into());
        key(&mut ids, &cfg, other);
        assert_eq!(key(&mut ids, &cfg, bare("jdoe")).1, "corp\\jdoe");
        // On a third computer the name is ambiguous: the name alone.
        let mut third = bare("jdoe");
        third.windows.as_mut().unwrap().computer = Some("WS9".into());
        assert_eq!(key(&mut ids, &cfg, third).1, "jdoe");
    }

    #[test]
    fn configured_domains_map_dns_names_and_suffixes() {
        let cfg = Config::from_json(r#"{"identity":{"domains":{"Contoso.COM":"CORP"}}}"#).unwrap();
        let mut ids = Identities::default();
        let e = win(1, 4625, "jdoe@contoso.com", "", Some(3), "0xc000006a");
        assert_eq!(
            key(&mut ids, &cfg, e),
            ("CORP\\jdoe".into(), "corp\\jdoe".into())
        );
        let e = win(1, 4771, "CONTOSO.COM\\jdoe", "", None, "0x18");
        assert_eq!(key(&mut ids, &cfg, e).1, "corp\\jdoe");
    }

    #[test]
    fn entra_identities_and_missing_fields_are_left_alone() {
        let cfg = Config::default();
        let mut ids = Identities::default();
        let e = crate::signals::testkit::ev(1, "Alice@Contoso.com", "0", "");
        assert_eq!(key(&mut ids, &cfg, e).1, "alice@contoso.com");
        let mut w = win(1, 4625, "jdoe", "", None, "0xc000006a");
        w.windows = None;
        assert_eq!(key(&mut ids, &cfg, w).1, "jdoe");
    }
}
