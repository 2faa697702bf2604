//! `t1586 plugin`: modules for pipeline engines, written from the embedded builds with the
//! configuration inside them.

use anyhow::{Context, Result, bail};

pub use t1586_fluent_bit::Mode;

/// The Fluent Bit filter module as built (its configuration slot empty: defaults, alerts mode).
pub static FLUENT_BIT_WASM: &[u8] = include_bytes!(env!("T1586_FLUENT_BIT_WASM_PATH"));

/// The Fluent Bit `wasm` filter module for a configuration (JSON, checked here by the core) and a
/// mode: the embedded module with its configuration slot filled in.
pub fn fluent_bit(config_json: &str, mode: Mode) -> Result<Vec<u8>> {
    t1586_detector::Config::from_json(config_json)
        .map_err(|e| anyhow::anyhow!("configuration rejected by the detector: {e}"))?;
    let slot = t1586_fluent_bit::slot_bytes(config_json, mode).map_err(anyhow::Error::msg)?;
    let magic = t1586_fluent_bit::SLOT_MAGIC;
    let mut at = FLUENT_BIT_WASM
        .windows(magic.len())
        .enumerate()
        .filter(|(_, w)| w == magic)
        .map(|(i, _)| i);
    let (Some(start), None) = (at.next(), at.next()) else {
        bail!("the embedded Fluent Bit module has no single configuration slot");
    };
    let end = start + t1586_fluent_bit::SLOT_SIZE;
    let mut module = FLUENT_BIT_WASM.to_vec();
    module
        .get_mut(start..end)
        .context("the embedded Fluent Bit module's configuration slot is cut short")?
        .copy_from_slice(&slot);
    Ok(module)
}

/// A host that runs a Fluent Bit filter module exactly as Fluent Bit's `wasm` filter does (its
/// `src/wasm/flb_wasm.c`): one instance for the whole stream; for each record, NUL-terminated copies
/// of the tag and the record made with the module's `malloc`, the filter function called with
/// `(tag_ptr, tag_len, time_sec, time_nsec, record_ptr, record_len)`, the NUL-terminated result
/// read back, the copies freed with `free`. For tests and the benchmark; Fluent Bit itself runs
/// the module in WAMR.
pub struct FluentBitHost {
    store: wasmtime::Store<()>,
    memory: wasmtime::Memory,
    malloc: wasmtime::TypedFunc<u32, u32>,
    free: wasmtime::TypedFunc<u32, ()>,
    filter: wasmtime::TypedFunc<(u32, u32, u32, u32, u32, u32), u32>,
}

impl FluentBitHost {
    /// Instantiate `module` (which must import nothing, as this host provides nothing).
    pub fn new(module: &[u8]) -> Result<FluentBitHost> {
        let engine = wasmtime::Engine::default();
        let module = wasmtime::Module::new(&engine, module)
            .map_err(|e| anyhow::anyhow!("not a valid module: {e}"))?;
        let mut store = wasmtime::Store::new(&engine, ());
        let inst = wasmtime::Instance::new(&mut store, &module, &[])
            .map_err(|e| anyhow::anyhow!("instantiating: {e}"))?;
        let memory = inst
            .get_memory(&mut store, "memory")
            .context("no exported memory")?;
        let typed = |name: &str| anyhow::anyhow!("export `{name}` missing or of another type");
        Ok(FluentBitHost {
            malloc: inst
                .get_typed_func(&mut store, "malloc")
                .map_err(|_| typed("malloc"))?,
            free: inst
                .get_typed_func(&mut store, "free")
                .map_err(|_| typed("free"))?,
            filter: inst
                .get_typed_func(&mut store, "t1586_filter")
                .map_err(|_| typed("t1586_filter"))?,
            memory,
            store,
        })
    }

    /// Copy `bytes` and a NUL into the module's memory.
    fn copy_in(&mut self, bytes: &[u8]) -> Result<u32> {
        let p = self
            .malloc
            .call(&mut self.store, bytes.len() as u32 + 1)
            .map_err(|e| anyhow::anyhow!("malloc trapped: {e}"))?;
        if p == 0 {
            bail!("malloc returned 0");
        }
        self.memory
            .write(&mut self.store, p as usize, bytes)
            .context("malloc'd block outside memory")?;
        self.memory
            .write(&mut self.store, p as usize + bytes.len(), &[0])
            .context("malloc'd block outside memory")?;
        Ok(p)
    }

    /// One record (`time` as Fluent Bit's seconds and nanoseconds): the text that replaces it,
    /// `None` when the module drops it (an empty string).
    pub fn record(
        &mut self,
        tag: &str,
        time: (u32, u32),
        record: &[u8],
    ) -> Result<Option<Vec<u8>>> {
        let t = self.copy_in(tag.as_bytes())?;
        let r = self.copy_in(record)?;
        let out = self
            .filter
            .call(
                &mut self.store,
                (t, tag.len() as u32, time.0, time.1, r, record.len() as u32),
            )
            .map_err(|e| anyhow::anyhow!("t1586_filter trapped: {e}"))?;
        let data = self.memory.data(&self.store);
        let text = data
            .get(out as usize..)
            .and_then(|d| d.iter().position(|b| *b == 0).map(|n| d[..n].to_vec()))
            .context("the result is not a NUL-terminated string in memory")?;
        self.free
            .call(&mut self.store, t)
            .map_err(|e| anyhow::anyhow!("free trapped: {e}"))?;
        self.free
            .call(&mut self.store, r)
            .map_err(|e| anyhow::anyhow!("free trapped: {e}"))?;
        Ok((!text.is_empty()).then_some(text))
    }

    /// The module's linear memory in bytes (it never shrinks: its peak so far).
    pub fn memory_bytes(&self) -> usize {
        self.memory.data_size(&self.store)
    }
}
