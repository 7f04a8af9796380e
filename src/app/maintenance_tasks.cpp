// The jobs of modules that sit above the job system. The built-in schedules (jobs/schedule.cpp)
// run the retention ones hourly and daily; the abuse detector enqueues security.deny_ip.
#include <spdlog/logger.h>

#include "accounts/abuse_detector.hpp"
#include "app/app.hpp"
#include "core/error.hpp"
#include "messaging/retention.hpp"

namespace parley {

namespace asio = boost::asio;

void App::register_maintenance_tasks() {
  jobs::TaskDefaults maintenance;
  maintenance.queue = "maintenance";
  maintenance.max_retries = 2;
  maintenance.timeout = std::chrono::minutes(30);
  // uploads_ is built after the tasks are registered (the scheduler checks its schedules' tasks
  // exist); it exists before the worker starts.
  task_registry_.add(jobs::Task{
      .name = "uploads.purge_orphans", .defaults = maintenance, .handler = [this](jobs::JobContext&) -> asio::awaitable<void> {
        const auto age = std::chrono::duration_cast<std::chrono::seconds>(config_.upload_orphan_age);
        const auto purged = co_await uploads_->purge_orphans(age);
        logger_->info("uploads: deleted {} upload(s) no message carries", purged);
      }});
  task_registry_.add(jobs::Task{
      .name = "messages.purge_deleted", .defaults = maintenance, .handler = [this](jobs::JobContext&) -> asio::awaitable<void> {
        const auto retention = std::chrono::duration_cast<std::chrono::seconds>(config_.deleted_message_retention);
        if (retention.count() == 0) co_return;  // PARLEY_DELETED_MESSAGE_RETENTION=0: kept for good
        const auto purged = co_await messaging::purge_deleted_messages(*database_, retention);
        logger_->info("messages: purged {} message(s) deleted more than {} s ago", purged, retention.count());
      }});
  jobs::TaskDefaults security;
  security.queue = "default";
  security.max_retries = 5;
  security.backoff = std::chrono::seconds(1);
  task_registry_.add(jobs::Task{
      .name = std::string(accounts::kDenyIpTask), .defaults = security, .handler = [this](jobs::JobContext& job) -> asio::awaitable<void> {
        const auto* ip = job.payload().if_contains("ip");
        if (ip == nullptr || !ip->is_string()) throw AppError::internal("security.deny_ip: the payload has no ip");
        const auto block_for = std::chrono::duration_cast<std::chrono::seconds>(config_.abuse_block_for);
        const std::string reason = "automatic: too many refused requests (over " + config_.abuse_limit.to_string() + ")";
        auto rule = co_await ip_rules_->do_deny_suspicious(std::string(ip->as_string()), block_for, reason);
        if (rule) logger_->warn("abuse detector: denied {} until {}", rule->cidr, rule->expires_at.value_or("?"));
      }});
}

}  // namespace parley
