#include "messaging/retention.hpp"

#include "db/repositories/maintenance_repository.hpp"

namespace parley::messaging {

boost::asio::awaitable<std::int64_t> purge_deleted_messages(db::Database& database, std::chrono::seconds retention) {
  constexpr int kBatch = 500;
  db::repositories::MaintenanceRepository maintenance(database.dialect());
  std::int64_t purged = 0;
  for (;;) {
    auto ids = co_await maintenance.purgeable_messages(database, static_cast<double>(retention.count()), kBatch);
    if (ids.empty()) break;
    auto tx = co_await database.begin();
    purged += co_await maintenance.purge_messages(*tx, ids);
    co_await tx->commit();
    if (std::ssize(ids) < kBatch) break;
  }
  co_return purged;
}

}  // namespace parley::messaging
