#pragma once
// Incoming webhooks (docs/api.md "Webhooks and bots": POST /hooks/{token}): another system posts into
// one conversation through a secret URL, as a bot user made for the webhook (users.is_bot, a
// member of the conversation, unable to sign in). Managed by the conversation's owners and admins
// under /conversations/{id}/incoming-webhooks; the token is shown once, at creation, and stored
// hashed. A post is an ordinary message of the bot (Markdown, mentions, events, webhooks out),
// sent through Messages::send, so every rule of sending applies (an archived conversation
// refuses it). Revoking deletes nothing: the bot's messages stay, the bot is deactivated.
#include <boost/asio/awaitable.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "db/repositories/incoming_webhook_repository.hpp"
#include "http/request.hpp"
#include "messaging/context.hpp"
#include "messaging/messages.hpp"

namespace parley::messaging {

struct CreatedIncomingWebhook {
  db::repositories::IncomingWebhook hook;
  std::string token;  // "hook_" + 43 base64url characters; shown once
};

class IncomingWebhooks {
 public:
  static constexpr std::size_t kMaxNameLength = 64;  // also the bot's display name

  IncomingWebhooks(MessagingContext& ctx, Messages& messages)
      : ctx_(ctx), messages_(messages), repository_(ctx.db.dialect()) {}

  // 404 unless `by` sees the conversation, 403 unless they manage it (owner or admin; site admins
  // who are members), 409 when it is archived or direct. The bot joins the conversation
  // (member.added).
  boost::asio::awaitable<CreatedIncomingWebhook> do_create(http::Principal by, std::int64_t conversation_id,
                                                           std::string name);
  // The conversation's live webhooks (no tokens); the same 404/403 as do_create.
  boost::asio::awaitable<std::vector<db::repositories::IncomingWebhook>> list(http::Principal by,
                                                                              std::int64_t conversation_id);
  // 404 when the conversation has no live webhook `id`.
  boost::asio::awaitable<void> do_revoke(http::Principal by, std::int64_t conversation_id, std::int64_t id);

  // Posts `text` as the webhook's bot. 404 for a token that is malformed, unknown or revoked;
  // otherwise what Messages::send answers.
  boost::asio::awaitable<SentMessage> post(std::string_view token, std::string text);

 private:
  MessagingContext& ctx_;
  Messages& messages_;
  db::repositories::IncomingWebhookRepository repository_;
};

}  // namespace parley::messaging
