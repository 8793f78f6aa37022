#!/usr/bin/env bash
# Runs examples/bench_planning.rs on a fresh SQLite file and, when Debian's
# PostgreSQL is installed, on a throwaway PostgreSQL cluster beside it.
# Usage: bench/planning.sh [CUSTOMERS]   (default 200000)
set -euo pipefail
cd "$(dirname "$0")/.."
customers="${1:-200000}"
cargo build --release --example bench_planning --quiet
bin="${CARGO_TARGET_DIR:-target}/release/examples/bench_planning"

source bench/lib.sh
work="$(mktemp -d)"
trap 'pg_stop; rm -rf "$work"' EXIT
echo "== SQLite"
"$bin" --customers "$customers" --database-url "sqlite://$work/bench.db"

pg_installed || exit 0
pg_start "$work"
url="$(pg_createdb bench)"
echo "== PostgreSQL"
"$bin" --customers "$customers" --database-url "$url"
