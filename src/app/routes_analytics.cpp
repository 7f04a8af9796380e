// Usage analytics for admins (docs/api.md "Administration": /admin/analytics/summary and
// /admin/analytics/daily; docs/analytics.md). Both read the daily rollups (plus, for the summary,
// the event log's distinct users and the summed latency histogram of the range); admin_only().
#include "accounts/permissions.hpp"
#include "analytics/rollup.hpp"
#include "app/app.hpp"
#include "app/route_helpers.hpp"
#include "core/validation.hpp"
#include "http/openapi.hpp"

#include <boost/json.hpp>

namespace parley {

namespace json = boost::json;
namespace schema = http::schema;
using analytics::Day;
using http::Method;
using http::Request;
using http::Response;
using http::RouteDoc;
using Awaitable = boost::asio::awaitable<Response>;

namespace {

// The longest range one request reads (days of rollups; the summary also scans the range's events).
constexpr int kMaxRangeDays = 366;
constexpr int kDefaultRangeDays = 30;

struct Range {
  Day from;
  Day to;
};

// ?from=&to= (YYYY-MM-DD, UTC, both included); by default the 30 days up to today.
Range range_of(const Request& req) {
  auto day_param = [&](std::string_view name) -> std::optional<Day> {
    auto text = query_param(req.query(), name);
    if (!text) return std::nullopt;
    auto day = analytics::parse_day(*text);
    if (!day) throw query_error(std::string(name), "Enter a date as YYYY-MM-DD.");
    return day;
  };
  const auto to = day_param("to").value_or(analytics::today());
  const auto from = day_param("from").value_or(to - std::chrono::days(kDefaultRangeDays - 1));
  if (from > to) throw query_error("from", "The range starts after it ends.");
  if ((to - from).count() >= kMaxRangeDays) {
    throw query_error("from", "The range is longer than " + std::to_string(kMaxRangeDays) + " days.");
  }
  return Range{from, to};
}

json::value p95_json(const std::optional<double>& ms) {
  return ms ? json::value(std::round(*ms * 10) / 10) : json::value(nullptr);
}

// The counts both endpoints answer with, plus `extra` properties.
json::value counts_schema(std::initializer_list<std::pair<std::string_view, json::value>> extra) {
  json::value result = schema::object({{"active_users", schema::integer()},
                                       {"messages", schema::integer()},
                                       {"signups", schema::integer()},
                                       {"logins", schema::integer()},
                                       {"conversations", schema::integer()},
                                       {"uploads", schema::integer()},
                                       {"searches", schema::integer()},
                                       {"errors", schema::integer()},
                                       {"requests", schema::integer()},
                                       {"p95_latency_ms", schema::nullable(schema::number())}});
  auto& properties = result.as_object().at("properties").as_object();
  for (const auto& [name, type] : extra) properties[name] = type;
  return result;
}

json::object counts_json(const db::repositories::DailyAnalytics& d) {
  return json::object{{"active_users", d.active_users}, {"messages", d.messages},   {"signups", d.signups},
                      {"logins", d.logins},             {"conversations", d.conversations},
                      {"uploads", d.uploads},           {"searches", d.searches}, {"errors", d.errors},
                      {"requests", d.requests},         {"p95_latency_ms", p95_json(d.p95_latency_ms)}};
}

}  // namespace

void add_analytics_routes(http::Router& router, db::Database& database) {
  router.add(
      Method::get, "/api/v1/admin/analytics/daily",
      [&database](Request& req) -> Awaitable {
        const auto range = range_of(req);
        db::repositories::AnalyticsRepository repository(database.dialect());
        auto days = co_await repository.list_daily(database, analytics::format_day(range.from),
                                                   analytics::format_day(range.to));
        json::array results;
        for (const auto& d : days) {
          auto row = counts_json(d);
          row.emplace("date", d.day);
          row.emplace("computed_at", d.computed_at);
          results.push_back(std::move(row));
        }
        co_return Response::json(json::object{{"from", analytics::format_day(range.from)},
                                              {"to", analytics::format_day(range.to)},
                                              {"results", std::move(results)}});
      },
      RouteDoc{.summary = "Per UTC day in ?from=&to= (YYYY-MM-DD, at most 366 days; the last 30 by default): active "
                          "users, messages, sign-ups, logins, conversations, uploads, searches, server errors, "
                          "requests and p95 latency. Rolled up hourly: computed_at says when",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .query = {query_doc::text("from", "First UTC day, YYYY-MM-DD (default: 29 days before `to`)"),
                         query_doc::text("to", "Last UTC day, YYYY-MM-DD (default: today)")},
               .responses = {{200, "The rolled-up days, oldest first",
                              schema::object({{"from", schema::string("date")},
                                              {"to", schema::string("date")},
                                              {"results", schema::array(counts_schema(
                                                              {{"date", schema::string("date")},
                                                               {"computed_at", schema::string("date-time")}}))}})}},
               .consumes = {},
               .permissions = {accounts::admin_only()}});

  router.add(
      Method::get, "/api/v1/admin/analytics/summary",
      [&database](Request& req) -> Awaitable {
        const auto range = range_of(req);
        auto summary = co_await analytics::summarize(database, range.from, range.to);
        auto body = counts_json(summary.totals);
        body.emplace("from", analytics::format_day(range.from));
        body.emplace("to", analytics::format_day(range.to));
        body.emplace("days_rolled_up", summary.days_rolled_up);
        co_return Response::json(std::move(body));
      },
      RouteDoc{.summary = "Totals over ?from=&to= (as /daily): the days' counts summed, active users counted once "
                          "over the whole range, and the p95 latency of all its requests",
               .tags = {"admin"},
               .auth = http::Auth::admin,
               .query = {query_doc::text("from", "First UTC day, YYYY-MM-DD (default: 29 days before `to`)"),
                         query_doc::text("to", "Last UTC day, YYYY-MM-DD (default: today)")},
               .responses = {{200, "The range's totals",
                              counts_schema({{"from", schema::string("date")},
                                             {"to", schema::string("date")},
                                             {"days_rolled_up", schema::integer()}})}},
               .consumes = {},
               .permissions = {accounts::admin_only()}});
}

}  // namespace parley
