#!/usr/bin/env bash
# Real-time delivery, with bench/wsload against the Release server on a private PostgreSQL:
#   fan-out   1,000 sockets (FANOUT_SOCKETS), one per user, all members of one group; messages sent
#             through the REST API at RATE msgs/s (default 20) for DURATION s (default 20) from 4
#             senders; every socket must get every message.created once, in event-id order.
#             Prints deliveries expected/received, losses, duplicates, out-of-order, latency
#             p50/p99/max (receive time minus the send's 201 answer, and minus the request start)
#             and deliveries per second.
#   idle      10,000 sockets (IDLE_SOCKETS) opened on a freshly started server and left idle for
#             IDLE_WAIT s (default 10): the server's VmRSS before and after, KiB per idle socket
#             (users wsidle0.. of their own, in no conversation, so no presence traffic).
# The users (wsload0..), their personal tokens and the memberships are seeded with SQL by wsload
# (--pg-url): registering and logging in 10,000 users through Argon2id would take many minutes.
# Any loss, duplicate, out-of-order event, failed socket or failed send fails the run.
#
#   bench/realtime.sh <path-to-release-parley> [path-to-wsload]
#
# wsload defaults to <dir of parley>/bench/wsload/wsload (the Release build's bench target).
# The open-file limit is raised to the hard limit (ulimit -Hn), which must exceed IDLE_SOCKETS;
# the server gets PARLEY_MAX_CONNECTIONS=IDLE_SOCKETS+2000 and PARLEY_RATE_LIMITS=off.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
parley=${1:?usage: bench/realtime.sh <parley-binary> [wsload-binary]}
parley=$(cd "$(dirname "$parley")" && pwd)/$(basename "$parley")
wsload=${2:-$(dirname "$parley")/bench/wsload/wsload}
fanout_sockets=${FANOUT_SOCKETS:-1000}
idle_sockets=${IDLE_SOCKETS:-10000}
rate=${RATE:-20}
duration=${DURATION:-20}
idle_wait=${IDLE_WAIT:-10}
[[ -x "$parley" ]] || { echo "realtime.sh: $parley is not an executable" >&2; exit 1; }
[[ -x "$wsload" ]] || { echo "realtime.sh: $wsload is not an executable (build the wsload target)" >&2; exit 1; }
for tool in curl psql openssl python3; do
  command -v "$tool" >/dev/null || { echo "realtime.sh: $tool missing (scripts/bootstrap --bench)" >&2; exit 1; }
done

fail() { echo "realtime.sh: $*" >&2; exit 1; }

ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
nofile=$(ulimit -n)
if [[ "$nofile" != unlimited ]] && ((nofile < idle_sockets + 1000)); then
  fail "open-file limit $nofile is too low for $idle_sockets sockets (server and client each need one per socket): raise ulimit -Hn or set IDLE_SOCKETS"
fi

work=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench-realtime.XXXXXX")
chmod 755 "$work"
parley_pid=
servers_started=0
cleanup() {
  if [[ -n "$parley_pid" ]]; then kill "$parley_pid" 2>/dev/null || true; wait "$parley_pid" 2>/dev/null || true; fi
  if ((servers_started)); then "$root/scripts/test-servers" stop "$work/servers" >/dev/null 2>&1 || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }

wait_for() {  # wait_for <url>: polls until it answers, up to 10 s
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.05  # polling interval, not a wait for readiness
  done
  return 1
}

# Production-like settings, as bench/messages.sh: persistent signing key and secret, JSON access
# log to a file; plus room for the sockets and no rate limits (the load comes from one address).
openssl genpkey -algorithm ed25519 -out "$work/jwt.pem" 2>/dev/null
export PARLEY_ENV=production
export PARLEY_SECRET_KEY=$(openssl rand -base64 48)
export PARLEY_JWT_PRIVATE_KEY_FILE=$work/jwt.pem
export PARLEY_ALLOWED_HOSTS=127.0.0.1
export PARLEY_TRUSTED_PROXIES=127.0.0.1/32
export PARLEY_JWT_ACCESS_TTL=2h
export PARLEY_UPLOAD_DIR=$work/uploads
export PARLEY_MAIL_LOG_FILE=$work/mail.log
export PARLEY_RATE_LIMITS=off
export PARLEY_MAX_CONNECTIONS=$((idle_sockets + 2000))

"$root/scripts/test-servers" start "$work/servers" >"$work/servers.log" 2>&1 \
  || { cat "$work/servers.log" >&2; fail "scripts/test-servers start failed"; }
servers_started=1
pg_admin_url=$(set -a; . "$work/servers/env"; echo "$PARLEY_TEST_PG_URL")
psql -qAt "$pg_admin_url" -c 'CREATE DATABASE parley_bench' >/dev/null
url="${pg_admin_url%/*}/parley_bench"
PARLEY_DATABASE_URL=$url "$parley" migrate >"$work/migrate.log" 2>&1 \
  || { cat "$work/migrate.log" >&2; fail "parley migrate failed"; }

port=$(free_port)
base="http://127.0.0.1:$port"

start_parley() {
  PARLEY_DATABASE_URL=$url PARLEY_LISTEN=127.0.0.1:$port "$parley" serve >>"$work/parley.log" 2>&1 &
  parley_pid=$!
  wait_for "$base/readyz" || { tail -n 20 "$work/parley.log" >&2; fail "parley did not come up"; }
}

stop_parley() {
  kill "$parley_pid"; wait "$parley_pid" 2>/dev/null || true
  parley_pid=
}

status=0
results=()
run_wsload() {  # run_wsload <name> <wsload args...>: keeps the JSON line; a failure fails the script at the end
  local name=$1 rc=0
  shift
  echo "== $name: wsload $*"
  "$wsload" --url "$base" --pg-url "$url" --label "$name" "$@" >"$work/$name.out" 2>"$work/$name.err" || rc=$?
  grep -v '^{' "$work/$name.out" || true
  results+=("$(grep '^{' "$work/$name.out" | tail -n 1)")
  if ((rc != 0)); then
    echo "   $name: wsload exited with $rc" >&2
    tail -n 5 "$work/$name.err" >&2
    echo "--- last lines of the server log:" >&2
    tail -n 5 "$work/parley.log" >&2 || true
    status=1
  fi
}

echo "load before: $(uptime)"
start_parley
run_wsload "fanout-$fanout_sockets" --sockets "$fanout_sockets" --rate "$rate" --duration "$duration" --senders 4
stop_parley

# Idle memory on a fresh server process: nothing of the fan-out run left in its heap. Users of
# their own (wsidle0..), in no conversation: no presence traffic between them, only the sockets.
start_parley
run_wsload "idle-$idle_sockets" --idle --prefix wsidle --sockets "$idle_sockets" --idle-wait "$idle_wait" --server-pid "$parley_pid" \
  --connect-rate 2000
stop_parley
echo "load after:  $(uptime)"

echo
for line in "${results[@]}"; do echo "$line"; done
exit "$status"
