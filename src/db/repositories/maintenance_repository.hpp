#pragma once
// Housekeeping deletes for the maintenance.cleanup job (jobs/maintenance.hpp): rows that no
// request can use any more. Each returns how many rows went.
#include <boost/asio/awaitable.hpp>
#include <cstdint>
#include <span>
#include <string>
#include <vector>

#include "db/database.hpp"

namespace parley::db::repositories {

class MaintenanceRepository {
 public:
  explicit MaintenanceRepository(Dialect dialect);

  // Sessions past their absolute expiry, or revoked more than `revoked_grace_seconds` ago.
  boost::asio::awaitable<std::int64_t> delete_dead_sessions(Executor& db, double revoked_grace_seconds);
  // Refresh tokens past their expiry (kept until then, used or not: reuse detection needs them).
  boost::asio::awaitable<std::int64_t> delete_expired_refresh_tokens(Executor& db);
  // Password-reset tokens past their expiry.
  boost::asio::awaitable<std::int64_t> delete_expired_password_resets(Executor& db);
  // Real-time tickets past their expiry.
  boost::asio::awaitable<std::int64_t> delete_expired_realtime_tickets(Executor& db);
  // Webhook deliveries that finished (succeeded or failed) and were created `older_than_seconds` ago.
  boost::asio::awaitable<std::int64_t> delete_old_webhook_deliveries(Executor& db, double older_than_seconds);

  // Retention of deleted messages: up to `limit` messages deleted at least `older_than_seconds`
  // ago that can go without changing what anyone sees: no reply that is not deleted hangs below
  // them, and no read marker points at them or their replies (it would be cleared: the conversation
  // would look unread).
  boost::asio::awaitable<std::vector<std::int64_t>> purgeable_messages(Executor& db, double older_than_seconds,
                                                                       int limit);
  // Deletes `ids` (their reactions, mentions, edits, attachment links and deleted replies go with
  // them) and recounts the replies of the threads that lost some. Call it in a transaction.
  boost::asio::awaitable<std::int64_t> purge_messages(Executor& tx, std::span<const std::int64_t> ids);

  // Deletes up to `limit` uploads older than `older_than_seconds` that no message carries, and
  // returns their storage keys (the caller removes the files).
  boost::asio::awaitable<std::vector<std::string>> delete_orphaned_attachments(Executor& db, double older_than_seconds,
                                                                               int limit);

 private:
  struct Queries {
    Query sessions, refresh_tokens, password_resets, realtime_tickets, webhook_deliveries, purgeable_messages,
        parents_of, recount_replies, purge_messages, orphaned_attachments;
  };
  Dialect dialect_;
  Queries q_;
};

}  // namespace parley::db::repositories
