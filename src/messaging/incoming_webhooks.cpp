#include "messaging/incoming_webhooks.hpp"

#include <algorithm>
#include <cctype>

#include "auth/tokens.hpp"
#include "core/error.hpp"
#include "messaging/access.hpp"
#include "messaging/cache_keys.hpp"

namespace parley::messaging {

using boost::asio::awaitable;
using db::repositories::IncomingWebhook;

namespace {

constexpr std::string_view kTokenPrefix = "hook_";

bool looks_like_hook_token(std::string_view token) noexcept {
  if (!token.starts_with(kTokenPrefix) || token.size() != kTokenPrefix.size() + 43) return false;
  return std::all_of(token.begin() + kTokenPrefix.size(), token.end(), [](char c) {
    return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_';
  });
}

// Loads the conversation for a manager of its webhooks, inside `tx`.
awaitable<ConversationAccess> managed(MessagingContext& ctx, db::Executor& tx, std::int64_t conversation_id,
                                      const http::Principal& by) {
  auto access = co_await load_access(ctx, tx, conversation_id, by);
  require_member(access);
  require_manager(access, by);
  co_return access;
}

}  // namespace

awaitable<CreatedIncomingWebhook> IncomingWebhooks::do_create(http::Principal by, std::int64_t conversation_id,
                                                              std::string name) {
  events::PendingEvents events(ctx_.events);
  auto tx = co_await ctx_.db.begin();
  auto access = co_await load_access(ctx_, *tx, conversation_id, by);
  require_member(access);
  // Before the role check: nobody manages a direct conversation, and "no webhooks here" is the
  // clearer answer.
  if (access.conversation.kind == "direct") {
    throw AppError::conflict("Direct conversations have no webhooks.", "invalid_direct");
  }
  require_manager(access, by);
  require_not_archived(access);
  // "bot-" and 8 lower-cased base64url characters (e-mails are stored lower-case): within the
  // username rules, unique in practice (a clash fails the unique index and the request, never
  // another user).
  std::string username = "bot-" + auth::random_token(6);
  std::transform(username.begin(), username.end(), username.begin(),
                 [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
  const auto bot = co_await repository_.create_bot(*tx, username, name);
  co_await ctx_.members.add(*tx, conversation_id, bot, "member");
  std::string token = std::string(kTokenPrefix) + auth::random_token(32);
  auto hook = co_await repository_.create(*tx, conversation_id, bot, by.user_id, name, auth::token_hash(token));
  const boost::json::object data{{"conversation_id", conversation_id}, {"user_id", bot}, {"role", "member"}};
  co_await tell_members(*tx, events, conversation_id, "member.added", data);
  co_await tx->commit();
  co_await publish_committed(ctx_, events);
  co_return CreatedIncomingWebhook{.hook = std::move(hook), .token = std::move(token)};
}

awaitable<std::vector<IncomingWebhook>> IncomingWebhooks::list(http::Principal by, std::int64_t conversation_id) {
  co_await managed(ctx_, ctx_.db, conversation_id, by);
  co_return co_await repository_.list(ctx_.db, conversation_id);
}

awaitable<void> IncomingWebhooks::do_revoke(http::Principal by, std::int64_t conversation_id, std::int64_t id) {
  auto tx = co_await ctx_.db.begin();
  co_await managed(ctx_, *tx, conversation_id, by);
  auto bot = co_await repository_.revoke(*tx, conversation_id, id);
  if (!bot) throw AppError::not_found();
  co_await tx->commit();
}

awaitable<SentMessage> IncomingWebhooks::post(std::string_view token, std::string text) {
  if (!looks_like_hook_token(token)) throw AppError::not_found();
  auto hook = co_await repository_.find_by_token(ctx_.db, auth::token_hash(token));
  if (!hook) throw AppError::not_found();
  http::Principal bot{.user_id = hook->bot_user_id, .role = "member"};
  SendInput input{.body = std::move(text)};
  co_return co_await messages_.send(std::move(bot), hook->conversation_id, std::move(input));
}

}  // namespace parley::messaging
