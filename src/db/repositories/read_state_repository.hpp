#pragma once
// Unread and mention counts from the read markers (conversation_members.last_read_message_id).
//
// unread_count: top-level messages after my marker, by others, not deleted (thread replies are
// read in their thread and do not count). mention_count: messages (top level or replies) after my
// marker, by others, not deleted, that mention me by name or mention @channel/@here.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <optional>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

struct UnreadCount {
  std::int64_t conversation_id = 0;
  std::int64_t unread_count = 0;
  std::int64_t mention_count = 0;
};

class ReadStateRepository {
 public:
  explicit ReadStateRepository(Dialect dialect);

  // Every conversation of `user_id` (member, not banned) with something unread or a mention, by
  // conversation id. One statement whatever the number of conversations.
  boost::asio::awaitable<std::vector<UnreadCount>> unread(Executor& db, std::int64_t user_id);
  // The counts of one conversation (zeros included); nullopt when `user_id` is not a member.
  boost::asio::awaitable<std::optional<UnreadCount>> unread_in(Executor& db, std::int64_t user_id,
                                                               std::int64_t conversation_id);
};

}  // namespace parley::db::repositories
