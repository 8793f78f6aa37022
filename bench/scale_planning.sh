#!/usr/bin/env bash
# Planning on the generated scale data set (issue 13, items 3, 4 and 7):
# `rally demo --customers N` builds it, then the real `rally serve` answers
# bench/scale_planning.py over HTTP as the demo's lead — the tier S/B plus
# recent-inquiry segment count, generating a target list of about a quarter of
# the customers, generating it again (adds nothing), and the breakdown
# proposal. SQLite on a fresh file, then a throwaway PostgreSQL cluster when
# Debian's PostgreSQL is installed.
# Usage: bench/scale_planning.sh [CUSTOMERS] [sqlite|postgres|both]   (default 1000000 both)
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
    token="$("$rally" token create --email lead@rally.example | tail -1)"
    port="$(free_port)"
    "$rally" serve --addr "127.0.0.1:$port" >"$work/serve.log" 2>&1 &
    server=$!
    for _ in $(seq 50); do curl -sf "http://127.0.0.1:$port/healthz" >/dev/null && break; sleep 0.2; done
    # The first housekeeping runs at start-up: ANALYZE, on PostgreSQL VACUUM (ANALYZE) of the
    # whole database (5-15 s at a million customers). Let it finish before measuring.
    sleep 20
    echo "-- planning ($(uptime | sed 's/.*load/load/'))"
    python3 bench/scale_planning.py "$port" "$token" "" "$server"
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
