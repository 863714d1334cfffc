#!/usr/bin/env bash
# Checks a live ordersvc against its own OpenAPI document (GET /openapi.json): first that the document is valid
# OpenAPI 3.1 (openapi-spec-validator), then fuzzes the service with schemathesis: no request may get a 5xx, and every
# response must conform to the document (status, headers, content type, body schema). Exits non-zero on any finding.
# Bounded: a fixed seed and example count (about a minute on 2 cores), and a hard time limit.
#
#   .ci/schemathesis.sh            # what CI runs after the tests
#   SCHEMATHESIS_EXAMPLES=500 .ci/schemathesis.sh   # a longer local hunt
set -euo pipefail
cd "$(dirname "$0")/.."

SCHEMATHESIS_VERSION=4.32.5
VALIDATOR_VERSION=0.9.0
SEED="${SCHEMATHESIS_SEED:-20261129}"
EXAMPLES="${SCHEMATHESIS_EXAMPLES:-100}"
# Absolute, as the fuzzing runs from a temporary directory.
TARGET="$(realpath -m "${CARGO_TARGET_DIR:-target}")"
VENV="$TARGET/schemathesis-venv"

# CPython before 3.11.8 / 3.12.2 can fail hypothesis's lambda introspection with "SystemError: AST constructor
# recursion depth mismatch" (CPython gh-106905) when a schema nests deeply: take the first interpreter that has the
# fix, the ones pyenv installed included.
python_ok() {
    "$1" -c 'import sys, venv; v = sys.version_info[:3]; sys.exit(not ((3, 11, 8) <= v < (3, 12) or v >= (3, 12, 2)))' \
        2>/dev/null
}
candidates=(python3 python3.13 python3.12 /usr/bin/python3)
if command -v pyenv >/dev/null; then
    candidates+=("$(pyenv root)"/versions/3.1[1-9]*/bin/python3)
fi
PYTHON=""
for candidate in "${candidates[@]}"; do
    if command -v "$candidate" >/dev/null && python_ok "$candidate"; then
        PYTHON="$candidate"
        break
    fi
done
if [ -z "$PYTHON" ]; then
    echo "schemathesis.sh: no Python >= 3.11.8 (or >= 3.12.2) with venv found" >&2
    exit 1
fi

installed() { "$VENV/bin/pip" show "$1" 2>/dev/null | grep -qx "Version: $2"; }
if ! python_ok "$VENV/bin/python" || ! installed schemathesis "$SCHEMATHESIS_VERSION" \
    || ! installed openapi-spec-validator "$VALIDATOR_VERSION"; then
    echo "Installing schemathesis $SCHEMATHESIS_VERSION into $VENV (with $PYTHON)"
    rm -rf "$VENV"
    "$PYTHON" -m venv "$VENV"
    "$VENV/bin/pip" install --quiet --disable-pip-version-check \
        "schemathesis==$SCHEMATHESIS_VERSION" "openapi-spec-validator==$VALIDATOR_VERSION"
fi

# The debug build `cargo test` already made: nothing to compile again in CI.
cargo build --quiet -p app --bin ordersvc

work="$(mktemp -d)"
service=""
stop() {
    if [ -n "$service" ] && kill -0 "$service" 2>/dev/null; then
        kill -TERM "$service"
        wait "$service" || true
    fi
    rm -rf "$work"
}
trap stop EXIT

# A copy of the binary (another build sharing the target folder cannot swap it underneath), a fresh SQLite file, a
# port the OS picks, no grace period on stop; the log says where it listens. Authentication is on, as in production:
# a fresh HS256 secret, and an operator's token (who may call every operation) minted by the binary itself.
cp "$TARGET/debug/ordersvc" "$work/ordersvc"
head -c 48 /dev/urandom | base64 >"$work/secret"
export AUTH_HS256_SECRET_FILE="$work/secret" AUTH_ISSUER=https://ci.ordersvc.test AUTH_AUDIENCE=ordersvc
token="$("$work/ordersvc" token --role operator --sub schemathesis --ttl 1h)"
"$work/ordersvc" --http-addr 127.0.0.1:0 --grpc-addr off --database-url "$work/orders.db" --shutdown-grace-secs 0 \
    >"$work/service.log" 2>&1 &
service=$!
address=""
for _ in $(seq 1 100); do
    address="$(sed -n 's/.*listening on \([0-9.]*:[0-9]*\).*/\1/p' "$work/service.log" | head -n 1)"
    [ -n "$address" ] && break
    kill -0 "$service" 2>/dev/null || break
    sleep 0.1
done
if [ -z "$address" ]; then
    echo "schemathesis.sh: ordersvc did not start:" >&2
    cat "$work/service.log" >&2
    exit 1
fi

# The document as served must be valid OpenAPI 3.1 before anything is judged against it.
"$VENV/bin/python" -c 'import sys, urllib.request; sys.stdout.buffer.write(urllib.request.urlopen(sys.argv[1]).read())' \
    "http://$address/openapi.json" >"$work/openapi.json"
"$VENV/bin/openapi-spec-validator" --schema 3.1 "$work/openapi.json"

# Checks: all of them, but `positive_data_acceptance` is replaced by the narrower
# `positive_data_accepted_unless_state_refuses` from hooks.py, which says why: the built-in one cannot hold for
# refusals that depend on state (a reused Idempotency-Key, a stale If-Match, an unsigned cursor). No other check is
# excluded. With the token on every request, `ignored_auth` also checks each secured operation refuses one without.
# Run from the scratch folder: schemathesis and hypothesis keep their caches in the working directory.
status=0
hooks="$PWD/.ci/schemathesis/hooks.py"
report="$(realpath -m "$TARGET/schemathesis-report")"
(cd "$work" && SCHEMATHESIS_HOOKS="$hooks" timeout 240 "$VENV/bin/schemathesis" run \
    "http://$address/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks all \
    --exclude-checks positive_data_acceptance \
    --seed "$SEED" \
    --max-examples "$EXAMPLES" \
    --workers 1 \
    --generation-database none \
    --request-timeout 10 \
    --report junit --report-dir "$report") \
    || status=$?

if [ "$status" -ne 0 ]; then
    echo "schemathesis.sh: the service's log ends with:" >&2
    tail -n 20 "$work/service.log" >&2
fi
exit "$status"
