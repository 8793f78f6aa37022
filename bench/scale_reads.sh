#!/usr/bin/env bash
# Lists and segment counts on the generated scale data set (issue 13, items 2
# and 3): `rally demo --customers N` builds it (timed, with peak memory), then
# the real `rally serve` answers bench/scale_reads.py over HTTP — the customer
# list API and page (50 rows and the total) unfiltered and by region, the exact
# count on demand, and the segment shapes of BENCHMARKS.md. SQLite on a fresh
# file, then a throwaway PostgreSQL cluster when Debian's PostgreSQL is installed.
# Usage: bench/scale_reads.sh [CUSTOMERS] [sqlite|postgres|both]   (default 1000000 both)
set -euo pipefail
cd "$(dirname "$0")/.."
customers="${1:-1000000}"
backends="${2:-both}"
cargo build --release --bin rally --quiet
target="${CARGO_TARGET_DIR:-target}"
[[ "$target" == /* ]] || target="$(pwd)/$target"
rally="$target/release/rally"

source bench/lib.sh
work="$(mktemp -d)"
server=""
cleanup() {
    [[ -n "$server" ]] && kill "$server" 2>/dev/null || true
    pg_stop
    rm -rf "$work"
}
trap cleanup EXIT

# Loads the data set into $1, serves it and measures.
run() {
    export RALLY_DATABASE_URL="$1"
    echo "-- generating $customers customers ($(uptime | sed 's/.*load/load/'))"
    /usr/bin/time -f "   wall %e s, CPU %U s user + %S s system, peak RSS %M KB" \
        "$rally" demo --customers "$customers" 2>&1 | grep -E "^generated|wall" || true
    local token port
    token="$("$rally" token create --email admin@rally.example | tail -1)"
    port="$(free_port)"
    "$rally" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    echo "-- reads ($(uptime | sed 's/.*load/load/'))"
    python3 bench/scale_reads.py "$port" "$token"
    kill "$server"; wait "$server" 2>/dev/null || true; server=""
}

if [[ "$backends" != postgres ]]; then
    echo "== SQLite"
    run "sqlite://$work/scale.db"
fi
[[ "$backends" == sqlite ]] && exit 0

pg_installed || exit 0
pg_start "$work" shared_buffers=256MB
url="$(pg_createdb bench)"
echo "== PostgreSQL $(pg_version)"
run "$url"
