#include "core/rate_policy.hpp"

#include <charconv>

#include "core/config.hpp"

namespace parley {
namespace {

std::optional<std::int64_t> parse_count(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// "s" -> 1s, "m" -> 1m, "h" -> 1h, "d" -> 24h, otherwise a duration ("10s", "500ms").
std::optional<std::chrono::milliseconds> parse_period(std::string_view text) {
  using namespace std::chrono;
  if (text == "s") return milliseconds(seconds(1));
  if (text == "m") return milliseconds(minutes(1));
  if (text == "h") return milliseconds(hours(1));
  if (text == "d") return milliseconds(hours(24));
  if (text.empty() || text.front() < '0' || text.front() > '9') return std::nullopt;
  return parse_duration(text);
}

}  // namespace

std::int64_t RatePolicy::window_seconds() const noexcept {
  const auto ms = interval.count() * burst;
  return ms <= 0 ? 0 : (ms + 999) / 1000;
}

std::string RatePolicy::to_string() const {
  if (!enabled) return "off";
  // The interval as a count per the largest whole period it divides, so "5/s" reads back as 5/s.
  const std::int64_t ms = interval.count();
  std::string out;
  if (1000 % ms == 0) {
    out = std::to_string(1000 / ms) + "/s";
  } else if (60'000 % ms == 0) {
    out = std::to_string(60'000 / ms) + "/m";
  } else if (3'600'000 % ms == 0) {
    out = std::to_string(3'600'000 / ms) + "/h";
  } else if (86'400'000 % ms == 0) {
    out = std::to_string(86'400'000 / ms) + "/d";
  } else {
    out = "1/" + std::to_string(ms) + "ms";
  }
  out += " burst=" + std::to_string(burst);
  if (fail == FailMode::closed) out += " fail=closed";
  return out;
}

std::optional<RatePolicy> parse_rate_policy(std::string_view text) {
  auto next_word = [&text]() -> std::string_view {
    while (!text.empty() && (text.front() == ' ' || text.front() == '\t')) text.remove_prefix(1);
    auto end = text.find_first_of(" \t");
    auto word = text.substr(0, end);
    text.remove_prefix(word.size());
    return word;
  };
  auto rate = next_word();
  if (rate == "off") {
    if (!next_word().empty()) return std::nullopt;
    return RatePolicy{.enabled = false};
  }
  auto slash = rate.find('/');
  if (slash == std::string_view::npos) return std::nullopt;
  auto count = parse_count(rate.substr(0, slash));
  auto period = parse_period(rate.substr(slash + 1));
  if (!count || *count < 1 || *count > 1'000'000 || !period || period->count() <= 0) return std::nullopt;
  RatePolicy policy;
  policy.interval = std::chrono::milliseconds(period->count() / *count);
  if (policy.interval.count() < 1 || policy.interval > std::chrono::hours(24)) return std::nullopt;
  policy.burst = *count;
  bool seen_burst = false;
  bool seen_fail = false;
  for (auto word = next_word(); !word.empty(); word = next_word()) {
    if (word.starts_with("burst=") && !seen_burst) {
      auto burst = parse_count(word.substr(6));
      if (!burst || *burst < 1 || *burst > 1'000'000) return std::nullopt;
      policy.burst = *burst;
      seen_burst = true;
    } else if (word == "fail=open" && !seen_fail) {
      policy.fail = FailMode::open;
      seen_fail = true;
    } else if (word == "fail=closed" && !seen_fail) {
      policy.fail = FailMode::closed;
      seen_fail = true;
    } else {
      return std::nullopt;
    }
  }
  return policy;
}

std::span<const RateScope> rate_scopes() {
  // What a hosted chat service ships: generous for people, tight where a request costs a mail, a
  // password hash or disk. The sensitive anonymous scopes fail closed: without their store a
  // flood of registrations or reset mails would go unmetered.
  static constexpr RateScope kScopes[] = {
      {"anonymous", "PARLEY_RATE_LIMIT_ANONYMOUS", "5/s burst=100",
       "every unauthenticated request, per client IP"},
      {"user", "PARLEY_RATE_LIMIT_USER", "20/s burst=200", "every authenticated request, per user"},
      {"login", "PARLEY_RATE_LIMIT_LOGIN", "10/m burst=10",
       "POST /auth/token, /auth/token/refresh and /auth/session, per client IP (on top of the failed-login lockout)"},
      {"register", "PARLEY_RATE_LIMIT_REGISTER", "5/h burst=5 fail=closed", "POST /auth/register, per client IP"},
      {"password_reset", "PARLEY_RATE_LIMIT_PASSWORD_RESET", "5/h burst=5 fail=closed",
       "POST /auth/password/reset and /confirm, per client IP"},
      {"message_send", "PARLEY_RATE_LIMIT_MESSAGE_SEND", "5/s burst=20",
       "sending (replies included) and editing messages, per user"},
      {"upload", "PARLEY_RATE_LIMIT_UPLOAD", "1/s burst=10", "POST /uploads, per user"},
      {"realtime_connect", "PARLEY_RATE_LIMIT_REALTIME_CONNECT", "1/s burst=10",
       "WebSocket connects and tickets, per user (long polls count as ordinary requests)"},
      {"search", "PARLEY_RATE_LIMIT_SEARCH", "2/s burst=20", "GET /search, per user"},
  };
  return kScopes;
}

RatePolicies default_rate_policies() {
  RatePolicies policies;
  for (const auto& scope : rate_scopes()) policies.emplace(std::string(scope.name), *parse_rate_policy(scope.default_policy));
  return policies;
}

}  // namespace parley
