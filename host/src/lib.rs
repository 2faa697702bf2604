/*!
The `t1586` command-line host: runs a detector `.wasm` (the embedded one by default) in wasmtime over
files, directories of files... and stdin, with gzip handled transparently. The library part exists
so integration tests can drive the same code paths as the binary.
*/
#![forbid(unsafe_code)]

pub mod generate;
pub mod output;
pub mod plugin;
pub mod runtime;
pub mod shapes;

use std::fs::File;
use std::io::{self, BufRead, BufReader, Read};
use std::path::Path;

use anyhow::{Context, Result};
use flate2::read::MultiGzDecoder;
use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use output::AlertLine;
use runtime::Detector;

/// What a scan produced.
pub struct ScanOutcome {
    /// Alerts in the final order; live scans ([`ScanOrder::Live`]): every revision, in the order
    /// the detector made them.
    pub alerts: Vec<AlertLine>,
    /// The scan ran in live mode (`alerts` are revisions).
    pub live: bool,
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
    decompressing(raw)
}

/// Read `raw` through gunzip when it starts with the gzip magic, as it is otherwise.
pub fn decompressing<'a>(raw: Box<dyn Read + 'a>) -> io::Result<Box<dyn Read + 'a>> {
    let mut br = BufReader::with_capacity(256 * 1024, raw);
    let head = br.fill_buf()?;
    if head.starts_with(&[0x1f, 0x8b]) {
        Ok(Box::new(MultiGzDecoder::new(br)))
    } else {
        Ok(Box::new(br))
    }
}

/// Stream one input into the detector, read as `format` (0 detect; see
/// [`Detector::begin_source_as`]); alert lines are appended to `lines`. `progress` advances by the
/// bytes read. The error flag says whether the detector (true) or the input (false) failed.
pub fn feed(
    det: &mut Detector,
    name: &str,
    format: u32,
    input: impl Read,
    lines: &mut Vec<u8>,
    progress: Option<&ProgressBar>,
) -> Result<(), (anyhow::Error, bool)> {
    feed_with(det, name, format, input, lines, progress, &mut |_| {
        Ok(false)
    })
    .map(|_| ())
}

/// [`feed`], calling `after` after each push; `Ok(true)` as soon as it says to stop.
fn feed_with(
    det: &mut Detector,
    name: &str,
    format: u32,
    mut input: impl Read,
    lines: &mut Vec<u8>,
    progress: Option<&ProgressBar>,
    after: &mut dyn FnMut(&mut Detector) -> Result<bool>,
) -> Result<bool, (anyhow::Error, bool)> {
    det.begin_source_as(name, format).map_err(|e| (e, true))?;
    loop {
        match det.push_from(&mut input) {
            Ok(None) => return Ok(false),
            Ok(Some((_, new))) => {
                lines.extend(new);
                if after(det).map_err(|e| (e, true))? {
                    return Ok(true);
                }
            }
            Err(runtime::PushError::Read(e)) => {
                return Err((
                    // The caller names the input.
                    anyhow::Error::new(e).context("read error"),
                    false,
                ));
            }
            Err(runtime::PushError::Detector(e)) => return Err((e, true)),
        }
        if let Some(p) = progress {
            p.set_message(name.to_string());
        }
    }
}

/// Inputs after expanding directories: files in order, and the paths that could not be listed.
pub struct Inputs {
    pub files: Vec<String>,
    pub unreadable: Vec<(String, String)>,
}

/// Expand directories recursively (entries in byte order of their names, hidden ones skipped);
/// files and `-` stay as given.
pub fn expand_inputs(args: &[String]) -> Inputs {
    fn walk(dir: &Path, out: &mut Inputs) {
        let mut entries: Vec<std::path::PathBuf> = match std::fs::read_dir(dir) {
            Ok(rd) => rd.filter_map(|e| e.ok().map(|e| e.path())).collect(),
            Err(e) => {
                out.unreadable
                    .push((dir.display().to_string(), e.to_string()));
                return;
            }
        };
        entries.sort();
        for p in entries {
            if p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with('.'))
            {
                continue;
            }
            if p.is_dir() {
                walk(&p, out);
            } else {
                out.files.push(p.display().to_string());
            }
        }
    }
    let mut out = Inputs {
        files: Vec::new(),
        unreadable: Vec::new(),
    };
    for a in args {
        let p = Path::new(a);
        if a != "-" && p.is_dir() {
            walk(p, &mut out);
        } else {
            out.files.push(a.clone());
        }
    }
    out
}

/// A progress bar over the inputs' total size (stderr; the caller shows it only on a terminal).
pub fn progress_bar(files: &[String]) -> ProgressBar {
    let total: u64 = files
        .iter()
        .filter(|f| *f != "-")
        .filter_map(|f| std::fs::metadata(f).ok().map(|m| m.len()))
        .sum();
    let p = ProgressBar::with_draw_target(Some(total), ProgressDrawTarget::stderr());
    p.set_style(
        ProgressStyle::with_template(
            "{spinner} {prefix}[{elapsed_precise}] {wide_bar} {bytes}/{total_bytes} {bytes_per_sec} {msg}",
        )
        .unwrap_or_else(|_| ProgressStyle::default_bar()),
    );
    p
}

/// Counts the bytes read through it into a progress bar (before gunzip: file bytes).
struct Counted<R> {
    inner: R,
    progress: ProgressBar,
}

impl<R: Read> Read for Counted<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.inner.read(buf)?;
        self.progress.inc(n as u64);
        Ok(n)
    }
}

/// Open an input for a scan, counting its raw bytes into `progress`.
fn open_counted(name: &str, progress: Option<&ProgressBar>) -> io::Result<Box<dyn Read>> {
    let Some(p) = progress.filter(|_| name != "-") else {
        return open_input(name);
    };
    let raw = Counted {
        inner: File::open(Path::new(name))?,
        progress: p.clone(),
    };
    decompressing(Box::new(raw))
}

/// A configuration file's text as JSON: TOML, or JSON when it starts with `{`.
pub fn parse_config(text: &str, name: &str) -> Result<serde_json::Value> {
    if text.trim_start().starts_with('{') {
        return serde_json::from_str(text).with_context(|| format!("{name}: invalid JSON"));
    }
    let v: toml::Value = toml::from_str(text).with_context(|| format!("{name}: invalid TOML"))?;
    serde_json::to_value(v).with_context(|| format!("{name}: cannot convert TOML"))
}

/// A JSON configuration as TOML text.
pub fn json_to_toml(json: &str) -> Result<String> {
    let v: serde_json::Value = serde_json::from_str(json).context("configuration is not JSON")?;
    let t: toml::Value = serde_json::from_value(v).context("configuration cannot be TOML")?;
    toml::to_string_pretty(&t).context("cannot write TOML")
}

/// How often a followed file is polled for new bytes.
pub const FOLLOW_POLL: std::time::Duration = std::time::Duration::from_millis(250);

/// How long a followed input must stay quiet before the events still waiting for older ones are
/// processed ([`Detector::release`]): a quiet feed's last record is not held until a record of
/// `live_lateness_secs` later comes.
pub const FOLLOW_IDLE: std::time::Duration = std::time::Duration::from_millis(500);

/// `--follow`: read `name` as it grows (polling every [`FOLLOW_POLL`]; a truncated or replaced
/// file is read again from its start as a new source) until `stop` is set; `emit` gets the alert
/// lines of each read as soon as the detector returns them. After [`FOLLOW_IDLE`] without new
/// bytes the held events are released.
pub fn follow_file(
    det: &mut Detector,
    name: &str,
    format: u32,
    stop: &std::sync::atomic::AtomicBool,
    emit: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    use std::io::{Seek, SeekFrom};
    use std::sync::atomic::Ordering;
    let mut file = File::open(name).with_context(|| format!("{name}: cannot open"))?;
    det.begin_source_as(name, format)?;
    let mut pos = 0u64;
    let mut quiet_since: Option<std::time::Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        match det.push_from(&mut file) {
            Ok(Some((n, lines))) => {
                pos += n as u64;
                quiet_since = None;
                if !lines.is_empty() {
                    emit(&lines)?;
                }
                continue;
            }
            Ok(None) => {}
            Err(runtime::PushError::Read(e)) => {
                return Err(anyhow::Error::new(e).context(format!("{name}: read error")));
            }
            Err(runtime::PushError::Detector(e)) => return Err(e),
        }
        release_when_quiet(det, &mut quiet_since, emit)?;
        std::thread::sleep(FOLLOW_POLL);
        let len = std::fs::metadata(name).map(|m| m.len()).unwrap_or(pos);
        if len < pos {
            // Truncated or rotated: start over as a new source.
            file = File::open(name).with_context(|| format!("{name}: cannot reopen"))?;
            file.seek(SeekFrom::Start(0))?;
            det.begin_source_as(name, format)?;
            pos = 0;
        }
    }
    Ok(())
}

/// Called when the input had nothing new: the first time starts the quiet period; once it has
/// lasted [`FOLLOW_IDLE`], the held events are released (once per quiet period).
fn release_when_quiet(
    det: &mut Detector,
    quiet_since: &mut Option<std::time::Instant>,
    emit: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    match quiet_since {
        None => *quiet_since = Some(std::time::Instant::now()),
        Some(t) if t.elapsed() >= FOLLOW_IDLE => {
            // Far in the future: released once until new bytes come.
            *t += std::time::Duration::from_secs(1 << 30);
            let lines = det.release()?;
            if !lines.is_empty() {
                emit(&lines)?;
            }
        }
        Some(_) => {}
    }
    Ok(())
}

/// `--follow -`: read standard input as a stream (gzip is not detected: a stream is read as it
/// comes) until it is closed or `stop` is set; as [`follow_file`] otherwise. Standard input is
/// read by a thread of its own, so that a quiet or blocked input still lets the run release held
/// events and end on a signal.
pub fn follow_stdin(
    det: &mut Detector,
    format: u32,
    stop: &std::sync::atomic::AtomicBool,
    emit: &mut dyn FnMut(&[u8]) -> Result<()>,
) -> Result<()> {
    use std::sync::atomic::Ordering;
    use std::sync::mpsc;
    let (tx, rx) = mpsc::sync_channel::<io::Result<Vec<u8>>>(4);
    std::thread::spawn(move || {
        let mut input = io::stdin().lock();
        loop {
            let mut buf = vec![0u8; 1 << 16];
            let r = match input.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => {
                    buf.truncate(n);
                    Ok(buf)
                }
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => Err(e),
            };
            let failed = r.is_err();
            if tx.send(r).is_err() || failed {
                break;
            }
        }
    });
    det.begin_source_as("-", format)?;
    let mut quiet_since: Option<std::time::Instant> = None;
    while !stop.load(Ordering::SeqCst) {
        match rx.recv_timeout(FOLLOW_POLL) {
            Ok(Ok(bytes)) => {
                quiet_since = None;
                let lines = det.push(&bytes)?;
                if !lines.is_empty() {
                    emit(&lines)?;
                }
            }
            Ok(Err(e)) => return Err(anyhow::Error::new(e).context("standard input: read error")),
            Err(mpsc::RecvTimeoutError::Timeout) => {
                release_when_quiet(det, &mut quiet_since, emit)?;
            }
            // Closed: the run ends as on a signal.
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    Ok(())
}

/// A Tor exit list read into the `hosting` section of a configuration: its addresses as
/// `tor_exit_ips`, its networks (CIDR lines) added to `cidrs`. The list is read by the core's
/// parser ([`t1586_detector::parse_ip_list`]: every host reads lists the same way); an error names
/// the bad lines.
pub fn add_tor_list(
    hosting: &mut serde_json::Map<String, serde_json::Value>,
    text: &str,
) -> Result<(), t1586_detector::IpListError> {
    let list = t1586_detector::parse_ip_list(text)?;
    let texts = |v: Vec<String>| serde_json::Value::from(v);
    hosting.insert(
        "tor_exit_ips".into(),
        texts(list.addresses.iter().map(ToString::to_string).collect()),
    );
    if !list.networks.is_empty() {
        let mut cidrs: Vec<serde_json::Value> = hosting
            .get("cidrs")
            .and_then(serde_json::Value::as_array)
            .cloned()
            .unwrap_or_default();
        cidrs.extend(list.networks.iter().map(|n| n.to_string().into()));
        hosting.insert("cidrs".into(), cidrs.into());
    }
    Ok(())
}

/// Split JSON Lines output into sorted alerts.
pub fn collect_alerts(lines: &[u8]) -> Result<Vec<AlertLine>> {
    let mut alerts = alert_lines(lines)?;
    alerts.sort_by(output::compare);
    Ok(alerts)
}

/// Split JSON Lines output into alerts, in the order given (live revisions).
pub fn alert_lines(lines: &[u8]) -> Result<Vec<AlertLine>> {
    let text = std::str::from_utf8(lines).context("detector returned non-UTF-8 alerts")?;
    text.lines()
        .filter(|l| !l.is_empty())
        .map(AlertLine::parse)
        .collect()
}

/// How a scan treats the order its inputs arrive in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanOrder {
    /// Input that ends (files, standard input): the alerts of one time-ordered stream whatever
    /// the order of records and files (`detector/src/offline.rs`). Input in time order is
    /// streamed; otherwise it is read a second time and sorted, spilling to temporary files.
    Offline,
    /// Live input (live mode, `detector/src/live.rs`): the short lateness window
    /// (`live_lateness_secs`), older events processed late; every revision of every alert. A
    /// module without live mode streams with `max_lateness_secs` and final alerts.
    Live,
}

/// Where a scan's inputs come from: files by name (`-` standard input), or bytes in memory.
pub enum Sources<'a> {
    Files(&'a [String]),
    Memory(&'a [(String, Vec<u8>)]),
}

impl Sources<'_> {
    fn names(&self) -> Vec<&str> {
        match self {
            Sources::Files(f) => f.iter().map(String::as_str).collect(),
            Sources::Memory(m) => m.iter().map(|(n, _)| n.as_str()).collect(),
        }
    }
}

/// Run a whole scan: every input through one detector, then flush (see [`ScanOrder`]).
/// Unreadable inputs are reported and skipped; plugin failures abort with an error.
pub fn scan(
    det: &mut Detector,
    inputs: &[String],
    format: u32,
    progress: Option<&ProgressBar>,
) -> Result<ScanOutcome> {
    scan_sources(
        det,
        Sources::Files(inputs),
        format,
        progress,
        ScanOrder::Offline,
    )
}

/// [`scan`] of any [`Sources`] in either [`ScanOrder`]. A module without the offline exports
/// (an older `--plugin`) is scanned live.
pub fn scan_sources(
    det: &mut Detector,
    sources: Sources<'_>,
    format: u32,
    progress: Option<&ProgressBar>,
    order: ScanOrder,
) -> Result<ScanOutcome> {
    let offline = order == ScanOrder::Offline && det.can_sort();
    if offline {
        det.set_order(1)?;
    }
    let live = order == ScanOrder::Live && det.can_live();
    if live {
        det.set_live(true)?;
    }
    let mut lines = Vec::new();
    let mut unreadable = Vec::new();
    let mut runs: Vec<File> = Vec::new();
    // Standard input, kept to be read again if it is out of order.
    let mut stdin_spool: Option<File> = None;
    'read: loop {
        for (i, name) in sources.names().into_iter().enumerate() {
            let opened: io::Result<Box<dyn Read + '_>> = match &sources {
                Sources::Memory(m) => Ok(Box::new(m[i].1.as_slice())),
                Sources::Files(_) if name == "-" && offline => spool_stdin(&mut stdin_spool),
                Sources::Files(_) => open_counted(name, progress),
            };
            let res = match opened {
                Ok(r) => feed_with(det, name, format, r, &mut lines, progress, &mut |det| {
                    if !offline {
                        return Ok(false);
                    }
                    while let Some(run) = det.take_spill()? {
                        runs.push(store_run(&run)?);
                    }
                    Ok(det.order()? == 2)
                }),
                Err(e) => Err((anyhow::Error::new(e), false)),
            };
            match res {
                Ok(true) => {
                    // Out of time order: read everything again, sorted.
                    det.restart_sorted()?;
                    lines.clear();
                    unreadable.clear();
                    if let Some(p) = progress {
                        p.set_position(0);
                        p.set_prefix("read again to sort ");
                    }
                    continue 'read;
                }
                Ok(false) => {}
                Err((e, true)) => return Err(e),
                Err((e, false)) => unreadable.push((name.to_string(), format!("{e:#}"))),
            }
        }
        break;
    }
    if !runs.is_empty() {
        lines.extend(merge_runs(det, &mut runs)?);
    }
    lines.extend(det.flush()?);
    let stats = det.stats()?;
    Ok(ScanOutcome {
        alerts: if live {
            alert_lines(&lines)?
        } else {
            collect_alerts(&lines)?
        },
        live,
        stats,
        unreadable,
    })
}

/// Standard input, copied whole into a temporary file the first time (so that it can be read
/// again), read from its start.
fn spool_stdin(spool: &mut Option<File>) -> io::Result<Box<dyn Read>> {
    use std::io::{Seek, SeekFrom};
    if spool.is_none() {
        let mut f = tempfile::tempfile()?;
        io::copy(&mut io::stdin().lock(), &mut f)?;
        *spool = Some(f);
    }
    let mut f = spool.as_ref().expect("spooled above").try_clone()?;
    f.seek(SeekFrom::Start(0))?;
    decompressing(Box::new(f))
}

/// A sorted run in a temporary file (removed when closed).
fn store_run(run: &[u8]) -> Result<File> {
    use std::io::Write;
    let mut f = tempfile::tempfile().context("cannot create a temporary file to sort the input")?;
    f.write_all(run)
        .context("cannot write a temporary file to sort the input (disk full?)")?;
    Ok(f)
}

/// Hand the stored runs back to the detector as its merge asks for them; the alert lines.
fn merge_runs(det: &mut Detector, runs: &mut [File]) -> Result<Vec<u8>> {
    use std::io::{Seek, SeekFrom};
    for f in runs.iter_mut() {
        f.seek(SeekFrom::Start(0))?;
    }
    let n = u32::try_from(runs.len()).context("too many sorted runs")?;
    let mut lines = det.merge_begin(n)?;
    let mut buf = vec![0; det.chunk_size()];
    while let Some(r) = det.merge_wanted()? {
        let f = runs
            .get_mut(r as usize)
            .with_context(|| format!("the detector asked for run {r} of {n}"))?;
        let got = loop {
            match f.read(&mut buf) {
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                other => break other.context("cannot read back a temporary sorted run")?,
            }
        };
        lines.extend(det.merge_feed(r, &buf[..got])?);
    }
    Ok(lines)
}
