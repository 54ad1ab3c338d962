#!/usr/bin/env bash
# The Python tools the tests use, pinned, in a virtual environment of the project's own (.data/py):
# aiosmtpd (a real SMTP server for the mail tests) and schemathesis (API property tests).
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
venv="$ROOT/.data/py"
pins=(schemathesis==4.32.5 aiosmtpd==1.4.6)
say() { printf '==> %s\n' "$*"; }

have_all() {
  [[ -x "$venv/bin/python" ]] || return 1
  local frozen
  frozen="$("$venv/bin/pip" freeze --disable-pip-version-check 2>/dev/null)" || return 1
  for pin in "${pins[@]}"; do
    grep -qix "$pin" <<<"$frozen" || return 1
  done
}

if ! have_all; then
  if ! python3 -c 'import venv, ensurepip' >/dev/null 2>&1; then
    sudo=()
    [[ "$(id -u)" == 0 ]] || sudo=(sudo)
    say "installing python3-venv (apt-get)"
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 update -qq
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq python3-venv >/dev/null
  fi
  say "installing ${pins[*]} into .data/py"
  mkdir -p "$ROOT/.data"
  [[ -x "$venv/bin/python" ]] || python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet --disable-pip-version-check "${pins[@]}"
fi
