#pragma once
// What the message brokers (Redis Streams, RabbitMQ) share (docs/jobs.md, "Brokers"): the jobs table
// stays the outbox, and a relay run by every worker process claims due jobs there in batches and
// hands them to the broker (relay_once); a job that fails, is requeued, or comes back from a
// worker that went away returns to the table under its id (give_back): queued after its backoff
// or dead, so the admin endpoints, `parley jobs` and JobContext::claim_effect work unchanged.
//
// The relay is a DispatchLoop on its own strand: a pass whenever a commit wakes it and at least
// every poll_interval, repeated until a pass relays nothing. Rows whose hand-over failed go back to
// their queue at once; a relay that dies between handing jobs over and deleting their rows leaves
// the rows to run out of lease, and each pass takes back such rows (at least once: the job may run
// twice; claim_effect keeps its effect once).
#include <boost/asio/any_io_executor.hpp>

#include <chrono>
#include <string>

#include "db/database.hpp"
#include "jobs/broker.hpp"
#include "jobs/dispatch_loop.hpp"
#include "jobs/jobs.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace parley::jobs {

struct RelayOptions {
  std::string name = "relay";  // the relay's name on the rows it claims (unique per process)
  int batch = 256;             // jobs per relay pass
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds poll_interval{1000};  // the relay's poll when nothing wakes it
};

class RelayingBroker : public Broker {
 public:
  void start() override;
  void wake() override;
  boost::asio::awaitable<void> stop() override;

  // Back to the table: queued after `retry_delay`, or dead after the last attempt.
  boost::asio::awaitable<db::repositories::FailOutcome> fail(const std::string& worker,
                                                             const db::repositories::ClaimedJob& job,
                                                             std::string_view error,
                                                             std::chrono::milliseconds retry_delay) override;
  // Back to the table without counting the attempt.
  boost::asio::awaitable<std::int64_t> requeue(const std::string& worker,
                                               std::span<const db::repositories::ClaimedJob> running) override;

  // One relay pass: hands up to RelayOptions::batch due jobs over; returns how many.
  virtual boost::asio::awaitable<int> relay_once() = 0;

 protected:
  RelayingBroker(db::Database& database, const TaskRegistry& registry, RelayOptions relay, spdlog::logger& logger,
                 boost::asio::any_io_executor executor);

  // The next batch of due jobs, claimed for the relay under its lease.
  boost::asio::awaitable<std::vector<db::repositories::ClaimedJob>> claim_batch();
  // After a pass handed over `handed_over` of the `claimed` jobs: deletes their rows, puts the rest
  // back in their queue at once (their attempt uncounted) and throws `failure` when there is a
  // rest, so the relay loop backs off. A job whose hand-over failed may still have arrived (a
  // timeout): it may run twice, as at least once allows.
  boost::asio::awaitable<void> settle_batch(std::span<const std::int64_t> handed_over, std::size_t claimed,
                                            const std::string& failure);
  // Writes `job` back to the table and settles its delivery in the broker; false when it was not
  // written (returned already, or no longer this worker's).
  virtual boost::asio::awaitable<bool> give_back(const db::repositories::ReturnedJob& job) = 0;
  // Adds what the broker holds of `queue` to the table's counts.
  static void add_counts(std::vector<db::repositories::QueueCounts>& counts, const std::string& queue,
                         std::int64_t waiting, std::int64_t running);

  db::Database& database_;
  const TaskRegistry& registry_;
  RelayOptions relay_options_;
  spdlog::logger& logger_;
  db::repositories::JobRepository repository_;

 private:
  // The relay loop's pass: the reaper of the relay's own rows when due, then relay_once().
  boost::asio::awaitable<std::int64_t> relay_pass();

  std::chrono::steady_clock::time_point next_reap_{};  // the relay loop's strand only
  DispatchLoop relay_;                                  // last: its passes use the members above
};

}  // namespace parley::jobs
