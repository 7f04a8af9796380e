#pragma once
// The database broker (PARLEY_BROKER_URL=database, the default): workers claim from the jobs
// table itself, FOR UPDATE SKIP LOCKED on PostgreSQL, through SQLite's single writer otherwise.
// Leases are renewed by heartbeats and taken back by a reaper (db/repositories/job_repository.hpp).
#include "db/database.hpp"
#include "jobs/broker.hpp"

namespace parley::jobs {

class DatabaseBroker final : public Broker {
 public:
  explicit DatabaseBroker(db::Database& database) : database_(database), repository_(database.dialect()) {}

  std::string_view name() const noexcept override { return "database"; }
  boost::asio::awaitable<std::vector<db::repositories::ClaimedJob>> claim(const std::string& worker,
                                                                          std::span<const std::string> queues,
                                                                          int limit, std::chrono::milliseconds lease,
                                                                          std::chrono::milliseconds wait) override;
  boost::asio::awaitable<bool> complete(const std::string& worker, const db::repositories::ClaimedJob& job) override;
  boost::asio::awaitable<db::repositories::FailOutcome> fail(const std::string& worker,
                                                             const db::repositories::ClaimedJob& job,
                                                             std::string_view error,
                                                             std::chrono::milliseconds retry_delay) override;
  boost::asio::awaitable<void> heartbeat(const std::string& worker,
                                         std::span<const db::repositories::ClaimedJob> running,
                                         std::chrono::milliseconds lease) override;
  boost::asio::awaitable<db::repositories::JobRepository::Reaped> reap_expired(
      const std::string& worker, std::span<const std::string> queues, std::chrono::milliseconds lease) override;
  boost::asio::awaitable<std::int64_t> requeue(const std::string& worker,
                                               std::span<const db::repositories::ClaimedJob> running) override;
  boost::asio::awaitable<std::vector<db::repositories::QueueCounts>> counts() override;

 private:
  db::Database& database_;
  db::repositories::JobRepository repository_;
};

// Seconds as the repositories bind them.
inline double seconds(std::chrono::milliseconds ms) { return std::chrono::duration<double>(ms).count(); }

}  // namespace parley::jobs
