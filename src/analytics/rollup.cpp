#include "analytics/rollup.hpp"

#include <array>
#include <charconv>
#include <cstdio>

#include "analytics/latency_buckets.hpp"
#include "core/time.hpp"

namespace parley::analytics {

namespace asio = boost::asio;
using db::repositories::AnalyticsRepository;
using db::repositories::DailyAnalytics;

namespace {

std::string start_of(Day day) { return format_rfc3339(std::chrono::system_clock::time_point(day)); }

std::optional<double> p95_of(const std::map<int, std::int64_t>& buckets, std::int64_t& requests) {
  std::array<std::uint64_t, kLatencyBuckets> counts{};
  requests = 0;
  for (const auto& [bucket, n] : buckets) {
    if (bucket < 0 || n <= 0) continue;
    // A bucket past the last one (a newer build's) counts as the slowest.
    counts[std::min<std::size_t>(static_cast<std::size_t>(bucket), kLatencyBuckets - 1)] +=
        static_cast<std::uint64_t>(n);
    requests += n;
  }
  return latency_quantile_ms(counts, 0.95);
}

std::int64_t kind_count(const AnalyticsRepository::Counts& counts, const char* kind) {
  auto it = counts.by_kind.find(kind);
  return it == counts.by_kind.end() ? 0 : it->second;
}

}  // namespace

std::string format_day(Day day) {
  const std::chrono::year_month_day date{day};
  char text[16];
  std::snprintf(text, sizeof text, "%04d-%02u-%02u", static_cast<int>(date.year()),
                static_cast<unsigned>(date.month()), static_cast<unsigned>(date.day()));
  return text;
}

std::optional<Day> parse_day(std::string_view text) {
  if (text.size() != 10 || text[4] != '-' || text[7] != '-') return std::nullopt;
  int year = 0;
  unsigned month = 0;
  unsigned day = 0;
  auto number = [&](std::size_t at, std::size_t length, auto& out) {
    const char* begin = text.data() + at;
    auto [end, ec] = std::from_chars(begin, begin + length, out);
    return ec == std::errc{} && end == begin + length;
  };
  if (!number(0, 4, year) || !number(5, 2, month) || !number(8, 2, day)) return std::nullopt;
  const std::chrono::year_month_day date{std::chrono::year{year}, std::chrono::month{month}, std::chrono::day{day}};
  if (!date.ok()) return std::nullopt;
  return Day(date);
}

Day today() { return std::chrono::floor<std::chrono::days>(std::chrono::system_clock::now()); }

asio::awaitable<DailyAnalytics> rollup_day(db::Database& database, Day day) {
  AnalyticsRepository repository(database.dialect());
  const std::string day_text = format_day(day);
  auto counts = co_await repository.count_events(database, start_of(day), start_of(day + std::chrono::days(1)));
  auto buckets = co_await repository.latency(database, day_text, day_text);
  DailyAnalytics row{.day = day_text,
                     .active_users = counts.users,
                     .signups = kind_count(counts, "signup"),
                     .logins = kind_count(counts, "login"),
                     .messages = kind_count(counts, "message_sent"),
                     .conversations = kind_count(counts, "conversation_created"),
                     .uploads = kind_count(counts, "upload"),
                     .searches = kind_count(counts, "search"),
                     .errors = kind_count(counts, "error")};
  row.p95_latency_ms = p95_of(buckets, row.requests);
  co_await repository.upsert_daily(database, row);
  co_return row;
}

asio::awaitable<Summary> summarize(db::Database& database, Day from, Day to) {
  AnalyticsRepository repository(database.dialect());
  Summary summary{.from = from, .to = to};
  auto days = co_await repository.list_daily(database, format_day(from), format_day(to));
  summary.days_rolled_up = static_cast<int>(days.size());
  auto& t = summary.totals;
  for (const auto& d : days) {
    t.signups += d.signups;
    t.logins += d.logins;
    t.messages += d.messages;
    t.conversations += d.conversations;
    t.uploads += d.uploads;
    t.searches += d.searches;
    t.errors += d.errors;
  }
  auto counts = co_await repository.count_events(database, start_of(from), start_of(to + std::chrono::days(1)));
  t.active_users = counts.users;
  auto buckets = co_await repository.latency(database, format_day(from), format_day(to));
  t.p95_latency_ms = p95_of(buckets, t.requests);
  co_return summary;
}

}  // namespace parley::analytics
