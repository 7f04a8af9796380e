#pragma once
// Readiness checks that later components register (database, cache, broker). /readyz runs them
// in turn, each with a deadline; any failure makes the answer 503.
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

  void add(std::string name, Check check);

  struct Report {
    bool ready = true;
    boost::json::object checks;  // name -> {"status": "ok"|"failing", "error"?: "...", "duration_ms": n}
  };
  boost::asio::awaitable<Report> run(std::chrono::milliseconds timeout) const;

 private:
  std::vector<std::pair<std::string, Check>> checks_;
};

}  // namespace parley
