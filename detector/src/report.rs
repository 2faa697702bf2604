//! What hosts write for people besides the alerts' JSON: the terminal table, CSV, the run summary
//! and the enrichment line. One implementation for every host: the CLI calls it natively, the Node
//! CLI and the review page through the JS binding (`formatTable`, `formatCsv`, `summary`,
//! `enrichmentLine`). Not part of the C ABI: formatting is the host's side of the interface, and
//! the zero-import module stays small.
//!
//! Alerts come in as parsed JSON objects (their canonical form); log content in them is
//! attacker-controlled, so the table replaces control characters and CSV neutralises formulas.

use serde_json::Value;

fn s<'a>(v: &'a Value, k: &str) -> &'a str {
    v.get(k).and_then(Value::as_str).unwrap_or("")
}

fn n(v: &Value, k: &str) -> u64 {
    v.get(k).and_then(Value::as_u64).unwrap_or(0)
}

/// A list column: the first `max` items joined with `,`, then `,+N` for the rest.
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

/// A readable table for terminals: one row per alert, columns at most 48 characters wide.
pub fn table(alerts: &[Value]) -> String {
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
        .map(|v| {
            vec![
                n(v, "RiskScore").to_string(),
                s(v, "DetectionType").to_string(),
                s(v, "UserPrincipalName").to_string(),
                s(v, "TimeGenerated").to_string(),
                n(v, "FailureCount").to_string(),
                n(v, "SuccessCount").to_string(),
                n(v, "UniqueIPs").to_string(),
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

/// The CSV columns (the seed's, then ATT&CK, profile and the alert id; live revisions add
/// [`LIVE_CSV_COLUMNS`]).
pub const CSV_COLUMNS: &[&str] = &[
    "TimeGenerated",
    "UserPrincipalName",
    "DetectionType",
    "RiskScore",
    "FailureCount",
    "SuccessCount",
    "UniqueIPs",
    "IPList",
    "Apps",
    "Countries",
    "FirstSeen",
    "LastSeen",
    "Mitre",
    "Profile",
    "AlertId",
];

/// The columns live revisions add after [`CSV_COLUMNS`].
pub const LIVE_CSV_COLUMNS: &[&str] = &["Revision", "Status"];

/// One CSV cell: lists joined with `;`, quoted when needed, and text that a spreadsheet would run as
/// a formula (`=`, `+`, `-`, `@`, tab, carriage return) prefixed with `'`.
pub fn csv_cell(v: Option<&Value>) -> String {
    let (text, number) = match v {
        None | Some(Value::Null) => (String::new(), false),
        Some(Value::String(s)) => (s.clone(), false),
        Some(Value::Array(a)) => (
            a.iter()
                .map(|x| x.as_str().map_or_else(|| x.to_string(), str::to_string))
                .collect::<Vec<_>>()
                .join(";"),
            false,
        ),
        Some(Value::Number(n)) => (n.to_string(), true),
        Some(other) => (other.to_string(), false),
    };
    let text = if !number && text.starts_with(['=', '+', '-', '@', '\t', '\r']) {
        format!("'{text}")
    } else {
        text
    };
    if text.contains([',', '"', '\n', '\r']) {
        format!("\"{}\"", text.replace('"', "\"\""))
    } else {
        text
    }
}

/// CSV with a header row and CRLF line ends (RFC 4180). Live revisions (the first alert has a
/// `Revision`) add the columns `Revision` and `Status`: a stream of them is one row per revision,
/// the last row of an `AlertId` its latest.
pub fn csv(alerts: &[Value]) -> String {
    let live = alerts.first().is_some_and(|v| v.get("Revision").is_some());
    let columns: Vec<&str> = CSV_COLUMNS
        .iter()
        .chain(live.then_some(LIVE_CSV_COLUMNS).into_iter().flatten())
        .copied()
        .collect();
    let mut out = columns.join(",");
    out.push_str("\r\n");
    for v in alerts {
        let row: Vec<String> = columns.iter().map(|c| csv_cell(v.get(*c))).collect();
        out.push_str(&row.join(","));
        out.push_str("\r\n");
    }
    out
}

/// The end-of-run summary (the hosts print it on stderr): counts, then reasons sorted by name,
/// the first rejected records with their source and line, and the late-events warning.
pub fn summary(stats: &Value, alerts: u64) -> String {
    let c = |k: &str| n(stats, k);
    let mut out = format!(
        "t1586: {} records read, {} parsed ({} events, {} ignored), {} rejected; {alerts} alerts",
        c("records_read"),
        c("records_parsed"),
        c("events"),
        c("records_ignored"),
        c("records_rejected"),
    );
    for (label, key) in [
        ("ignored", "ignored_by_reason"),
        ("rejected", "rejected_by_reason"),
        ("limit hit", "caps_hit"),
        ("enrichment", "enrichment"),
    ] {
        if let Some(m) = stats.get(key).and_then(Value::as_object) {
            let mut reasons: Vec<(&String, &Value)> = m.iter().collect();
            reasons.sort_by(|a, b| a.0.cmp(b.0));
            for (reason, count) in reasons {
                out.push_str(&format!("\n  {label}: {reason}: {count}"));
            }
        }
    }
    for e in stats
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let g = |k: &str| match e.get(k) {
            Some(Value::String(s)) => s.clone(),
            Some(v) => v.to_string(),
            None => String::new(),
        };
        out.push_str(&format!(
            "\n  {}:{}: {}",
            g("source"),
            g("line"),
            g("reason")
        ));
    }
    if c("errors_not_listed") > 0 {
        out.push_str(&format!(
            "\n  ... and {} more rejected records",
            c("errors_not_listed")
        ));
    }
    if c("late_events") > 0 {
        out.push_str(&format!(
            "\n  warning: {} events arrived more than max_lateness_secs out of time order; they were processed late (a live feed: raise max_lateness_secs; a file: scan it without --live)",
            c("late_events")
        ));
    }
    if stats.get("input_sorted").and_then(Value::as_bool) == Some(true) {
        out.push_str("\n  input not in time order: read a second time and processed sorted");
        match c("spilled_runs") {
            0 => {}
            r => out.push_str(&format!(" ({r} sorted runs kept in temporary files)")),
        }
    }
    out
}

/// One line describing a loaded enrichment file (`info`: what the detector answered when it was
/// added), and its errors indented below.
pub fn enrichment_line(name: &str, info: &Value) -> String {
    let kind = s(info, "kind");
    let db = s(info, "database_type");
    let what = if db.is_empty() || db == kind {
        kind.to_string()
    } else {
        format!("{kind} {db}")
    };
    let mut out = format!(
        "t1586: {name}: {what} loaded ({} entries",
        info.get("entries").cloned().unwrap_or_default()
    );
    if n(info, "skipped") > 0 {
        out.push_str(&format!(", {} rows skipped", n(info, "skipped")));
    }
    out.push(')');
    for e in info
        .get("errors")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        out.push_str(&format!("\n  {name}: {}", e.as_str().unwrap_or("")));
    }
    out
}

/// Alerts from JSON Lines (the form the detector returns them in); lines that are not JSON
/// objects are skipped.
pub fn parse_jsonl(text: &str) -> Vec<Value> {
    text.lines()
        .filter(|l| !l.trim().is_empty())
        .filter_map(|l| serde_json::from_slice::<Value>(l.as_bytes()).ok())
        .filter(Value::is_object)
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn csv_cells_quote_and_neutralise_formulas() {
        assert_eq!(csv_cell(Some(&Value::from("a,b"))), "\"a,b\"");
        assert_eq!(
            csv_cell(Some(&Value::from("=HYPERLINK(1)"))),
            "'=HYPERLINK(1)"
        );
        assert_eq!(csv_cell(Some(&Value::from(-5))), "-5");
        assert_eq!(
            csv_cell(Some(&json!(["1.2.3.4", "5.6.7.8"]))),
            "1.2.3.4;5.6.7.8"
        );
        assert_eq!(
            csv_cell(Some(&Value::from("say \"hi\""))),
            "\"say \"\"hi\"\"\""
        );
        assert_eq!(csv_cell(None), "");
    }

    #[test]
    fn table_columns_are_capped_and_cleaned() {
        let a = json!({"RiskScore": 90, "DetectionType": "PasswordSpray",
            "UserPrincipalName": format!("{}\u{1b}[31m", "u".repeat(60)),
            "TimeGenerated": "2026-03-02T10:00:00Z", "FailureCount": 7, "SuccessCount": 0,
            "UniqueIPs": 4, "IPList": ["a", "b", "c", "d"], "Countries": []});
        let t = table(&[a]);
        let lines: Vec<&str> = t.lines().collect();
        assert!(lines[0].starts_with("Risk  Detection"), "{t}");
        assert!(
            lines[1].contains('…') && !lines[1].contains('\u{1b}'),
            "{t}"
        );
        assert!(lines[1].ends_with("a,b,c,+1"), "{t}");
    }

    #[test]
    fn summary_sorts_reasons_and_lists_errors() {
        let stats = json!({"records_read": 3, "records_parsed": 2, "events": 1,
            "records_ignored": 1, "records_rejected": 1,
            "ignored_by_reason": {"z": 1, "a": 2},
            "errors": [{"source": "f.json", "line": 7, "reason": "bad"}], "late_events": 2});
        assert_eq!(
            summary(&stats, 4),
            "t1586: 3 records read, 2 parsed (1 events, 1 ignored), 1 rejected; 4 alerts\n  \
             ignored: a: 2\n  ignored: z: 1\n  f.json:7: bad\n  warning: 2 events arrived more \
             than max_lateness_secs out of time order; they were processed late (a live \
             feed: raise max_lateness_secs; a file: scan it without --live)"
        );
        let sorted = json!({"records_read": 1, "records_parsed": 1, "events": 1,
            "input_sorted": true, "spilled_runs": 3});
        assert!(
            summary(&sorted, 0).ends_with(
                "\n  input not in time order: read a second time and processed sorted (3 sorted \
                 runs kept in temporary files)"
            ),
            "{}",
            summary(&sorted, 0)
        );
    }

    #[test]
    fn enrichment_lines_name_kind_and_errors() {
        let info = json!({"kind": "mmdb", "database_type": "GeoLite2-City", "entries": 5,
            "skipped": 1, "errors": ["row 3: bad"]});
        assert_eq!(
            enrichment_line("city.mmdb", &info),
            "t1586: city.mmdb: mmdb GeoLite2-City loaded (5 entries, 1 rows skipped)\n  \
             city.mmdb: row 3: bad"
        );
    }
}
