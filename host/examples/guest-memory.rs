//! The guest's linear memory while a file streams through the embedded detector (default
//! configuration, 256 KiB chunks, as the CLI reads): a line each time it grows, then the final size.
//! Linear memory never shrinks, so the last figure is the guest's peak. Used for the 1M-versus-10M
//! comparison (BENCHMARKS.md; the figures per session in docs/benchmarks-history.md):
//!
//! ```sh
//! cargo run --release -p t1586 --example guest-memory -- FILE
//! ```
#![forbid(unsafe_code)]

use std::io::Read;

use anyhow::Context;
use t1586_host::runtime::{Detector, Limits, Plugin};

fn main() -> anyhow::Result<()> {
    let path = std::env::args()
        .nth(1)
        .context("usage: guest-memory FILE")?;
    let plugin = Plugin::embedded()?;
    let mut d = Detector::open(&plugin, "{}", Limits::default())?;
    d.begin_source(&path)?;
    let mut f = std::fs::File::open(&path).with_context(|| format!("{path}: cannot open"))?;
    let mut buf = vec![0u8; 256 * 1024];
    let (mut read, mut last) = (0usize, 0usize);
    loop {
        let n = f
            .read(&mut buf)
            .with_context(|| format!("{path}: read error"))?;
        if n == 0 {
            break;
        }
        d.push(&buf[..n])?;
        read += n;
        let m = d.memory_bytes();
        if m != last {
            println!("{:>8} MiB read: guest memory {} MiB", read >> 20, m >> 20);
            last = m;
        }
    }
    d.flush()?;
    println!(
        "end ({} MiB read): guest memory {} MiB",
        read >> 20,
        d.memory_bytes() >> 20
    );
    Ok(())
}
