#!/usr/bin/env bash
# Runs examples/bench_execution.rs on a fresh SQLite file and, when Debian's
# PostgreSQL is installed, on a throwaway PostgreSQL cluster beside it.
# Usage: bench/execution.sh [MEMBERS] [FOLLOW_UPS]   (default 50000 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
members="${1:-50000}"
follow_ups="${2:-200000}"
cargo build --release --example bench_execution --quiet
bin="${CARGO_TARGET_DIR:-target}/release/examples/bench_execution"

source bench/lib.sh
work="$(mktemp -d)"
trap 'pg_stop; rm -rf "$work"' EXIT
echo "== SQLite ($(uptime | sed 's/.*load/load/'))"
"$bin" --members "$members" --follow-ups "$follow_ups" --database-url "sqlite://$work/bench.db"

pg_installed || exit 0
pg_start "$work"
url="$(pg_createdb bench)"
echo "== PostgreSQL ($(uptime | sed 's/.*load/load/'))"
"$bin" --members "$members" --follow-ups "$follow_ups" --database-url "$url"
