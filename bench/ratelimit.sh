#!/usr/bin/env bash
# The rate limiter's own cost per request: the in-process store, the whole per-request take, and
# the Redis store's EVALSHA round trip against a redis-server started in a private folder.
#
#   bench/ratelimit.sh <build-dir>      (make bench runs it with build/release)
set -euo pipefail
build=${1:?usage: bench/ratelimit.sh <build-dir>}
root=$(cd "$(dirname "$0")/.." && pwd)
servers=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench-rl.XXXXXX")
trap '"$root/scripts/test-servers" stop "$servers" >/dev/null 2>&1 || true; rm -rf "$servers"' EXIT
"$root/scripts/test-servers" start "$servers" >/dev/null
redis_url=$(set -a; . "$servers/env"; echo "${PARLEY_TEST_REDIS_URL:-}")
echo "== rate limiter cost per request (ns; Redis: loopback round trip) =="
PARLEY_BENCH_REDIS_URL=$redis_url "$build/parley_micro_bench" --benchmark_filter=RateLimit --benchmark_min_time=0.5
