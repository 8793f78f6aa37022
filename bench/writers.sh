#!/usr/bin/env bash
# 64 concurrent writers for 30 s against a real `rally serve` (release build)
# through the JSON API, on SQLite and then on a throwaway PostgreSQL cluster;
# afterwards the server is restarted and every acknowledged write is checked.
# The database starts with the demo data (2,000 customers, six months of history).
# Usage: bench/writers.sh [WRITERS] [SECONDS] [sqlite|postgres|both]   (default 64 30 both)
# BENCH_PROFILE=debug runs the debug build instead (a quick check of the script, not a figure).
set -euo pipefail
cd "$(dirname "$0")/.."
writers="${1:-64}"
seconds="${2:-30}"
which="${3:-both}"
profile="${BENCH_PROFILE:-release}"
if [[ "$profile" == release ]]; then
    cargo build --release --bin rally --example bench_writers --quiet
else
    cargo build --bin rally --example bench_writers --quiet
fi
built="${CARGO_TARGET_DIR:-target}/$profile"
rally="$built/rally"
gen="$built/examples/bench_writers"

source bench/lib.sh
work="$(mktemp -d)"
trap 'pg_stop; rm -rf "$work"' EXIT

serve() { # URL PORT LOG: starts rally serve (pid in $server) and waits until it is ready
    "$rally" serve --addr "127.0.0.1:$2" --database-url "$1" >>"$3" 2>&1 &
    server=$!
    for _ in $(seq 1 200); do
        curl -fsS "http://127.0.0.1:$2/readyz" >/dev/null 2>&1 && return
        sleep 0.05
    done
    echo "rally serve did not become ready:" >&2; cat "$3" >&2; exit 1
}

run() { # NAME URL
    local name="$1" url="$2" port log ledger token status=0
    echo "== $name"
    "$rally" demo --database-url "$url" >/dev/null
    token="$("$rally" token create --database-url "$url" --email lead@rally.example --name bench)"
    port="$(free_port)"; log="$work/serve-$name.log"; ledger="$work/ledger-$name.json"
    serve "$url" "$port" "$log"
    "$gen" load --url "http://127.0.0.1:$port" --token "$token" --writers "$writers" --seconds "$seconds" --ledger "$ledger" || status=$?
    kill -TERM "$server"; wait "$server" || true
    # A fresh server process: what was acknowledged must have been stored, not just cached.
    serve "$url" "$port" "$log"
    "$gen" verify --url "http://127.0.0.1:$port" --token "$token" --ledger "$ledger" || status=$?
    kill -TERM "$server"; wait "$server" || true
    if grep -q ' ERROR ' "$log"; then echo "server errors logged:"; grep ' ERROR ' "$log" | head -5; status=1; fi
    return "$status"
}

failed=0
if [[ "$which" != postgres ]]; then
    run SQLite "sqlite://$work/bench.db" || failed=1
fi
if [[ "$which" != sqlite ]]; then
    if pg_installed; then
        pg_start "$work"
        run PostgreSQL "$(pg_createdb bench)" || failed=1
    fi
fi
exit "$failed"
