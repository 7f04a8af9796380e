#!/usr/bin/env bash
# The 50-message page through GraphQL next to the same page through REST, as Parley CPU per
# request (issue 14's goal: GraphQL within 1.5x of REST). One Release server on a fresh SQLite file
# with PARLEY_CACHE=off (REST's page cache would otherwise answer every read after the first, and
# GraphQL has none), 2 users, 1 group and 61 messages. The two requests alternate, ROUNDS times
# (default 5), wrk -t1 -c16 for the duration each (default 4s); Parley's CPU per request comes from
# /proc/<pid>/stat. The machine is shared and noisy, so the figure to quote is the median of the
# per-round ratios, which compares two measurements taken seconds apart.
#
#   bench/graphql.sh <path-to-release-parley> [duration]
#
# The GraphQL query selects the fields of the REST page (senders, reactions, mentions,
# attachments, cursors, pageInfo); a run fails when either answer is not a page of 50 messages.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
parley=${1:?usage: bench/graphql.sh <parley-binary> [duration]}
duration=${2:-4s}
rounds=${ROUNDS:-5}
[[ -x "$parley" ]] || { echo "graphql.sh: $parley is not an executable" >&2; exit 1; }
for tool in wrk curl jq python3; do
  command -v "$tool" >/dev/null || { echo "graphql.sh: $tool missing (scripts/bootstrap --bench)" >&2; exit 1; }
done

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench-graphql.XXXXXX")
pid=
cleanup() {
  if [[ -n "$pid" ]]; then kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base=http://127.0.0.1:$port
export PARLEY_RATE_LIMITS=off PARLEY_CACHE=off PARLEY_DATABASE_URL="sqlite://$work/db.sqlite3"
export PARLEY_LISTEN=127.0.0.1:$port PARLEY_JWT_ACCESS_TTL=2h
"$parley" migrate >"$work/migrate.log" 2>&1
"$parley" serve >"$work/server.log" 2>&1 &
pid=$!
for _ in $(seq 200); do curl -fs "$base/readyz" >/dev/null && break; sleep 0.05; done

post() {  # post <path> <json> [token]
  curl -fsS -X POST -H 'Content-Type: application/json' ${3:+-H "Authorization: Bearer $3"} "$base$1" -d "$2"
}
password="bench passphrase 7781 xyz"
post /api/v1/auth/register "{\"username\":\"bench_a\",\"display_name\":\"A\",\"email\":\"a@example.com\",\"password\":\"$password\"}" >/dev/null
bob=$(post /api/v1/auth/register "{\"username\":\"bench_b\",\"display_name\":\"B\",\"email\":\"b@example.com\",\"password\":\"$password\"}" | jq .id)
token=$(post /api/v1/auth/token "{\"login\":\"bench_a\",\"password\":\"$password\"}" | jq -r .access)
conversation=$(post /api/v1/conversations "{\"kind\":\"group\",\"name\":\"bench\",\"member_ids\":[$bob]}" "$token" | jq .id)
for _ in $(seq 60); do
  post "/api/v1/conversations/$conversation/messages" \
    '{"body":"Benchmark message: *hello* from wrk, see [the notes](https://example.com/notes) and `make bench`."}' \
    "$token" >/dev/null
done
last=$(post "/api/v1/conversations/$conversation/messages" '{"body":"the last one"}' "$token" | jq .id)
post "/api/v1/messages/$last/reactions" '{"emoji":"👍"}' "$token" >/dev/null

query='query Page($id: ID!) { conversation(id: $id) { messages(last: 50) { edges { cursor node { id body html createdAt editedAt parentId replyCount sender { id username displayName } reactions { emoji count me } mentions attachments { id filename url } } } pageInfo { hasPreviousPage startCursor } } } }'
body=$(jq -nc --arg q "$query" --arg id "$conversation" '{query: $q, variables: {id: $id}}')
cat >"$work/graphql.lua" <<LUA
wrk.method = "POST"
wrk.body = [[$body]]
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/graphql-response+json"
wrk.headers["Authorization"] = "Bearer $token"
LUA
rest_url="$base/api/v1/conversations/$conversation/messages?limit=50"
graphql_count=$(post /graphql "$body" "$token" | jq '.data.conversation.messages.edges | length')
rest_count=$(curl -fsS -H "Authorization: Bearer $token" "$rest_url" | jq '.results | length')
if [[ "$graphql_count" != 50 || "$rest_count" != 50 ]]; then
  echo "graphql.sh: expected pages of 50 messages, got GraphQL $graphql_count and REST $rest_count" >&2
  exit 1
fi

ticks() { awk '{print $14 + $15}' "/proc/$pid/stat"; }
# cpu_per_request <wrk arguments...>: Parley's CPU per request in microseconds, for one wrk run.
cpu_per_request() {
  local before after requests
  before=$(ticks)
  wrk -t1 -c16 -d"$duration" "$@" >"$work/wrk.txt"
  after=$(ticks)
  if grep -q 'Non-2xx\|Socket errors' "$work/wrk.txt"; then cat "$work/wrk.txt" >&2; exit 1; fi
  requests=$(awk '/requests in/ {print $1}' "$work/wrk.txt")
  awk -v t=$((after - before)) -v n="$requests" -v hz="$(getconf CLK_TCK)" 'BEGIN {printf "%.0f", t / hz / n * 1e6}'
}

echo "round  REST page (us/req)  GraphQL page (us/req)  ratio"
ratios=()
for round in $(seq "$rounds"); do
  rest=$(cpu_per_request -H "Authorization: Bearer $token" "$rest_url")
  graphql=$(cpu_per_request -s "$work/graphql.lua" "$base/graphql")
  ratio=$(awk -v a="$rest" -v b="$graphql" 'BEGIN {printf "%.2f", b / a}')
  ratios+=("$ratio")
  printf '%5d  %19s  %21s  %5s\n' "$round" "$rest" "$graphql" "$ratio"
done
median=$(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}')
echo "median ratio (GraphQL / REST): $median (goal: 1.5 or less)"
