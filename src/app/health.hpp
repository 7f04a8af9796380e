#pragma once
// Readiness checks that components register (database, Redis, broker). /readyz runs them in turn,
// each with a deadline; a failing required check makes the answer 503. A check that is not
// required (Redis: without it Parley degrades — cache bypassed, rate limits per their fail mode —
// but keeps serving) is reported as "degraded" and leaves the instance in rotation, so a Redis
// outage does not take every replica out of the load balancer at once.
// Once the process starts draining (SIGTERM), /readyz answers 503 whatever the checks say, so load
// balancers that health-check take the replica out while it still serves (PARLEY_DRAIN_DELAY).
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <atomic>
#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace parley {

class HealthChecks {
 public:
  using Check = std::function<boost::asio::awaitable<void>()>;  // throws when not ready

  void add(std::string name, Check check, bool required = true);

  // From now on every report is "not ready" with status "draining". Thread-safe; never undone.
  void start_draining() noexcept { draining_.store(true, std::memory_order_relaxed); }
  bool draining() const noexcept { return draining_.load(std::memory_order_relaxed); }

  struct Report {
    bool ready = true;
    bool draining = false;
    // name -> {"status": "ok"|"failing"|"degraded", "error"?: "...", "duration_ms": n}
    boost::json::object checks;
  };
  boost::asio::awaitable<Report> run(std::chrono::milliseconds timeout) const;

 private:
  struct Entry {
    std::string name;
    Check check;
    bool required = true;
  };
  std::vector<Entry> checks_;
  std::atomic<bool> draining_{false};
};

}  // namespace parley
