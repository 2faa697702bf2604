//! The native detector end to end: stream a file in 256 KiB chunks through `t1586_detector` with
//! the default configuration, as the CLI does in wasm. Prints `events alerts` on stdout.
#![forbid(unsafe_code)]

use std::io::Read;

fn main() {
    let path = std::env::args().nth(1).expect("usage: native FILE");
    let mut f = std::fs::File::open(&path).expect("open");
    let mut d = t1586_detector::Detector::new(t1586_detector::Config::default());
    d.begin_source(&path);
    let mut buf = vec![0u8; 256 * 1024];
    let mut alerts = 0usize;
    loop {
        let n = f.read(&mut buf).expect("read");
        if n == 0 {
            break;
        }
        alerts += d.push(&buf[..n]).len();
    }
    alerts += d.flush().len();
    let s = d.stats();
    println!("{} {alerts}", s.events);
}
