#include "accounts/accounts.hpp"

#include "auth/signing_key_file.hpp"
#include "auth/tokens.hpp"
#include "core/data_folder.hpp"
#include "core/error.hpp"
#include "core/time.hpp"

#include <boost/json.hpp>

#include <filesystem>
#include <fstream>
#include <sstream>

namespace parley::accounts {

namespace asio = boost::asio;
namespace repo = db::repositories;
using Clock = std::chrono::system_clock;

namespace {

const std::string kNoDetails = "{}";
constexpr std::string_view kBadCredentials = "No active account found with the given credentials.";

std::string read_file(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw std::runtime_error("cannot read " + path.string());
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

std::chrono::seconds to_seconds(std::chrono::milliseconds ms) {
  return std::chrono::duration_cast<std::chrono::seconds>(ms);
}

AppError invalid_refresh(std::string internal) {
  return AppError{401, "token_not_valid", "Not authenticated", "The refresh token is invalid or expired.",
                  std::move(internal)}
      .with_header("WWW-Authenticate", R"(Bearer realm="parley", error="invalid_token")");
}

}  // namespace

RequestMeta RequestMeta::of(const http::Request& req) {
  return RequestMeta{req.client_ip, req.request_id, std::string(req.header("User-Agent").substr(0, 256))};
}

auth::KeySet load_signing_keys(const Config& config, spdlog::logger& logger) {
  std::optional<auth::KeySet> keys;
  if (!config.jwt_private_key_file.empty()) {
    keys.emplace(auth::Ed25519Key::from_private_pem(read_file(config.jwt_private_key_file)));
  } else if (auto kept = development_signing_key_file(config)) {
    // Development with SQLite: one key per data folder, so tokens (and the resumes that present them)
    // survive restarts. Production never gets here: there the key must be configured.
    auto file = auth::load_or_create_signing_key_file(*kept);
    logger.info("PARLEY_JWT_PRIVATE_KEY_FILE is not set: signing with the development key in {} ({})",
                std::filesystem::absolute(*kept).string(), file.created ? "created now" : "kept from an earlier start");
    keys.emplace(std::move(file.key));
  } else {
    logger.warn(
        "PARLEY_JWT_PRIVATE_KEY_FILE is not set: signing with a key generated for this run; "
        "tokens stop working at restart and are not valid on other replicas");
    keys.emplace(auth::KeySet::generate());
  }
  if (!config.jwt_next_public_key_file.empty()) {
    keys->add_upcoming(auth::Ed25519Key::from_public_pem(read_file(config.jwt_next_public_key_file)));
  }
  if (!config.jwt_retired_public_keys_dir.empty()) {
    // A retired key verifies the tokens it signed until they expire: refresh lifetime + leeway.
    for (const auto& entry : std::filesystem::directory_iterator(config.jwt_retired_public_keys_dir)) {
      if (entry.path().extension() != ".pem") continue;
      auto retired_at = Clock::time_point(std::chrono::seconds(std::stoll(entry.path().stem().string())));
      keys->add_retired(auth::Ed25519Key::from_public_pem(read_file(entry.path())), retired_at,
                        retired_at + config.jwt_refresh_ttl + config.jwt_leeway);
    }
  }
  return std::move(*keys);
}

namespace {

LoginThrottle::Options login_throttle_options(const Config& config) {
  const auto window = std::chrono::duration_cast<std::chrono::seconds>(config.login_failure_window);
  const auto max_delay = std::chrono::duration_cast<std::chrono::seconds>(config.login_max_lockout);
  return LoginThrottle::Options{
      .account = {.max_attempts = config.login_max_failures_account, .window = window, .max_delay = max_delay},
      .ip = {.max_attempts = config.login_max_failures_ip, .window = window, .max_delay = max_delay}};
}

}  // namespace

Accounts::Accounts(const Config& config, db::Database& db, auth::KeySet keys, spdlog::logger& logger,
                   CredentialInvalidator& credentials, ThrottleStore& throttle_store)
    : config_(config),
      db_(db),
      logger_(logger),
      jwt_(std::move(keys), auth::JwtConfig{.issuer = config.jwt_issuer,
                                            .audience = config.jwt_audience,
                                            .access_lifetime = to_seconds(config.jwt_access_ttl),
                                            .refresh_lifetime = to_seconds(config.jwt_refresh_ttl),
                                            .leeway = to_seconds(config.jwt_leeway)}),
      credentials_(credentials),
      credential_cache_(credentials.cache()),
      hasher_(auth::PasswordHasher::Options{.threads = config.password_hash_threads}),
      users_(db.dialect()),
      refresh_tokens_(db.dialect()),
      personal_tokens_(db.dialect()),
      audit_log_(db.dialect()),
      throttle_(throttle_store, login_throttle_options(config)),
      sessions_(db.dialect()) {}

asio::awaitable<void> Accounts::audit(db::Executor& tx, std::optional<std::int64_t> actor, std::string_view action,
                                      std::optional<std::int64_t> target_user, const RequestMeta& meta,
                                      std::string_view details_json) {
  repo::AuditEntry entry;
  entry.actor_id = actor;
  entry.action = std::string(action);
  if (target_user) entry.target = repo::AuditTarget{"user", *target_user};
  if (!meta.ip.empty() && meta.ip != "unknown") entry.ip = meta.ip;
  if (!meta.request_id.empty()) entry.request_id = meta.request_id;
  entry.details_json = std::string(details_json);
  co_await audit_log_.record(tx, entry);
}

asio::awaitable<User> Accounts::do_register(Registration input, RequestMeta meta) {
  auto problems = policy_.validate(input.password, input.username, input.email);
  if (!problems.empty()) throw AppError::validation({{"password", std::move(problems)}});
  auto hash = co_await hasher_.hash(std::move(input.password));
  auto tx = co_await db_.begin();
  // GCC 12 destroys temporaries inside a co_await expression twice: every argument is a named local.
  repo::NewUser record{.username = input.username,
                       .email = input.email,
                       .password_hash = std::move(hash),
                       .display_name = input.display_name};
  auto user = co_await users_.create(*tx, record);
  co_await audit(*tx, user.id, "user.registered", user.id, meta, kNoDetails);
  co_await tx->commit();
  co_return user;
}

asio::awaitable<TokenPair> Accounts::issue_pair(db::Executor& tx, const User& user, const RequestMeta& meta,
                                                std::optional<std::int64_t> rotate_token_id) {
  auto now = Clock::now();
  // The family handle in the token is random: lookups go by the token's hash, never by this claim.
  auto family = auth::random_token(16);
  auto access = jwt_.issue({auth::TokenType::access, std::to_string(user.id), {}}, now);
  auto refresh = jwt_.issue({auth::TokenType::refresh, std::to_string(user.id), family}, now);
  auto refresh_hash = auth::token_hash(refresh.token);
  auto expires_at = format_rfc3339(refresh.claims.expires_at);
  if (rotate_token_id) {
    auto rotated = co_await refresh_tokens_.rotate(tx, *rotate_token_id, refresh_hash, expires_at);
    if (rotated.status != repo::RotateStatus::rotated) throw invalid_refresh("refresh token rotated concurrently");
  } else {
    repo::NewRefreshFamily record{.user_id = user.id, .token_hash = refresh_hash, .expires_at = expires_at};
    if (!meta.user_agent.empty()) record.user_agent = meta.user_agent;
    if (!meta.ip.empty() && meta.ip != "unknown") record.ip = meta.ip;
    co_await refresh_tokens_.create_family(tx, record);
  }
  co_return TokenPair{access.token, refresh.token,
                      std::chrono::duration_cast<std::chrono::seconds>(access.claims.expires_at - now).count()};
}

asio::awaitable<User> Accounts::check_credentials(std::string login, std::string password, const RequestMeta& meta) {
  // Throttled after the one lookup every login makes, known or not, and before any hashing: the
  // account's key is its id whichever login names it (login_throttle.hpp). Blanks around the
  // login are a typing slip, not part of it: " Alice " signs in as alice (and counts as alice).
  const auto first = login.find_first_not_of(" \t");
  login = first == std::string::npos ? std::string() : login.substr(first, login.find_last_not_of(" \t") - first + 1);
  auto user = co_await users_.find_by_login(db_, login);
  std::optional<std::int64_t> user_id;
  if (user) user_id = user->id;
  auto attempt = co_await throttle_.begin(LoginThrottle::account_key(user_id, login), meta.ip);
  if (!attempt.allowed) throw AppError::too_many_requests(static_cast<int>(attempt.retry_after.count()));
  std::optional<std::string> hash;
  if (user) hash = co_await users_.password_hash(db_, user->id);
  bool ok = false;
  if (hash) {
    ok = co_await hasher_.verify(std::move(password), *hash);
  } else {
    co_await hasher_.dummy_verify(std::move(password));  // same cost as a real check
  }
  if (!ok || !user->is_active) {
    auto tx = co_await db_.begin();
    std::optional<std::int64_t> target;
    if (user) target = user->id;
    std::string details = ok ? R"({"reason":"inactive"})" : R"({"reason":"bad_credentials"})";
    co_await audit(*tx, std::nullopt, "auth.login_failed", target, meta, details);
    for (const auto& lockout : throttle_.failed(attempt)) {
      std::string lockout_details = R"({"scope":")" + std::string(to_string(lockout.scope)) + R"(","seconds":)" +
                                    std::to_string(lockout.duration.count()) + R"(,"attempts":)" +
                                    std::to_string(lockout.attempts) + "}";
      std::optional<std::int64_t> lockout_target;
      if (lockout.scope == ThrottleScope::account) lockout_target = target;
      co_await audit(*tx, std::nullopt, "auth.lockout", lockout_target, meta, lockout_details);
    }
    co_await tx->commit();
    throw AppError{401, "authentication_failed", "Not authenticated", std::string(kBadCredentials)}.with_header(
        "WWW-Authenticate", R"(Bearer realm="parley")");
  }
  co_await throttle_.succeeded(attempt);
  co_return *user;
}

asio::awaitable<TokenPair> Accounts::do_login(std::string login, std::string password, RequestMeta meta) {
  auto user = co_await check_credentials(std::move(login), std::move(password), meta);
  auto tx = co_await db_.begin();
  auto pair = co_await issue_pair(*tx, user, meta, std::nullopt);
  const std::string details = R"({"method":"password"})";
  co_await audit(*tx, user.id, "auth.login", user.id, meta, details);
  co_await tx->commit();
  co_return pair;
}

asio::awaitable<TokenPair> Accounts::do_refresh(std::string refresh, RequestMeta meta) {
  auto claims = jwt_.verify(refresh, auth::TokenType::refresh, Clock::now());  // 401 when invalid
  auto tx = co_await db_.begin();
  auto hash = auth::token_hash(refresh);
  auto now = format_rfc3339(Clock::now());
  auto found = co_await refresh_tokens_.find_by_hash(*tx, hash, now);
  if (!found) throw invalid_refresh("refresh token not on record");
  if (found->used && !found->family_revoked) {
    // Reuse of a rotated token: someone else holds a copy. Revoke the whole family.
    co_await refresh_tokens_.revoke_family(*tx, found->family.id, repo::RefreshRevokeReason::reuse_detected);
    std::string details = R"({"family_id":)" + std::to_string(found->family.id) + "}";
    co_await audit(*tx, std::nullopt, "auth.refresh_reuse", found->family.user_id, meta, details);
    co_await tx->commit();
    throw invalid_refresh("refresh token reuse; family revoked");
  }
  if (found->used || found->family_revoked) throw invalid_refresh("refresh family revoked");
  if (found->expired) throw invalid_refresh("refresh token expired");
  auto user = co_await users_.find_by_id(*tx, found->family.user_id);
  if (!user || !user->is_active) throw invalid_refresh("user inactive");
  auto pair = co_await issue_pair(*tx, *user, meta, found->token.id);
  co_await tx->commit();
  co_return pair;
}

asio::awaitable<void> Accounts::do_logout(std::string refresh, RequestMeta meta) {
  jwt_.verify(refresh, auth::TokenType::refresh, Clock::now());
  auto tx = co_await db_.begin();
  auto hash = auth::token_hash(refresh);
  auto now = format_rfc3339(Clock::now());
  auto found = co_await refresh_tokens_.find_by_hash(*tx, hash, now);
  if (!found) throw invalid_refresh("refresh token not on record");
  if (co_await refresh_tokens_.revoke_family(*tx, found->family.id, repo::RefreshRevokeReason::logout)) {
    co_await audit(*tx, found->family.user_id, "auth.logout", found->family.user_id, meta, kNoDetails);
  }
  co_await tx->commit();
}

asio::awaitable<User> Accounts::do_update_profile(std::int64_t user_id, ProfileChange change, RequestMeta meta) {
  auto current = co_await users_.find_by_id(db_, user_id);
  if (!current) throw AppError::not_found();
  std::optional<std::string> new_hash;
  if (change.password) {
    if (!change.current_password) throw AppError::validation({{"current_password", {"This field is required."}}});
    auto hash = co_await users_.password_hash(db_, user_id);
    bool current_ok = false;
    if (hash) current_ok = co_await hasher_.verify(*change.current_password, *hash);
    if (!current_ok) throw AppError::validation({{"current_password", {"The current password is incorrect."}}});
    auto problems = policy_.validate(*change.password, current->username, change.email.value_or(current->email));
    if (!problems.empty()) throw AppError::validation({{"password", std::move(problems)}});
    new_hash = co_await hasher_.hash(*change.password);
  }
  auto tx = co_await db_.begin();
  repo::ProfileUpdate update{change.display_name, change.email};
  auto updated = co_await users_.update_profile(*tx, user_id, update);
  if (!updated) throw AppError::not_found();
  if (new_hash) {
    co_await users_.set_password_hash(*tx, user_id, *new_hash);
    // A new password ends every other login: all refresh families and browser sessions are revoked.
    co_await refresh_tokens_.revoke_all_for_user(*tx, user_id, repo::RefreshRevokeReason::password_changed);
    co_await sessions_.revoke_all_for_user(*tx, user_id);
    co_await audit(*tx, user_id, "user.password_changed", user_id, meta, kNoDetails);
  }
  co_await tx->commit();
  if (new_hash) co_await credentials_.user_changed(user_id);  // the revoked sessions stop at once
  if (change.display_name && profile_changed_) co_await profile_changed_(user_id);
  co_return *updated;
}

asio::awaitable<http::Principal> Accounts::authenticate_bearer(std::string_view credential) {
  auto refuse = [](std::string internal) {
    return AppError{401, "not_authenticated", "Not authenticated", "The credentials are invalid, expired or revoked.",
                    std::move(internal)}
        .with_header("WWW-Authenticate", R"(Bearer realm="parley", error="invalid_token")");
  };
  const auto now = Clock::now();
  constexpr auto kBearer = CredentialCache::Kind::bearer;
  if (auto cached = credential_cache_.find(kBearer, credential, now)) co_return std::move(*cached);
  // Before the database read: a revocation committed meanwhile keeps this result out of the cache.
  const auto ticket = credential_cache_.ticket(now);

  if (auth::looks_like_personal_token(credential)) {
    auto hash = auth::token_hash(credential);
    auto now_text = format_rfc3339(now);
    auto found = co_await personal_tokens_.find_active_by_hash(db_, hash, now_text);
    if (!found || !found->owner_is_active) throw refuse("personal token unknown, revoked, expired or owner inactive");
    auto user = co_await users_.find_by_id(db_, found->token.user_id);
    if (!user || !user->is_active) throw refuse("personal token owner inactive");
    // Written when the token is read from the database: at most once per cache lifetime (max_ttl).
    co_await personal_tokens_.touch_last_used(db_, found->token.id);
    http::Principal principal{.user_id = user->id,
                              .role = user->role,
                              .via = http::Principal::Via::personal_token,
                              .scopes = found->token.scopes};
    auto expires_at = Clock::time_point::max();
    if (found->token.expires_at) expires_at = parse_rfc3339(*found->token.expires_at).value_or(now);
    credential_cache_.insert(kBearer, credential, principal, ticket, expires_at, now);
    co_return principal;
  }
  auto claims = jwt_.verify(credential, auth::TokenType::access, now);
  std::int64_t user_id = 0;
  try {
    user_id = std::stoll(claims.subject);
  } catch (const std::exception&) {
    throw refuse("access token subject is not a user id");
  }
  auto user = co_await users_.find_by_id(db_, user_id);
  if (!user || !user->is_active) throw refuse("access token user unknown or inactive");
  http::Principal principal{.user_id = user->id, .role = user->role, .via = http::Principal::Via::access_token};
  // Until exp, not exp + leeway: the cache never accepts a token verification would refuse.
  credential_cache_.insert(kBearer, credential, principal, ticket, claims.expires_at, now);
  co_return principal;
}

}  // namespace parley::accounts
