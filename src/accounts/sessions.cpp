// The session actions of Accounts (declared in accounts.hpp) and the session cookie.
#include "accounts/sessions.hpp"

#include "accounts/accounts.hpp"
#include "auth/tokens.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "http/router.hpp"

#include <algorithm>

namespace parley::accounts {

namespace asio = boost::asio;
namespace repo = db::repositories;
using Clock = std::chrono::system_clock;

namespace {

// last_used_at is written at most this often (or every quarter of the idle timeout, if shorter):
// an active session costs one write a minute instead of one per request, and the idle expiry it
// slides is off by at most that much.
constexpr std::chrono::milliseconds kTouchInterval{60'000};

AppError session_expired(std::string internal) {
  return AppError{401, "session_expired", "Not authenticated", "The session has expired or ended. Log in again.",
                  std::move(internal)}
      .with_header("Set-Cookie", cleared_session_cookie())
      .with_header("WWW-Authenticate", R"(Bearer realm="parley")");
}

// The shape generate_session_id() produces: 43 base64url characters. Anything else is not looked up.
bool looks_like_session_id(std::string_view value) noexcept {
  return value.size() == auth::kSecretChars && std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
         });
}

// The repository counts idle time in whole seconds; a sub-second setting still allows one second.
std::chrono::seconds idle_seconds(std::chrono::milliseconds idle) {
  return std::max(std::chrono::seconds(1), std::chrono::duration_cast<std::chrono::seconds>(idle));
}

}  // namespace

std::string session_cookie(std::string_view session_id, std::chrono::seconds max_age) {
  return std::string(kSessionCookie) + "=" + std::string(session_id) +
         "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(max_age.count());
}

std::string cleared_session_cookie() {
  return std::string(kSessionCookie) + "=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0";
}

std::string csrf_cookie(std::string_view csrf_token, std::chrono::seconds max_age) {
  return std::string(kCsrfCookie) + "=" + std::string(csrf_token) +
         "; Path=/; Secure; SameSite=Lax; Max-Age=" + std::to_string(max_age.count());
}

bool establishes_session(const http::Request& req) noexcept {
  if (req.route == nullptr) return false;
  if (req.route->method == http::Method::post && req.route->path == kSessionPath) return true;
  // OIDC login and callback: a stale cookie must not stop a browser from signing in again.
  return req.route->method == http::Method::get && req.route->path.starts_with(kOidcPathPrefix);
}

asio::awaitable<SessionLogin> Accounts::do_login_session(std::string login, std::string password,
                                                         std::optional<std::string> previous_session_id,
                                                         RequestMeta meta) {
  auto user = co_await check_credentials(std::move(login), std::move(password), meta);
  auto tx = co_await db_.begin();
  auto result = co_await start_session(*tx, user, std::move(previous_session_id), meta);
  const std::string details = R"({"method":"password","via":"session"})";
  co_await audit(*tx, user.id, "auth.login", user.id, meta, details);
  co_await tx->commit();
  if (result.replaced_session_user) co_await credentials_.user_changed(*result.replaced_session_user);
  co_return result;
}

asio::awaitable<SessionLogin> Accounts::start_session(db::Executor& tx, const User& user,
                                                      std::optional<std::string> previous_session_id,
                                                      const RequestMeta& meta) {
  auto now = Clock::now();
  auto max_age = std::chrono::duration_cast<std::chrono::seconds>(config_.session_max_age);
  SessionLogin result{.user = user,
                      .session_id = auth::generate_session_id(),
                      .csrf_token = auth::generate_csrf_token(),
                      .max_age = max_age};
  repo::NewSession record{.user_id = user.id,
                          .token_hash = auth::token_hash(result.session_id),
                          .csrf_token_hash = auth::token_hash(result.csrf_token),
                          .expires_at = format_rfc3339(now + max_age)};
  if (!meta.user_agent.empty()) record.user_agent = meta.user_agent;
  if (!meta.ip.empty() && meta.ip != "unknown") record.ip = meta.ip;

  if (previous_session_id && looks_like_session_id(*previous_session_id)) {
    // The browser's old session (whoever's it was) ends here: one browser, one live session.
    auto previous_hash = auth::token_hash(*previous_session_id);
    auto now_text = format_rfc3339(now);
    auto idle = idle_seconds(config_.session_idle_timeout);
    auto previous = co_await sessions_.find_active(tx, previous_hash, now_text, idle);
    if (previous && co_await sessions_.revoke(tx, previous->session.id)) {
      result.replaced_session_user = previous->session.user_id;
    }
  }
  co_await sessions_.create(tx, record);
  co_return result;
}

asio::awaitable<void> Accounts::do_logout_session(std::int64_t session_id, std::int64_t user_id, RequestMeta meta) {
  auto tx = co_await db_.begin();
  if (co_await sessions_.revoke(*tx, session_id)) {
    const std::string details = R"({"via":"session"})";
    co_await audit(*tx, user_id, "auth.logout", user_id, meta, details);
  }
  co_await tx->commit();
  co_await credentials_.user_changed(user_id);
}

asio::awaitable<http::Principal> Accounts::authenticate_session(std::string_view session_id) {
  if (!looks_like_session_id(session_id)) throw session_expired("malformed session cookie");
  auto now = Clock::now();
  constexpr auto kSession = CredentialCache::Kind::session;
  if (auto cached = credential_cache_.find(kSession, session_id, now)) co_return std::move(*cached);
  // Before the database read: a revocation committed meanwhile keeps this result out of the cache.
  const auto ticket = credential_cache_.ticket(now);
  auto hash = auth::token_hash(session_id);
  auto now_text = format_rfc3339(now);
  auto idle_timeout = idle_seconds(config_.session_idle_timeout);
  auto found = co_await sessions_.find_active(db_, hash, now_text, idle_timeout);
  if (!found) throw session_expired("session unknown, revoked, idle or past its absolute expiry");
  if (!found->user_is_active) throw session_expired("session user inactive");
  // The role is read with the session, like for access tokens, so a role change applies at once.
  auto user = co_await users_.find_by_id(db_, found->session.user_id);
  if (!user || !user->is_active) throw session_expired("session user unknown or inactive");

  // Both times are format_rfc3339 text (fixed width, UTC), so text order is time order.
  auto touch_every = std::min(kTouchInterval, std::chrono::duration_cast<std::chrono::milliseconds>(
                                                  config_.session_idle_timeout / 4));
  auto stale_before = format_rfc3339(now - touch_every);
  auto last_used = parse_rfc3339(found->session.last_used_at);
  if (found->session.last_used_at < stale_before) {
    co_await sessions_.touch(db_, found->session.id, now_text);
    last_used = now;
  }

  http::Principal principal{.user_id = user->id,
                            .role = user->role,
                            .via = http::Principal::Via::session,
                            .scopes = {},
                            .session_id = found->session.id,
                            .csrf_token_hash = found->session.csrf_token_hash};
  // Cached only while the database would answer the same without writing: until the next slide
  // of last_used_at is due (which comes long before the idle expiry) or the absolute expiry.
  auto absolute = parse_rfc3339(found->session.expires_at);
  if (last_used && absolute) {
    credential_cache_.insert(kSession, session_id, principal, ticket, std::min(*last_used + touch_every, *absolute),
                             now);
  }
  co_return principal;
}

}  // namespace parley::accounts
