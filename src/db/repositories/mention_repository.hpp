#pragma once
// Mentions (table mentions): the users a message @-mentions by name. @channel/@here are not rows
// but messages.mentions_everyone. Only members of the conversation are ever stored.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "db/read.hpp"

namespace parley::db::repositories {

struct MentionRow {
  std::int64_t message_id = 0;
  std::int64_t user_id = 0;
};

struct MentionedMember {
  std::string username_lower;
  std::int64_t user_id = 0;
};

class MentionRepository {
 public:
  explicit MentionRepository(Dialect dialect);

  // The members (not banned, active) of `conversation_id` among `usernames_lower` (lower-cased
  // names, as markdown::scan_mentions returns them).
  boost::asio::awaitable<std::vector<MentionedMember>> resolve_members(Executor& db, std::int64_t conversation_id,
                                                                       std::span<const std::string> usernames_lower);
  // Records `user_ids` as the mentions of a new message (nothing to do for an empty list).
  boost::asio::awaitable<void> add(Executor& db, std::int64_t message_id, std::span<const std::int64_t> user_ids);
  // The mentions of several new messages in one statement (PostgreSQL only, AppError 500
  // elsewhere), held back to go out with the transaction's COMMIT (Executor::execute_later).
  boost::asio::awaitable<void> add_many(Executor& db, std::span<const MentionRow> mentions);
  // Makes `user_ids` the mentions of `message_id` (previous ones are replaced, for edits).
  boost::asio::awaitable<void> replace(Executor& db, std::int64_t message_id, std::span<const std::int64_t> user_ids);
  // The mentions of every message of `message_ids`, by message id then user id.
  boost::asio::awaitable<std::vector<MentionRow>> for_messages(Executor& db, std::span<const std::int64_t> message_ids);
  Read<std::vector<MentionRow>> read_for_messages(std::span<const std::int64_t> message_ids) const;  // to batch

 private:
  Dialect dialect_;
  Query resolve_members_, insert_, for_messages_;
};

}  // namespace parley::db::repositories
