#!/usr/bin/env bash
# HTTP throughput: Parley's GET /healthz against nginx returning a fixed tiny 200 on the same
# machine (the practical HTTP ceiling here), both with wrk -t2 -c64 for 10 s. Prints both and the ratio.
#
#   bench/http.sh <path-to-release-parley> [duration]
set -euo pipefail

parley=${1:?usage: bench/http.sh <parley-binary> [duration]}
duration=${2:-10s}
work=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench.XXXXXX")
chmod 755 "$work"
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
    sleep 0.05
  done
  echo "bench: $1 did not come up" >&2
  return 1
}

rps() { awk '/Requests\/sec/ {print $2}' "$1"; }

run_wrk() {  # run_wrk <name> <url>
  echo "== $1: wrk -t2 -c64 -d$duration $2"
  wrk -t2 -c64 -d"$duration" --latency "$2" | tee "$work/$1.txt" | grep -E 'Requests/sec|Latency  |99%'
}

# --- Parley (Release, default configuration; access log on, written to a file) ---
parley_port=$(free_port)
PARLEY_LISTEN=127.0.0.1:$parley_port PARLEY_DATABASE_URL="sqlite:$work/bench.db" PARLEY_ENV=production \
  "$parley" serve >"$work/parley.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$parley_port/healthz"
run_wrk parley "http://127.0.0.1:$parley_port/healthz"
kill "${pids[0]}"; wait "${pids[0]}" 2>/dev/null || true

# --- Parley with the access log off ---
PARLEY_LISTEN=127.0.0.1:$parley_port PARLEY_DATABASE_URL="sqlite:$work/bench.db" PARLEY_ACCESS_LOG=0 \
  "$parley" serve >"$work/parley-nolog.log" 2>&1 &
pids+=($!)
wait_for "http://127.0.0.1:$parley_port/healthz"
run_wrk parley-nolog "http://127.0.0.1:$parley_port/healthz"

# --- nginx: the ceiling ---
nginx_port=$(free_port)
mkdir -p "$work/nginx/logs"
cat >"$work/nginx/nginx.conf" <<CONF
worker_processes 2;
pid $work/nginx/nginx.pid;
error_log $work/nginx/logs/error.log;
daemon off;
events { worker_connections 1024; }
http {
  access_log off;
  server {
    listen 127.0.0.1:$nginx_port;
    location / { default_type application/json; return 200 '{"status":"ok"}'; }
  }
}
CONF
nginx -p "$work/nginx" -c "$work/nginx/nginx.conf" &
pids+=($!)
wait_for "http://127.0.0.1:$nginx_port/healthz"
run_wrk nginx "http://127.0.0.1:$nginx_port/healthz"

p=$(rps "$work/parley.txt"); q=$(rps "$work/parley-nolog.txt"); n=$(rps "$work/nginx.txt")
echo
printf 'parley /healthz (access log on):  %s req/s\n' "$p"
printf 'parley /healthz (access log off): %s req/s\n' "$q"
printf 'nginx fixed 200:                  %s req/s\n' "$n"
printf 'ratio parley/nginx: %s (log on), %s (log off)\n' \
  "$(awk -v a="$p" -v b="$n" 'BEGIN {printf "%.2f", a/b}')" "$(awk -v a="$q" -v b="$n" 'BEGIN {printf "%.2f", a/b}')"
