#!/usr/bin/env bash
# Database benchmark: parley_db_bench (point select, 50-row page, insert over ONE connection,
# sequential vs pipelined) and, as the ceiling, `pgbench -S` with one client on the same server.
#
#   bench/db.sh [build-dir]      default build dir: build/release
#
# Uses PARLEY_TEST_PG_URL when set; otherwise starts a private server with scripts/test-servers
# (stopped again at the end). Figures go to stdout; copy them into docs/benchmarks.md.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
build=${1:-$root/build/release}
seconds=${BENCH_SECONDS:-10}
concurrency=${BENCH_CONCURRENCY:-64}
pg_bin=/usr/lib/postgresql/15/bin

bench_bin=$(find "$build" -name parley_db_bench -type f -perm -u+x | head -n 1)
[[ -n "$bench_bin" ]] || { echo "db.sh: parley_db_bench not found under $build (build target parley_db_bench)" >&2; exit 1; }
[[ -x "$pg_bin/pgbench" ]] || { echo "db.sh: $pg_bin/pgbench missing (scripts/bootstrap --bench)" >&2; exit 1; }

if [[ -z "${PARLEY_TEST_PG_URL:-}" ]]; then
  servers=$(mktemp -d /tmp/parley-bench.XXXXXX)
  trap '"$root/scripts/test-servers" stop "$servers"; rm -rf "$servers"' EXIT
  "$root/scripts/test-servers" start "$servers"
  set -a; . "$servers/env"; set +a
fi

echo "== parley_db_bench: ${seconds}s per scenario, pipelined = $concurrency coroutines on 1 connection"
"$bench_bin" "$PARLEY_TEST_PG_URL" "$seconds" "$concurrency"

echo "== pgbench -S -c1 -M prepared -T$seconds (ceiling for one synchronous connection)"
"$pg_bin/pgbench" -i -q -s 10 "$PARLEY_TEST_PG_URL" >/dev/null 2>&1
"$pg_bin/pgbench" -S -c1 -j1 -M prepared -T"$seconds" -n "$PARLEY_TEST_PG_URL" | grep -E "^tps|latency average"
echo "== pgbench -S -c1 --max-tries... pipelined reference: -c1 with \\startpipeline script"
script=$(mktemp)
{
  echo '\set aid random(1, 100000 * :scale)'
  echo '\startpipeline'
  for _ in $(seq 1 "$concurrency"); do echo 'SELECT abalance FROM pgbench_accounts WHERE aid = :aid;'; done
  echo '\endpipeline'
} >"$script"
"$pg_bin/pgbench" -c1 -j1 -M prepared -T"$seconds" -n -f "$script" "$PARLEY_TEST_PG_URL" \
  | awk -v n="$concurrency" '/^tps/ { printf "pipelined pgbench: %.0f statements/s (%s tps x %d)\n", $3 * n, $3, n }'
rm -f "$script"
