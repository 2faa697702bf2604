# Build helper. `make demo` and `make test` are the README's two commands.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c
WASM_BINDGEN_VERSION := $(shell awk '/^name = "wasm-bindgen"$$/{getline; gsub(/"/,"",$$3); print $$3; exit}' Cargo.lock)
# The real public samples (tests/real-samples.toml and the real-data tests read them in place):
# ../shared/data beside this checkout, else beside the checkout this one was cloned from (CI runs
# in a fresh clone). Without them those tests print a note and pass.
T1586_SHARED_DATA ?= $(abspath $(firstword $(wildcard ../shared/data $(shell git config --get remote.origin.url 2>/dev/null)/../shared/data)))
export T1586_SHARED_DATA

.PHONY: demo test setup setup-rust setup-js setup-debian wasm js-build web rust-test rules-check js-test lint conformance clean

## Install what is missing, build the CLI and scan the bundled demo.
demo: setup-rust
	cargo build --release -p t1586
	./target/release/t1586 scan --format table

## Every test: Rust (native + wasmtime CLI), lint, the npm package under Node, the review page in Chromium.
test: setup lint rust-test rules-check js-test
	@echo "all tests passed"

setup: setup-rust setup-js setup-debian

setup-rust:
	@rustup target list --installed | grep -qx wasm32-unknown-unknown || rustup target add wasm32-unknown-unknown

setup-js: setup-rust
	@if ! command -v wasm-bindgen >/dev/null || [ "$$(wasm-bindgen --version | awk '{print $$2}')" != "$(WASM_BINDGEN_VERSION)" ]; then \
		cargo install wasm-bindgen-cli --version "$(WASM_BINDGEN_VERSION)"; fi
	@command -v wasm-pack >/dev/null || cargo install wasm-pack
	@command -v node >/dev/null || { echo "node is required (apt-get install nodejs npm)"; exit 1; }

# From Debian, in one apt-get run: Chromium for the browser tests (playwright-core drives it; no
# browser download); xz and the libraries of the real Fluent Bit the plugin tests run
# (../shared/engines/fluent-bit/README.md).
DEBIAN_PACKAGES := chromium xz-utils libsqlite3-0 libssl3 libyaml-0-2
setup-debian:
	@missing=$$(for p in $(DEBIAN_PACKAGES); do dpkg -s $$p >/dev/null 2>&1 || echo $$p; done); \
	if [ -n "$$missing" ]; then apt-get update && DEBIAN_FRONTEND=noninteractive apt-get install -y $$missing; fi

lint:
	cargo fmt --all -- --check
	cargo clippy --workspace --all-targets --release -- -D warnings
	cargo clippy -p t1586-detector --features abi --target wasm32-unknown-unknown --release -- -D warnings
	cargo clippy -p t1586-fluent-bit --target wasm32-unknown-unknown --release -- -D warnings
	cargo clippy -p t1586-detector --features sync --all-targets --release -- -D warnings

# `t1586 rules` through the languages' own parsers from PyPI (EQL: Elastic's `eql`; ES|QL:
# `esql-parser`, Elasticsearch's grammar; YARA-L: `tree-sitter-yaral`), in a virtualenv under
# target/ made again when the list below changes. KQL is checked by the Node tests (Microsoft's language
# service from npm), Sigma by `cargo test` (rsigma's parser and evaluator).
RULES_VENV := target/rules-venv
# The parsers `make rules-check` runs the generated rules through (PyPI).
RULES_PARSERS := eql==1.0.1 esql-parser==9.1.3 tree-sitter==0.26.1 tree-sitter-yaral==0.1.0
rules-check:
	@test "$$(cat $(RULES_VENV)/requirements 2>/dev/null)" = "$(RULES_PARSERS)" || { \
		python3 -m venv $(RULES_VENV) && $(RULES_VENV)/bin/pip install -q $(RULES_PARSERS) && echo "$(RULES_PARSERS)" > $(RULES_VENV)/requirements; }
	cargo build --release -p t1586
	$(RULES_VENV)/bin/python rules/check/parse.py target/release/t1586

rust-test:
	@[ -n "$(T1586_SHARED_DATA)" ] && echo "real samples: $(T1586_SHARED_DATA)" || echo "note: ../shared/data not found: the real-sample tests will be skipped"
	cargo test --workspace --release
	cargo test -p t1586-detector --features sync --release --lib  # texts behind `Arc`: Detector is Send
	cargo build --release -p t1586-fuzz --bins  # the fuzz targets build (fuzz/run.sh runs them)

# Built with the embedded core's profile (LTO, one codegen unit, opt-level 2; `js-release` in
# Cargo.toml): 4 % faster in Node than `--release` and 16 % smaller (commit b0cddf3). `--no-opt`: wasm-opt would be downloaded.
js-build: setup-js
	cd js && wasm-pack build --target web --out-dir pkg --out-name t1586 --profile js-release --no-opt .

## The offline review page: js/web/dist/index.html (served) and js/web/dist/t1586-review.html (one file).
web: js-build
	cd js && npm ci --no-audit --no-fund && node web/build.mjs

js-test: web setup-debian
	cd js && npm test

clean:
	cargo clean
	rm -rf js/pkg js/node_modules js/web/dist
