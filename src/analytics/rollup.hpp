#pragma once
// The daily rollup (docs/analytics.md): a day's row of analytics_daily recomputed from that day's
// events and latency counts alone, so its cost is one day's events whatever the history, and a day
// can be rolled up again (late events, `parley analytics rollup --date`) with the same result.
// Days are UTC.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <optional>
#include <string>
#include <string_view>

#include "db/database.hpp"
#include "db/repositories/analytics_repository.hpp"

namespace parley::analytics {

using Day = std::chrono::sys_days;

std::string format_day(Day day);
// "YYYY-MM-DD", a real calendar date; nullopt otherwise.
std::optional<Day> parse_day(std::string_view text);
Day today();

// Recomputes and stores `day`; returns the row.
boost::asio::awaitable<db::repositories::DailyAnalytics> rollup_day(db::Database& database, Day day);

// Totals over [from, to]: the rolled-up days summed, except active users (distinct over the range,
// from the event log: a user active on three days counts once) and the p95 latency (from the
// range's summed histogram).
struct Summary {
  Day from;
  Day to;
  int days_rolled_up = 0;
  db::repositories::DailyAnalytics totals;  // day and computed_at unused
};
boost::asio::awaitable<Summary> summarize(db::Database& database, Day from, Day to);

}  // namespace parley::analytics
