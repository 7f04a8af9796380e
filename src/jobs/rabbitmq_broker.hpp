#pragma once
// The RabbitMQ broker (PARLEY_BROKER_URL=amqp://...; docs/jobs.md, "Brokers").
//
// The jobs table stays the outbox, as with Redis: a relay, run by every worker process, claims due
// jobs there in batches, publishes each (persistent, every publish of a batch in flight at once) to
// the durable quorum queue of its job queue, <prefix>.jobs.<queue>, through the default exchange,
// and deletes the rows RabbitMQ confirmed (publisher confirms). A row whose publish failed stays
// claimed and is relayed again when the relay's lease runs out (at least once). Delays and retry
// backoff wait in the table until due.
//
// Workers consume their queues with manual acks and a prefetch of twice their concurrency; a job is
// acknowledged once it ended: done, or given back to the table under the same id (a retry after
// its backoff, a dead letter, a requeue at shutdown). So the admin endpoints, `parley jobs` and
// JobContext::claim_effect work unchanged.
//
// Crashed workers: RabbitMQ delivers the unacknowledged messages of a closed connection again (to
// any worker), and the job runs again as its next attempt (x-delivery-count, which quorum queues
// keep, counts the lost ones; claim_effect keeps its effect once), or goes dead when that was its
// last attempt, as with the database broker's reaper. Should workers keep dying on a job before
// they can count it, the quorum queue dead-letters it after kDeliveryLimit deliveries to the
// exchange <prefix>.dead, whose queue <prefix>.dead the workers also consume: its jobs go to the
// table as dead letters (retry them from the admin endpoints). A message of a job queue that is
// not a job is rejected to the same exchange, and dropped from the dead queue with an error logged.
//
// Differences from the database broker, stated in docs/jobs.md: priorities order the relay only
// (quorum queues have none in RabbitMQ 3.10); a unique_key holds while the job is in the table;
// the queue depths count the messages ready in RabbitMQ, not those delivered and unacknowledged.
//
// Threading: the relay is a DispatchLoop on its own strand (jobs/relaying_broker.hpp) with a
// connection of its own (RabbitMQ
// throttles publishing connections, so consumers never share one); the consumers and their buffer
// belong to the worker's strand, from which every Broker method but counts() is called; counts()
// may be called from any thread, on a third connection.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/steady_timer.hpp>

#include <cstdint>
#include <deque>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <set>
#include <string>

#include "amqp/config.hpp"
#include "amqp/connection.hpp"
#include "jobs/relaying_broker.hpp"

namespace spdlog {
class logger;
}  // namespace spdlog

namespace parley::jobs {

struct RabbitMqBrokerOptions {
  std::string prefix = "parley";  // queues <prefix>.jobs.<queue>, <prefix>.dead; PARLEY_BROKER_PREFIX
  RelayOptions relay;
  // Unacknowledged deliveries per queue: twice the worker's concurrency, so the next batch is
  // there when slots free up (measured: 7.7k jobs/s at 1x, 10.3k at 2x, 11.1k at 4x).
  std::uint16_t prefetch = 8;
};

class RabbitMqBroker final : public RelayingBroker {
 public:
  // Deliveries of one message before its quorum queue dead-letters it (x-delivery-limit).
  static constexpr int kDeliveryLimit = 5;

  RabbitMqBroker(db::Database& database, const TaskRegistry& registry, amqp::ConnectionConfig connection,
                 RabbitMqBrokerOptions options, spdlog::logger& logger, boost::asio::any_io_executor executor);
  ~RabbitMqBroker() override;

  std::string_view name() const noexcept override { return "rabbitmq"; }
  // The relay's stop, then the consumers': the jobs received and not started go back to the table.
  boost::asio::awaitable<void> stop() override;

  boost::asio::awaitable<std::vector<db::repositories::ClaimedJob>> claim(const std::string& worker,
                                                                          std::span<const std::string> queues,
                                                                          int limit, std::chrono::milliseconds lease,
                                                                          std::chrono::milliseconds wait) override;
  bool waits_for_jobs() const noexcept override { return true; }
  boost::asio::awaitable<bool> complete(const std::string& worker, const db::repositories::ClaimedJob& job) override;
  // RabbitMQ keeps a delivery its consumer's until acknowledged or its connection closes: nothing to renew.
  boost::asio::awaitable<void> heartbeat(const std::string&, std::span<const db::repositories::ClaimedJob>,
                                         std::chrono::milliseconds) override {
    co_return;
  }
  // The jobs of workers that went away, redelivered or dead-lettered by RabbitMQ, since the last call.
  boost::asio::awaitable<db::repositories::JobRepository::Reaped> reap_expired(
      const std::string& worker, std::span<const std::string> queues, std::chrono::milliseconds lease) override;
  boost::asio::awaitable<std::vector<db::repositories::QueueCounts>> counts() override;

  // Publishes the due jobs of a batch, confirmed; returns how many.
  boost::asio::awaitable<int> relay_once() override;

  // The RabbitMQ queue of job queue `queue`.
  std::string queue_name(std::string_view queue) const { return prefix_ + ".jobs." + std::string(queue); }
  std::string dead_name() const { return prefix_ + ".dead"; }

 private:
  // A connection opened on first use and again once lost, with the job queues declared on it.
  class Link {
   public:
    Link(RabbitMqBroker& broker, std::string role) : broker_(broker), role_(std::move(role)) {}
    boost::asio::awaitable<std::shared_ptr<amqp::Connection>> get();
    // get(), then declares the queues of `queues` not declared on it yet.
    boost::asio::awaitable<std::shared_ptr<amqp::Connection>> get_declared(std::vector<std::string> queues);
    boost::asio::awaitable<void> close();

   private:
    RabbitMqBroker& broker_;
    std::string role_;  // "relay", "worker", "counts": the connection's name in RabbitMQ
    std::mutex mutex_;
    std::shared_ptr<amqp::Connection> connection_;
    std::set<std::string, std::less<>> declared_;  // on connection_
  };

  // A delivery the consumers received that claim() has not handed out yet.
  struct Buffered {
    std::uint64_t generation = 0;
    std::string queue;  // the RabbitMQ queue
    amqp::Delivery delivery;
  };

  std::vector<std::string> queues_of(std::span<const std::string> queues) const;
  // Consumers on every queue of `queues` and the dead queue, on a live connection: opens them (a new
  // generation) when there are none, their connection was lost or one of them ended.
  boost::asio::awaitable<void> ensure_consuming(const std::vector<std::string>& queues);
  boost::asio::awaitable<void> stop_consuming();
  boost::asio::awaitable<void> pump(std::shared_ptr<amqp::Consumer> consumer, std::string queue,
                                    std::uint64_t generation);
  // Acknowledges the delivery of `receipt`; false when it belongs to an earlier generation (its
  // connection is gone: RabbitMQ delivers it again).
  boost::asio::awaitable<bool> settle(const std::string& receipt, bool reject = false);
  // Writes `job` back to the table and acknowledges its delivery; false when it was not written
  // (or its delivery belongs to a connection that is gone: RabbitMQ delivers it again).
  boost::asio::awaitable<bool> give_back(const db::repositories::ReturnedJob& job) override;

  amqp::ConnectionConfig connection_config_;
  std::string prefix_;
  std::uint16_t prefetch_;
  Link publisher_{*this, "relay"};
  Link consumer_link_{*this, "worker"};
  Link inspector_{*this, "counts"};

  // The worker's strand only.
  std::uint64_t generation_ = 0;  // of consumers_; deliveries of older ones are not acknowledged
  std::shared_ptr<amqp::Connection> consuming_on_;
  std::map<std::string, std::shared_ptr<amqp::Consumer>, std::less<>> consumers_;  // by RabbitMQ queue
  std::deque<Buffered> buffer_;
  std::optional<boost::asio::steady_timer> arrived_;  // cancelled when a delivery arrives or a pump ends
  std::string consumer_failure_;                      // why a consumer of this generation ended
  int pumps_ = 0;
  db::repositories::JobRepository::Reaped dead_lettered_;
};

}  // namespace parley::jobs
