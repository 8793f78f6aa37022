#!/usr/bin/env bash
# Runs examples/bench_review.rs (issue 12's speed targets) on a fresh SQLite
# file and, when Debian's PostgreSQL is installed, on a throwaway PostgreSQL
# cluster beside it; a fresh database for each figure set.
# Usage: bench/review.sh [metrics|search|both] [sqlite|postgres|both]
#   metrics: 50,000 members, 200,000 follow-ups; the metrics API and the review page
#   search:  100,000 entries, 1,000,000 notes; /api/v1/search and /api/v1/knowledge
# Extra flags for the example (e.g. --members 5000) go in BENCH_ARGS.
set -euo pipefail
cd "$(dirname "$0")/.."
parts="${1:-both}"
backends="${2:-both}"
[[ "$parts" == both ]] && parts="metrics search"
cargo build --release --example bench_review --quiet
bin="${CARGO_TARGET_DIR:-target}/release/examples/bench_review"
read -r -a extra <<< "${BENCH_ARGS:-}"

source bench/lib.sh
work="$(mktemp -d)"
trap 'pg_stop; rm -rf "$work"' EXIT

if [[ "$backends" != postgres ]]; then
    for part in $parts; do
        echo "== SQLite, $part ($(uptime | sed 's/.*load/load/'))"
        "$bin" --part "$part" "${extra[@]}" --database-url "sqlite://$work/$part.db"
        rm -f "$work/$part.db"*
    done
fi
[[ "$backends" == sqlite ]] && exit 0

pg_installed || exit 0
pg_start "$work"
for part in $parts; do
    url="$(pg_createdb "bench_$part")"
    echo "== PostgreSQL, $part ($(uptime | sed 's/.*load/load/'))"
    "$bin" --part "$part" "${extra[@]}" --database-url "$url"
    pg_dropdb "bench_$part"
done
