//! Builds the modules the CLI embeds, for wasm32-unknown-unknown with the `wasm-release` profile,
//! and hands their paths to `include_bytes!`:
//!
//! * the detector's zero-import `.wasm` (package `t1586-detector`, feature `abi`) through
//!   `T1586_WASM_PATH` — set `T1586_WASM` to a prebuilt one to skip its build;
//! * the Fluent Bit filter module (package `t1586-fluent-bit`, `t1586 plugin fluent-bit`) through
//!   `T1586_FLUENT_BIT_WASM_PATH` — `T1586_FLUENT_BIT_WASM` for a prebuilt one.

use std::env;
use std::path::{Path, PathBuf};
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=T1586_WASM");
    println!("cargo:rerun-if-env-changed=T1586_FLUENT_BIT_WASM");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest
        .parent()
        .expect("host/ lives in the workspace")
        .to_path_buf();
    // The workspace Cargo.toml holds the `wasm-release` profile the guests are built with.
    for p in [
        "detector/src",
        "detector/Cargo.toml",
        "plugins/fluent-bit/src",
        "plugins/fluent-bit/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
    let core = module(
        &root,
        "T1586_WASM",
        &["--package", "t1586-detector", "--features", "abi"],
        "t1586_detector.wasm",
    );
    println!("cargo:rustc-env=T1586_WASM_PATH={}", core.display());
    let fluent_bit = module(
        &root,
        "T1586_FLUENT_BIT_WASM",
        &["--package", "t1586-fluent-bit"],
        "t1586_fluent_bit.wasm",
    );
    println!(
        "cargo:rustc-env=T1586_FLUENT_BIT_WASM_PATH={}",
        fluent_bit.display()
    );
}

/// A prebuilt module named by the environment variable `prebuilt`, else one built now.
fn module(root: &Path, prebuilt: &str, package: &[&str], file: &str) -> PathBuf {
    let wasm = if let Ok(p) = env::var(prebuilt) {
        PathBuf::from(p)
    } else {
        // A separate target dir: the outer cargo holds the lock on the workspace one.
        let target_dir = root.join("target").join("detector-wasm");
        let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(root)
            .arg("build")
            .args(package)
            .args([
                "--target",
                "wasm32-unknown-unknown",
                "--profile",
                "wasm-release",
                "--lib",
            ])
            .arg("--target-dir")
            .arg(&target_dir);
        // Don't let the outer build's flags, wrappers (clippy) or coverage leak into the guest build.
        for var in [
            "RUSTFLAGS",
            "CARGO_ENCODED_RUSTFLAGS",
            "RUSTC_WORKSPACE_WRAPPER",
            "RUSTC_WRAPPER",
            "CARGO_TARGET_DIR",
            "CARGO_BUILD_TARGET",
            "CARGO_MAKEFLAGS",
            "MAKEFLAGS",
            "MFLAGS",
        ] {
            cmd.env_remove(var);
        }
        let status = cmd
            .status()
            .expect("failed to run cargo for a .wasm module");
        if !status.success() {
            panic!(
                "building {file} failed; is the target installed? (rustup target add wasm32-unknown-unknown)"
            );
        }
        target_dir
            .join("wasm32-unknown-unknown/wasm-release")
            .join(file)
    };
    if !wasm.exists() {
        panic!("{file} not found at {}", wasm.display());
    }
    wasm
}
