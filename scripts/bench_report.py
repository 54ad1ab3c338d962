"""Writes docs/benchmarks.md from the figures scripts/bench.sh measured (passed in the environment).

The figures are also kept in $BENCH_DIR/report-inputs.json: `python3 scripts/bench_report.py --from FILE`
writes the report of that run again, after a change to this script.
"""
import json
import os
import platform
import sys
from datetime import datetime, timezone


def cpu():
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


INPUTS = ["BENCH_RESULTS", "BENCH_ERRORS", "ERROR_STATUSES", "WARM_RPS", "SHARED_SCENARIOS", "SHARED_MANY", "PG_TPS", "PG_BUSY_US", "PAGE_TPS", "PAGE_BUSY_US", "STORM_RPS", "IMPORT_SECS", "RSS_IDLE", "RSS_MAX", "EXPLAIN", "RUNS", "SECS", "CONNS",
          "THREADS", "MEASURED_AT", "MACHINE"]

if len(sys.argv) == 3 and sys.argv[1] == "--from":
    with open(sys.argv[2], encoding="utf-8") as f:
        env = json.load(f)
else:
    env = {k: os.environ[k] for k in INPUTS if k in os.environ}
    env.setdefault("MEASURED_AT", datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC"))
    env.setdefault("MACHINE", f"{os.cpu_count()} cores ({cpu()})")
    if os.environ.get("BENCH_DIR"):
        with open(os.path.join(os.environ["BENCH_DIR"], "report-inputs.json"), "w", encoding="utf-8") as f:
            json.dump(env, f, ensure_ascii=False, indent=1)
pg_tps = float(env["PG_TPS"])
rows = [line.split() for line in env["BENCH_RESULTS"].strip().splitlines()]


def warm_passes():
    """The 1,000-tenant warm-up passes and their rates, as the report says them."""
    rates = [f"{float(r):,.0f}" for r in env.get("WARM_RPS", "").split()]
    if not rates:
        return "unmeasured passes"
    if len(rates) == 1:
        return f"one unmeasured pass at {rates[0]} requests/s"
    return f"{len(rates)} unmeasured passes at {', '.join(rates[:-1])} and {rates[-1]} requests/s"


def number(v):
    try:
        return float(v)
    except (TypeError, ValueError):
        return None


results = {r[0]: {"rps": float(r[1]), "p50": float(r[2]), "p99": float(r[3]), "errors": int(r[4]),
                  "server_us": number(r[5] if len(r) > 5 else None), "pg_us": number(r[6] if len(r) > 6 else None),
                  "busy_us": number(r[7] if len(r) > 7 else None)} for r in rows}
healthz = results["healthz"]["rps"]
pg_busy = number(env.get("PG_BUSY_US"))

targets = {
    "balances": ("≥ 0.5 × pgbench -S", 0.5),
    "introspection": ("≥ 0.5 × pgbench -S", 0.5),
    "transactions": ("≥ 0.25 × pgbench -S", 0.25),
}

out = []
w = out.append
w("# Benchmarks")
w("")
w(f"Measured by `make bench` on {env['MEASURED_AT']}: "
  f"{env['MACHINE']}, wrk and PostgreSQL on the same machine as the server.")
w(f"Each figure is the median of {env['RUNS']} runs of {env['SECS']} s, wrk -t{env['THREADS']} -c{env['CONNS']}, "
  "release build, database seeded with 2 tenants, 10,000 customers, 20,000 live grants and 2,000,000 transactions. "
  "Tokens and accounts rotate at random over all 10,000 bench grants. healthz, balances, transactions, "
  "introspection and `pgbench -S` took turns, a run of each a round, so that the ratios compare runs from the "
  "same minutes of the machine.")
w("")
w("| endpoint | requests/s | p50 ms | p99 ms | errors | × healthz | × pgbench -S | target |")
w("|---|---:|---:|---:|---:|---:|---:|---|")
for name in ["healthz", "balances", "transactions", "introspection", "refresh", "balances-8-connections",
             "balances-8-paced", "balances-8-paced-during-login-storm", "balances-8-paced-during-import",
             "balances-2-tenants",
             "balances-1000-schemas", "balances-1000-tenants"]:
    r = results.get(name)
    if not r:
        continue
    target, verdict = "", ""
    if name in targets:
        text, factor = targets[name]
        verdict = "met" if r["rps"] >= factor * pg_tps else "**missed**"
        target = f"{text}: {verdict}"
    if name in ("balances-1000-schemas", "balances-1000-tenants"):
        ratio = r["rps"] / results.get("balances-2-tenants", results["balances"])["rps"]
        target = f"≥ 0.9 × balances-2-tenants: {'met' if ratio >= 0.9 else '**missed**'} ({ratio:.2f})"
    if name in ("balances-8-paced-during-login-storm", "balances-8-paced-during-import"):
        target = f"p99 < 20 ms: {'met' if r['p99'] < 20 else '**missed**'}"
    if r["errors"] and name in targets:
        target += "; errors: **missed**"
    w(f"| {name} | {r['rps']:,.0f} | {r['p50']:.2f} | {r['p99']:.2f} | {r['errors']} | "
      f"{r['rps'] / healthz:.2f} | {r['rps'] / pg_tps:.2f} | {target} |")
w(f"| pgbench -S (same PostgreSQL) | {pg_tps:,.0f} | | | | | 1.00 | the database's ceiling |")
w("")
w("- `healthz` is the framework's ceiling (one prepared `SELECT 1`).")
w("- `transactions` reads one page of about 100 rows (200 days of a bench account).")
w("- `refresh` rotates: every request spends a refresh token and receives the next one. After the partner's "
  "authentication and its rate limit, one statement spends the token, writes the two new token rows and the audit "
  "row (`app/oauth/tokens/refresh.rs`, `RotateSql`).")
w("- `balances-2-tenants`, `balances-1000-schemas` and `balances-1000-tenants` ran on two copies of the bench "
  "database, taken after the runs above, one of them with 998 small tenants added (1,000 tenant schemas). A server "
  "on each; their runs take turns, so that all meet the same moments of the shared machine. "
  "`balances-1000-schemas` sends the 2-tenant run's calls to the 1,000-tenant server: the same run with 1,000 "
  "tenant schemas provisioned. `balances-1000-tenants` spreads the calls evenly over all 1,000 tenants, "
  f"after {warm_passes()} (each connection meets each of its tenants once before it serves them fast, and the "
  "passes go on until one runs within 5 % of the one before); the 2-tenant server had one.")
# The login storm signs in with a wrong password on purpose: its 401 answers are the storm, not errors.
STORM_ROUTE = "/t/{tenant}/admin/login"
statuses = [line.split("\t") for line in env.get("ERROR_STATUSES", "").splitlines() if line.strip()]
storm_answers = sum(int(s[3]) for s in statuses if s[1] == STORM_ROUTE and s[2] == "401")
statuses = [s for s in statuses if not (s[1] == STORM_ROUTE and s[2] == "401")]
w("- `balances-8-connections`: the same balances calls from 8 connections, each sending its next call as soon as "
  "the last is answered. `balances-8-paced`: each of the 8 pauses 1 ms between calls, a load the server carries "
  "with room to spare. `balances-8-paced-during-login-storm`: the same while 32 more connections sign in to the "
  f"admin console without pause ({float(env.get('STORM_RPS') or 0):,.0f} sign-ins/s, each an Argon2 verification "
  "of a wrong password, answered 401 with the sign-in page and its error"
  + (f": {storm_answers:,} such answers in all" if storm_answers else "")
  + "; they are not counted in the table).")
imports = [float(x) for x in env.get("IMPORT_SECS", "").split()]
if imports:
    w("- `balances-8-paced-during-import`: the same while the bank's files are imported one after another with "
      f"`renkei core import`: {len(imports)} statements of 1,000 accounts × 200 movements (200,000 each), "
      f"{sum(imports) / len(imports):.1f} s each on average ({200_000 * len(imports) / sum(imports):,.0f} "
      "movements/s, read, checked and written in one transaction each).")
w("")

errors = [line for line in env.get("BENCH_ERRORS", "").splitlines() if line.strip()]
if errors or statuses:
    w("## Errors")
    w("")
    if errors:
        w("What wrk counted as errors, run by run (a timeout is a call that had no answer within wrk's 2 s; "
          "warm-up runs are listed too, though no figure comes from them):")
        w("")
        for line in errors:
            w(f"- {line}")
        w("")
    if statuses:
        w("Answers of status 400 or above that the servers counted (`renkei_http_requests_total` in `/metrics`), "
          "the login storm's left out:")
        w("")
        w("| server | route | status | answers |")
        w("|---|---|---:|---:|")
        for server, route, status, count in statuses:
            w(f"| {server} | `{route}` | {status} | {count} |")
    else:
        w("The servers answered no call with a status of 400 or above, the login storm's left out "
          "(`renkei_http_requests_total` in `/metrics`): each error above happened at the socket, not in an answer.")
    w("")


def us(v):
    return "" if v is None else f"{v:,.0f}"


# What each target leaves the whole machine per call, with both cores busy: pgbench -S's CPU per
# transaction divided by the ratio asked.
allowed = {name: pg_busy / ratio for name, (_, ratio) in targets.items()} if pg_busy else {}
two = results.get("balances-2-tenants", {}).get("busy_us")
if two:
    allowed["balances-1000-schemas"] = allowed["balances-1000-tenants"] = two / 0.9
w("## Where the CPU goes")
w("")
w("CPU time per call, the median of the runs above: of the server process, of PostgreSQL's processes, and of the "
  "whole machine (idle, I/O wait and steal left out); what is left is wrk and the kernel's network work that no "
  f"process is charged with. `pgbench -S` used {us(pg_busy)} µs of the machine per transaction, its own client "
  "included. With both cores busy in both runs, a rate of r × `pgbench -S` allows a call that many µs divided by r.")
w("")
w("| endpoint | server µs | PostgreSQL µs | wrk, kernel, rest µs | machine µs | the target allows µs |")
w("|---|---:|---:|---:|---:|---:|")
for name in ["healthz", "balances", "transactions", "introspection", "refresh", "balances-2-tenants",
             "balances-1000-schemas", "balances-1000-tenants"]:
    r = results.get(name)
    if not r or r["busy_us"] is None:
        continue
    rest = None
    if r["server_us"] is not None and r["pg_us"] is not None:
        rest = r["busy_us"] - r["server_us"] - r["pg_us"]
    w(f"| {name} | {us(r['server_us'])} | {us(r['pg_us'])} | {us(rest)} | {us(r['busy_us'])} | "
      f"{us(allowed.get(name))} |")
w("")
w("## What limits these figures")
w("")
h, b, t, i = (results[n] for n in ("healthz", "balances", "transactions", "introspection"))
w(f"- **The framework's ceiling.** `healthz`, one prepared `SELECT 1` through the same server, pool and loopback, "
  f"reached {healthz / pg_tps:.2f} × `pgbench -S` in this run, at {us(h['busy_us'])} µs of the machine per call "
  f"({us(h['server_us'])} of them the server's). What a call that checks nothing costs beyond a bare query is "
  "HTTP parsing, the middleware (metrics, request span, security headers, language) and a second loopback hop.")


def shared(var):
    """{name: calls per statement} from "name statements calls ..." in env[var]."""
    words = env.get(var, "").split()
    out = {}
    for k in range(0, len(words) - 2, 3):
        statements, calls = int(words[k + 1]), int(words[k + 2])
        if statements:
            out[words[k]] = calls / statements
    return out


per_scenario, per_many = shared("SHARED_SCENARIOS"), shared("SHARED_MANY")
w("- **Calls that share a statement.** A balances call reads the token, grant, partner, granted account and "
  "balance in one statement: five index lookups against `pgbench -S`'s one. What a statement costs PostgreSQL "
  "is mostly in starting, running and answering it, not in its lookups, so the balance inquiries and the "
  "introspection calls of one tenant that come while its statement runs wait together and go as the next statement "
  "over arrays of their tokens (`app/db/batch.rs`; one such statement of a tenant in flight per worker). "
  f"PostgreSQL spent {us(b['pg_us'])} µs per balances call and {us(i['pg_us'])} per introspection call in this "
  "run"
  + (f"; over all the runs of the scenarios above, a statement answered {per_scenario['balances']:.1f} balances "
     f"calls and {per_scenario['introspection']:.1f} introspection calls on average (`/metrics`: "
     "`renkei_db_shared_statement_calls_total` over `renkei_db_shared_statements_total`)"
     if "balances" in per_scenario and "introspection" in per_scenario else "")
  + ". The end-of-day and end-of-month balances are kept with the account (they were two more index probes, "
  "into its history).")
if pg_busy and t["pg_us"] is not None:
    word = "more than" if t["pg_us"] > allowed["transactions"] else "within"
    text = ("- **A page of rows.** A transactions page returns about 100 rows: PostgreSQL spent "
            f"{us(t['pg_us'])} µs, {word} the {us(allowed['transactions'])} µs that 0.25 × `pgbench -S` allows "
            f"the whole machine, and the server {us(t['server_us'])} µs more (decoding the rows and writing the "
            "JSON). Its cost is in the rows, which sharing a statement would not divide.")
    page_tps, page_busy = number(env.get("PAGE_TPS")), number(env.get("PAGE_BUSY_US"))
    if page_tps and page_busy:
        text += (f" Run alone by pgbench ({env['CONNS']} clients, kitami's accounts at random, without the token "
                 "check, its own client reading the rows as text), the page's statement did "
                 f"{page_tps:,.0f} pages/s, {us(page_busy)} µs of the machine a page: "
                 f"{page_tps / pg_tps:.2f} × `pgbench -S`.")
    if page_busy and h["busy_us"] is not None:
        both = page_busy + h["busy_us"]
        text += (f" With `healthz`, a call that checks nothing ({us(h['busy_us'])} µs), that comes to {us(both)} µs "
                 f"of the {us(allowed['transactions'])} that the target allows a whole call, "
                 + ("before any token is checked or any JSON written." if both >= allowed["transactions"] else
                    f"leaving {us(allowed['transactions'] - both)} µs to check the token, decode the rows and write "
                    f"the JSON, for which the server alone spends {us(t['server_us'] - h['server_us'])} µs more than "
                    "on `healthz`."))
    if t["busy_us"] is not None and t["busy_us"] > allowed["transactions"]:
        text += (" That target cannot be met on this machine by a call that reads its page from the database: it "
                 "would need pages kept in the server, and a partner reads one customer's history a few times a "
                 "day, so a kept page would rarely be asked for twice.")
    w(text)
w("- **Many tenants.** A statement serves the calls of one tenant only. Spread evenly over 1,000 tenants, "
  f"{env['CONNS']} calls at a time seldom include two of one tenant, so most calls go alone, at the cost of a "
  "statement of their own: that, more than the number of schemas, is what `balances-1000-tenants` gives up "
  "against `balances-2-tenants`, while `balances-1000-schemas`, the same calls as the 2-tenant run, shares "
  "statements as that run does"
  + (" (calls per statement: " + ", ".join(f"{per_many[n]:.1f} in `{n}`" for n in
     ["balances-2-tenants", "balances-1000-schemas", "balances-1000-tenants"] if n in per_many) + ")"
     if per_many else "")
  + ". A PostgreSQL backend pays several milliseconds the first time it serves a tenant "
  "(catalogue and statement). Each tenant keeps to a few connections of each worker, as many as its share "
  "of the traffic asks (`app/db/affinity.rs`), so that cost is paid once per tenant and connection. "
  "Each backend then holds the tables and statements of about 125 schemas. The access ledger costs one insert "
  "per tenant and batch, and an insert costs PostgreSQL about as much as a few dozen rows. Under steady calls a "
  "tenant's rows wait until it has 1,000 or its oldest has waited 5 s (`app/api/ledger.rs`), so that a small "
  "tenant's insert carries tens of rows: in alternating runs on one 1,000-tenant database, PostgreSQL's CPU for "
  "the ledger went from about 40 to 15 µs per call when that replaced an insert per tenant every second (about "
  "12 µs for a 2-tenant call). Tenants that take calls alike also reach autovacuum's thresholds together: at "
  "its defaults the 998 small ledgers were analysed within two seconds, each analysis making the connections "
  "drop what they had cached of that table, and the next 5-s run went at two thirds of the rate of those "
  "around it. A ledger's statistics steer no plan (it is read through its index only), so it is now first "
  "analysed at 10,000 rows. What is left is spread thin: "
  "PostgreSQL's lookups in larger caches and per-table statistics (`hash_search_with_hash_value` and "
  "`pgstat_get_entry_ref` grow in its profile), the small tenants' ledger inserts, and each tenant's settings checked "
  "every `cache_ttl_secs` (one row read off the request's path; before, each expired copy was read whole by the "
  "requests that met it). The small tenants' generic plans (sequential scans of a few rows) are not it: "
  "run alone by pgbench, the balances statement of a 5-customer tenant does 25,700/s against the big tenant's "
  "21,200/s.")
w("- **The machine.** Figures from one run to the next vary by about ±20 % here: the machine is shared.")
w("- **p99.** wrk corrects for coordinated omission: a call that took longer than a connection's mean interval "
  "between calls is counted again for every interval it held the next ones back. With 8 connections going as fast "
  "as they can, that interval is under a millisecond, so a single stall of half a second (a core busy elsewhere "
  "on this shared machine: `perf sched` once caught a runnable PostgreSQL backend waiting 208 ms) becomes "
  "hundreds of samples and sets p99 alone, while the server's own histogram (`/metrics`) had 99.8 % of such "
  "calls under 10 ms. The paced runs measure latency at a load the server carries; the others measure a queue.")
w("")
rss_idle, rss_max = int(env["RSS_IDLE"]) / 1024, int(env["RSS_MAX"]) / 1024
w("## Memory")
w("")
w(f"| server RSS | MB | target |")
w("|---|---:|---|")
w(f"| idle, after start | {rss_idle:.1f} | < 60: {'met' if rss_idle < 60 else '**missed**'} |")
w(f"| highest under load | {rss_max:.1f} | < 200: {'met' if rss_max < 200 else '**missed**'} |")
w("")
w("## The transactions page query")
w("")
w("`EXPLAIN (ANALYZE, BUFFERS)` of the statement the API prepares, for one bench account and about 200 days:")
w("")
w("```")
w(env["EXPLAIN"])
w("```")
w("")
print("\n".join(out))
