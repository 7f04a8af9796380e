#!/usr/bin/env bash
# The cost of trace export (docs/operations.md, "Tracing"): GET /healthz and an authenticated read
# of a 50-message page with the page cache off (so each request runs its statements, each a span),
# wrk -t2 -c64 for the duration, with PARLEY_OTLP_TRACES_URL unset and set to a local OTLP/HTTP
# receiver (a Python server that reads and discards the batches), on SQLite, in two alternating
# rounds, at the sampling ratio given (default 1: every request sampled, the worst case; 0.01 is a
# usual production head-sampling rate). Prints req/s per run and the on/off ratio; copy them into
# docs/benchmarks.md.
#
#   bench/tracing.sh <path-to-release-parley> [duration] [sample-ratio]
set -euo pipefail

parley=${1:?usage: bench/tracing.sh <parley-binary> [duration] [sample-ratio]}
duration=${2:-10s}
ratio=${3:-1}
for tool in wrk curl jq python3 openssl; do
  command -v "$tool" >/dev/null || { echo "tracing.sh: $tool missing (scripts/bootstrap --bench)" >&2; exit 1; }
done
work=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench-tracing.XXXXXX")
pids=()
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  wait 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_for() {  # wait_for <url>: polls until it answers, up to 10 s
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.05  # polling interval, not a wait for readiness
  done
  echo "tracing.sh: $1 did not come up" >&2
  return 1
}

# The receiver: counts the spans it got (so the run shows they really went out).
collector_port=$(free_port)
cat >"$work/collector.py" <<'PY'
import http.server, sys
spans = 0
class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    def do_POST(self):
        global spans
        # Counted without parsing: a collector runs on its own machine, and parsing here would
        # take the CPU the server is measured with.
        spans += self.rfile.read(int(self.headers["Content-Length"])).count(b'"spanId"')
        self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers(); self.wfile.write(b"{}")
    def do_GET(self):
        text = str(spans).encode()
        self.send_response(200); self.send_header("Content-Length", str(len(text))); self.end_headers(); self.wfile.write(text)
    def log_message(self, *args): pass
http.server.ThreadingHTTPServer(("127.0.0.1", int(sys.argv[1])), Receiver).serve_forever()
PY
python3 "$work/collector.py" "$collector_port" &
pids+=($!)
wait_for "http://127.0.0.1:$collector_port/"

openssl genpkey -algorithm ed25519 -out "$work/jwt.pem" 2>/dev/null
export PARLEY_ENV=production PARLEY_SECRET_KEY=$(openssl rand -base64 48) PARLEY_JWT_PRIVATE_KEY_FILE=$work/jwt.pem
export PARLEY_ALLOWED_HOSTS=127.0.0.1 PARLEY_JWT_ACCESS_TTL=2h PARLEY_CACHE=off PARLEY_RATE_LIMITS=off
export PARLEY_DATABASE_URL="sqlite:$work/bench.db" PARLEY_TRACE_SAMPLE_RATIO=$ratio
port=$(free_port)
base="http://127.0.0.1:$port"

start() {  # start <off|on>
  local env=()
  [[ $1 == on ]] && env=(PARLEY_OTLP_TRACES_URL="http://127.0.0.1:$collector_port/v1/traces")
  env "${env[@]}" PARLEY_LISTEN=127.0.0.1:$port "$parley" all >>"$work/parley-$1.log" 2>&1 &
  server=$!
  pids+=($server)
  wait_for "$base/healthz"
}
stop() { kill "$server"; wait "$server" 2>/dev/null || true; }

# Seed: one user, one group, 50 messages.
"$parley" migrate >/dev/null
start off
curl -fsS -H 'Content-Type: application/json' -d '{"username":"bench","email":"bench@example.com","password":"correct horse battery staple"}' \
  "$base/api/v1/auth/register" >/dev/null
token=$(curl -fsS -H 'Content-Type: application/json' -d '{"login":"bench","password":"correct horse battery staple"}' \
  "$base/api/v1/auth/token" | jq -r .access)
auth="Authorization: Bearer $token"
room=$(curl -fsS -H "$auth" -H 'Content-Type: application/json' -d '{"kind":"group","name":"bench","member_ids":[]}' \
  "$base/api/v1/conversations" | jq -r .id)
for i in $(seq 1 50); do
  curl -fsS -o /dev/null -H "$auth" -H 'Content-Type: application/json' -d "{\"body\":\"message $i\"}" \
    "$base/api/v1/conversations/$room/messages"
done
stop
cat >"$work/auth.lua" <<LUA
wrk.headers["Authorization"] = "Bearer $token"
LUA

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }
declare -A results
for round in 1 2; do
  for mode in off on; do
    start "$mode"
    wrk -t2 -c64 -d"$duration" "$base/healthz" >"$work/healthz-$mode-$round.txt"
    wrk -t2 -c64 -d"$duration" -s "$work/auth.lua" "$base/api/v1/conversations/$room/messages?limit=50" \
      >"$work/page-$mode-$round.txt"
    stop
    results[healthz-$mode-$round]=$(rps "$work/healthz-$mode-$round.txt")
    results[page-$mode-$round]=$(rps "$work/page-$mode-$round.txt")
    for f in "$work/healthz-$mode-$round.txt" "$work/page-$mode-$round.txt"; do
      if grep -q 'Non-2xx' "$f"; then echo "tracing.sh: non-2xx answers in $f" >&2; cat "$f" >&2; exit 1; fi
    done
  done
done
echo "spans received by the collector: $(curl -fsS "http://127.0.0.1:$collector_port/")"
printf '%-8s %-6s %12s %12s %8s\n' scenario round off on on/off
for scenario in healthz page; do
  for round in 1 2; do
    off=${results[$scenario-off-$round]} on=${results[$scenario-on-$round]}
    printf '%-8s %-6s %12s %12s %8s\n' "$scenario" "$round" "$off" "$on" "$(awk -v a="$on" -v b="$off" 'BEGIN {printf "%.3f", a/b}')"
  done
done
