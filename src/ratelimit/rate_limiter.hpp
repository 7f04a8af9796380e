#pragma once
// Request rate limits (docs/rate-limits.md): the configured policy of every scope, the store the
// buckets live in, what happens when that store is down, and the RateLimit header fields.
//
// A request takes one token from its general scope's bucket ("user" when authenticated, else
// "anonymous") and one from its route's scope when the route declares one (RouteDoc::rate_limit),
// both for the same subject (the user, else the client IP), all or nothing: a refused request
// leaves every bucket as it was. A scope whose policy is "off" is skipped.
//
// When the store cannot be reached (Redis down), each scope follows its fail mode: open lets the
// request through without headers, closed refuses it with 503 and Retry-After. Either way it is
// counted (parley_rate_limit_requests_total{result="store_error_*"}) and logged at most every 10 s,
// and the next request tries the store again (the Redis client reconnects with backoff).
//
// Thread-safe.
#include <array>
#include <atomic>
#include <boost/asio/awaitable.hpp>
#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include "core/rate_policy.hpp"
#include "ratelimit/store.hpp"

namespace prometheus {
class Registry;
class Counter;
}  // namespace prometheus
namespace spdlog {
class logger;
}

namespace parley::ratelimit {

class RateLimiter {
 public:
  using Now = std::function<std::int64_t()>;  // ms since the epoch

  // Every scope of rate_scopes() with its policy from `policies`. `registry` and `logger` are
  // borrowed.
  RateLimiter(const RatePolicies& policies, std::unique_ptr<RateLimitStore> store, prometheus::Registry& registry,
              spdlog::logger& logger, Now now = {});
  ~RateLimiter();

  struct Outcome {
    bool allowed = true;
    std::chrono::seconds retry_after{0};  // when refused
    // The RateLimit-Policy and RateLimit fields (empty when no enabled scope applied, or the store
    // failed open).
    std::string policy_field;
    std::string state_field;
  };

  // One request of `subject` (a user id "u42" or an IP) against `general` and, unless empty,
  // `route_scope`. Throws a 503 AppError when the store is down and a scope fails closed.
  boost::asio::awaitable<Outcome> take(std::string_view general, std::string_view route_scope,
                                       std::string_view subject);

  // Whether `scope` is one of rate_scopes() (routes are checked against it at start-up).
  bool knows(std::string_view scope) const noexcept;
  const RateLimitStore& store() const noexcept { return *store_; }

 private:
  struct Scope;
  const Scope* find(std::string_view name) const noexcept;
  void note_store_error(const std::string& detail);

  std::vector<std::unique_ptr<Scope>> scopes_;
  std::unique_ptr<RateLimitStore> store_;
  spdlog::logger& logger_;
  Now now_;
  std::atomic<std::int64_t> last_warning_ms_{0};
};

}  // namespace parley::ratelimit
