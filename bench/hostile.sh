#!/usr/bin/env bash
# Memory and time of hostile uploads (issue 9): each file is sent to a fresh
# `rally serve` (release build, SQLite) twice — once as an API dry run
# (`POST /api/v1/imports/customers?dry_run=true`), once through the import
# page (upload, then the preview) — and the server's peak resident memory
# (VmHWM from /proc, which covers the whole request) and the wall time of
# the request(s) are printed with the HTTP status.
#
#   bench/hostile.sh [DIR]     # default: bombs written by make_hostile.py --big
#   RALLY=/path/to/rally bench/hostile.sh DIR    # measure another build
#
# A fresh server per file and path keeps one file's peak from hiding the
# next one's. Requests are cut off after 120 s.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}
if [ -z "${RALLY:-}" ]; then
    cargo build --release --quiet --manifest-path "$ROOT/Cargo.toml"
    RALLY=$CARGO_TARGET_DIR/release/rally
fi

WORK=$(mktemp -d)
SERVER=
cleanup() {
    [ -n "$SERVER" ] && kill "$SERVER" 2>/dev/null || true
    rm -rf "$WORK"
}
trap cleanup EXIT

DIR=${1:-}
if [ -z "$DIR" ]; then
    DIR=$WORK/bombs
    python3 "$ROOT/tests/fixtures/hostile/make_hostile.py" --big "$DIR" >/dev/null
fi

export RALLY_DATABASE_URL="sqlite://$WORK/rally.db"
"$RALLY" migrate >/dev/null
echo 'a long enough password' | "$RALLY" user add --email admin@example.com --name 管理员 --role admin >/dev/null
# The reps bench/gen_customers.py names as owners, so legitimate files can be measured beside the bombs.
for i in 1 2 3 4 5; do
    echo 'bench password 2026' | "$RALLY" user add --email "bench-rep-$i@rally.example" --name "代表$i" \
        --role rep --region 华东 >/dev/null
done
TOKEN=$("$RALLY" token create --email admin@example.com)
PORT=$((20000 + RANDOM % 20000))
BASE=http://127.0.0.1:$PORT

start() {
    RUST_LOG=warn "$RALLY" serve --addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
    SERVER=$!
    for _ in $(seq 1 100); do
        curl -s -o /dev/null "$BASE/healthz" && return
        sleep 0.1
    done
    echo "the server did not start" >&2
    exit 1
}
stop() {
    kill "$SERVER" 2>/dev/null || true
    wait "$SERVER" 2>/dev/null || true
    SERVER=
}
peak() { awk '/VmHWM/ {printf "%d MB", $2 / 1024}' "/proc/$SERVER/status" 2>/dev/null || echo "died"; }
now() { date +%s%N; }

printf '%-32s %-24s %-24s\n' file "API dry run" "upload + preview"
for file in "$DIR"/*; do
    name=$(basename "$file")
    start
    t0=$(now)
    status=$(curl -s -m 120 -o "$WORK/answer" -w '%{http_code}' -H "Authorization: Bearer $TOKEN" \
        -H 'Content-Type: application/octet-stream' --data-binary @"$file" \
        "$BASE/api/v1/imports/customers?dry_run=true" || echo timeout)
    api="$status $(( ($(now) - t0) / 1000000 )) ms $(peak)"
    code=$(grep -o '"code":"[a-z_]*"' "$WORK/answer" | head -1 | cut -d'"' -f4 || true)
    stop

    start
    jar=$WORK/cookies
    rm -f "$jar"
    csrf=$(curl -s -c "$jar" "$BASE/login" | grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
    curl -s -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode email=admin@example.com \
        --data-urlencode 'password=a long enough password' --data-urlencode next=/ "$BASE/login"
    csrf=$(curl -s -b "$jar" "$BASE/customers/import" | grep -o 'name="csrf" value="[^"]*"' | head -1 | cut -d'"' -f4)
    t0=$(now)
    answer=$(curl -s -m 120 -b "$jar" -o /dev/null -w '%{http_code} %{redirect_url}' -F "csrf=$csrf" -F kind=customers \
        -F "file=@$file;filename=$name" "$BASE/customers/import" || echo timeout)
    status=${answer%% *}
    location=${answer#* }
    if [ "$status" = 303 ]; then
        status=$(curl -s -m 120 -b "$jar" -o /dev/null -w '%{http_code}' "$location" || echo timeout)
        status="303→$status"
    fi
    web="$status $(( ($(now) - t0) / 1000000 )) ms $(peak)"
    stop
    printf '%-32s %-24s %-24s %s\n' "$name" "$api" "$web" "$code"
done
