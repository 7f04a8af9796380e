#include "jobs/scheduler.hpp"

#include <spdlog/logger.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/use_awaitable.hpp>

#include "core/time.hpp"
#include "jobs/worker.hpp"

namespace parley::jobs {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using std::chrono::sys_seconds;

namespace {

constexpr std::string_view kLease = "scheduler";

std::optional<sys_seconds> to_seconds(const std::optional<std::string>& rfc3339) {
  if (!rfc3339) return std::nullopt;
  auto parsed = parse_rfc3339(*rfc3339);
  if (!parsed) return std::nullopt;
  return std::chrono::floor<std::chrono::seconds>(*parsed);
}

}  // namespace

Scheduler::Scheduler(db::Database& database, Jobs& jobs, std::vector<Schedule> schedules, SchedulerOptions options,
                     spdlog::logger& logger, asio::any_io_executor executor, std::function<void()> on_enqueued)
    : database_(database),
      jobs_(jobs),
      schedules_(std::move(schedules)),
      options_(std::move(options)),
      logger_(logger),
      on_enqueued_(std::move(on_enqueued)),
      repository_(database.dialect()),
      strand_(asio::make_strand(std::move(executor))),
      timer_(strand_),
      stopped_timer_(strand_),
      states_(schedules_.size()) {
  if (options_.holder.empty()) options_.holder = default_worker_name();
}

Scheduler::~Scheduler() = default;

void Scheduler::start() {
  running_ = true;
  asio::co_spawn(strand_, loop(), asio::detached);
  logger_.info("scheduler {} started with {} schedule(s)", options_.holder, schedules_.size());
}

awaitable<void> Scheduler::loop() {
  const double ttl_seconds = std::chrono::duration<double>(options_.lease_ttl).count();
  int failures = 0;
  while (!stopping_) {
    try {
      auto fence = co_await repository_.acquire_lease(database_, kLease, options_.holder, ttl_seconds);
      if (fence != fence_) {
        if (fence) {
          logger_.info("scheduler {} leads (fence {})", options_.holder, *fence);
        } else if (fence_) {
          logger_.warn("scheduler {} no longer leads", options_.holder);
        }
        // A new term: what another leader did meanwhile is in the database, not in memory.
        for (auto& state : states_) state = State{};
      }
      fence_ = fence;
      if (fence) co_await tick(*fence);
      failures = 0;
    } catch (const std::exception& e) {
      if (failures++ % 30 == 0) logger_.warn("scheduler {}: {}", options_.holder, e.what());
    }
    if (stopping_) break;
    timer_.expires_after(options_.tick);
    co_await timer_.async_wait(asio::as_tuple(use_awaitable));
  }
  running_ = false;
  stopped_timer_.cancel();
}

awaitable<void> Scheduler::tick(std::int64_t fence) {
  const auto now = std::chrono::floor<std::chrono::seconds>(std::chrono::system_clock::now());
  for (std::size_t i = 0; i < schedules_.size(); ++i) {
    const Schedule& schedule = schedules_[i];
    State& state = states_[i];
    if (!state.loaded) {
      auto last = co_await repository_.last_firing(database_, schedule.name);
      // Never fired: runs are due from now on, none before.
      state.handled = to_seconds(last).value_or(now);
      state.loaded = true;
    }
    if (state.next && now < *state.next) continue;
    const auto decision = decide_firing(schedule, state.handled, now, options_.grace);
    if (decision.fire) {
      const bool fired = co_await fire(schedule, *decision.fire, fence);
      if (fired)
        logger_.info("schedule {} fired for {} ({})", schedule.name, format_rfc3339(*decision.fire), schedule.task);
      state.handled = decision.fire;
    }
    if (decision.skipped) {
      logger_.warn("schedule {}: the run due at {} was missed and is skipped (missed=skip)", schedule.name,
                   format_rfc3339(*decision.skipped));
      state.handled = decision.skipped;
    }
    state.next = decision.next;
  }
}

awaitable<bool> Scheduler::fire(const Schedule& schedule, sys_seconds at, std::int64_t fence) {
  const auto at_text = format_rfc3339(at);
  auto tx = co_await database_.begin();
  const bool recorded = co_await repository_.record_firing(*tx, schedule.name, at_text, kLease, options_.holder, fence);
  if (!recorded) {
    // Fired by another leader already, or this one's fence is stale.
    co_await tx->rollback();
    co_return false;
  }
  boost::json::object payload{{"schedule", schedule.name}, {"fire_at", at_text}};
  EnqueueOptions options;
  options.unique_key = "schedule:" + schedule.name + ":" + at_text;
  auto id = co_await jobs_.enqueue(*tx, schedule.task, payload, options);
  if (id) co_await repository_.set_firing_job(*tx, schedule.name, at_text, *id);
  co_await tx->commit();
  if (on_enqueued_) on_enqueued_();
  co_return true;
}

awaitable<void> Scheduler::stop() { co_await asio::co_spawn(strand_, shut_down(), use_awaitable); }

awaitable<void> Scheduler::shut_down() {
  if (stopping_) co_return;
  stopping_ = true;
  timer_.cancel();
  while (running_) {
    stopped_timer_.expires_after(std::chrono::seconds(30));
    co_await stopped_timer_.async_wait(asio::as_tuple(use_awaitable));
  }
  if (fence_) {
    // Hand over at once instead of after the TTL (a rolling deploy).
    try {
      co_await repository_.release_lease(database_, kLease, options_.holder);
    } catch (const std::exception& e) {
      logger_.warn("scheduler {}: could not release its lease (another takes over in {} ms): {}", options_.holder,
                   options_.lease_ttl.count(), e.what());
    }
  }
  logger_.info("scheduler {} stopped", options_.holder);
}

}  // namespace parley::jobs
