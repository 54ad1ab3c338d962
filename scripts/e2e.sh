#!/usr/bin/env bash
# Browser tests: node's built-in test runner + playwright-core driving the
# Debian chromium package. Expects target/debug/renkei (built by cargo test)
# unless RENKEI_BIN points elsewhere. Extra arguments go to `node --test`.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

# Chromium, and Japanese fonts so pages and screenshots show text rather than empty boxes.
need=()
[[ -x /usr/bin/chromium ]] || need+=(chromium)
dpkg -s fonts-noto-cjk >/dev/null 2>&1 || need+=(fonts-noto-cjk)
if (( ${#need[@]} )); then
  command -v apt-get >/dev/null 2>&1 || die "${need[*]} missing and apt-get is unavailable"
  sudo=()
  [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  say "installing ${need[*]} (apt-get); this can take a few minutes"
  # Lock::Timeout waits for any apt run already in progress.
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq "${need[@]}" >/dev/null
fi

command -v node >/dev/null 2>&1 || die "node (>= 20) is required for the browser tests"
node_major="$(node -p 'process.versions.node.split(".")[0]')"
(( node_major >= 20 )) || die "node >= 20 is required, found $(node --version)"

# Installed again when the lock file changed since (a package added).
if [[ ! -d tests/e2e/node_modules || tests/e2e/package-lock.json -nt tests/e2e/node_modules/.package-lock.json ]]; then
  if [[ -f tests/e2e/package-lock.json ]]; then
    say "npm ci (tests/e2e)"
    (cd tests/e2e && npm ci --no-audit --no-fund)
  else
    say "npm install (tests/e2e)"
    (cd tests/e2e && npm install --no-audit --no-fund)
  fi
fi

# schemathesis, pinned, in the project's own virtual environment.
"$ROOT/scripts/py-tools.sh"
export SCHEMATHESIS="$ROOT/.data/py/bin/schemathesis"

export RENKEI_BIN="${RENKEI_BIN:-$ROOT/target/debug/renkei}"
[[ -x "$RENKEI_BIN" ]] || die "$RENKEI_BIN not found; run 'cargo test' (or 'cargo build') first"

say "node --test tests/e2e/"
exec node --test "$@" tests/e2e/
