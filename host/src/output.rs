//! Alert ordering and rendering for the CLI. The order matches the core's `sort_alerts`:
//! RiskScore desc, TimeGenerated desc, then UserPrincipalName, DetectionType, FirstSeen ascending.

use std::cmp::Ordering;

use serde_json::Value;

/// One alert: its canonical JSON line (printed as is) and what it sorts by. The parsed object is
/// not kept (a `serde_json::Value` takes several times the text's memory); tables, CSV and OCSF
/// parse one alert at a time with [`AlertLine::value`].
#[derive(Debug, Clone)]
pub struct AlertLine {
    pub json: String,
    key: SortKey,
}

/// The canonical order's fields (see [`compare`]).
#[derive(Debug, Clone, PartialEq, Eq)]
struct SortKey {
    risk: u64,
    time: String,
    user: String,
    detection: String,
    first: String,
}

impl AlertLine {
    /// Parse one line a detector returned: a JSON object with at least a `DetectionType` and a
    /// numeric `RiskScore` (a plugin's output is checked, never trusted).
    pub fn parse(line: &str) -> anyhow::Result<AlertLine> {
        let value: Value = serde_json::from_str(line)
            .ok()
            .filter(|v: &Value| {
                v.get("DetectionType").is_some_and(Value::is_string)
                    && v.get("RiskScore").is_some_and(Value::is_u64)
            })
            .ok_or_else(|| {
                // Debug-escaped and cut short: a hostile plugin cannot write to the terminal.
                let shown: String = line.chars().take(80).collect();
                anyhow::anyhow!("detector returned output that is not alert JSON: {shown:?}")
            })?;
        let key = SortKey {
            risk: value.get("RiskScore").and_then(Value::as_u64).unwrap_or(0),
            time: time_key(s(&value, "TimeGenerated")),
            user: s(&value, "UserPrincipalName").to_string(),
            detection: s(&value, "DetectionType").to_string(),
            first: time_key(s(&value, "FirstSeen")),
        };
        Ok(AlertLine {
            json: line.to_string(),
            key,
        })
    }

    /// A text field of the alert (`""` when absent): `AlertId`, `Status`...
    pub fn field(&self, key: &str) -> String {
        s(&self.value(), key).to_string()
    }

    /// The alert's `RiskScore` (checked present by [`AlertLine::parse`]).
    pub fn risk(&self) -> u64 {
        self.key.risk
    }

    /// The alert as a JSON object (parsed again; it parsed when the line was accepted).
    pub fn value(&self) -> Value {
        serde_json::from_str(&self.json).unwrap_or_default()
    }
}

/// RFC 3339 UTC text made comparable as a string: fraction padded to 9 digits.
pub fn time_key(s: &str) -> String {
    let body = s.strip_suffix('Z').unwrap_or(s);
    let (main, frac) = body.split_once('.').unwrap_or((body, ""));
    format!("{main}.{frac:0<9}")
}

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

/// The canonical alert order: risk descending, then `TimeGenerated` descending, then user,
/// detection type and `FirstSeen` ascending (a total order, so output never depends on arrival).
pub fn compare(a: &AlertLine, b: &AlertLine) -> Ordering {
    let (a, b) = (&a.key, &b.key);
    b.risk
        .cmp(&a.risk)
        .then_with(|| b.time.cmp(&a.time))
        .then_with(|| a.user.cmp(&b.user))
        .then_with(|| a.detection.cmp(&b.detection))
        .then_with(|| a.first.cmp(&b.first))
}

/// The alerts as parsed objects (one at a time, only for the formats that need them).
fn values(alerts: &[AlertLine]) -> Vec<Value> {
    alerts.iter().map(AlertLine::value).collect()
}

/// A readable table for terminals (the core's, as every host writes it).
pub fn table(alerts: &[AlertLine]) -> String {
    t1586_detector::report::table(&values(alerts))
}

/// A JSON array of the alerts (each in its canonical form).
pub fn json_array(alerts: &[AlertLine]) -> String {
    if alerts.is_empty() {
        return "[]\n".into();
    }
    let body: Vec<&str> = alerts.iter().map(|a| a.json.as_str()).collect();
    format!("[\n{}\n]\n", body.join(",\n"))
}

/// CSV with a header row, CRLF line ends (RFC 4180): the core's, as the review page writes it.
pub fn csv(alerts: &[AlertLine]) -> String {
    t1586_detector::report::csv(&values(alerts))
}

/// ATT&CK technique id → name, as the detector module's catalog gives them (`t1586_catalog`).
pub type TechniqueNames = std::collections::BTreeMap<String, String>;

/// The technique names of a catalog (see [`crate::runtime::Detector::catalog`]).
pub fn technique_names(catalog: Option<&Value>) -> TechniqueNames {
    catalog
        .and_then(|c| c.get("techniques"))
        .and_then(Value::as_object)
        .map(|m| {
            m.iter()
                .filter_map(|(k, v)| Some((k.clone(), v.as_str()?.to_string())))
                .collect()
        })
        .unwrap_or_default()
}

/// RFC 3339 UTC (`…Z`, any fraction) to epoch milliseconds; `None` if it is not that.
pub fn epoch_ms(t: &str) -> Option<i64> {
    let b = t.as_bytes();
    if b.len() < 20 || !t.ends_with('Z') {
        return None;
    }
    let num = |r: std::ops::Range<usize>| t.get(r)?.parse::<i64>().ok();
    let (y, mo, d) = (num(0..4)?, num(5..7)?, num(8..10)?);
    let (h, mi, se) = (num(11..13)?, num(14..16)?, num(17..19)?);
    let frac = t[19..t.len() - 1].strip_prefix('.').unwrap_or("");
    let ms = format!("{frac:0<3}").get(0..3)?.parse::<i64>().ok()?;
    // Days from civil (Howard Hinnant's algorithm).
    let y2 = if mo <= 2 { y - 1 } else { y };
    let era = y2.div_euclid(400);
    let yoe = y2 - era * 400;
    let mp = (mo + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    let days = era * 146_097 + doe - 719_468;
    Some(((days * 24 + h) * 60 + mi) * 60_000 + se * 1000 + ms)
}

/// FNV-1a, for stable finding ids.
fn fnv(parts: &[&str]) -> String {
    let mut h: u64 = 0xcbf2_9ce4_8422_2325;
    for p in parts {
        for b in p.bytes().chain([0u8]) {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
    }
    format!("{h:016x}")
}

/// One OCSF 1.1 Detection Finding (class 2004) for an alert: severity and risk level from the risk
/// score, ATT&CK techniques (named from the detector's own catalog; a technique the catalog does
/// not name is written with its id alone), the user and IPs as observables, the evidence records
/// as `evidences`, and the alert's other columns under `unmapped`.
pub fn ocsf(a: &AlertLine, names: &TechniqueNames) -> Value {
    let v = &a.value();
    let risk = a.risk();
    let (sev_id, sev) = match risk {
        90.. => (5, "Critical"),
        75..=89 => (4, "High"),
        50..=74 => (3, "Medium"),
        25..=49 => (2, "Low"),
        _ => (1, "Informational"),
    };
    let (level_id, level) = match risk {
        90.. => (4, "Critical"),
        75..=89 => (3, "High"),
        50..=74 => (2, "Medium"),
        25..=49 => (1, "Low"),
        _ => (0, "Info"),
    };
    let user = s(v, "UserPrincipalName");
    let dtype = s(v, "DetectionType");
    let ms = |k: &str| epoch_ms(s(v, k)).map_or(Value::Null, Value::from);
    let attacks: Vec<Value> = v
        .get("Mitre")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .map(|id| {
            let mut technique = serde_json::json!({"uid": id});
            if let Some(name) = names.get(id) {
                technique["name"] = name.clone().into();
            }
            serde_json::json!({"technique": technique, "version": "v15"})
        })
        .collect();
    let mut observables = Vec::new();
    if user != "(multiple)" {
        observables.push(serde_json::json!({"name": "user.name", "type_id": 4, "type": "User Name", "value": user}));
    }
    for ip in v
        .get("IPList")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        observables.push(serde_json::json!({"name": "src_endpoint.ip", "type_id": 2, "type": "IP Address", "value": ip}));
    }
    let evidences: Vec<Value> = v
        .get("Evidence")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .map(|e| {
            let mut ev = serde_json::json!({"data": e});
            if let Some(ip) = e.get("IPAddress") {
                ev["src_endpoint"] = serde_json::json!({"ip": ip});
                if let Some(c) = e.get("Country") {
                    ev["src_endpoint"]["location"] = serde_json::json!({"country": c});
                }
            }
            if user != "(multiple)" {
                ev["actor"] = serde_json::json!({"user": {"name": user}});
            }
            ev
        })
        .collect();
    let mut unmapped = serde_json::Map::new();
    for k in [
        "FailureCount",
        "SuccessCount",
        "UniqueIPs",
        "Apps",
        "Countries",
        "Profile",
        "Details",
        "Revision",
    ] {
        if let Some(x) = v.get(k) {
            unmapped.insert(k.to_string(), x.clone());
        }
    }
    // A live alert's revisions: the first creates the finding, later ones update it, the closing
    // (or withdrawing) one closes it. Offline alerts are created final.
    let revision = v.get("Revision").and_then(Value::as_u64);
    let (activity_id, activity) = match (s(v, "Status"), revision) {
        ("closed" | "withdrawn", _) => (3, "Close"),
        (_, Some(r)) if r > 1 => (2, "Update"),
        _ => (1, "Create"),
    };
    let (status_id, status) = match s(v, "Status") {
        "withdrawn" => (3, "Suppressed"),
        _ => (1, "New"),
    };
    // The detector's id; modules from before it get one from the type, identity and start.
    let uid = match s(v, "AlertId") {
        "" => fnv(&[dtype, user, s(v, "FirstSeen")]),
        id => id.to_string(),
    };
    serde_json::json!({
        "activity_id": activity_id,
        "activity_name": activity,
        "category_uid": 2,
        "category_name": "Findings",
        "class_uid": 2004,
        "class_name": "Detection Finding",
        "type_uid": 200400 + activity_id,
        "type_name": format!("Detection Finding: {activity}"),
        "severity_id": sev_id,
        "severity": sev,
        "status_id": status_id,
        "status": status,
        "time": ms("TimeGenerated"),
        "message": format!("{dtype} for {user} (risk {risk})"),
        "risk_score": risk,
        "risk_level_id": level_id,
        "risk_level": level,
        "finding_info": {
            "uid": uid,
            "title": format!("{dtype}: {user}"),
            "desc": format!("t1586 {dtype} alert (compromised-account detection)"),
            "types": [dtype],
            "created_time": ms("TimeGenerated"),
            "first_seen_time": ms("FirstSeen"),
            "last_seen_time": ms("LastSeen"),
            "analytic": {"name": dtype, "type_id": 1, "type": "Rule", "uid": format!("t1586/{dtype}")},
            "attacks": attacks,
        },
        "metadata": {
            "version": "1.1.0",
            "product": {"name": "t1586", "vendor_name": "t1586", "version": s(v, "DetectorVersion")},
        },
        "observables": observables,
        "evidences": evidences,
        "unmapped": unmapped,
    })
}

/// Live revisions reduced to what an alert list shows: the latest revision of each alert, without
/// the withdrawn ones, in the final order.
pub fn latest_revisions(revisions: Vec<AlertLine>) -> Vec<AlertLine> {
    let mut latest: std::collections::BTreeMap<String, AlertLine> = Default::default();
    for a in revisions {
        latest.insert(a.field("AlertId"), a);
    }
    let mut out: Vec<AlertLine> = latest
        .into_values()
        .filter(|a| a.field("Status") != "withdrawn")
        .collect();
    out.sort_by(compare);
    out
}

/// OCSF Detection Findings, one JSON object per line.
pub fn ocsf_lines(alerts: &[AlertLine], names: &TechniqueNames) -> String {
    alerts
        .iter()
        .map(|a| format!("{}\n", ocsf(a, names)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epoch_ms_matches_known_instants() {
        assert_eq!(epoch_ms("1970-01-01T00:00:00Z"), Some(0));
        assert_eq!(epoch_ms("2026-03-02T10:50:00Z"), Some(1_772_448_600_000));
        assert_eq!(
            epoch_ms("2023-09-25T20:39:50.8353605Z"),
            Some(1_695_674_390_835)
        );
        assert_eq!(epoch_ms("2000-02-29T12:00:00.5Z"), Some(951_825_600_500));
        assert_eq!(epoch_ms("not a time"), None);
    }

    #[test]
    fn ocsf_detection_finding_shape() {
        let a = AlertLine::parse(r#"{"TimeGenerated":"2026-03-02T10:50:00Z","UserPrincipalName":"a@b.c","DetectionType":"ImpossibleTravel","RiskScore":85,"FailureCount":0,"SuccessCount":2,"UniqueIPs":1,"IPList":["1.2.3.4"],"Apps":[],"Countries":["US"],"FirstSeen":"2026-03-02T10:00:00Z","LastSeen":"2026-03-02T10:50:00Z","Evidence":[{"Source":"x","Line":1,"Time":"2026-03-02T10:00:00Z","Outcome":"Success","IPAddress":"1.2.3.4","Country":"US"}],"Mitre":["T1586","T1078"],"Profile":"default","DetectorVersion":"0.1.0"}"#).unwrap();
        let names = technique_names(Some(
            &serde_json::from_str(&t1586_detector::catalog_json()).unwrap(),
        ));
        let f = ocsf(&a, &names);
        assert_eq!(f["class_uid"], 2004);
        assert_eq!(f["type_uid"], 200401);
        assert_eq!(f["severity_id"], 4);
        assert_eq!(f["time"], 1_772_448_600_000i64);
        assert_eq!(
            f["finding_info"]["attacks"][0]["technique"]["name"],
            "Compromise Accounts"
        );
        assert_eq!(f["observables"][0]["value"], "a@b.c");
        assert_eq!(
            f["evidences"][0]["src_endpoint"]["location"]["country"],
            "US"
        );
        assert_eq!(
            f["finding_info"]["uid"],
            ocsf(&a, &names)["finding_info"]["uid"]
        );
        // The detector's AlertId is the finding's uid; live revisions create, update and close it.
        let line = a.json.trim_end_matches('}').to_string();
        let with = |extra: &str| AlertLine::parse(&format!("{line},{extra}}}")).unwrap();
        let offline = ocsf(&with(r#""AlertId":"0123456789abcdef""#), &names);
        assert_eq!(offline["finding_info"]["uid"], "0123456789abcdef");
        assert_eq!(offline["activity_name"], "Create");
        for (extra, activity, type_uid, status) in [
            (r#""Revision":1,"Status":"open""#, "Create", 200401, "New"),
            (r#""Revision":2,"Status":"open""#, "Update", 200402, "New"),
            (r#""Revision":3,"Status":"closed""#, "Close", 200403, "New"),
            (
                r#""Revision":3,"Status":"withdrawn""#,
                "Close",
                200403,
                "Suppressed",
            ),
        ] {
            let f = ocsf(
                &with(&format!(r#""AlertId":"0123456789abcdef",{extra}"#)),
                &names,
            );
            assert_eq!(f["activity_name"], activity, "{extra}");
            assert_eq!(f["type_uid"], type_uid, "{extra}");
            assert_eq!(f["status"], status, "{extra}");
            assert_eq!(f["finding_info"]["uid"], "0123456789abcdef");
        }
        // A technique the catalog does not name keeps its id, with no empty name.
        let unnamed = ocsf(&a, &TechniqueNames::new());
        assert_eq!(
            unnamed["finding_info"]["attacks"][0]["technique"],
            serde_json::json!({"uid": "T1586"})
        );
    }

    #[test]
    fn time_keys_order_fractions_correctly() {
        assert!(time_key("2026-01-01T10:00:00.5Z") > time_key("2026-01-01T10:00:00Z"));
        assert!(time_key("2026-01-01T10:00:01Z") > time_key("2026-01-01T10:00:00.999Z"));
        assert_eq!(
            time_key("2026-01-01T10:00:00Z"),
            "2026-01-01T10:00:00.000000000"
        );
    }
}
