#pragma once
// `parley scheduler`: enqueues the jobs of periodic schedules (jobs/schedule.hpp) as Celery beat
// does, safely with any number of replicas (docs/jobs.md, "Scheduler").
//
// Every tick (1 s) each scheduler takes or renews one lease row in the database (table
// scheduler_leases); the holder is the leader and the only one that fires. A leader that stops
// renewing (crash, partition, a long pause) loses the lease after its TTL to the next scheduler,
// and with it its fence: a firing is written only in a statement that checks the fence is still
// current, and only once per (schedule, time) by primary key, so each run fires exactly once
// even while two schedulers both believe they lead. The job is enqueued in the transaction that
// records the firing.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "jobs/jobs.hpp"
#include "jobs/schedule.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace parley::jobs {

struct SchedulerOptions {
  std::string holder;  // this scheduler's name (host:pid:random by default)
  std::chrono::milliseconds tick{1000};
  std::chrono::milliseconds lease_ttl{15000};
  std::chrono::seconds grace{60};  // a run found later than this is "missed" (see MissedPolicy)
};

class Scheduler {
 public:
  // `on_enqueued` is called after a firing committed (to wake this process's worker).
  Scheduler(db::Database& database, Jobs& jobs, std::vector<Schedule> schedules, SchedulerOptions options,
            spdlog::logger& logger, boost::asio::any_io_executor executor, std::function<void()> on_enqueued = {});
  ~Scheduler();

  void start();
  boost::asio::awaitable<void> stop();
  const std::vector<Schedule>& schedules() const noexcept { return schedules_; }

 private:
  struct State {
    std::optional<std::chrono::sys_seconds> handled;  // the latest run fired or skipped
    std::optional<std::chrono::sys_seconds> next;     // nothing to do before this
    bool loaded = false;
  };
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> shut_down();
  boost::asio::awaitable<void> tick(std::int64_t fence);
  boost::asio::awaitable<bool> fire(const Schedule& schedule, std::chrono::sys_seconds at, std::int64_t fence);

  db::Database& database_;
  Jobs& jobs_;
  std::vector<Schedule> schedules_;
  SchedulerOptions options_;
  spdlog::logger& logger_;
  std::function<void()> on_enqueued_;
  db::repositories::JobRepository repository_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer stopped_timer_;
  std::vector<State> states_;  // by index in schedules_; on strand_
  std::optional<std::int64_t> fence_;
  bool stopping_ = false;
  bool running_ = false;
};

}  // namespace parley::jobs
