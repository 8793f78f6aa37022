#!/usr/bin/env bash
# HTTP under load (issue 13, item 6): `rally demo --customers N` builds the
# scale data set (timed), the real `rally serve` answers examples/bench_load.rs
# — 64 keep-alive connections sending a mix of customer list pages, customer
# details, segment counts and follow-up writes — while the server's memory is
# sampled from /proc every 0.5 s (VmRSS, of it RssAnon and RssFile; VmHWM at
# the end). SQLite on a fresh file, then a throwaway PostgreSQL cluster when
# Debian's PostgreSQL is installed, with pg_stat_statements: after the run
# the statements that took most of the database's time are listed, with
# their calls and mean time, to be looked at with EXPLAIN ANALYZE (item 7).
# Usage: bench/load.sh [CUSTOMERS] [sqlite|postgres|both] [SECONDS]   (default 1000000 both 60)
# Environment: INTERACTIONS (per generated customer, default 3), CONNECTIONS
# (default 64), LOAD_ARGS (more flags for bench_load, e.g. "--mix ...").
set -euo pipefail
cd "$(dirname "$0")/.."
customers="${1:-1000000}"
backends="${2:-both}"
seconds="${3:-60}"
interactions="${INTERACTIONS:-3}"
connections="${CONNECTIONS:-64}"
cargo build --release --bin rally --example bench_load --quiet
target="${CARGO_TARGET_DIR:-target}"
[[ "$target" == /* ]] || target="$(pwd)/$target"
rally="$target/release/rally"
load_bin="$target/release/examples/bench_load"

source bench/lib.sh
work="$(mktemp -d)"
server=""
sampler=""
cleanup() {
    [[ -n "$sampler" ]] && kill "$sampler" 2>/dev/null || true
    [[ -n "$server" ]] && kill "$server" 2>/dev/null || true
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT
load_avg() { uptime | sed 's/.*load/load/'; }

# Appends "VmRSS RssAnon RssFile" (KB) of process $1 to $2 every 0.5 s.
sample_rss() {
    while [[ -r "/proc/$1/status" ]]; do
        awk '/^VmRSS:/ {r=$2} /^RssAnon:/ {a=$2} /^RssFile:/ {f=$2} END {if (r) print r, a, f}' "/proc/$1/status" >>"$2" 2>/dev/null || true
        sleep 0.5
    done
}

# Loads the data set into $1, serves it and measures.
run() {
    export RALLY_DATABASE_URL="$1"
    echo "-- generating $customers customers, $interactions interactions each ($(load_avg))"
    /usr/bin/time -f "   wall %e s, CPU %U s user + %S s system, peak RSS %M KB" \
        "$rally" demo --customers "$customers" --interactions-per-customer "$interactions" 2>&1 | grep -E "^generated|wall" || true
    local token port
    token="$("$rally" token create --email admin@rally.example | tail -1)"
    port="$(free_port)"
    "$rally" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 100); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    : >"$work/rss"
    sample_rss "$server" "$work/rss" &
    sampler=$!
    [[ "$1" == postgres* ]] && reset_statements
    echo "-- load ($(load_avg))"
    # shellcheck disable=SC2086
    "$load_bin" --base-url "http://127.0.0.1:$port" --token "$token" \
        --connections "$connections" --seconds "$seconds" --server-pid "$server" ${LOAD_ARGS:-}
    echo "-- after ($(load_avg))"
    local hwm
    hwm="$(awk '/^VmHWM:/ {print $2}' "/proc/$server/status")"
    kill "$sampler" 2>/dev/null || true; wait "$sampler" 2>/dev/null || true; sampler=""
    awk -v hwm="$hwm" '{ if ($1 > r) r = $1; if ($2 > a) a = $2; if ($3 > f) f = $3; n++ }
        END { printf "server memory over %d samples (0.5 s apart): max VmRSS %.0f MB (RssAnon max %.0f MB, RssFile max %.0f MB); VmHWM %.0f MB\n",
              n, r / 1024, a / 1024, f / 1024, hwm / 1024 }' "$work/rss"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
    [[ "$1" == postgres* ]] && { echo "-- PostgreSQL's time by statement"; top_statements; explain_counts; }
    if grep -qE "ERROR|panicked" "$work/serve.log"; then
        echo "server log errors:"; grep -E "ERROR|panicked" "$work/serve.log" | head -5
    fi
}

# pg_stat_statements' figures from here on (the generation's are dropped).
reset_statements() {
    pg_psql bench -c "SELECT pg_stat_statements_reset()" >/dev/null
}

# The ten statements that took most of PostgreSQL's time since the reset
# (the load generator's setup, its warm-up and the measured run).
top_statements() {
    pg_psql bench -c "
        SELECT round(total_exec_time::numeric, 0) AS total_ms, calls,
               round(mean_exec_time::numeric, 3) AS mean_ms,
               round((100 * total_exec_time / sum(total_exec_time) OVER ())::numeric, 1) AS pct,
               shared_blks_hit + shared_blks_read AS blocks,
               left(regexp_replace(query, '\s+', ' ', 'g'), 160) AS statement
        FROM pg_stat_statements ORDER BY total_exec_time DESC LIMIT 10"
}

# The plans of the two counts at the top of the list above since the kept
# counts: the PRODUCT.md segment (counted by the database) and a kept count.
explain_counts() {
    local sql
    for sql in "SELECT COUNT(*) FROM customers c WHERE c.region = '华东' AND c.industry = '制造业' AND c.annual_purchase_fen > 500000000" \
        "SELECT CAST(COALESCE(SUM(n), 0) AS BIGINT) FROM customer_counts WHERE dimension = 's_anchor_on' AND value >= to_char(CURRENT_DATE - 29, 'YYYY-MM-DD')"; do
        echo "$sql"
        pg_psql bench -c "EXPLAIN (ANALYZE, BUFFERS) $sql"
    done
}

if [[ "$backends" != postgres ]]; then
    echo "== SQLite"
    run "sqlite://$work/scale.db"
    rm -f "$work"/scale.db*
fi
[[ "$backends" == sqlite ]] && exit 0

pg_installed || exit 0
pg_start "$work" shared_buffers=256MB shared_preload_libraries=pg_stat_statements pg_stat_statements.track=top
url="$(pg_createdb bench)"
pg_psql bench -c "CREATE EXTENSION pg_stat_statements"
echo "== PostgreSQL $(pg_version)"
run "$url"
