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
// The watchdog of an uninterruptible detector exits with the same code.
const _: () = assert!(EXIT_PLUGIN as i32 == t1586_host::runtime::EXIT_OVERRUN);

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
    /// Scan log files and directories (JSON, JSON Lines, CSV, XML, EVTX; gzip ok; `-` for stdin).
    /// No file: a generated demo tenant (`t1586 generate` defaults).
    Scan(ScanArgs),
    /// Write a synthetic tenant (seeded, deterministic) with injected attacks and their ground truth.
    Generate(GenArgs),
    /// Write the detections as a SIEM's own rules, from the same configuration the scan uses.
    Rules(RulesArgs),
    /// Write the detector as a pipeline engine's plugin, with the configuration inside it.
    #[command(subcommand)]
    Plugin(PluginCmd),
    /// Configuration helpers.
    Config {
        /// Print a profile's full default configuration (a starting point for `--config`).
        #[arg(long)]
        print_default: bool,
        /// `default` or `seed`.
        #[arg(long, default_value = "default")]
        profile: String,
        /// `toml` or `json`.
        #[arg(long, default_value = "toml")]
        format: String,
    },
    /// Print the versions of the CLI, the detector and its ABI.
    Version {
        /// Load this detector .wasm instead of the embedded one.
        #[arg(long)]
        plugin: Option<PathBuf>,
    },
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum Format {
    /// Aligned columns for reading.
    Table,
    /// One alert JSON object per line (canonical bytes).
    Jsonl,
    /// One JSON array.
    Json,
    /// CSV with a header row (lists joined with `;`).
    Csv,
    /// OCSF 1.1 Detection Finding (class 2004) objects, one per line.
    Ocsf,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum InputFormat {
    Auto,
    Json,
    Csv,
    Xml,
    Evtx,
}

#[derive(Subcommand)]
enum PluginCmd {
    /// A Fluent Bit `wasm` filter module (Fluent Bit 4.1 or later): `function_name t1586_filter`,
    /// live mode (alerts when decided, then revisions). See the README's "Fluent Bit".
    FluentBit(FluentBitArgs),
}

#[derive(clap::Args)]
struct FluentBitArgs {
    /// Where to write the module.
    #[arg(short, long, value_name = "FILE.wasm")]
    output: PathBuf,
    /// `alerts`: a record that produces alert revisions becomes `{"alerts":[…]}`, every other
    /// record is dropped; `annotate`: every record passes, with `t1586_alerts` added when it
    /// produces revisions.
    #[arg(long, value_enum, default_value_t = FluentBitMode::Alerts)]
    mode: FluentBitMode,
    /// Detection profile: `default` or `seed` (overrides the configuration's).
    #[arg(long)]
    profile: Option<String>,
    /// Configuration file (TOML or JSON), as `scan --config`.
    #[arg(long)]
    config: Option<PathBuf>,
    /// A Tor exit list, as `scan --tor-list`.
    #[arg(long)]
    tor_list: Option<PathBuf>,
}

#[derive(Clone, Copy, PartialEq, ValueEnum)]
enum FluentBitMode {
    Alerts,
    Annotate,
}

#[derive(clap::Args)]
struct RulesArgs {
    /// The language: sentinel-kql, splunk-spl, elastic-eql, elastic-esql, qradar-aql, sumo,
    /// chronicle-yaral, logscale-cql or sigma.
    #[arg(long)]
    to: String,
    /// Detection profile: `default` or `seed` (overrides the configuration's).
    #[arg(long)]
    profile: Option<String>,
    /// Configuration file (TOML or JSON), as `scan --config`.
    #[arg(long)]
    config: Option<PathBuf>,
}

#[derive(clap::Args)]
struct GenArgs {
    /// Directory to write into: `logs/day-NNNN-signins.jsonl` and `logs/day-NNNN-windows.jsonl` (one
    /// file per day and kind) and `ground-truth.jsonl`.
    #[arg(long)]
    out: PathBuf,
    /// Users in the tenant.
    #[arg(long, default_value_t = 200)]
    users: usize,
    /// Days of activity (1 to 9998).
    #[arg(long, default_value_t = 7, value_parser = clap::value_parser!(u32).range(1..=9998))]
    days: u32,
    /// Random seed: the same seed gives the same bytes.
    #[arg(long, default_value_t = 1586)]
    seed: u64,
    /// No Windows Security events.
    #[arg(long)]
    no_windows: bool,
    /// The shape of the sign-ins: Graph records, or the same sign-ins as another source writes
    /// them (the same attacks in every format; see the README's "Other identity providers").
    #[arg(long, value_enum, default_value_t = t1586_host::shapes::Shape::Graph)]
    format: t1586_host::shapes::Shape,
}

#[derive(clap::Args)]
struct ScanArgs {
    /// Input files and directories (read recursively, in name order); `-` reads standard input.
    files: Vec<String>,
    /// Output format [default: table on a terminal, jsonl otherwise].
    #[arg(long, value_enum)]
    format: Option<Format>,
    /// Read every input as this format instead of detecting it.
    #[arg(long, value_enum, default_value = "auto")]
    input_format: InputFormat,
    /// Only print alerts with at least this risk score (statistics still count all).
    #[arg(long, default_value_t = 0)]
    min_risk: u64,
    /// Detector configuration, TOML or JSON (see `t1586 config --print-default`).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Keep reading a growing file (tail -f), or standard input (`-`) until it closes, in live
    /// mode; Ctrl-C, SIGTERM or SIGHUP end it.
    #[arg(long)]
    follow: bool,
    /// Live mode: alerts as soon as the records decide them, with `AlertId`, `Revision` and
    /// `Status`, revised as more records come; events wait `live_lateness_secs` for older ones,
    /// anything older is processed late. Without it, input that ends (files, standard input)
    /// gives the alerts of one time-ordered stream whatever its order (see "Input order").
    #[arg(long)]
    live: bool,
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
    /// Run the --plugin as the embedded detector runs: compiled without interruption points (about
    /// 15 % faster), so a call over --timeout cannot be stopped and ends the process (exit 4).
    /// Only for a module you trust not to hang, e.g. your own build of this detector.
    #[arg(long, requires = "plugin")]
    trust_plugin: bool,
    /// Memory limit of the detector sandbox, MiB.
    #[arg(long, default_value_t = 1024)]
    max_memory: usize,
    /// Time limit of one call into the detector, seconds. A --plugin's call past it is stopped;
    /// the embedded detector (or a --trust-plugin one) cannot be, and the process ends (exit 4).
    #[arg(long, default_value_t = 60)]
    timeout: u64,
    /// No summary on stderr.
    #[arg(long, short)]
    quiet: bool,
}

fn load_plugin(path: Option<&PathBuf>, trusted: bool) -> Result<Plugin> {
    match path {
        None => Plugin::embedded(),
        Some(p) => {
            let bytes =
                std::fs::read(p).with_context(|| format!("{}: cannot read plugin", p.display()))?;
            let what = p.display().to_string();
            if trusted {
                Plugin::load_trusted(&bytes, &what)
            } else {
                Plugin::load(&bytes, &what)
            }
        }
    }
}

/// The configuration file (TOML or JSON) as a JSON object, `--profile` written over its profile.
fn config_object(
    file: Option<&PathBuf>,
    profile: Option<&String>,
) -> Result<serde_json::Map<String, serde_json::Value>> {
    let v = match file {
        None => serde_json::json!({}),
        Some(p) => {
            let text = std::fs::read_to_string(p)
                .with_context(|| format!("{}: cannot read configuration", p.display()))?;
            t1586_host::parse_config(&text, &p.display().to_string())?
        }
    };
    let serde_json::Value::Object(mut o) = v else {
        bail!("configuration must be a JSON object");
    };
    if let Some(prof) = profile {
        o.insert("profile".into(), prof.clone().into());
    }
    Ok(o)
}

fn config_json(args: &ScanArgs) -> Result<String> {
    config_with_tor_list(
        args.config.as_ref(),
        args.profile.as_ref(),
        args.tor_list.as_ref(),
    )
}

/// The configuration file with `--profile` over it and a Tor list's addresses and networks in it.
fn config_with_tor_list(
    config: Option<&PathBuf>,
    profile: Option<&String>,
    tor_list: Option<&PathBuf>,
) -> Result<String> {
    let mut o = config_object(config, profile)?;
    if let Some(p) = tor_list {
        let text = std::fs::read_to_string(p)
            .with_context(|| format!("{}: cannot read Tor list", p.display()))?;
        let hosting = o.entry("hosting").or_insert_with(|| serde_json::json!({}));
        match hosting.as_object_mut() {
            Some(h) => t1586_host::add_tor_list(h, &text)
                .map_err(|e| anyhow::anyhow!("{}: {e}", p.display()))?,
            None => bail!("configuration: hosting must be an object"),
        }
    }
    Ok(serde_json::Value::Object(o).to_string())
}

/// `t1586 plugin fluent-bit`: the Fluent Bit filter module with the configuration inside.
fn plugin_fluent_bit(args: FluentBitArgs) -> Result<ExitCode> {
    let cfg = config_with_tor_list(
        args.config.as_ref(),
        args.profile.as_ref(),
        args.tor_list.as_ref(),
    )?;
    let mode = match args.mode {
        FluentBitMode::Alerts => t1586_host::plugin::Mode::Alerts,
        FluentBitMode::Annotate => t1586_host::plugin::Mode::Annotate,
    };
    let from = args.config.as_ref().map_or_else(
        || "command-line options".to_string(),
        |p| p.display().to_string(),
    );
    let module = t1586_host::plugin::fluent_bit(&cfg, mode).with_context(|| from.clone())?;
    std::fs::write(&args.output, &module)
        .with_context(|| format!("{}: cannot write", args.output.display()))?;
    eprintln!(
        "t1586: wrote {} ({} bytes): Fluent Bit wasm filter, function_name t1586_filter",
        args.output.display(),
        module.len()
    );
    Ok(ExitCode::SUCCESS)
}

/// `t1586 rules`: the configuration's detections in one SIEM's language, on standard output; the
/// enabled signals no generator writes yet are named on standard error.
fn rules(args: RulesArgs) -> Result<ExitCode> {
    let target: t1586_rules::Target = args.to.parse()?;
    let o = config_object(args.config.as_ref(), args.profile.as_ref())?;
    let cfg = t1586_detector::Config::from_json(&serde_json::Value::Object(o).to_string())
        .map_err(|e| anyhow::anyhow!("configuration: {e}"))?;
    let rules = t1586_rules::rules(&cfg, target);
    print!("{}", t1586_rules::render(target, &rules));
    for (signal, detection, why) in t1586_rules::unwritten(&cfg, target) {
        eprintln!("t1586: {signal}: no {target} rule for {detection}: {why}");
    }
    let (_, missing) = t1586_rules::detections(&cfg);
    if !missing.is_empty() {
        eprintln!(
            "t1586: not written as {target} rules yet: {}",
            missing.join(", ")
        );
    }
    Ok(ExitCode::SUCCESS)
}

fn summary(stats: &serde_json::Value, alerts: usize) -> String {
    t1586_detector::report::summary(stats, alerts as u64)
}

fn scan(args: ScanArgs) -> Result<ExitCode> {
    // Ctrl-C must end a follow cleanly from the first moment (compiling the module takes a while).
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    if args.follow {
        let s2 = stop.clone();
        ctrlc::set_handler(move || s2.store(true, std::sync::atomic::Ordering::SeqCst))
            .context("cannot install the Ctrl-C handler")?;
    }
    let plugin = load_plugin(args.plugin.as_ref(), args.trust_plugin)
        .map_err(|e| e.context(PluginFailure))?;
    let limits = Limits {
        max_memory: args.max_memory.saturating_mul(1 << 20),
        call_timeout: Duration::from_secs(args.timeout.max(1)),
    };
    let cfg = config_json(&args)?;
    let mut det = Detector::open(&plugin, &cfg, limits).map_err(|e| {
        if e.downcast_ref::<t1586_host::runtime::ConfigRejected>()
            .is_some()
        {
            // The user's configuration (exit 3), named by where it came from.
            let from = args.config.as_ref().map_or_else(
                || "command-line options".to_string(),
                |p| p.display().to_string(),
            );
            e.context(from)
        } else {
            e.context(PluginFailure)
        }
    })?;
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
                    t1586_detector::report::enrichment_line(&p.display().to_string(), &info)
                );
            }
        }
    }
    let input_format = match args.input_format {
        InputFormat::Auto => 0,
        InputFormat::Json => 1,
        InputFormat::Csv => 2,
        InputFormat::Xml => 3,
        InputFormat::Evtx => 4,
    };
    let format = args.format.unwrap_or(if std::io::stdout().is_terminal() {
        Format::Table
    } else {
        Format::Jsonl
    });
    // Technique names for OCSF come from the module that raised the alerts.
    let names = output::technique_names(
        det.catalog()
            .map_err(|e| e.context(PluginFailure))?
            .as_ref(),
    );
    if args.follow {
        return follow(&mut det, &args, input_format, format, &names, &stop);
    }
    let scan_order = if args.live {
        t1586_host::ScanOrder::Live
    } else {
        t1586_host::ScanOrder::Offline
    };
    let mut outcome = if args.files.is_empty() {
        // The bundled demo: a generated tenant (the `generate` defaults), scanned from memory.
        let demo = t1586_host::generate::in_memory(&t1586_host::generate::Options::default());
        let files: Vec<(String, Vec<u8>)> = demo
            .files
            .iter()
            .map(|(name, bytes)| (format!("demo/{name}"), bytes.to_vec()))
            .collect();
        t1586_host::scan_sources(
            &mut det,
            t1586_host::Sources::Memory(&files),
            0,
            None,
            scan_order,
        )
        .map_err(|e| e.context(PluginFailure))?
    } else {
        let inputs = t1586_host::expand_inputs(&args.files);
        let progress = (!args.quiet && std::io::stderr().is_terminal())
            .then(|| t1586_host::progress_bar(&inputs.files));
        let mut outcome = t1586_host::scan_sources(
            &mut det,
            t1586_host::Sources::Files(&inputs.files),
            input_format,
            progress.as_ref(),
            scan_order,
        )
        .map_err(|e| e.context(PluginFailure))?;
        if let Some(p) = progress {
            p.finish_and_clear();
        }
        outcome.unreadable.splice(0..0, inputs.unreadable);
        outcome
    };
    let mut shown = std::mem::take(&mut outcome.alerts);
    if outcome.live && !matches!(format, Format::Jsonl | Format::Ocsf) {
        // Lists show each alert's latest revision; JSON Lines and OCSF every revision.
        shown = output::latest_revisions(shown);
    }
    let total = if outcome.live {
        shown
            .iter()
            .filter(|a| a.field("Status") == "closed")
            .count()
    } else {
        shown.len()
    };
    shown.retain(|a| a.risk() >= args.min_risk);
    let mut out = std::io::stdout().lock();
    let text = render(format, &shown, &names);
    if let Err(e) = out.write_all(text.as_bytes()).and_then(|_| out.flush())
        && e.kind() != std::io::ErrorKind::BrokenPipe
    {
        return Err(e.into());
    }
    if !args.quiet {
        let mut sum = summary(&outcome.stats, total);
        if args.min_risk > 0 {
            sum.push_str(&format!(
                "\n  shown: {} with risk >= {}",
                shown.len(),
                args.min_risk
            ));
        }
        eprintln!("{sum}");
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

fn render(format: Format, alerts: &[output::AlertLine], names: &output::TechniqueNames) -> String {
    match format {
        Format::Jsonl => alerts.iter().map(|a| format!("{}\n", a.json)).collect(),
        Format::Json => output::json_array(alerts),
        Format::Csv => output::csv(alerts),
        Format::Ocsf => output::ocsf_lines(alerts, names),
        Format::Table => output::table(alerts),
    }
}

/// `--follow`: read one growing file (or standard input) in live mode; print each revision as it
/// comes; Ctrl-C, SIGTERM, SIGHUP or a closed standard input flush and end.
fn follow(
    det: &mut Detector,
    args: &ScanArgs,
    input_format: u32,
    format: Format,
    names: &output::TechniqueNames,
    stop: &std::sync::atomic::AtomicBool,
) -> Result<ExitCode> {
    let [name] = args.files.as_slice() else {
        bail!("--follow reads exactly one file");
    };
    if matches!(format, Format::Json | Format::Table) {
        bail!("--follow prints alerts as they come: use --format jsonl, csv or ocsf");
    }
    let live = det.can_live();
    if live {
        det.set_live(true).map_err(|e| e.context(PluginFailure))?;
    } else if !args.quiet {
        eprintln!(
            "t1586: this detector module has no live mode: alerts come when their windows close"
        );
    }
    if !args.quiet {
        let what = if name == "-" {
            "standard input"
        } else {
            name.as_str()
        };
        eprintln!("t1586: following {what}; Ctrl-C stops");
    }
    let mut out = std::io::stdout();
    let emit = |lines: &[u8], out: &mut std::io::Stdout, header: &mut bool| -> Result<()> {
        // Revisions in the order they were made (sorting would put an alert's later revision
        // before an earlier one).
        let parsed = if live {
            t1586_host::alert_lines(lines)?
        } else {
            t1586_host::collect_alerts(lines)?
        };
        let alerts: Vec<output::AlertLine> = parsed
            .into_iter()
            .filter(|a| a.risk() >= args.min_risk)
            .collect();
        if alerts.is_empty() {
            return Ok(());
        }
        let mut text = render(format, &alerts, names);
        if format == Format::Csv {
            // One header for the whole stream.
            if *header {
                text = text
                    .split_once("\r\n")
                    .map(|(_, rest)| rest.to_string())
                    .unwrap_or_default();
            }
            *header = true;
        }
        out.write_all(text.as_bytes())?;
        out.flush()?;
        Ok(())
    };
    let mut header = false;
    let mut emit_lines = |lines: &[u8]| emit(lines, &mut out, &mut header);
    if name == "-" {
        t1586_host::follow_stdin(det, input_format, stop, &mut emit_lines)
    } else {
        t1586_host::follow_file(det, name, input_format, stop, &mut emit_lines)
    }
    .map_err(|e| e.context(PluginFailure))?;
    let last = det.flush().map_err(|e| e.context(PluginFailure))?;
    emit_lines(&last)?;
    if !args.quiet {
        let stats = det.stats().map_err(|e| e.context(PluginFailure))?;
        let alerts = stats
            .get("alerts")
            .and_then(serde_json::Value::as_u64)
            .unwrap_or(0);
        eprintln!("{}", summary(&stats, alerts as usize));
    }
    Ok(ExitCode::SUCCESS)
}

fn generate(args: GenArgs) -> Result<ExitCode> {
    use std::io::BufWriter;
    let logs = args.out.join("logs");
    std::fs::create_dir_all(&logs)
        .with_context(|| format!("{}: cannot create directory", logs.display()))?;
    let create = |p: PathBuf| -> Result<BufWriter<std::fs::File>> {
        Ok(BufWriter::new(std::fs::File::create(&p).with_context(
            || format!("{}: cannot create", p.display()),
        )?))
    };
    let mut truth = create(args.out.join("ground-truth.jsonl"))?;
    let mut open: Option<(String, BufWriter<std::fs::File>)> = None;
    let mut failed: Option<anyhow::Error> = None;
    let mut record = |day: u32, kind: &str, line: &str| -> std::io::Result<()> {
        let name = t1586_host::generate::day_file(day, kind);
        if open.as_ref().is_none_or(|(n, _)| *n != name) {
            if let Some((_, mut f)) = open.take() {
                f.flush()?;
            }
            match create(logs.join(&name)) {
                Ok(f) => open = Some((name, f)),
                Err(e) => {
                    failed = Some(e);
                    return Err(std::io::Error::other("cannot create a day file"));
                }
            }
        }
        let (_, f) = open.as_mut().expect("opened above");
        writeln!(f, "{line}")
    };
    let opts = t1586_host::generate::Options {
        users: args.users,
        days: args.days,
        seed: args.seed,
        windows: !args.no_windows,
        shape: args.format,
        ..Default::default()
    };
    let n = t1586_host::generate::generate(
        &opts,
        &mut t1586_host::generate::Sinks {
            record: &mut record,
            truth: &mut truth,
        },
    );
    if let Some(e) = failed {
        return Err(e);
    }
    let n = n?;
    if let Some((_, mut f)) = open.take() {
        f.flush()?;
    }
    truth.flush()?;
    eprintln!(
        "t1586: {}: {} sign-ins and {} Windows events in logs/ (one file per day and kind), {} injected attacks in ground-truth.jsonl",
        args.out.display(),
        n.signins,
        n.windows,
        n.attacks
    );
    Ok(ExitCode::SUCCESS)
}

fn print_default(profile: &str, format: &str) -> Result<ExitCode> {
    let plugin = Plugin::embedded().map_err(|e| e.context(PluginFailure))?;
    let mut d =
        Detector::open(&plugin, "{}", Limits::default()).map_err(|e| e.context(PluginFailure))?;
    let json = d
        .default_config(profile)
        .map_err(|e| anyhow::anyhow!("{e:#}"))?;
    let text = match format {
        "json" => format!("{json}\n"),
        "toml" => t1586_host::json_to_toml(&json)?,
        other => bail!("--format must be toml or json, not {other:?}"),
    };
    print!("{text}");
    Ok(ExitCode::SUCCESS)
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
        Cmd::Generate(args) => generate(args),
        Cmd::Rules(args) => rules(args),
        Cmd::Plugin(PluginCmd::FluentBit(args)) => plugin_fluent_bit(args),
        Cmd::Config {
            print_default: true,
            profile,
            format,
        } => print_default(&profile, &format),
        Cmd::Config { .. } => Err(anyhow::anyhow!(
            "nothing to do: try `t1586 config --print-default`"
        )),
        Cmd::Version { plugin } => (|| {
            let p = load_plugin(plugin.as_ref(), false)?;
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
