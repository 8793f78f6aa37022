#!/usr/bin/env bash
# Import speed (issue 4): a 100,000-row customer CSV imported by
# `rally import customers` (release build, SQLite; validation, duplicate
# checks, contacts, tags, audit, indexes and all) against the sqlite3
# shell's `.import` of the same file into a table with the same columns and
# the same indexes, measured in the same run, alternating, on fresh files.
#
#   bench/import.sh [ROWS] [RUNS]        # defaults: 100000 rows, 5 runs
#
# Prints every run, the medians and the ratio. Setup that a real import does
# not repeat (creating the database, migrating, adding the five reps the
# file names as owners) is outside the timed part; starting the process,
# reading and parsing the file and committing are inside it.
set -euo pipefail

ROWS=${1:-100000}
RUNS=${2:-5}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

if ! command -v sqlite3 >/dev/null; then
    echo "sqlite3 is missing; installing it (apt-get install -y sqlite3)" >&2
    apt-get install -y sqlite3 >/dev/null
fi
cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
RALLY=$CARGO_TARGET_DIR/release/rally

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
python3 "$ROOT/bench/gen_customers.py" "$ROWS" "$WORK/customers.csv"

# The CSV's columns, and the indexes Rally keeps on the columns it maps
# them to: credit code (unique), name, region, industry, owner, annual
# purchase, and (region, industry, annual purchase). Same storage settings
# as Rally: WAL, synchronous=NORMAL.
cat > "$WORK/shell.sql" <<'SQL'
PRAGMA journal_mode = WAL;
CREATE TABLE customers_csv (
    name TEXT NOT NULL, credit_code TEXT, industry TEXT, region TEXT, city TEXT, annual_purchase TEXT,
    contact TEXT, title TEXT, phone TEXT, email TEXT, owner TEXT, tags TEXT, pain_points TEXT, source TEXT
);
CREATE UNIQUE INDEX customers_csv_credit_code ON customers_csv (credit_code) WHERE credit_code <> '';
CREATE INDEX customers_csv_name ON customers_csv (name);
CREATE INDEX customers_csv_region ON customers_csv (region);
CREATE INDEX customers_csv_industry ON customers_csv (industry);
CREATE INDEX customers_csv_owner ON customers_csv (owner);
CREATE INDEX customers_csv_annual_purchase ON customers_csv (annual_purchase);
CREATE INDEX customers_csv_region_industry_purchase ON customers_csv (region, industry, annual_purchase);
SQL

now() { date +%s%N; }
ms() { echo $((($2 - $1) / 1000000)); }

rally_times=()
shell_times=()
for run in $(seq 1 "$RUNS"); do
    rm -f "$WORK"/rally.db*
    export RALLY_DATABASE_URL="sqlite://$WORK/rally.db"
    "$RALLY" migrate >/dev/null
    for i in 1 2 3 4 5; do
        echo 'bench password 2026' | "$RALLY" user add --email "bench-rep-$i@rally.example" --name "代表$i" \
            --role rep --region 华东 >/dev/null
    done
    t0=$(now)
    "$RALLY" import customers "$WORK/customers.csv" >"$WORK/out.txt"
    t1=$(now)
    grep -q "created $ROWS, updated 0, skipped 0, rejected 0" "$WORK/out.txt" || {
        echo "unexpected import result: $(cat "$WORK/out.txt")" >&2
        exit 1
    }
    rally_times+=("$(ms "$t0" "$t1")")

    rm -f "$WORK"/shell.db*
    sqlite3 "$WORK/shell.db" <"$WORK/shell.sql" >/dev/null
    t0=$(now)
    sqlite3 -cmd "PRAGMA synchronous = NORMAL" "$WORK/shell.db" ".import --csv --skip 1 $WORK/customers.csv customers_csv"
    t1=$(now)
    shell_times+=("$(ms "$t0" "$t1")")
    loaded=$(sqlite3 "$WORK/shell.db" "SELECT COUNT(*) FROM customers_csv")
    [ "$loaded" = "$ROWS" ] || { echo "sqlite3 loaded $loaded rows" >&2; exit 1; }
    echo "run $run: rally import ${rally_times[-1]} ms, sqlite3 .import ${shell_times[-1]} ms"
done

median() { printf '%s\n' "$@" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
r=$(median "${rally_times[@]}")
s=$(median "${shell_times[@]}")
echo "rows: $ROWS, runs: $RUNS, sqlite3 $(sqlite3 --version | cut -d' ' -f1), $(nproc) cores"
echo "median: rally import $r ms, sqlite3 .import $s ms, ratio $(awk -v r="$r" -v s="$s" 'BEGIN {printf "%.2f", r / s}')"
