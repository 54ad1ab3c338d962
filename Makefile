# Renkei developer tasks (GNU make).
#
#   make run         local PostgreSQL + release build + migrate/tenants/demo, then serve
#                    http://127.0.0.1:8080 and https://127.0.0.1:8443 (development CA)
#   make test        local PostgreSQL + cargo test (+ browser tests when present)
#   make test-resilience  PostgreSQL restarted under load, a server killed mid-consent
#   make lint        rustfmt check + clippy with warnings denied
#
# Needs Rust (rustup) and, for make test's browser tests, Node.js: `make tools` checks them.
# Set RENKEI__DATABASE__URL to use an existing database instead of the
# project-local cluster in .data/pg (port: RENKEI_PG_PORT, else the one recorded in
# .data/pg-port, else a free one from 54329; see scripts/pg-local.sh).

SHELL := bash
.SHELLFLAGS := -eu -o pipefail -c
.DEFAULT_GOAL := help
# Prerequisites (deps, db, build) must run in order.
.NOTPARALLEL:

PG := scripts/pg-local.sh
BIN := target/release/renkei
# Debian packages needed to build (openssl-sys), and the openssl tool the CRL test uses.
BUILD_PKGS := pkg-config libssl-dev openssl

.PHONY: help tools tools-node deps db db-stop build run test test-resilience e2e bench fuzz fmt lint clean-data

help:
	@echo "targets: tools deps db db-stop build run test test-resilience e2e bench fmt lint clean-data"

# What make cannot install itself: one line for each missing tool, and how to get it.
tools:
	@scripts/tools.sh rust

tools-node:
	@scripts/tools.sh rust node

deps:
	@missing=(); \
	if command -v dpkg >/dev/null 2>&1; then \
	  for p in $(BUILD_PKGS); do \
	    dpkg -s "$$p" >/dev/null 2>&1 || missing+=("$$p"); \
	  done; \
	else \
	  echo "==> dpkg not found; assuming build dependencies ($(BUILD_PKGS)) are installed"; \
	fi; \
	if (( $${#missing[@]} )); then \
	  sudo=(); [[ "$$(id -u)" == 0 ]] || sudo=(sudo); \
	  echo "==> installing $${missing[*]}"; \
	  "$${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq; \
	  "$${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "$${missing[@]}" >/dev/null; \
	fi
# PostgreSQL itself is installed on demand by $(PG).

db:
	@if [[ -n "$${RENKEI__DATABASE__URL:-}" ]]; then \
	  echo "==> using configured database from RENKEI__DATABASE__URL"; \
	else \
	  $(PG) start; \
	fi

db-stop:
	@$(PG) stop

build: tools
	cargo build --release --locked

# HTTPS beside HTTP, with the development CA and certificates of `renkei demo certs`.
TLS_DIR := .data/tls
# The development key-encryption key (keys.kek_file), made once by `make run`.
DEV_KEK := .data/kek

run: tools deps db build
	@if [[ -z "$${RENKEI__DATABASE__URL:-}" ]]; then \
	  export RENKEI__DATABASE__URL="$$($(PG) url)"; \
	fi; \
	export RENKEI__TLS__BIND="$${RENKEI__TLS__BIND:-127.0.0.1:8443}"; \
	export RENKEI__TLS__CERT="$${RENKEI__TLS__CERT:-$(TLS_DIR)/server.pem}"; \
	export RENKEI__TLS__KEY="$${RENKEI__TLS__KEY:-$(TLS_DIR)/server-key.pem}"; \
	export RENKEI__TLS__PARTNER_CA="$${RENKEI__TLS__PARTNER_CA:-$(TLS_DIR)/ca.pem}"; \
	if [[ -z "$${RENKEI__KEYS__KEK_FILE:-}" ]]; then \
	  [[ -f $(DEV_KEK) ]] || $(BIN) keys new-kek $(DEV_KEK); \
	  export RENKEI__KEYS__KEK_FILE=$(DEV_KEK); \
	fi; \
	set -x; \
	$(BIN) migrate; \
	$(BIN) tenants apply tenants; \
	$(BIN) demo seed; \
	$(BIN) demo certs --dir $(TLS_DIR); \
	exec $(BIN) serve

test: tools-node deps db
	@scripts/py-tools.sh
	@export RENKEI_TEST_DATABASE_URL="$${RENKEI__DATABASE__URL:-$$($(PG) url)}"; \
	export RENKEI_TEST_PYTHON="$(CURDIR)/.data/py/bin/python"; \
	echo "==> cargo test --locked"; \
	cargo test --locked; \
	if [[ -f tests/e2e/package.json ]]; then \
	  scripts/e2e.sh; \
	fi

# Fault scenarios that take the project-local PostgreSQL down or kill a server: they run alone,
# one at a time, and print their figures.
test-resilience: tools deps db
	@if [[ -n "$${RENKEI__DATABASE__URL:-}" ]]; then \
	  echo "test-resilience restarts the project-local PostgreSQL; unset RENKEI__DATABASE__URL" >&2; exit 1; \
	fi; \
	export RENKEI_TEST_DATABASE_URL="$$($(PG) url)"; \
	echo "==> cargo test --locked --test api resilience -- --ignored"; \
	cargo test --locked --test api resilience -- --ignored --test-threads=1 --nocapture

# Browser tests only (expects target/debug/renkei from a previous cargo test/build).
e2e: tools-node deps db
	@export RENKEI_TEST_DATABASE_URL="$${RENKEI__DATABASE__URL:-$$($(PG) url)}"; \
	scripts/e2e.sh

# wrk against a release build on a database seeded at scale; writes docs/benchmarks.md.
bench: tools deps
	@scripts/bench.sh

# Fuzz each outside-input parser for FUZZ_SECONDS (default 60) with cargo-fuzz (libFuzzer).
# cargo-fuzz needs unstable compiler flags; RUSTC_BOOTSTRAP lets the stable toolchain give them.
FUZZ_SECONDS ?= 60
fuzz: tools
	@command -v cargo-fuzz >/dev/null 2>&1 || cargo install --locked cargo-fuzz
	@for t in authorize_request token_request api_query tenant_toml; do \
	  echo "==> cargo fuzz run $$t ($(FUZZ_SECONDS) s)"; \
	  mkdir -p fuzz/corpus/$$t; \
	  RUSTC_BOOTSTRAP=1 cargo fuzz run $$t fuzz/corpus/$$t -- -max_total_time=$(FUZZ_SECONDS) -max_len=4096; \
	done

fmt: tools
	cargo fmt

lint: tools
	cargo fmt --check
	cargo clippy --all-targets --locked -- -D warnings

clean-data:
	@if [[ -d .data/pg ]]; then $(PG) stop; fi
	rm -rf .data
