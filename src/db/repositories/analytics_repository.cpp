#include "db/repositories/analytics_repository.hpp"

#include <array>
#include <cmath>
#include <cstdio>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include "core/json_writer.hpp"
#include "db/repositories/sql_times.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

// PostgreSQL: arrays of one length ($1..$6), not a JSON document: nothing to parse but the arrays.
constexpr DualQuery kInsertEvents{
    "analytics.insert_events",
    "INSERT INTO analytics_events (occurred_at, name, user_id, status_code, properties, occurrences) "
    "SELECT e.at, e.name, (SELECT u.id FROM users u WHERE u.id = e.user_id), e.status_code, "
    "CASE WHEN e.route IS NULL THEN CAST('{}' AS jsonb) ELSE jsonb_build_object('route', e.route) END, e.occurrences "
    "FROM unnest(CAST($1 AS timestamptz[]), CAST($2 AS text[]), CAST($3 AS bigint[]), CAST($4 AS integer[]),"
    " CAST($5 AS text[]), CAST($6 AS integer[])) AS e(at, name, user_id, status_code, route, occurrences)",
    "INSERT INTO analytics_events (occurred_at, name, user_id, status_code, properties, occurrences) "
    "SELECT strftime('%Y-%m-%dT%H:%M:%fZ', json_extract(value, '$.at')), json_extract(value, '$.name'), "
    "(SELECT u.id FROM users u WHERE u.id = json_extract(value, '$.user_id')), json_extract(value, '$.status_code'), "
    "COALESCE(json_extract(value, '$.properties'), '{}'), json_extract(value, '$.occurrences') FROM json_each($1)"};

// A PostgreSQL array literal of `count` elements, each written by `element(out, i)` (an empty
// optional: NULL).
template <typename Element>
std::string pg_array(std::size_t count, Element element) {
  std::string out(1, '{');
  for (std::size_t i = 0; i < count; ++i) {
    if (i > 0) out.push_back(',');
    element(out, i);
  }
  out.push_back('}');
  return out;
}

// A quoted element of a text array literal.
void quoted_element(std::string& out, std::string_view text) {
  out.push_back('"');
  for (char c : text) {
    if (c == '"' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  out.push_back('"');
}

template <typename Number>
void number_element(std::string& out, const std::optional<Number>& number) {
  out += number ? std::to_string(*number) : std::string("NULL");
}

// (WHERE true: SQLite needs it to tell the upsert's ON CONFLICT from a join's ON.)
constexpr DualQuery kAddLatency{
    "analytics.add_latency",
    "INSERT INTO analytics_latency (day, bucket, requests) SELECT l.day, l.bucket, l.requests "
    "FROM json_to_recordset(CAST($1 AS json)) AS l(day date, bucket smallint, requests bigint) "
    "ON CONFLICT (day, bucket) DO UPDATE SET requests = analytics_latency.requests + excluded.requests",
    "INSERT INTO analytics_latency (day, bucket, requests) SELECT json_extract(value, '$.day'), "
    "json_extract(value, '$.bucket'), json_extract(value, '$.requests') FROM json_each($1) WHERE true "
    "ON CONFLICT (day, bucket) DO UPDATE SET requests = requests + excluded.requests"};

// analytics_events_time_idx.
#define PARLEY_SQL_COUNT_EVENTS(TIME, NOW, AT) \
  "SELECT name, sum(occurrences) FROM analytics_events WHERE occurred_at >= " AT("$1") " AND occurred_at < " AT("$2") \
  " GROUP BY name"
#define PARLEY_SQL_COUNT_USERS(TIME, NOW, AT)                                                                \
  "SELECT count(DISTINCT user_id) FROM analytics_events WHERE occurred_at >= " AT("$1") " AND occurred_at < " \
  AT("$2") " AND user_id IS NOT NULL"
constexpr DualQuery kCountEvents = PARLEY_DUAL_AT("analytics.count_events", PARLEY_SQL_COUNT_EVENTS);
constexpr DualQuery kCountUsers = PARLEY_DUAL_AT("analytics.count_users", PARLEY_SQL_COUNT_USERS);

constexpr DualQuery kLatency{
    "analytics.latency",
    "SELECT bucket, sum(requests) FROM analytics_latency WHERE day >= CAST($1 AS date) AND day <= CAST($2 AS date) "
    "GROUP BY bucket",
    "SELECT bucket, sum(requests) FROM analytics_latency WHERE day >= $1 AND day <= $2 GROUP BY bucket"};

// The metrics as a JSON array of {"metric", "value"}.
constexpr DualQuery kUpsertDaily{
    "analytics.upsert_daily",
    "INSERT INTO analytics_daily (day, metric, value, computed_at) SELECT CAST($1 AS date), m.metric, m.value, now() "
    "FROM json_to_recordset(CAST($2 AS json)) AS m(metric text, value double precision) "
    "ON CONFLICT (day, metric) DO UPDATE SET value = excluded.value, computed_at = excluded.computed_at",
    "INSERT INTO analytics_daily (day, metric, value, computed_at) SELECT $1, json_extract(value, '$.metric'), "
    "json_extract(value, '$.value'), strftime('%Y-%m-%dT%H:%M:%fZ', 'now') FROM json_each($2) WHERE true "
    "ON CONFLICT (day, metric) DO UPDATE SET value = excluded.value, computed_at = excluded.computed_at"};

constexpr DualQuery kListDaily{
    "analytics.list_daily",
    "SELECT to_char(day, 'YYYY-MM-DD'), metric, value, " PARLEY_PG_TIME("computed_at") " FROM analytics_daily "
    "WHERE day >= CAST($1 AS date) AND day <= CAST($2 AS date) ORDER BY day",
    "SELECT day, metric, value, computed_at FROM analytics_daily WHERE day >= $1 AND day <= $2 ORDER BY day"};

// The monthly partitions of analytics_events (0001_initial.sql names them analytics_events_YYYY_MM).
constexpr Query kPartitions{
    "analytics.partitions",
    "SELECT c.relname FROM pg_inherits i JOIN pg_class c ON c.oid = i.inhrelid JOIN pg_class p ON p.oid = i.inhparent "
    "WHERE p.relname = 'analytics_events' AND c.relname ~ '^analytics_events_[0-9]{4}_[0-9]{2}$'"};
constexpr Query kEnsurePartitions{"analytics.ensure_partitions", "SELECT parley_ensure_analytics_partitions(2)"};

#define PARLEY_SQL_PURGE_EVENTS(TIME, NOW, AT) "DELETE FROM analytics_events WHERE occurred_at < " AT("$1")
constexpr DualQuery kPurgeEvents = PARLEY_DUAL_AT("analytics.purge_events", PARLEY_SQL_PURGE_EVENTS);

#undef PARLEY_SQL_COUNT_EVENTS
#undef PARLEY_SQL_COUNT_USERS
#undef PARLEY_SQL_PURGE_EVENTS

}  // namespace

AnalyticsRepository::AnalyticsRepository(Dialect d)
    : dialect_(d),
      q_{.insert_events = kInsertEvents.pick(d),
         .add_latency = kAddLatency.pick(d),
         .count_events = kCountEvents.pick(d),
         .count_users = kCountUsers.pick(d),
         .latency = kLatency.pick(d),
         .upsert_daily = kUpsertDaily.pick(d),
         .list_daily = kListDaily.pick(d),
         .purge_events = kPurgeEvents.pick(d)} {}

awaitable<void> AnalyticsRepository::insert_events(Executor& db, std::span<const NewEvent> events) {
  if (events.empty()) co_return;
  if (dialect_ == Dialect::postgres) {
    const std::size_t n = events.size();
    std::array<Value, 6> params{
        pg_array(n, [&](std::string& out, std::size_t i) { quoted_element(out, events[i].at); }),
        pg_array(n, [&](std::string& out, std::size_t i) { quoted_element(out, events[i].name); }),
        pg_array(n, [&](std::string& out, std::size_t i) { number_element(out, events[i].user_id); }),
        pg_array(n, [&](std::string& out, std::size_t i) { number_element(out, events[i].status_code); }),
        pg_array(n, [&](std::string& out, std::size_t i) {
          if (events[i].route.empty()) {
            out += "NULL";
          } else {
            quoted_element(out, events[i].route);
          }
        }),
        pg_array(n, [&](std::string& out, std::size_t i) { out += std::to_string(events[i].occurrences); })};
    co_await db.execute(q_.insert_events, params);
    co_return;
  }
  std::string rows;
  core::JsonWriter out(rows);
  out.begin_array();
  for (const NewEvent& e : events) {
    out.begin_object();
    out.key("at");
    out.value(std::string_view(e.at));
    out.key("name");
    out.value(e.name);
    out.key("user_id");
    out.value(e.user_id);
    out.key("status_code");
    out.value(e.status_code);
    out.key("properties");
    if (e.route.empty()) {
      out.value(nullptr);
    } else {
      out.begin_object();
      out.key("route");
      out.value(e.route);
      out.end_object();
    }
    out.key("occurrences");
    out.value(e.occurrences);
    out.end_object();
  }
  out.end_array();
  std::array<Value, 1> params{std::move(rows)};
  co_await db.execute(q_.insert_events, params);
}

awaitable<void> AnalyticsRepository::add_latency(Executor& db, std::string counts_json) {
  std::array<Value, 1> params{std::move(counts_json)};
  co_await db.execute(q_.add_latency, params);
}

awaitable<AnalyticsRepository::Counts> AnalyticsRepository::count_events(Executor& db, std::string from,
                                                                         std::string to) {
  std::array<Value, 2> params{std::move(from), std::move(to)};
  Counts counts;
  ResultSet by_kind = co_await db.execute(q_.count_events, params);
  for (const Row& r : by_kind.rows) counts.by_kind[std::string(r.text(0))] = r.int64(1);
  ResultSet users = co_await db.execute(q_.count_users, params);
  counts.users = users.one().int64(0);
  co_return counts;
}

awaitable<std::map<int, std::int64_t>> AnalyticsRepository::latency(Executor& db, std::string from_day,
                                                                    std::string to_day) {
  std::array<Value, 2> params{std::move(from_day), std::move(to_day)};
  ResultSet rs = co_await db.execute(q_.latency, params);
  std::map<int, std::int64_t> buckets;
  for (const Row& r : rs.rows) buckets[static_cast<int>(r.int64(0))] = r.int64(1);
  co_return buckets;
}

namespace {

// analytics_daily's metric names, in DailyAnalytics' order.
constexpr std::array<std::string_view, 10> kMetrics{"active_users", "signups", "logins",   "messages", "conversations",
                                                    "uploads",      "searches", "errors", "requests", "p95_latency_ms"};

std::int64_t* count_of(DailyAnalytics& day, std::string_view metric) {
  std::array<std::int64_t*, 9> fields{&day.active_users, &day.signups,  &day.logins, &day.messages, &day.conversations,
                                      &day.uploads,      &day.searches, &day.errors, &day.requests};
  for (std::size_t i = 0; i < fields.size(); ++i) {
    if (kMetrics[i] == metric) return fields[i];
  }
  return nullptr;
}

}  // namespace

awaitable<void> AnalyticsRepository::upsert_daily(Executor& db, const DailyAnalytics& day) {
  boost::json::array metrics;
  DailyAnalytics copy = day;
  for (std::size_t i = 0; i + 1 < kMetrics.size(); ++i) {
    metrics.push_back(boost::json::object{{"metric", kMetrics[i]}, {"value", *count_of(copy, kMetrics[i])}});
  }
  if (day.p95_latency_ms) metrics.push_back(boost::json::object{{"metric", "p95_latency_ms"}, {"value", *day.p95_latency_ms}});
  std::array<Value, 2> params{day.day, boost::json::serialize(metrics)};
  co_await db.execute(q_.upsert_daily, params);
}

awaitable<std::vector<DailyAnalytics>> AnalyticsRepository::list_daily(Executor& db, std::string from_day,
                                                                       std::string to_day) {
  std::array<Value, 2> params{std::move(from_day), std::move(to_day)};
  ResultSet rs = co_await db.execute(q_.list_daily, params);
  std::vector<DailyAnalytics> days;
  for (const Row& r : rs.rows) {
    if (days.empty() || days.back().day != r.text(0)) days.push_back(DailyAnalytics{.day = r.text(0)});
    DailyAnalytics& day = days.back();
    const std::string& metric = r.text(1);
    const double value = r.float64(2);
    if (metric == "p95_latency_ms") {
      day.p95_latency_ms = value;
    } else if (auto* field = count_of(day, metric)) {
      *field = std::llround(value);
    }
    day.computed_at = std::max(day.computed_at, r.text(3));
  }
  co_return days;
}

awaitable<std::int64_t> AnalyticsRepository::purge_events(Executor& db, std::string before) {
  if (dialect_ == Dialect::postgres) {
    co_await db.execute(kEnsurePartitions);
    // A month goes whole once its end is before the cutoff: "analytics_events_2026_08" ends on
    // 2026-09-01, which RFC 3339 text compares as a prefix of.
    ResultSet partitions = co_await db.execute(kPartitions);
    for (const Row& r : partitions.rows) {
      const std::string& name = r.text(0);  // checked by the query's pattern: safe as an identifier
      int year = std::stoi(name.substr(17, 4));
      int month = std::stoi(name.substr(22, 2)) + 1;
      if (month == 13) {
        month = 1;
        ++year;
      }
      char end[16];
      std::snprintf(end, sizeof end, "%04d-%02d-01", year, month);
      if (std::string_view(end) <= std::string_view(before).substr(0, 10)) {
        const std::string drop = "DROP TABLE " + name;
        co_await db.execute(Query{"", drop});  // unnamed: not kept as a prepared statement
      }
    }
  }
  std::array<Value, 1> params{std::move(before)};
  ResultSet rs = co_await db.execute(q_.purge_events, params);
  co_return rs.affected_rows;
}

}  // namespace parley::db::repositories
