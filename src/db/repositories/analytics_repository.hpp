#pragma once
// The analytics tables (migrations/*/0001_initial.sql and 0008_analytics.sql; docs/analytics.md):
// the event log and the latency histogram written in batches by analytics::Recorder, and the
// daily rollup (one row per day and metric).
//
// Days are UTC dates as "YYYY-MM-DD"; times are RFC 3339.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

// One day of analytics_daily.
struct DailyAnalytics {
  std::string day;
  std::int64_t active_users = 0;
  std::int64_t signups = 0;
  std::int64_t logins = 0;
  std::int64_t messages = 0;
  std::int64_t conversations = 0;
  std::int64_t uploads = 0;
  std::int64_t searches = 0;
  std::int64_t errors = 0;
  std::int64_t requests = 0;
  std::optional<double> p95_latency_ms;
  std::string computed_at;  // filled when read
};

class AnalyticsRepository {
 public:
  explicit AnalyticsRepository(Dialect dialect);

  // A usage event to append, standing for `occurrences` identical ones.
  struct NewEvent {
    std::string at;  // RFC 3339
    std::string_view name;
    std::optional<std::int64_t> user_id;
    std::optional<int> status_code;
    std::string_view route;  // properties {"route": ...}; empty: no properties
    int occurrences = 1;
  };
  // Appends `events` in one statement whatever their number (arrays on PostgreSQL, a JSON
  // document on SQLite). A user deleted since is recorded as no user.
  boost::asio::awaitable<void> insert_events(Executor& db, std::span<const NewEvent> events);
  // Adds request counts given as a JSON array of {"day", "bucket", "requests"} to the histogram.
  boost::asio::awaitable<void> add_latency(Executor& db, std::string counts_json);

  // Events by name in [from, to) (RFC 3339, rows' occurrences summed), and the distinct users among them.
  struct Counts {
    std::map<std::string, std::int64_t> by_kind;
    std::int64_t users = 0;
  };
  boost::asio::awaitable<Counts> count_events(Executor& db, std::string from, std::string to);
  // Requests by latency bucket over the days [from_day, to_day], summed.
  boost::asio::awaitable<std::map<int, std::int64_t>> latency(Executor& db, std::string from_day, std::string to_day);

  // Writes every metric of `day` (its p95 only when set) in one statement.
  boost::asio::awaitable<void> upsert_daily(Executor& db, const DailyAnalytics& day);
  // The rolled-up days in [from_day, to_day], oldest first.
  boost::asio::awaitable<std::vector<DailyAnalytics>> list_daily(Executor& db, std::string from_day,
                                                                 std::string to_day);
  // Deletes events older than `before` (RFC 3339); returns how many rows went row by row. On
  // PostgreSQL the monthly partitions wholly before it are dropped first (DROP TABLE, no dead rows),
  // and the months ahead are created (parley_ensure_analytics_partitions).
  boost::asio::awaitable<std::int64_t> purge_events(Executor& db, std::string before);

 private:
  struct Queries {
    Query insert_events, add_latency, count_events, count_users, latency, upsert_daily, list_daily, purge_events;
  };
  Dialect dialect_;
  Queries q_;
};

}  // namespace parley::db::repositories
