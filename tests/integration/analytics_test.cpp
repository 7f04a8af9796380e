// Usage analytics end to end (docs/analytics.md) on SQLite and PostgreSQL: requests leave events
// through the analytics middleware, the recorder writes them in a batch, the analytics.rollup job
// rolls the day up, and the admin endpoints read it; old events are purged; `parley analytics
// rollup` recomputes a day.
#include "child_process.hpp"
#include "messaging_fixture.hpp"
#include "test_routes.hpp"

#include "analytics/rollup.hpp"
#include "core/time.hpp"
#include "db/testing.hpp"

#include <gtest/gtest.h>

namespace parley::testing {
namespace {

namespace json = boost::json;
using namespace std::chrono_literals;

class AnalyticsTest : public MessagingTest {
 protected:
  // The fixture's server again, with the test routes (GET /test/crash answers 500).
  void SetUp() override {
    MessagingTest::SetUp();
    if (IsSkipped()) return;
    const auto config = app().config();
    recorder_.reset();
    server_->stop();
    server_ = std::make_unique<TestServer>(
        config, [](http::Router& router) { add_test_routes(router, std::make_shared<Gate>()); });
    recorder_ = std::make_unique<EventRecorder>(server_->app());
  }

  std::int64_t count(App& app, const std::string& sql) {
    return on_app_of(app, [&app, sql]() -> boost::asio::awaitable<std::int64_t> {
      auto rs = co_await app.database().execute(db::Query{"", sql});
      co_return rs.one().int64(0);
    }());
  }
  template <typename T>
  static T on_app_of(App& app, boost::asio::awaitable<T> task) {
    return boost::asio::co_spawn(app.primary_context(), std::move(task), boost::asio::use_future).get();
  }
  void flush(App& app) { on_app_of(app, app.analytics().flush()); }

  // Runs the analytics.rollup job through the worker and waits until it is done.
  void run_rollup_job(json::object payload = {}) {
    on_app_of(app(), [this, payload = std::move(payload)]() -> boost::asio::awaitable<void> {
      auto tx = co_await app().database().begin();
      co_await app().jobs().enqueue(*tx, "analytics.rollup", payload);
      co_await tx->commit();
      app().jobs().committed();
    }());
    ASSERT_TRUE(eventually(
        [&] { return count(app(), "SELECT count(*) FROM jobs WHERE task = 'analytics.rollup'") == 0; }, 10s));
  }

  static std::string today() { return analytics::format_day(analytics::today()); }
};

TEST_P(AnalyticsTest, RequestsBecomeEventsThatTheRollupCountsPerDay) {
  auto admin = user("root", "admin");  // a sign-up and a login each
  auto mia = user("mia");
  const auto group_id = group(admin, {mia.id});
  // A direct conversation started twice: created once (201), then found (200).
  conversation(admin, {{"kind", "direct"}, {"member_ids", json::array{mia.id}}});
  conversation(admin, {{"kind", "direct"}, {"member_ids", json::array{mia.id}}});
  send(mia, group_id, "hello there");
  send(admin, group_id, "hello back");
  send(mia, group_id, "bye");
  EXPECT_EQ(call(mia, "GET", "/api/v1/search?q=hello").status, 200);
  EXPECT_EQ(call(mia, "POST", messages_path(group_id), json::object{{"body", ""}}).status, 400) << "not a message";
  EXPECT_EQ(http_request(port(), "GET", "/test/crash").status, 500) << "a server error";
  flush(app());

  EXPECT_EQ(count(app(), "SELECT count(*) FROM analytics_events WHERE name = 'active'"), 2);
  // mia's two sends may share a row (one second, same user): the rows count them.
  EXPECT_EQ(count(app(), "SELECT sum(occurrences) FROM analytics_events WHERE name = 'message_sent'"), 3);
  EXPECT_LE(count(app(), "SELECT count(*) FROM analytics_events WHERE name = 'message_sent'"), 3);
  EXPECT_EQ(count(app(), "SELECT count(*) FROM analytics_events WHERE name = 'error' AND status_code = 500 AND "
                         "CAST(properties AS text) LIKE '%/test/crash%'"),
            1);
  run_rollup_job();

  auto daily = call(admin, "GET", "/api/v1/admin/analytics/daily");
  ASSERT_EQ(daily.status, 200) << daily.body;
  const auto daily_json = daily.json();  // the references below point into it
  EXPECT_EQ(daily_json.at("to").as_string(), today());
  const auto& days = daily_json.at("results").as_array();
  ASSERT_EQ(days.size(), 2u) << "yesterday (rolled up again by every run, here with nothing) and today: " << daily.body;
  EXPECT_EQ(days[0].at("messages").as_int64(), 0);
  EXPECT_TRUE(days[0].at("p95_latency_ms").is_null());
  const auto& day = days[1].as_object();
  EXPECT_EQ(day.at("date").as_string(), today());
  EXPECT_EQ(day.at("signups").as_int64(), 2);
  EXPECT_EQ(day.at("logins").as_int64(), 2);
  EXPECT_EQ(day.at("conversations").as_int64(), 2);
  EXPECT_EQ(day.at("messages").as_int64(), 3);
  EXPECT_EQ(day.at("searches").as_int64(), 1);
  EXPECT_EQ(day.at("errors").as_int64(), 1);
  EXPECT_EQ(day.at("active_users").as_int64(), 2);
  EXPECT_GE(day.at("requests").as_int64(), 12);
  EXPECT_TRUE(day.at("p95_latency_ms").is_number()) << daily.body;

  auto summary = call(admin, "GET", "/api/v1/admin/analytics/summary?from=" + today() + "&to=" + today());
  ASSERT_EQ(summary.status, 200) << summary.body;
  const auto totals = summary.json();
  EXPECT_EQ(totals.at("days_rolled_up").as_int64(), 1);
  EXPECT_EQ(totals.at("messages").as_int64(), 3);
  EXPECT_EQ(totals.at("active_users").as_int64(), 2);
  EXPECT_EQ(totals.at("requests").as_int64(), day.at("requests").as_int64());

  // Rolling the day up again gives the same row (only the day's own events count).
  run_rollup_job({{"date", today()}});
  auto again = call(admin, "GET", "/api/v1/admin/analytics/daily").json();
  EXPECT_EQ(again.at("results").as_array()[1].at("messages").as_int64(), 3);
}

TEST_P(AnalyticsTest, TheEndpointsAreForAdminsAndRefuseBadRanges) {
  auto admin = user("root", "admin");
  auto mia = user("mia");
  EXPECT_EQ(call(mia, "GET", "/api/v1/admin/analytics/daily").status, 403);
  EXPECT_EQ(call(mia, "GET", "/api/v1/admin/analytics/summary").status, 403);
  for (const char* query : {"?from=2026-02-30", "?to=yesterday", "?from=2026-12-05&to=2026-12-04",
                            "?from=2020-01-01&to=2026-01-01"}) {
    auto r = call(admin, "GET", std::string("/api/v1/admin/analytics/daily") + query);
    EXPECT_EQ(r.status, 400) << query << " " << r.body;
    EXPECT_EQ(r.headers["content-type"], "application/problem+json") << query;
  }
  auto empty = call(admin, "GET", "/api/v1/admin/analytics/summary?from=2001-01-01&to=2001-01-31");
  ASSERT_EQ(empty.status, 200) << empty.body;
  EXPECT_EQ(empty.json().at("days_rolled_up").as_int64(), 0);
  EXPECT_TRUE(empty.json().at("p95_latency_ms").is_null());
}

TEST_P(AnalyticsTest, TheRollupJobPurgesEventsPastTheRetention) {
  start({{"PARLEY_ANALYTICS_RETENTION", "7d"}});
  const auto old = format_rfc3339(std::chrono::system_clock::now() - std::chrono::hours(24 * 8));
  const auto recent = format_rfc3339(std::chrono::system_clock::now() - std::chrono::hours(24 * 6));
  on_app_of(app(), [this, old, recent]() -> boost::asio::awaitable<void> {
    const bool pg = app().database().dialect() == db::Dialect::postgres;
    const db::Query insert{"", pg ? "INSERT INTO analytics_events (occurred_at, name, user_id) VALUES "
                                    "(CAST($1 AS timestamptz), 'login', NULL), (CAST($2 AS timestamptz), 'login', NULL)"
                                  : "INSERT INTO analytics_events (occurred_at, name, user_id) VALUES "
                                    "($1, 'login', NULL), ($2, 'login', NULL)"};
    std::array<db::Value, 2> params{old, recent};
    co_await app().database().execute(insert, params);
  }());
  const bool pg = GetParam() == "postgres";
  if (pg) {
    // A month long past, in a partition of its own: it goes whole (DROP TABLE, not DELETE).
    on_app_of(app(), [this]() -> boost::asio::awaitable<void> {
      co_await app().database().execute(db::Query{
          "", "CREATE TABLE analytics_events_2020_01 PARTITION OF analytics_events FOR VALUES FROM "
              "('2020-01-01 00:00:00+00') TO ('2020-02-01 00:00:00+00')"});
      co_await app().database().execute(db::Query{
          "", "INSERT INTO analytics_events (occurred_at, name) VALUES ('2020-01-15 12:00:00+00', 'signup')"});
    }());
  }
  run_rollup_job();
  EXPECT_EQ(count(app(), "SELECT count(*) FROM analytics_events WHERE name = 'login'"), 1) << "the 8-day-old one went";
  if (pg) {
    EXPECT_EQ(count(app(), "SELECT count(*) FROM pg_class WHERE relname = 'analytics_events_2020_01'"), 0);
    EXPECT_EQ(count(app(), "SELECT count(*) FROM analytics_events WHERE name = 'signup'"), 0);
    EXPECT_GE(count(app(), "SELECT count(*) FROM pg_class WHERE relname LIKE 'analytics_events_2%'"), 3)
        << "this month and the next two stay";
  }
}

TEST_P(AnalyticsTest, TheCommandRollsUpADayOrRefusesABadDate) {
  if (GetParam() != "postgres") GTEST_SKIP() << "the command opens the database by URL: the test's SQLite is private";
  db::testing::TempDir scratch;
  std::map<std::string, std::string> env{{"PARLEY_DATABASE_URL", app().config().database_url},
                                         {"PATH", "/usr/bin:/bin"}};
  Child good({parley_binary().string(), "analytics", "rollup", "--date", "2026-11-30"}, env, scratch.path());
  ASSERT_TRUE(good.wait_for_exit(20s));
  EXPECT_EQ(good.exit_code(), 0) << good.err();
  EXPECT_NE(good.out().find("2026-11-30: 0 active user(s)"), std::string::npos) << good.out();
  EXPECT_EQ(count(app(), "SELECT count(*) FROM analytics_daily WHERE day = CAST('2026-11-30' AS date)"), 9)
      << "every count; no p95 without a request";
  Child bad({parley_binary().string(), "analytics", "rollup", "--date", "2026-02-30"}, env, scratch.path());
  ASSERT_TRUE(bad.wait_for_exit(20s));
  EXPECT_EQ(bad.exit_code(), 1);
  EXPECT_NE(bad.err().find("--date: expected a date as YYYY-MM-DD"), std::string::npos) << bad.err();
}

INSTANTIATE_TEST_SUITE_P(Backends, AnalyticsTest, ::testing::Values("sqlite", "postgres"), backend_name);

}  // namespace
}  // namespace parley::testing
