#include "db/repositories/reaction_repository.hpp"

#include <array>

#include "db/repositories/sql.hpp"

namespace parley::db::repositories {
namespace {

using boost::asio::awaitable;

constexpr Query kAdd{"reactions.add",
                     "INSERT INTO reactions (message_id, user_id, emoji) VALUES ($1, $2, $3) "
                     "ON CONFLICT (message_id, emoji, user_id) DO NOTHING"};
constexpr Query kRemove{"reactions.remove",
                        "DELETE FROM reactions WHERE message_id = $1 AND user_id = $2 AND emoji = $3"};
// The id list is one parameter (id_list_param). `me` is max(user = viewer): boolean on PostgreSQL, 0/1 on SQLite.
constexpr DualQuery kCounts{
    "reactions.counts",
    "SELECT message_id, emoji, count(*), bool_or(user_id = $2) FROM reactions "
    "WHERE message_id = ANY (CAST($1 AS bigint[])) GROUP BY message_id, emoji "
    "ORDER BY message_id, min(created_at), emoji",
    "SELECT message_id, emoji, count(*), max(user_id = $2) FROM reactions "
    "WHERE message_id IN (SELECT value FROM json_each($1)) GROUP BY message_id, emoji "
    "ORDER BY message_id, min(created_at), emoji"};

}  // namespace

ReactionRepository::ReactionRepository(Dialect d) : dialect_(d), counts_(kCounts.pick(d)) {}

awaitable<bool> ReactionRepository::add(Executor& db, std::int64_t message_id, std::int64_t user_id,
                                        std::string_view emoji) {
  std::array<Value, 3> params{message_id, user_id, std::string(emoji)};
  co_return (co_await db.execute(kAdd, params)).affected_rows > 0;
}

awaitable<bool> ReactionRepository::remove(Executor& db, std::int64_t message_id, std::int64_t user_id,
                                           std::string_view emoji) {
  std::array<Value, 3> params{message_id, user_id, std::string(emoji)};
  co_return (co_await db.execute(kRemove, params)).affected_rows > 0;
}

awaitable<std::vector<ReactionCount>> ReactionRepository::counts(Executor& db,
                                                                 std::span<const std::int64_t> message_ids,
                                                                 std::int64_t viewer_id) {
  if (message_ids.empty()) co_return std::vector<ReactionCount>{};
  co_return co_await read(db, read_counts(message_ids, viewer_id));
}

Read<std::vector<ReactionCount>> ReactionRepository::read_counts(std::span<const std::int64_t> message_ids,
                                                                 std::int64_t viewer_id) const {
  return {counts_, {id_list_param(dialect_, message_ids), viewer_id}, [](const ResultSet& rs) {
            std::vector<ReactionCount> out;
            out.reserve(rs.rows.size());
            for (const Row& r : rs.rows) {
              out.push_back(ReactionCount{
                  .message_id = r.int64(0), .emoji = r.text(1), .count = r.int64(2), .me = r.boolean(3)});
            }
            return out;
          }};
}

}  // namespace parley::db::repositories
