#pragma once
// Incoming webhooks (table incoming_webhooks, docs/api.md "Webhooks and bots"): a secret URL that posts
// into one conversation as its own bot user (users.is_bot). The token is stored as its SHA-256.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

struct IncomingWebhook {
  std::int64_t id = 0;
  std::int64_t conversation_id = 0;
  std::int64_t bot_user_id = 0;
  std::string bot_username;
  std::string bot_display_name;
  std::optional<std::int64_t> created_by;
  std::string name;
  std::string created_at;
};

class IncomingWebhookRepository {
 public:
  explicit IncomingWebhookRepository(Dialect dialect);

  // A bot user (is_bot, no password: it cannot sign in) named `username`, shown as `display_name`;
  // its e-mail is `username`@bots.invalid (RFC 2606: never delivered). Returns its id.
  boost::asio::awaitable<std::int64_t> create_bot(Executor& tx, std::string_view username,
                                                  std::string_view display_name);
  boost::asio::awaitable<IncomingWebhook> create(Executor& tx, std::int64_t conversation_id, std::int64_t bot_user_id,
                                                 std::int64_t created_by, std::string_view name,
                                                 std::string_view token_hash);
  // The conversation's webhooks that are not revoked, oldest first.
  boost::asio::awaitable<std::vector<IncomingWebhook>> list(Executor& db, std::int64_t conversation_id);
  // Revokes webhook `id` of `conversation_id` and deactivates its bot; the bot user id, or nullopt
  // when there is no such live webhook.
  boost::asio::awaitable<std::optional<std::int64_t>> revoke(Executor& tx, std::int64_t conversation_id,
                                                             std::int64_t id);
  // The live webhook whose token hashes to `token_hash`, with an active bot.
  boost::asio::awaitable<std::optional<IncomingWebhook>> find_by_token(Executor& db, std::string_view token_hash);

 private:
  struct Queries {
    Query create_bot, create, find, list, revoke, deactivate_bot, find_by_token;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
