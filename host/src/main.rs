//! `t1586` — find compromised accounts in sign-in logs. See README.md for usage.

use std::io::{IsTerminal, Read, Write};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::{Parser, Subcommand, ValueEnum};

use t1586_host::output;
use t1586_host::runtime::{Detector, Limits, Plugin};

/// Exit codes (documented in README.md).
const EXIT_INPUT: u8 = 3;
const EXIT_PLUGIN: u8 = 4;

#[derive(Parser)]
#[command(
    name = "t1586",
    version,
    about = "Find compromised accounts (MITRE ATT&CK T1586) in sign-in logs"
)]
struct Cli {
    #[command(subcommand)]
    cmd: Cmd,
}

#[derive(Subcommand)]
enum Cmd {
    /// Scan log files (JSON, JSON Lines, CSV; gzip ok; `-` for stdin). No file: the bundled demo.
    Scan(ScanArgs),
    /// Print the versions of the CLI, the detector and its ABI.
    Version {
        /// Load this detector .wasm instead of the embedded one.
        #[arg(long)]
        plugin: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, ValueEnum)]
enum Format {
    /// Aligned columns for reading.
    Table,
    /// One alert JSON object per line (canonical bytes).
    Jsonl,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Input files; `-` reads standard input.
    files: Vec<String>,
    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Detector configuration (JSON; see README "Configuration").
    #[arg(long)]
    config: Option<PathBuf>,
    /// Detection profile: `default` or `seed` (overrides the configuration's).
    #[arg(long)]
    profile: Option<String>,
    /// A Tor exit list (one IP per line, or TorDNSEL `ExitAddress` lines) for the hosting signal.
    #[arg(long)]
    tor_list: Option<PathBuf>,
    /// A MaxMind-format .mmdb database (City, Country or ASN) to add country, coordinates and AS
    /// to records that lack them; repeat for several.
    #[arg(long, value_name = "FILE")]
    mmdb: Vec<PathBuf>,
    /// An ip2asn TSV (`ip2asn-combined.tsv`, gzip or plain) to add AS numbers and names.
    #[arg(long, value_name = "FILE")]
    ip2asn: Vec<PathBuf>,
    /// Load this detector .wasm instead of the embedded one.
    #[arg(long)]
    plugin: Option<PathBuf>,
    /// Memory limit of the detector sandbox, MiB.
    #[arg(long, default_value_t = 1024)]
    max_memory: usize,
    /// Time limit of one call into the detector, seconds.
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// No summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn load_plugin(path: Option<&PathBuf>) -> Result<Plugin> {
    match path {
        None => Plugin::embedded(),
        Some(p) => {
            let bytes =
                std::fs::read(p).with_context(|| format!("{}: cannot read plugin", p.display()))?;
            Plugin::load(&bytes, &p.display().to_string())
        }
    }
}

fn config_json(args: &ScanArgs) -> Result<String> {
    let mut v = match &args.config {
        None => serde_json::json!({}),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read configuration", p.display()))?;
            serde_json::from_str(&text).with_context(|| format!("{}: invalid JSON", p.display()))?
        }
    };
    let Some(o) = v.as_object_mut() else {
        bail!("configuration must be a JSON object");
    };
    if let Some(prof) = &args.profile {
        o.insert("profile".into(), prof.clone().into());
    }
    if let Some(p) = &args.tor_list {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("{}: cannot read Tor list", p.display()))?;
        let ips = t1586_host::parse_ip_list(&text)
            .map_err(|(line, e)| anyhow::anyhow!("{}:{line}: {e}", p.display()))?;
        let hosting = o.entry("hosting").or_insert_with(|| serde_json::json!({}));
        match hosting.as_object_mut() {
            Some(h) => {
                h.insert("tor_exit_ips".into(), ips.into());
            }
            None => bail!("configuration: hosting must be an object"),
        }
    }
    Ok(v.to_string())
}

fn summary(stats: &serde_json::Value, alerts: usize) -> String {
    let n = |k: &str| stats.get(k).and_then(|v| v.as_u64()).unwrap_or(0);
    let mut s = format!(
        "t1586: {} records read, {} parsed ({} events, {} ignored), {} rejected; {} alerts",
        n("records_read"),
        n("records_parsed"),
        n("events"),
        n("records_ignored"),
        n("records_rejected"),
        alerts
    );
    for (label, key) in [
        ("ignored", "ignored_by_reason"),
        ("rejected", "rejected_by_reason"),
        ("limit hit", "caps_hit"),
        ("enrichment", "enrichment"),
    ] {
        if let Some(m) = stats.get(key).and_then(|v| v.as_object()) {
            for (reason, count) in m {
                s.push_str(&format!("\n  {label}: {reason}: {count}"));
            }
        }
    }
    if let Some(errs) = stats.get("errors").and_then(|v| v.as_array()) {
        for e in errs {
            let g = |k: &str| match e.get(k) {
                Some(serde_json::Value::String(s)) => s.clone(),
                Some(v) => v.to_string(),
                None => String::new(),
            };
            s.push_str(&format!(
                "\n  {}:{}: {}",
                g("source"),
                g("line"),
                g("reason")
            ));
        }
        if n("errors_not_listed") > 0 {
            s.push_str(&format!(
                "\n  ... and {} more rejected records",
                n("errors_not_listed")
            ));
        }
    }
    if n("late_events") > 0 {
        s.push_str(&format!(
            "\n  warning: {} events arrived more than max_lateness_secs out of time order; they were processed late (raise max_lateness_secs or sort the input)",
            n("late_events")
        ));
    }
    s
}

fn scan(args: ScanArgs) -> Result<ExitCode> {
    let plugin = load_plugin(args.plugin.as_ref()).map_err(|e| e.context(PluginFailure))?;
    let limits = Limits {
        max_memory: args.max_memory.saturating_mul(1 << 20),
        call_timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let cfg = config_json(&args)?;
    let mut det = Detector::open(&plugin, &cfg, limits).map_err(|e| e.context(PluginFailure))?;
    for (kind, paths) in [(1u32, &args.mmdb), (2u32, &args.ip2asn)] {
        for p in paths {
            let mut bytes = Vec::new();
            t1586_host::open_input(&p.display().to_string())
                .and_then(|mut r| r.read_to_end(&mut bytes))
                .with_context(|| format!("{}: cannot read enrichment file", p.display()))?;
            let info = det
                .enrich(kind, &bytes)
                .with_context(|| format!("{}: enrichment file rejected", p.display()))?;
            if !args.quiet {
                eprintln!(
                    "{}",
                    t1586_host::enrichment_line(&p.display().to_string(), &info)
                );
            }
        }
    }
    let outcome = if args.files.is_empty() {
        let mut lines = Vec::new();
        t1586_host::feed(
            &mut det,
            t1586_host::DEMO_NAME,
            t1586_host::DEMO,
            &mut lines,
        )
        .map_err(|(e, _)| e.context(PluginFailure))?;
        lines.extend(det.flush().map_err(|e| e.context(PluginFailure))?);
        t1586_host::ScanOutcome {
            alerts: t1586_host::collect_alerts(&lines)?,
            stats: det.stats()?,
            unreadable: vec![],
        }
    } else {
        t1586_host::scan(&mut det, &args.files).map_err(|e| e.context(PluginFailure))?
    };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    let mut out = std::io::stdout().lock();
    let text = match format {
        Format::Jsonl => outcome
            .alerts
            .iter()
            .map(|a| format!("{}\n", a.json))
            .collect::<String>(),
        Format::Table => output::table(&outcome.alerts),
    };
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    if !args.quiet {
        eprintln!("{}", summary(&outcome.stats, outcome.alerts.len()));
    }
    for (name, err) in &outcome.unreadable {
        eprintln!("t1586: {name}: {err}");
    }
    Ok(if outcome.unreadable.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(EXIT_INPUT)
    })
}

/// Marker context: the error came from the plugin (exit code 4).
#[derive(Debug)]
struct PluginFailure;
impl std::fmt::Display for PluginFailure {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("detector plugin failure")
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let res = match cli.cmd {
        Cmd::Scan(args) => scan(args),
        Cmd::Version { plugin } => (|| {
            let p = load_plugin(plugin.as_ref())?;
            let d = Detector::open(&p, "{}", Limits::default())?;
            println!(
                "t1586 {} (detector {}, ABI {})",
                env!("CARGO_PKG_VERSION"),
                d.version(),
                t1586_host::runtime::ABI_VERSION
            );
            Ok(ExitCode::SUCCESS)
        })(),
    };
    match res {
        Ok(code) => code,
        Err(e) => {
            eprintln!("t1586: error: {e:#}");
            if e.downcast_ref::<PluginFailure>().is_some() {
                ExitCode::from(EXIT_PLUGIN)
            } else {
                ExitCode::from(EXIT_INPUT)
            }
        }
    }
}
