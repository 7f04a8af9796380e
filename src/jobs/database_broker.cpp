#include "jobs/database_broker.hpp"

namespace parley::jobs {

using boost::asio::awaitable;
using db::repositories::ClaimedJob;
using db::repositories::FailOutcome;
using db::repositories::JobRepository;
using db::repositories::QueueCounts;

awaitable<std::vector<ClaimedJob>> DatabaseBroker::claim(const std::string& worker, std::span<const std::string> queues,
                                                         int limit, std::chrono::milliseconds lease,
                                                         std::chrono::milliseconds) {
  co_return co_await repository_.claim(database_, worker, queues, limit, seconds(lease));
}

awaitable<bool> DatabaseBroker::complete(const std::string& worker, const ClaimedJob& job) {
  co_return co_await repository_.complete(database_, job.id, worker, job.attempts);
}

awaitable<FailOutcome> DatabaseBroker::fail(const std::string& worker, const ClaimedJob& job, std::string_view error,
                                            std::chrono::milliseconds retry_delay) {
  co_return co_await repository_.fail(database_, job.id, worker, job.attempts, error, seconds(retry_delay));
}

awaitable<void> DatabaseBroker::heartbeat(const std::string& worker, std::span<const ClaimedJob>,
                                          std::chrono::milliseconds lease) {
  co_await repository_.heartbeat(database_, worker, seconds(lease));
}

awaitable<JobRepository::Reaped> DatabaseBroker::reap_expired(const std::string&, std::span<const std::string>,
                                                              std::chrono::milliseconds) {
  co_return co_await repository_.reap_expired(database_);
}

awaitable<std::int64_t> DatabaseBroker::requeue(const std::string& worker, std::span<const ClaimedJob>) {
  co_return co_await repository_.requeue_worker(database_, worker);
}

awaitable<std::vector<QueueCounts>> DatabaseBroker::counts() { co_return co_await repository_.counts(database_); }

}  // namespace parley::jobs
