#include "accounts/ip_rule_set.hpp"

#include <gtest/gtest.h>

namespace parley::accounts {
namespace {

using Clock = std::chrono::system_clock;
using std::chrono::seconds;

const Clock::time_point kNow = Clock::time_point(seconds(1'800'000'000));

IpRule rule(std::int64_t id, std::string_view cidr, IpRuleAction action,
            std::optional<Clock::time_point> expires_at = std::nullopt) {
  auto parsed = parse_cidr(cidr);
  EXPECT_TRUE(parsed.cidr.has_value()) << cidr << ": " << parsed.error;
  return IpRule{.id = id, .cidr = *parsed.cidr, .action = action, .expires_at = expires_at};
}

IpDecision decide(const IpRuleSet& set, std::string_view ip, Clock::time_point now = kNow) {
  auto address = parse_ip_address(ip);
  EXPECT_TRUE(address.has_value()) << ip;
  return set.decide(*address, now);
}

constexpr auto allow = IpRuleAction::allow;
constexpr auto deny = IpRuleAction::deny;

TEST(IpRuleSet, EmptyAllowsEveryone) {
  IpRuleSet set;
  EXPECT_TRUE(set.empty());
  EXPECT_TRUE(decide(set, "203.0.113.9").allowed);
  EXPECT_TRUE(decide(set, "2001:db8::1").allowed);
}

TEST(IpRuleSet, DenyRefusesOnlyWhatItContains) {
  IpRuleSet set({rule(1, "203.0.113.0/24", deny)});
  auto refused = decide(set, "203.0.113.9");
  EXPECT_FALSE(refused.allowed);
  EXPECT_EQ(refused.rule_id, 1);
  auto other = decide(set, "198.51.100.1");
  EXPECT_TRUE(other.allowed);
  EXPECT_FALSE(other.rule_id.has_value());
  EXPECT_TRUE(decide(set, "2001:db8::1").allowed);
}

TEST(IpRuleSet, AnAllowRuleTurnsOnAllowListMode) {
  IpRuleSet set({rule(1, "10.0.0.0/8", allow)});
  EXPECT_TRUE(decide(set, "10.1.2.3").allowed);
  EXPECT_FALSE(decide(set, "192.0.2.1").allowed);
  EXPECT_FALSE(decide(set, "2001:db8::1").allowed) << "allow-list mode covers both families";
}

TEST(IpRuleSet, TheLongestPrefixDecides) {
  IpRuleSet set({rule(1, "10.0.0.0/8", deny), rule(2, "10.1.2.3", allow), rule(3, "10.1.0.0/16", deny)});
  EXPECT_TRUE(decide(set, "10.1.2.3").allowed);
  EXPECT_EQ(decide(set, "10.1.2.3").rule_id, 2);
  EXPECT_EQ(decide(set, "10.1.9.9").rule_id, 3);
  EXPECT_EQ(decide(set, "10.9.9.9").rule_id, 1);
  EXPECT_FALSE(decide(set, "192.0.2.1").allowed) << "an allow rule exists";

  IpRuleSet carve({rule(1, "10.0.0.0/8", allow), rule(2, "10.6.6.0/24", deny)});
  EXPECT_TRUE(decide(carve, "10.1.1.1").allowed);
  EXPECT_FALSE(decide(carve, "10.6.6.6").allowed);
  EXPECT_FALSE(decide(carve, "11.0.0.1").allowed);
}

TEST(IpRuleSet, DenyWinsAtEqualPrefix) {
  IpRuleSet set({rule(1, "192.0.2.0/24", allow), rule(2, "192.0.2.0/24", deny)});
  EXPECT_FALSE(decide(set, "192.0.2.1").allowed);
  EXPECT_EQ(decide(set, "192.0.2.1").rule_id, 2);
}

TEST(IpRuleSet, ExpiredRulesDoNotExist) {
  IpRuleSet set(
      {rule(1, "203.0.113.0/24", deny, kNow + seconds(10)), rule(2, "10.0.0.0/8", allow, kNow + seconds(20))});
  EXPECT_FALSE(decide(set, "203.0.113.9").allowed);
  EXPECT_FALSE(decide(set, "192.0.2.1").allowed);
  // The deny is gone, the allow-list still on: 203.0.113.9 is now refused for want of an allow.
  auto later = kNow + seconds(10);
  EXPECT_FALSE(decide(set, "203.0.113.9", later).allowed);
  EXPECT_FALSE(decide(set, "203.0.113.9", later).rule_id.has_value());
  EXPECT_TRUE(decide(set, "10.0.0.1", later).allowed);
  // Both gone: everyone.
  auto after = kNow + seconds(20);
  EXPECT_TRUE(decide(set, "203.0.113.9", after).allowed);
  EXPECT_TRUE(decide(set, "192.0.2.1", after).allowed);
}

TEST(IpRuleSet, AnExpiredLongerPrefixGivesWayToAShorterOne) {
  IpRuleSet set({rule(1, "10.0.0.0/8", deny), rule(2, "10.1.2.3", allow, kNow + seconds(5))});
  EXPECT_TRUE(decide(set, "10.1.2.3").allowed);
  EXPECT_FALSE(decide(set, "10.1.2.3", kNow + seconds(5)).allowed);
  EXPECT_EQ(decide(set, "10.1.2.3", kNow + seconds(5)).rule_id, 1);
}

TEST(IpRuleSet, Ipv6AndMappedClients) {
  IpRuleSet set({rule(1, "2001:db8::/32", deny), rule(2, "192.0.2.0/24", deny)});
  EXPECT_FALSE(decide(set, "2001:db8:1::1").allowed);
  EXPECT_TRUE(decide(set, "2001:db9::1").allowed);
  EXPECT_FALSE(decide(set, "::ffff:192.0.2.5").allowed);
  EXPECT_TRUE(decide(set, "::ffff:198.51.100.5").allowed);
}

}  // namespace
}  // namespace parley::accounts
