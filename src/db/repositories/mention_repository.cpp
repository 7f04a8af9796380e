#include "db/repositories/mention_repository.hpp"

#include <boost/json/array.hpp>
#include <boost/json/serialize.hpp>

#include <array>

#include "core/error.hpp"
#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

// $2 is a JSON array of lower-cased names on both dialects; lower(username) is served by
// users_username_lower_key, the membership by the conversation_members primary key.
constexpr DualQuery kResolveMembers{
    "mentions.resolve_members",
    "SELECT lower(u.username), u.id FROM users u JOIN conversation_members m ON m.user_id = u.id "
    "WHERE m.conversation_id = $1 AND m.banned_at IS NULL AND u.is_active "
    "AND lower(u.username) IN (SELECT json_array_elements_text(CAST($2 AS json)))",
    "SELECT lower(u.username), u.id FROM users u JOIN conversation_members m ON m.user_id = u.id "
    "WHERE m.conversation_id = $1 AND m.banned_at IS NULL AND u.is_active "
    "AND lower(u.username) IN (SELECT value FROM json_each($2))"};
constexpr Query kDelete{"mentions.delete", "DELETE FROM mentions WHERE message_id = $1"};
// $2 is an id list (id_list_param).
constexpr DualQuery kInsert{
    "mentions.insert",
    "INSERT INTO mentions (message_id, user_id) SELECT $1, u FROM unnest(CAST($2 AS bigint[])) AS u "
    "ON CONFLICT DO NOTHING",
    "INSERT INTO mentions (message_id, user_id) SELECT $1, value FROM json_each($2) WHERE true "
    "ON CONFLICT DO NOTHING"};
// PostgreSQL only ($1, $2: id lists of the same length, pair by pair).
constexpr Query kInsertMany{"mentions.insert_many",
                            "INSERT INTO mentions (message_id, user_id) "
                            "SELECT * FROM unnest(CAST($1 AS bigint[]), CAST($2 AS bigint[])) ON CONFLICT DO NOTHING"};
constexpr DualQuery kForMessages{
    "mentions.for_messages",
    "SELECT message_id, user_id FROM mentions WHERE message_id = ANY (CAST($1 AS bigint[])) ORDER BY message_id, "
    "user_id",
    "SELECT message_id, user_id FROM mentions WHERE message_id IN (SELECT value FROM json_each($1)) "
    "ORDER BY message_id, user_id"};

}  // namespace

MentionRepository::MentionRepository(Dialect d)
    : dialect_(d),
      resolve_members_(kResolveMembers.pick(d)),
      insert_(kInsert.pick(d)),
      for_messages_(kForMessages.pick(d)) {}

awaitable<std::vector<MentionedMember>> MentionRepository::resolve_members(
    Executor& db, std::int64_t conversation_id, std::span<const std::string> usernames_lower) {
  std::vector<MentionedMember> out;
  if (usernames_lower.empty()) co_return out;
  boost::json::array names;
  for (const auto& name : usernames_lower) names.emplace_back(name);
  std::array<Value, 2> params{conversation_id, boost::json::serialize(names)};
  ResultSet rs = co_await db.execute(resolve_members_, params);
  out.reserve(rs.rows.size());
  for (const Row& r : rs.rows) out.push_back(MentionedMember{r.text(0), r.int64(1)});
  co_return out;
}

awaitable<void> MentionRepository::replace(Executor& db, std::int64_t message_id,
                                           std::span<const std::int64_t> user_ids) {
  std::array<Value, 1> id{message_id};
  co_await db.execute(kDelete, id);
  co_await add(db, message_id, user_ids);
}

awaitable<void> MentionRepository::add(Executor& db, std::int64_t message_id, std::span<const std::int64_t> user_ids) {
  if (user_ids.empty()) co_return;
  std::array<Value, 2> params{message_id, id_list_param(dialect_, user_ids)};
  co_await db.execute(insert_, params);
}

awaitable<void> MentionRepository::add_many(Executor& db, std::span<const MentionRow> mentions) {
  if (mentions.empty()) co_return;
  if (dialect_ != Dialect::postgres) throw AppError::internal("mentions.insert_many is PostgreSQL only");
  std::vector<std::int64_t> messages, users;
  messages.reserve(mentions.size());
  users.reserve(mentions.size());
  for (const MentionRow& m : mentions) {
    messages.push_back(m.message_id);
    users.push_back(m.user_id);
  }
  std::array<Value, 2> params{id_list_param(dialect_, messages), id_list_param(dialect_, users)};
  co_await db.execute_later(kInsertMany, params);
}

awaitable<std::vector<MentionRow>> MentionRepository::for_messages(Executor& db,
                                                                   std::span<const std::int64_t> message_ids) {
  if (message_ids.empty()) co_return std::vector<MentionRow>{};
  co_return co_await read(db, read_for_messages(message_ids));
}

Read<std::vector<MentionRow>> MentionRepository::read_for_messages(std::span<const std::int64_t> message_ids) const {
  return {for_messages_, {id_list_param(dialect_, message_ids)}, [](const ResultSet& rs) {
            std::vector<MentionRow> out;
            out.reserve(rs.rows.size());
            for (const Row& r : rs.rows) out.push_back(MentionRow{r.int64(0), r.int64(1)});
            return out;
          }};
}

}  // namespace parley::db::repositories
