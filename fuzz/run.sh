#!/usr/bin/env bash
# Run every fuzz target for a set time:  fuzz/run.sh [SECONDS_PER_TARGET] [TARGET...]
#
# Needs cargo-fuzz (`cargo install cargo-fuzz`) and a nightly toolchain, or the stable one with
# RUSTC_BOOTSTRAP=1 (set here when no nightly is installed). Sanitizer off: the core forbids unsafe
# code outside the wasm-only ABI module, so libFuzzer's coverage guidance is what matters.
# Each target's corpus starts from the conformance corpus (tests/corpus) and grows in
# fuzz/corpus/TARGET (not committed). A crash stops the run; its input is copied to
# tests/fuzz-regressions/TARGET/, where `cargo test` replays it from then on
# (detector/tests/fuzz_regressions.rs).
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-600}
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(json csv xml evtx auto gzip mmdb abi run fluent_bit)
tc=()
if rustup toolchain list | grep -q '^nightly'; then tc=(+nightly); else export RUSTC_BOOTSTRAP=1; fi
command -v cargo-fuzz >/dev/null || cargo install cargo-fuzz
# The embedded detector .wasm, built normally: the fuzz build's instrumentation flags must not reach
# the nested wasm32 build (host/build.rs takes prebuilt modules from T1586_WASM and T1586_FLUENT_BIT_WASM).
cargo build -q --release -p t1586
export T1586_WASM=$PWD/target/detector-wasm/wasm32-unknown-unknown/wasm-release/t1586_detector.wasm
export T1586_FLUENT_BIT_WASM=$PWD/target/detector-wasm/wasm32-unknown-unknown/wasm-release/t1586_fluent_bit.wasm

seed() { # seed TARGET DIR: starting inputs from the corpus (each prefixed by a 0: no extra pieces)
  local t=$1 d=$2
  mkdir -p "$d"
  local pat
  case $t in
    json|abi|fluent_bit) pat='*.json*' ;;
    csv) pat='*.csv' ;;
    xml) pat='*.xml' ;;
    evtx|auto|gzip) pat='*' ;;
    mmdb) pat='*.mmdb' ;;
  esac
  local from=tests/corpus
  [ "$t" = mmdb ] && from=tests/enrichment
  find "$from" -type f -name "$pat" ! -name 'expected*' ! -name '*.toml' ! -name 'config*' |
    while read -r f; do
      local out="$d/seed-$(echo "$f" | md5sum | cut -c1-12)"
      case $t in
        evtx) [[ $f == *.evtx ]] && { printf '\0'; tail -c +4097 "$f" | head -c 65536; } > "$out" || true ;;
        gzip) { printf '\0'; gzip -c "$f"; } > "$out" ;;
        mmdb) cp "$f" "$out" ;;
        abi) ;; # structured input: libFuzzer starts from scratch
        run) ;; # from scratch (fuzz/tests/runs.rs checks real runs, damaged in every byte)
        fluent_bit) tr '\n' '\036' < "$f" > "$out" ;; # one record a line
        *) { printf '\0'; cat "$f"; } > "$out" ;;
      esac
    done
}

for t in "${targets[@]}"; do
  dir=fuzz/corpus/$t
  seed "$t" "$dir"
  echo "== $t: ${secs}s"
  set +e
  cargo "${tc[@]}" fuzz run -s none --release "$t" "$dir" -- \
      -max_total_time="$secs" -max_len=140000 -rss_limit_mb=4096 -timeout=60 \
      -print_final_stats=1 2>&1 | tee "fuzz/$t.log" | grep -E '^(#[0-9]+ *DONE|stat::|==|SUMMARY|Running)'
  code=${PIPESTATUS[0]}
  set -e
  if ls fuzz/artifacts/"$t"/crash-* fuzz/artifacts/"$t"/oom-* fuzz/artifacts/"$t"/timeout-* >/dev/null 2>&1; then
    mkdir -p tests/fuzz-regressions/"$t"
    cp fuzz/artifacts/"$t"/* tests/fuzz-regressions/"$t"/
    echo "$t: crash found; copied to tests/fuzz-regressions/$t/ (see fuzz/$t.log)"
    exit 1
  fi
  if [ "$code" -ne 0 ]; then
    # The target died where libFuzzer could not save the input (a stack overflow is a bare
    # SIGSEGV): find it by running the corpus one input at a time.
    echo "$t: the target exited with $code and no artifact; looking for the input in $dir"
    bin=target/x86_64-unknown-linux-gnu/release/$t
    for f in "$dir"/*; do
      if ! "$bin" -runs=1 "$f" >/dev/null 2>&1; then
        mkdir -p tests/fuzz-regressions/"$t"
        cp "$f" tests/fuzz-regressions/"$t"/
        echo "$t: $f fails; copied to tests/fuzz-regressions/$t/ (see fuzz/$t.log)"
        exit 1
      fi
    done
    echo "$t: no single input fails alone (see fuzz/$t.log)"
    exit 1
  fi
done
