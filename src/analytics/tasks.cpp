#include "analytics/tasks.hpp"

#include <spdlog/logger.h>

#include "analytics/rollup.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "db/repositories/analytics_repository.hpp"

namespace parley::analytics {

namespace asio = boost::asio;

void register_analytics_tasks(jobs::TaskRegistry& registry, db::Database& database, std::chrono::seconds retention,
                              spdlog::logger& logger) {
  jobs::TaskDefaults defaults;
  defaults.queue = "maintenance";
  defaults.max_retries = 2;
  defaults.timeout = std::chrono::minutes(10);
  registry.add(jobs::Task{
      .name = std::string(kRollupTask),
      .defaults = defaults,
      .handler = [&database, retention, &logger](jobs::JobContext& job) -> asio::awaitable<void> {
        std::vector<Day> days;
        if (const auto* date = job.payload().if_contains("date")) {
          const auto day = date->is_string() ? parse_day(date->as_string()) : std::nullopt;
          if (!day) throw AppError::internal("analytics.rollup: \"date\" is not a YYYY-MM-DD date");
          days.push_back(*day);
        } else {
          days = {today() - std::chrono::days(1), today()};
        }
        for (const auto day : days) {
          const auto row = co_await rollup_day(database, day);
          logger.info("analytics: rolled up {}: {} active user(s), {} message(s), {} request(s)", row.day,
                      row.active_users, row.messages, row.requests);
        }
        if (retention.count() > 0) {
          db::repositories::AnalyticsRepository repository(database.dialect());
          const auto purged = co_await repository.purge_events(
              database, format_rfc3339(std::chrono::system_clock::now() - retention));
          if (purged > 0) logger.info("analytics: purged {} event(s) older than {} s", purged, retention.count());
        }
      }});
}

}  // namespace parley::analytics
