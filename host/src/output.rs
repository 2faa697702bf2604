//! Alert ordering and rendering for the CLI. The order matches the core's `sort_alerts`:
//! RiskScore desc, TimeGenerated desc, then UserPrincipalName, DetectionType, FirstSeen ascending.

use std::cmp::Ordering;

use serde_json::Value;

/// One alert: its canonical JSON line (printed as is) and the parsed object (for sorting/tables).
pub struct AlertLine {
    pub json: String,
    pub value: Value,
}

impl AlertLine {
    pub fn parse(line: &str) -> anyhow::Result<AlertLine> {
        Ok(AlertLine {
            json: line.to_string(),
            value: serde_json::from_str(line)?,
        })
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

/// The canonical alert order.
pub fn compare(a: &Value, b: &Value) -> Ordering {
    let risk = |v: &Value| v.get("RiskScore").and_then(Value::as_u64).unwrap_or(0);
    risk(b)
        .cmp(&risk(a))
        .then_with(|| time_key(s(b, "TimeGenerated")).cmp(&time_key(s(a, "TimeGenerated"))))
        .then_with(|| s(a, "UserPrincipalName").cmp(s(b, "UserPrincipalName")))
        .then_with(|| s(a, "DetectionType").cmp(s(b, "DetectionType")))
        .then_with(|| time_key(s(a, "FirstSeen")).cmp(&time_key(s(b, "FirstSeen"))))
}

fn list(v: &Value, k: &str, max: usize) -> String {
    let items: Vec<&str> = v
        .get(k)
        .and_then(Value::as_array)
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default();
    let mut out = items
        .iter()
        .take(max)
        .copied()
        .collect::<Vec<_>>()
        .join(",");
    if items.len() > max {
        out.push_str(&format!(",+{}", items.len() - max));
    }
    out
}

/// A readable table for terminals.
pub fn table(alerts: &[AlertLine]) -> String {
    let header = [
        "Risk",
        "Detection",
        "User",
        "TimeGenerated",
        "Fail",
        "Succ",
        "IPs",
        "IPList",
        "Countries",
    ];
    let rows: Vec<Vec<String>> = alerts
        .iter()
        .map(|a| {
            let v = &a.value;
            let n = |k: &str| v.get(k).and_then(Value::as_u64).unwrap_or(0).to_string();
            vec![
                n("RiskScore"),
                s(v, "DetectionType").to_string(),
                s(v, "UserPrincipalName").to_string(),
                s(v, "TimeGenerated").to_string(),
                n("FailureCount"),
                n("SuccessCount"),
                n("UniqueIPs"),
                list(v, "IPList", 3),
                list(v, "Countries", 5),
            ]
        })
        .collect();
    let mut widths: Vec<usize> = header.iter().map(|h| h.chars().count()).collect();
    for r in &rows {
        for (w, c) in widths.iter_mut().zip(r) {
            *w = (*w).max(c.chars().count()).min(48);
        }
    }
    let mut out = String::new();
    let fmt_row = |cells: Vec<String>, out: &mut String| {
        let line: Vec<String> = cells
            .into_iter()
            .zip(&widths)
            .map(|(c, &w)| {
                // Cells are shown as text; control characters from hostile logs are replaced.
                let c: String = c
                    .chars()
                    .map(|ch| if ch.is_control() { '?' } else { ch })
                    .collect();
                let c: String = if c.chars().count() > w {
                    c.chars().take(w.saturating_sub(1)).chain(['…']).collect()
                } else {
                    c
                };
                format!("{c:<w$}")
            })
            .collect();
        out.push_str(line.join("  ").trim_end());
        out.push('\n');
    };
    fmt_row(header.iter().map(|h| h.to_string()).collect(), &mut out);
    for r in rows {
        fmt_row(r, &mut out);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

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
