//! Windows Security log logon events, in every common export shape, into [`AuthEvent`].
//!
//! Events read: **4624** (logon), **4625** (failed logon), **4648** (logon with explicit
//! credentials: an attempt, whose result the record does not give), **4768** (Kerberos TGT request),
//! **4771** (Kerberos pre-authentication failed) and **4776** (NTLM credential validation). Other
//! event IDs are counted as ignored.
//!
//! Shapes, each turned into one [`WinRecord`] (event ID, time, record id, computer, `EventData` by name):
//! * EVTX binary (the core's own BinXML reader, see [`super::evtx`]) and `evtx_dump -o json` /
//!   Chainsaw output: `{"Event": {"System": {...}, "EventData": {...}}}`, with `#attributes` or `@` attribute
//!   spellings and `EventData.Data` as a name→value map or a list of `{Name, #text}` items;
//! * event XML (`wevtutil qe Security /f:xml`, `Get-WinEvent … | % ToXml()`), see [`decode_xml`];
//! * Winlogbeat / Elastic ECS: `winlog.event_id` or `event.code`, `winlog.event_data.*`, `@timestamp`,
//!   `winlog.record_id`, `winlog.computer_name`, with `source.ip` / `user.name` as fallbacks;
//! * PowerShell `Get-WinEvent | ConvertTo-Json`: `Id`, `RecordId`, `TimeCreated` (`/Date(ms)/` or
//!   ISO), `MachineName` and the positional `Properties` array, named here from each event's template;
//! * flat rows (Sentinel `SecurityEvent`, CSV exports): `EventID`, `TimeGenerated`, `TargetUserName`, ...
//!
//! Normalization: `IpAddress` `-` means none and `::ffff:a.b.c.d` becomes `a.b.c.d`; status codes
//! become lower-case hex (`0xc000006a`), whether written as hex or (PowerShell) as a decimal number;
//! the account `DOMAIN\user` or `user@domain.tld` is split into the domain as written and the
//! account name; the domain `.` is the computer itself (a local account), and a 4771 without a
//! domain takes the realm of its `krbtgt/REALM` service; the detector then keys the account by NetBIOS domain and name
//! ([`crate::identity`]: `admmig@offsec.lan` and `OFFSEC\admmig` are one account, two domains'
//! `administrator` two).

use std::net::IpAddr;

use rustc_hash::FxHashMap;
use serde_json::Value;

use super::Decoded;
use super::normalize::{normalize_status, parse_u32};
use super::time::parse_time;
use crate::address::Address;
use crate::event::{AuthEvent, Outcome, RecordRef, SourceKind, WindowsLogon};

/// Event IDs mapped into events; every other ID is ignored (counted).
pub const LOGON_EVENTS: &[u32] = &[4624, 4625, 4648, 4768, 4771, 4776];

/// One Windows event, whatever its shape: the System fields and the event data by lower-cased name.
#[derive(Debug, Default)]
pub(crate) struct WinRecord {
    pub event_id: Option<u32>,
    pub time: Option<String>,
    pub record_id: Option<String>,
    pub computer: Option<String>,
    pub data: FxHashMap<String, String>,
}

impl WinRecord {
    fn put(&mut self, name: &str, v: &Value) {
        if let Some(s) = text(v) {
            self.data.entry(name.to_ascii_lowercase()).or_insert(s);
        }
    }
    fn get(&self, name: &str) -> Option<&str> {
        self.data
            .get(name)
            .map(|s| s.trim())
            .filter(|s| !s.is_empty() && *s != "-")
    }
}

/// A JSON scalar as text (`#text` / `Value` objects unwrapped); `None` for null, arrays, other objects.
fn text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Object(o) => o
            .get("#text")
            .or_else(|| o.get("Value"))
            .or_else(|| o.get("value"))
            .and_then(text),
        _ => None,
    }
}

/// Case-insensitive object member.
fn member<'v>(v: &'v Value, name: &str) -> Option<&'v Value> {
    let o = v.as_object()?;
    o.get(name).or_else(|| {
        o.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// An XML attribute as evtx_dump / xmltodict-style JSON spells it: `#attributes.X`, `@X` or `X`.
fn attribute(v: &Value, name: &str) -> Option<String> {
    if let Some(a) = member(v, "#attributes").and_then(|a| member(a, name)) {
        return text(a);
    }
    if let Some(a) = member(v, &format!("@{name}")) {
        return text(a);
    }
    match v {
        Value::Object(_) => member(v, name).and_then(text),
        other => text(other),
    }
}

/// Whether a JSON record looks like a Windows event (so the Entra reader should hand it over).
pub(crate) fn looks_windows(v: &Value) -> bool {
    let Some(o) = v.as_object() else {
        return false;
    };
    o.keys().any(|k| {
        let k = k.to_ascii_lowercase();
        matches!(
            k.as_str(),
            "winlog" | "eventid" | "event_id" | "eventrecordid" | "providername"
        ) || (k == "event" && member(&o[k.as_str()], "System").is_some())
            || (k == "id" && o.contains_key("Properties"))
    })
}

/// Build the record from any JSON shape; `None` when nothing Windows-like is there.
pub(crate) fn from_json(v: &Value) -> Option<WinRecord> {
    let mut r = WinRecord::default();
    if let Some(ev) = member(v, "Event").filter(|e| member(e, "System").is_some()) {
        // evtx_dump / Chainsaw.
        let sys = member(ev, "System")?;
        r.event_id = member(sys, "EventID")
            .and_then(text)
            .and_then(|s| parse_u32(&s));
        r.time = member(sys, "TimeCreated").and_then(|t| attribute(t, "SystemTime"));
        r.record_id = member(sys, "EventRecordID").and_then(text);
        r.computer = member(sys, "Computer").and_then(text);
        for section in ["EventData", "UserData"] {
            if let Some(d) = member(ev, section) {
                event_data(&mut r, d, section == "UserData");
            }
        }
        return Some(r);
    }
    if let Some(w) = member(v, "winlog") {
        // Winlogbeat / Elastic ECS.
        r.event_id = member(w, "event_id")
            .and_then(text)
            .or_else(|| {
                member(v, "event")
                    .and_then(|e| member(e, "code"))
                    .and_then(text)
            })
            .and_then(|s| parse_u32(&s));
        r.time = member(v, "@timestamp").and_then(text);
        r.record_id = member(w, "record_id").and_then(text);
        r.computer = member(w, "computer_name").and_then(text).or_else(|| {
            member(v, "host")
                .and_then(|h| member(h, "name"))
                .and_then(text)
        });
        if let Some(d) = member(w, "event_data") {
            event_data(&mut r, d, false);
        }
        let nested = |a: &str, b: &str| member(v, a).and_then(|x| member(x, b)).cloned();
        for (name, val) in [
            ("IpAddress", nested("source", "ip")),
            ("TargetUserName", nested("user", "name")),
            ("TargetDomainName", nested("user", "domain")),
        ] {
            if let Some(val) = val {
                r.put(name, &val);
            }
        }
        return Some(r);
    }
    if let (Some(id), Some(Value::Array(props))) = (member(v, "Id"), member(v, "Properties")) {
        // PowerShell Get-WinEvent | ConvertTo-Json.
        r.event_id = text(id).and_then(|s| parse_u32(&s));
        r.time = member(v, "TimeCreated").and_then(|t| match t {
            Value::Object(_) => member(t, "value").and_then(text),
            other => text(other),
        });
        r.record_id = member(v, "RecordId").and_then(text);
        r.computer = member(v, "MachineName").and_then(text);
        if let Some(names) = r.event_id.and_then(template) {
            for (name, p) in names.iter().zip(props) {
                r.put(name, p);
            }
        }
        return Some(r);
    }
    // Flat rows: SecurityEvent and friends.
    let o = v.as_object()?;
    let id = ["EventID", "EventId", "event_id", "EventCode"]
        .iter()
        .find_map(|k| member(v, k))?;
    r.event_id = text(id).and_then(|s| parse_u32(&s));
    r.time = [
        "TimeGenerated",
        "TimeCreated",
        "SystemTime",
        "@timestamp",
        "timestamp",
        "_time",
    ]
    .iter()
    .find_map(|k| member(v, k).and_then(text));
    r.record_id = ["EventRecordID", "RecordId", "RecordNumber", "EventRecordId"]
        .iter()
        .find_map(|k| member(v, k).and_then(text));
    r.computer = ["Computer", "MachineName", "ComputerName", "host"]
        .iter()
        .find_map(|k| member(v, k).and_then(text));
    for (k, val) in o {
        r.put(k, val);
    }
    Some(r)
}

/// `EventData` as a name→value map, or `Data` items with a `Name` attribute; `UserData` one level down.
fn event_data(r: &mut WinRecord, d: &Value, user_data: bool) {
    let Some(o) = d.as_object() else {
        return;
    };
    for (k, v) in o {
        if k == "#attributes" || k.starts_with('@') {
            continue;
        }
        if k.eq_ignore_ascii_case("Data") {
            let items: Vec<&Value> = match v {
                Value::Array(a) => a.iter().collect(),
                other => vec![other],
            };
            for it in items {
                if let Some(name) = attribute(it, "Name").filter(|_| it.is_object()) {
                    r.put(&name, it);
                }
            }
            continue;
        }
        if user_data && v.is_object() {
            event_data(r, v, false);
            continue;
        }
        r.put(k, v);
    }
}

/// The `Properties` order of each event's template (for PowerShell's positional export).
fn template(event_id: u32) -> Option<&'static [&'static str]> {
    Some(match event_id {
        4624 => &[
            "SubjectUserSid",
            "SubjectUserName",
            "SubjectDomainName",
            "SubjectLogonId",
            "TargetUserSid",
            "TargetUserName",
            "TargetDomainName",
            "TargetLogonId",
            "LogonType",
            "LogonProcessName",
            "AuthenticationPackageName",
            "WorkstationName",
            "LogonGuid",
            "TransmittedServices",
            "LmPackageName",
            "KeyLength",
            "ProcessId",
            "ProcessName",
            "IpAddress",
            "IpPort",
        ],
        4625 => &[
            "SubjectUserSid",
            "SubjectUserName",
            "SubjectDomainName",
            "SubjectLogonId",
            "TargetUserSid",
            "TargetUserName",
            "TargetDomainName",
            "Status",
            "FailureReason",
            "SubStatus",
            "LogonType",
            "LogonProcessName",
            "AuthenticationPackageName",
            "WorkstationName",
            "TransmittedServices",
            "LmPackageName",
            "KeyLength",
            "ProcessId",
            "ProcessName",
            "IpAddress",
            "IpPort",
        ],
        4648 => &[
            "SubjectUserSid",
            "SubjectUserName",
            "SubjectDomainName",
            "SubjectLogonId",
            "LogonGuid",
            "TargetUserName",
            "TargetDomainName",
            "TargetLogonGuid",
            "TargetServerName",
            "TargetInfo",
            "ProcessId",
            "ProcessName",
            "IpAddress",
            "IpPort",
        ],
        4768 => &[
            "TargetUserName",
            "TargetDomainName",
            "TargetSid",
            "ServiceName",
            "ServiceSid",
            "TicketOptions",
            "Status",
            "TicketEncryptionType",
            "PreAuthType",
            "IpAddress",
            "IpPort",
        ],
        4771 => &[
            "TargetUserName",
            "TargetSid",
            "ServiceName",
            "TicketOptions",
            "Status",
            "PreAuthType",
            "IpAddress",
            "IpPort",
        ],
        4776 => &["PackageName", "TargetUserName", "Workstation", "Status"],
        _ => return None,
    })
}

/// Parse one XML `<Event>` element.
pub(crate) fn from_xml(xml: &str) -> Result<WinRecord, String> {
    let doc = roxmltree::Document::parse(xml).map_err(|e| e.to_string())?;
    let root = doc.root_element();
    if root.tag_name().name() != "Event" {
        return Err(format!(
            "root element is <{}>, not <Event>",
            root.tag_name().name()
        ));
    }
    let mut r = WinRecord::default();
    fn child<'a, 'i>(n: roxmltree::Node<'a, 'i>, name: &str) -> Option<roxmltree::Node<'a, 'i>> {
        n.children()
            .find(|c| c.is_element() && c.tag_name().name() == name)
    }
    if let Some(sys) = child(root, "System") {
        r.event_id = child(sys, "EventID")
            .and_then(|n| n.text())
            .and_then(parse_u32);
        r.time = child(sys, "TimeCreated")
            .and_then(|n| n.attribute("SystemTime"))
            .map(str::to_string);
        r.record_id = child(sys, "EventRecordID")
            .and_then(|n| n.text())
            .map(|s| s.trim().to_string());
        r.computer = child(sys, "Computer")
            .and_then(|n| n.text())
            .map(|s| s.trim().to_string());
    }
    if let Some(d) = child(root, "EventData") {
        for item in d.children().filter(|c| c.is_element()) {
            if let Some(name) = item.attribute("Name") {
                let v = item.text().unwrap_or("").to_string();
                r.data.entry(name.to_ascii_lowercase()).or_insert(v);
            }
        }
    }
    if let Some(u) = child(root, "UserData") {
        for inner in u.children().filter(|c| c.is_element()) {
            for item in inner.children().filter(|c| c.is_element()) {
                let v = item.text().unwrap_or("").to_string();
                r.data
                    .entry(item.tag_name().name().to_ascii_lowercase())
                    .or_insert(v);
            }
        }
    }
    Ok(r)
}

/// Parse one JSON record known to be a Windows event.
pub(crate) fn decode_json(bytes: &[u8], record: RecordRef) -> Decoded {
    match serde_json::from_slice::<Value>(bytes) {
        Ok(v) => decode_value(&v, record),
        Err(e) => Decoded::Rejected {
            reason: "invalid JSON",
            detail: e.to_string(),
        },
    }
}

/// A Windows event in the classic multi-line `WinEventLog` text (Splunk's `_raw` of
/// `WinEventLog:Security`, `.event` files): `EventCode=`, `ComputerName=`, `RecordNumber=` lines,
/// then the rendered `Message=` whose sections name the fields (`Account For Which Logon Failed:`
/// → `TargetUserName`, `Network Information:` → `IpAddress`, ...), as the flat record the other
/// shapes give. The text's own first line is local time without a zone: `time` (Splunk's `_time`,
/// with its offset) is used when given, else that line is read as UTC. `None` when the text is not
/// in that shape (no `EventCode=` line).
pub(crate) fn classic_text(raw: &str, time: Option<&str>) -> Option<Value> {
    let mut o = serde_json::Map::new();
    let mut lines = raw.lines();
    let first = lines.next()?.trim();
    o.insert(
        "_time".into(),
        time.filter(|t| !t.trim().is_empty())
            .unwrap_or(first)
            .into(),
    );
    let mut section = "";
    let mut in_message = false;
    for line in lines {
        if !in_message {
            if let Some((k, v)) = line.split_once('=') {
                let k = k.trim();
                if k == "Message" {
                    in_message = true;
                    continue;
                }
                if matches!(k, "EventCode" | "ComputerName" | "RecordNumber") {
                    o.insert(k.into(), v.trim().into());
                }
            }
            continue;
        }
        let indented = line.starts_with('\t') || line.starts_with(' ');
        let Some((name, value)) = line.trim().split_once(':') else {
            continue;
        };
        let (name, value) = (name.trim(), value.trim());
        if value.is_empty() && !indented {
            section = name;
            continue;
        }
        let target = !matches!(section, "Subject" | "");
        let key = match name {
            "Security ID" if section == "Subject" => "SubjectUserSid",
            "Account Name" if section == "Subject" => "SubjectUserName",
            "Account Domain" if section == "Subject" => "SubjectDomainName",
            "Security ID" if target => "TargetUserSid",
            "Account Name" | "Logon Account" if target || !indented => "TargetUserName",
            "Account Domain" if target => "TargetDomainName",
            "Logon Type" => "LogonType",
            "Status" | "Failure Code" | "Result Code" | "Error Code" => "Status",
            "Sub Status" => "SubStatus",
            "Failure Reason" => "FailureReason",
            "Caller Process Name" | "Process Name" => "ProcessName",
            "Workstation Name" => "WorkstationName",
            "Source Workstation" => "Workstation",
            "Source Network Address" | "Client Address" => "IpAddress",
            "Source Port" | "Client Port" => "IpPort",
            "Logon Process" => "LogonProcessName",
            "Authentication Package" | "Authentication Package Name" => "AuthenticationPackageName",
            "Target Server Name" => "TargetServerName",
            _ => continue,
        };
        // The first of a name wins (a 4624's "Account Name" of the impersonation section is not
        // the account that logged on).
        o.entry(key).or_insert_with(|| value.into());
    }
    o.contains_key("EventCode").then_some(Value::Object(o))
}

/// Map a parsed JSON value (JSON record or CSV row) to an event.
pub(crate) fn decode_value(v: &Value, record: RecordRef) -> Decoded {
    match from_json(v) {
        Some(r) => to_event(r, record),
        None => Decoded::Rejected {
            reason: "unrecognised Windows event",
            detail: "a Windows-looking record without EventID / winlog / Event.System".into(),
        },
    }
}

/// Parse one XML `<Event>` element to an event.
pub(crate) fn decode_xml(bytes: &[u8], record: RecordRef) -> Decoded {
    let Ok(s) = std::str::from_utf8(bytes) else {
        return Decoded::Rejected {
            reason: "invalid XML",
            detail: "the <Event> element is not UTF-8".into(),
        };
    };
    match from_xml(s) {
        Ok(r) => to_event(r, record),
        Err(e) => Decoded::Rejected {
            reason: "invalid XML",
            detail: e,
        },
    }
}

/// What a status / sub-status means, for the alert's evidence (the common logon failures).
pub fn status_text(code: &str) -> Option<&'static str> {
    Some(match code {
        "0xc000006a" => "bad password",
        "0xc0000064" => "no such user",
        "0xc000006d" => "bad user name or password",
        "0xc000006e" => "account restriction",
        "0xc000006f" => "outside allowed logon hours",
        "0xc0000070" => "workstation restriction",
        "0xc0000071" => "password expired",
        "0xc0000072" => "account disabled",
        "0xc0000133" => "clock skew",
        "0xc000015b" => "logon type not granted",
        "0xc0000193" => "account expired",
        "0xc0000224" => "password must change",
        "0xc0000234" => "account locked out",
        "0xc0000413" => "authentication firewall",
        "0x6" => "Kerberos: client not found",
        "0x12" => "Kerberos: client revoked (disabled, expired or locked)",
        "0x17" => "Kerberos: password expired",
        "0x18" => "Kerberos: pre-authentication failed (bad password)",
        "0x25" => "Kerberos: clock skew",
        _ => return None,
    })
}

/// PowerShell 5 writes times as `/Date(1600000000000)/`.
fn parse_ps_date(s: &str) -> Option<chrono::DateTime<chrono::Utc>> {
    let inner = s
        .trim()
        .trim_start_matches('\\')
        .strip_prefix("/Date(")?
        .split(')')
        .next()?;
    let ms: String = inner
        .chars()
        .take_while(|c| c.is_ascii_digit() || *c == '-')
        .collect();
    chrono::DateTime::from_timestamp_millis(ms.parse().ok()?)
}

fn reject(reason: &'static str, detail: impl Into<String>) -> Decoded {
    Decoded::Rejected {
        reason,
        detail: detail.into(),
    }
}

/// Map one Windows record to an event.
pub(crate) fn to_event(r: WinRecord, record: RecordRef) -> Decoded {
    let Some(event_id) = r.event_id else {
        return reject("missing EventID", "a Windows event without an EventID");
    };
    if !LOGON_EVENTS.contains(&event_id) {
        return Decoded::Ignored("Windows event other than 4624/4625/4648/4768/4771/4776");
    }
    let Some(time_text) = r.time.as_deref().map(str::trim).filter(|s| !s.is_empty()) else {
        return reject(
            "missing time",
            format!("event {event_id} without TimeCreated / @timestamp / TimeGenerated"),
        );
    };
    let Some(time) = parse_time(time_text).or_else(|| parse_ps_date(time_text)) else {
        return reject(
            "unparsable time",
            format!("time {time_text:?} is not a recognised timestamp"),
        );
    };

    // The account: TargetUserName (+ TargetDomainName), or SecurityEvent's TargetAccount "DOM\user".
    let mut user = r.get("targetusername").map(str::to_string);
    let mut domain = r.get("targetdomainname").map(str::to_string);
    if user.is_none()
        && let Some(acct) = r.get("targetaccount")
    {
        user = Some(acct.to_string());
    }
    let Some(mut user) = user else {
        return Decoded::Ignored("Windows logon without an account name");
    };
    if let Some((d, u)) = user.split_once('\\') {
        domain = domain.or_else(|| Some(d.to_string()));
        user = u.to_string();
    } else if let Some((u, d)) = user.split_once('@') {
        domain = domain.or_else(|| Some(d.to_string()));
        user = u.to_string();
    }
    let user = user.trim().to_string();
    if user.is_empty() {
        return Decoded::Ignored("Windows logon without an account name");
    }
    // `.` is "this computer" (a local account typed as `.\name`): the computer's own name.
    if domain.as_deref().is_some_and(|d| d.trim() == ".") {
        domain = r
            .computer
            .as_deref()
            .and_then(|c| c.split('.').next())
            .map(str::trim)
            .filter(|c| !c.is_empty())
            .map(str::to_string);
    }
    // 4771 names no domain, but its service is `krbtgt/REALM`: the account's DNS domain.
    if domain.is_none()
        && let Some(realm) = r.get("servicename").and_then(|s| {
            s.get(..7)
                .filter(|p| p.eq_ignore_ascii_case("krbtgt/"))
                .map(|_| &s[7..])
        })
        && !realm.is_empty()
    {
        domain = Some(realm.to_string());
    }
    let identity = match &domain {
        Some(d) => format!("{d}\\{user}"),
        None => user.clone(),
    };

    let status = r.get("status").and_then(normalize_status);
    let sub_status = r.get("substatus").and_then(normalize_status);
    let ok = |s: &Option<String>| s.as_deref().is_none_or(|s| s == "0x0");
    let outcome = match event_id {
        4624 => Outcome::Success,
        4648 => Outcome::Attempt,
        4625 | 4771 => Outcome::Failure,
        _ if ok(&status) && status.is_some() => Outcome::Success,
        _ => Outcome::Failure,
    };
    let result_code = match event_id {
        4624 => Some("0x0".to_string()),
        4648 => None,
        4625 => sub_status
            .clone()
            .filter(|s| s != "0x0")
            .or_else(|| status.clone()),
        _ => status.clone(),
    };
    if outcome == Outcome::Failure && result_code.is_none() && event_id != 4625 {
        return reject(
            "missing result",
            format!("event {event_id} without a Status"),
        );
    }
    let failure_reason = (outcome == Outcome::Failure)
        .then(|| result_code.as_deref().and_then(status_text))
        .flatten()
        .map(str::to_string);

    let ip_text = r.get("ipaddress").or_else(|| r.get("clientaddress"));
    let ip_addr = ip_text.and_then(|t| {
        let t = t.trim_start_matches('[').trim_end_matches(']');
        t.parse::<IpAddr>().ok().map(|a| match a {
            IpAddr::V6(v6) => v6.to_ipv4_mapped().map_or(IpAddr::V6(v6), IpAddr::V4),
            v4 => v4,
        })
    });
    let ip = match (ip_addr, ip_text) {
        (Some(a), _) => Some(Address::Ip(a)),
        (None, t) => t.map(|t| Address::Text(t.into())),
    };
    let logon_type = r.get("logontype").and_then(parse_u32);
    let workstation = r
        .get("workstationname")
        .or_else(|| r.get("workstation"))
        .map(|w| w.trim_start_matches('\\').to_string());
    let computer = r.computer.clone().filter(|c| !c.trim().is_empty());

    let windows = WindowsLogon {
        event_id,
        logon_type,
        status,
        sub_status,
        domain,
        workstation,
        computer: computer.clone(),
        target_sid: r
            .get("targetusersid")
            .or_else(|| r.get("targetsid"))
            .map(str::to_string),
        auth_package: r
            .get("authenticationpackagename")
            .or_else(|| r.get("packagename"))
            .map(str::to_string),
        logon_process: r.get("logonprocessname").map(|s| s.trim().to_string()),
        subject: r
            .get("subjectusername")
            .map(|u| match r.get("subjectdomainname") {
                Some(d) => format!("{d}\\{u}"),
                None => u.to_string(),
            }),
        target_server: r.get("targetservername").map(str::to_string),
        process_name: r.get("processname").map(str::to_string),
    };
    let record = RecordRef {
        record_id: r
            .record_id
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(Into::into),
        ..record
    };
    Decoded::Event(Box::new(AuthEvent {
        time,
        identity: identity.into(),
        identity_key: user.to_lowercase().into(),
        outcome,
        result_code: result_code.map(Into::into),
        failure_reason: failure_reason.map(Into::into),
        ip,
        country: None,
        city: None,
        latitude: None,
        longitude: None,
        asn: None,
        // The resource logged on to: the host that wrote the event.
        app: computer.map(Into::into),
        client_app: None,
        user_agent: None,
        request_id: None,
        extra: None,
        interactive: logon_type.map(|t| matches!(t, 2 | 7 | 10 | 11)),
        source_kind: SourceKind::WindowsSecurity,
        windows: Some(Box::new(windows)),
        record,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::shared::Shared;

    fn rec() -> RecordRef {
        RecordRef {
            source: Shared::from("t"),
            line: 1,
            record_id: None,
        }
    }

    fn event(json: &str) -> AuthEvent {
        match decode_json(json.as_bytes(), rec()) {
            Decoded::Event(e) => *e,
            other => panic!("{json}: {other:?}"),
        }
    }

    const EVTX_DUMP: &str = r##"{"Event":{"#attributes":{"xmlns":"x"},"System":{"EventID":4625,
        "TimeCreated":{"#attributes":{"SystemTime":"2023-09-25T20:39:50.822397Z"}},"EventRecordID":11286,
        "Computer":"WIN"},"EventData":{"TargetUserSid":"S-1-0-0","TargetUserName":"Admin",
        "TargetDomainName":"WIN","Status":"0xc000006d","SubStatus":"0xc000006a","LogonType":3,
        "WorkstationName":"KALI","IpAddress":"::ffff:10.0.0.9","IpPort":"-"}}}"##;

    /// (name, record, identity, key, outcome, code, ip, logon type)
    type Case = (
        &'static str,
        String,
        &'static str,
        &'static str,
        Outcome,
        &'static str,
        Option<&'static str>,
        Option<u32>,
    );

    #[test]
    fn shapes_table() {
        let cases: Vec<Case> = vec![
            (
                "evtx_dump",
                EVTX_DUMP.to_string(),
                "WIN\\Admin",
                "admin",
                Outcome::Failure,
                "0xc000006a",
                Some("10.0.0.9"),
                Some(3),
            ),
            (
                "EventData.Data list with @Name (xmltodict)",
                r##"{"Event":{"System":{"EventID":{"@Qualifiers":"0","#text":"4624"},
                "TimeCreated":{"@SystemTime":"2024-01-01T10:00:00Z"},"Computer":"DC1"},
                "EventData":{"Data":[{"@Name":"TargetUserName","#text":"bob"},
                {"@Name":"TargetDomainName","#text":"CORP"},{"@Name":"LogonType","#text":"10"},
                {"@Name":"IpAddress","#text":"198.51.100.4"}]}}}"##
                    .to_string(),
                "CORP\\bob",
                "bob",
                Outcome::Success,
                "0x0",
                Some("198.51.100.4"),
                Some(10),
            ),
            (
                "winlogbeat / ECS",
                r##"{"@timestamp":"2024-01-01T10:00:00.000Z","event":{"code":"4625"},
                "winlog":{"record_id":"99","computer_name":"srv1","event_data":{"TargetUserName":"carol",
                "TargetDomainName":"CORP","LogonType":"3","Status":"0xC000006D","SubStatus":"0xC000006A"}},
                "source":{"ip":"203.0.113.7"}}"##
                    .to_string(),
                "CORP\\carol",
                "carol",
                Outcome::Failure,
                "0xc000006a",
                Some("203.0.113.7"),
                Some(3),
            ),
            (
                "PowerShell ConvertTo-Json (decimal status, /Date/)",
                r##"{"Id":4625,"RecordId":7,"MachineName":"ws1","TimeCreated":"\/Date(1704103200000)\/",
                "Properties":[{"Value":"S-1-5-18"},{"Value":"WS1$"},{"Value":"CORP"},{"Value":999},
                {"Value":"S-1-0-0"},{"Value":"dave"},{"Value":"CORP"},{"Value":3221225581},
                {"Value":"%%2313"},{"Value":3221225578},{"Value":3},{"Value":"NtLmSsp "},{"Value":"NTLM"},
                {"Value":"KALI"},{"Value":"-"},{"Value":"-"},{"Value":0},{"Value":0},{"Value":"-"},
                {"Value":"192.0.2.50"},{"Value":"4444"}]}"##
                    .to_string(),
                "CORP\\dave",
                "dave",
                Outcome::Failure,
                "0xc000006a",
                Some("192.0.2.50"),
                Some(3),
            ),
            (
                "SecurityEvent row with TargetAccount only",
                r##"{"TimeGenerated":"2024-01-01T10:00:00Z","EventID":4624,"Computer":"srv2",
                "TargetAccount":"CORP\\erin","LogonType":3,"IpAddress":"-"}"##
                    .to_string(),
                "CORP\\erin",
                "erin",
                Outcome::Success,
                "0x0",
                None,
                Some(3),
            ),
            (
                "4771 Kerberos pre-auth failure, UPN account, mapped IPv6",
                r##"{"Event":{"System":{"EventID":4771,"TimeCreated":{"#attributes":{"SystemTime":"2024-01-01T10:00:00Z"}},
                "Computer":"DC1"},"EventData":{"TargetUserName":"frank@corp.example","Status":"0x18",
                "IpAddress":"::ffff:172.16.66.1"}}}"##
                    .to_string(),
                "corp.example\\frank",
                "frank",
                Outcome::Failure,
                "0x18",
                Some("172.16.66.1"),
                None,
            ),
            (
                "4771 without a domain: the realm of its krbtgt service",
                r##"{"Event":{"System":{"EventID":4771,"TimeCreated":{"#attributes":{"SystemTime":"2024-01-01T10:00:00Z"}},
                "Computer":"rootdc1.offsec.lan"},"EventData":{"TargetUserName":"admin-hacker",
                "ServiceName":"krbtgt/OFFSEC.LAN","Status":"0x18","IpAddress":"::ffff:10.23.123.11"}}}"##
                    .to_string(),
                "OFFSEC.LAN\\admin-hacker",
                "admin-hacker",
                Outcome::Failure,
                "0x18",
                Some("10.23.123.11"),
                None,
            ),
            (
                "domain `.`: a local account of the computer",
                r##"{"Event":{"System":{"EventID":4625,"TimeCreated":{"#attributes":{"SystemTime":"2016-09-19T16:50:06Z"}},
                "Computer":"DESKTOP-M5SN04R"},"EventData":{"TargetUserName":"Administrator",
                "TargetDomainName":".","Status":"0xc000006d","SubStatus":"0xc000006a","LogonType":3,
                "IpAddress":"192.168.198.149"}}}"##
                    .to_string(),
                "DESKTOP-M5SN04R\\Administrator",
                "administrator",
                Outcome::Failure,
                "0xc000006a",
                Some("192.168.198.149"),
                Some(3),
            ),
            (
                "4776 success is a success",
                r##"{"Event":{"System":{"EventID":4776,"TimeCreated":{"#attributes":{"SystemTime":"2024-01-01T10:00:00Z"}}},
                "EventData":{"TargetUserName":"gina","Workstation":"WS9","Status":"0x0"}}}"##
                    .to_string(),
                "gina",
                "gina",
                Outcome::Success,
                "0x0",
                None,
                None,
            ),
        ];
        for (name, json, identity, key, outcome, code, ip, lt) in cases {
            let e = event(&json);
            assert_eq!(&*e.identity, identity, "{name}");
            assert_eq!(&*e.identity_key, key, "{name}");
            assert_eq!(e.outcome, outcome, "{name}");
            assert_eq!(e.result_code.as_deref(), Some(code), "{name}");
            assert_eq!(
                e.ip.as_ref().map(ToString::to_string).as_deref(),
                ip,
                "{name}"
            );
            assert_eq!(e.windows.as_ref().unwrap().logon_type, lt, "{name}");
            assert_eq!(e.source_kind, SourceKind::WindowsSecurity, "{name}");
        }
    }

    #[test]
    fn xml_event() {
        let xml = r##"<Event xmlns='http://schemas.microsoft.com/win/2004/08/events/event'><System>
            <Provider Name='Microsoft-Windows-Security-Auditing'/><EventID>4625</EventID>
            <TimeCreated SystemTime='2024-01-01T10:00:00.1234567Z'/><EventRecordID>18446744073709551615</EventRecordID>
            <Computer>DC1.corp.example</Computer></System><EventData>
            <Data Name='TargetUserName'>hank</Data><Data Name='TargetDomainName'>CORP</Data>
            <Data Name='Status'>0xc000006d</Data><Data Name='SubStatus'>0xc000006a</Data>
            <Data Name='LogonType'>3</Data><Data Name='IpAddress'>203.0.113.9</Data></EventData></Event>"##;
        let Decoded::Event(e) = decode_xml(xml.as_bytes(), rec()) else {
            panic!()
        };
        assert_eq!(&*e.identity, "CORP\\hank");
        assert_eq!(e.result_code.as_deref(), Some("0xc000006a"));
        assert_eq!(e.failure_reason.as_deref(), Some("bad password"));
        // Record ids above 2^53 stay exact (they are strings).
        assert_eq!(e.record.record_id.as_deref(), Some("18446744073709551615"));
    }

    #[test]
    fn ignored_and_rejected() {
        let ignored = |json: &str| match decode_json(json.as_bytes(), rec()) {
            Decoded::Ignored(r) => r,
            other => panic!("{json}: {other:?}"),
        };
        let rejected = |json: &str| match decode_json(json.as_bytes(), rec()) {
            Decoded::Rejected { reason, .. } => reason,
            other => panic!("{json}: {other:?}"),
        };
        assert_eq!(
            ignored(r##"{"EventID":4688,"TimeGenerated":"2024-01-01T10:00:00Z"}"##),
            "Windows event other than 4624/4625/4648/4768/4771/4776"
        );
        assert_eq!(
            ignored(
                r##"{"EventID":4625,"TimeGenerated":"2024-01-01T10:00:00Z","TargetUserName":"-"}"##
            ),
            "Windows logon without an account name"
        );
        assert_eq!(rejected(r##"{"EventID":4625}"##), "missing time");
        assert_eq!(
            rejected(r##"{"EventID":4625,"TimeGenerated":"yesterday","TargetUserName":"x"}"##),
            "unparsable time"
        );
        assert_eq!(
            rejected(r##"{"EventID":"abc","TimeGenerated":"2024-01-01T10:00:00Z"}"##),
            "missing EventID"
        );
    }

    #[test]
    fn missing_fields_do_not_panic() {
        for json in [
            r##"{"Event":{"System":{}}}"##,
            r##"{"Event":{"System":null,"EventData":[1,2]}}"##,
            r##"{"winlog":{}}"##,
            r##"{"winlog":5}"##,
            r##"{"Id":4625,"Properties":[]}"##,
            r##"{"Id":4625,"Properties":[null,{"Value":{"Value":{}}}]}"##,
            r##"{"EventID":4624,"TimeGenerated":"2024-01-01T10:00:00Z","TargetUserName":"\\"}"##,
            r##"{"EventID":4624,"TimeGenerated":"2024-01-01T10:00:00Z","TargetUserName":"@"}"##,
            r##"{"EventID":4776,"TimeGenerated":"2024-01-01T10:00:00Z","TargetUserName":"a"}"##,
        ] {
            let _ = decode_json(json.as_bytes(), rec());
        }
        for xml in [
            "<Event/>",
            "<Event><System><EventID>x</EventID></System></Event>",
            "<Foo/>",
            "<Event>",
        ] {
            let _ = decode_xml(xml.as_bytes(), rec());
        }
    }

    #[test]
    fn status_normalization() {
        assert_eq!(
            normalize_status("0xC000006A").as_deref(),
            Some("0xc000006a")
        );
        assert_eq!(
            normalize_status("3221225578").as_deref(),
            Some("0xc000006a")
        );
        assert_eq!(
            normalize_status("-1073741718").as_deref(),
            Some("0xc000006a")
        );
        assert_eq!(normalize_status("0x0").as_deref(), Some("0x0"));
        assert_eq!(normalize_status("-"), None);
    }

    /// Classic `WinEventLog` text (Splunk's `_raw` of `WinEventLog:Security`): the sections name
    /// the fields; the subject is not the account that failed or logged on.
    #[test]
    fn classic_text_as_the_flat_record() {
        let failed = "12/05/2025 05:20:14.420 PM\nLogName=Security\nEventCode=4625\nComputerName=WS01\nRecordNumber=24934\nKeywords=Audit Failure\nMessage=An account failed to log on.\n\nSubject:\n\tSecurity ID:\t\tS-1-5-21-1-2-3-1001\n\tAccount Name:\t\tsvc\n\tAccount Domain:\t\tWS01\n\nLogon Type:\t\t\t3\n\nAccount For Which Logon Failed:\n\tSecurity ID:\t\tS-1-0-0\n\tAccount Name:\t\tmallory\n\tAccount Domain:\t\tCORP\n\nFailure Information:\n\tFailure Reason:\t\tUnknown user name or bad password.\n\tStatus:\t\t\t0xC000006D\n\tSub Status:\t\t0xC000006A\n\nNetwork Information:\n\tWorkstation Name:\tKALI\n\tSource Network Address:\t203.0.113.9\n\tSource Port:\t\t51000\n\nThe Subject fields indicate the account on the local system which requested the logon.\n";
        let v = classic_text(failed, Some("2025-12-05T17:20:14.420-0800")).expect("classic text");
        for (k, want) in [
            ("EventCode", "4625"),
            ("TargetUserName", "mallory"),
            ("TargetDomainName", "CORP"),
            ("SubjectUserName", "svc"),
            ("LogonType", "3"),
            ("SubStatus", "0xC000006A"),
            ("IpAddress", "203.0.113.9"),
            ("_time", "2025-12-05T17:20:14.420-0800"),
        ] {
            assert_eq!(v[k], want, "{k}");
        }
        let Decoded::Event(e) = decode_value(&v, crate::ingest::record_ref(&"t".into(), 1)) else {
            panic!("an event")
        };
        assert_eq!((e.event_id(), &*e.identity_key), (Some(4625), "mallory"));
        assert_eq!(e.time.to_rfc3339(), "2025-12-06T01:20:14.420+00:00");
        let logon = "12/05/2025 05:21:00 PM\nEventCode=4624\nMessage=An account was successfully logged on.\n\nSubject:\n\tAccount Name:\t\tWS01$\n\nLogon Information:\n\tLogon Type:\t\t2\n\nNew Logon:\n\tAccount Name:\t\tmallory\n\tAccount Domain:\t\tCORP\n";
        let v = classic_text(logon, None).expect("classic text");
        assert_eq!(
            (v["TargetUserName"].as_str(), v["LogonType"].as_str()),
            (Some("mallory"), Some("2"))
        );
        assert_eq!(
            v["_time"], "12/05/2025 05:21:00 PM",
            "the text's own time, read as UTC"
        );
        assert!(classic_text("just words\nno fields", None).is_none());
    }
}
