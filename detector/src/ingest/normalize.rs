//! The normalized forms every decoder writes into [`AuthEvent`](crate::AuthEvent), in one place:
//! trimmed texts, result codes as text, outcomes from Entra codes, addresses parsed, country codes,
//! identities with their lower-cased keys, Windows statuses as lower-case hex.

use std::net::IpAddr;

use super::intern::Interner;
use crate::address::Address;
use crate::event::Outcome;
use crate::shared::Shared;

/// Result codes Entra shows as "Interrupted": primary credentials were accepted but the flow stopped
/// for an extra step (MFA prompt, KMSI, password change, device state).
pub const INTERRUPTED_CODES: &[&str] = &[
    "50055", "50058", "50072", "50074", "50076", "50079", "50097", "50125", "50129", "50140",
    "50158", "81010", "81012", "81014",
];

/// `s.trim()`, without decoding characters when `s` starts and ends with visible ASCII (nearly
/// every field of every record).
pub(crate) fn trim(s: &str) -> &str {
    match (s.as_bytes().first(), s.as_bytes().last()) {
        (Some(f), Some(l)) if f.is_ascii_graphic() && l.is_ascii_graphic() => s,
        _ => s.trim(),
    }
}

/// How a sign-in with result code `code` ended. One copy for both readers.
#[inline(never)]
pub(crate) fn outcome(code: &str) -> Outcome {
    if code == "0" {
        Outcome::Success
    } else if INTERRUPTED_CODES.contains(&code) {
        Outcome::Interrupted
    } else {
        Outcome::Failure
    }
}

/// Entra ID Protection's risk level of a sign-in: the higher of `riskLevelDuringSignIn` and
/// `riskLevelAggregated` among `low`, `medium`, `high` (any case), lower-case; `none`, `hidden` and
/// other texts are not a level.
pub(crate) fn risk_level(levels: [Option<&str>; 2], intern: &mut Interner) -> Option<Shared<str>> {
    const LEVELS: [&str; 3] = ["low", "medium", "high"];
    let rank = |l: &str| LEVELS.iter().position(|x| l.trim().eq_ignore_ascii_case(x));
    let top = levels.into_iter().flatten().filter_map(rank).max()?;
    Some(intern.get(LEVELS[top]))
}

/// A text unless it is `none` (any case), lower-cased when `lower` (risk states), shared.
pub(crate) fn unless_none(
    t: Option<&str>,
    lower: bool,
    intern: &mut Interner,
) -> Option<Shared<str>> {
    let t = t
        .map(trim)
        .filter(|t| !t.is_empty() && !t.eq_ignore_ascii_case("none"))?;
    Some(if lower && t.bytes().any(|b| b.is_ascii_uppercase()) {
        intern.get(&t.to_ascii_lowercase())
    } else {
        intern.get(t)
    })
}

/// An application id (a client's `appId`, a resource's `resourceId`), lower-case, shared; a path
/// (`/tenants/...`: a diagnostic record's own resource) is not one.
pub(crate) fn lower_id(t: Option<&str>, intern: &mut Interner) -> Option<Shared<str>> {
    let t = t
        .map(trim)
        .filter(|t| !t.is_empty() && !t.starts_with('/'))?;
    Some(if t.bytes().any(|b| b.is_ascii_uppercase()) {
        intern.get(&t.to_ascii_lowercase())
    } else {
        intern.get(t)
    })
}

/// The address: parsed, else the text as written (shared: such texts repeat).
pub(crate) fn address(text: Option<&str>, intern: &mut Interner) -> Option<Address> {
    let text = text?;
    Some(match text.parse::<IpAddr>() {
        Ok(a) => Address::Ip(a),
        Err(_) => Address::Text(intern.get(text)),
    })
}

/// A country as a code: the portal CSV writes "City, State, CC", so the last part; `None` when
/// blank.
pub(crate) fn country_code(c: &str) -> Option<&str> {
    Some(trim(c.rsplit(',').next().unwrap_or(c))).filter(|c| !c.is_empty())
}

/// The identity as written and lower-cased (the key signals group by), both shared. Most
/// identities are written lower-case already: then the key is the same shared text.
pub(crate) fn identity(identity: &str, intern: &mut Interner) -> (Shared<str>, Shared<str>) {
    let shared = intern.identity(identity);
    let key = if identity
        .bytes()
        .any(|b| !b.is_ascii() || b.is_ascii_uppercase())
    {
        intern.identity_lower(identity)
    } else {
        shared.clone()
    };
    (shared, key)
}

/// `0xC000006A`, `3221225578`, `-1073741718` → `0xc000006a`.
pub fn normalize_status(s: &str) -> Option<String> {
    let s = s.trim();
    if s.is_empty() || s == "-" {
        return None;
    }
    Some(match parse_u32(s) {
        Some(n) => format!("{n:#x}"),
        None => s.to_ascii_lowercase(),
    })
}

/// A Windows number as written: decimal, `0x` hex, or a negative status (`-1073741718`).
pub(crate) fn parse_u32(s: &str) -> Option<u32> {
    let s = s.trim();
    if let Some(h) = s.strip_prefix("0x").or_else(|| s.strip_prefix("0X")) {
        return u32::from_str_radix(h, 16).ok();
    }
    s.parse::<u32>()
        .ok()
        .or_else(|| s.parse::<i64>().ok().map(|n| n as u32))
}

/// An event made outside the readers ([`crate::Detector::push_event`]) put into the forms the
/// readers write: texts trimmed, blank ones dropped, Windows statuses as lower-case hex.
pub(crate) fn event(ev: &mut crate::AuthEvent) {
    fn text(t: &mut Option<Shared<str>>) {
        if let Some(s) = t.as_ref() {
            let trimmed = trim(s);
            if trimmed.is_empty() {
                *t = None;
            } else if trimmed.len() != s.len() {
                *t = Some(trimmed.into());
            }
        }
    }
    for t in [
        &mut ev.result_code,
        &mut ev.failure_reason,
        &mut ev.country,
        &mut ev.city,
        &mut ev.app,
        &mut ev.client_app,
        &mut ev.user_agent,
    ] {
        text(t);
    }
    if let Some(w) = ev.windows.as_deref_mut() {
        for s in [&mut w.status, &mut w.sub_status] {
            if let Some(v) = s.as_deref() {
                *s = normalize_status(v);
            }
        }
    }
}
