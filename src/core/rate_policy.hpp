#pragma once
// A rate-limit policy as configured (PARLEY_RATE_LIMIT_<SCOPE>, docs/rate-limits.md): a sustained
// rate and a burst, and what to do when the shared store cannot be reached. The limiter itself
// (GCRA, the stores, the middleware) is in src/ratelimit/; this is the value the configuration
// parses and validates, so it lives with the configuration.
//
//   "5/s burst=20"            5 requests a second sustained, 20 at once from rest
//   "10/m"                    10 a minute, burst 10 (one period's worth)
//   "30/10s burst=5 fail=closed"
//   "off"                     the scope is not limited
#include <chrono>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <span>
#include <string>
#include <string_view>

namespace parley {

enum class FailMode {
  open,    // the store is down: the request passes (counted and logged)
  closed,  // the store is down: the request is refused with 503
};

struct RatePolicy {
  bool enabled = true;
  // The emission interval: one request's worth of the sustained rate (period / count).
  std::chrono::milliseconds interval{1000};
  // Requests allowed at once from rest (GCRA's tolerance, in requests).
  std::int64_t burst = 1;
  FailMode fail = FailMode::open;

  // RateLimit-Policy's q and w: the quota and the seconds a full burst takes to refill.
  std::int64_t quota() const noexcept { return burst; }
  std::int64_t window_seconds() const noexcept;

  // The canonical text, which parse_rate_policy reads back: "5/s burst=20", "off".
  std::string to_string() const;
};

// Parses the text above; nullopt when it does not parse or is out of range (rate from 1/24h to
// 1000/ms-equivalent: the interval must be 1 ms..24 h; burst 1..1,000,000).
std::optional<RatePolicy> parse_rate_policy(std::string_view text);

// The form parse_rate_policy expects, for configuration problems.
inline constexpr std::string_view kRatePolicyForm =
    "'off' or '<count>/<period>[ burst=<n>][ fail=open|closed]' with period s, m, h or a duration such as 10s";

// A scope a request is limited in, with its default policy (docs/rate-limits.md). Every request
// takes one token from its general scope (`user` when authenticated, else `anonymous`) and, when
// its route declares one, from the route's scope; all or nothing.
struct RateScope {
  std::string_view name;            // "message_send": the route declaration and metric label
  std::string_view variable;        // "PARLEY_RATE_LIMIT_MESSAGE_SEND"
  std::string_view default_policy;  // "5/s burst=20"
  std::string_view help;            // what it limits, keyed by what
};
std::span<const RateScope> rate_scopes();

using RatePolicies = std::map<std::string, RatePolicy, std::less<>>;
// Every scope with its default policy.
RatePolicies default_rate_policies();

}  // namespace parley
