#include "analytics/recorder.hpp"

#include <spdlog/logger.h>

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <algorithm>
#include <tuple>

#include "analytics/rollup.hpp"
#include "core/time.hpp"

namespace parley::analytics {

namespace asio = boost::asio;

namespace {

constexpr std::array<std::string_view, 8> kNames{"signup", "login",  "active", "message_sent", "conversation_created",
                                                 "upload", "search", "error"};

std::int64_t day_of(std::chrono::system_clock::time_point at) {
  return std::chrono::floor<std::chrono::days>(at).time_since_epoch().count();
}

}  // namespace

std::string_view to_string(Kind kind) noexcept { return kNames[static_cast<std::size_t>(kind)]; }

std::optional<Kind> kind_named(std::string_view name) noexcept {
  for (std::size_t i = 0; i < kNames.size(); ++i) {
    if (kNames[i] == name) return static_cast<Kind>(i);
  }
  return std::nullopt;
}

Recorder::Recorder(db::Database& database, spdlog::logger& logger, asio::any_io_executor executor,
                   RecorderOptions options)
    : database_(database),
      logger_(logger),
      options_(options),
      repository_(database.dialect()),
      loop_("analytics recorder", [this] { return flush_pass(); }, std::move(executor), logger,
            options.flush_interval) {}

asio::awaitable<std::int64_t> Recorder::flush_pass() {
  co_await flush();
  // Again at once only while events keep arriving faster than a write a second takes them.
  std::lock_guard lock(mutex_);
  co_return events_.size() >= kWakeAt ? 1 : 0;
}

void Recorder::record(Kind kind, std::optional<std::int64_t> user_id, int status, std::string_view route) {
  bool wake = false;
  {
    std::lock_guard lock(mutex_);
    if (events_.size() >= options_.max_buffered) {
      ++dropped_;
      return;
    }
    events_.push_back(Event{std::chrono::system_clock::now(), kind, user_id, status, std::string(route)});
    wake = events_.size() == kWakeAt;
  }
  if (wake) loop_.wake();
}

void Recorder::observe_request(double seconds, std::optional<std::int64_t> user_id) {
  const auto today = day_of(std::chrono::system_clock::now());
  const auto bucket = latency_bucket(seconds * 1000.0);
  bool first_today = false;
  {
    std::lock_guard lock(mutex_);
    ++latency_[{today, bucket}];
    if (user_id) {
      if (today != seen_day_) {
        seen_day_ = today;
        seen_users_.clear();
      }
      first_today = seen_users_.insert(*user_id).second;
    }
  }
  if (first_today) record(Kind::active, user_id);
}

std::vector<db::repositories::AnalyticsRepository::NewEvent> Recorder::rows_for(const std::vector<Event>& events) {
  // Sorted by (second, kind, user, status, route, time): a group is a run, its first event the earliest.
  std::vector<const Event*> sorted;
  sorted.reserve(events.size());
  for (const auto& event : events) sorted.push_back(&event);
  auto second_of = [](const Event* e) { return std::chrono::floor<std::chrono::seconds>(e->at); };
  auto group_of = [&](const Event* e) { return std::tie(e->kind, e->user_id, e->status, e->route); };
  std::sort(sorted.begin(), sorted.end(), [&](const Event* a, const Event* b) {
    const auto sa = second_of(a), sb = second_of(b);
    if (sa != sb) return sa < sb;
    if (group_of(a) != group_of(b)) return group_of(a) < group_of(b);
    return a->at < b->at;
  });
  std::vector<db::repositories::AnalyticsRepository::NewEvent> rows;
  for (std::size_t i = 0; i < sorted.size();) {
    const Event& first = *sorted[i];
    std::size_t j = i + 1;
    while (j < sorted.size() && second_of(sorted[j]) == second_of(&first) && group_of(sorted[j]) == group_of(&first)) {
      ++j;
    }
    rows.push_back({.at = format_rfc3339(first.at),
                    .name = to_string(first.kind),
                    .user_id = first.user_id,
                    .status_code = first.status != 0 ? std::optional<int>(first.status) : std::nullopt,
                    .route = first.route,
                    .occurrences = static_cast<int>(j - i)});
    i = j;
  }
  return rows;
}

std::uint64_t Recorder::dropped() const {
  std::lock_guard lock(mutex_);
  return dropped_;
}

void Recorder::start() { loop_.start(); }

asio::awaitable<void> Recorder::stop() {
  co_await loop_.stop();
  try {
    co_await flush();
  } catch (const std::exception& e) {
    logger_.warn("analytics: the last events could not be written: {}", e.what());
  }
}

asio::awaitable<std::int64_t> Recorder::flush() {
  std::vector<Event> events;
  LatencyCounts latency;
  {
    std::lock_guard lock(mutex_);
    events.swap(events_);
    latency.swap(latency_);
  }
  if (events.empty() && latency.empty()) co_return 0;
  const auto event_rows = rows_for(events);
  boost::json::array latency_rows;
  for (const auto& [key, requests] : latency) {
    latency_rows.push_back(boost::json::object{{"day", format_day(Day{std::chrono::days{key.first}})},
                                               {"bucket", key.second},
                                               {"requests", requests}});
  }
  try {
    auto tx = co_await database_.begin();
    co_await repository_.insert_events(*tx, event_rows);
    if (!latency_rows.empty()) co_await repository_.add_latency(*tx, boost::json::serialize(latency_rows));
    co_await tx->commit();
  } catch (...) {
    // Kept for the next write, within the bound: the oldest go first when it is reached.
    std::lock_guard lock(mutex_);
    const std::size_t room = options_.max_buffered > events_.size() ? options_.max_buffered - events_.size() : 0;
    const std::size_t keep = std::min(room, events.size());
    dropped_ += events.size() - keep;
    events_.insert(events_.begin(), std::make_move_iterator(events.end() - static_cast<std::ptrdiff_t>(keep)),
                   std::make_move_iterator(events.end()));
    for (const auto& [key, requests] : latency) latency_[key] += requests;
    throw;
  }
  co_return static_cast<std::int64_t>(events.size() + latency.size());
}

}  // namespace parley::analytics
