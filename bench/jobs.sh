#!/usr/bin/env bash
# Background jobs end to end (docs/jobs.md): N system.noop jobs written into the outbox in
# transactions of 500 while one `parley worker` (concurrency C) runs them; jobs/s from the first
# enqueue to the last job done, with the database broker on PostgreSQL and on SQLite, and with the
# Redis Streams and RabbitMQ brokers (the outbox on PostgreSQL, relayed to a stream or a queue).
#
#   bench/jobs.sh <parley-binary> [jobs] [concurrency]    (make bench runs it with the Release build)
set -euo pipefail
parley=$(realpath "${1:?usage: bench/jobs.sh <parley-binary> [jobs] [concurrency]}")
jobs=${2:-20000}
concurrency=${3:-16}
root=$(cd "$(dirname "$0")/.." && pwd)
servers=$(mktemp -d "${TMPDIR:-/tmp}/parley-bench-jobs.XXXXXX")
worker_pid=
cleanup() {
  [[ -n "$worker_pid" ]] && kill "$worker_pid" 2>/dev/null && wait "$worker_pid" 2>/dev/null
  "$root/scripts/test-servers" stop "$servers" >/dev/null 2>&1 || true
  rm -rf "$servers"
}
trap cleanup EXIT
"$root/scripts/test-servers" start "$servers" >/dev/null
set -a; . "$servers/env"; set +a
psql_bin="$PARLEY_TEST_PG_BIN/psql"

now_ms() { date +%s%3N; }

worker_port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
# One worker on `url` with nothing else to do; its log goes to a file, its metrics on worker_port.
start_worker() {
  PARLEY_DATABASE_URL=$1 PARLEY_BROKER_URL=${2:-database} PARLEY_LISTEN=127.0.0.1:$worker_port \
    PARLEY_WORKER_CONCURRENCY=$concurrency \
    PARLEY_AUTO_MIGRATE=1 PARLEY_LOG_LEVEL=warn PARLEY_ACCESS_LOG=0 \
    "$parley" worker >"$servers/worker.log" 2>&1 &
  worker_pid=$!
}
stop_worker() {
  kill "$worker_pid" 2>/dev/null || true
  wait "$worker_pid" 2>/dev/null || true
  worker_pid=
}

batch=500
insert_pg() {
  # The enqueue statement's shape (jobs/jobs.cpp), 500 rows a transaction, with the NOTIFY.
  local i=0
  while ((i < jobs)); do
    echo "BEGIN; INSERT INTO jobs (queue, task, payload, max_attempts, backoff_ms, timeout_ms)
          SELECT 'default', 'system.noop', '{}', 9, 2000, 60000 FROM generate_series(1, $batch);
          SELECT pg_notify('parley_jobs', 'default'); COMMIT;"
    i=$((i + batch))
  done | "$psql_bin" -q "$1" >/dev/null
}
count_pg() { "$psql_bin" -tAq "$1" -c "SELECT count(*) FROM jobs"; }

report() {
  local name=$1 started=$2 enqueued=$3 finished=$4
  local total=$((finished - started))
  echo "$name: $jobs jobs enqueued in $((enqueued - started)) ms, all done after $total ms:" \
    "$((jobs * 1000 / (total > 0 ? total : 1))) jobs/s end to end (worker concurrency $concurrency)"
}

echo "== jobs per second, enqueue -> done, system.noop =="

# PostgreSQL: a fresh database, migrated by the worker at start.
pg_url="${PARLEY_TEST_PG_URL%/*}/parley_bench_jobs"
"$psql_bin" -q "$PARLEY_TEST_PG_URL" -c "DROP DATABASE IF EXISTS parley_bench_jobs" -c "CREATE DATABASE parley_bench_jobs"
start_worker "$pg_url"
until "$psql_bin" -tAq "$pg_url" -c "SELECT 1 FROM jobs LIMIT 0" >/dev/null 2>&1; do sleep 0.1; done
started=$(now_ms)
insert_pg "$pg_url"
enqueued=$(now_ms)
until [[ "$(count_pg "$pg_url")" == 0 ]]; do sleep 0.05; done
finished=$(now_ms)
stop_worker
report "PostgreSQL, database broker" "$started" "$enqueued" "$finished"

# The Redis Streams broker: the same outbox, relayed by the worker to parley:jobs:default. Done
# when the table and the stream are empty (entries are deleted once acknowledged).
"$psql_bin" -q "$PARLEY_TEST_PG_URL" -c "DROP DATABASE IF EXISTS parley_bench_jobs" -c "CREATE DATABASE parley_bench_jobs"
start_worker "$pg_url" "$PARLEY_TEST_REDIS_URL"
until "$psql_bin" -tAq "$pg_url" -c "SELECT 1 FROM jobs LIMIT 0" >/dev/null 2>&1; do sleep 0.1; done
started=$(now_ms)
insert_pg "$pg_url"
enqueued=$(now_ms)
# redis://:password@host:port (scripts/test-servers): redis-cli's -u would send an empty user name.
redis_rest=${PARLEY_TEST_REDIS_URL#redis://:}
redis_password=${redis_rest%@*}
redis_address=${redis_rest#*@}
stream_length() {
  REDISCLI_AUTH=$redis_password redis-cli -h "${redis_address%:*}" -p "${redis_address##*:}" XLEN parley:jobs:default
}
until [[ "$(count_pg "$pg_url")" == 0 && "$(stream_length)" == 0 ]]; do
  sleep 0.05
done
finished=$(now_ms)
stop_worker
report "PostgreSQL outbox, Redis Streams broker" "$started" "$enqueued" "$finished"

# The RabbitMQ broker: the same outbox, relayed by the worker to the quorum queue
# parley.jobs.default. Done when the worker counted every job as succeeded (/metrics): the queue's
# unacknowledged messages are not visible without the management plugin.
succeeded() {
  curl -s "http://127.0.0.1:$worker_port/metrics" |
    sed -n 's/^parley_jobs_finished_total{outcome="succeeded",task="system.noop"} //p'
}
"$psql_bin" -q "$PARLEY_TEST_PG_URL" -c "DROP DATABASE IF EXISTS parley_bench_jobs" -c "CREATE DATABASE parley_bench_jobs"
start_worker "$pg_url" "$PARLEY_TEST_AMQP_URL"
until "$psql_bin" -tAq "$pg_url" -c "SELECT 1 FROM jobs LIMIT 0" >/dev/null 2>&1; do sleep 0.1; done
started=$(now_ms)
insert_pg "$pg_url"
enqueued=$(now_ms)
until [[ "$(succeeded)" == "$jobs" ]]; do sleep 0.05; done
finished=$(now_ms)
stop_worker
report "PostgreSQL outbox, RabbitMQ broker" "$started" "$enqueued" "$finished"

# SQLite: a file the worker and the enqueuing script share (WAL, one writer at a time).
db="$servers/jobs.db"
start_worker "sqlite://$db"
until python3 -c "import sqlite3,sys; sqlite3.connect(sys.argv[1]).execute('SELECT 1 FROM jobs LIMIT 0')" "$db" \
  >/dev/null 2>&1; do sleep 0.1; done
started=$(now_ms)
python3 - "$db" "$jobs" "$batch" <<'EOF'
import sqlite3, sys
db, jobs, batch = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
con = sqlite3.connect(db, timeout=30, isolation_level=None)
for start in range(0, jobs, batch):
    con.execute("BEGIN IMMEDIATE")
    con.executemany("INSERT INTO jobs (queue, task, payload, max_attempts, backoff_ms, timeout_ms) "
                    "VALUES ('default', 'system.noop', '{}', 9, 2000, 60000)", [()] * batch)
    con.execute("COMMIT")
EOF
enqueued=$(now_ms)
until [[ "$(python3 -c "import sqlite3,sys; print(sqlite3.connect(sys.argv[1], timeout=30).execute('SELECT count(*) FROM jobs').fetchone()[0])" "$db")" == 0 ]]; do
  sleep 0.05
done
finished=$(now_ms)
stop_worker
report "SQLite, database broker" "$started" "$enqueued" "$finished"
