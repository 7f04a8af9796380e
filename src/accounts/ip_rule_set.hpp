#pragma once
// An immutable set of IP rules and the decision it makes for one client address. Pure; a set is
// never changed after construction, so any number of threads may call decide() at once.
//
// The decision (docs/security.md "IP rules"):
//   1. Rules whose expires_at has passed (at the `now` given) do not exist.
//   2. Among the rules whose block contains the client, the longest prefix decides (a /32 beats a
//      /24 beats a /8); at equal prefix length `deny` beats `allow`.
//   3. No rule contains the client: it is allowed, unless at least one `allow` rule exists (of
//      either address family), which turns the instance into allow-list mode: then it is refused.
// So "deny 10.0.0.0/8 + allow 10.1.2.3" lets 10.1.2.3 in and keeps the rest of 10/8 out;
// "allow 10.0.0.0/8 + deny 10.6.6.0/24" admits 10/8 except one /24 and nobody else.
// IPv4 blocks never contain IPv6 clients nor the reverse; an IPv4-mapped client is IPv4 (core/cidr.hpp).
#include "core/cidr.hpp"

#include <chrono>
#include <cstdint>
#include <optional>
#include <vector>

namespace parley::accounts {

enum class IpRuleAction : std::uint8_t { allow, deny };

struct IpRule {
  std::int64_t id = 0;
  Cidr cidr;
  IpRuleAction action = IpRuleAction::deny;
  std::optional<std::chrono::system_clock::time_point> expires_at;  // nullopt: never
};

struct IpDecision {
  bool allowed = true;
  std::optional<std::int64_t> rule_id;  // the rule that decided; nullopt when none matched
};

class IpRuleSet {
 public:
  using Clock = std::chrono::system_clock;

  IpRuleSet() = default;
  explicit IpRuleSet(std::vector<IpRule> rules);

  // No rules at all (expired ones count until the next load): every client is allowed.
  bool empty() const noexcept { return rules_.empty(); }
  std::size_t size() const noexcept { return rules_.size(); }

  // The decision above for `client` at `now`. Costs one pass over the rules that stops at the
  // first (longest-prefix) match; no allocation.
  IpDecision decide(const IpAddress& client, Clock::time_point now) const noexcept;
  // Whether an unexpired allow rule exists at `now`: a client no rule contains is refused.
  bool allow_list_mode(Clock::time_point now) const noexcept { return now < allow_mode_until_; }

 private:
  std::vector<IpRule> rules_;  // longest prefix first; at equal length deny first, then by id
  // Allow-list mode lasts while an allow rule is unexpired: until the latest allow expiry (max()
  // when one never expires; min() when there is no allow rule).
  Clock::time_point allow_mode_until_ = Clock::time_point::min();
};

}  // namespace parley::accounts
