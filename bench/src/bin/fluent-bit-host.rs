//! The Fluent Bit filter module (`t1586 plugin fluent-bit`) end to end in a wasmtime host that
//! calls it exactly as Fluent Bit's `wasm` filter does (`t1586_host::plugin::FluentBitHost`): every
//! line of a JSON Lines file is one record, copied in with the module's `malloc`, filtered, the
//! result read back. Prints `records outputs revisions` on stdout.
//!
//! `fluent-bit-host [--annotate] [--native] FILE`: alerts mode by default; `--native` runs the
//! filter's code natively (`t1586_fluent_bit::Filter`) instead of the module, to tell the filter's
//! own cost from the sandbox's. `bench/run.sh` with
//! `BENCH_FLUENT_BIT=1` times it against the CLI's live scan of the same file (BENCHMARKS.md).
#![forbid(unsafe_code)]

use std::io::BufRead;

/// One record in, what replaces it out.
type Filter = dyn FnMut(&[u8]) -> anyhow::Result<Option<Vec<u8>>>;

fn main() -> anyhow::Result<()> {
    let mut args: Vec<String> = std::env::args().skip(1).collect();
    let mode = if args.first().is_some_and(|a| a == "--annotate") {
        args.remove(0);
        t1586_host::plugin::Mode::Annotate
    } else {
        t1586_host::plugin::Mode::Alerts
    };
    let native = args.first().is_some_and(|a| a == "--native");
    if native {
        args.remove(0);
    }
    let [file] = args.as_slice() else {
        anyhow::bail!("usage: fluent-bit-host [--annotate] [--native] FILE");
    };
    let mut filter: Box<Filter> = if native {
        let m = if mode == t1586_host::plugin::Mode::Annotate {
            "annotate"
        } else {
            "alerts"
        };
        let mut f =
            t1586_fluent_bit::Filter::new(Some(&format!(r#"{{"mode":"{m}","config":{{}}}}"#)))
                .map_err(anyhow::Error::msg)?;
        Box::new(move |r| Ok(f.record(b"signins", r)))
    } else {
        let mut host =
            t1586_host::plugin::FluentBitHost::new(&t1586_host::plugin::fluent_bit("{}", mode)?)?;
        let mut n = 0u32;
        Box::new(move |r| {
            n += 1;
            host.record("signins", (n, 0), r)
        })
    };
    let reader = std::io::BufReader::with_capacity(1 << 20, std::fs::File::open(file)?);
    let (mut records, mut outputs, mut revisions) = (0u64, 0u64, 0u64);
    for line in reader.split(b'\n') {
        let line = line?;
        if line.is_empty() {
            continue;
        }
        records += 1;
        if let Some(out) = filter(&line)? {
            outputs += 1;
            revisions += count(&out, b"\"Revision\":");
        }
    }
    println!("{records} {outputs} {revisions}");
    Ok(())
}

fn count(hay: &[u8], needle: &[u8]) -> u64 {
    hay.windows(needle.len()).filter(|w| *w == needle).count() as u64
}
