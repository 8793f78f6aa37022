#!/usr/bin/env bash
# Memory and time of a large follow-up record import (issue 13, item 1): a
# ROWS-row file in the team's template 3 (bench/gen_records.py) naming
# CUSTOMERS customers (imported first from bench/gen_customers.py), imported
# by `rally import interactions` into a fresh database, then imported again
# (every row a record already stored), each under `/usr/bin/time -v` for the
# peak RSS of the whole process. With PostgreSQL installed, the same on a
# throwaway cluster.
#
#   bench/import_records.sh [ROWS] [CUSTOMERS] [sqlite|postgres|both]   # default 1000000 100000 both
set -euo pipefail

ROWS=${1:-1000000}
CUSTOMERS=${2:-100000}
WHICH=${3:-both}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
RALLY=$CARGO_TARGET_DIR/release/rally

source "$ROOT/bench/lib.sh"
WORK=$(mktemp -d)
trap 'pg_stop; rm -rf "$WORK"' EXIT
python3 "$ROOT/bench/gen_customers.py" "$CUSTOMERS" "$WORK/customers.csv"
python3 "$ROOT/bench/gen_records.py" "$ROWS" "$CUSTOMERS" "$WORK/records.csv"
echo "file: $ROWS records of $CUSTOMERS customers, $(($(stat -c %s "$WORK/records.csv") / 1048576)) MB;" \
    "$(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg)"

# One record import under /usr/bin/time -v.
measure() { measure_import "$1" "$2" interactions "$WORK/records.csv"; }

setup() {
    bench_team
    "$RALLY" import customers "$WORK/customers.csv" >/dev/null
}

run() {
    setup
    measure "first import" "created $ROWS, updated 0, skipped 0, rejected 0"
    measure "again (all stored)" "created 0, updated 0, skipped $ROWS, rejected 0"
}

if [[ $WHICH == sqlite || $WHICH == both ]]; then
    echo "== SQLite"
    export RALLY_DATABASE_URL="sqlite://$WORK/rally.db"
    run
fi

if [[ $WHICH == postgres || $WHICH == both ]]; then
    pg_installed || exit 0
    echo "== PostgreSQL"
    pg_start "$WORK"
    RALLY_DATABASE_URL="$(pg_createdb bench)"
    export RALLY_DATABASE_URL
    run
fi
