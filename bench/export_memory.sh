#!/usr/bin/env bash
# Memory of GET /conversations/{id}/export for a very large conversation: seeds N messages (default
# 1,000,000) straight into SQLite, streams the export to /dev/null with curl, and prints the server's
# resident memory before and after and its peak (VmHWM). The export reads a cursor 500 rows at a time
# with backpressure, so the peak should not grow with N.
#
#   bench/export_memory.sh <parley-binary> [messages]
set -euo pipefail
parley=${1:?usage: bench/export_memory.sh <parley-binary> [messages]}
count=${2:-1000000}
work=$(mktemp -d "${TMPDIR:-/tmp}/parley-export.XXXXXX")
pid=
cleanup() { [[ -n "$pid" ]] && kill "$pid" 2>/dev/null; wait 2>/dev/null || true; rm -rf "$work"; }
trap cleanup EXIT

port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
base="http://127.0.0.1:$port/api/v1"
PARLEY_LISTEN=127.0.0.1:$port PARLEY_DATABASE_URL="sqlite:$work/export.db" PARLEY_AUTO_MIGRATE=1 \
  PARLEY_UPLOAD_DIR="$work/uploads" PARLEY_ACCESS_LOG=0 "$parley" serve >"$work/parley.log" 2>&1 &
pid=$!
for _ in $(seq 1 200); do curl -fsS -o /dev/null "http://127.0.0.1:$port/healthz" 2>/dev/null && break; sleep 0.05; done

json='Content-Type: application/json'
curl -fsS -o /dev/null -H "$json" -d '{"username":"exporter","email":"exporter@example.com","password":"export passphrase 7781 xyz"}' "$base/auth/register"
token=$(curl -fsS -H "$json" -d '{"login":"exporter","password":"export passphrase 7781 xyz"}' "$base/auth/token" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["access"])')
auth="Authorization: Bearer $token"
conversation=$(curl -fsS -H "$auth" -H "$json" -d '{"kind":"group","name":"big"}' "$base/conversations" |
  python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')

echo "seeding $count messages..."
sqlite3 "$work/export.db" >/dev/null <<SQL
PRAGMA busy_timeout = 10000;
WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < $count)
INSERT INTO messages (conversation_id, sender_id, body, html)
SELECT $conversation, 1, 'message number ' || i || ' with a little text to make the line realistic',
       '<p>message number ' || i || ' with a little text to make the line realistic</p>' FROM n;
SQL

rss() { awk -v k="$1:" '$1 == k {print $2}' "/proc/$pid/status"; }
echo "server RSS before: $(rss VmRSS) kB (peak so far $(rss VmHWM) kB)"
start=$(date +%s.%N)
bytes=$(curl -fsS -H "$auth" "$base/conversations/$conversation/export" | wc -c)
end=$(date +%s.%N)
lines_per_s=$(awk -v n="$count" -v a="$start" -v b="$end" 'BEGIN {printf "%.0f", n / (b - a)}')
echo "exported $bytes bytes in $(awk -v a="$start" -v b="$end" 'BEGIN {printf "%.1f", b - a}') s ($lines_per_s messages/s)"
echo "server RSS after:  $(rss VmRSS) kB (peak $(rss VmHWM) kB)"
