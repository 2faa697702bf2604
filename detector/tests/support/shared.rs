//! The shared folder of real public samples (`../shared/data`, or `T1586_SHARED_DATA`), for the
//! tests that read them in place.

use std::path::PathBuf;

/// `rel` inside the shared folder, or `None` (said on stderr) when it is not there: a bare clone
/// skips the real-sample tests; CI always has the folder.
pub fn shared(rel: &str) -> Option<PathBuf> {
    let base = std::env::var_os("T1586_SHARED_DATA")
        .filter(|v| !v.is_empty())
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/data"));
    let p = base.join(rel);
    if p.exists() {
        Some(p)
    } else {
        eprintln!("note: {} not present; skipping", p.display());
        None
    }
}
