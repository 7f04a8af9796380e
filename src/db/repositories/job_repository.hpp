#pragma once
// Background jobs (tables jobs, job_effects, scheduler_leases, schedule_runs; docs/jobs.md).
//
// The jobs table is both the transactional outbox and the database broker: enqueue() runs in the
// caller's transaction; workers claim() due jobs under a lease (locked_until, renewed by
// heartbeat()), and a finished job is deleted (success) or retried/dead-lettered (fail()). Every
// time comes from the database clock; delays are bound as seconds. A worker's statements carry its
// name and the attempt number, so a worker that lost its lease (and the job to another worker)
// cannot finish or fail it any more.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

struct NewJob {
  std::string queue;
  std::string task;
  std::string payload_json;
  int priority = 0;
  int max_attempts = 1;
  std::int64_t backoff_ms = 0;
  std::int64_t timeout_ms = 1;
  double delay_seconds = 0;
  std::optional<std::string> dedupe_key;
  std::optional<std::string> traceparent;  // of the span that enqueued it
};

// A job as a worker runs it.
struct ClaimedJob {
  std::int64_t id = 0;
  std::string queue;
  std::string task;
  std::string payload_json;
  int attempts = 0;  // this attempt's number, from 1
  int max_attempts = 1;
  std::int64_t backoff_ms = 0;
  std::int64_t timeout_ms = 1;
  double waited_seconds = 0;  // from due (run_at) to claimed
  int priority = 0;
  std::optional<std::string> traceparent;  // of the span that enqueued it
  // A message broker's handle of this delivery (the Redis stream entry, the AMQP delivery tag);
  // empty for the database broker.
  std::string receipt;
};

// A job a message broker gives back to the jobs table (jobs/redis_broker.hpp).
struct ReturnedJob {
  ClaimedJob job;
  bool dead = false;         // a dead letter; queued again otherwise
  int attempts = 0;          // the attempts it has used
  double delay_seconds = 0;  // due this long from now (queued)
  std::optional<std::string> error;
};

// A job as the admin endpoints and `parley jobs list` show it.
struct JobRow {
  std::int64_t id = 0;
  std::string queue;
  std::string task;
  std::string payload_json;
  int priority = 0;
  std::string status;
  int attempts = 0;
  int max_attempts = 1;
  std::string run_at;
  std::optional<std::string> last_error;
  std::optional<std::string> locked_by;
  std::string created_at;
  std::optional<std::string> finished_at;
};

struct QueueCounts {
  std::string queue;
  std::int64_t queued = 0;  // of which due now: `due`
  std::int64_t due = 0;
  std::int64_t retrying = 0;  // queued after at least one failed attempt
  std::int64_t running = 0;
  std::int64_t dead = 0;
  std::optional<std::string> oldest_due_at;  // the longest-waiting due job's run_at
};

// What fail() did with the job.
enum class FailOutcome { retried, dead, lost };

class JobRepository {
 public:
  explicit JobRepository(Dialect dialect);

  // Writes the job (in the caller's transaction, if `db` is one) and returns its id; nullopt when
  // its dedupe key is already queued or running. On PostgreSQL also NOTIFYs channel parley_jobs
  // with the queue name, delivered when the transaction commits.
  boost::asio::awaitable<std::optional<std::int64_t>> enqueue(Executor& db, const NewJob& job);
  // Takes up to `limit` due jobs of `queues` (all queues when empty), highest priority first, then
  // the longest due, and leases them to `worker` for `lease_seconds`. Concurrent claimers never get
  // the same job (SKIP LOCKED on PostgreSQL; SQLite's single writer).
  boost::asio::awaitable<std::vector<ClaimedJob>> claim(Executor& db, std::string_view worker,
                                                        std::span<const std::string> queues, int limit,
                                                        double lease_seconds);
  // Deletes a job that succeeded; false when `worker` no longer holds this attempt.
  boost::asio::awaitable<bool> complete(Executor& db, std::int64_t id, std::string_view worker, int attempt);
  // Deletes jobs `worker` claimed and handed to a message broker; returns how many.
  boost::asio::awaitable<std::int64_t> remove_relayed(Executor& db, std::span<const std::int64_t> ids,
                                                      std::string_view worker);
  // Writes back a job a message broker delivered, under its id (replacing the relay's row of it
  // if that is still there); false when it was returned already.
  boost::asio::awaitable<bool> return_job(Executor& db, const ReturnedJob& job);
  // Records a failed attempt: queued again after `retry_delay_seconds` while attempts remain, dead
  // otherwise. `lost` when `worker` no longer holds this attempt.
  boost::asio::awaitable<FailOutcome> fail(Executor& db, std::int64_t id, std::string_view worker, int attempt,
                                           std::string_view error, double retry_delay_seconds);
  // Extends the lease of every job `worker` runs; returns how many.
  boost::asio::awaitable<std::int64_t> heartbeat(Executor& db, std::string_view worker, double lease_seconds);
  // Takes back the jobs whose lease ran out (their worker died or hung): queued again at once, or
  // dead when that was the last attempt.
  struct Reaped {
    std::int64_t requeued = 0;
    std::vector<std::string> dead_tasks;  // the task of each job that went dead
  };
  boost::asio::awaitable<Reaped> reap_expired(Executor& db);
  // Puts the jobs `worker` still runs back in their queue without counting the attempt (a graceful
  // shutdown that could not wait for them). Returns how many.
  boost::asio::awaitable<std::int64_t> requeue_worker(Executor& db, std::string_view worker);

  boost::asio::awaitable<std::vector<QueueCounts>> counts(Executor& db);
  // Jobs with `status`, newest first, ids below `before_id`.
  boost::asio::awaitable<std::vector<JobRow>> list(Executor& db, std::string_view status, std::int64_t before_id,
                                                   int limit);
  boost::asio::awaitable<std::optional<JobRow>> find(Executor& db, std::int64_t id);
  // A dead job queued again with its attempts reset; false when it is not dead (or unknown).
  boost::asio::awaitable<bool> retry_dead(Executor& db, std::int64_t id);
  // Deletes dead jobs that died at least `older_than_seconds` ago; returns how many.
  boost::asio::awaitable<std::int64_t> purge_dead(Executor& db, double older_than_seconds);

  // Records the idempotency key of an effect; false when it was recorded before (the effect
  // happened already). Call it in the transaction that makes the effect.
  boost::asio::awaitable<bool> claim_effect(Executor& db, std::string_view key);
  boost::asio::awaitable<std::int64_t> purge_effects(Executor& db, double older_than_seconds);

  // Takes or renews lease `name` for `holder` when it is free, expired or already `holder`'s;
  // returns the fence (unchanged on renewal, increased on a change of holder), nullopt when
  // another holder has it.
  boost::asio::awaitable<std::optional<std::int64_t>> acquire_lease(Executor& db, std::string_view name,
                                                                    std::string_view holder, double ttl_seconds);
  // Lets lease `name` expire now if `holder` has it (a clean stop hands over without waiting).
  boost::asio::awaitable<void> release_lease(Executor& db, std::string_view name, std::string_view holder);
  // Records the firing of `schedule` at `fire_at` (RFC 3339) if it was not recorded before and the
  // lease is still `holder`'s with `fence`; true when this call recorded it.
  boost::asio::awaitable<bool> record_firing(Executor& db, std::string_view schedule, std::string_view fire_at,
                                             std::string_view lease, std::string_view holder, std::int64_t fence);
  boost::asio::awaitable<void> set_firing_job(Executor& db, std::string_view schedule, std::string_view fire_at,
                                              std::int64_t job_id);
  // The last recorded firing of `schedule` (RFC 3339), if any.
  boost::asio::awaitable<std::optional<std::string>> last_firing(Executor& db, std::string_view schedule);
  boost::asio::awaitable<std::int64_t> purge_firings(Executor& db, double older_than_seconds);

 private:
  struct Queries {
    Query enqueue, claim_any, claim_queues, complete, remove_relayed, return_job, fail, heartbeat, reap, requeue_worker, counts, list, find,
        retry_dead, purge_dead, claim_effect, purge_effects, acquire_lease, release_lease, record_firing,
        set_firing_job, last_firing, purge_firings;
  };
  Dialect dialect_;
  Queries q_;
};

}  // namespace parley::db::repositories
