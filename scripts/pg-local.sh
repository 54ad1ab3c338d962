#!/usr/bin/env bash
# Project-local PostgreSQL cluster for development and tests.
#
#   scripts/pg-local.sh start    initialise (first run) and start the cluster,
#                                ensure role and database "renkei" exist
#   scripts/pg-local.sh stop     fast shutdown
#   scripts/pg-local.sh status   print running/stopped (exit 0 / 3)
#   scripts/pg-local.sh url      print the connection URL
#
# Data lives in .data/pg (log: .data/pg.log, sockets: .data/pg-run) at the
# repository root. The cluster listens on 127.0.0.1 only, with trust
# authentication: it is meant for a developer machine or CI runner, never for
# shared hosts.
#
# Port: RENKEI_PG_PORT when set; otherwise the one recorded in .data/pg-port;
# otherwise `start` picks a free one (54329 first, then the next ones, then
# random high ports), so a second checkout gets a cluster of its own beside
# the first. `start` records the port it runs on in .data/pg-port (also one
# given by RENKEI_PG_PORT), where `url` and the renkei binary find it. A
# recorded port that another process has taken since is given up for a free
# one; an explicit RENKEI_PG_PORT that is taken is an error.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
DATA_BASE="$ROOT/.data"
PGDATA_DIR="$DATA_BASE/pg"
SOCK_DIR="$DATA_BASE/pg-run"
LOG_FILE="$DATA_BASE/pg.log"
PORT_FILE="$DATA_BASE/pg-port"
DEFAULT_PORT=54329
HOST=127.0.0.1
DB_USER=renkei
DB_NAME=renkei
# initdb runs with --username=postgres, so the bootstrap superuser has the
# same name whether the cluster belongs to the postgres OS user (when this
# script runs as root) or to the invoking user.
SUPERUSER=postgres

say() { printf '==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

is_port() { [[ "$1" =~ ^[1-9][0-9]{0,4}$ ]] && (( $1 <= 65535 )); }

# Empty until `start` picks one when neither RENKEI_PG_PORT nor .data/pg-port names it.
PORT=""
EXPLICIT_PORT=0
if [[ -n "${RENKEI_PG_PORT:-}" ]]; then
  is_port "$RENKEI_PG_PORT" || die "RENKEI_PG_PORT must be a TCP port number, got '$RENKEI_PG_PORT'"
  PORT="$RENKEI_PG_PORT"
  EXPLICIT_PORT=1
elif [[ -f "$PORT_FILE" ]]; then
  PORT="$(tr -d '[:space:]' <"$PORT_FILE")"
  is_port "$PORT" || die "${PORT_FILE#"$ROOT"/} does not hold a TCP port number; remove it and retry"
fi

IS_ROOT=0
[[ "$(id -u)" == 0 ]] && IS_ROOT=1

# ---------------------------------------------------------------------------
# Server binaries
# ---------------------------------------------------------------------------

has_server_bins() { [[ -x "$1/initdb" && -x "$1/pg_ctl" && -x "$1/postgres" ]]; }

find_bindir() {
  local dir
  # An existing cluster must be run by the major version that created it.
  if [[ -f "$PGDATA_DIR/PG_VERSION" ]]; then
    dir="/usr/lib/postgresql/$(<"$PGDATA_DIR/PG_VERSION")/bin"
    if has_server_bins "$dir"; then echo "$dir"; return 0; fi
  fi
  if command -v pg_config >/dev/null 2>&1; then
    dir="$(pg_config --bindir 2>/dev/null || true)"
    if [[ -n "$dir" ]] && has_server_bins "$dir"; then echo "$dir"; return 0; fi
  fi
  local candidates=()
  shopt -s nullglob
  candidates=(/usr/lib/postgresql/*/bin)
  shopt -u nullglob
  if (( ${#candidates[@]} )); then
    while read -r dir; do
      if has_server_bins "$dir"; then echo "$dir"; return 0; fi
    done < <(printf '%s\n' "${candidates[@]}" | sort -V -r)
  fi
  return 1
}

install_postgres() {
  command -v apt-get >/dev/null 2>&1 \
    || die "no PostgreSQL server binaries found and apt-get is unavailable; install PostgreSQL (initdb, pg_ctl, postgres) and retry"
  local sudo=()
  if (( ! IS_ROOT )); then
    command -v sudo >/dev/null 2>&1 \
      || die "no PostgreSQL server binaries found; run 'apt-get install postgresql' as root"
    sudo=(sudo)
  fi
  say "installing PostgreSQL server (apt-get install postgresql); this can take a minute"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get -o DPkg::Lock::Timeout=600 install -y -qq postgresql >/dev/null
}

BINDIR="$(find_bindir || true)"
need_bindir() {
  if [[ -z "$BINDIR" ]]; then
    install_postgres
    BINDIR="$(find_bindir || true)"
    [[ -n "$BINDIR" ]] || die "PostgreSQL was installed but initdb/pg_ctl were not found under /usr/lib/postgresql/*/bin"
  fi
}

# Client tools: prefer the server's bindir, fall back to PATH.
client() {
  local tool="$1"; shift
  if [[ -n "$BINDIR" && -x "$BINDIR/$tool" ]]; then
    "$BINDIR/$tool" "$@"
  else
    command -v "$tool" >/dev/null 2>&1 || die "$tool not found; install postgresql-client"
    "$tool" "$@"
  fi
}

# ---------------------------------------------------------------------------
# Running server commands: PostgreSQL refuses to run as root, so under root
# everything touching the data directory runs as the postgres OS user.
# ---------------------------------------------------------------------------

as_pg() {
  if (( IS_ROOT )); then
    # cd / so the postgres user is never left in an unreadable cwd (/root).
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

pg_ctl_() { as_pg "$BINDIR/pg_ctl" -D "$PGDATA_DIR" "$@"; }

prepare_root_dirs() {
  (( IS_ROOT )) || return 0
  command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is required when running as root"
  if ! getent passwd postgres >/dev/null; then
    say "creating system user 'postgres' to own the cluster"
    useradd --system --user-group --home-dir /var/lib/postgresql --no-create-home \
      --shell /usr/sbin/nologin postgres
  fi
  mkdir -p "$DATA_BASE"
  # Every directory from / down to .data must be searchable (x) by postgres,
  # e.g. /root is usually 0700. Only the search bit is added, never read.
  local d="$DATA_BASE" dirs=()
  while :; do
    dirs=("$d" "${dirs[@]}")
    [[ "$d" == / ]] && break
    d="$(dirname "$d")"
  done
  for d in "${dirs[@]}"; do
    if ! runuser -u postgres -- test -x "$d" 2>/dev/null; then
      chmod o+x "$d" || die "cannot make $d searchable for the postgres user; move the repository or set RENKEI__DATABASE__URL"
      say "chmod o+x $d (the postgres user must be able to traverse it to reach $PGDATA_DIR)"
    fi
  done
  mkdir -p "$PGDATA_DIR" "$SOCK_DIR"
  touch "$LOG_FILE"
  chown postgres: "$PGDATA_DIR" "$SOCK_DIR" "$LOG_FILE"
  chmod 0700 "$PGDATA_DIR"
}

# ---------------------------------------------------------------------------
# Helpers
# ---------------------------------------------------------------------------

cluster_running() {
  [[ -n "$BINDIR" && -f "$PGDATA_DIR/PG_VERSION" ]] || return 1
  pg_ctl_ status >/dev/null 2>&1
}

# Port recorded by the running postmaster (line 4 of postmaster.pid).
running_port() { sed -n 4p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true; }
running_pid() { sed -n 1p "$PGDATA_DIR/postmaster.pid" 2>/dev/null || true; }

# Something listens on TCP port $1, or a PostgreSQL elsewhere on this machine holds its
# socket lock (the system cluster's directories; other checkouts keep theirs in their .data).
port_in_use() {
  local dir
  (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null && return 0
  for dir in /run/postgresql /var/run/postgresql /tmp; do
    [[ -e "$dir/.s.PGSQL.$1.lock" ]] && return 0
  done
  return 1
}

# A free port: 54329 first, then the next 50, then random ones above 49152.
pick_port() {
  local p i
  for (( p = DEFAULT_PORT; p <= DEFAULT_PORT + 50; p++ )); do
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  for (( i = 0; i < 100; i++ )); do
    p=$(( 49152 + (RANDOM * 32768 + RANDOM) % 16000 ))
    port_in_use "$p" || { echo "$p"; return 0; }
  done
  die "no free TCP port found on $HOST; set RENKEI_PG_PORT=<port>"
}

record_port() {
  mkdir -p "$DATA_BASE"
  [[ "$(cat "$PORT_FILE" 2>/dev/null)" == "$PORT" ]] || echo "$PORT" >"$PORT_FILE"
}

psql_su() {
  client psql -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$PORT" -U "$SUPERUSER" -d postgres "$@"
}

init_cluster() {
  [[ -f "$PGDATA_DIR/PG_VERSION" ]] && return 0
  if [[ -d "$PGDATA_DIR" ]] && [[ -n "$(ls -A "$PGDATA_DIR" 2>/dev/null)" ]]; then
    die "$PGDATA_DIR exists but is not a PostgreSQL cluster; remove it (make clean-data) and retry"
  fi
  mkdir -p "$PGDATA_DIR"
  prepare_root_dirs
  local locale_opt=(--no-locale)
  if locale -a 2>/dev/null | grep -qiE '^c\.utf-?8$'; then
    locale_opt=(--locale=C.UTF-8)
  fi
  say "initialising cluster in ${PGDATA_DIR#"$ROOT"/} ($("$BINDIR/postgres" --version))"
  as_pg "$BINDIR/initdb" -D "$PGDATA_DIR" --username="$SUPERUSER" --auth=trust \
    -E UTF8 "${locale_opt[@]}" >"$LOG_FILE.init" 2>&1 || {
      cat "$LOG_FILE.init" >&2
      die "initdb failed"
    }
  rm -f "$LOG_FILE.init"
  # Settings that must follow the checkout/port live in renkei.conf, which is
  # rewritten on every start.
  printf "\ninclude_if_exists = 'renkei.conf'\n" \
    | as_pg tee -a "$PGDATA_DIR/postgresql.conf" >/dev/null
}

write_local_conf() {
  local sock="$SOCK_DIR"
  # Unix socket paths are limited to 107 bytes; everything here connects over
  # TCP anyway, so skip the socket when the checkout path is very deep.
  if (( ${#sock} + 20 > 107 )); then
    say "socket dir path too long for a unix socket; listening on TCP only"
    sock=""
  fi
  local conf sq="'"
  conf="# Written by scripts/pg-local.sh on every start; edits are overwritten.
listen_addresses = '$HOST'
port = $PORT
unix_socket_directories = '${sock//$sq/$sq$sq}'
max_connections = 200
# Throwaway development data: trade durability for speed (tests create and
# drop many databases).
fsync = off
synchronous_commit = off
full_page_writes = off
log_checkpoints = off
# The bench database (about 420 MB with 2,000,000 transactions) and pgbench's fit in the
# buffer cache, instead of being read back from the kernel's page cache on every miss.
# Pages are only allocated as they are used.
shared_buffers = 1GB
log_line_prefix = '%m [%p] %q%u@%d '
"
  printf '%s' "$conf" | as_pg tee "$PGDATA_DIR/renkei.conf" >/dev/null
}

wait_ready() {
  local deadline=$((SECONDS + 30))
  until client pg_isready -q -h "$HOST" -p "$PORT" -U "$SUPERUSER" -d postgres -t 2; do
    if (( SECONDS >= deadline )); then
      printf 'error: PostgreSQL did not become ready on %s:%s within 30s; last lines of %s:\n' \
        "$HOST" "$PORT" "$LOG_FILE" >&2
      tail -n 25 "$LOG_FILE" >&2 || true
      exit 1
    fi
    sleep 0.5
  done
}

ensure_role_and_db() {
  if [[ "$(psql_su -tAc "SELECT 1 FROM pg_roles WHERE rolname = '$DB_USER'")" != 1 ]]; then
    say "creating role $DB_USER"
    psql_su -c "CREATE ROLE $DB_USER LOGIN SUPERUSER"
  fi
  if [[ "$(psql_su -tAc "SELECT 1 FROM pg_database WHERE datname = '$DB_NAME'")" != 1 ]]; then
    say "creating database $DB_NAME"
    psql_su -c "CREATE DATABASE $DB_NAME OWNER $DB_USER"
  fi
}

# Before any start has recorded a port: the running cluster's, else the first choice.
url() {
  local port="$PORT"
  if [[ -z "$port" ]]; then
    cluster_running && port="$(running_port)"
    port="${port:-$DEFAULT_PORT}"
  fi
  echo "postgres://$DB_USER@$HOST:$port/$DB_NAME"
}

# ---------------------------------------------------------------------------
# Commands
# ---------------------------------------------------------------------------

cmd_start() {
  need_bindir
  if cluster_running; then
    local rport
    rport="$(running_port)"
    # A cluster started before its port was recorded keeps its port.
    [[ -n "$PORT" ]] || PORT="$rport"
    if [[ -n "$rport" && "$rport" != "$PORT" ]]; then
      die "local cluster is already running on port $rport, not $PORT; run 'scripts/pg-local.sh stop' first or set RENKEI_PG_PORT=$rport"
    fi
    record_port
    say "local PostgreSQL already running on $HOST:$PORT (pid $(running_pid))"
  else
    if [[ -z "$PORT" ]]; then
      PORT="$(pick_port)"
      say "using port $PORT (recorded in ${PORT_FILE#"$ROOT"/})"
    elif port_in_use "$PORT"; then
      if (( EXPLICIT_PORT )); then
        die "port $PORT on $HOST is already in use by another process; choose a free port with RENKEI_PG_PORT=<port> (e.g. RENKEI_PG_PORT=$((PORT + 1)))"
      fi
      local taken="$PORT"
      PORT="$(pick_port)"
      say "port $taken is now used by another process; using port $PORT (recorded in ${PORT_FILE#"$ROOT"/})"
    fi
    record_port
    init_cluster
    prepare_root_dirs
    mkdir -p "$SOCK_DIR"
    write_local_conf
    say "starting PostgreSQL on $HOST:$PORT (log: ${LOG_FILE#"$ROOT"/})"
    if ! pg_ctl_ -l "$LOG_FILE" -w -t 30 start >/dev/null; then
      printf 'error: PostgreSQL failed to start; last lines of %s:\n' "$LOG_FILE" >&2
      tail -n 25 "$LOG_FILE" >&2 || true
      exit 1
    fi
  fi
  wait_ready
  ensure_role_and_db
  say "ready: $(url)"
}

cmd_stop() {
  if cluster_running; then
    say "stopping local PostgreSQL (pid $(running_pid))"
    pg_ctl_ stop -m fast -w >/dev/null
    say "stopped"
  else
    say "local PostgreSQL is not running"
  fi
}

cmd_status() {
  if cluster_running; then
    echo "running (port $(running_port), pid $(running_pid), data ${PGDATA_DIR#"$ROOT"/})"
  else
    echo "stopped"
    return 3
  fi
}

case "${1:-}" in
  start) cmd_start ;;
  stop) cmd_stop ;;
  status) cmd_status ;;
  url) url ;;
  *)
    echo "usage: $(basename "$0") start|stop|status|url" >&2
    echo "  port: RENKEI_PG_PORT, else .data/pg-port, else a free one from $DEFAULT_PORT; data: .data/pg" >&2
    exit 2
    ;;
esac
