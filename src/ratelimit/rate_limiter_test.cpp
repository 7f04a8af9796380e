#include "ratelimit/rate_limiter.hpp"

#include <gtest/gtest.h>
#include <prometheus/registry.h>
#include <spdlog/sinks/null_sink.h>
#include <spdlog/spdlog.h>

#include "core/error.hpp"
#include "core/testing.hpp"
#include "ratelimit/memory_store.hpp"

namespace parley::ratelimit {
namespace {

using parley::testing::run_awaitable;

constexpr std::int64_t kNow = 1'700'000'000'000;

// A store whose backend is down, as the Redis store is during an outage.
class DownStore final : public RateLimitStore {
 public:
  boost::asio::awaitable<Decision> take(std::span<const Bucket>, std::int64_t) override {
    throw AppError::unavailable("Redis is unavailable", "connection refused", 3);
    co_return Decision{};
  }
  std::string_view name() const noexcept override { return "down"; }
};

class RateLimiterTest : public ::testing::Test {
 protected:
  std::unique_ptr<RateLimiter> make(RatePolicies policies, std::unique_ptr<RateLimitStore> store) {
    return std::make_unique<RateLimiter>(policies, std::move(store), registry_, *logger_, [this] { return now_; });
  }
  static RatePolicies policies(std::initializer_list<std::pair<const char*, const char*>> overrides) {
    auto all = default_rate_policies();
    for (const auto& [scope, text] : overrides) all[scope] = *parse_rate_policy(text);
    return all;
  }
  prometheus::Registry registry_;
  std::shared_ptr<spdlog::logger> logger_ =
      std::make_shared<spdlog::logger>("test", std::make_shared<spdlog::sinks::null_sink_mt>());
  std::int64_t now_ = kNow;
};

TEST_F(RateLimiterTest, HeadersNameEveryScopeInTheDraftsStructuredForm) {
  auto limiter = make(policies({{"user", "10/s burst=100"}, {"message_send", "5/s burst=20"}}),
                      std::make_unique<MemoryRateLimitStore>());
  auto outcome = run_awaitable(limiter->take("user", "message_send", "u1"));
  EXPECT_TRUE(outcome.allowed);
  EXPECT_EQ(outcome.policy_field, R"("user";q=100;w=10, "message_send";q=20;w=4)");
  EXPECT_EQ(outcome.state_field, R"("user";r=99;t=1, "message_send";r=19;t=1)");
}

TEST_F(RateLimiterTest, TheTwentyFirstSendInABurstIsRefusedWithRetryAfter) {
  auto limiter = make(default_rate_policies(), std::make_unique<MemoryRateLimitStore>());
  for (int i = 0; i < 20; ++i) ASSERT_TRUE(run_awaitable(limiter->take("user", "message_send", "u1")).allowed) << i;
  auto refused = run_awaitable(limiter->take("user", "message_send", "u1"));
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.retry_after, std::chrono::seconds(1));  // 200 ms, rounded up to whole seconds
  EXPECT_NE(refused.state_field.find(R"("message_send";r=0)"), std::string::npos);
  now_ += 200;  // one interval later one more fits
  EXPECT_TRUE(run_awaitable(limiter->take("user", "message_send", "u1")).allowed);
  // Another user is not affected.
  EXPECT_TRUE(run_awaitable(limiter->take("user", "message_send", "u2")).allowed);
}

TEST_F(RateLimiterTest, AScopeThatIsOffIsSkipped) {
  auto limiter = make(policies({{"user", "off"}, {"search", "off"}}), std::make_unique<MemoryRateLimitStore>());
  auto outcome = run_awaitable(limiter->take("user", "search", "u1"));
  EXPECT_TRUE(outcome.allowed);
  EXPECT_TRUE(outcome.policy_field.empty());
}

TEST_F(RateLimiterTest, AStoreOutageFollowsEachScopesFailMode) {
  auto limiter = make(default_rate_policies(), std::make_unique<DownStore>());
  // user and message_send fail open: allowed, without headers.
  auto open = run_awaitable(limiter->take("user", "message_send", "u1"));
  EXPECT_TRUE(open.allowed);
  EXPECT_TRUE(open.policy_field.empty());
  // register fails closed: 503 with the store's Retry-After.
  try {
    run_awaitable(limiter->take("anonymous", "register", "192.0.2.1"));
    FAIL() << "expected a 503";
  } catch (const AppError& e) {
    EXPECT_EQ(e.status(), 503);
    bool retry_after = false;
    for (const auto& [name, value] : e.headers()) retry_after = retry_after || (name == "Retry-After" && value == "3");
    EXPECT_TRUE(retry_after);
  }
}

TEST_F(RateLimiterTest, KnowsOnlyTheConfiguredScopes) {
  auto limiter = make(default_rate_policies(), std::make_unique<MemoryRateLimitStore>());
  EXPECT_TRUE(limiter->knows("message_send"));
  EXPECT_FALSE(limiter->knows("graphql"));
}

}  // namespace
}  // namespace parley::ratelimit
