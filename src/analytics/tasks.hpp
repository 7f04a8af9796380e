#pragma once
// The analytics.rollup job (docs/analytics.md), fired hourly by the built-in schedule
// analytics_rollup (jobs/schedule.cpp): rolls up today and yesterday (UTC; yesterday once more so
// the events written after its last hourly run count), or the day of its payload {"date":
// "YYYY-MM-DD"}; then purges events older than the retention.
#include <chrono>

#include "db/database.hpp"
#include "jobs/jobs.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace parley::analytics {

inline constexpr std::string_view kRollupTask = "analytics.rollup";

// `retention` 0 keeps every event.
void register_analytics_tasks(jobs::TaskRegistry& registry, db::Database& database, std::chrono::seconds retention,
                              spdlog::logger& logger);

}  // namespace parley::analytics
