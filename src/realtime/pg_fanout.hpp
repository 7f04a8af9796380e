#pragma once
// The bus between replicas over PostgreSQL LISTEN/NOTIFY (realtime/fanout.hpp), for deployments
// with PostgreSQL and no Redis. NOTIFY goes through a pooled connection; LISTEN runs on the
// database's dedicated listener connection, which reconnects by itself (db/pg/pg_listener.hpp).
#include <boost/asio/any_io_executor.hpp>

#include "db/pg/pg_database.hpp"
#include "realtime/fanout.hpp"

namespace spdlog {
class logger;
}

namespace parley::realtime {

class PgFanout final : public Fanout {
 public:
  static constexpr std::string_view kChannel = "parley_realtime";

  PgFanout(db::pg::PgDatabase& db, boost::asio::any_io_executor executor, spdlog::logger& logger)
      : db_(db), executor_(std::move(executor)), logger_(logger) {}

  std::string_view name() const noexcept override { return "postgres"; }
  boost::asio::awaitable<void> start(Receiver receiver, std::function<void()> on_gap) override;
  void publish(std::string text) override;

 private:
  db::pg::PgDatabase& db_;
  boost::asio::any_io_executor executor_;
  spdlog::logger& logger_;
};

}  // namespace parley::realtime
