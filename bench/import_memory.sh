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

# One import under /usr/bin/time -v: prints its outcome, wall time and peak RSS.
measure() {
    local label=$1 expect=$2
    /usr/bin/time -v "$RALLY" import customers "$WORK/customers.$FORMAT" >"$WORK/out.txt" 2>"$WORK/time.txt"
    grep -q "$expect" "$WORK/out.txt" || {
        echo "unexpected import result: $(cat "$WORK/out.txt")" >&2
        exit 1
    }
    local rss wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print int($2 / 1024)}' "$WORK/time.txt")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.txt")
    echo "$label: $(tail -1 "$WORK/out.txt") · wall $wall · peak RSS $rss MB"
}

setup_team() {
    "$RALLY" migrate >/dev/null
    for i in 1 2 3 4 5; do
        echo 'bench password 2026' | "$RALLY" user add --email "bench-rep-$i@rally.example" --name "代表$i" \
            --role rep --region 华东 >/dev/null
    done
}

if [[ $WHICH == sqlite || $WHICH == both ]]; then
    echo "== SQLite"
    export RALLY_DATABASE_URL="sqlite://$WORK/rally.db"
    setup_team
    measure "first import" "created $ROWS, updated 0, skipped 0, rejected 0"
    measure "again (all duplicates)" "created 0, updated 0, skipped $ROWS, rejected 0"
fi

if [[ $WHICH == postgres || $WHICH == both ]]; then
    pg_installed || exit 0
    echo "== PostgreSQL"
    pg_start "$WORK"
    RALLY_DATABASE_URL="$(pg_createdb bench)"
    export RALLY_DATABASE_URL
    setup_team
    measure "first import" "created $ROWS, updated 0, skipped 0, rejected 0"
    measure "again (all duplicates)" "created 0, updated 0, skipped $ROWS, rejected 0"
fi
