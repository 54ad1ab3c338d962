#!/usr/bin/env bash
# The tools make cannot install by itself (the Debian packages it can, it installs).
#
#   scripts/tools.sh rust          cargo >= Cargo.toml's rust-version
#   scripts/tools.sh rust node     and node >= tests/e2e/package.json's engines.node, with npm
#
# Prints one line for each tool that is missing or too old, saying how to get it, and exits 1
# if there is any.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"

RUST_MIN="$(sed -n 's/^rust-version *= *"\([0-9.]*\)".*/\1/p' "$ROOT/Cargo.toml")"
NODE_MIN="$(sed -n 's/.*"node": *">= *\([0-9][0-9]*\).*/\1/p' "$ROOT/tests/e2e/package.json")"
RUSTUP='install Rust '"$RUST_MIN"' with rustup (https://rustup.rs), then open a new shell'
NODE_HOW="needed by the browser tests of make test; install Node.js $NODE_MIN (https://nodejs.org/en/download, or apt-get install nodejs where apt has $NODE_MIN or later)"

missing=0
fail() { printf 'error: %s\n' "$*" >&2; missing=1; }
# Whether version $1 is at least $2 (dotted numbers).
at_least() { [[ "$(printf '%s\n' "$2" "$1" | sort -V | head -n 1)" == "$2" ]]; }

check_rust() {
  if ! command -v cargo >/dev/null 2>&1; then
    if [[ -x "$HOME/.cargo/bin/cargo" ]]; then
      fail "cargo is in ~/.cargo/bin but not on PATH: open a new shell (or run 'source ~/.cargo/env')"
    else
      fail "cargo not found: $RUSTUP"
    fi
    return
  fi
  local have
  have="$(cargo --version 2>/dev/null | awk '{print $2}')"
  if [[ -z "$have" ]] || ! at_least "${have%%-*}" "$RUST_MIN"; then
    if command -v rustup >/dev/null 2>&1; then
      fail "cargo ${have:-(unknown version)} is older than $RUST_MIN: run 'rustup update stable'"
    else
      fail "cargo ${have:-(unknown version)} is older than $RUST_MIN: $RUSTUP"
    fi
  fi
}

check_node() {
  if ! command -v node >/dev/null 2>&1; then
    fail "node >= $NODE_MIN not found: $NODE_HOW"
    return
  fi
  local have
  have="$(node --version 2>/dev/null)"
  have="${have#v}"
  if ! at_least "${have:-0}" "$NODE_MIN"; then
    fail "node ${have:-(unknown version)} is older than $NODE_MIN: $NODE_HOW"
  fi
  command -v npm >/dev/null 2>&1 \
    || fail "npm not found: needed by the browser tests of make test; install it with Node.js (e.g. apt-get install npm)"
}

for tool in "$@"; do
  case "$tool" in
    rust) check_rust ;;
    node) check_node ;;
    *) echo "usage: $(basename "$0") rust|node..." >&2; exit 2 ;;
  esac
done
exit "$missing"
