//! Live-mode revisions in host tests (shared with `#[path]` so each test crate compiles it once).

use std::collections::BTreeMap;

use serde_json::Value;

/// The alerts a stream of revisions ends in, as sorted JSON texts without `Revision` and
/// `Status`, and how many ended withdrawn (left out). Checks that each alert's revisions are
/// numbered 1, 2, 3... in order and that its last one is `closed` or `withdrawn`.
pub fn closed_alerts(
    revisions: impl IntoIterator<Item = Value>,
    what: &str,
) -> (Vec<String>, usize) {
    let mut last: BTreeMap<String, Value> = BTreeMap::new();
    for r in revisions {
        let id = r["AlertId"]
            .as_str()
            .unwrap_or_else(|| panic!("{what}: no AlertId: {r}"))
            .to_string();
        let before = last.get(&id).map_or(0, |p| p["Revision"].as_u64().unwrap());
        assert_eq!(r["Revision"].as_u64(), Some(before + 1), "{what}: {r}");
        last.insert(id, r);
    }
    let mut withdrawn = 0;
    let mut out = Vec::new();
    for mut v in last.into_values() {
        match v["Status"].as_str() {
            Some("closed") => {}
            Some("withdrawn") => {
                withdrawn += 1;
                continue;
            }
            other => panic!("{what}: an alert ends {other:?}: {v}"),
        }
        let o = v.as_object_mut().unwrap();
        o.remove("Revision");
        o.remove("Status");
        out.push(v.to_string());
    }
    out.sort();
    (out, withdrawn)
}

/// Alert JSON lines parsed and written again (key order as parsed), sorted: comparable with
/// [`closed_alerts`].
pub fn normalized<'a>(lines: impl IntoIterator<Item = &'a str>) -> Vec<String> {
    let mut v: Vec<String> = lines
        .into_iter()
        .filter(|l| !l.trim().is_empty())
        .map(|l| serde_json::from_str::<Value>(l).unwrap().to_string())
        .collect();
    v.sort();
    v
}
