#!/usr/bin/env bash
# make bench: the hot paths measured with wrk on loopback against a release build on a database
# seeded at scale, beside pgbench -S on the same PostgreSQL; the report goes to docs/benchmarks.md.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
cd "$ROOT"
say() { printf '==> [%d:%02d] %s\n' $((SECONDS / 60)) $((SECONDS % 60)) "$*" >&2; }

RUNS="${BENCH_RUNS:-3}"; (( RUNS <= 5 )) || { echo "BENCH_RUNS is at most 5 (refresh token sets)" >&2; exit 2; }
RUNS="$RUNS" SECS="${BENCH_SECS:-5}" CONNS="${BENCH_CONNS:-32}" THREADS="${BENCH_THREADS:-2}"
PORT="${BENCH_PORT:-18080}"
export BENCH_DIR="$ROOT/target/bench" BENCH_THREADS="$THREADS"
export BENCH_FROM="$(date -d '-200 days' +%Y-%m-%d)"
# BENCH_BIN: another build of renkei to measure (say, the one of before a change), as it is.
BIN="${BENCH_BIN:-$ROOT/target/release/renkei}"
mkdir -p "$BENCH_DIR"
# What wrk counted as errors, run by run, and the error statuses the servers answered with.
: > "$BENCH_DIR/errors.txt"
: > "$BENCH_DIR/statuses.txt"

need=()
command -v wrk >/dev/null || need+=(wrk)
command -v pgbench >/dev/null || need+=(postgresql-contrib)
if (( ${#need[@]} )); then
  sudo=(); [[ "$(id -u)" == 0 ]] || sudo=(sudo)
  say "installing ${need[*]}"
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 update -qq
  "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq "${need[@]}" >/dev/null
fi

if [[ -z "${BENCH_BIN:-}" ]]; then
  say "building release"
  cargo build --release --locked 2>&1 | tail -n 1 >&2
fi

if [[ -n "${RENKEI__DATABASE__URL:-}" ]]; then ADMIN="$RENKEI__DATABASE__URL"; else scripts/pg-local.sh start >&2; ADMIN="$(scripts/pg-local.sh url)"; fi
BASE_URL="${ADMIN%/*}"
for db in renkei_bench renkei_pgbench; do
  psql "$ADMIN" -qc "DROP DATABASE IF EXISTS $db WITH (FORCE)" -qc "CREATE DATABASE $db" 2>/dev/null
done
export RENKEI__DATABASE__URL="$BASE_URL/renkei_bench"
export RENKEI__NOTICES__SCHEDULER=false RENKEI__LOG__FILTER=warn RENKEI__DATABASE__POOL_SIZE="${BENCH_POOL:-32}"
# One bench partner refreshes as fast as wrk can, and the login storm comes from one address:
# lift those rate limits.
export RENKEI__LIMITS__TOKEN_PER_CLIENT__MAX=100000000
export RENKEI__LIMITS__LOGIN_PER_IP__MAX=100000000 RENKEI__LIMITS__LOGIN_PER_ID__MAX=100000000
# A key-encryption key of the run's own (a binary of before that has no keys.kek_file goes without).
if "$BIN" keys --help >/dev/null 2>&1; then
  rm -f "$BENCH_DIR/kek"
  "$BIN" keys new-kek "$BENCH_DIR/kek" >&2
  export RENKEI__KEYS__KEK_FILE="$BENCH_DIR/kek"
fi

say "seeding: 2 tenants, 10,000 customers, 20,000 live grants, 2,000,000 transactions"
"$BIN" tenants apply tenants >&2
"$BIN" bench seed --customers-per-tenant 5000 --transactions-per-account 200 --out "$BENCH_DIR"

server_pid=""
servers=()
declare -A pid_at
# The metrics listener of the server at port $1 (metrics.bind is never the public port).
metrics_port() { echo $(( $1 + 1000 )); }
# Starts `renkei serve` on $RENKEI__DATABASE__URL and $PORT; its pid goes to server_pid.
start_server() {
  RENKEI__HTTP__BIND="127.0.0.1:$PORT" RENKEI__HTTP__PUBLIC_URL="http://127.0.0.1:$PORT" \
    RENKEI__METRICS__BIND="127.0.0.1:$(metrics_port "$PORT")" \
    "$BIN" serve > "$BENCH_DIR/server-$PORT.log" 2>&1 &
  server_pid=$!
  servers+=("$server_pid")
  pid_at[$PORT]=$server_pid
  # With 1,000 tenants, start-up checks every schema's migrations first (about 10 s here).
  for _ in $(seq 1200); do curl -fs "http://127.0.0.1:$PORT/healthz" >/dev/null && return; sleep 0.1; done
  echo "server did not start" >&2; cat "$BENCH_DIR/server-$PORT.log" >&2; exit 1
}
stop_servers() {
  for pid in "${servers[@]}"; do kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null || true; done
  servers=(); server_pid=""
}
trap stop_servers EXIT
rss_kb() { awk '/VmRSS/ {print $2}' "/proc/$server_pid/status"; }
# Appends "label, route, status, count" (tab-separated) for each answer of status 400 or above
# that the server at port $1 counted (its /metrics); $2 names the server in the report.
error_statuses() {
  curl -fs "http://127.0.0.1:$(metrics_port "$1")/metrics" | awk -v label="$2" -v OFS='\t' '
    /^renkei_http_requests_total\{/ && match($0, /status="[0-9]+"/) {
      status = substr($0, RSTART + 8, RLENGTH - 9)
      if (status + 0 >= 400 && match($0, /route="[^"]*"/)) print label, substr($0, RSTART + 7, RLENGTH - 8), status, $NF
    }' >> "$BENCH_DIR/statuses.txt" || true
}

# "statements calls" that the server at port $1 has counted for question $2 (its /metrics).
shared_counts() {
  curl -fs "http://127.0.0.1:$(metrics_port "$1")/metrics" | awk -v q="question=\"$2\"" '
    index($0, q) && /^renkei_db_shared_statements_total/ {s = $NF}
    index($0, q) && /^renkei_db_shared_statement_calls_total/ {c = $NF}
    END {print s + 0, c + 0}'
}
# Adds the statements and calls counted since "before" ($3) to the totals named $4 (an array).
shared_since() {
  local now; now="$(shared_counts "$1" "$2")"
  local -n totals="$4"
  totals+=("$(awk -v a="$3" -v b="$now" 'BEGIN {split(a, x, " "); split(b, y, " "); print y[1] - x[1], y[2] - x[2]}')")
}

# CPU time, in clock ticks, used so far: by one process (all its threads, ended ones too); by
# PostgreSQL (the postmaster, its live children, and the children it has reaped); by the machine
# (idle, I/O wait and steal left out). The postmaster's pid is the first line of postmaster.pid in
# its data directory; with a PostgreSQL this script cannot read that of, its share stays blank.
TICK="$(getconf CLK_TCK)"
stat_of() { sed 's/^.*) //' "/proc/$1/stat" 2>/dev/null; }
ticks_of() { stat_of "$1" | awk '{print $12 + $13}'; }
postmaster="$(d="$(psql "$ADMIN" -Atc 'SHOW data_directory' 2>/dev/null)" && head -n 1 "$d/postmaster.pid" 2>/dev/null || true)"
[[ -n "$postmaster" && -r "/proc/$postmaster/stat" ]] || postmaster=""
pg_ticks() {
  [[ -n "$postmaster" ]] || { echo 0; return; }
  { stat_of "$postmaster" | awk '{print $12 + $13 + $14 + $15}'
    for child in $(pgrep -P "$postmaster"); do ticks_of "$child"; done; } | awk '{t += $1} END {print t + 0}'
}
busy_ticks() { awk '/^cpu / {print $2 + $3 + $4 + $7 + $8}' /proc/stat; }
# "server pg busy" ticks now, for the server at $1.
cpu_now() { echo "$(ticks_of "$1") $(pg_ticks) $(busy_ticks)"; }
# µs of CPU per request between two cpu_now readings: "server pg busy" ("-" for PostgreSQL elsewhere).
per_request() {
  awk -v a="$1" -v b="$2" -v n="$3" -v tick="$TICK" -v pg="$postmaster" 'BEGIN {
    split(a, x, " "); split(b, y, " "); f = 1e6 / tick / n
    printf "%.0f %s %.0f\n", (y[1] - x[1]) * f, pg == "" ? "-" : sprintf("%.0f", (y[2] - x[2]) * f), (y[3] - x[3]) * f }'
}

# One wrk run: prints "rps p50_ms p99_ms errors server_us pg_us busy_us", the last three the CPU
# time per request of the server, of PostgreSQL and of the whole machine.
wrk_once() {
  local script="$1" path="$2" port="${TARGET_PORT:-$PORT}" out before
  before="$(cpu_now "${pid_at[$port]}")"
  out="$(wrk -t"$THREADS" -c"$CONNS" -d"${SECS}s" --latency ${script:+-s "$script"} "http://127.0.0.1:$port$path")"
  local cpu requests rps p50 p99 errors non2xx
  cpu="$(cpu_now "${pid_at[$port]}")"
  requests="$(awk '/requests in/ {print $1}' <<<"$out")"
  rps="$(awk '/Requests\/sec/ {print $2}' <<<"$out")"
  p50="$(awk '$1=="50%" {print $2}' <<<"$out")"
  p99="$(awk '$1=="99%" {print $2}' <<<"$out")"
  non2xx="$(awk '/Non-2xx/ {print $5}' <<<"$out")"
  # wrk prints "Socket errors: connect C, read R, write W, timeout T" only when there were some.
  local connect read write timeout
  read -r connect read write timeout < <(awk '/Socket errors/ {gsub(",",""); c = $4; r = $6; w = $8; t = $10}
    END {print c + 0, r + 0, w + 0, t + 0}' <<<"$out")
  errors=$(( connect + read + write + timeout ))
  if (( ${non2xx:-0} + errors )); then
    echo "${BENCH_NAME:-?} run ${BENCH_RUN:-?}: ${non2xx:-0} answers of status 400 or above; socket errors: connect $connect, read $read, write $write, timeout $timeout" >> "$BENCH_DIR/errors.txt"
  fi
  echo "$rps $(to_ms "$p50") $(to_ms "$p99") $(( ${non2xx:-0} + errors )) $(per_request "$before" "$cpu" "${requests:-1}")"
}
to_ms() { awk -v v="$1" 'BEGIN { if (v ~ /us$/) { sub("us","",v); print v/1000 } else if (v ~ /ms$/) { sub("ms","",v); print v } else { sub("s","",v); print v*1000 } }'; }
median() { sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

# "name rps p50 p99 errors server_us pg_us busy_us" from the rows of a scenario's runs: medians,
# and errors summed.
summary() {
  local name="$1" rows="$2"
  printf '%s\n' "$rows" > "$BENCH_DIR/$name.runs"
  local col cols=()
  for col in 1 2 3; do cols+=("$(awk -v c=$col '{print $c}' <<<"$rows" | median)"); done
  cols+=("$(awk '{s+=$4} END {print s}' <<<"$rows")")
  for col in 5 6 7; do cols+=("$(awk -v c=$col '{print $c}' <<<"$rows" | median)"); done
  echo "$name ${cols[*]}"
}

# One pgbench run for SECS with CONNS clients (its other arguments: "$@"): prints "tps busy_us",
# the second the machine's CPU time per transaction, pgbench's own client included.
pgbench_once() {
  local before after out txns
  before="$(busy_ticks)"
  out="$(pgbench -c "$CONNS" -j "$THREADS" -T "$SECS" "$@" 2>/dev/null)"
  after="$(busy_ticks)"
  txns="$(awk '/transactions actually processed/ {split($NF, n, "/"); print n[1]}' <<<"$out")"
  awk -v tps="$(awk '/^tps/ {print $3; exit}' <<<"$out")" -v d=$(( after - before )) -v n="${txns:-1}" -v tick="$TICK" \
    'BEGIN {printf "%s %.0f\n", tps, d * 1e6 / tick / n}'
}

# Runs a scenario RUNS times; prints its summary.
scenario() {
  local name="$1" script="$2" path="$3" rows=()
  say "wrk: $name ($RUNS × ${SECS}s, $CONNS connections)"
  for run in $(seq "$RUNS"); do rows+=("$(BENCH_NAME=$name BENCH_RUN=$run wrk_once "$script" "$path")"); done
  summary "$name" "$(printf '%s\n' "${rows[@]}")"
}

start_server
sleep 1
RSS_IDLE="$(rss_kb)"
results=()
RSS_MAX=0
( while kill -0 "$server_pid" 2>/dev/null; do rss_kb; sleep 0.5; done ) > "$BENCH_DIR/rss.samples" &
sampler=$!
# The endpoints that the targets compare with pgbench -S, and pgbench -S itself, take turns: each
# round runs each of them once. The machine's speed drifts by a fifth within minutes, and so all
# their medians come from the same minutes of it.
pgbench -q -i -s 10 "$BASE_URL/renkei_pgbench" >/dev/null 2>&1
declare -A rounds=() script_of=([healthz]="" [balances]=bench/balances.lua [transactions]=bench/transactions.lua [introspection]=bench/introspect.lua)
declare -A path_of=([healthz]=/healthz [balances]=/ [transactions]=/ [introspection]=/)
turns=(healthz balances transactions introspection)
pg_runs=() pg_busy=()
for run in $(seq "$RUNS"); do
  say "round $run of $RUNS: ${turns[*]} (wrk, $CONNS connections) and pgbench -S ($CONNS clients), ${SECS}s each"
  for name in "${turns[@]}"; do
    rounds[$name]+="$(BENCH_NAME=$name BENCH_RUN=$run wrk_once "${script_of[$name]}" "${path_of[$name]}")"$'\n'
  done
  read -r tps busy < <(pgbench_once -S "$BASE_URL/renkei_pgbench")
  pg_runs+=("$tps")
  pg_busy+=("$busy")
done
for name in "${turns[@]}"; do results+=("$(summary "$name" "${rounds[$name]%$'\n'}")"); done
PG_TPS="$(printf '%s\n' "${pg_runs[@]}" | median)"
PG_BUSY_US="$(printf '%s\n' "${pg_busy[@]}" | median)"
# The transactions page's statement alone, by pgbench: what a page costs PostgreSQL and a client
# that reads its rows, without the server, the token check or HTTP.
say "pgbench: the transactions page's statement alone ($CONNS clients, ${SECS}s)"
cat > "$BENCH_DIR/page.sql" <<SQL
\\set k random(1, 5000)
SELECT id, transaction_date, value_date, transaction_type, amount, remarks, balance
  FROM tenant_kitami.transactions
 WHERE account_id = '20101' || lpad(CAST(:k AS text), 7, '0')
   AND transaction_date >= '$BENCH_FROM' AND transaction_date <= '$(date +%Y-%m-%d)'
 ORDER BY transaction_date, id LIMIT 101;
SQL
read -r PAGE_TPS PAGE_BUSY_US < <(pgbench_once -n -M prepared -f "$BENCH_DIR/page.sql" "$RENKEI__DATABASE__URL")
results+=("$(scenario refresh bench/refresh.lua /)")
# Balances from 8 connections: first as fast as they go, then each pausing 1 ms between calls (a
# load with room to spare, where latency is the service's and not a queue's), alone and then while
# 32 connections sign in to the console without pause (each sign-in verifies a password with Argon2).
results+=("$(CONNS=8 scenario balances-8-connections bench/balances.lua /)")
export BENCH_PAUSE_MS=1
results+=("$(CONNS=8 scenario balances-8-paced bench/balances_paced.lua /)")
say "login storm: 32 connections signing in, for the whole of the next scenario"
wrk -t1 -c32 -d"$(( RUNS * (SECS + 1) + 2 ))s" -s bench/login_storm.lua "http://127.0.0.1:$PORT/t/kitami/admin/login" > "$BENCH_DIR/storm.out" &
storm=$!
sleep 1
results+=("$(CONNS=8 scenario balances-8-paced-during-login-storm bench/balances_paced.lua /)")
wait "$storm" || true
STORM_RPS="$(awk '/Requests\/sec/ {print $2}' "$BENCH_DIR/storm.out")"
# Balances while the bank's files come in: today's 入出金取引明細 of 1,000 accounts × 200
# movements each, slice after slice of both tenants' accounts, imported one after another for the
# whole of the next scenario (a binary of before without `core import` skips it).
IMPORT_SECS=""
if "$BIN" core --help >/dev/null 2>&1; then
  say "writing 10 statements of 1,000 accounts × 200 movements (200,000 each) for the import scenario"
  files=()
  for tenant in kitami hokuto; do
    for k in 0 1 2 3 4; do
      f="$BENCH_DIR/import-$tenant-$k.txt"
      "$BIN" bench zengin --tenant "$tenant" --skip $(( k * 1000 )) --accounts 1000 --movements 200 --out "$f" >&2
      files+=("$tenant:$f")
    done
  done
  rm -f "$BENCH_DIR/import.stop" "$BENCH_DIR/import.secs"
  (
    for entry in "${files[@]}"; do
      [[ -f "$BENCH_DIR/import.stop" ]] && break
      start="$(date +%s.%N)"
      "$BIN" core import --tenant "${entry%%:*}" "${entry#*:}" >/dev/null 2>>"$BENCH_DIR/import.log"
      awk -v a="$start" -v b="$(date +%s.%N)" 'BEGIN { printf "%.2f\n", b - a }' >> "$BENCH_DIR/import.secs"
    done
  ) &
  importer=$!
  sleep 0.5
  results+=("$(CONNS=8 scenario balances-8-paced-during-import bench/balances_paced.lua /)")
  touch "$BENCH_DIR/import.stop"
  wait "$importer" || true
  IMPORT_SECS="$(paste -sd' ' "$BENCH_DIR/import.secs")"
fi
kill "$sampler" 2>/dev/null || true
RSS_MAX="$(sort -n "$BENCH_DIR/rss.samples" | tail -n 1)"

say "EXPLAIN of the transactions page query"
read -r tok acct tenant < <(head -n 1 "$BENCH_DIR/access.txt")
EXPLAIN="$("$BIN" bench explain --tenant "$tenant" --token "$tok" --account "$acct" --from "$BENCH_FROM" --to "$(date +%Y-%m-%d)")"

# 1,000 tenants against 2, on two copies of the same database: the 2-tenant one as it is, the
# other with 998 small tenants added. Their runs alternate, so that both meet the same moments of
# a shared machine.
say "copying the bench database and provisioning 1,000 tenant schemas in the copy"
error_statuses "$PORT" "the scenarios' server"
SHARED_SCENARIOS="balances $(shared_counts "$PORT" balances) introspection $(shared_counts "$PORT" introspection)"
stop_servers
psql "$ADMIN" -qc "DROP DATABASE IF EXISTS renkei_bench_many WITH (FORCE)" \
  -qc "CREATE DATABASE renkei_bench_many TEMPLATE renkei_bench STRATEGY FILE_COPY"
MANY_DB="$BASE_URL/renkei_bench_many"
RENKEI__DATABASE__URL="$MANY_DB" "$BIN" bench tenants --count 998 >&2
slugs="$(seq -f 'bench-%04g' 1 998 | paste -sd, -)"
say "seeding the 998 added tenants (5 customers each)"
RENKEI__DATABASE__URL="$MANY_DB" "$BIN" bench seed --tenants "$slugs" --customers-per-tenant 5 \
  --transactions-per-account 20 --out "$BENCH_DIR/many" 2>"$BENCH_DIR/many-seed.log"
# Traffic spread evenly over all 1,000 tenants: five tokens from each.
{ cat "$BENCH_DIR/many/access.txt"; awk '$3 == "kitami" && k < 5 { print; k++ } $3 == "hokuto" && h < 5 { print; h++ }' "$BENCH_DIR/access.txt"; } > "$BENCH_DIR/access-many.txt"
MANY_PORT=$(( PORT + 1 ))
start_server
RENKEI__DATABASE__URL="$MANY_DB" PORT="$MANY_PORT" start_server
# Each connection meets each of its tenants once before it serves them fast (its backend loads
# their tables and prepares the statements), as a server in service would long have done:
# unmeasured passes over the 1,000 tenants until one runs within 5 % of the one before (at most
# six; on a new PostgreSQL the first ran at a sixth of the rate to come, the second at two fifths
# to two thirds of it), and one over the 2 tenants, whose connections are new as well.
say "warming up: unmeasured passes over the 1,000 tenants until their rate settles (${SECS}s each)"
last=0 warm=()
for pass in $(seq 6); do
  rps="$(BENCH_NAME="warm-up, 1,000 tenants" BENCH_RUN=$pass BENCH_ACCESS=access-many.txt TARGET_PORT="$MANY_PORT" wrk_once bench/balances.lua / | awk '{print $1}')"
  say "  pass $pass: $rps requests/s"
  warm+=("$rps")
  awk -v a="$last" -v b="$rps" 'BEGIN { exit !(a > 0 && b < 1.05 * a) }' && break
  last="$rps"
done
BENCH_NAME="warm-up, 2 tenants" BENCH_RUN=1 wrk_once bench/balances.lua / >/dev/null
# The 1,000-tenant server takes the 2-tenant run's calls as they are (balances-1000-schemas) and
# the calls spread over all its tenants (balances-1000-tenants).
say "wrk: balances-2-tenants, balances-1000-schemas and balances-1000-tenants, in turn ($RUNS × ${SECS}s each, $CONNS connections)"
two_rows=() same_rows=() many_rows=() two_shared=() same_shared=() many_shared=()
# Once calls stop, a server writes the access-ledger rows it held (up to 5 s of a small tenant's):
# a pause after each run keeps that work out of the next run.
for run in $(seq "$RUNS"); do
  before="$(shared_counts "$PORT" balances)"
  two_rows+=("$(BENCH_NAME=balances-2-tenants BENCH_RUN=$run wrk_once bench/balances.lua /)")
  shared_since "$PORT" balances "$before" two_shared
  sleep 2
  before="$(shared_counts "$MANY_PORT" balances)"
  same_rows+=("$(BENCH_NAME=balances-1000-schemas BENCH_RUN=$run TARGET_PORT="$MANY_PORT" wrk_once bench/balances.lua /)")
  shared_since "$MANY_PORT" balances "$before" same_shared
  sleep 2
  before="$(shared_counts "$MANY_PORT" balances)"
  many_rows+=("$(BENCH_NAME=balances-1000-tenants BENCH_RUN=$run BENCH_ACCESS=access-many.txt TARGET_PORT="$MANY_PORT" wrk_once bench/balances.lua /)")
  shared_since "$MANY_PORT" balances "$before" many_shared
  sleep 2
done
many=("$(summary balances-2-tenants "$(printf '%s\n' "${two_rows[@]}")")" \
      "$(summary balances-1000-schemas "$(printf '%s\n' "${same_rows[@]}")")" \
      "$(summary balances-1000-tenants "$(printf '%s\n' "${many_rows[@]}")")")
# Statements and calls of each 1,000-tenant comparison, over its runs.
sum_shared() { printf '%s\n' "$@" | awk '{s += $1; c += $2} END {print s + 0, c + 0}'; }
SHARED_MANY="balances-2-tenants $(sum_shared "${two_shared[@]}") balances-1000-schemas $(sum_shared "${same_shared[@]}") balances-1000-tenants $(sum_shared "${many_shared[@]}")"
error_statuses "$PORT" "2 tenants"
error_statuses "$MANY_PORT" "1,000 tenants"
stop_servers

say "writing docs/benchmarks.md"
BENCH_RESULTS="$(printf '%s\n' "${results[@]}" "${many[@]}")" \
  BENCH_ERRORS="$(cat "$BENCH_DIR/errors.txt")" ERROR_STATUSES="$(cat "$BENCH_DIR/statuses.txt")" WARM_RPS="${warm[*]}" SHARED_SCENARIOS="$SHARED_SCENARIOS" SHARED_MANY="$SHARED_MANY" PG_TPS="$PG_TPS" PG_BUSY_US="$PG_BUSY_US" PAGE_TPS="${PAGE_TPS:-}" PAGE_BUSY_US="${PAGE_BUSY_US:-}" STORM_RPS="${STORM_RPS:-0}" IMPORT_SECS="$IMPORT_SECS" RSS_IDLE="$RSS_IDLE" RSS_MAX="$RSS_MAX" \
  EXPLAIN="$EXPLAIN" RUNS="$RUNS" SECS="$SECS" CONNS="$CONNS" THREADS="$THREADS" \
  python3 scripts/bench_report.py > docs/benchmarks.md
cat docs/benchmarks.md
