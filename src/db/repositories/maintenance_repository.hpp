#pragma once
// Housekeeping deletes for the maintenance.cleanup job (jobs/maintenance.hpp): rows that no
// request can use any more. Each returns how many rows went.
#include <boost/asio/awaitable.hpp>
#include <cstdint>

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

 private:
  struct Queries {
    Query sessions, refresh_tokens, password_resets, realtime_tickets;
  };
  Queries q_;
};

}  // namespace parley::db::repositories
