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

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

if [[ "$backends" != postgres ]]; then
    for part in $parts; do
        echo "== SQLite, $part ($(uptime | sed 's/.*load/load/'))"
        "$bin" --part "$part" "${extra[@]}" --database-url "sqlite://$work/$part.db"
        rm -f "$work/$part.db"*
    done
fi
[[ "$backends" == sqlite ]] && exit 0

pg_bin="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
if [[ -z "$pg_bin" ]]; then
    echo "== PostgreSQL: not installed, skipped"
    exit 0
fi
as_pg=()
if [[ "$(id -u)" == 0 ]]; then
    chown postgres "$work"
    as_pg=(runuser -u postgres --)
fi
port="$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')"
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust --locale=C --lc-ctype=C.UTF-8 -E UTF8 >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -o "-p $port -k $work -c listen_addresses=127.0.0.1" -l "$work/pg.log" -w start >/dev/null
trap '"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null; rm -rf "$work"' EXIT
for part in $parts; do
    "${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres "bench_$part"
    echo "== PostgreSQL, $part ($(uptime | sed 's/.*load/load/'))"
    "$bin" --part "$part" "${extra[@]}" --database-url "postgres://postgres@127.0.0.1:$port/bench_$part"
    "${as_pg[@]}" "$pg_bin/dropdb" --force -h 127.0.0.1 -p "$port" -U postgres "bench_$part"
done
