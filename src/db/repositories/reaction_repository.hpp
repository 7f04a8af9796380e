#pragma once
// Reactions (table reactions): one row per (message, emoji, user); PUT and DELETE are idempotent.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/database.hpp"
#include "db/read.hpp"

namespace parley::db::repositories {

struct ReactionCount {
  std::int64_t message_id = 0;
  std::string emoji;
  std::int64_t count = 0;
  bool me = false;  // the viewing user reacted with this emoji
};

class ReactionRepository {
 public:
  explicit ReactionRepository(Dialect dialect);

  // Returns true when the reaction was new. 400 (invalid_reference) for an unknown message/user.
  boost::asio::awaitable<bool> add(Executor& db, std::int64_t message_id, std::int64_t user_id,
                                   std::string_view emoji);
  // Returns true when a reaction was removed.
  boost::asio::awaitable<bool> remove(Executor& db, std::int64_t message_id, std::int64_t user_id,
                                      std::string_view emoji);
  // Counts per (message, emoji) for every message of `message_ids` (a page), with `me` for
  // `viewer_id`; ordered by message id, then by when the emoji was first used on that message,
  // then emoji. Messages without reactions have no rows.
  boost::asio::awaitable<std::vector<ReactionCount>> counts(Executor& db, std::span<const std::int64_t> message_ids,
                                                            std::int64_t viewer_id);
  Read<std::vector<ReactionCount>> read_counts(std::span<const std::int64_t> message_ids,
                                               std::int64_t viewer_id) const;  // counts, to batch

 private:
  Dialect dialect_;
  Query counts_;
};

}  // namespace parley::db::repositories
