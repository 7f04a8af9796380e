#include "db/repositories/incoming_webhook_repository.hpp"

#include <array>

#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

constexpr Query kCreateBot{"incoming_webhooks.create_bot",
                           "INSERT INTO users (username, email, password_hash, role, is_bot, display_name) "
                           "VALUES ($1, $2, NULL, 'member', true, $3) RETURNING id"};
constexpr Query kCreate{"incoming_webhooks.create",
                        "INSERT INTO incoming_webhooks (conversation_id, bot_user_id, created_by, name, token_hash) "
                        "VALUES ($1, $2, $3, $4, $5) RETURNING id"};

#define PARLEY_HOOK_COLUMNS(TIME)                                                                      \
  "h.id, h.conversation_id, h.bot_user_id, u.username, u.display_name, h.created_by, h.name, " TIME( \
      "h.created_at") " FROM incoming_webhooks h JOIN users u ON u.id = h.bot_user_id"
#define PARLEY_SQL_FIND(TIME, NOW) "SELECT " PARLEY_HOOK_COLUMNS(TIME) " WHERE h.id = $1"
// incoming_webhooks_conversation_idx.
#define PARLEY_SQL_LIST(TIME, NOW) \
  "SELECT " PARLEY_HOOK_COLUMNS(TIME) " WHERE h.conversation_id = $1 AND h.revoked_at IS NULL ORDER BY h.id"
// incoming_webhooks_token_key.
#define PARLEY_SQL_BY_TOKEN(TIME, NOW) \
  "SELECT " PARLEY_HOOK_COLUMNS(TIME) " WHERE h.token_hash = $1 AND h.revoked_at IS NULL AND u.is_active"
#define PARLEY_SQL_REVOKE(TIME, NOW)                                                                             \
  "UPDATE incoming_webhooks SET revoked_at = " NOW " WHERE id = $1 AND conversation_id = $2 AND revoked_at IS NULL " \
  "RETURNING bot_user_id"
constexpr DualQuery kFind = PARLEY_DUAL("incoming_webhooks.find", PARLEY_SQL_FIND);
constexpr DualQuery kList = PARLEY_DUAL("incoming_webhooks.list", PARLEY_SQL_LIST);
constexpr DualQuery kByToken = PARLEY_DUAL("incoming_webhooks.find_by_token", PARLEY_SQL_BY_TOKEN);
constexpr DualQuery kRevoke = PARLEY_DUAL("incoming_webhooks.revoke", PARLEY_SQL_REVOKE);
constexpr Query kDeactivateBot{"incoming_webhooks.deactivate_bot",
                               "UPDATE users SET is_active = false WHERE id = $1 AND is_bot"};
#undef PARLEY_HOOK_COLUMNS
#undef PARLEY_SQL_FIND
#undef PARLEY_SQL_LIST
#undef PARLEY_SQL_BY_TOKEN
#undef PARLEY_SQL_REVOKE

IncomingWebhook to_hook(const Row& r) {
  return IncomingWebhook{.id = r.int64(0),
                         .conversation_id = r.int64(1),
                         .bot_user_id = r.int64(2),
                         .bot_username = r.text(3),
                         .bot_display_name = r.text(4),
                         .created_by = r.opt_int64(5),
                         .name = r.text(6),
                         .created_at = r.text(7)};
}

}  // namespace

IncomingWebhookRepository::IncomingWebhookRepository(Dialect d)
    : q_{.create_bot = kCreateBot,
         .create = kCreate,
         .find = kFind.pick(d),
         .list = kList.pick(d),
         .revoke = kRevoke.pick(d),
         .deactivate_bot = kDeactivateBot,
         .find_by_token = kByToken.pick(d)} {}

awaitable<std::int64_t> IncomingWebhookRepository::create_bot(Executor& tx, std::string_view username,
                                                              std::string_view display_name) {
  std::array<Value, 3> params{std::string(username), std::string(username) + "@bots.invalid",
                              std::string(display_name)};
  ResultSet rs = co_await tx.execute(q_.create_bot, params);
  co_return rs.one().int64(0);
}

awaitable<IncomingWebhook> IncomingWebhookRepository::create(Executor& tx, std::int64_t conversation_id,
                                                             std::int64_t bot_user_id, std::int64_t created_by,
                                                             std::string_view name, std::string_view token_hash) {
  std::array<Value, 5> params{conversation_id, bot_user_id, created_by, std::string(name), std::string(token_hash)};
  ResultSet created = co_await tx.execute(q_.create, params);
  std::array<Value, 1> id{created.one().int64(0)};
  ResultSet rs = co_await tx.execute(q_.find, id);
  co_return to_hook(rs.one());
}

awaitable<std::vector<IncomingWebhook>> IncomingWebhookRepository::list(Executor& db, std::int64_t conversation_id) {
  std::array<Value, 1> params{conversation_id};
  ResultSet rs = co_await db.execute(q_.list, params);
  std::vector<IncomingWebhook> hooks;
  for (const Row& r : rs.rows) hooks.push_back(to_hook(r));
  co_return hooks;
}

awaitable<std::optional<std::int64_t>> IncomingWebhookRepository::revoke(Executor& tx, std::int64_t conversation_id,
                                                                         std::int64_t id) {
  std::array<Value, 2> params{id, conversation_id};
  ResultSet rs = co_await tx.execute(q_.revoke, params);
  if (rs.empty()) co_return std::nullopt;
  const std::int64_t bot = rs.one().int64(0);
  std::array<Value, 1> bot_param{bot};
  co_await tx.execute(q_.deactivate_bot, bot_param);
  co_return bot;
}

awaitable<std::optional<IncomingWebhook>> IncomingWebhookRepository::find_by_token(Executor& db,
                                                                                   std::string_view token_hash) {
  std::array<Value, 1> params{std::string(token_hash)};
  ResultSet rs = co_await db.execute(q_.find_by_token, params);
  if (rs.empty()) co_return std::nullopt;
  co_return to_hook(rs.rows.front());
}

}  // namespace parley::db::repositories
