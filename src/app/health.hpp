#pragma once
// Readiness checks that components register (database, Redis, broker). /readyz runs them in turn,
// each with a deadline; a failing required check makes the answer 503. A check that is not
// required (Redis: without it Parley degrades — cache bypassed, rate limits per their fail mode —
// but keeps serving) is reported as "degraded" and leaves the instance in rotation, so a Redis
// outage does not take every replica out of the load balancer at once.
#include <boost/asio/awaitable.hpp>
#include <boost/json/object.hpp>

#include <chrono>
#include <functional>
#include <string>
#include <vector>

namespace parley {

class HealthChecks {
 public:
  using Check = std::function<boost::asio::awaitable<void>()>;  // throws when not ready

  void add(std::string name, Check check, bool required = true);

  struct Report {
    bool ready = true;
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
};

}  // namespace parley
