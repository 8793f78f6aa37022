# Sourced by the bench scripts: a free loopback port and a throwaway
# PostgreSQL cluster in the script's work directory.

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

# pg_installed: whether Debian's PostgreSQL is here (sets PG_BIN); says so
# when it is not, so the caller can skip its PostgreSQL part.
pg_installed() {
    PG_BIN="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1 || true)"
    if [[ -z "$PG_BIN" ]]; then
        echo "== PostgreSQL: not installed, skipped"
        return 1
    fi
}

# pg_version: the installed PostgreSQL's version number (after pg_installed).
pg_version() { "$PG_BIN/postgres" --version | awk '{print $3}'; }

# pg_start WORK [SETTING=VALUE...]: initializes and starts a cluster in WORK/pg
# (C collation, UTF-8 character classes, as the tests' cluster; the settings
# are passed as `-c`) and sets PG_PORT. Run as root, the cluster runs as the
# postgres user. Call pg_installed first; pg_stop stops it.
pg_start() {
    local work="$1" opts setting
    shift
    AS_PG=()
    if [[ "$(id -u)" == 0 ]]; then
        chown postgres "$work"
        AS_PG=(runuser -u postgres --)
    fi
    PG_PORT="$(free_port)"
    opts="-p $PG_PORT -k $work -c listen_addresses=127.0.0.1"
    for setting in "$@"; do opts+=" -c $setting"; done
    "${AS_PG[@]}" "$PG_BIN/initdb" -D "$work/pg" -U postgres --auth=trust --locale=C --lc-ctype=C.UTF-8 -E UTF8 >/dev/null
    "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$work/pg" -o "$opts" -l "$work/pg.log" -w start >/dev/null
    PG_DATA="$work/pg"
}

# pg_stop: stops the cluster pg_start started, if any (safe in an EXIT trap).
pg_stop() {
    if [[ -n "${PG_DATA:-}" && -d "$PG_DATA" ]]; then
        "${AS_PG[@]}" "$PG_BIN/pg_ctl" -D "$PG_DATA" -m fast stop >/dev/null || true
    fi
}

# pg_createdb NAME: creates a database in the cluster and prints its URL.
pg_createdb() {
    "${AS_PG[@]}" "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$1" || return 1
    echo "postgres://postgres@127.0.0.1:$PG_PORT/$1"
}

# pg_psql DB ARGS...: psql on database DB of the cluster, quiet, without a pager.
pg_psql() {
    local db="$1"
    shift
    "${AS_PG[@]}" "$PG_BIN/psql" -X -q -h 127.0.0.1 -p "$PG_PORT" -U postgres -d "$db" -P pager=off "$@"
}

# pg_dropdb NAME: drops a database of the cluster.
pg_dropdb() { "${AS_PG[@]}" "$PG_BIN/dropdb" --force -h 127.0.0.1 -p "$PG_PORT" -U postgres "$1"; }

# measure_import LABEL EXPECT KIND FILE: one `rally import KIND FILE` under
# /usr/bin/time -v (RALLY and WORK set by the caller); fails unless its
# output mentions EXPECT, then prints the outcome, wall time and peak RSS.
measure_import() {
    local label=$1 expect=$2 kind=$3 file=$4
    /usr/bin/time -v "$RALLY" import "$kind" "$file" >"$WORK/out.txt" 2>"$WORK/time.txt"
    grep -q "$expect" "$WORK/out.txt" || {
        echo "unexpected import result: $(cat "$WORK/out.txt")" >&2
        exit 1
    }
    local rss wall
    rss=$(awk -F': ' '/Maximum resident set size/ {print int($2 / 1024)}' "$WORK/time.txt")
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$WORK/time.txt")
    echo "$label: $(tail -1 "$WORK/out.txt") · wall $wall · peak RSS $rss MB"
}

# bench_team: migrates the database and adds the five benchmark reps
# (bench-rep-N@rally.example, the owners bench/gen_customers.py names).
bench_team() {
    "$RALLY" migrate >/dev/null
    for i in 1 2 3 4 5; do
        echo 'bench password 2026' | "$RALLY" user add --email "bench-rep-$i@rally.example" --name "代表$i" \
            --role rep --region 华东 >/dev/null
    done
}
