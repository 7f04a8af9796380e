#include "ratelimit/rate_limiter.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/registry.h>
#include <spdlog/logger.h>

#include "core/error.hpp"

namespace parley::ratelimit {

namespace asio = boost::asio;

struct RateLimiter::Scope {
  std::string name;
  RatePolicy policy;
  std::string key_prefix;    // "parley:rl:<name>:{"; the subject and "}" follow
  std::string policy_item;   // "\"<name>\";q=<quota>;w=<window>"
  prometheus::Counter* allowed = nullptr;
  prometheus::Counter* limited = nullptr;
  prometheus::Counter* store_error_allowed = nullptr;
  prometheus::Counter* store_error_refused = nullptr;
};

namespace {

std::int64_t system_now_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

std::int64_t ceil_seconds(std::chrono::milliseconds ms) { return (ms.count() + 999) / 1000; }

}  // namespace

RateLimiter::RateLimiter(const RatePolicies& policies, std::unique_ptr<RateLimitStore> store,
                         prometheus::Registry& registry, spdlog::logger& logger, Now now)
    : store_(std::move(store)), logger_(logger), now_(now ? std::move(now) : Now(&system_now_ms)) {
  auto& family = prometheus::BuildCounter()
                     .Name("parley_rate_limit_requests_total")
                     .Help("Requests checked against a rate-limit scope, by outcome")
                     .Register(registry);
  for (const auto& info : rate_scopes()) {
    auto scope = std::make_unique<Scope>();
    scope->name = std::string(info.name);
    auto it = policies.find(info.name);
    scope->policy = it != policies.end() ? it->second : *parse_rate_policy(info.default_policy);
    scope->key_prefix = "parley:rl:" + scope->name + ":{";
    scope->policy_item = "\"" + scope->name + "\";q=" + std::to_string(scope->policy.quota()) +
                         ";w=" + std::to_string(scope->policy.window_seconds());
    scope->allowed = &family.Add({{"scope", scope->name}, {"result", "allowed"}});
    scope->limited = &family.Add({{"scope", scope->name}, {"result", "limited"}});
    scope->store_error_allowed = &family.Add({{"scope", scope->name}, {"result", "store_error_allowed"}});
    scope->store_error_refused = &family.Add({{"scope", scope->name}, {"result", "store_error_refused"}});
    scopes_.push_back(std::move(scope));
  }
}

RateLimiter::~RateLimiter() = default;

const RateLimiter::Scope* RateLimiter::find(std::string_view name) const noexcept {
  for (const auto& scope : scopes_) {
    if (scope->name == name) return scope.get();
  }
  return nullptr;
}

bool RateLimiter::knows(std::string_view scope) const noexcept { return find(scope) != nullptr; }

asio::awaitable<RateLimiter::Outcome> RateLimiter::take(std::string_view general, std::string_view route_scope,
                                                        std::string_view subject) {
  std::array<const Scope*, kMaxBuckets> applied{};
  std::array<Bucket, kMaxBuckets> buckets;
  std::size_t count = 0;
  const std::array<std::string_view, kMaxBuckets> names{general, route_scope};
  for (std::string_view name : names) {
    if (name.empty()) continue;
    const Scope* scope = find(name);
    if (scope == nullptr || !scope->policy.enabled) continue;
    applied[count] = scope;
    auto& bucket = buckets[count];
    bucket.key.reserve(scope->key_prefix.size() + subject.size() + 1);
    bucket.key.append(scope->key_prefix).append(subject).push_back('}');
    bucket.policy = &scope->policy;
    ++count;
  }
  Outcome outcome;
  if (count == 0) co_return outcome;

  const std::span<const Bucket> taken(buckets.data(), count);
  Decision decision;
  bool store_failed = false;
  std::string failure;
  int failure_retry_after = 1;
  const std::int64_t now_ms = now_();
  try {
    decision = co_await store_->take(taken, now_ms);
  } catch (const AppError& e) {
    if (e.status() != 503) throw;
    store_failed = true;
    failure = e.internal_detail();
    for (const auto& [name, value] : e.headers()) {
      if (name == "Retry-After") failure_retry_after = std::max(1, std::atoi(value.c_str()));
    }
  }
  if (store_failed) {
    note_store_error(failure);
    bool refuse = false;
    for (std::size_t i = 0; i < count; ++i) refuse = refuse || applied[i]->policy.fail == FailMode::closed;
    for (std::size_t i = 0; i < count; ++i) (refuse ? applied[i]->store_error_refused : applied[i]->store_error_allowed)->Increment();
    if (refuse) {
      throw AppError::unavailable("Rate limiting is temporarily unavailable; try again shortly.",
                                  "rate-limit store: " + failure, failure_retry_after);
    }
    co_return outcome;
  }

  outcome.allowed = decision.allowed;
  std::chrono::milliseconds retry_after{0};
  for (std::size_t i = 0; i < count; ++i) {
    const auto& state = decision.buckets[i];
    if (i > 0) {
      outcome.policy_field += ", ";
      outcome.state_field += ", ";
    }
    outcome.policy_field += applied[i]->policy_item;
    outcome.state_field.append("\"").append(applied[i]->name).append("\";r=").append(std::to_string(state.remaining));
    outcome.state_field.append(";t=").append(std::to_string(ceil_seconds(state.reset_after)));
    if (!state.allowed) {
      retry_after = std::max(retry_after, state.retry_after);
      applied[i]->limited->Increment();
    } else if (decision.allowed) {
      applied[i]->allowed->Increment();
    }
  }
  if (!outcome.allowed) outcome.retry_after = std::chrono::seconds(std::max<std::int64_t>(1, ceil_seconds(retry_after)));
  co_return outcome;
}

void RateLimiter::note_store_error(const std::string& detail) {
  const auto now = system_now_ms();
  auto last = last_warning_ms_.load();
  if (now - last >= 10'000 && last_warning_ms_.compare_exchange_strong(last, now)) {
    logger_.warn("rate limits: the {} store failed, scopes follow their fail mode: {}", store_->name(), detail);
  }
}

}  // namespace parley::ratelimit
