#!/usr/bin/env bash
# The ordersvc benchmark: builds the release binary and the gRPC load generator, then runs bench/harness.py, which
# prints one markdown table.
#   bench/run.sh            the full run (about 25 minutes): PostgreSQL and SQLite with 100,000 orders at 16 and 64
#                           connections (create with events on and off, get and create with tracing on and off, each
#                           in alternating rounds), and the reads at 10,000 and 1,000,000 orders; then bench/memory.py: resident
#                           memory under 20 readers of the largest pages (peak under 64 MiB, back within 16 MiB after);
#                           writes bench/results/
#   bench/run.sh --quick    a few seconds per case, to check the harness itself (CI runs this); the memory bars hold
#                           in it too
# Needs wrk, pgbench, psql and sqlite3 (Debian: apt-get install wrk postgresql-client sqlite3) and a PostgreSQL
# server that lets its user create databases (BENCH_POSTGRES_URL, default postgres://postgres@127.0.0.1:5432/postgres).
set -euo pipefail
cd "$(dirname "$0")/.."

for tool in wrk pgbench psql sqlite3 python3; do
  command -v "$tool" >/dev/null || { echo "bench/run.sh needs $tool on the PATH" >&2; exit 2; }
done

target_dir=$(cargo metadata --format-version 1 --no-deps | python3 -c 'import json, sys; print(json.load(sys.stdin)["target_directory"])')
cargo build --release --locked -p app --bin ordersvc --example grpc_load
args=(--binary "$target_dir/release/ordersvc" --grpc-load "$target_dir/release/examples/grpc_load")
memory_args=(--binary "$target_dir/release/ordersvc")
if [[ " $* " == *" --quick "* ]]; then
  memory_args+=(--quick)
fi
if [[ " $* " != *" --quick "* && " $* " != *" --results "* ]]; then
  args+=(--results bench/results)
  memory_args+=(--results bench/results)
fi
python3 bench/harness.py "${args[@]}" "$@"
python3 bench/memory.py "${memory_args[@]}"
