/*!
The `t1586` command-line host: runs a detector `.wasm` (the embedded one by default) in wasmtime over
files, directories of files... and stdin, with gzip handled transparently. The library part exists
so integration tests can drive the same code paths as the binary.
*/
#![forbid(unsafe_code)]

pub mod output;
pub mod runtime;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result};
use flate2::read::MultiGzDecoder;

use output::AlertLine;
use runtime::Detector;

/// The bundled demo: a small tenant's sign-ins with attacks in it, scanned when no file is given.
pub static DEMO: &[u8] = include_bytes!("../../tests/demo/signins.json");
/// The name evidence uses for the bundled demo.
pub const DEMO_NAME: &str = "demo/signins.json";

/// What a scan produced.
pub struct ScanOutcome {
    /// Alerts in the final order.
    pub alerts: Vec<AlertLine>,
    /// The detector's statistics.
    pub stats: serde_json::Value,
    /// Inputs that could not be read (name, error); their readable part was still processed.
    pub unreadable: Vec<(String, String)>,
}

/// Open an input, transparently gunzipping (by magic bytes, not by name).
pub fn open_input(name: &str) -> io::Result<Box<dyn Read>> {
    let raw: Box<dyn Read> = if name == "-" {
        Box::new(io::stdin().lock())
    } else {
        Box::new(File::open(Path::new(name))?)
    };
    let mut br = BufReader::with_capacity(256 * 1024, raw);
    let head = br.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(MultiGzDecoder::new(br)))
    } else {
        Ok(Box::new(br))
    }
}

/// Stream one input into the detector; alert lines are appended to `lines`.
pub fn feed(
    det: &mut Detector,
    name: &str,
    mut input: impl Read,
    lines: &mut Vec<u8>,
) -> Result<(), (anyhow::Error, bool)> {
    det.begin_source(name).map_err(|e| (e, true))?;
    let mut buf = vec![0u8; 256 * 1024];
    loop {
        let n = match input.read(&mut buf) {
            Ok(0) => return Ok(()),
            Ok(n) => n,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
            Err(e) => {
                return Err((
                    anyhow::Error::new(e).context(format!("{name}: read error")),
                    false,
                ));
            }
        };
        lines.extend(det.push(&buf[..n]).map_err(|e| (e, true))?);
    }
}

/// Parse an IP list: one address per line (the Tor Project's bulk exit list), or TorDNSEL
/// `ExitAddress <ip> <time>` lines; blank lines, `#` comments and other TorDNSEL lines are skipped.
/// A line that is neither is an error naming its line number.
pub fn parse_ip_list(text: &str) -> Result<Vec<String>, (usize, String)> {
    let mut out = Vec::new();
    for (i, line) in text.lines().enumerate() {
        let l = line.trim();
        if l.is_empty() || l.starts_with('#') || l.starts_with('@') {
            continue;
        }
        let mut parts = l.split_whitespace();
        let first = parts.next().unwrap_or("");
        let cand = match first {
            "ExitAddress" => parts.next().unwrap_or(""),
            "ExitNode" | "Published" | "LastStatus" => continue,
            other => other,
        };
        match cand.parse::<std::net::IpAddr>() {
            Ok(ip) => out.push(ip.to_string()),
            Err(_) => return Err((i + 1, format!("not an IP address: {cand:?}"))),
        }
    }
    Ok(out)
}

/// Split JSON Lines output into sorted alerts.
pub fn collect_alerts(lines: &[u8]) -> Result<Vec<AlertLine>> {
    let text = std::str::from_utf8(lines).context("detector returned non-UTF-8 alerts")?;
    let mut alerts = text
        .lines()
        .filter(|l| !l.is_empty())
        .map(AlertLine::parse)
        .collect::<Result<Vec<_>>>()
        .context("detector returned an alert that is not JSON")?;
    alerts.sort_by(|a, b| output::compare(&a.value, &b.value));
    Ok(alerts)
}

/// Run a whole scan: every input in order through one detector, then flush. Unreadable inputs are
/// reported and skipped; plugin failures abort with an error.
pub fn scan(det: &mut Detector, inputs: &[String]) -> Result<ScanOutcome> {
    let mut lines = Vec::new();
    let mut unreadable = Vec::new();
    for name in inputs {
        let res = match open_input(name) {
            Ok(r) => feed(det, name, r, &mut lines),
            Err(e) => Err((anyhow::Error::new(e), false)),
        };
        match res {
            Ok(()) => {}
            Err((e, true)) => return Err(e),
            Err((e, false)) => unreadable.push((name.clone(), format!("{e:#}"))),
        }
    }
    lines.extend(det.flush()?);
    let stats = det.stats()?;
    Ok(ScanOutcome {
        alerts: collect_alerts(&lines)?,
        stats,
        unreadable,
    })
}

/// One stderr line describing a loaded enrichment file (`info` is the detector's JSON answer).
pub fn enrichment_line(name: &str, info: &serde_json::Value) -> String {
    let g = |k: &str| info.get(k).cloned().unwrap_or_default();
    let kind = g("kind").as_str().unwrap_or("").to_string();
    let db = g("database_type").as_str().unwrap_or("").to_string();
    let what = if db.is_empty() || db == kind {
        kind
    } else {
        format!("{kind} {db}")
    };
    let mut s = format!("t1586: {name}: {what} loaded ({} entries", g("entries"));
    if g("skipped").as_u64().unwrap_or(0) > 0 {
        s.push_str(&format!(", {} rows skipped", g("skipped")));
    }
    s.push(')');
    for e in g("errors").as_array().into_iter().flatten() {
        s.push_str(&format!("\n  {name}: {}", e.as_str().unwrap_or("")));
    }
    s
}
