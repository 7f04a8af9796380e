#pragma once
// Background jobs (docs/jobs.md): what Celery gives a Django project, without its lost-task
// surprises.
//
// A task is registered once (TaskRegistry) with its defaults; actions enqueue it with Jobs::enqueue
// inside their own transaction (the transactional outbox: a rolled-back action enqueues nothing,
// a committed job is never lost); `parley worker` runs it (jobs/worker.hpp) at least once, retrying
// failures with exponential backoff and jitter until its attempts run out, then keeps it as dead.
// A task that may run twice (a worker dies after the effect, before recording success) makes its
// effect once with JobContext::claim_effect in the transaction of the effect.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"
#include "db/repositories/job_repository.hpp"

namespace parley::jobs {

// How a task runs unless its enqueue says otherwise.
struct TaskDefaults {
  std::string queue = "default";
  int max_retries = 8;                       // attempts = max_retries + 1
  std::chrono::milliseconds backoff{2000};   // the first retry's delay; doubles per attempt, +-25% jitter
  std::chrono::milliseconds timeout{60000};  // one attempt's limit
  int priority = 0;
};

struct EnqueueOptions {
  std::optional<std::chrono::milliseconds> delay;            // run no sooner than this from now
  std::optional<std::chrono::system_clock::time_point> eta;  // or no sooner than this time
  std::optional<int> max_retries;
  std::optional<std::chrono::milliseconds> backoff;
  std::optional<std::chrono::milliseconds> timeout;
  std::optional<int> priority;  // -100..100, higher first
  std::optional<std::string> queue;
  // At most one job with this key is queued or running at a time; enqueueing another meanwhile
  // does nothing (Jobs::enqueue returns nullopt).
  std::optional<std::string> unique_key;
  // The trace the job's span joins (a W3C traceparent); by default the current span's, if any.
  std::optional<std::string> traceparent;
};

class JobContext;
using TaskHandler = std::function<boost::asio::awaitable<void>(JobContext&)>;

struct Task {
  std::string name;
  TaskDefaults defaults;
  TaskHandler handler;
};

// The tasks this build knows, by name ([a-z_]+ parts joined by dots, e.g. "mail.password_reset").
class TaskRegistry {
 public:
  // Throws std::invalid_argument on a bad or duplicate name (a programming error, at start).
  void add(Task task);
  const Task* find(std::string_view name) const;
  std::vector<std::string> names() const;
  // The queues tasks are registered on (for `parley worker`'s default).
  std::vector<std::string> queues() const;

 private:
  std::map<std::string, Task, std::less<>> tasks_;
};

// What a running task sees.
class JobContext {
 public:
  JobContext(db::Database& database, db::repositories::ClaimedJob job, boost::json::object payload)
      : database_(database), job_(std::move(job)), payload_(std::move(payload)) {}

  db::Database& database() noexcept { return database_; }
  std::int64_t id() const noexcept { return job_.id; }
  int attempt() const noexcept { return job_.attempts; }
  // True on the last attempt the job has (a failure now leaves it dead).
  bool last_attempt() const noexcept { return job_.attempts >= job_.max_attempts; }
  const std::string& task() const noexcept { return job_.task; }
  const boost::json::object& payload() const noexcept { return payload_; }
  // Records the effect named `effect` of this job in `tx`: true the first time, false when an
  // earlier run of this job made it already (then skip it, and let `tx` commit or not).
  boost::asio::awaitable<bool> claim_effect(db::Executor& tx, std::string_view effect);

 private:
  db::Database& database_;
  db::repositories::ClaimedJob job_;
  boost::json::object payload_;
};

// Enqueueing and the operator's view (admin endpoints, `parley jobs`).
class Broker;

class Jobs {
 public:
  // `broker` counts the jobs it holds beside the table's (counts()).
  Jobs(db::Database& database, const TaskRegistry& registry, Broker& broker);

  // Writes a job for `task` in `tx` (the action's transaction, or the database itself for
  // autocommit). Returns its id, or nullopt when `unique_key` is already queued or running.
  // Throws AppError::internal for a task this build does not know (a programming error) and
  // AppError::bad_request for options out of range.
  boost::asio::awaitable<std::optional<std::int64_t>> enqueue(db::Executor& tx, std::string_view task,
                                                              const boost::json::object& payload,
                                                              const EnqueueOptions& options = {});

  // Tells this process's worker (if any) that a transaction that enqueued has committed, so it
  // looks now instead of at its next poll. (On PostgreSQL the NOTIFY of the enqueue also reaches
  // workers in other processes.)
  void committed() const {
    if (wake_) wake_();
  }
  // Set once at start, before any enqueue.
  void set_wake(std::function<void()> wake) { wake_ = std::move(wake); }

  boost::asio::awaitable<std::vector<db::repositories::QueueCounts>> counts();
  boost::asio::awaitable<std::vector<db::repositories::JobRow>> list(std::string_view status, std::int64_t before_id,
                                                                     int limit);
  // Who asks for an operator action, for the audit log.
  struct Actor {
    std::optional<std::int64_t> user_id;  // nullopt: the command line
    std::optional<std::string> ip;
    std::optional<std::string> request_id;
  };
  // Queues a dead job again with its attempts reset and records "job.retried" in the audit log.
  // 404 when unknown, 409 when not dead.
  boost::asio::awaitable<db::repositories::JobRow> retry_dead(std::int64_t id, Actor actor);
  boost::asio::awaitable<std::int64_t> purge_dead(std::chrono::seconds older_than);

  db::Database& database() noexcept { return database_; }
  const TaskRegistry& registry() const noexcept { return registry_; }
  const Broker& broker() const noexcept { return broker_; }

 private:
  db::Database& database_;
  const TaskRegistry& registry_;
  Broker& broker_;
  db::repositories::JobRepository repository_;
  std::function<void()> wake_;
};

// The delay before retry number `attempt` (the attempt that failed, from 1): `base` doubled per
// earlier attempt, capped at one hour, times a uniform factor in [0.75, 1.25) drawn from `unit`
// (a number in [0, 1)), so retries of many jobs that failed together spread out.
std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base, double unit);

// How long a loop that polls every `poll` waits after `failures` failures in a row (its database
// or broker is down): `poll` x 2^failures (at most x32), and never more than 30 s, so it backs
// off instead of spinning.
std::chrono::milliseconds failure_backoff(std::chrono::milliseconds poll, int failures);

// True for a valid queue name ([a-z_]{1,64}).
bool valid_queue_name(std::string_view name);

}  // namespace parley::jobs
