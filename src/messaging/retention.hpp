#pragma once
// Retention of deleted messages (PARLEY_DELETED_MESSAGE_RETENTION, the daily
// messages.purge_deleted job). A deleted message is blanked at once and stays as a tombstone
// ("this message was deleted") so threads and read markers keep their place; once deleted for the
// retention period it goes for good, with its reactions, mentions, edits and attachment links (the
// files then go with the orphaned uploads). Tombstones that live replies hang below, or that a read
// marker points at, wait until neither holds.
//
// Cost: one indexed statement per batch of 500 to find them (messages_deleted_idx), and one
// transaction per batch to delete them; independent of conversation sizes.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>

#include "db/database.hpp"

namespace parley::messaging {

// Purges the messages deleted at least `retention` ago; returns how many went.
boost::asio::awaitable<std::int64_t> purge_deleted_messages(db::Database& database, std::chrono::seconds retention);

}  // namespace parley::messaging
