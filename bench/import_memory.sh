#!/usr/bin/env bash
# Memory and time of a large customer import (issue 13, item 1): a
# ROWS-row, 14-column customer CSV or workbook (bench/gen_customers.py) imported by
# `rally import customers` into a fresh SQLite database, then imported again
# (every row a duplicate), each under `/usr/bin/time -v` for the peak RSS of
# the whole process (file, duplicate index, batches, SQLite's page cache).
# With PostgreSQL installed, the same on a throwaway cluster.
#
#   bench/import_memory.sh [ROWS] [sqlite|postgres|both] [csv|xlsx]   # default 1000000 both csv
set -euo pipefail

ROWS=${1:-1000000}
WHICH=${2:-both}
FORMAT=${3:-csv}
case $FORMAT in csv | xlsx) ;; *) echo "format: csv or xlsx, not $FORMAT" >&2; exit 2 ;; esac
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
RALLY=$CARGO_TARGET_DIR/release/rally

source "$ROOT/bench/lib.sh"
WORK=$(mktemp -d)
trap 'pg_stop; rm -rf "$WORK"' EXIT
python3 "$ROOT/bench/gen_customers.py" "$ROWS" "$WORK/customers.$FORMAT"
echo "file: $ROWS rows, $(($(stat -c %s "$WORK/customers.$FORMAT") / 1048576)) MB; $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

# One customer import under /usr/bin/time -v.
measure() { measure_import "$1" "$2" customers "$WORK/customers.$FORMAT"; }

if [[ $WHICH == sqlite || $WHICH == both ]]; then
    echo "== SQLite"
    export RALLY_DATABASE_URL="sqlite://$WORK/rally.db"
    bench_team
    measure "first import" "created $ROWS, updated 0, skipped 0, rejected 0"
    measure "again (all duplicates)" "created 0, updated 0, skipped $ROWS, rejected 0"
fi

if [[ $WHICH == postgres || $WHICH == both ]]; then
    pg_installed || exit 0
    echo "== PostgreSQL"
    pg_start "$WORK"
    RALLY_DATABASE_URL="$(pg_createdb bench)"
    export RALLY_DATABASE_URL
    bench_team
    measure "first import" "created $ROWS, updated 0, skipped 0, rejected 0"
    measure "again (all duplicates)" "created 0, updated 0, skipped $ROWS, rejected 0"
fi
