#pragma once
// Suspicious-IP detection (PARLEY_ABUSE_LIMIT, PARLEY_ABUSE_BLOCK_FOR; docs/security.md): an
// address whose requests keep failing with 401, 403 or 429 faster than the configured rate (a
// password sprayer, a token guesser, a client hammering past its rate limit) gets a temporary
// deny rule of its own and an audit entry, made by the security.deny_ip job.
//
// The middleware sits outside the error layer, so it sees the final status of every request. A
// response that is not a refusal costs nothing but a comparison; a refusal takes one token from
// the address's failure bucket in the rate-limit store (this process's, or Redis: then the count
// is shared by every replica). When the bucket runs dry, the job is enqueued once per address
// (unique_key; and this process asks again at most once a minute), and the job creates the rule
// through IpRules::do_deny_suspicious, which leaves addresses an operator allowed alone.
// Requests from addresses the IP rules deny already are not counted.
#include <chrono>
#include <memory>
#include <mutex>
#include <string>
#include <unordered_map>

#include "core/rate_policy.hpp"
#include "http/middleware.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog
namespace parley::ratelimit {
class RateLimitStore;
}  // namespace parley::ratelimit
namespace parley::jobs {
class Jobs;
}  // namespace parley::jobs

namespace parley::accounts {

class IpRules;

// The job that makes the deny rule; its payload is {"ip": "<address>"}.
inline constexpr std::string_view kDenyIpTask = "security.deny_ip";

struct AbuseSettings {
  RatePolicy limit;  // enabled
  std::chrono::seconds block_for{3600};
};

std::unique_ptr<http::Middleware> make_abuse_detector_middleware(AbuseSettings settings,
                                                                 ratelimit::RateLimitStore& store,
                                                                 const IpRules& rules, jobs::Jobs& jobs,
                                                                 spdlog::logger& logger);

}  // namespace parley::accounts
