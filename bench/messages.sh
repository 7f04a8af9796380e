#!/usr/bin/env bash
# Messaging throughput, on SQLite and on PostgreSQL: an authenticated read of a 50-message page
# (GET /api/v1/conversations/{id}/messages?limit=50), the same page through POST /graphql
# (graphql-page), and a message send (POST, 201, a new message
# every request), each with wrk -t2 -c64 for the duration (default 10s), against the Release server
# in a production-like configuration (PARLEY_ENV=production: JSON access log on, written to a file).
# Seeds 2 users, 1 group and 200 messages first. Any non-2xx answer or socket error fails the run.
# On PostgreSQL it then measures the send into groups of 20, 100, 1,000 and 10,000 members
# (AUDIENCES overrides; the extra members are inserted with SQL): a send must not cost more with a
# bigger audience.
# Prints req/s, p50/p99 latency, the CPU Parley and PostgreSQL spent per request, and how busy the
# whole machine was (2 vCPUs shared with wrk): copy the figures into docs/benchmarks.md.
#
#   bench/messages.sh <path-to-release-parley> [duration]
#
# PERF_DIR=<folder> also profiles each scenario with `perf record -a` (the whole machine, DWARF call
# graphs) and writes <backend>-<scenario>.svg (a flame graph) and .txt (the samples by process and,
# inside Parley, by layer) there with scripts/flamegraph; the profiler costs CPU, so the figures of
# a profiled run are not throughput figures.
#
# BACKENDS="sqlite postgresql" (the default) chooses the backends to measure.
#
# The cache (docs/caching.md): the main server runs with the default PARLEY_CACHE (auto: memory,
# as no PARLEY_REDIS_URL is set). On PostgreSQL the page read is then measured again against a
# second server on the same database for each of CACHES (default "off memory redis"; redis uses
# the private redis-server of scripts/test-servers), alone and mixed with sends (page-mix: one
# send per MIX_EVERY requests, default 20, so pages keep being invalidated), with the page cache's
# hit ratio from that server's /metrics.
#
# SQLite: a fresh file. PostgreSQL: a private server from scripts/test-servers (fsync,
# synchronous_commit and full_page_writes off) with a fresh database, migrated with
# `parley migrate`; the server is stopped again at the end.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
parley=${1:?usage: bench/messages.sh <parley-binary> [duration]}
parley=$(cd "$(dirname "$parley")" && pwd)/$(basename "$parley")
duration=${2:-10s}
[[ -x "$parley" ]] || { echo "messages.sh: $parley is not an executable" >&2; exit 1; }
if [[ -n "${PERF_DIR:-}" ]]; then
  command -v perf >/dev/null || { echo "messages.sh: PERF_DIR needs perf (scripts/bootstrap --bench)" >&2; exit 1; }
  PERF_DIR=$(realpath -m "$PERF_DIR")
fi
for tool in wrk curl jq psql openssl python3; do
  command -v "$tool" >/dev/null || { echo "messages.sh: $tool missing (scripts/bootstrap --bench)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench-messages.XXXXXX")
chmod 755 "$work"
parley_pid=
cache_pid=
servers_started=0
cleanup() {
  if [[ -n "$cache_pid" ]]; then kill "$cache_pid" 2>/dev/null || true; wait "$cache_pid" 2>/dev/null || true; fi
  if [[ -n "$parley_pid" ]]; then kill "$parley_pid" 2>/dev/null || true; wait "$parley_pid" 2>/dev/null || true; fi
  if ((servers_started)); then "$root/scripts/test-servers" stop "$work/servers" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

fail() { echo "messages.sh: $*" >&2; exit 1; }

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() {  # wait_for <url>: polls until it answers, up to 10 s
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.05  # polling interval, not a wait for readiness
  done
  return 1
}

# Production-like settings shared by both backends: a persistent signing key and secret, a host
# list, the loopback as the trusted TLS proxy. Access tokens outlive any sensible duration.
openssl genpkey -algorithm ed25519 -out "$work/jwt.pem" 2>/dev/null
export PARLEY_ENV=production
export PARLEY_SECRET_KEY=$(openssl rand -base64 48)
export PARLEY_JWT_PRIVATE_KEY_FILE=$work/jwt.pem
export PARLEY_ALLOWED_HOSTS=127.0.0.1
export PARLEY_TRUSTED_PROXIES=127.0.0.1/32
export PARLEY_JWT_ACCESS_TTL=2h
export PARLEY_UPLOAD_DIR=$work/uploads
# Request limits would refuse a load generator; bench/ratelimit.sh measures their cost.
export PARLEY_RATE_LIMITS=off
export PARLEY_MAIL_LOG_FILE=$work/mail.log

readonly password="bench passphrase 7781 xyz"
# A typical chat line: some Markdown, a link, no mention (each send renders it and stores the HTML).
readonly message_body='Benchmark message: *hello* from wrk, see [the notes](https://example.com/notes) and `make bench`.'

# api <token|-> <method> <path> [json]: the JSON answer on stdout; any non-2xx status is fatal.
api() {
  local token=$1 method=$2 path=$3 body=${4:-}
  local args=(-sS -X "$method" -w '\n%{http_code}')
  [[ "$token" != - ]] && args+=(-H "Authorization: Bearer $token")
  [[ -n "$body" ]] && args+=(-H 'Content-Type: application/json' --data-binary "$body")
  local out status
  out=$(curl "${args[@]}" "$base$path")
  status=${out##*$'\n'}
  out=${out%$'\n'*}
  [[ "$status" == 2* ]] || fail "$method $path answered $status: $out"
  printf '%s' "$out"
}

# seed: registers 2 users, logs both in, creates a group of the two and 200 messages alternating
# senders. Sets token_a and conversation_id.
seed() {
  local id_b token_b i
  api - POST /api/v1/auth/register "$(jq -nc --arg p "$password" \
    '{username: "bench_a", email: "bench_a@example.com", password: $p, display_name: "Bench A"}')" >/dev/null
  id_b=$(api - POST /api/v1/auth/register "$(jq -nc --arg p "$password" \
    '{username: "bench_b", email: "bench_b@example.com", password: $p, display_name: "Bench B"}')" | jq -r .id)
  token_a=$(api - POST /api/v1/auth/token "$(jq -nc --arg p "$password" '{login: "bench_a", password: $p}')" | jq -r .access)
  token_b=$(api - POST /api/v1/auth/token "$(jq -nc --arg p "$password" '{login: "bench_b", password: $p}')" | jq -r .access)
  conversation_id=$(api "$token_a" POST /api/v1/conversations \
    "$(jq -nc --argjson b "$id_b" '{kind: "group", name: "bench", member_ids: [$b]}')" | jq -r .id)
  local send_json
  send_json=$(jq -nc --arg b "$message_body" '{body: $b}')
  for i in $(seq 1 200); do
    if ((i % 2)); then
      api "$token_a" POST "/api/v1/conversations/$conversation_id/messages" "$send_json" >/dev/null
    else
      api "$token_b" POST "/api/v1/conversations/$conversation_id/messages" "$send_json" >/dev/null
    fi
  done
  local page_size
  page_size=$(api "$token_a" GET "/api/v1/conversations/$conversation_id/messages?limit=50" | jq '.results | length')
  [[ "$page_size" == 50 ]] || fail "the seeded page holds $page_size messages, not 50"
}

# cpu_ticks <pid>...: user + system CPU the processes used so far, in clock ticks (all their threads).
cpu_ticks() {
  local total=0 pid
  for pid in "$@"; do
    [[ -r /proc/$pid/stat ]] && total=$((total + $(awk '{print $14 + $15}' "/proc/$pid/stat" 2>/dev/null || echo 0)))
  done
  echo "$total"
}

# postgres_pids: the private PostgreSQL's postmaster and its children (backends, autovacuum, ...).
postgres_pids() {
  local postmaster
  [[ -r "$work/servers/pg/data/postmaster.pid" ]] || return 0
  postmaster=$(head -n 1 "$work/servers/pg/data/postmaster.pid")
  echo "$postmaster" $(pgrep -P "$postmaster")
}

per_request() {  # per_request <ticks> <requests>: CPU microseconds per completed request
  awk -v t="$1" -v n="$2" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f us", t / hz / n * 1e6}'
}

# machine_busy: "<busy ticks> <all ticks>" of the whole machine so far (every process, every core).
machine_busy() { awk '/^cpu / {all = 0; for (i = 2; i <= 9; i++) all += $i; print all - $5 - $6, all}' /proc/stat; }

# run_wrk <backend> <scenario> <wrk args...>: runs wrk, keeps its output in $work/<backend>-<scenario>.txt
# and a summary line (with the CPU time Parley and PostgreSQL spent per request), and fails on any
# error wrk reports (non-2xx answers, socket errors, timeouts).
run_wrk() {
  local backend=$1 scenario=$2 out="$work/$1-$2.txt" pg_pids parley_before pg_before parley_after pg_after busy_before busy_after
  shift 2
  echo "== $backend $scenario: wrk -t2 -c64 -d$duration --latency $*" | sed -E 's/Bearer [^ ]+/Bearer <token>/'
  local perf_pid=
  if [[ -n "${PERF_DIR:-}" ]]; then
    perf record -a --call-graph dwarf,16384 -F 97 -o "$work/perf.data" >"$work/perf.log" 2>&1 &
    perf_pid=$!
  fi
  pg_pids=$(postgres_pids)
  local measured=${cache_pid:-$parley_pid}
  parley_before=$(cpu_ticks "$measured"); pg_before=$(cpu_ticks $pg_pids); busy_before=$(machine_busy)
  wrk -t2 -c64 -d"$duration" --latency "$@" >"$out" 2>&1 || { cat "$out" >&2; fail "$backend $scenario: wrk failed"; }
  # Backends the pool opened during the run count from zero; the pool keeps them open afterwards.
  parley_after=$(cpu_ticks "$measured"); pg_pids=$(postgres_pids); pg_after=$(cpu_ticks $pg_pids)
  busy_after=$(machine_busy)
  [[ -n "$perf_pid" ]] && profile "$backend" "$scenario" "$perf_pid"
  grep -E 'Requests/sec|Latency  |^ +(50|99)%|requests in' "$out" || true
  if grep -qE 'Non-2xx or 3xx responses|Socket errors' "$out"; then
    cat "$out" >&2
    echo "--- last lines of the server log:" >&2
    tail -n 5 "$work/parley.log" >&2 || true
    fail "$backend $scenario: errors during the run; figures not valid"
  fi
  local rps
  rps=$(awk '/Requests\/sec/ {print $2}' "$out")
  [[ -n "$rps" ]] && awk -v r="$rps" 'BEGIN {exit !(r > 0)}' || fail "$backend $scenario: no requests completed"
  local requests pg_cpu=-
  requests=$(awk '/requests in/ {print $1}' "$out")
  [[ -n "$pg_pids" ]] && pg_cpu=$(per_request $((pg_after - pg_before)) "$requests")
  printf '%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n' "$backend" "$scenario" "$rps" \
    "$(awk '$1 == "50%" {print $2}' "$out")" "$(awk '$1 == "99%" {print $2}' "$out")" \
    "$(per_request $((parley_after - parley_before)) "$requests")" "$pg_cpu" \
    "$(awk -v b="$busy_before" -v a="$busy_after" 'BEGIN {split(b, x); split(a, y); printf "%.0f%%", 100 * (y[1] - x[1]) / (y[2] - x[2])}')" \
    >>"$work/summary.tsv"
}

# profile <backend> <scenario> <perf-pid>: stops the profiler and writes the flame graph and layers.
profile() {
  kill -INT "$3"; wait "$3" || true
  mkdir -p "$PERF_DIR"
  perf script -i "$work/perf.data" 2>/dev/null \
    | "$root/scripts/flamegraph" --title "$1 $2 (wrk -t2 -c64, perf -a -F 97, $(date -u +%F))" \
        --svg "$PERF_DIR/$1-$2.svg" --layers --top 15 >"$PERF_DIR/$1-$2.txt"
  rm -f "$work/perf.data"
  sed 's/^/   /' "$PERF_DIR/$1-$2.txt"
}

# bench_backend <name> <database-url>: serves Parley on that database, seeds, runs both scenarios.
bench_backend() {
  local name=$1 url=$2 port
  port=$(free_port)
  base="http://127.0.0.1:$port"
  if [[ $name == postgresql ]]; then  # the production rules hold (SQLite is refused there by design)
    PARLEY_DATABASE_URL=$url "$parley" check --deploy >"$work/check.log" 2>&1 \
      || { cat "$work/check.log" >&2; fail "$name: parley check --deploy found problems"; }
  fi
  PARLEY_DATABASE_URL=$url "$parley" migrate >"$work/migrate-$name.log" 2>&1 \
    || { cat "$work/migrate-$name.log" >&2; fail "$name: parley migrate failed"; }
  PARLEY_DATABASE_URL=$url PARLEY_LISTEN=127.0.0.1:$port "$parley" serve >"$work/parley.log" 2>&1 &
  parley_pid=$!
  wait_for "$base/readyz" || { tail -n 20 "$work/parley.log" >&2; fail "$name: parley did not come up"; }
  seed

  run_wrk "$name" page-read -H "Authorization: Bearer $token_a" \
    "$base/api/v1/conversations/$conversation_id/messages?limit=50"

  # The same page through GraphQL (docs/graphql.md): the fields of the REST page, senders and
  # reactions included; issue 14's goal is a cost within 1.5x of the REST page's.
  cat >"$work/graphql-page.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$(jq -nc --arg id "$conversation_id" '{query: "query Page($id: ID!) { conversation(id: $id) { messages(last: 50) { edges { cursor node { id body html createdAt editedAt parentId replyCount sender { id username displayName } reactions { emoji count me } mentions attachments { id filename url } } } pageInfo { hasPreviousPage startCursor } } } }", variables: {id: $id}}')]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/graphql-response+json"
wrk.headers["Authorization"] = "Bearer $token_a"
LUA
  local edges
  edges=$(curl -sS -X POST -H 'Content-Type: application/json' -H "Authorization: Bearer $token_a" \
    --data-binary "$(awk '/^wrk.body/ {sub(/^wrk.body = \[\[/, ""); sub(/\]\]$/, ""); print}' "$work/graphql-page.lua")" \
    "$base/graphql" | jq '.data.conversation.messages.edges | length')
  [[ "$edges" == 50 ]] || fail "the GraphQL page holds $edges messages, not 50"
  run_wrk "$name" graphql-page -s "$work/graphql-page.lua" "$base/graphql"

  local script="$work/send.lua" before after
  cat >"$script" <<LUA
wrk.method = "POST"
wrk.body = [[$(jq -nc --arg b "$message_body" '{body: $b}')]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Authorization"] = "Bearer $token_a"
LUA
  before=$(message_count "$name" "$url")
  run_wrk "$name" send -s "$script" "$base/api/v1/conversations/$conversation_id/messages"
  after=$(message_count "$name" "$url")
  local sent
  sent=$(awk '/requests in/ {print $1}' "$work/$name-send.txt")
  echo "   $name: $((after - before)) messages stored for $sent completed sends (requests still in flight when wrk stops also land)"
  ((after - before >= sent)) || fail "$name send: fewer messages stored than 201 answers"

  if [[ $name == postgresql && -z "${PERF_DIR:-}" ]]; then
    local cache
    for cache in ${CACHES:-off memory redis}; do bench_cache "$url" "$cache"; done
    bench_audiences "$url" "$script"
  fi

  kill "$parley_pid"; wait "$parley_pid" 2>/dev/null || true
  parley_pid=
}

# cache_counter <base> <hits|misses>: the message-page cache's counter on the server at <base>.
cache_counter() {
  curl -fsS "$1/metrics" | awk -v name="parley_cache_$2_total" \
    '$1 == name "{cache=\"message_pages\"}" {printf "%d", $2; found = 1} END {if (!found) print 0}'
}

# bench_cache <url> <off|memory|redis>: a second server on the same database with PARLEY_CACHE set
# so; the page read alone and mixed with sends against it, with its hit ratio.
bench_cache() {
  local url=$1 cache=$2 port main_base=$base env=(PARLEY_CACHE=$cache)
  [[ $cache == redis ]] && env+=(PARLEY_REDIS_URL=$redis_url)
  port=$(free_port)
  base="http://127.0.0.1:$port"
  env "${env[@]}" PARLEY_DATABASE_URL=$url PARLEY_LISTEN=127.0.0.1:$port "$parley" serve >"$work/parley-$cache.log" 2>&1 &
  cache_pid=$!
  wait_for "$base/readyz" || { tail -n 20 "$work/parley-$cache.log" >&2; fail "cache $cache: parley did not come up"; }
  local page="/api/v1/conversations/$conversation_id/messages?limit=50" hits misses scenario
  cat >"$work/mix.lua" <<LUA
local n = 0
local get_headers = {["Authorization"] = "Bearer $token_a"}
local post_headers = {["Authorization"] = "Bearer $token_a", ["Content-Type"] = "application/json"}
local body = [[$(jq -nc --arg b "$message_body" '{body: $b}')]]
request = function()
  n = n + 1
  if n % ${MIX_EVERY:-20} == 0 then
    return wrk.format("POST", "/api/v1/conversations/$conversation_id/messages", post_headers, body)
  end
  return wrk.format("GET", "$page", get_headers)
end
LUA
  for scenario in page-read page-mix; do
    hits=$(cache_counter "$base" hits); misses=$(cache_counter "$base" misses)
    if [[ $scenario == page-read ]]; then
      run_wrk postgresql "$scenario-cache-$cache" -H "Authorization: Bearer $token_a" "$base$page"
    else
      run_wrk postgresql "$scenario-cache-$cache" -s "$work/mix.lua" "$base$page"
    fi
    hits=$(($(cache_counter "$base" hits) - hits)); misses=$(($(cache_counter "$base" misses) - misses))
    printf '%s\t%s\t%s\t%s\n' "$scenario" "$cache" "$hits/$misses" \
      "$(awk -v h="$hits" -v m="$misses" 'BEGIN {if (h + m) printf "%.1f%%", 100 * h / (h + m); else print "-"}')" \
      >>"$work/cache.tsv"
  done
  kill "$cache_pid"; wait "$cache_pid" 2>/dev/null || true
  cache_pid=
  base=$main_base
}

# bench_audiences <url> <send-script>: the send scenario into groups of each size of AUDIENCES.
bench_audiences() {
  local url=$1 script=$2 members id
  psql -qAt "$url" -c "INSERT INTO users (username, email) SELECT 'aud' || g, 'aud' || g || '@example.com'
                       FROM generate_series(1, 10000) AS g" >/dev/null
  for members in ${AUDIENCES:-20 100 1000 10000}; do
    id=$(api "$token_a" POST /api/v1/conversations '{"kind": "group", "name": "audience", "member_ids": []}' | jq -r .id)
    psql -qAt "$url" -c "INSERT INTO conversation_members (conversation_id, user_id)
                         SELECT $id, id FROM users WHERE username LIKE 'aud%' ORDER BY id LIMIT $((members - 1))" >/dev/null
    run_wrk postgresql "send-$members-members" -s "$script" "$base/api/v1/conversations/$id/messages"
  done
}

message_count() {  # message_count <name> <url>
  if [[ $1 == sqlite ]]; then
    python3 -c 'import sqlite3, sys; print(sqlite3.connect(sys.argv[1]).execute("SELECT count(*) FROM messages").fetchone()[0])' "${2#sqlite:}"
  else
    psql -qAt "$2" -c 'SELECT count(*) FROM messages'
  fi
}

echo "load before: $(uptime)"
printf 'backend\tscenario\treq/s\tp50\tp99\tparley CPU/req\tpostgres CPU/req\tmachine busy\n' >"$work/summary.tsv"
printf 'scenario\tcache\thits/misses\thit ratio\n' >"$work/cache.tsv"

backends=${BACKENDS:-sqlite postgresql}
if [[ " $backends " == *" sqlite "* ]]; then
  bench_backend sqlite "sqlite:$work/bench.db"
fi
if [[ " $backends " == *" postgresql "* ]]; then
  "$root/scripts/test-servers" start "$work/servers" >"$work/servers.log" 2>&1 \
    || { cat "$work/servers.log" >&2; fail "scripts/test-servers start failed"; }
  servers_started=1
  pg_admin_url=$(set -a; . "$work/servers/env"; echo "$PARLEY_TEST_PG_URL")
  redis_url=$(set -a; . "$work/servers/env"; echo "$PARLEY_TEST_REDIS_URL")
  psql -qAt "$pg_admin_url" -c 'CREATE DATABASE parley_bench' >/dev/null
  bench_backend postgresql "${pg_admin_url%/*}/parley_bench"
fi

echo "load after:  $(uptime)"
echo
column -t -s $'\t' "$work/summary.tsv"
if (($(wc -l <"$work/cache.tsv") > 1)); then
  echo
  column -t -s $'\t' "$work/cache.tsv"
fi
