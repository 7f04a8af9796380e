#pragma once
// Records analytics events (docs/analytics.md) without slowing the request that causes them:
// record() and observe_request() only append to a buffer in memory; a loop writes the buffer in
// one transaction of two statements (every event in one INSERT, the latency counts in one upsert)
// about every second, and at once past kWakeAt events. Identical events of one second (same kind,
// user, status and route) are written as one row that counts them (rows_for()), so a user sending
// a message after another costs a row a second, not a row per message.
//
// Bounded: past max_buffered events, new ones are dropped and counted (dropped()), so a database
// outage costs memory up to that bound and never blocks a request. A failed write keeps what it
// took for the next one (within the bound). The latency histogram is a few counters per day.
//
// What is lost: what was buffered when the process is killed (at most a second's events; a clean
// stop flushes). The log is for trends, not for billing.
//
// Threading: record() and observe_request() may be called from any thread (one short lock);
// start() and stop() from the composition root.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>

#include <array>
#include <chrono>
#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include "analytics/latency_buckets.hpp"
#include "db/database.hpp"
#include "db/repositories/analytics_repository.hpp"
#include "jobs/dispatch_loop.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace parley::analytics {

enum class Kind { signup, login, active, message_sent, conversation_created, upload, search, error };

// The stored name ("message_sent", ...).
std::string_view to_string(Kind kind) noexcept;
// The kind a route declares (http::RouteDoc::analytics_event); nullopt for an unknown name.
std::optional<Kind> kind_named(std::string_view name) noexcept;

struct RecorderOptions {
  std::size_t max_buffered = 100'000;
  std::chrono::milliseconds flush_interval{1000};
};

class Recorder {
 public:
  static constexpr std::size_t kWakeAt = 1000;

  Recorder(db::Database& database, spdlog::logger& logger, boost::asio::any_io_executor executor,
           RecorderOptions options = {});

  // `status` and `route` describe an error (0 and empty otherwise).
  void record(Kind kind, std::optional<std::int64_t> user_id, int status = 0, std::string_view route = {});
  // A request answered after `seconds`, by `user_id` when authenticated: an `active` event for the
  // user's first request of the (UTC) day here.
  void observe_request(double seconds, std::optional<std::int64_t> user_id);

  void start();
  // Stops the loop, then writes what is left.
  boost::asio::awaitable<void> stop();
  // Writes what is buffered now; returns how many events and latency counters it wrote.
  boost::asio::awaitable<std::int64_t> flush();

  std::uint64_t dropped() const;

  struct Event {
    std::chrono::system_clock::time_point at;
    Kind kind;
    std::optional<std::int64_t> user_id;
    int status = 0;
    std::string route;
  };
  // The rows that record `events`: one per (UTC second, kind, user, status, route), at its earliest
  // event's time, with the number of events it stands for; ordered by second. The rows point into
  // `events` (the routes).
  static std::vector<db::repositories::AnalyticsRepository::NewEvent> rows_for(const std::vector<Event>& events);

 private:
  // Requests per (day since the epoch, bucket) not written yet.
  using LatencyCounts = std::map<std::pair<std::int64_t, std::size_t>, std::uint64_t>;

  // The loop's pass: a flush; non-zero when a full buffer asks for another at once.
  boost::asio::awaitable<std::int64_t> flush_pass();

  db::Database& database_;
  spdlog::logger& logger_;
  RecorderOptions options_;
  db::repositories::AnalyticsRepository repository_;
  mutable std::mutex mutex_;
  std::vector<Event> events_;
  LatencyCounts latency_;
  std::int64_t seen_day_ = 0;
  std::unordered_set<std::int64_t> seen_users_;
  std::uint64_t dropped_ = 0;
  jobs::DispatchLoop loop_;  // last: its passes use the members above
};

}  // namespace parley::analytics
