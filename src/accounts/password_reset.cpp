#include "accounts/password_reset.hpp"

#include "auth/password_policy.hpp"
#include "auth/tokens.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "db/repositories/password_reset_repository.hpp"

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>

namespace parley::accounts {

namespace asio = boost::asio;
namespace repo = db::repositories;
using Clock = std::chrono::system_clock;

PasswordReset::PasswordReset(const Config& config, Accounts& accounts, mail::Mailer& mailer, spdlog::logger& logger)
    : config_(config), accounts_(accounts), mailer_(mailer), logger_(logger) {}

asio::awaitable<void> PasswordReset::do_request(std::string email, RequestMeta meta) {
  auto& db = accounts_.database();
  auto user = co_await accounts_.users().find_by_login(db, email);
  // find_by_login also matches usernames: only an exact (case-insensitive) email match counts.
  if (!user || !user->is_active || user->email != auth::ascii_lower(email)) co_return;
  auto hash = co_await accounts_.users().password_hash(db, user->id);
  if (!hash) co_return;  // OIDC-only account: nothing to reset

  // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
  auto token = auth::random_token(32);
  auto token_hash = auth::token_hash(token);
  auto expires_at = format_rfc3339(Clock::now() + config_.password_reset_ttl);
  repo::PasswordResetRepository resets(db.dialect());
  auto tx = co_await db.begin();
  co_await resets.create(*tx, user->id, token_hash, expires_at);
  const std::string_view details = R"({"step":"requested"})";
  co_await accounts_.audit(*tx, std::nullopt, "auth.password_reset", user->id, meta, details);
  co_await tx->commit();

  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(config_.password_reset_ttl).count();
  mail::Email message{
      .to = user->email,
      .subject = "Reset your Parley password",
      .text_body = "Hello " + user->display_name + ",\n\nSomeone asked to reset the password of your Parley account " +
                   user->username + ". If it was you, open this link within " + std::to_string(minutes) +
                   " minutes:\n\n" + config_.public_url + "/reset-password?token=" + token +
                   "\n\nThe link works once. If you did not ask, ignore this email; your password stays as it is.\n"};
  auto executor = co_await asio::this_coro::executor;
  asio::co_spawn(executor, mailer_.send(std::move(message)), [this, user_id = user->id](std::exception_ptr error) {
    if (!error) return;
    try {
      std::rethrow_exception(error);
    } catch (const AppError& e) {
      logger_.error("password reset email for user {} failed: {}", user_id, e.internal_detail());
    } catch (const std::exception& e) {
      logger_.error("password reset email for user {} failed: {}", user_id, e.what());
    }
  });
}

asio::awaitable<void> PasswordReset::do_confirm(std::string token, std::string password, RequestMeta meta) {
  auto& db = accounts_.database();
  repo::PasswordResetRepository resets(db.dialect());
  auto token_hash = auth::token_hash(token);
  auto now = format_rfc3339(Clock::now());
  // Hashing happens inside the transaction (the policy needs the token's user); a refused password
  // rolls the transaction back, so the token stays usable.
  auto tx = co_await db.begin();
  auto user_id = co_await resets.consume(*tx, token_hash, now);
  if (!user_id) throw AppError::validation({{"token", {"This reset link is invalid, expired or already used."}}});
  auto user = co_await accounts_.users().find_by_id(*tx, *user_id);
  if (!user || !user->is_active)
    throw AppError::validation({{"token", {"This reset link is invalid, expired or already used."}}});
  auto problems = accounts_.policy().validate(password, user->username, user->email);
  if (!problems.empty()) throw AppError::validation({{"password", std::move(problems)}});  // rolls back: token kept
  auto new_hash = co_await accounts_.hasher().hash(std::move(password));
  co_await accounts_.users().set_password_hash(*tx, user->id, new_hash);
  co_await resets.invalidate_all_for_user(*tx, user->id);
  co_await accounts_.refresh_tokens().revoke_all_for_user(*tx, user->id, repo::RefreshRevokeReason::password_changed);
  co_await accounts_.sessions().revoke_all_for_user(*tx, user->id);
  const std::string_view details = R"({"step":"completed"})";
  co_await accounts_.audit(*tx, user->id, "auth.password_reset", user->id, meta, details);
  co_await tx->commit();
  co_await accounts_.credentials().user_changed(user->id);  // the revoked sessions stop at once
}

}  // namespace parley::accounts
