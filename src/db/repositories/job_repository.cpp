#include "db/repositories/job_repository.hpp"

#include <array>

#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

#define PARLEY_PG_PLUS PARLEY_PG_NOW_PLUS
#define PARLEY_SQLITE_PLUS PARLEY_SQLITE_NOW_PLUS
// Seconds from `col` to now.
#define PARLEY_PG_SINCE(col) "EXTRACT(EPOCH FROM (now() - " col "))"
#define PARLEY_SQLITE_SINCE(col) "((julianday('now') - julianday(" col ")) * 86400.0)"
// A statement written once as a macro of (TIME, NOW, AT, PLUS, SINCE) for both dialects.
#define PARLEY_DUAL_JOBS(name, sql_macro)                                                                         \
  DualQuery {                                                                                                     \
    name, sql_macro(PARLEY_PG_TIME, PARLEY_PG_NOW, PARLEY_PG_AT, PARLEY_PG_PLUS, PARLEY_PG_SINCE),                \
        sql_macro(PARLEY_SQLITE_TIME, PARLEY_SQLITE_NOW, PARLEY_SQLITE_AT, PARLEY_SQLITE_PLUS, PARLEY_SQLITE_SINCE) \
  }

// The partial unique index jobs_dedupe_key, named so ON CONFLICT can use it.
#define PARLEY_DEDUPE_TARGET "(dedupe_key) WHERE dedupe_key IS NOT NULL AND status IN ('queued', 'running')"

// The NOTIFY travels with the insert and is delivered at commit: a worker wakes for a committed
// job only. Nothing is inserted (and nobody woken) when the dedupe key is taken.
constexpr DualQuery kEnqueue{
    "jobs.enqueue",
    "WITH j AS (INSERT INTO jobs (queue, task, payload, priority, max_attempts, backoff_ms, timeout_ms, run_at, "
    "dedupe_key, traceparent) VALUES ($1, $2, CAST($3 AS jsonb), $4, $5, $6, $7, " PARLEY_PG_PLUS("$8") ", $9, $10) "
    "ON CONFLICT " PARLEY_DEDUPE_TARGET " DO NOTHING RETURNING id, queue) "
    "SELECT id, pg_notify('parley_jobs', queue) FROM j",
    "INSERT INTO jobs (queue, task, payload, priority, max_attempts, backoff_ms, timeout_ms, run_at, dedupe_key, "
    "traceparent) VALUES ($1, $2, $3, $4, $5, $6, $7, " PARLEY_SQLITE_PLUS("$8") ", $9, $10) "
    "ON CONFLICT " PARLEY_DEDUPE_TARGET " DO NOTHING RETURNING id"};

// jobs_claim_idx. FOR UPDATE SKIP LOCKED: concurrent claimers pass over each other's rows
// instead of queueing on them; SQLite's single writer needs nothing.
#define PARLEY_SQL_CLAIM(QUEUE_FILTER, SKIP_LOCKED, PLUS, SINCE, NOW)                                           \
  "UPDATE jobs SET status = 'running', attempts = attempts + 1, locked_by = $1, started_at = " NOW              \
  ", locked_until = " PLUS("$2") " WHERE id IN (SELECT id FROM jobs WHERE status = 'queued' AND run_at <= " NOW \
  QUEUE_FILTER " ORDER BY priority DESC, run_at, id LIMIT $3" SKIP_LOCKED                                      \
  ") RETURNING id, queue, task, payload, attempts, max_attempts, backoff_ms, timeout_ms, " SINCE("run_at") \
  ", priority, traceparent"
constexpr DualQuery kClaimAny{"jobs.claim_any",
                              PARLEY_SQL_CLAIM("", " FOR UPDATE SKIP LOCKED", PARLEY_PG_PLUS, PARLEY_PG_SINCE,
                                               PARLEY_PG_NOW),
                              PARLEY_SQL_CLAIM("", "", PARLEY_SQLITE_PLUS, PARLEY_SQLITE_SINCE, PARLEY_SQLITE_NOW)};
constexpr DualQuery kClaimQueues{
    "jobs.claim_queues",
    PARLEY_SQL_CLAIM(" AND queue = ANY (CAST($4 AS text[]))", " FOR UPDATE SKIP LOCKED", PARLEY_PG_PLUS,
                     PARLEY_PG_SINCE, PARLEY_PG_NOW),
    PARLEY_SQL_CLAIM(" AND queue IN (SELECT value FROM json_each($4))", "", PARLEY_SQLITE_PLUS, PARLEY_SQLITE_SINCE,
                     PARLEY_SQLITE_NOW)};

// The worker's name and attempt number guard every write of a claimed job: a worker whose lease
// ran out (the job was reaped and perhaps claimed again) changes nothing.
constexpr Query kComplete{"jobs.complete",
                          "DELETE FROM jobs WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running'"};

// The relay of a message broker hands claimed jobs over and deletes them here, in one statement.
constexpr DualQuery kRemoveRelayed{
    "jobs.remove_relayed",
    "DELETE FROM jobs WHERE id = ANY (CAST($1 AS bigint[])) AND locked_by = $2 AND status = 'running'",
    "DELETE FROM jobs WHERE id IN (SELECT value FROM json_each($1)) AND locked_by = $2 AND status = 'running'"};

// A job a message broker gives back (a retry, a dead letter, a requeue) under its own id, so its
// effects' idempotency keys still match. A row of that id that is still running is the relay's
// copy (a fast worker can fail the job before the relay deleted it): the return replaces it, and
// the relay's delete then passes over it. A row in any other state means the job was returned
// already: nothing changes. On PostgreSQL a queued return NOTIFYs like an enqueue.
#define PARLEY_RETURN_UPSERT                                                                              \
  " ON CONFLICT (id) DO UPDATE SET status = excluded.status, attempts = excluded.attempts, "              \
  "run_at = excluded.run_at, last_error = excluded.last_error, finished_at = excluded.finished_at, "     \
  "locked_until = NULL, locked_by = NULL WHERE jobs.status = 'running'"
constexpr DualQuery kReturnJob{
    "jobs.return_job",
    "WITH j AS (INSERT INTO jobs (id, queue, task, payload, priority, status, attempts, max_attempts, backoff_ms, "
    "timeout_ms, run_at, last_error, finished_at, traceparent) OVERRIDING SYSTEM VALUE VALUES ($1, $2, $3, "
    "CAST($4 AS jsonb), $5, $6, $7, $8, $9, $10, " PARLEY_PG_PLUS("$11") ", $12, CASE WHEN $6 = 'dead' THEN now() END, "
    "$13)" PARLEY_RETURN_UPSERT
    " RETURNING id, queue, status) SELECT id, CASE WHEN status = 'queued' THEN pg_notify('parley_jobs', queue) END "
    "FROM j",
    "INSERT INTO jobs (id, queue, task, payload, priority, status, attempts, max_attempts, backoff_ms, timeout_ms, "
    "run_at, last_error, finished_at, traceparent) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, "
    PARLEY_SQLITE_PLUS("$11") ", $12, CASE WHEN $6 = 'dead' THEN " PARLEY_SQLITE_NOW " END, $13)" PARLEY_RETURN_UPSERT
    " RETURNING id"};
#undef PARLEY_RETURN_UPSERT

#define PARLEY_SQL_FAIL(TIME, NOW, AT, PLUS, SINCE)                                                        \
  "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "            \
  "run_at = CASE WHEN attempts >= max_attempts THEN run_at ELSE " PLUS("$5") " END, "                      \
  "finished_at = CASE WHEN attempts >= max_attempts THEN " NOW " ELSE NULL END, "                          \
  "locked_until = NULL, locked_by = NULL, last_error = $4 "                                                \
  "WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND status = 'running' RETURNING status"
constexpr DualQuery kFail = PARLEY_DUAL_JOBS("jobs.fail", PARLEY_SQL_FAIL);

// jobs_locked_by_idx.
#define PARLEY_SQL_HEARTBEAT(TIME, NOW, AT, PLUS, SINCE) \
  "UPDATE jobs SET locked_until = " PLUS("$2") " WHERE locked_by = $1 AND status = 'running'"
constexpr DualQuery kHeartbeat = PARLEY_DUAL_JOBS("jobs.heartbeat", PARLEY_SQL_HEARTBEAT);

// jobs_locked_idx. The SET expressions read the row's values from before the update.
#define PARLEY_SQL_REAP(TIME, NOW, AT, PLUS, SINCE)                                                  \
  "UPDATE jobs SET status = CASE WHEN attempts >= max_attempts THEN 'dead' ELSE 'queued' END, "      \
  "finished_at = CASE WHEN attempts >= max_attempts THEN " NOW " ELSE NULL END, run_at = " NOW ", "  \
  "last_error = 'the lease of worker ' || locked_by || ' ran out (it stopped or hung)', "            \
  "locked_until = NULL, locked_by = NULL WHERE status = 'running' AND locked_until < " NOW           \
  " RETURNING task, status"
constexpr DualQuery kReap = PARLEY_DUAL_JOBS("jobs.reap", PARLEY_SQL_REAP);

#define PARLEY_SQL_REQUEUE_WORKER(TIME, NOW, AT, PLUS, SINCE)                                       \
  "UPDATE jobs SET status = 'queued', attempts = attempts - 1, run_at = " NOW ", locked_until = NULL, " \
  "locked_by = NULL WHERE locked_by = $1 AND status = 'running'"
constexpr DualQuery kRequeueWorker = PARLEY_DUAL_JOBS("jobs.requeue_worker", PARLEY_SQL_REQUEUE_WORKER);

// A whole-table aggregate: for the admin endpoints, `parley jobs stats` and the depth gauges
// (refreshed every few seconds), not for request paths.
#define PARLEY_SQL_COUNTS(TIME, NOW, AT, PLUS, SINCE)                                                      \
  "SELECT queue, sum(CASE WHEN status = 'queued' THEN 1 ELSE 0 END), "                                   \
  "sum(CASE WHEN status = 'queued' AND run_at <= " NOW " THEN 1 ELSE 0 END), "                           \
  "sum(CASE WHEN status = 'queued' AND attempts > 0 THEN 1 ELSE 0 END), "                                \
  "sum(CASE WHEN status = 'running' THEN 1 ELSE 0 END), sum(CASE WHEN status = 'dead' THEN 1 ELSE 0 END), " \
  TIME("min(CASE WHEN status = 'queued' AND run_at <= " NOW " THEN run_at END)")                          \
  " FROM jobs GROUP BY queue ORDER BY queue"
constexpr DualQuery kCounts = PARLEY_DUAL_JOBS("jobs.counts", PARLEY_SQL_COUNTS);

#define PARLEY_JOB_COLUMNS(TIME)                                                                    \
  "id, queue, task, payload, priority, status, attempts, max_attempts, " TIME("run_at") ", last_error, " \
  "locked_by, " TIME("created_at") ", " TIME("finished_at")
// jobs_dead_idx (for dead jobs), the primary key otherwise.
#define PARLEY_SQL_LIST(TIME, NOW, AT, PLUS, SINCE) \
  "SELECT " PARLEY_JOB_COLUMNS(TIME) " FROM jobs WHERE status = $1 AND id < $2 ORDER BY id DESC LIMIT $3"
constexpr DualQuery kList = PARLEY_DUAL_JOBS("jobs.list", PARLEY_SQL_LIST);
#define PARLEY_SQL_FIND(TIME, NOW, AT, PLUS, SINCE) "SELECT " PARLEY_JOB_COLUMNS(TIME) " FROM jobs WHERE id = $1"
constexpr DualQuery kFind = PARLEY_DUAL_JOBS("jobs.find", PARLEY_SQL_FIND);

constexpr DualQuery kRetryDead{
    "jobs.retry_dead",
    "WITH j AS (UPDATE jobs SET status = 'queued', attempts = 0, run_at = now(), finished_at = NULL "
    "WHERE id = $1 AND status = 'dead' RETURNING id, queue) SELECT id, pg_notify('parley_jobs', queue) FROM j",
    "UPDATE jobs SET status = 'queued', attempts = 0, run_at = " PARLEY_SQLITE_NOW ", finished_at = NULL "
    "WHERE id = $1 AND status = 'dead' RETURNING id"};

#define PARLEY_SQL_PURGE_DEAD(TIME, NOW, AT, PLUS, SINCE) \
  "DELETE FROM jobs WHERE status = 'dead' AND finished_at <= " PLUS("$1")
constexpr DualQuery kPurgeDead = PARLEY_DUAL_JOBS("jobs.purge_dead", PARLEY_SQL_PURGE_DEAD);

constexpr Query kClaimEffect{"jobs.claim_effect", "INSERT INTO job_effects (key) VALUES ($1) ON CONFLICT DO NOTHING"};
// job_effects_created_idx.
#define PARLEY_SQL_PURGE_EFFECTS(TIME, NOW, AT, PLUS, SINCE) "DELETE FROM job_effects WHERE created_at <= " PLUS("$1")
constexpr DualQuery kPurgeEffects = PARLEY_DUAL_JOBS("jobs.purge_effects", PARLEY_SQL_PURGE_EFFECTS);

// Free, expired or already ours: the fence grows only when the holder changes.
#define PARLEY_SQL_ACQUIRE_LEASE(TIME, NOW, AT, PLUS, SINCE)                                                    \
  "INSERT INTO scheduler_leases (name, holder, fence, expires_at) VALUES ($1, $2, 1, " PLUS("$3") ") "          \
  "ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at, "               \
  "fence = CASE WHEN scheduler_leases.holder = excluded.holder THEN scheduler_leases.fence "                    \
  "ELSE scheduler_leases.fence + 1 END "                                                                        \
  "WHERE scheduler_leases.holder = excluded.holder OR scheduler_leases.expires_at < " NOW " RETURNING fence"
constexpr DualQuery kAcquireLease = PARLEY_DUAL_JOBS("jobs.acquire_lease", PARLEY_SQL_ACQUIRE_LEASE);

#define PARLEY_SQL_RELEASE_LEASE(TIME, NOW, AT, PLUS, SINCE) \
  "UPDATE scheduler_leases SET expires_at = " PLUS("-1") " WHERE name = $1 AND holder = $2"
constexpr DualQuery kReleaseLease = PARLEY_DUAL_JOBS("jobs.release_lease", PARLEY_SQL_RELEASE_LEASE);

// The fencing check and the once-only insert in one statement.
#define PARLEY_SQL_RECORD_FIRING(TIME, NOW, AT, PLUS, SINCE)                                                  \
  "INSERT INTO schedule_runs (schedule, fire_at, fence) SELECT $1, " AT("$2") ", fence FROM scheduler_leases " \
  "WHERE name = $3 AND holder = $4 AND fence = $5 AND expires_at > " NOW                                      \
  " ON CONFLICT (schedule, fire_at) DO NOTHING"
constexpr DualQuery kRecordFiring = PARLEY_DUAL_JOBS("jobs.record_firing", PARLEY_SQL_RECORD_FIRING);
#define PARLEY_SQL_SET_FIRING_JOB(TIME, NOW, AT, PLUS, SINCE) \
  "UPDATE schedule_runs SET job_id = $3 WHERE schedule = $1 AND fire_at = " AT("$2")
constexpr DualQuery kSetFiringJob = PARLEY_DUAL_JOBS("jobs.set_firing_job", PARLEY_SQL_SET_FIRING_JOB);
#define PARLEY_SQL_LAST_FIRING(TIME, NOW, AT, PLUS, SINCE) \
  "SELECT " TIME("max(fire_at)") " FROM schedule_runs WHERE schedule = $1"
constexpr DualQuery kLastFiring = PARLEY_DUAL_JOBS("jobs.last_firing", PARLEY_SQL_LAST_FIRING);
#define PARLEY_SQL_PURGE_FIRINGS(TIME, NOW, AT, PLUS, SINCE) "DELETE FROM schedule_runs WHERE created_at <= " PLUS("$1")
constexpr DualQuery kPurgeFirings = PARLEY_DUAL_JOBS("jobs.purge_firings", PARLEY_SQL_PURGE_FIRINGS);

#undef PARLEY_SQL_CLAIM
#undef PARLEY_SQL_FAIL
#undef PARLEY_SQL_HEARTBEAT
#undef PARLEY_SQL_REAP
#undef PARLEY_SQL_REQUEUE_WORKER
#undef PARLEY_SQL_COUNTS
#undef PARLEY_JOB_COLUMNS
#undef PARLEY_SQL_LIST
#undef PARLEY_SQL_FIND
#undef PARLEY_SQL_PURGE_DEAD
#undef PARLEY_SQL_PURGE_EFFECTS
#undef PARLEY_SQL_ACQUIRE_LEASE
#undef PARLEY_SQL_RELEASE_LEASE
#undef PARLEY_SQL_RECORD_FIRING
#undef PARLEY_SQL_SET_FIRING_JOB
#undef PARLEY_SQL_LAST_FIRING
#undef PARLEY_SQL_PURGE_FIRINGS
#undef PARLEY_DEDUPE_TARGET
#undef PARLEY_DUAL_JOBS
#undef PARLEY_PG_PLUS
#undef PARLEY_SQLITE_PLUS
#undef PARLEY_PG_SINCE
#undef PARLEY_SQLITE_SINCE

// Queue names are [a-z_]+ (checked before they get here), so neither list needs escaping.
std::string queue_list_param(Dialect dialect, std::span<const std::string> queues) {
  const bool pg = dialect == Dialect::postgres;
  std::string list(1, pg ? '{' : '[');
  for (std::size_t i = 0; i < queues.size(); ++i) {
    if (i > 0) list.push_back(',');
    if (!pg) list.push_back('"');
    list += queues[i];
    if (!pg) list.push_back('"');
  }
  list.push_back(pg ? '}' : ']');
  return list;
}

JobRow to_job_row(const Row& r) {
  return JobRow{.id = r.int64(0),
                .queue = r.text(1),
                .task = r.text(2),
                .payload_json = r.text(3),
                .priority = static_cast<int>(r.int64(4)),
                .status = r.text(5),
                .attempts = static_cast<int>(r.int64(6)),
                .max_attempts = static_cast<int>(r.int64(7)),
                .run_at = r.text(8),
                .last_error = r.opt_text(9),
                .locked_by = r.opt_text(10),
                .created_at = r.text(11),
                .finished_at = r.opt_text(12)};
}

Value optional_text(const std::optional<std::string>& text) {
  if (!text) return nullptr;
  return *text;
}

}  // namespace

JobRepository::JobRepository(Dialect d)
    : dialect_(d),
      q_{.enqueue = kEnqueue.pick(d),
         .claim_any = kClaimAny.pick(d),
         .claim_queues = kClaimQueues.pick(d),
         .complete = kComplete,
         .remove_relayed = kRemoveRelayed.pick(d),
         .return_job = kReturnJob.pick(d),
         .fail = kFail.pick(d),
         .heartbeat = kHeartbeat.pick(d),
         .reap = kReap.pick(d),
         .requeue_worker = kRequeueWorker.pick(d),
         .counts = kCounts.pick(d),
         .list = kList.pick(d),
         .find = kFind.pick(d),
         .retry_dead = kRetryDead.pick(d),
         .purge_dead = kPurgeDead.pick(d),
         .claim_effect = kClaimEffect,
         .purge_effects = kPurgeEffects.pick(d),
         .acquire_lease = kAcquireLease.pick(d),
         .release_lease = kReleaseLease.pick(d),
         .record_firing = kRecordFiring.pick(d),
         .set_firing_job = kSetFiringJob.pick(d),
         .last_firing = kLastFiring.pick(d),
         .purge_firings = kPurgeFirings.pick(d)} {}

awaitable<std::optional<std::int64_t>> JobRepository::enqueue(Executor& db, const NewJob& job) {
  std::array<Value, 10> params{job.queue,
                              job.task,
                              job.payload_json,
                              std::int64_t{job.priority},
                              std::int64_t{job.max_attempts},
                              job.backoff_ms,
                              job.timeout_ms,
                              job.delay_seconds,
                              optional_text(job.dedupe_key),
                              optional_text(job.traceparent)};
  ResultSet rs = co_await db.execute(q_.enqueue, params);
  if (rs.empty()) co_return std::nullopt;
  co_return rs.rows.front().int64(0);
}

awaitable<std::vector<ClaimedJob>> JobRepository::claim(Executor& db, std::string_view worker,
                                                        std::span<const std::string> queues, int limit,
                                                        double lease_seconds) {
  std::array<Value, 4> params{std::string(worker), lease_seconds, std::int64_t{limit},
                              queue_list_param(dialect_, queues)};
  const bool any = queues.empty();
  const Params bound = any ? Params(params.data(), 3) : Params(params);
  ResultSet rs = co_await db.execute(any ? q_.claim_any : q_.claim_queues, bound);
  std::vector<ClaimedJob> jobs;
  jobs.reserve(rs.rows.size());
  for (const Row& r : rs.rows) {
    jobs.push_back(ClaimedJob{.id = r.int64(0),
                              .queue = r.text(1),
                              .task = r.text(2),
                              .payload_json = r.text(3),
                              .attempts = static_cast<int>(r.int64(4)),
                              .max_attempts = static_cast<int>(r.int64(5)),
                              .backoff_ms = r.int64(6),
                              .timeout_ms = r.int64(7),
                              .waited_seconds = r.float64(8),
                              .priority = static_cast<int>(r.int64(9)),
                              .traceparent = r.opt_text(10)});
  }
  co_return jobs;
}

awaitable<bool> JobRepository::complete(Executor& db, std::int64_t id, std::string_view worker, int attempt) {
  std::array<Value, 3> params{id, std::string(worker), std::int64_t{attempt}};
  ResultSet rs = co_await db.execute(q_.complete, params);
  co_return rs.affected_rows == 1;
}

awaitable<std::int64_t> JobRepository::remove_relayed(Executor& db, std::span<const std::int64_t> ids,
                                                     std::string_view worker) {
  std::array<Value, 2> params{id_list_param(dialect_, ids), std::string(worker)};
  ResultSet rs = co_await db.execute(q_.remove_relayed, params);
  co_return rs.affected_rows;
}

awaitable<bool> JobRepository::return_job(Executor& db, const ReturnedJob& job) {
  const ClaimedJob& j = job.job;
  std::array<Value, 13> params{j.id,
                               j.queue,
                               j.task,
                               j.payload_json,
                               std::int64_t{j.priority},
                               std::string(job.dead ? "dead" : "queued"),
                               std::int64_t{job.attempts},
                               std::int64_t{j.max_attempts},
                               j.backoff_ms,
                               j.timeout_ms,
                               job.delay_seconds,
                               optional_text(job.error),
                               optional_text(j.traceparent)};
  ResultSet rs = co_await db.execute(q_.return_job, params);
  co_return !rs.empty();
}

awaitable<FailOutcome> JobRepository::fail(Executor& db, std::int64_t id, std::string_view worker, int attempt,
                                           std::string_view error, double retry_delay_seconds) {
  std::array<Value, 5> params{id, std::string(worker), std::int64_t{attempt}, std::string(error),
                              retry_delay_seconds};
  ResultSet rs = co_await db.execute(q_.fail, params);
  if (rs.empty()) co_return FailOutcome::lost;
  co_return rs.rows.front().text(0) == "dead" ? FailOutcome::dead : FailOutcome::retried;
}

awaitable<std::int64_t> JobRepository::heartbeat(Executor& db, std::string_view worker, double lease_seconds) {
  std::array<Value, 2> params{std::string(worker), lease_seconds};
  ResultSet rs = co_await db.execute(q_.heartbeat, params);
  co_return rs.affected_rows;
}

awaitable<JobRepository::Reaped> JobRepository::reap_expired(Executor& db) {
  ResultSet rs = co_await db.execute(q_.reap);
  Reaped reaped;
  for (const Row& r : rs.rows) {
    if (r.text(1) == "dead") {
      reaped.dead_tasks.push_back(r.text(0));
    } else {
      ++reaped.requeued;
    }
  }
  co_return reaped;
}

awaitable<std::int64_t> JobRepository::requeue_worker(Executor& db, std::string_view worker) {
  std::array<Value, 1> params{std::string(worker)};
  ResultSet rs = co_await db.execute(q_.requeue_worker, params);
  co_return rs.affected_rows;
}

awaitable<std::vector<QueueCounts>> JobRepository::counts(Executor& db) {
  ResultSet rs = co_await db.execute(q_.counts);
  std::vector<QueueCounts> counts;
  for (const Row& r : rs.rows) {
    counts.push_back(QueueCounts{.queue = r.text(0),
                                 .queued = r.int64(1),
                                 .due = r.int64(2),
                                 .retrying = r.int64(3),
                                 .running = r.int64(4),
                                 .dead = r.int64(5),
                                 .oldest_due_at = r.opt_text(6)});
  }
  co_return counts;
}

awaitable<std::vector<JobRow>> JobRepository::list(Executor& db, std::string_view status, std::int64_t before_id,
                                                   int limit) {
  std::array<Value, 3> params{std::string(status), before_id, std::int64_t{clamp_limit(limit)}};
  ResultSet rs = co_await db.execute(q_.list, params);
  std::vector<JobRow> rows;
  rows.reserve(rs.rows.size());
  for (const Row& r : rs.rows) rows.push_back(to_job_row(r));
  co_return rows;
}

awaitable<std::optional<JobRow>> JobRepository::find(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  ResultSet rs = co_await db.execute(q_.find, params);
  if (rs.empty()) co_return std::nullopt;
  co_return to_job_row(rs.rows.front());
}

awaitable<bool> JobRepository::retry_dead(Executor& db, std::int64_t id) {
  std::array<Value, 1> params{id};
  ResultSet rs = co_await db.execute(q_.retry_dead, params);
  co_return !rs.empty();
}

awaitable<std::int64_t> JobRepository::purge_dead(Executor& db, double older_than_seconds) {
  std::array<Value, 1> params{-older_than_seconds};
  ResultSet rs = co_await db.execute(q_.purge_dead, params);
  co_return rs.affected_rows;
}

awaitable<bool> JobRepository::claim_effect(Executor& db, std::string_view key) {
  std::array<Value, 1> params{std::string(key)};
  ResultSet rs = co_await db.execute(q_.claim_effect, params);
  co_return rs.affected_rows == 1;
}

awaitable<std::int64_t> JobRepository::purge_effects(Executor& db, double older_than_seconds) {
  std::array<Value, 1> params{-older_than_seconds};
  ResultSet rs = co_await db.execute(q_.purge_effects, params);
  co_return rs.affected_rows;
}

awaitable<std::optional<std::int64_t>> JobRepository::acquire_lease(Executor& db, std::string_view name,
                                                                    std::string_view holder, double ttl_seconds) {
  std::array<Value, 3> params{std::string(name), std::string(holder), ttl_seconds};
  ResultSet rs = co_await db.execute(q_.acquire_lease, params);
  if (rs.empty()) co_return std::nullopt;
  co_return rs.rows.front().int64(0);
}

awaitable<void> JobRepository::release_lease(Executor& db, std::string_view name, std::string_view holder) {
  std::array<Value, 2> params{std::string(name), std::string(holder)};
  co_await db.execute(q_.release_lease, params);
}

awaitable<bool> JobRepository::record_firing(Executor& db, std::string_view schedule, std::string_view fire_at,
                                             std::string_view lease, std::string_view holder, std::int64_t fence) {
  std::array<Value, 5> params{std::string(schedule), std::string(fire_at), std::string(lease), std::string(holder),
                              fence};
  ResultSet rs = co_await db.execute(q_.record_firing, params);
  co_return rs.affected_rows == 1;
}

awaitable<void> JobRepository::set_firing_job(Executor& db, std::string_view schedule, std::string_view fire_at,
                                              std::int64_t job_id) {
  std::array<Value, 3> params{std::string(schedule), std::string(fire_at), job_id};
  co_await db.execute(q_.set_firing_job, params);
}

awaitable<std::optional<std::string>> JobRepository::last_firing(Executor& db, std::string_view schedule) {
  std::array<Value, 1> params{std::string(schedule)};
  ResultSet rs = co_await db.execute(q_.last_firing, params);
  if (rs.empty()) co_return std::nullopt;
  co_return rs.rows.front().opt_text(0);
}

awaitable<std::int64_t> JobRepository::purge_firings(Executor& db, double older_than_seconds) {
  std::array<Value, 1> params{-older_than_seconds};
  ResultSet rs = co_await db.execute(q_.purge_firings, params);
  co_return rs.affected_rows;
}

}  // namespace parley::db::repositories
