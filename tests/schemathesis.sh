#!/usr/bin/env bash
# API schema testing (issue 9): Schemathesis against the OpenAPI document of a
# running `rally serve --demo` on a throwaway SQLite database, once per role
# with that role's demo account's token. Checks: no 5xx, every response's
# status code, content type, headers and body as the document says.
#
#   tests/schemathesis.sh [MAX_EXAMPLES] [SECONDS_PER_ROLE]   # defaults: 10, 25
#
# Roles run from the least privileged to the admin, so the admin's changes
# (disabled accounts, reset passwords, other regions) come last. One worker:
# the point is the contract, not concurrency (SQLite writers are tested elsewhere). Exits non-zero
# on any finding. Needs `st` (pip install schemathesis); without it the script
# says so loudly and exits 0, unless RALLY_REQUIRE_SCHEMATHESIS=1 (then 1).
# `cargo test` runs it through tests/it/schema.rs.
set -euo pipefail

MAX_EXAMPLES=${1:-10}
SECONDS_PER_ROLE=${2:-25}
ROOT=$(cd "$(dirname "$0")/.." && pwd)
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$ROOT/target}

if ! command -v st >/dev/null 2>&1; then
    banner=$(printf '!%.0s' {1..78})
    printf '\n%s\nSKIPPING Schemathesis: `st` is not installed (pip install schemathesis).\n%s\n\n' "$banner" "$banner" >&2
    [[ "${RALLY_REQUIRE_SCHEMATHESIS:-}" == 1 ]] && exit 1
    exit 0
fi

# The binary to test: RALLY_BIN, else a debug build of this checkout.
RALLY=${RALLY_BIN:-}
if [[ -z "$RALLY" ]]; then
    cargo build --quiet --manifest-path "$ROOT/Cargo.toml"
    RALLY=$CARGO_TARGET_DIR/debug/rally
fi

WORK=$(mktemp -d)
SERVER=
cleanup() {
    [[ -n "$SERVER" ]] && kill "$SERVER" 2>/dev/null && wait "$SERVER" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT

export RALLY_DATABASE_URL="sqlite://$WORK/rally.db"
PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
"$RALLY" serve --demo --addr "127.0.0.1:$PORT" >"$WORK/server.log" 2>&1 &
SERVER=$!
for _ in $(seq 1 600); do
    curl -fsS "$BASE/readyz" >/dev/null 2>&1 && break
    kill -0 "$SERVER" 2>/dev/null || { cat "$WORK/server.log" >&2; exit 1; }
    sleep 0.1
done
curl -fsS "$BASE/readyz" >/dev/null

# One demo account per role (README lists them).
declare -a ROLES=(
    "viewer:boss@rally.example"
    "support:demo@rally.example"
    "service:service@rally.example"
    "marketing:marketing@rally.example"
    "rep:ming@rally.example"
    "lead:lead@rally.example"
    "admin:admin@rally.example"
)
declare -A TOKENS
for entry in "${ROLES[@]}"; do
    TOKENS[${entry%%:*}]=$("$RALLY" token create --email "${entry#*:}" --name schemathesis)
done

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance
status=0
for entry in "${ROLES[@]}"; do
    role=${entry%%:*}
    echo "==> Schemathesis as $role (${entry#*:})"
    # From the work directory: st keeps a cache in its working directory.
    if ! (cd "$WORK" && st run "$BASE/api/v1/openapi.json" \
        --header "Authorization: Bearer ${TOKENS[$role]}" \
        --checks "$CHECKS" \
        --phases examples,coverage,fuzzing \
        --max-examples "$MAX_EXAMPLES" \
        --max-time "$SECONDS_PER_ROLE" \
        --seed 20261130 \
        --workers 1 \
        --request-timeout 30 \
        --generation-database none \
        --suppress-health-check all \
        --no-color \
        --output-truncate true \
        --report junit --report-dir "$WORK/report-$role" \
        >"$WORK/st-$role.log" 2>&1); then
        status=1
        echo "!! findings as $role:"
    fi
    # The summary (and, on failure, every finding) of this role's run.
    sed -n '/^=* \(FAILURES\|SUMMARY\) =*$/,$p' "$WORK/st-$role.log" | head -400
done
if grep -q "panicked" "$WORK/server.log"; then
    echo "!! the server panicked:" >&2
    grep -A3 "panicked" "$WORK/server.log" >&2
    status=1
fi
exit $status
