#include "accounts/ip_rule_set.hpp"

#include <algorithm>

namespace parley::accounts {

IpRuleSet::IpRuleSet(std::vector<IpRule> rules) : rules_(std::move(rules)) {
  std::sort(rules_.begin(), rules_.end(), [](const IpRule& a, const IpRule& b) {
    if (a.cidr.prefix_length() != b.cidr.prefix_length()) return a.cidr.prefix_length() > b.cidr.prefix_length();
    if (a.action != b.action) return a.action == IpRuleAction::deny;
    return a.id < b.id;
  });
  for (const auto& rule : rules_) {
    if (rule.action != IpRuleAction::allow) continue;
    allow_mode_until_ = std::max(allow_mode_until_, rule.expires_at.value_or(Clock::time_point::max()));
  }
}

IpDecision IpRuleSet::decide(const IpAddress& client, Clock::time_point now) const noexcept {
  for (const auto& rule : rules_) {
    if (!rule.cidr.contains(client)) continue;
    if (rule.expires_at && *rule.expires_at <= now) continue;
    return IpDecision{.allowed = rule.action == IpRuleAction::allow, .rule_id = rule.id};
  }
  // (Prefixes sort across families, a v6 /64 before a v4 /8: harmless, a block only ever
  // contains addresses of its own family.) No match: refused while some allow rule is unexpired.
  return IpDecision{.allowed = !allow_list_mode(now), .rule_id = std::nullopt};
}

}  // namespace parley::accounts
