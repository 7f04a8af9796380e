#include "jobs/builtin_tasks.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/serialize.hpp>

#include "core/error.hpp"
#include "db/repositories/audit_log_repository.hpp"
#include "db/repositories/maintenance_repository.hpp"

namespace parley::jobs {

namespace asio = boost::asio;
namespace repo = db::repositories;

namespace {

constexpr double kDay = 24.0 * 3600.0;

asio::awaitable<void> cleanup(db::Database& database, BuiltinTaskSettings settings, spdlog::logger& logger) {
  repo::MaintenanceRepository maintenance(database.dialect());
  repo::JobRepository jobs(database.dialect());
  const auto sessions = co_await maintenance.delete_dead_sessions(database, 7 * kDay);
  const auto refresh = co_await maintenance.delete_expired_refresh_tokens(database);
  const auto resets = co_await maintenance.delete_expired_password_resets(database);
  const auto tickets = co_await maintenance.delete_expired_realtime_tickets(database);
  const auto dead = co_await jobs.purge_dead(database, static_cast<double>(settings.dead_job_retention.count()));
  // Longer than any job's retries: a key is only needed while its job may still run again.
  const auto effects = co_await jobs.purge_effects(database, 7 * kDay);
  const auto firings = co_await jobs.purge_firings(database, 30 * kDay);
  // The delivery log of GET /webhooks/{id}/deliveries: a month, like Stripe's event history.
  const auto deliveries = co_await maintenance.delete_old_webhook_deliveries(database, 30 * kDay);
  logger.info(
      "cleanup: deleted {} session(s), {} refresh token(s), {} reset token(s), {} ticket(s), {} dead job(s), "
      "{} effect key(s), {} schedule firing(s), {} webhook delivery record(s)",
      sessions, refresh, resets, tickets, dead, effects, firings, deliveries);
}

std::int64_t int_field(const boost::json::object& payload, std::string_view name, std::int64_t fallback) {
  const auto* value = payload.if_contains(name);
  if (value == nullptr) return fallback;
  if (!value->is_int64()) throw AppError::internal(std::string(name) + " is not an integer");
  return value->as_int64();
}

asio::awaitable<void> testing_effect(JobContext& job) {
  const auto fail_times = int_field(job.payload(), "fail_times", 0);
  if (job.attempt() <= fail_times) {
    throw AppError::internal("testing.effect: failing attempt " + std::to_string(job.attempt()) + " on purpose");
  }
  auto& database = job.database();
  auto tx = co_await database.begin();
  if (co_await job.claim_effect(*tx, "audit")) {
    const auto* key = job.payload().if_contains("key");
    boost::json::object details{{"key", key != nullptr ? *key : boost::json::value()}, {"job", job.id()}};
    repo::AuditLogRepository audit(database.dialect());
    repo::AuditEntry entry{.actor_id = std::nullopt,
                           .action = "testing.effect",
                           .target = std::nullopt,
                           .ip = std::nullopt,
                           .request_id = std::nullopt,
                           .details_json = boost::json::serialize(details)};
    co_await audit.record(*tx, entry);
  }
  co_await tx->commit();
  const auto sleep = std::chrono::milliseconds(int_field(job.payload(), "sleep_ms", 0));
  if (sleep.count() > 0 && job.attempt() == fail_times + 1) {
    asio::steady_timer timer(co_await asio::this_coro::executor, sleep);
    co_await timer.async_wait(asio::use_awaitable);
  }
}

}  // namespace

void register_builtin_tasks(TaskRegistry& registry, db::Database& database, BuiltinTaskSettings settings,
                            spdlog::logger& logger) {
  TaskDefaults maintenance;
  maintenance.queue = "maintenance";
  maintenance.max_retries = 2;
  maintenance.timeout = std::chrono::minutes(10);
  registry.add(Task{
      .name = "maintenance.cleanup", .defaults = maintenance, .handler = [&database, settings, &logger](JobContext&) {
        return cleanup(database, settings, logger);
      }});
  registry.add(
      Task{.name = "system.noop", .defaults = {}, .handler = [](JobContext&) -> asio::awaitable<void> { co_return; }});
  if (settings.test_tasks) {
    TaskDefaults testing;
    testing.max_retries = 3;
    testing.backoff = std::chrono::milliseconds(100);
    registry.add(Task{.name = "testing.effect", .defaults = testing, .handler = testing_effect});
  }
}

}  // namespace parley::jobs
