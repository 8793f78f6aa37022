#!/usr/bin/env bash
# Runs examples/bench_notify.rs on a fresh SQLite file and, when Debian's
# PostgreSQL is installed, on a throwaway PostgreSQL cluster beside it.
# Usage: bench/notify.sh [JOBS] [QUEUED]   (default 20000 100000)
# Prints the machine's load (uptime) before the build, before each backend
# and at the end: figures taken on a busy machine say so.
set -euo pipefail
cd "$(dirname "$0")/.."
jobs="${1:-20000}"
queued="${2:-100000}"
cargo build --release --example bench_notify --quiet
bin="${CARGO_TARGET_DIR:-target}/release/examples/bench_notify"

source bench/lib.sh
work="$(mktemp -d)"
trap 'pg_stop; rm -rf "$work"' EXIT
echo "== SQLite ($(uptime))"
"$bin" --jobs "$jobs" --queued "$queued" --database-url "sqlite://$work/bench.db"

pg_installed || exit 0
pg_start "$work"
url="$(pg_createdb bench)"
echo "== PostgreSQL ($(uptime))"
"$bin" --jobs "$jobs" --queued "$queued" --database-url "$url"
echo "== done ($(uptime))"
