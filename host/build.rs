//! Builds the detector's zero-import `.wasm` (feature `abi`, target wasm32-unknown-unknown,
//! profile `wasm-release`) and hands its path to `include_bytes!` through `T1586_WASM_PATH`.
//!
//! Set `T1586_WASM` to a prebuilt `.wasm` to skip the nested build.

use std::env;
use std::path::PathBuf;
use std::process::Command;

fn main() {
    println!("cargo:rerun-if-env-changed=T1586_WASM");
    let manifest = PathBuf::from(env::var("CARGO_MANIFEST_DIR").expect("cargo sets it"));
    let root = manifest
        .parent()
        .expect("host/ lives in the workspace")
        .to_path_buf();
    // The workspace Cargo.toml holds the `wasm-release` profile the guest is built with.
    for p in [
        "detector/src",
        "detector/Cargo.toml",
        "Cargo.lock",
        "Cargo.toml",
    ] {
        println!("cargo:rerun-if-changed={}", root.join(p).display());
    }
    let wasm = if let Ok(p) = env::var("T1586_WASM") {
        PathBuf::from(p)
    } else {
        // A separate target dir: the outer cargo holds the lock on the workspace one.
        let target_dir = root.join("target").join("detector-wasm");
        let cargo = env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut cmd = Command::new(cargo);
        cmd.current_dir(&root)
            .args([
                "build",
                "--package",
                "t1586-detector",
                "--features",
                "abi",
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
            .expect("failed to run cargo for the detector .wasm");
        if !status.success() {
            panic!(
                "building the detector .wasm failed; is the target installed? (rustup target add wasm32-unknown-unknown)"
            );
        }
        target_dir.join("wasm32-unknown-unknown/wasm-release/t1586_detector.wasm")
    };
    if !wasm.exists() {
        panic!("detector .wasm not found at {}", wasm.display());
    }
    println!("cargo:rustc-env=T1586_WASM_PATH={}", wasm.display());
}
