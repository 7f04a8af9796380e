#pragma once
// Single-use WebSocket connect tickets (table realtime_tickets): only a ticket's SHA-256 is stored
// (auth/tokens.hpp token_hash), and redeeming deletes it, so a ticket works once, on any replica.
#include <boost/asio/awaitable.hpp>
#include <chrono>
#include <cstdint>
#include <optional>
#include <string_view>

#include "db/database.hpp"

namespace parley::db::repositories {

class RealtimeTicketRepository {
 public:
  explicit RealtimeTicketRepository(Dialect dialect);

  // Stores a ticket for `user_id` valid for `lifetime` by the database clock, and deletes the
  // expired ones (cheap: realtime_tickets_expires_idx), so the table holds only live tickets.
  boost::asio::awaitable<void> create(Database& db, std::string_view token_hash, std::int64_t user_id,
                                      std::chrono::seconds lifetime);
  // Deletes the ticket and returns its user when it was unexpired and the user is active.
  boost::asio::awaitable<std::optional<std::int64_t>> redeem(Executor& db, std::string_view token_hash);

 private:
  Query create_;
  Query purge_;
  Query redeem_;
};

}  // namespace parley::db::repositories
