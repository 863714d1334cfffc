#!/usr/bin/env bash
# Runs ordersvc as a small cluster on this machine: N instances on one PostgreSQL database, behind HAProxy configured
# by deploy/haproxy.cfg. Stays in the foreground; Ctrl-C stops everything.
#
#   deploy/local-cluster.sh                    start: build if needed, create the database, start instances + HAProxy
#   deploy/local-cluster.sh rolling-restart    in another shell: restart the instances one at a time
#
# Settings (environment):
#   INSTANCES      how many ordersvc instances (default 2)
#   LB_PORT        HAProxy's port on 127.0.0.1 (default 8080); instance n listens on 127.0.0.1:LB_PORT+n
#   DATABASE_URL   the PostgreSQL database, created if missing
#                  (default postgres://postgres@127.0.0.1:5432/ordersvc_local)
#   ORDERSVC_BIN   an ordersvc binary to run instead of building the release one
#   AUTH_*         the instances' authentication keys and claims; unless AUTH_HS256_SECRET_FILE or AUTH_JWKS_FILE is
#                  set, a fresh HS256 secret is made in the run directory, with AUTH_ISSUER=ordersvc-local and
#                  AUTH_AUDIENCE=ordersvc, and the usage text shows how to mint a token for it
#   Other ordersvc settings (SHUTDOWN_GRACE_SECS, DB_POOL_SIZE, RUST_LOG, ...) pass through to every instance.
# Needs: haproxy, cargo (unless ORDERSVC_BIN is set), and psql to create the database (else create it yourself).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
instances=${INSTANCES:-2}
lb_port=${LB_PORT:-8080}
database_url=${DATABASE_URL:-postgres://postgres@127.0.0.1:5432/ordersvc_local}
run_dir="${XDG_RUNTIME_DIR:-${TMPDIR:-/tmp}}/ordersvc-cluster-$lb_port"
declare -a pids=()
haproxy_pid=""
# The instances and HAProxy run in sessions of their own: Ctrl-C reaches only this script, which then stops them in
# order (otherwise the instances would drain and exit on their own, and be started again).
declare -a detached=()
if command -v setsid >/dev/null; then
    detached=(setsid)
fi

die() {
    echo "local-cluster: $*" >&2
    exit 1
}

check_settings() {
    [[ $instances =~ ^[1-9][0-9]*$ ]] || die "INSTANCES must be a positive whole number, not '$instances'"
    [[ $lb_port =~ ^[1-9][0-9]*$ ]] || die "LB_PORT must be a port number, not '$lb_port'"
    ((lb_port + instances <= 65535)) || die "LB_PORT $lb_port leaves no ports for $instances instances"
    [[ $database_url == postgres://* || $database_url == postgresql://* ]] ||
        die "DATABASE_URL must be a PostgreSQL URL: several instances cannot share a SQLite file"
}

find_haproxy() {
    local candidate
    for candidate in "$(command -v haproxy || true)" /usr/sbin/haproxy /usr/local/sbin/haproxy; do
        if [[ -n $candidate && -x $candidate ]]; then
            echo "$candidate"
            return
        fi
    done
    die "haproxy not found (Debian/Ubuntu: sudo apt-get install haproxy)"
}

# The ordersvc binary: ORDERSVC_BIN, or the release build, brought up to date by cargo (a no-op when it is fresh; the
# first build takes several minutes: link-time optimisation).
find_ordersvc() {
    if [[ -n ${ORDERSVC_BIN:-} ]]; then
        [[ -x $ORDERSVC_BIN ]] || die "ORDERSVC_BIN '$ORDERSVC_BIN' is not an executable"
        echo "$ORDERSVC_BIN"
        return
    fi
    echo "building ordersvc (cargo build --release) ..." >&2
    (cd "$root" && cargo build --release -p app --bin ordersvc) >&2 || die "the build failed"
    local target_dir
    target_dir=$(cd "$root" && cargo metadata --format-version 1 --no-deps |
        sed -n 's/.*"target_directory":"\([^"]*\)".*/\1/p')
    echo "${target_dir:-$root/target}/release/ordersvc"
}

# Creates the database DATABASE_URL names, unless it exists, through the server's `postgres` database.
create_database() {
    local without_query=${database_url%%\?*} query=""
    if [[ $database_url == *\?* ]]; then
        query="?${database_url#*\?}"
    fi
    local name=${without_query##*/}
    [[ $name =~ ^[A-Za-z_][A-Za-z0-9_]*$ ]] || die "cannot read a plain database name in DATABASE_URL ('$name')"
    if ! command -v psql >/dev/null; then
        echo "psql not found: make sure database $name exists" >&2
        return
    fi
    local admin_url="${without_query%/*}/postgres$query"
    if [[ $(psql "$admin_url" -Atqc "SELECT 1 FROM pg_database WHERE datname = '$name'") != 1 ]]; then
        psql "$admin_url" -qc "CREATE DATABASE $name" || die "cannot create database $name"
        echo "created database $name"
    fi
}

# Authentication as in production: the operator's keys when given, else a fresh HS256 secret of this cluster's own.
setup_auth() {
    if [[ -z ${AUTH_HS256_SECRET_FILE:-}${AUTH_JWKS_FILE:-} ]]; then
        local secret="$run_dir/hs256.secret"
        [[ -s $secret ]] || (umask 077 && head -c 48 /dev/urandom | base64 >"$secret")
        export AUTH_HS256_SECRET_FILE=$secret
        export AUTH_ISSUER=${AUTH_ISSUER:-ordersvc-local} AUTH_AUDIENCE=${AUTH_AUDIENCE:-ordersvc}
    fi
}

instance_port() {
    echo $((lb_port + $1))
}

# Starts instance $1 in the background (logs appended to its log file) and records its pid.
start_instance() {
    local number=$1
    HTTP_ADDR="127.0.0.1:$(instance_port "$number")" GRPC_ADDR="127.0.0.1:$(($(instance_port "$number") + 1000))" \
        DATABASE_URL="$database_url" \
        "${detached[@]}" "$ordersvc" >>"$run_dir/ordersvc$number.log" 2>&1 &
    pids[number]=$!
    echo "${pids[number]}" >"$run_dir/ordersvc$number.pid"
}

# Waits until instance $1 accepts connections; fails when its process exits first.
wait_until_listening() {
    local number=$1 port
    port=$(instance_port "$number")
    until (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; do
        kill -0 "${pids[number]}" 2>/dev/null ||
            die "ordersvc$number exited at start: $(tail -n 1 "$run_dir/ordersvc$number.log")"
        sleep 0.2
    done
}

# deploy/haproxy.cfg with its `bind` on 127.0.0.1:LB_PORT and one `server` line per instance.
render_haproxy_config() {
    awk -v bind="127.0.0.1:$lb_port" -v first="$((lb_port + 1))" -v count="$instances" '
        $1 == "bind" { sub(/bind .*/, "bind " bind); print; next }
        $1 == "server" {
            if (!done) {
                indent = $0; sub(/[^ ].*/, "", indent)
                for (n = 1; n <= count; n++) printf "%sserver ordersvc%d 127.0.0.1:%d\n", indent, n, first + n - 1
                done = 1
            }
            next
        }
        { print }
    ' "$root/deploy/haproxy.cfg" >"$run_dir/haproxy.cfg"
    "$haproxy" -c -q -f "$run_dir/haproxy.cfg" || die "HAProxy refuses $run_dir/haproxy.cfg"
}

# Stops the instances (each drains for its grace period, then exits), then HAProxy. Safe to run twice.
stop_everything() {
    trap - INT TERM EXIT
    local live=()
    for pid in "${pids[@]}"; do
        if [[ -n $pid ]] && kill -0 "$pid" 2>/dev/null; then
            live+=("$pid")
        fi
    done
    if ((${#live[@]} > 0)); then
        echo "stopping: the instances drain for SHUTDOWN_GRACE_SECS (default 5 s), then exit"
        kill -TERM "${live[@]}" 2>/dev/null || true
        wait "${live[@]}" 2>/dev/null || true
    fi
    if [[ -n $haproxy_pid ]]; then
        kill -TERM "$haproxy_pid" 2>/dev/null || true
        wait "$haproxy_pid" 2>/dev/null || true
    fi
    rm -f "$run_dir"/*.pid
    echo "stopped; logs are in $run_dir"
}

print_usage() {
    cat <<EOF

ordersvc: $instances instance(s) behind HAProxy on http://127.0.0.1:$lb_port (database $database_url)
  HAProxy log:    $run_dir/haproxy.log (one line per request, naming the instance; server UP/DOWN changes)
  instance logs:  $run_dir/ordersvc<n>.log, instance n on 127.0.0.1:$((lb_port + 1))...$((lb_port + instances))

Place an order and read it back, as customer c-1 (a token from the cluster's key; SIGHUP re-reads the key files):
  TOKEN=\$(AUTH_HS256_SECRET_FILE=${AUTH_HS256_SECRET_FILE:-} AUTH_ISSUER=${AUTH_ISSUER:-} AUTH_AUDIENCE=${AUTH_AUDIENCE:-} \\
    $ordersvc token --role customer --sub c-1)
  curl -si http://127.0.0.1:$lb_port/orders -H "Authorization: Bearer \$TOKEN" -H 'Content-Type: application/json' \\
    -d '{"customer_id":"c-1","restaurant_id":"r-1","order_items":[{"product_code":"soda","name":"Soda","unit_price":2.50,"quantity":4}]}'
  curl -si http://127.0.0.1:$lb_port/orders/<id> -H "Authorization: Bearer \$TOKEN"

Rolling restart, one instance at a time, while clients keep going:
  kill -TERM "\$(cat $run_dir/ordersvc1.pid)"
  # ordersvc1's readiness fails at once, HAProxy takes it out within 1.5 s, it drains and exits after its grace
  # period, and this script starts it again on the same port. Wait for
  # "Server ordersvc/ordersvc1 is UP" in the HAProxy log, then do the same for ordersvc2, and so on.
  # Or let this script do it all:  LB_PORT=$lb_port $0 rolling-restart

Ctrl-C stops everything.
EOF
}

# Keeps the cluster running: an instance that drained and exited 0 (a rolling restart) starts again on its port; one
# that failed is reported and left down.
supervise() {
    local number pid status
    while true; do
        sleep 1
        kill -0 "$haproxy_pid" 2>/dev/null || die "HAProxy exited: see $run_dir/haproxy.log"
        for ((number = 1; number <= instances; number++)); do
            pid=${pids[number]}
            [[ -z $pid ]] && continue
            kill -0 "$pid" 2>/dev/null && continue
            status=0
            wait "$pid" || status=$?
            if ((status == 0)); then
                echo "ordersvc$number drained and exited; starting it again on port $(instance_port "$number")"
                start_instance "$number"
            else
                echo "ordersvc$number failed (exit $status), left down: see $run_dir/ordersvc$number.log" >&2
                pids[number]=""
                rm -f "$run_dir/ordersvc$number.pid"
            fi
        done
    done
}

run_cluster() {
    check_settings
    haproxy=$(find_haproxy)
    ordersvc=$(find_ordersvc)
    [[ -d $run_dir ]] || mkdir -m 700 "$run_dir"
    [[ -O $run_dir ]] || die "$run_dir belongs to someone else"
    for pid_file in "$run_dir"/*.pid; do
        if [[ -e $pid_file ]] && kill -0 "$(cat "$pid_file")" 2>/dev/null; then
            die "a cluster already runs on port $lb_port (pid files in $run_dir)"
        fi
    done
    create_database
    setup_auth
    trap stop_everything EXIT
    trap 'exit 130' INT
    trap 'exit 143' TERM
    for ((number = 1; number <= instances; number++)); do
        start_instance "$number"
    done
    for ((number = 1; number <= instances; number++)); do
        wait_until_listening "$number"
    done
    render_haproxy_config
    "${detached[@]}" "$haproxy" -db -f "$run_dir/haproxy.cfg" >"$run_dir/haproxy.log" 2>&1 &
    haproxy_pid=$!
    print_usage
    supervise
}

# Restarts the instances of the cluster on LB_PORT one at a time: SIGTERM, then wait until the running cluster script
# has started it again and HAProxy has marked it UP, before the next.
rolling_restart() {
    local pid_file number pid ups
    for pid_file in "$run_dir"/ordersvc*.pid; do
        [[ -e $pid_file ]] || die "no cluster runs on port $lb_port (no pid files in $run_dir)"
        number=${pid_file##*/ordersvc}
        number=${number%.pid}
        pid=$(cat "$pid_file")
        ups=$(grep -c "Server ordersvc/ordersvc$number is UP" "$run_dir/haproxy.log" || true)
        echo "ordersvc$number (pid $pid): draining"
        kill -TERM "$pid"
        local deadline=$((SECONDS + 120))
        until (($(grep -c "Server ordersvc/ordersvc$number is UP" "$run_dir/haproxy.log" || true) > ups)); do
            ((SECONDS < deadline)) || die "ordersvc$number did not come back within 120 s: see its log"
            sleep 0.5
        done
        echo "ordersvc$number (pid $(cat "$pid_file")): back in rotation"
    done
}

case ${1:-} in
"") run_cluster ;;
rolling-restart) rolling_restart ;;
*) die "usage: $0 [rolling-restart]" ;;
esac
