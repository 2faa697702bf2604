/*!
The t1586 detector for JavaScript: a thin wasm-bindgen layer over the same core as the C-ABI `.wasm`.

Alerts cross the boundary two ways: as plain objects (`push`/`flush`, via serde-wasm-bindgen, keys
in the canonical order) and as the core's canonical JSON Lines (`pushJsonl`/`flushJsonl`), which are
byte-identical to what the CLI prints. Integers above 2^53 (record ids) are strings in the core's
types, so nothing loses precision in JavaScript.
*/
#![forbid(unsafe_code)]

use js_sys::Uint8Array;
use serde::Serialize;
use wasm_bindgen::prelude::*;

use t1586_detector as core;

fn js_err(e: impl std::fmt::Display) -> JsError {
    JsError::new(&e.to_string())
}

/// A configuration as JavaScript gives it (undefined/null, a JSON string, or a plain object) as
/// JSON text; empty for none.
fn config_text(config: JsValue) -> Result<String, JsError> {
    if config.is_undefined() || config.is_null() {
        Ok(String::new())
    } else if let Some(s) = config.as_string() {
        Ok(s)
    } else {
        let v: serde_json::Value = serde_wasm_bindgen::from_value(config).map_err(js_err)?;
        Ok(v.to_string())
    }
}

fn to_js<T: Serialize>(v: &T) -> Result<JsValue, JsError> {
    v.serialize(&serde_wasm_bindgen::Serializer::json_compatible())
        .map_err(js_err)
}

fn input_bytes(input: &JsValue) -> Result<Vec<u8>, JsError> {
    if let Some(s) = input.as_string() {
        return Ok(s.into_bytes());
    }
    if input.is_instance_of::<Uint8Array>() {
        return Ok(Uint8Array::from(input.clone()).to_vec());
    }
    Err(JsError::new("push() takes a Uint8Array or a string"))
}

/// The first `n` bytes of a detector's input buffer (see `Detector::input_buffer`).
fn buffered(inbuf: &[u8], n: usize) -> Result<&[u8], JsError> {
    inbuf.get(..n).ok_or_else(|| {
        js_err(format!(
            "{n} bytes pushed from an input buffer of {} (ask inputBuffer for at least that many)",
            inbuf.len()
        ))
    })
}

fn jsonl(alerts: &[core::Alert]) -> String {
    let mut s = String::new();
    for a in alerts {
        s.push_str(&a.to_json());
        s.push('\n');
    }
    s
}

/// The ABI/interface version shared with the C-ABI module.
#[wasm_bindgen(js_name = abiVersion)]
pub fn abi_version() -> u32 {
    1
}

/// The detector version.
#[wasm_bindgen]
pub fn version() -> String {
    core::VERSION.to_string()
}

/// The default configuration of a profile, as a JSON string.
#[wasm_bindgen(js_name = defaultConfig)]
pub fn default_config(profile: Option<String>) -> Result<String, JsError> {
    let cfg = match profile.as_deref() {
        None => core::Config::default(),
        Some(p) => {
            core::Config::from_json(&format!("{{\"profile\":{}}}", serde_json::Value::from(p)))
                .map_err(js_err)?
        }
    };
    Ok(cfg.to_json_pretty())
}

/// The names `rules` takes, in the order `t1586 rules --to` lists them.
#[wasm_bindgen(js_name = rulesTargets)]
pub fn rules_targets() -> Vec<String> {
    t1586_rules::Target::ALL
        .iter()
        .map(|t| t.name().to_string())
        .collect()
}

/// `t1586 rules`: the configuration's detections as a SIEM's own rules, from the same generators
/// as the Rust CLI (the `t1586-rules` crate). `config` as `Detector`'s. Returns `{text, unwritten:
/// [[signal, detection, reason]], notYet: [signal]}`: the rules, the enabled detections this
/// language cannot write (and why), and the signals without a generator yet.
#[wasm_bindgen]
pub fn rules(target: &str, config: JsValue) -> Result<JsValue, JsError> {
    let target: t1586_rules::Target = target.parse().map_err(js_err)?;
    let text = config_text(config)?;
    // As the Rust CLI reads it: no configuration is the empty object.
    let text = if text.trim().is_empty() { "{}" } else { &text };
    let cfg = core::Config::from_json(text).map_err(js_err)?;
    let (_, not_yet) = t1586_rules::detections(&cfg);
    let v = serde_json::json!({
        "text": t1586_rules::render(target, &t1586_rules::rules(&cfg, target)),
        "unwritten": t1586_rules::unwritten(&cfg, target),
        "notYet": not_yet,
    });
    to_js(&v)
}

/// Every detection type with the signal that raises it and its ATT&CK techniques, and the
/// techniques' names: `{detections: [{DetectionType, Signal, Mitre}], techniques: {id: name}}`.
#[wasm_bindgen]
pub fn catalog() -> Result<JsValue, JsError> {
    let v: serde_json::Value = serde_json::from_str(&core::catalog_json()).map_err(js_err)?;
    to_js(&v)
}

/// Parse an IP list (one address or CIDR network per line, TorDNSEL `ExitAddress` lines, `#`
/// comments): `{addresses: [...], networks: [...]}`; throws naming the bad lines.
#[wasm_bindgen(js_name = parseIpList)]
pub fn parse_ip_list(text: &str) -> Result<JsValue, JsError> {
    let list = core::parse_ip_list(text).map_err(js_err)?;
    let v: serde_json::Value = serde_json::from_str(&list.to_json()).map_err(js_err)?;
    to_js(&v)
}

/// The terminal table of alerts given as JSON Lines (as `pushJsonl` returns them).
#[wasm_bindgen(js_name = formatTable)]
pub fn format_table(jsonl: &str) -> String {
    core::report::table(&core::report::parse_jsonl(jsonl))
}

/// CSV (header row, CRLF line ends, formulas neutralised) of alerts given as JSON Lines.
#[wasm_bindgen(js_name = formatCsv)]
pub fn format_csv(jsonl: &str) -> String {
    core::report::csv(&core::report::parse_jsonl(jsonl))
}

/// The end-of-run summary for statistics (as `stats()` returns them) and an alert count.
#[wasm_bindgen]
pub fn summary(stats: JsValue, alerts: u32) -> Result<String, JsError> {
    let v: serde_json::Value = serde_wasm_bindgen::from_value(stats).map_err(js_err)?;
    Ok(core::report::summary(&v, u64::from(alerts)))
}

/// The line describing a loaded enrichment file (`info`: what `addMmdb`/`addIp2asn` returned).
#[wasm_bindgen(js_name = enrichmentLine)]
pub fn enrichment_line(name: &str, info: JsValue) -> Result<String, JsError> {
    let v: serde_json::Value = serde_wasm_bindgen::from_value(info).map_err(js_err)?;
    Ok(core::report::enrichment_line(name, &v))
}

/// A streaming detector.
#[wasm_bindgen]
pub struct Detector {
    inner: core::Detector,
    /// The input buffer handed out by `inputBuffer` (not part of snapshots).
    inbuf: Vec<u8>,
}

#[wasm_bindgen]
impl Detector {
    /// `config`: undefined/null for defaults, a JSON string, or a plain object.
    #[wasm_bindgen(constructor)]
    pub fn new(config: JsValue) -> Result<Detector, JsError> {
        let text = config_text(config)?;
        Ok(Detector {
            inner: core::Detector::from_json_config(&text).map_err(js_err)?,
            inbuf: Vec::new(),
        })
    }

    /// Start a new named source (file name used in evidence); `format` (`json`, `csv`, `xml`,
    /// `evtx`) skips detection.
    #[wasm_bindgen(js_name = beginSource)]
    pub fn begin_source(&mut self, name: &str, format: Option<String>) -> Result<(), JsError> {
        let fmt = match format.as_deref() {
            None | Some("") | Some("auto") => None,
            Some(f) => Some(core::InputFormat::parse(f).ok_or_else(|| {
                js_err(format!("unknown input format {f:?} (json, csv, xml, evtx)"))
            })?),
        };
        self.inner.begin_source_as(name, fmt);
        Ok(())
    }

    /// Push a chunk (Uint8Array or string); returns alerts that became final (objects).
    pub fn push(&mut self, input: JsValue) -> Result<JsValue, JsError> {
        let bytes = input_bytes(&input)?;
        to_js(&self.inner.push(&bytes))
    }

    /// End of input; returns the remaining alerts (objects).
    pub fn flush(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.inner.flush())
    }

    /// Like `push`, returning the canonical JSON Lines text.
    #[wasm_bindgen(js_name = pushJsonl)]
    pub fn push_jsonl(&mut self, input: JsValue) -> Result<String, JsError> {
        let bytes = input_bytes(&input)?;
        Ok(jsonl(&self.inner.push(&bytes)))
    }

    /// The detector's own input buffer, at least `len` bytes, as a view into the module's memory:
    /// fill it (`fs.readSync(fd, view)`, `view.set(bytes)`) and hand the first `n` bytes over
    /// with `pushBuffer(n)` / `pushBufferJsonl(n)`. Nothing is copied across the boundary, where
    /// `push` copies each chunk into the module first. The view is valid until the next call into
    /// this detector (the module's memory may move when it grows): ask for it again each time. It
    /// cannot be transferred or detached (a stream's "bring your own buffer" reader would try).
    #[wasm_bindgen(js_name = inputBuffer)]
    pub fn input_buffer(&mut self, len: usize) -> Result<Uint8Array, JsError> {
        if self.inbuf.len() < len {
            self.inbuf.resize(len, 0);
        }
        let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory()
            .dyn_into()
            .map_err(|_| JsError::new("the module's memory is not a WebAssembly.Memory"))?;
        // An address in the module's (32-bit) memory.
        let at = u32::try_from(self.inbuf.as_ptr() as usize).map_err(js_err)?;
        let len = u32::try_from(self.inbuf.len()).map_err(js_err)?;
        Ok(Uint8Array::new_with_byte_offset_and_length(
            &memory.buffer(),
            at,
            len,
        ))
    }

    /// Push the first `n` bytes of the input buffer (see `inputBuffer`); returns alerts that
    /// became final (objects), as `push` does.
    #[wasm_bindgen(js_name = pushBuffer)]
    pub fn push_buffer(&mut self, n: usize) -> Result<JsValue, JsError> {
        let bytes = buffered(&self.inbuf, n)?;
        to_js(&self.inner.push(bytes))
    }

    /// Like `pushBuffer`, returning the canonical JSON Lines text.
    #[wasm_bindgen(js_name = pushBufferJsonl)]
    pub fn push_buffer_jsonl(&mut self, n: usize) -> Result<String, JsError> {
        let bytes = buffered(&self.inbuf, n)?;
        Ok(jsonl(&self.inner.push(bytes)))
    }

    /// Like `flush`, returning the canonical JSON Lines text.
    #[wasm_bindgen(js_name = flushJsonl)]
    pub fn flush_jsonl(&mut self) -> String {
        jsonl(&self.inner.flush())
    }

    /// Live mode: every alert as soon as the records decide it, then again (a higher `Revision`)
    /// when later records change it, and a last time with `Status` `"closed"` when its window ends
    /// (that revision is the offline alert) — or `"withdrawn"`. Events wait only
    /// `live_lateness_secs` for older ones. Stream input order only; set before the first input.
    #[wasm_bindgen(js_name = setLive)]
    pub fn set_live(&mut self, on: bool) -> Result<(), JsError> {
        self.inner.set_live(on).map_err(js_err)
    }

    /// Process every event still waiting for older ones (a live feed that went quiet); returns
    /// the alerts (revisions) this makes.
    #[wasm_bindgen(js_name = releaseHeld)]
    pub fn release_held(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.inner.release_held())
    }

    /// Like `releaseHeld`, returning the canonical JSON Lines text.
    #[wasm_bindgen(js_name = releaseHeldJsonl)]
    pub fn release_held_jsonl(&mut self) -> String {
        jsonl(&self.inner.release_held())
    }

    /// How input order is treated: `"stream"` (live input, the lateness window; the default),
    /// `"offline"` (input that ends: streamed while in time order; when `order()` turns
    /// `"restart"`, call `restartSorted()` and read every input again from its start) or
    /// `"sort"`. See the README's "Input order".
    #[wasm_bindgen(js_name = setOrder)]
    pub fn set_order(&mut self, order: &str) -> Result<(), JsError> {
        let o = match order {
            "stream" => core::Order::Stream,
            "offline" => core::Order::Offline,
            "sort" => core::Order::Sort,
            other => {
                return Err(JsError::new(&format!(
                    "order {other:?} cannot be set (stream, offline, sort)"
                )));
            }
        };
        self.inner.set_order(o).map_err(js_err)
    }

    /// The order state: `"stream"`, `"offline"`, `"restart"`, `"sort"` or `"merge"`.
    pub fn order(&self) -> String {
        match self.inner.order() {
            core::Order::Stream => "stream",
            core::Order::Offline => "offline",
            core::Order::Restart => "restart",
            core::Order::Sort => "sort",
            core::Order::Merge => "merge",
        }
        .to_string()
    }

    /// Forget all input and state (configuration and enrichment kept) and sort the input read
    /// again.
    #[wasm_bindgen(js_name = restartSorted)]
    pub fn restart_sorted(&mut self) {
        self.inner.restart_sorted();
    }

    /// The next sorted run to store, `undefined` when none is left: take them after each push.
    #[wasm_bindgen(js_name = takeSpill)]
    pub fn take_spill(&mut self) -> Option<Vec<u8>> {
        self.inner.take_spill()
    }

    /// End of sorted input with `runs` runs taken: starts merging; returns alerts as JSON Lines.
    #[wasm_bindgen(js_name = mergeBeginJsonl)]
    pub fn merge_begin_jsonl(&mut self, runs: u32) -> Result<String, JsError> {
        Ok(jsonl(
            &self.inner.merge_begin(u64::from(runs)).map_err(js_err)?,
        ))
    }

    /// The run (numbered from 0 in the order taken) whose next bytes the merge needs; -1 when it
    /// is over.
    #[wasm_bindgen(js_name = mergeWanted)]
    pub fn merge_wanted(&self) -> i32 {
        self.inner.merge_wanted().map_or(-1, |r| r as i32)
    }

    /// The next bytes of run `run` (empty: the run is over); returns alerts as JSON Lines.
    #[wasm_bindgen(js_name = mergeFeedJsonl)]
    pub fn merge_feed_jsonl(&mut self, run: u32, bytes: &[u8]) -> Result<String, JsError> {
        Ok(jsonl(
            &self
                .inner
                .merge_feed(Some(run as usize), bytes)
                .map_err(js_err)?,
        ))
    }

    /// Statistics (records read/parsed/rejected by reason, alerts, caps hit).
    pub fn stats(&self) -> Result<JsValue, JsError> {
        to_js(&self.inner.stats())
    }

    /// The detector's state, to `Detector.restore` later (in any host).
    pub fn snapshot(&self) -> Vec<u8> {
        self.inner.snapshot()
    }

    /// Add a MaxMind-format `.mmdb` database (City, Country or ASN) for IP enrichment; returns
    /// `{kind, database_type, entries, skipped, errors}`. Not part of snapshots.
    #[wasm_bindgen(js_name = addMmdb)]
    pub fn add_mmdb(&mut self, bytes: Vec<u8>) -> Result<JsValue, JsError> {
        let info = self.inner.add_mmdb(bytes).map_err(js_err)?;
        to_js(&info)
    }

    /// Add an ip2asn TSV (decompressed bytes) for AS enrichment; returns what was loaded.
    #[wasm_bindgen(js_name = addIp2asn)]
    pub fn add_ip2asn(&mut self, bytes: &[u8]) -> Result<JsValue, JsError> {
        let info = self.inner.add_ip2asn(bytes).map_err(js_err)?;
        to_js(&info)
    }

    /// Keep a compact copy of every analysed event for `takeEvents` (timelines); off by default.
    #[wasm_bindgen(js_name = setEventLog)]
    pub fn set_event_log(&mut self, on: bool) {
        self.inner.set_event_log(on);
    }

    /// Log only one identity's events: its `IdentityKey`, or its name as alerts give it
    /// (`UserPrincipalName`), in any case; undefined/null logs every event.
    #[wasm_bindgen(js_name = setEventLogFilter)]
    pub fn set_event_log_filter(&mut self, identity: Option<String>) {
        self.inner.set_event_log_filter(identity.as_deref());
    }

    /// A detector for one identity's timeline: `config` as for the constructor (the same as the
    /// scan's, so identities are keyed alike), every signal off, the event log on and filtered
    /// to `identity`. Read the same input again through it and `takeEvents()`: a timeline without
    /// keeping every event of a large scan.
    pub fn timeline(config: JsValue, identity: &str) -> Result<Detector, JsError> {
        let text = config_text(config)?;
        let mut cfg = core::Config::from_json(&text).map_err(js_err)?;
        cfg.disable_signals();
        let mut inner = core::Detector::new(cfg);
        inner.set_event_log(true);
        inner.set_event_log_filter(Some(identity));
        Ok(Detector {
            inner,
            inbuf: Vec::new(),
        })
    }

    /// Events analysed since the last call: `{Time, Identity, IdentityKey, Outcome, ResultType?,
    /// IPAddress?, Country?, City?, Latitude?, Longitude?, App?, EventID?, Source, Line}`.
    #[wasm_bindgen(js_name = takeEvents)]
    pub fn take_events(&mut self) -> Result<JsValue, JsError> {
        to_js(&self.inner.take_events())
    }

    /// A detector from snapshot bytes.
    pub fn restore(bytes: &[u8]) -> Result<Detector, JsError> {
        Ok(Detector {
            inner: core::Detector::restore(bytes).map_err(js_err)?,
            inbuf: Vec::new(),
        })
    }
}
