#include "jobs/relaying_broker.hpp"

#include <algorithm>
#include <stdexcept>

namespace parley::jobs {

namespace asio = boost::asio;
using asio::awaitable;
using db::repositories::ClaimedJob;
using db::repositories::FailOutcome;
using db::repositories::QueueCounts;
using db::repositories::ReturnedJob;
using Clock = std::chrono::steady_clock;

RelayingBroker::RelayingBroker(db::Database& database, const TaskRegistry& registry, RelayOptions relay,
                               spdlog::logger& logger, asio::any_io_executor executor)
    : database_(database),
      registry_(registry),
      relay_options_(std::move(relay)),
      logger_(logger),
      repository_(database.dialect()),
      relay_("jobs relay", [this] { return relay_pass(); }, std::move(executor), logger,
             relay_options_.poll_interval) {}

void RelayingBroker::start() { relay_.start(); }

void RelayingBroker::wake() { relay_.wake(); }

awaitable<void> RelayingBroker::stop() { co_await relay_.stop(); }

awaitable<std::int64_t> RelayingBroker::relay_pass() {
  if (Clock::now() >= next_reap_) {
    next_reap_ = Clock::now() + std::max<Clock::duration>(relay_options_.lease / 2, std::chrono::seconds(1));
    co_await repository_.reap_expired(database_);
  }
  co_return co_await relay_once();
}

awaitable<std::vector<ClaimedJob>> RelayingBroker::claim_batch() {
  co_return co_await repository_.claim(database_, relay_options_.name, {}, relay_options_.batch,
                                       std::chrono::duration<double>(relay_options_.lease).count());
}

awaitable<void> RelayingBroker::settle_batch(std::span<const std::int64_t> handed_over, std::size_t claimed,
                                            const std::string& failure) {
  if (!handed_over.empty()) co_await repository_.remove_relayed(database_, handed_over, relay_options_.name);
  if (handed_over.size() == claimed) co_return;
  co_await repository_.requeue_worker(database_, relay_options_.name);
  throw std::runtime_error(std::to_string(claimed - handed_over.size()) + " of " + std::to_string(claimed) +
                           " jobs not handed over: " + failure);
}

awaitable<FailOutcome> RelayingBroker::fail(const std::string&, const ClaimedJob& job, std::string_view error,
                                            std::chrono::milliseconds retry_delay) {
  const bool dead = job.attempts >= job.max_attempts;
  const ReturnedJob returned{.job = job,
                             .dead = dead,
                             .attempts = job.attempts,
                             .delay_seconds = std::chrono::duration<double>(retry_delay).count(),
                             .error = std::string(error)};
  if (!co_await give_back(returned)) co_return FailOutcome::lost;
  co_return dead ? FailOutcome::dead : FailOutcome::retried;
}

awaitable<std::int64_t> RelayingBroker::requeue(const std::string&, std::span<const ClaimedJob> running) {
  std::int64_t requeued = 0;
  for (const auto& job : running) {
    const ReturnedJob returned{.job = job, .dead = false, .attempts = job.attempts - 1, .delay_seconds = 0};
    if (co_await give_back(returned)) ++requeued;
  }
  co_return requeued;
}

void RelayingBroker::add_counts(std::vector<QueueCounts>& counts, const std::string& queue, std::int64_t waiting,
                                std::int64_t running) {
  // (The caller sorts once it has added every queue.)
  if (waiting == 0 && running == 0) return;
  auto it = std::find_if(counts.begin(), counts.end(), [&](const QueueCounts& c) { return c.queue == queue; });
  if (it == counts.end()) it = counts.insert(counts.end(), QueueCounts{.queue = queue});
  it->queued += waiting;
  it->due += waiting;
  it->running += running;
}

}  // namespace parley::jobs
