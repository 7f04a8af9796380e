#include "accounts/abuse_detector.hpp"

#include <spdlog/logger.h>

#include <array>

#include "accounts/ip_rules.hpp"
#include "core/error.hpp"
#include "db/database.hpp"
#include "jobs/jobs.hpp"
#include "ratelimit/store.hpp"

namespace parley::accounts {
namespace {

namespace asio = boost::asio;

bool is_refusal(int status) noexcept { return status == 401 || status == 403 || status == 429; }

class AbuseDetector final : public http::Middleware {
 public:
  AbuseDetector(AbuseSettings settings, ratelimit::RateLimitStore& store, const IpRules& rules, jobs::Jobs& jobs,
                spdlog::logger& logger)
      : settings_(settings), store_(store), rules_(rules), jobs_(jobs), logger_(logger) {}
  std::string_view name() const noexcept override { return "abuse_detector"; }

  asio::awaitable<http::Response> handle(http::Request& req, http::Next next) override {
    http::Response response = co_await next(req);
    if (!is_refusal(response.status) || req.client_ip.empty()) co_return response;
    const auto now = IpRules::Clock::now();
    if (rules_.any() && !rules_.decide(req.client_ip, now).allowed) co_return response;  // blocked already
    try {
      co_await count_failure(req.client_ip, now);
    } catch (const std::exception& e) {
      // The store is down or the job could not be written: the response stands, the count waits.
      logger_.warn("abuse detector: cannot count a refusal of {}: {}", req.client_ip, e.what());
    }
    co_return response;
  }

 private:
  asio::awaitable<void> count_failure(const std::string& ip, IpRules::Clock::time_point now) {
    const std::array<ratelimit::Bucket, 1> buckets{ratelimit::Bucket{.key = "abuse:" + ip, .policy = &settings_.limit}};
    const auto now_ms =
        std::chrono::duration_cast<std::chrono::milliseconds>(now.time_since_epoch()).count();
    auto decision = co_await store_.take(buckets, now_ms);
    if (decision.allowed || !first_report(ip, now)) co_return;
    logger_.warn("abuse detector: {} keeps being refused (401/403/429) faster than {}: blocking it for {} s", ip,
                 settings_.limit.to_string(), settings_.block_for.count());
    jobs::EnqueueOptions options;
    options.unique_key = "deny_ip:" + ip;
    const boost::json::object payload{{"ip", ip}};
    co_await jobs_.enqueue(jobs_.database(), kDenyIpTask, payload, options);
    jobs_.committed();
  }

  // True when this process has not asked to block `ip` in the last minute (the job may still be
  // queued, or the rule not yet loaded here).
  bool first_report(const std::string& ip, IpRules::Clock::time_point now) {
    std::lock_guard lock(mutex_);
    if (reported_.size() > 10'000) std::erase_if(reported_, [&](const auto& e) { return e.second < now; });
    auto [it, inserted] = reported_.try_emplace(ip, now + std::chrono::minutes(1));
    if (!inserted && it->second > now) return false;
    it->second = now + std::chrono::minutes(1);
    return true;
  }

  AbuseSettings settings_;
  ratelimit::RateLimitStore& store_;
  const IpRules& rules_;
  jobs::Jobs& jobs_;
  spdlog::logger& logger_;
  std::mutex mutex_;
  std::unordered_map<std::string, IpRules::Clock::time_point> reported_;  // ip -> do not ask again before
};

}  // namespace

std::unique_ptr<http::Middleware> make_abuse_detector_middleware(AbuseSettings settings,
                                                                 ratelimit::RateLimitStore& store,
                                                                 const IpRules& rules, jobs::Jobs& jobs,
                                                                 spdlog::logger& logger) {
  return std::make_unique<AbuseDetector>(settings, store, rules, jobs, logger);
}

}  // namespace parley::accounts
