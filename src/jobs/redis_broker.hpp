#pragma once
// The Redis Streams broker (PARLEY_BROKER_URL=redis://...; docs/jobs.md, "Brokers").
//
// Jobs are still enqueued in the jobs table, in the action's transaction (the outbox): a relay,
// run by every worker process, claims due jobs there in batches, appends each to the stream of its
// queue (<prefix>:jobs:<queue>, XADD) and deletes them from the table. Workers read the streams in
// one consumer group (XREADGROUP ... BLOCK, so a job starts as soon as it is relayed), and a
// finished job is acknowledged and deleted from its stream (XACK + XDEL).
//
// What the table still does: delays and retries wait there until due (a failed attempt goes back
// under the same id, queued after its backoff, or dead), so the admin endpoints, `parley jobs` and
// JobContext::claim_effect work unchanged; the relay hands a job over only when it is due.
//
// Crashed workers: an entry delivered to a consumer stays pending until acknowledged; a worker
// renews its running entries every lease/3 (XCLAIM ... JUSTID resets their idle time), and every
// worker takes back entries idle longer than a lease (XAUTOCLAIM) and returns them to the table
// as a failed attempt, as the database broker's reaper does. A relay that dies between XADD and
// the delete leaves its claimed rows to run out of lease: they are relayed again, and the job,
// under the same id, may run twice (at least once; claim_effect makes its effect once).
//
// Differences from the database broker, stated in docs/jobs.md: priorities order the relay, not
// the entries already in a stream; a unique_key holds while the job is in the table, not once it
// is relayed; a worker reads the streams of the queues it was given, or of every queue a task of
// this build is registered on.
//
// Threading: the relay is a DispatchLoop on its own strand (jobs/relaying_broker.hpp); the Broker
// methods are called from the worker's.
#include <boost/asio/any_io_executor.hpp>

#include <memory>
#include <mutex>
#include <set>

#include "jobs/relaying_broker.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog
namespace parley::redis {
class Client;
struct Reply;
}  // namespace parley::redis

namespace parley::jobs {

struct RedisBrokerOptions {
  std::string prefix = "parley";  // keys <prefix>:jobs:<queue>; PARLEY_BROKER_PREFIX
  RelayOptions relay;
};

class RedisBroker final : public RelayingBroker {
 public:
  // `client` carries the short commands; `blocking` only the worker's XREADGROUP BLOCK, which
  // would hold up the commands behind it on a shared connection (its command timeout must exceed
  // the worker's wait, a second at most).
  RedisBroker(db::Database& database, const TaskRegistry& registry, std::shared_ptr<redis::Client> client,
              std::shared_ptr<redis::Client> blocking, RedisBrokerOptions options, spdlog::logger& logger,
              boost::asio::any_io_executor executor);
  ~RedisBroker() override;

  std::string_view name() const noexcept override { return "redis"; }

  boost::asio::awaitable<std::vector<db::repositories::ClaimedJob>> claim(const std::string& worker,
                                                                          std::span<const std::string> queues,
                                                                          int limit, std::chrono::milliseconds lease,
                                                                          std::chrono::milliseconds wait) override;
  bool waits_for_jobs() const noexcept override { return true; }
  boost::asio::awaitable<bool> complete(const std::string& worker, const db::repositories::ClaimedJob& job) override;
  boost::asio::awaitable<void> heartbeat(const std::string& worker,
                                         std::span<const db::repositories::ClaimedJob> running,
                                         std::chrono::milliseconds lease) override;
  boost::asio::awaitable<db::repositories::JobRepository::Reaped> reap_expired(
      const std::string& worker, std::span<const std::string> queues, std::chrono::milliseconds lease) override;
  boost::asio::awaitable<std::vector<db::repositories::QueueCounts>> counts() override;

  // Appends the due jobs of a batch to their streams (XADD, pipelined); returns how many.
  boost::asio::awaitable<int> relay_once() override;

 private:
  std::string stream(std::string_view queue) const { return prefix_ + ":jobs:" + std::string(queue); }  // kJobsInfix
  std::vector<std::string> streams_of(std::span<const std::string> queues) const;
  boost::asio::awaitable<void> ensure_groups(const std::vector<std::string>& queues);
  // Writes `job` back to the table (a retry, a dead letter, a requeue) and acknowledges its entry.
  boost::asio::awaitable<bool> give_back(const db::repositories::ReturnedJob& job) override;
  boost::asio::awaitable<bool> acknowledge(const db::repositories::ClaimedJob& job);

  std::shared_ptr<redis::Client> client_;
  std::shared_ptr<redis::Client> blocking_;
  std::string prefix_;
  // Any strand: the queues whose consumer group exists.
  std::mutex groups_mutex_;
  std::set<std::string, std::less<>> groups_;
};

}  // namespace parley::jobs
