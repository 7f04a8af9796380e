#include "accounts/oidc_login.hpp"
#include "db/repositories/personal_token_repository.hpp"

#include "auth/tokens.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

#include <boost/json.hpp>

#include <algorithm>
#include <exception>

namespace parley::accounts {

namespace asio = boost::asio;
namespace json = boost::json;
namespace repo = db::repositories;
namespace oidc = auth::oidc;
using Clock = std::chrono::system_clock;

namespace {

constexpr std::size_t kMaxRedirectPath = 2048;
constexpr std::size_t kMaxUsername = 32;
constexpr std::size_t kMaxDisplayName = 64;  // characters (the schema's CHECK)
// Numbered candidates tried before a random suffix ("alice", "alice2", ... "alice9").
constexpr int kNumberedCandidates = 9;
// Whole-transaction attempts when a concurrent login created the same username or identity (409).
constexpr int kResolveAttempts = 3;

AppError state_invalid(std::string internal) {
  return AppError{400, "oidc_state_invalid", "Bad request",
                  "The sign-in link is invalid, expired or was already used. Start the sign-in again.",
                  std::move(internal)}
      .with_header("Set-Cookie", cleared_oidc_binding_cookie());
}

AppError provider_failed(std::string internal) {
  return AppError{401, "oidc_failed", "Not authenticated", "Sign-in with the identity provider failed.",
                  std::move(internal)}
      .with_header("Set-Cookie", cleared_oidc_binding_cookie());
}

// The binding cookie is random_token(32): 43 base64url characters. Anything else finds nothing.
bool looks_like_binding(std::string_view value) noexcept {
  return value.size() == auth::kSecretChars && std::all_of(value.begin(), value.end(), [](char c) {
           return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
         });
}

bool username_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '.' || c == '-';
}

// At most `max_chars` UTF-8 characters of `text`, without control characters; never splits a
// multi-byte sequence.
std::string display_name_from(std::string_view text, std::size_t max_chars) {
  std::string out;
  std::size_t chars = 0;
  for (std::size_t i = 0; i < text.size() && chars < max_chars;) {
    auto lead = static_cast<unsigned char>(text[i]);
    std::size_t len = lead < 0x80 ? 1 : (lead >> 5) == 0x6 ? 2 : (lead >> 4) == 0xE ? 3 : (lead >> 3) == 0x1E ? 4 : 0;
    if (len == 0 || i + len > text.size()) break;  // malformed: stop here
    if (len == 1 && (lead < 0x20 || lead == 0x7F)) {
      ++i;
      continue;
    }
    out.append(text.substr(i, len));
    i += len;
    ++chars;
  }
  auto first = out.find_first_not_of(' ');
  if (first == std::string::npos) return {};
  return out.substr(first, out.find_last_not_of(' ') - first + 1);
}

std::string details_json(std::initializer_list<std::pair<std::string_view, std::string_view>> fields) {
  json::object object;
  for (const auto& [key, value] : fields) object[key] = value;
  return json::serialize(object);
}

// Whether `email` is usable as an account email for lookup: one '@', not first.
bool plausible_email(std::string_view email) noexcept {
  auto at = email.find('@');
  return at != std::string_view::npos && at > 0 && email.find('@', at + 1) == std::string_view::npos &&
         email.size() <= 254;
}

std::string lower_ascii(std::string_view text) {
  std::string out(text);
  for (auto& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

}  // namespace

std::string oidc_binding_cookie(std::string_view binding) {
  return std::string(kOidcBindingCookie) + "=" + std::string(binding) +
         "; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=" + std::to_string(kOidcLoginLifetime.count());
}

std::string cleared_oidc_binding_cookie() {
  return std::string(kOidcBindingCookie) + "=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0";
}

bool is_safe_redirect_path(std::string_view path) noexcept {
  if (path.empty() || path.size() > kMaxRedirectPath || path.front() != '/') return false;
  // "//host" and "/\host" are scheme-relative URLs to browsers.
  if (path.size() > 1 && (path[1] == '/' || path[1] == '\\')) return false;
  return std::all_of(path.begin(), path.end(), [](char c) { return c > 0x20 && c < 0x7F && c != '\\'; });
}

std::string username_from_claims(const oidc::IdentityClaims& claims) {
  std::string source;
  if (claims.preferred_username && !claims.preferred_username->empty()) {
    source = *claims.preferred_username;
  } else if (claims.email) {
    source = claims.email->substr(0, claims.email->find('@'));
  }
  std::string name;
  for (char c : lower_ascii(source)) {
    char mapped = username_char(c) ? c : '_';
    if (mapped == '_' && !name.empty() && name.back() == '_') continue;  // one '_' per run
    if (name.empty() && !((mapped >= 'a' && mapped <= 'z') || (mapped >= '0' && mapped <= '9'))) continue;
    name += mapped;
    if (name.size() == kMaxUsername) break;
  }
  if (name.size() < 3) return "user";
  return name;
}

struct OidcLogin::Resolved {
  repo::User user;
  bool created = false;
  bool linked = false;
  bool credentials_revoked = false;  // an existing account's password and logins were ended
};

OidcLogin::OidcLogin(const Config& config, Accounts& accounts, const oidc::OidcProviders& providers)
    : config_(config), accounts_(accounts), providers_(providers), oidc_repo_(accounts.database().dialect()) {}

asio::awaitable<OidcLoginStart> OidcLogin::begin(std::string provider, std::optional<std::string> redirect_to) {
  oidc::OidcClient& client = providers_.get(provider);  // 404 when unknown
  if (redirect_to && !is_safe_redirect_path(*redirect_to)) {
    throw AppError::bad_request("redirect_to must be a path on this site, such as /conversations/1.",
                                "invalid_redirect");
  }
  oidc::LoginStart start = co_await client.begin_login();
  OidcLoginStart result{.authorization_url = std::move(start.authorization_url),
                        .binding = auth::random_token(32)};
  auto expires_at = format_rfc3339(Clock::now() + kOidcLoginLifetime);
  repo::NewOidcLoginState record{.state_key = oidc::login_state_key(start.state, result.binding),
                                 .provider = provider,
                                 .nonce = std::move(start.nonce),
                                 .code_verifier = std::move(start.code_verifier),
                                 .redirect_to = std::move(redirect_to),
                                 .expires_at = std::move(expires_at)};
  co_await oidc_repo_.save_state(accounts_.database(), record);
  co_return result;
}

asio::awaitable<OidcLoginResult> OidcLogin::complete(std::string provider, OidcCallback callback,
                                                     std::optional<std::string> previous_session_id,
                                                     RequestMeta meta) {
  oidc::OidcClient& client = providers_.get(provider);  // 404 when unknown
  if (callback.code.empty() || callback.state.empty() || callback.state.size() > 512 || callback.code.size() > 2048) {
    throw state_invalid("callback without a usable code or state");
  }
  if (!looks_like_binding(callback.binding)) throw state_invalid("no or a malformed binding cookie");
  // One-time and bound to this browser: the key differs for any other browser's cookie.
  auto key = oidc::login_state_key(callback.state, callback.binding);
  auto now = format_rfc3339(Clock::now());
  auto saved = co_await oidc_repo_.consume_state(accounts_.database(), key, provider, now);
  if (!saved) throw state_invalid("login state unknown, used, expired, or bound to another browser");

  std::optional<oidc::IdentityClaims> claims;
  std::exception_ptr failure;
  std::string failure_reason;  // the AppError's code
  try {
    claims = co_await client.complete_login(std::move(callback.code), std::move(saved->code_verifier),
                                            std::move(saved->nonce), std::move(callback.iss));
  } catch (const AppError& e) {
    failure = std::current_exception();
    failure_reason = e.code();
  }
  if (failure) {
    co_await audit_failure(provider, std::nullopt, failure_reason, meta);
    std::rethrow_exception(failure);
  }

  OidcLoginResult result;
  for (int attempt = 1;; ++attempt) {
    try {
      auto tx = co_await accounts_.database().begin();
      Resolved resolved = co_await resolve_user(*tx, provider, *claims, meta);
      if (!resolved.user.is_active) {
        co_await tx->rollback();  // nothing of this login is kept
        tx.reset();
        std::optional<std::int64_t> user_id = resolved.user.id;
        co_await audit_failure(provider, user_id, "inactive", meta);
        throw AppError{403, "account_inactive", "Forbidden", "This account is deactivated."}.with_header(
            "Set-Cookie", cleared_oidc_binding_cookie());
      }
      // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
      std::optional<std::string> previous = previous_session_id;
      result.session = co_await accounts_.start_session(*tx, resolved.user, std::move(previous), meta);
      const std::string details = details_json({{"method", "oidc"}, {"provider", provider}, {"via", "session"}});
      co_await accounts_.audit(*tx, resolved.user.id, "auth.login", resolved.user.id, meta, details);
      co_await tx->commit();
      // After the commit: what it revoked (linking, the replaced session) stops working at once.
      if (resolved.credentials_revoked) co_await accounts_.credentials().user_changed(resolved.user.id);
      if (result.session.replaced_session_user) {
        co_await accounts_.credentials().user_changed(*result.session.replaced_session_user);
      }
      result.created = resolved.created;
      result.linked = resolved.linked;
      break;
    } catch (const AppError& e) {
      // A concurrent login created the same username or linked the same identity: start over
      // (the transaction is rolled back; on PostgreSQL it cannot continue after the failure).
      if (e.status() != 409 || attempt >= kResolveAttempts) throw;
    }
  }

  std::string path = "/";
  if (saved->redirect_to && is_safe_redirect_path(*saved->redirect_to)) path = *saved->redirect_to;
  result.redirect_url = config_.public_url + path;
  co_return result;
}

asio::awaitable<OidcLogin::Resolved> OidcLogin::resolve_user(db::Executor& tx, const std::string& provider,
                                                             const oidc::IdentityClaims& claims,
                                                             const RequestMeta& meta) {
  auto& users = accounts_.users();
  // Known identity: refresh its email and last login.
  std::optional<std::string> latest_email = claims.email;
  auto linked_user = co_await oidc_repo_.record_login(tx, provider, claims.subject, std::move(latest_email));
  if (linked_user) {
    auto user = co_await users.find_by_id(tx, *linked_user);
    if (!user) throw AppError::internal("linked identity without a user");
    co_return Resolved{.user = std::move(*user)};
  }
  if (!claims.email || !claims.email_verified || !plausible_email(*claims.email)) {
    throw AppError{403, "oidc_email_unverified", "Forbidden",
                   "The identity provider did not confirm an email address, so no account can be linked or "
                   "created. Use a provider account with a verified email."}
        .with_header("Set-Cookie", cleared_oidc_binding_cookie());
  }
  std::string email = lower_ascii(*claims.email);
  Resolved resolved;
  auto existing = co_await users.find_by_login(tx, email);
  if (existing && existing->email == email) {
    resolved.user = std::move(*existing);
    if (resolved.user.is_active) {
      // Pre-account hijacking: Parley does not verify emails at registration, so whoever registered
      // this address may not own it. The provider proved who does: every other way into the account
      // ends here (password, refresh families, sessions, personal tokens); the owner can set a new
      // password through the emailed reset link.
      co_await users.clear_password(tx, resolved.user.id);
      co_await accounts_.refresh_tokens().revoke_all_for_user(tx, resolved.user.id,
                                                              repo::RefreshRevokeReason::password_changed);
      co_await accounts_.sessions().revoke_all_for_user(tx, resolved.user.id);
      repo::PersonalTokenRepository personal_tokens(accounts_.database().dialect());
      co_await personal_tokens.revoke_all_for_user(tx, resolved.user.id);
      resolved.credentials_revoked = true;
    }
  } else {
    auto username = co_await unique_username(tx, claims);
    std::string display_name = display_name_from(claims.name.value_or(""), kMaxDisplayName);
    if (display_name.empty()) display_name = username;
    repo::NewUser record{.username = std::move(username),
                         .email = email,
                         .password_hash = std::nullopt,  // OIDC-only: no password login until one is set
                         .display_name = std::move(display_name),
                         .role = "member"};
    resolved.user = co_await users.create(tx, record);
    resolved.created = true;
    const std::string details = details_json({{"method", "oidc"}, {"provider", provider}});
    co_await accounts_.audit(tx, resolved.user.id, "user.registered", resolved.user.id, meta, details);
  }
  if (!resolved.user.is_active) co_return resolved;  // refused by the caller; nothing linked
  repo::NewOidcIdentity identity{
      .user_id = resolved.user.id, .provider = provider, .subject = claims.subject, .email = email};
  co_await oidc_repo_.link_identity(tx, identity);
  resolved.linked = true;
  const std::string details = details_json({{"provider", provider}, {"via", resolved.created ? "new_account" : "email"}});
  co_await accounts_.audit(tx, resolved.user.id, "auth.oidc_linked", resolved.user.id, meta, details);
  co_return resolved;
}

asio::awaitable<std::string> OidcLogin::unique_username(db::Executor& tx, const oidc::IdentityClaims& claims) {
  const std::string base = username_from_claims(claims);
  for (int n = 1; n <= kNumberedCandidates + 1; ++n) {
    std::string candidate = base;
    if (n > 1) {
      std::string suffix = std::to_string(n);
      candidate = base.substr(0, kMaxUsername - suffix.size()) + suffix;
    }
    if (!co_await accounts_.users().find_by_login(tx, candidate)) co_return candidate;
  }
  // Crowded name: a random suffix (6 base64url characters, lower-cased to the username alphabet).
  for (;;) {
    std::string suffix = "-" + lower_ascii(auth::random_token(6)).substr(0, 6);
    for (auto& c : suffix) {
      if (!username_char(c)) c = '0';
    }
    std::string candidate = base.substr(0, kMaxUsername - suffix.size()) + suffix;
    if (!co_await accounts_.users().find_by_login(tx, candidate)) co_return candidate;
  }
}

asio::awaitable<void> OidcLogin::refuse_provider_error(std::string provider, std::string error, std::string state,
                                                       std::string binding, RequestMeta meta) {
  providers_.get(provider);  // 404 when unknown
  if (!state.empty() && state.size() <= 512 && looks_like_binding(binding)) {
    // The login is over either way: its state is not left for a later callback.
    auto key = oidc::login_state_key(state, binding);
    auto now = format_rfc3339(Clock::now());
    co_await oidc_repo_.consume_state(accounts_.database(), key, provider, now);
  }
  std::string shown = error.substr(0, 64);
  for (auto& c : shown) {
    if (!username_char(c)) c = '_';
  }
  co_await audit_failure(provider, std::nullopt, "provider_error", meta);
  throw provider_failed("provider answered error=" + shown);
}

asio::awaitable<void> OidcLogin::audit_failure(const std::string& provider, std::optional<std::int64_t> user,
                                               std::string_view reason, const RequestMeta& meta) {
  const std::string details = details_json({{"method", "oidc"}, {"provider", provider}, {"reason", reason}});
  auto tx = co_await accounts_.database().begin();
  co_await accounts_.audit(*tx, std::nullopt, "auth.login_failed", user, meta, details);
  co_await tx->commit();
}

}  // namespace parley::accounts
