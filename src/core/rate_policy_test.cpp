#include "core/rate_policy.hpp"

#include <gtest/gtest.h>

namespace parley {
namespace {

using std::chrono::milliseconds;

TEST(RatePolicyTest, ParsesRateBurstAndFailMode) {
  auto policy = parse_rate_policy("5/s burst=20 fail=closed");
  ASSERT_TRUE(policy);
  EXPECT_TRUE(policy->enabled);
  EXPECT_EQ(policy->interval, milliseconds(200));
  EXPECT_EQ(policy->burst, 20);
  EXPECT_EQ(policy->fail, FailMode::closed);
  EXPECT_EQ(policy->quota(), 20);
  EXPECT_EQ(policy->window_seconds(), 4);  // 20 requests at 200 ms each to refill
}

TEST(RatePolicyTest, BurstDefaultsToOnePeriodsWorthAndFailToOpen) {
  auto policy = parse_rate_policy("10/m");
  ASSERT_TRUE(policy);
  EXPECT_EQ(policy->interval, milliseconds(6000));
  EXPECT_EQ(policy->burst, 10);
  EXPECT_EQ(policy->fail, FailMode::open);
  auto custom = parse_rate_policy("30/10s");
  ASSERT_TRUE(custom);
  EXPECT_EQ(custom->interval, milliseconds(333));
}

TEST(RatePolicyTest, OffDisablesTheScope) {
  auto policy = parse_rate_policy("off");
  ASSERT_TRUE(policy);
  EXPECT_FALSE(policy->enabled);
  EXPECT_EQ(policy->to_string(), "off");
}

TEST(RatePolicyTest, RefusesWhatDoesNotParseOrIsOutOfRange) {
  for (const char* bad : {"", "5", "5/", "/s", "0/s", "-1/s", "5/x", "5/s burst=0", "5/s burst=", "5/s burst=2 burst=3",
                          "5/s fail=maybe", "5/s extra", "off now", "2000/ms", "1/48h", "5/s  burst=1000001"}) {
    EXPECT_FALSE(parse_rate_policy(bad)) << "'" << bad << "'";
  }
}

TEST(RatePolicyTest, ToStringReadsBack) {
  for (const char* text : {"5/s burst=20", "10/m burst=10", "5/h burst=5 fail=closed", "1/d burst=3"}) {
    auto policy = parse_rate_policy(text);
    ASSERT_TRUE(policy) << text;
    EXPECT_EQ(policy->to_string(), text);
    EXPECT_EQ(parse_rate_policy(policy->to_string())->interval, policy->interval);
  }
}

TEST(RatePolicyTest, EveryScopeHasAValidDefault) {
  auto policies = default_rate_policies();
  EXPECT_EQ(policies.size(), rate_scopes().size());
  for (const auto& scope : rate_scopes()) {
    EXPECT_TRUE(parse_rate_policy(scope.default_policy)) << scope.name;
    EXPECT_TRUE(scope.variable.starts_with("PARLEY_RATE_LIMIT_")) << scope.name;
  }
  // A hosted chat service's send limit: a few a second, a burst of about 20.
  EXPECT_EQ(policies.at("message_send").to_string(), "5/s burst=20");
}

}  // namespace
}  // namespace parley
