#include "accounts/password_reset.hpp"

#include "auth/password_policy.hpp"
#include "auth/tokens.hpp"
#include "core/error.hpp"
#include "core/time.hpp"
#include "db/repositories/password_reset_repository.hpp"

#include <boost/json/object.hpp>

namespace parley::accounts {

namespace asio = boost::asio;
namespace repo = db::repositories;
using Clock = std::chrono::system_clock;

PasswordReset::PasswordReset(const Config& config, Accounts& accounts, mail::Mailer& mailer, jobs::Jobs& jobs,
                             spdlog::logger& logger)
    : config_(config), accounts_(accounts), mailer_(mailer), jobs_(jobs), logger_(logger) {}

void PasswordReset::register_tasks(jobs::TaskRegistry& registry) {
  jobs::TaskDefaults defaults;
  defaults.queue = "mail";
  defaults.max_retries = 6;  // 2 s doubling: the last try about two minutes after the first
  defaults.timeout = std::chrono::seconds(60);
  registry.add(jobs::Task{.name = std::string(kSendLinkTask),
                          .defaults = defaults,
                          .handler = [this](jobs::JobContext& job) { return send_link(job); }});
}

asio::awaitable<void> PasswordReset::do_request(std::string email, RequestMeta meta) {
  auto& db = accounts_.database();
  auto user = co_await accounts_.users().find_by_login(db, email);
  // find_by_login also matches usernames: only an exact (case-insensitive) email match counts.
  if (!user || !user->is_active || user->email != auth::ascii_lower(email)) co_return;
  auto hash = co_await accounts_.users().password_hash(db, user->id);
  if (!hash) co_return;  // OIDC-only account: nothing to reset

  // The link is made and mailed by a job (send_link): the token never rests in the job's payload,
  // and the answer does not wait for the mail server.
  boost::json::object payload{{"user_id", user->id}};
  auto tx = co_await db.begin();
  const std::string_view details = R"({"step":"requested"})";
  co_await accounts_.audit(*tx, std::nullopt, "auth.password_reset", user->id, meta, details);
  co_await jobs_.enqueue(*tx, kSendLinkTask, payload);
  co_await tx->commit();
  jobs_.committed();
}

asio::awaitable<void> PasswordReset::send_link(jobs::JobContext& job) {
  const auto* user_id = job.payload().if_contains("user_id");
  if (user_id == nullptr || !user_id->is_int64()) throw AppError::internal("mail.password_reset: no user_id");
  auto& db = accounts_.database();
  auto user = co_await accounts_.users().find_by_id(db, user_id->as_int64());
  if (!user || !user->is_active) co_return;  // deactivated or deleted since the request

  // GCC 12 destroys temporaries inside a co_await expression twice: arguments are named locals.
  auto token = auth::random_token(32);
  auto token_hash = auth::token_hash(token);
  auto expires_at = format_rfc3339(Clock::now() + config_.password_reset_ttl);
  repo::PasswordResetRepository resets(db.dialect());
  co_await resets.create(db, user->id, token_hash, expires_at);

  auto minutes = std::chrono::duration_cast<std::chrono::minutes>(config_.password_reset_ttl).count();
  mail::Email message{
      .to = user->email,
      .subject = "Reset your Parley password",
      .text_body = "Hello " + user->display_name + ",\n\nSomeone asked to reset the password of your Parley account " +
                   user->username + ". If it was you, open this link within " + std::to_string(minutes) +
                   " minutes:\n\n" + config_.public_url + "/reset-password?token=" + token +
                   "\n\nThe link works once. If you did not ask, ignore this email; your password stays as it is.\n"};
  // A failure throws: the job is retried (with a new link; an unmailed one just expires).
  co_await mailer_.send(std::move(message));
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
