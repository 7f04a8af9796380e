#include "jobs/jobs.hpp"

#include <algorithm>
#include <boost/json/serialize.hpp>
#include <cmath>
#include <set>
#include <stdexcept>

#include "core/error.hpp"
#include "jobs/broker.hpp"
#include "db/repositories/audit_log_repository.hpp"

namespace parley::jobs {

namespace asio = boost::asio;
using db::repositories::JobRow;
using db::repositories::QueueCounts;

namespace {

bool valid_task_name(std::string_view name) {
  if (name.empty() || name.size() > 100 || name.front() == '.' || name.back() == '.') return false;
  char previous = '\0';
  for (char c : name) {
    const bool ok = (c >= 'a' && c <= 'z') || c == '_' || (c == '.' && previous != '.');
    if (!ok) return false;
    previous = c;
  }
  return true;
}

}  // namespace

bool valid_queue_name(std::string_view name) {
  return !name.empty() && name.size() <= 64 &&
         std::all_of(name.begin(), name.end(), [](char c) { return (c >= 'a' && c <= 'z') || c == '_'; });
}

void TaskRegistry::add(Task task) {
  if (!valid_task_name(task.name)) throw std::invalid_argument("bad task name: " + task.name);
  if (!valid_queue_name(task.defaults.queue)) throw std::invalid_argument("bad queue name: " + task.defaults.queue);
  if (!task.handler) throw std::invalid_argument("task without a handler: " + task.name);
  auto name = task.name;
  if (!tasks_.emplace(name, std::move(task)).second) throw std::invalid_argument("task registered twice: " + name);
}

const Task* TaskRegistry::find(std::string_view name) const {
  auto it = tasks_.find(name);
  return it == tasks_.end() ? nullptr : &it->second;
}

std::vector<std::string> TaskRegistry::names() const {
  std::vector<std::string> names;
  for (const auto& [name, task] : tasks_) names.push_back(name);
  return names;
}

std::vector<std::string> TaskRegistry::queues() const {
  std::set<std::string> queues;
  for (const auto& [name, task] : tasks_) queues.insert(task.defaults.queue);
  return {queues.begin(), queues.end()};
}

asio::awaitable<bool> JobContext::claim_effect(db::Executor& tx, std::string_view effect) {
  db::repositories::JobRepository repository(database_.dialect());
  // The job id makes the key unique to this job; the effect's name lets a task make several.
  auto key = "job:" + std::to_string(job_.id) + ":" + std::string(effect);
  co_return co_await repository.claim_effect(tx, key);
}

Jobs::Jobs(db::Database& database, const TaskRegistry& registry, Broker& broker)
    : database_(database), registry_(registry), broker_(broker), repository_(database.dialect()) {}

asio::awaitable<std::optional<std::int64_t>> Jobs::enqueue(db::Executor& tx, std::string_view task,
                                                           const boost::json::object& payload,
                                                           const EnqueueOptions& options) {
  const Task* known = registry_.find(task);
  if (known == nullptr) throw AppError::internal("enqueue of unknown task " + std::string(task));
  const auto& d = known->defaults;
  db::repositories::NewJob job{.queue = options.queue.value_or(d.queue),
                               .task = std::string(task),
                               .payload_json = boost::json::serialize(payload),
                               .priority = options.priority.value_or(d.priority),
                               .max_attempts = options.max_retries.value_or(d.max_retries) + 1,
                               .backoff_ms = options.backoff.value_or(d.backoff).count(),
                               .timeout_ms = options.timeout.value_or(d.timeout).count(),
                               .delay_seconds = 0,
                               .dedupe_key = options.unique_key,
                               .traceparent = std::nullopt};
  // Enqueued inside traced work (a request, another job): the job's span continues that trace.
  if (options.traceparent) {
    job.traceparent = options.traceparent;
  } else if (const trace::SpanContext* span = trace::current()) {
    job.traceparent = trace::format_traceparent(*span);
  }
  if (!valid_queue_name(job.queue)) throw AppError::bad_request("queue names are 1 to 64 of a-z and _");
  if (job.priority < -100 || job.priority > 100) throw AppError::bad_request("priority is from -100 to 100");
  if (job.max_attempts < 1 || job.max_attempts > 1000) throw AppError::bad_request("max_retries is from 0 to 999");
  if (job.backoff_ms < 0 || job.timeout_ms < 1) throw AppError::bad_request("backoff >= 0 and timeout > 0");
  if (job.dedupe_key && (job.dedupe_key->empty() || job.dedupe_key->size() > 200))
    throw AppError::bad_request("unique_key is 1 to 200 characters");
  if (options.delay) job.delay_seconds = static_cast<double>(options.delay->count()) / 1000.0;
  if (options.eta) {
    // An absolute time becomes a delay from the application's clock: the database adds it to its
    // own, so the two clocks need only agree to within their NTP skew.
    const std::chrono::duration<double> until = *options.eta - std::chrono::system_clock::now();
    job.delay_seconds = std::max(job.delay_seconds, until.count());
  }
  job.delay_seconds = std::max(job.delay_seconds, 0.0);
  co_return co_await repository_.enqueue(tx, job);
}

asio::awaitable<std::vector<QueueCounts>> Jobs::counts() { co_return co_await broker_.counts(); }

asio::awaitable<std::vector<JobRow>> Jobs::list(std::string_view status, std::int64_t before_id, int limit) {
  co_return co_await repository_.list(database_, status, before_id, limit);
}

asio::awaitable<JobRow> Jobs::retry_dead(std::int64_t id, Actor actor) {
  auto tx = co_await database_.begin();
  auto job = co_await repository_.find(*tx, id);
  if (!job) throw AppError::not_found("No job with this id.");
  if (job->status != "dead")
    throw AppError::conflict("Only dead jobs can be retried; this one is " + job->status + ".");
  if (!co_await repository_.retry_dead(*tx, id)) throw AppError::conflict("The job changed meanwhile; look again.");
  boost::json::object details{
      {"task", job->task},
      {"queue", job->queue},
      {"last_error", job->last_error ? boost::json::value(*job->last_error) : boost::json::value()}};
  db::repositories::AuditEntry entry{.actor_id = actor.user_id,
                                     .action = "job.retried",
                                     .target = db::repositories::AuditTarget{.type = "job", .id = id},
                                     .ip = std::move(actor.ip),
                                     .request_id = std::move(actor.request_id),
                                     .details_json = boost::json::serialize(details)};
  db::repositories::AuditLogRepository audit(database_.dialect());
  co_await audit.record(*tx, entry);
  auto after = co_await repository_.find(*tx, id);
  co_await tx->commit();
  committed();
  if (!after) throw AppError::not_found("No job with this id.");
  co_return *after;
}

asio::awaitable<std::int64_t> Jobs::purge_dead(std::chrono::seconds older_than) {
  co_return co_await repository_.purge_dead(database_, static_cast<double>(older_than.count()));
}

std::chrono::milliseconds retry_delay(int attempt, std::chrono::milliseconds base, double unit) {
  constexpr double kCapMs = 3600.0 * 1000.0;
  const double doublings = std::clamp(attempt - 1, 0, 40);
  const double raw = std::min(static_cast<double>(base.count()) * std::exp2(doublings), kCapMs);
  const double jitter = 0.75 + 0.5 * std::clamp(unit, 0.0, 1.0);
  return std::chrono::milliseconds(static_cast<std::int64_t>(std::llround(raw * jitter)));
}

std::chrono::milliseconds failure_backoff(std::chrono::milliseconds poll, int failures) {
  return std::min<std::chrono::milliseconds>(poll * (1 << std::clamp(failures, 0, 5)), std::chrono::seconds(30));
}

}  // namespace parley::jobs
