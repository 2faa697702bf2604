//! Loading and calling a detector `.wasm` through its C ABI (detector/ABI.md), sandboxed:
//! no imports are provided (no WASI, nothing), linear memory is capped, and every call has a
//! wall-clock time limit.
//!
//! How the time limit is kept depends on whose code the module is ([`Plugin::load`] and
//! [`Plugin::load_trusted`]). A foreign module is compiled with epoch interruption points, so a
//! call past its limit traps and returns an error. This build's own detector (and a module the user
//! vouches for) is compiled without them, which makes it about 15 % faster; a call past its limit
//! then cannot be stopped, so a watchdog ends the process with exit code 4 and the same message.

use std::io::Read;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::thread;
use std::time::{Duration, Instant};

use anyhow::{Context, Result, anyhow, bail};
use wasmtime::{
    Config, Engine, Instance, Memory, Module, Store, StoreLimits, StoreLimitsBuilder, Trap,
    TypedFunc,
};

/// The ABI version this host speaks.
pub const ABI_VERSION: u32 = 1;

/// The detector built from this workspace, embedded at compile time.
pub static EMBEDDED_WASM: &[u8] = include_bytes!(env!("T1586_WASM_PATH"));

/// Sandbox limits for one detector instance.
#[derive(Debug, Clone, Copy)]
pub struct Limits {
    /// Maximum linear memory, bytes.
    pub max_memory: usize,
    /// Maximum wall-clock time of one call into the guest.
    pub call_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Limits {
            max_memory: 1 << 30,
            call_timeout: Duration::from_secs(60),
        }
    }
}

const TICK: Duration = Duration::from_millis(50);

/// The exit code of a process whose uninterruptible detector call ran past its time limit (the
/// CLI's "detector/plugin failure").
pub const EXIT_OVERRUN: i32 = 4;

/// Calls in progress on the detectors of a module compiled without interruption points: what each
/// is and when it must have ended. The ticker thread checks it.
#[derive(Default)]
struct Watch {
    calls: Mutex<Vec<(u64, String, Instant, Duration)>>,
    next: AtomicU64,
}

/// The error of a call that ran past its time limit (trapped or ended by the watchdog alike).
fn overran(what: &str, limit: Duration) -> String {
    format!("{what} exceeded the time limit of {limit:?} and was stopped")
}

/// Start the time limit of one call (`what`, named only if watched) on `store`: its epoch
/// deadline, or for a module without interruption points, the watchdog's until the guard drops.
fn start_limit(
    store: &mut Store<StoreLimits>,
    watch: Option<&Arc<Watch>>,
    what: impl FnOnce() -> String,
    limit: Duration,
) -> Option<Armed> {
    match watch {
        None => {
            store.set_epoch_deadline(ticks(limit));
            None
        }
        Some(w) => Some(w.arm(what(), limit)),
    }
}

impl Watch {
    /// Start watching a call; it is watched until the guard drops.
    fn arm(self: &Arc<Self>, what: String, limit: Duration) -> Armed {
        let id = self.next.fetch_add(1, Ordering::Relaxed);
        self.lock().push((id, what, Instant::now(), limit));
        Armed {
            watch: self.clone(),
            id,
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(u64, String, Instant, Duration)>> {
        self.calls.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A watched call that has run past its limit: what it is and the limit.
    fn overrun(&self) -> Option<(String, Duration)> {
        self.lock()
            .iter()
            .find(|(_, _, start, limit)| start.elapsed() > *limit)
            .map(|(_, what, _, limit)| (what.clone(), *limit))
    }
}

/// A call being watched (see [`Watch::arm`]).
struct Armed {
    watch: Arc<Watch>,
    id: u64,
}

impl Drop for Armed {
    fn drop(&mut self) {
        self.watch.lock().retain(|c| c.0 != self.id);
    }
}

/// The detector refused the configuration it was opened with (the message names the key). Not a
/// plugin failure: the configuration is the user's to fix.
#[derive(Debug)]
pub struct ConfigRejected(pub String);

impl std::fmt::Display for ConfigRejected {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "configuration rejected by the detector: {}", self.0)
    }
}

impl std::error::Error for ConfigRejected {}

/// A compiled detector module.
pub struct Plugin {
    engine: Engine,
    module: Module,
    ticker_stop: Arc<AtomicBool>,
    /// Set when the module runs without interruption points (then the watchdog keeps the limit).
    watch: Option<Arc<Watch>>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        self.ticker_stop.store(true, Ordering::Relaxed);
    }
}

/// wasmtime's compiled-module cache, so repeated runs skip the ~1 s compile: in
/// `$T1586_CACHE_DIR`, else `$XDG_CACHE_HOME/t1586`, else `~/.cache/t1586`. Entries are keyed by the
/// module's bytes, the wasmtime version and the engine settings, so a changed `--plugin` or a new
/// build recompiles. `T1586_NO_CACHE=1` turns it off; any cache problem just means no cache.
fn compile_cache() -> Option<wasmtime::Cache> {
    use std::path::PathBuf;
    if std::env::var_os("T1586_NO_CACHE").is_some_and(|v| !v.is_empty() && v != "0") {
        return None;
    }
    let dir = std::env::var_os("T1586_CACHE_DIR")
        .map(PathBuf::from)
        .or_else(|| std::env::var_os("XDG_CACHE_HOME").map(|d| PathBuf::from(d).join("t1586")))
        .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/t1586")))?;
    let mut c = wasmtime::CacheConfig::new();
    c.with_directory(dir);
    wasmtime::Cache::new(c).ok()
}

impl Plugin {
    /// Compile a foreign module and check it is a t1586 detector this host can drive. Its calls
    /// are compiled with epoch interruption points: one past its time limit traps, and the call
    /// returns an error.
    pub fn load(wasm: &[u8], what: &str) -> Result<Plugin> {
        Plugin::compile(wasm, what, false)
    }

    /// As [`Plugin::load`], for a module whose code is trusted not to hang (this build's own
    /// detector, or one the user vouches for): compiled without interruption points, about 15 %
    /// faster. A call past its time limit cannot be stopped then; the watchdog prints what
    /// overran (as the error of [`Plugin::load`]'s modules reads) and ends the process with
    /// [`EXIT_OVERRUN`].
    pub fn load_trusted(wasm: &[u8], what: &str) -> Result<Plugin> {
        Plugin::compile(wasm, what, true)
    }

    fn compile(wasm: &[u8], what: &str, trusted: bool) -> Result<Plugin> {
        let mut cfg = Config::new();
        cfg.epoch_interruption(!trusted);
        cfg.cache(compile_cache());
        if std::env::var_os("T1586_PERFMAP").is_some_and(|v| !v.is_empty() && v != "0") {
            // For `perf record`: guest functions by name in /tmp/perf-PID.map (BENCHMARKS.md, "How
            // to run").
            cfg.profiler(wasmtime::ProfilingStrategy::PerfMap);
        }
        let engine = Engine::new(&cfg).map_err(|e| anyhow!("{e}"))?;
        let module = Module::new(&engine, wasm)
            .map_err(|e| anyhow!("{what} is not a valid WebAssembly module: {e}"))?;
        if let Some(imp) = module.imports().next() {
            bail!(
                "{what} imports `{}::{}`: a t1586 detector must have no imports (this host provides none)",
                imp.module(),
                imp.name()
            );
        }
        let stop = Arc::new(AtomicBool::new(false));
        let watch = trusted.then(|| Arc::new(Watch::default()));
        let (e2, s2, w2) = (engine.clone(), stop.clone(), watch.clone());
        thread::Builder::new()
            .name("t1586-time-limit".into())
            .spawn(move || {
                while !s2.load(Ordering::Relaxed) {
                    thread::sleep(TICK);
                    match &w2 {
                        None => e2.increment_epoch(),
                        Some(w) => {
                            if let Some((what, limit)) = w.overrun() {
                                eprintln!(
                                    "t1586: error: detector plugin failure: {} (the process \
                                     ends: this detector runs without interruption points)",
                                    overran(&what, limit)
                                );
                                std::process::exit(EXIT_OVERRUN);
                            }
                        }
                    }
                }
            })
            .context("starting the time-limit thread")?;
        Ok(Plugin {
            engine,
            module,
            ticker_stop: stop,
            watch,
        })
    }

    /// The detector embedded in this binary (this build's own code: [`Plugin::load_trusted`]).
    pub fn embedded() -> Result<Plugin> {
        Plugin::load_trusted(EMBEDDED_WASM, "the embedded detector")
    }
}

/// `t1586_set_live` and `t1586_release`.
type LiveExports = (TypedFunc<(u32, u32), i32>, TypedFunc<u32, u64>);

struct Exports {
    memory: Memory,
    alloc: TypedFunc<u32, u32>,
    free: TypedFunc<(u32, u32), ()>,
    open: TypedFunc<(u32, u32), u32>,
    begin_source: TypedFunc<(u32, u32, u32), i32>,
    push: TypedFunc<(u32, u32, u32), u64>,
    flush: TypedFunc<u32, u64>,
    stats: TypedFunc<u32, u64>,
    snapshot: TypedFunc<u32, u64>,
    restore: TypedFunc<(u32, u32), u32>,
    last_error: TypedFunc<(), u64>,
    close: TypedFunc<u32, i32>,
    /// Optional: modules built before enrichment existed lack it.
    enrich: Option<TypedFunc<(u32, u32, u32, u32), u64>>,
    /// Optional (added to ABI 1 later).
    begin_source_as: Option<TypedFunc<(u32, u32, u32, u32), i32>>,
    default_config: Option<TypedFunc<(u32, u32), u64>>,
    catalog: Option<TypedFunc<(), u64>>,
    parse_ip_list: Option<TypedFunc<(u32, u32), u64>>,
    /// Live mode (`t1586_set_live`, `t1586_release`; modules from before it lack them).
    live: Option<LiveExports>,
    /// Optional (added to ABI 1 later): offline input in any order.
    offline: Option<OfflineExports>,
}

/// The exports for offline input in any order (`detector/ABI.md`, "Input order"): all or none.
#[derive(Clone)]
struct OfflineExports {
    set_order: TypedFunc<(u32, u32), i32>,
    order: TypedFunc<u32, i32>,
    restart_sorted: TypedFunc<u32, i32>,
    take_spill: TypedFunc<u32, u64>,
    merge_begin: TypedFunc<(u32, u32), u64>,
    merge_wanted: TypedFunc<u32, i32>,
    merge_feed: TypedFunc<(u32, u32, u32, u32), u64>,
}

/// One running detector (one instance, one handle).
pub struct Detector {
    store: Store<StoreLimits>,
    ex: Exports,
    handle: u32,
    inbuf: (u32, u32),
    limits: Limits,
    version: String,
    watch: Option<Arc<Watch>>,
}

const CHUNK: u32 = 256 * 1024;

/// Why [`Detector::push_from`] failed: reading the input, or the detector.
#[derive(Debug)]
pub enum PushError {
    Read(std::io::Error),
    Detector(anyhow::Error),
}

fn func<P, R>(
    inst: &Instance,
    store: &mut Store<StoreLimits>,
    name: &str,
) -> Result<TypedFunc<P, R>>
where
    P: wasmtime::WasmParams,
    R: wasmtime::WasmResults,
{
    inst.get_typed_func::<P, R>(&mut *store, name)
        .map_err(|e| anyhow!("detector export `{name}` is missing or has the wrong signature: {e}"))
}

impl Detector {
    /// Instantiate and open a detector with a JSON configuration.
    pub fn open(plugin: &Plugin, config_json: &str, limits: Limits) -> Result<Detector> {
        let mut d = Detector::instantiate(plugin, limits)?;
        let cfg = d.write_temp(config_json.as_bytes())?;
        let h = d.call(|s, ex| ex.open.call(s, cfg), "t1586_open");
        d.free_temp(cfg)?;
        let h = h?;
        if h == 0 {
            return Err(ConfigRejected(d.last_error()?).into());
        }
        d.handle = h;
        Ok(d)
    }

    /// Instantiate and restore a detector from snapshot bytes.
    pub fn restore(plugin: &Plugin, snapshot: &[u8], limits: Limits) -> Result<Detector> {
        let mut d = Detector::instantiate(plugin, limits)?;
        let buf = d.write_temp(snapshot)?;
        let h = d.call(|s, ex| ex.restore.call(s, buf), "t1586_restore");
        d.free_temp(buf)?;
        let h = h?;
        if h == 0 {
            bail!("snapshot rejected by the detector: {}", d.last_error()?);
        }
        d.handle = h;
        Ok(d)
    }

    fn instantiate(plugin: &Plugin, limits: Limits) -> Result<Detector> {
        let store_limits = StoreLimitsBuilder::new()
            .memory_size(limits.max_memory)
            .trap_on_grow_failure(true)
            .instances(1)
            .memories(1)
            .tables(4)
            .table_elements(1 << 20)
            .build();
        let mut store = Store::new(&plugin.engine, store_limits);
        store.limiter(|l| l);
        let armed = start_limit(
            &mut store,
            plugin.watch.as_ref(),
            || "instantiating the detector".into(),
            limits.call_timeout,
        );
        let inst = Instance::new(&mut store, &plugin.module, &[])
            .map_err(|e| anyhow!("instantiating the detector failed: {e}"))?;
        drop(armed);
        let memory = inst
            .get_memory(&mut store, "memory")
            .ok_or_else(|| anyhow!("detector export `memory` is missing"))?;
        let abi: TypedFunc<(), u32> = func(&inst, &mut store, "t1586_abi_version")?;
        let ver = abi
            .call(&mut store, ())
            .map_err(|e| anyhow!("t1586_abi_version failed: {e}"))?;
        if ver != ABI_VERSION {
            bail!("detector speaks ABI version {ver}; this host speaks version {ABI_VERSION}");
        }
        let dv: TypedFunc<(), u64> = func(&inst, &mut store, "t1586_detector_version")?;
        let ex = Exports {
            memory,
            alloc: func(&inst, &mut store, "t1586_alloc")?,
            free: func(&inst, &mut store, "t1586_free")?,
            open: func(&inst, &mut store, "t1586_open")?,
            begin_source: func(&inst, &mut store, "t1586_begin_source")?,
            push: func(&inst, &mut store, "t1586_push")?,
            flush: func(&inst, &mut store, "t1586_flush")?,
            stats: func(&inst, &mut store, "t1586_stats")?,
            snapshot: func(&inst, &mut store, "t1586_snapshot")?,
            restore: func(&inst, &mut store, "t1586_restore")?,
            last_error: func(&inst, &mut store, "t1586_last_error")?,
            close: func(&inst, &mut store, "t1586_close")?,
            enrich: func(&inst, &mut store, "t1586_enrich").ok(),
            begin_source_as: func(&inst, &mut store, "t1586_begin_source_as").ok(),
            default_config: func(&inst, &mut store, "t1586_default_config").ok(),
            catalog: func(&inst, &mut store, "t1586_catalog").ok(),
            offline: (|| {
                Some(OfflineExports {
                    set_order: func(&inst, &mut store, "t1586_set_order").ok()?,
                    order: func(&inst, &mut store, "t1586_order").ok()?,
                    restart_sorted: func(&inst, &mut store, "t1586_restart_sorted").ok()?,
                    take_spill: func(&inst, &mut store, "t1586_take_spill").ok()?,
                    merge_begin: func(&inst, &mut store, "t1586_merge_begin").ok()?,
                    merge_wanted: func(&inst, &mut store, "t1586_merge_wanted").ok()?,
                    merge_feed: func(&inst, &mut store, "t1586_merge_feed").ok()?,
                })
            })(),
            parse_ip_list: func(&inst, &mut store, "t1586_parse_ip_list").ok(),
            live: func(&inst, &mut store, "t1586_set_live")
                .ok()
                .zip(func(&inst, &mut store, "t1586_release").ok()),
        };
        let mut d = Detector {
            store,
            ex,
            handle: 0,
            inbuf: (0, 0),
            limits,
            version: String::new(),
            watch: plugin.watch.clone(),
        };
        let packed = d.call(|s, _| dv.call(s, ()), "t1586_detector_version")?;
        d.version =
            String::from_utf8_lossy(&d.read_packed(packed, "t1586_detector_version")?).into_owned();
        let p = d.call(|s, ex| ex.alloc.call(s, CHUNK), "t1586_alloc")?;
        if p == 0 {
            bail!("detector could not allocate its input buffer");
        }
        d.inbuf = (p, CHUNK);
        Ok(d)
    }

    /// The guest's linear memory in bytes. Wasm memory never shrinks, so this is its peak so far.
    pub fn memory_bytes(&self) -> usize {
        self.ex.memory.data_size(&self.store)
    }

    /// The detector's own version string.
    pub fn version(&self) -> &str {
        &self.version
    }

    /// Call into the guest with a fresh deadline; traps become errors that say what happened.
    fn call<R>(
        &mut self,
        f: impl FnOnce(&mut Store<StoreLimits>, &Exports) -> wasmtime::Result<R>,
        name: &str,
    ) -> Result<R> {
        let _armed = start_limit(
            &mut self.store,
            self.watch.as_ref(),
            || format!("detector call {name}"),
            self.limits.call_timeout,
        );
        f(&mut self.store, &self.ex).map_err(|e| match e.downcast_ref::<Trap>() {
            Some(Trap::Interrupt) => anyhow!(
                "{}",
                overran(&format!("detector call {name}"), self.limits.call_timeout)
            ),
            Some(Trap::UnreachableCodeReached) => {
                anyhow!("detector call {name} panicked (trap: unreachable); input or plugin bug")
            }
            Some(t) => anyhow!("detector call {name} trapped: {t}"),
            None if format!("{e:?}").contains("growing memory") => anyhow!(
                "detector call {name} exceeded the memory limit of {} MiB and was stopped",
                self.limits.max_memory >> 20
            ),
            None => anyhow!("detector call {name} failed: {e:?}"),
        })
    }

    fn write_temp(&mut self, bytes: &[u8]) -> Result<(u32, u32)> {
        let len = u32::try_from(bytes.len()).context("buffer larger than 4 GiB")?;
        let p = self.call(|s, ex| ex.alloc.call(s, len), "t1586_alloc")?;
        if p == 0 && len > 0 {
            bail!("detector could not allocate {len} bytes (memory limit?)");
        }
        self.ex
            .memory
            .write(&mut self.store, p as usize, bytes)
            .map_err(|_| anyhow!("t1586_alloc returned a buffer outside linear memory"))?;
        Ok((p, len))
    }

    fn free_temp(&mut self, (p, len): (u32, u32)) -> Result<()> {
        self.call(|s, ex| ex.free.call(s, (p, len)), "t1586_free")
    }

    /// Copy a packed (ptr << 32 | len) buffer out of guest memory, bounds-checked.
    fn read_packed(&mut self, packed: u64, name: &str) -> Result<Vec<u8>> {
        let ptr = (packed >> 32) as usize;
        let len = (packed & 0xffff_ffff) as usize;
        let data = self.ex.memory.data(&self.store);
        let end = ptr
            .checked_add(len)
            .filter(|&e| e <= data.len())
            .ok_or_else(|| {
                anyhow!("detector call {name} returned a buffer outside its memory ({ptr}+{len})")
            })?;
        Ok(data[ptr..end].to_vec())
    }

    fn result(&mut self, packed: u64, name: &str) -> Result<Vec<u8>> {
        if packed == 0 {
            bail!("detector call {name} failed: {}", self.last_error()?);
        }
        self.read_packed(packed, name)
    }

    /// The guest's last error message.
    pub fn last_error(&mut self) -> Result<String> {
        let p = self.call(|s, ex| ex.last_error.call(s, ()), "t1586_last_error")?;
        Ok(String::from_utf8_lossy(&self.read_packed(p, "t1586_last_error")?).into_owned())
    }

    /// Start a named source.
    pub fn begin_source(&mut self, name: &str) -> Result<()> {
        let buf = self.write_temp(name.as_bytes())?;
        let h = self.handle;
        let r = self.call(
            |s, ex| ex.begin_source.call(s, (h, buf.0, buf.1)),
            "t1586_begin_source",
        );
        self.free_temp(buf)?;
        if r? != 0 {
            bail!("t1586_begin_source failed: {}", self.last_error()?);
        }
        Ok(())
    }

    /// Push bytes (any size); returns alert JSON Lines that became final.
    pub fn push(&mut self, mut data: &[u8]) -> Result<Vec<u8>> {
        let mut out = Vec::new();
        while !data.is_empty() {
            let n = data.len().min(self.inbuf.1 as usize);
            self.ex
                .memory
                .write(&mut self.store, self.inbuf.0 as usize, &data[..n])
                .map_err(|_| anyhow!("input buffer outside linear memory"))?;
            out.extend(self.push_inbuf(n)?);
            data = &data[n..];
        }
        Ok(out)
    }

    /// Push the first `n` bytes of the input buffer; returns alert JSON Lines that became final.
    fn push_inbuf(&mut self, n: usize) -> Result<Vec<u8>> {
        let (h, p) = (self.handle, self.inbuf.0);
        let packed = self.call(|s, ex| ex.push.call(s, (h, p, n as u32)), "t1586_push")?;
        self.result(packed, "t1586_push")
    }

    /// Read from `input` straight into the detector's input buffer in its linear memory (no copy
    /// through a buffer of the host's: the CLI 4 % faster, commit 1cf2bb6) and
    /// push what was read: how many bytes, and the alert JSON Lines that became final; `Ok(None)`
    /// at the end of `input`. An error reading `input` is returned as it is, a detector failure as
    /// [`PushError::Detector`].
    pub fn push_from(
        &mut self,
        input: &mut dyn Read,
    ) -> Result<Option<(usize, Vec<u8>)>, PushError> {
        let (p, cap) = self.inbuf;
        let n = loop {
            let Some(dst) = self
                .ex
                .memory
                .data_mut(&mut self.store)
                .get_mut(p as usize..p as usize + cap as usize)
            else {
                return Err(PushError::Detector(anyhow!(
                    "input buffer outside linear memory"
                )));
            };
            match input.read(dst) {
                Ok(0) => return Ok(None),
                Ok(n) => break n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(PushError::Read(e)),
            }
        };
        self.push_inbuf(n)
            .map(|lines| Some((n, lines)))
            .map_err(PushError::Detector)
    }

    /// End of input; returns the remaining alert JSON Lines.
    pub fn flush(&mut self) -> Result<Vec<u8>> {
        let h = self.handle;
        let packed = self.call(|s, ex| ex.flush.call(s, h), "t1586_flush")?;
        self.result(packed, "t1586_flush")
    }

    /// Statistics JSON.
    pub fn stats(&mut self) -> Result<serde_json::Value> {
        let h = self.handle;
        let packed = self.call(|s, ex| ex.stats.call(s, h), "t1586_stats")?;
        let bytes = self.result(packed, "t1586_stats")?;
        serde_json::from_slice(&bytes).context("detector returned invalid statistics JSON")
    }

    /// Snapshot bytes.
    pub fn snapshot(&mut self) -> Result<Vec<u8>> {
        let h = self.handle;
        let packed = self.call(|s, ex| ex.snapshot.call(s, h), "t1586_snapshot")?;
        self.result(packed, "t1586_snapshot")
    }

    /// Start a named source read as `format` (0 detect, 1 json, 2 csv, 3 xml, 4 evtx).
    pub fn begin_source_as(&mut self, name: &str, format: u32) -> Result<()> {
        if format == 0 {
            return self.begin_source(name);
        }
        let Some(f) = self.ex.begin_source_as.clone() else {
            bail!(
                "this detector module cannot force an input format (no t1586_begin_source_as export)"
            );
        };
        let buf = self.write_temp(name.as_bytes())?;
        let h = self.handle;
        let r = self.call(
            |s, _| f.call(s, (h, buf.0, buf.1, format)),
            "t1586_begin_source_as",
        );
        self.free_temp(buf)?;
        if r? != 0 {
            bail!("t1586_begin_source_as failed: {}", self.last_error()?);
        }
        Ok(())
    }

    /// Live mode: alerts as soon as the records decide them, revised as more arrive
    /// (`detector/ABI.md`, "Live mode").
    pub fn set_live(&mut self, on: bool) -> Result<()> {
        let Some((f, _)) = self.ex.live.clone() else {
            bail!("this detector module has no live mode (no t1586_set_live export)");
        };
        let h = self.handle;
        if self.call(|s, _| f.call(s, (h, u32::from(on))), "t1586_set_live")? != 0 {
            bail!("t1586_set_live failed: {}", self.last_error()?);
        }
        Ok(())
    }

    /// Whether the module has live mode.
    pub fn can_live(&self) -> bool {
        self.ex.live.is_some()
    }

    /// Process every event still waiting for older ones (the input went quiet); returns the alert
    /// JSON Lines this makes.
    pub fn release(&mut self) -> Result<Vec<u8>> {
        let Some((_, f)) = self.ex.live.clone() else {
            return Ok(Vec::new());
        };
        let h = self.handle;
        let packed = self.call(|s, _| f.call(s, h), "t1586_release")?;
        self.result(packed, "t1586_release")
    }

    /// The offline exports, or an error naming what this module lacks.
    fn offline(&self) -> Result<OfflineExports> {
        self.ex.offline.clone().ok_or_else(|| {
            anyhow!("this detector module cannot sort offline input (no t1586_set_order export)")
        })
    }

    /// Whether the module can read offline input in any order (`t1586_set_order` and the rest).
    pub fn can_sort(&self) -> bool {
        self.ex.offline.is_some()
    }

    /// How input order is treated: 0 stream, 1 offline, 3 sort (`detector/ABI.md`).
    pub fn set_order(&mut self, order: u32) -> Result<()> {
        let f = self.offline()?.set_order;
        let h = self.handle;
        if self.call(|s, _| f.call(s, (h, order)), "t1586_set_order")? != 0 {
            bail!("t1586_set_order failed: {}", self.last_error()?);
        }
        Ok(())
    }

    /// The order state: 0 stream, 1 offline in order, 2 restart needed, 3 sorting, 4 merging.
    pub fn order(&mut self) -> Result<i32> {
        let f = self.offline()?.order;
        let h = self.handle;
        self.call(|s, _| f.call(s, h), "t1586_order")
    }

    /// Forget all input (configuration and enrichment kept) and sort the input read again.
    pub fn restart_sorted(&mut self) -> Result<()> {
        let f = self.offline()?.restart_sorted;
        let h = self.handle;
        if self.call(|s, _| f.call(s, h), "t1586_restart_sorted")? != 0 {
            bail!("t1586_restart_sorted failed: {}", self.last_error()?);
        }
        Ok(())
    }

    /// The next sorted run to store, `None` when none is left.
    pub fn take_spill(&mut self) -> Result<Option<Vec<u8>>> {
        let f = self.offline()?.take_spill;
        let h = self.handle;
        let packed = self.call(|s, _| f.call(s, h), "t1586_take_spill")?;
        let run = self.result(packed, "t1586_take_spill")?;
        Ok((!run.is_empty()).then_some(run))
    }

    /// Start merging `runs` stored runs; returns alert JSON Lines that became final.
    pub fn merge_begin(&mut self, runs: u32) -> Result<Vec<u8>> {
        let f = self.offline()?.merge_begin;
        let h = self.handle;
        let packed = self.call(|s, _| f.call(s, (h, runs)), "t1586_merge_begin")?;
        self.result(packed, "t1586_merge_begin")
    }

    /// The run whose next bytes the merge needs, `None` when it is over.
    pub fn merge_wanted(&mut self) -> Result<Option<u32>> {
        let f = self.offline()?.merge_wanted;
        let h = self.handle;
        match self.call(|s, _| f.call(s, h), "t1586_merge_wanted")? {
            -1 => Ok(None),
            r if r >= 0 => Ok(Some(r as u32)),
            _ => bail!("t1586_merge_wanted failed: {}", self.last_error()?),
        }
    }

    /// The next bytes of run `run` (at most the input buffer's size; empty: the run is over);
    /// returns alert JSON Lines that became final.
    pub fn merge_feed(&mut self, run: u32, data: &[u8]) -> Result<Vec<u8>> {
        let f = self.offline()?.merge_feed;
        let (h, p) = (self.handle, self.inbuf.0);
        let n = data.len().min(self.inbuf.1 as usize);
        self.ex
            .memory
            .write(&mut self.store, p as usize, &data[..n])
            .map_err(|_| anyhow!("input buffer outside linear memory"))?;
        let packed = self.call(|s, _| f.call(s, (h, run, p, n as u32)), "t1586_merge_feed")?;
        self.result(packed, "t1586_merge_feed")
    }

    /// The size of the input buffer: the most [`merge_feed`](Detector::merge_feed) takes at once.
    pub fn chunk_size(&self) -> usize {
        self.inbuf.1 as usize
    }

    /// A profile's default configuration as pretty JSON.
    pub fn default_config(&mut self, profile: &str) -> Result<String> {
        let Some(f) = self.ex.default_config.clone() else {
            bail!("this detector module has no t1586_default_config export");
        };
        let buf = self.write_temp(profile.as_bytes())?;
        let packed = self.call(|s, _| f.call(s, buf), "t1586_default_config");
        self.free_temp(buf)?;
        let bytes = self.result(packed?, "t1586_default_config")?;
        Ok(String::from_utf8_lossy(&bytes).into_owned())
    }

    /// The module's detection types and ATT&CK techniques with their names (`t1586_catalog`), or
    /// `None` for a module built before the export existed.
    pub fn catalog(&mut self) -> Result<Option<serde_json::Value>> {
        let Some(f) = self.ex.catalog.clone() else {
            return Ok(None);
        };
        let packed = self.call(|s, _| f.call(s, ()), "t1586_catalog")?;
        let bytes = self.result(packed, "t1586_catalog")?;
        serde_json::from_slice(&bytes)
            .map(Some)
            .context("detector returned an invalid catalog")
    }

    /// An IP list read by the module's parser (`t1586_parse_ip_list`): `{"addresses", "networks"}`,
    /// or the module's error naming the bad lines. (The CLI reads lists with the same parser
    /// natively; this is the interface other hosts use.)
    pub fn parse_ip_list(&mut self, text: &str) -> Result<serde_json::Value> {
        let Some(f) = self.ex.parse_ip_list.clone() else {
            bail!("this detector module has no t1586_parse_ip_list export");
        };
        let buf = self.write_temp(text.as_bytes())?;
        let packed = self.call(|s, _| f.call(s, buf), "t1586_parse_ip_list");
        self.free_temp(buf)?;
        let bytes = self.result(packed?, "t1586_parse_ip_list")?;
        serde_json::from_slice(&bytes).context("detector returned an invalid IP list")
    }

    /// Add enrichment data (`kind` 1 = `.mmdb`, 2 = ip2asn TSV); returns what the detector loaded.
    pub fn enrich(&mut self, kind: u32, data: &[u8]) -> Result<serde_json::Value> {
        let Some(f) = self.ex.enrich.clone() else {
            bail!("this detector module has no t1586_enrich export (built before IP enrichment)");
        };
        let buf = self.write_temp(data)?;
        let h = self.handle;
        let packed = self.call(|s, _| f.call(s, (h, kind, buf.0, buf.1)), "t1586_enrich");
        self.free_temp(buf)?;
        let bytes = self.result(packed?, "t1586_enrich")?;
        serde_json::from_slice(&bytes).context("detector returned invalid enrichment JSON")
    }

    /// Close the handle (the instance goes with `self`).
    pub fn close(mut self) -> Result<()> {
        let h = self.handle;
        if self.call(|s, ex| ex.close.call(s, h), "t1586_close")? != 0 {
            bail!("t1586_close failed: {}", self.last_error()?);
        }
        Ok(())
    }
}

fn ticks(d: Duration) -> u64 {
    (d.as_millis() / TICK.as_millis()).max(1) as u64 + 1
}
