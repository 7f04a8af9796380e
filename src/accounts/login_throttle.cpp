#include "accounts/login_throttle.hpp"

#include "auth/tokens.hpp"

#include <algorithm>

namespace parley::accounts {

namespace asio = boost::asio;
using std::chrono::seconds;

std::string_view to_string(ThrottleScope scope) noexcept {
  return scope == ThrottleScope::account ? "account" : "ip";
}

LoginThrottle::LoginThrottle(ThrottleStore& store, Options options, Now now)
    : store_(store), options_(options), now_(std::move(now)) {}

std::string LoginThrottle::account_key(std::optional<std::int64_t> user_id, std::string_view login) {
  if (user_id) return "login:user:" + std::to_string(*user_id);
  while (!login.empty() && (login.front() == ' ' || login.front() == '\t')) login.remove_prefix(1);
  while (!login.empty() && (login.back() == ' ' || login.back() == '\t')) login.remove_suffix(1);
  std::string normalized(login);
  for (auto& c : normalized) {
    if (c >= 'A' && c <= 'Z') c = static_cast<char>(c - 'A' + 'a');
  }
  return "login:acct:" + auth::token_hash(normalized);
}

std::string LoginThrottle::ip_key(std::string_view ip) { return "login:ip:" + std::string(ip); }

asio::awaitable<LoginThrottle::Attempt> LoginThrottle::begin(std::string account_key, std::string_view ip) {
  Attempt attempt;
  attempt.account_key = std::move(account_key);
  attempt.ip_key = ip_key(ip);
  auto now = now_();
  // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
  auto ip_result = co_await store_.acquire(attempt.ip_key, now, options_.ip);
  if (!ip_result.allowed) {
    attempt.retry_after = ip_result.retry_after;
    attempt.refused_by = ThrottleScope::ip;
    co_return attempt;
  }
  auto account_result = co_await store_.acquire(attempt.account_key, now, options_.account);
  if (!account_result.allowed) {
    co_await store_.release(attempt.ip_key, now, options_.ip);  // refused attempts cost the IP nothing
    attempt.retry_after = account_result.retry_after;
    attempt.refused_by = ThrottleScope::account;
    co_return attempt;
  }
  attempt.allowed = true;
  if (ip_result.imposed_block > seconds(0)) {
    attempt.started.push_back(Lockout{ThrottleScope::ip, ip_result.imposed_block, ip_result.attempts});
  }
  if (account_result.imposed_block > seconds(0)) {
    attempt.started.push_back(Lockout{ThrottleScope::account, account_result.imposed_block, account_result.attempts});
  }
  co_return attempt;
}

asio::awaitable<void> LoginThrottle::succeeded(const Attempt& attempt) {
  auto now = now_();
  co_await store_.reset(attempt.account_key);
  co_await store_.release(attempt.ip_key, now, options_.ip);
}

}  // namespace parley::accounts
