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

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
echo "== SQLite ($(uptime | sed 's/.*load/load/'))"
"$bin" --members "$members" --follow-ups "$follow_ups" --database-url "sqlite://$work/bench.db"

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
"${as_pg[@]}" "$pg_bin/initdb" -D "$work/pg" -U postgres --auth=trust --no-locale -E UTF8 >/dev/null
"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -o "-p $port -k $work -c listen_addresses=127.0.0.1" -l "$work/pg.log" -w start >/dev/null
trap '"${as_pg[@]}" "$pg_bin/pg_ctl" -D "$work/pg" -m fast stop >/dev/null; rm -rf "$work"' EXIT
"${as_pg[@]}" "$pg_bin/createdb" -h 127.0.0.1 -p "$port" -U postgres bench
echo "== PostgreSQL ($(uptime | sed 's/.*load/load/'))"
"$bin" --members "$members" --follow-ups "$follow_ups" --database-url "postgres://postgres@127.0.0.1:$port/bench"
