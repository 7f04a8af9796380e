#include "jobs/rabbitmq_broker.hpp"

#include <spdlog/logger.h>

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <charconv>

namespace parley::jobs {

namespace asio = boost::asio;
using asio::awaitable;
using db::repositories::ClaimedJob;
using db::repositories::JobRepository;
using db::repositories::QueueCounts;
using db::repositories::ReturnedJob;

namespace {

constexpr std::uint16_t kDeadPrefetch = 16;

std::int64_t epoch_ms() {
  return std::chrono::duration_cast<std::chrono::milliseconds>(std::chrono::system_clock::now().time_since_epoch())
      .count();
}

// The message the relay publishes for `job`: the payload as its body, the rest in headers.
amqp::Message message_of(const ClaimedJob& job, std::string queue, std::int64_t now_ms) {
  amqp::Message message;
  message.routing_key = std::move(queue);  // the default exchange routes by queue name
  message.body = job.payload_json;
  auto& properties = message.properties;
  properties.content_type = "application/json";
  properties.message_id = std::to_string(job.id);
  properties.type = job.task;
  properties.app_id = "parley";
  properties.timestamp = now_ms / 1000;
  properties.headers = {{"queue", job.queue},
                        {"attempts", job.attempts},
                        {"max_attempts", job.max_attempts},
                        {"backoff_ms", job.backoff_ms},
                        {"timeout_ms", job.timeout_ms},
                        {"priority", job.priority},
                        {"waited_ms", static_cast<std::int64_t>(job.waited_seconds * 1000)},
                        {"relayed_at_ms", now_ms}};
  if (job.traceparent) properties.headers["traceparent"] = *job.traceparent;
  return message;
}

// The job a delivery carries; nullopt for a message that is not one of message_of's.
std::optional<ClaimedJob> job_of(const amqp::Delivery& delivery) {
  const auto& headers = delivery.properties.headers;
  auto integer = [&](std::string_view name) -> std::optional<std::int64_t> {
    const auto* value = headers.if_contains(name);
    if (value == nullptr || !value->is_int64()) return std::nullopt;
    return value->as_int64();
  };
  const auto* queue = headers.if_contains("queue");
  const auto* traceparent = headers.if_contains("traceparent");
  const std::string& message_id = delivery.properties.message_id;
  std::int64_t id = 0;
  const auto [end, ec] = std::from_chars(message_id.data(), message_id.data() + message_id.size(), id);
  auto attempts = integer("attempts");
  auto max_attempts = integer("max_attempts");
  auto backoff = integer("backoff_ms");
  auto timeout = integer("timeout_ms");
  auto priority = integer("priority");
  auto waited = integer("waited_ms");
  auto relayed_at = integer("relayed_at_ms");
  if (ec != std::errc{} || end != message_id.data() + message_id.size() || queue == nullptr || !queue->is_string() ||
      delivery.properties.type.empty() || !attempts || !max_attempts || !backoff || !timeout || !priority ||
      !waited || !relayed_at) {
    return std::nullopt;
  }
  // A quorum queue counts the deliveries of a message whose consumer went away without settling it
  // (x-delivery-count): each was an attempt, as the database broker's reaper counts them.
  const auto crashed = integer("x-delivery-count").value_or(0);
  // Time in RabbitMQ: now minus the relay's clock when it published (clocks agree within their NTP skew).
  const double in_broker = static_cast<double>(std::max<std::int64_t>(epoch_ms() - *relayed_at, 0)) / 1000.0;
  return ClaimedJob{.id = id,
                    .queue = std::string(queue->as_string()),
                    .task = delivery.properties.type,
                    .payload_json = delivery.body,
                    .attempts = static_cast<int>(*attempts + std::max<std::int64_t>(crashed, 0)),
                    .max_attempts = static_cast<int>(*max_attempts),
                    .backoff_ms = *backoff,
                    .timeout_ms = *timeout,
                    .waited_seconds = static_cast<double>(*waited) / 1000.0 + in_broker,
                    .priority = static_cast<int>(*priority),
                    .traceparent = traceparent != nullptr && traceparent->is_string()
                                       ? std::optional<std::string>(std::string(traceparent->as_string()))
                                       : std::nullopt};
}

// A delivery's handle in ClaimedJob::receipt: "<generation> <delivery tag> <queue>".
std::string receipt_of(std::uint64_t generation, std::uint64_t delivery_tag, const std::string& queue) {
  return std::to_string(generation) + ' ' + std::to_string(delivery_tag) + ' ' + queue;
}

struct Receipt {
  std::uint64_t generation = 0;
  std::uint64_t delivery_tag = 0;
  std::string_view queue;
};

std::optional<Receipt> parse_receipt(std::string_view text) {
  Receipt receipt;
  const char* end = text.data() + text.size();
  auto [after_generation, ec1] = std::from_chars(text.data(), end, receipt.generation);
  if (ec1 != std::errc{} || after_generation == end || *after_generation != ' ') return std::nullopt;
  auto [after_tag, ec2] = std::from_chars(after_generation + 1, end, receipt.delivery_tag);
  if (ec2 != std::errc{} || after_tag == end || *after_tag != ' ') return std::nullopt;
  receipt.queue = std::string_view(after_tag + 1, end);
  return receipt;
}

// Publishes every message at once (their confirms overlap: one batch costs about one disk write
// in RabbitMQ, not one per message) and returns which ones RabbitMQ confirmed, and the first failure.
struct Published {
  std::vector<bool> confirmed;
  std::string failure;
};
awaitable<Published> publish_all(std::shared_ptr<amqp::Connection> connection, std::vector<amqp::Message> messages) {
  auto executor = co_await asio::this_coro::executor;
  struct State {
    explicit State(asio::any_io_executor executor, std::size_t count)
        : done(std::move(executor)), left(count), published{std::vector<bool>(count), {}} {}
    asio::steady_timer done;
    std::size_t left;
    Published published;
  };
  auto state = std::make_shared<State>(executor, messages.size());
  for (std::size_t i = 0; i < messages.size(); ++i) {
    // Each publish resumes on this coroutine's executor (a strand): the state needs no lock.
    asio::co_spawn(
        executor,
        [connection, state, i, message = std::move(messages[i])]() mutable -> awaitable<void> {
          try {
            co_await connection->publish(std::move(message));
            state->published.confirmed[i] = true;
          } catch (const std::exception& e) {
            if (state->published.failure.empty()) state->published.failure = e.what();
          }
          if (--state->left == 0) state->done.cancel();
        },
        asio::detached);
  }
  while (state->left > 0) {
    state->done.expires_after(std::chrono::hours(1));
    co_await state->done.async_wait(asio::as_tuple(asio::use_awaitable));
  }
  co_return std::move(state->published);
}

}  // namespace

// --- Connections ------------------------------------------------------------------------------

awaitable<std::shared_ptr<amqp::Connection>> RabbitMqBroker::Link::get() {
  std::shared_ptr<amqp::Connection> current;
  {
    std::lock_guard lock(mutex_);
    current = connection_;
  }
  if (current && current->is_open()) co_return current;
  amqp::ConnectionConfig config = broker_.connection_config_;
  config.connection_name = "parley " + role_ + " (" + broker_.relay_options_.name + ")";
  auto fresh = co_await amqp::Connection::open(config);
  // The dead-letter exchange and its queue, which the job queues name: declared before them.
  amqp::ExchangeOptions fanout;
  fanout.type = amqp::ExchangeType::fanout;
  const std::string dead = broker_.dead_name();
  co_await fresh->declare_exchange(dead, fanout);
  co_await fresh->declare_queue(dead);
  co_await fresh->bind_queue(dead, dead, "");
  std::shared_ptr<amqp::Connection> stale;
  {
    std::lock_guard lock(mutex_);
    if (connection_ && connection_ != current && connection_->is_open()) {
      stale = std::exchange(fresh, connection_);  // another coroutine connected meanwhile: use its connection
    } else {
      stale = std::exchange(connection_, fresh);
      declared_.clear();
    }
  }
  if (stale) {
    if (!stale->failure().empty()) {
      broker_.logger_.warn("jobs: RabbitMQ {} connection reopened after: {}", role_, stale->failure());
    }
    co_await stale->close();
  }
  co_return fresh;
}

awaitable<std::shared_ptr<amqp::Connection>> RabbitMqBroker::Link::get_declared(std::vector<std::string> queues) {
  auto connection = co_await get();
  std::vector<std::string> missing;
  {
    std::lock_guard lock(mutex_);
    for (auto& queue : queues) {
      if (!declared_.contains(queue)) missing.push_back(std::move(queue));
    }
  }
  for (const auto& queue : missing) {
    // Quorum queues: replicated on a cluster, and they count deliveries, so a job whose workers
    // keep dying is dead-lettered instead of redelivered forever.
    amqp::QueueOptions options;
    options.queue_type = "quorum";
    options.dead_letter_exchange = broker_.dead_name();
    options.arguments["x-delivery-limit"] = kDeliveryLimit;
    co_await connection->declare_queue(queue, options);
  }
  std::lock_guard lock(mutex_);
  if (connection_ == connection) declared_.insert(missing.begin(), missing.end());
  co_return connection;
}

awaitable<void> RabbitMqBroker::Link::close() {
  std::shared_ptr<amqp::Connection> connection;
  {
    std::lock_guard lock(mutex_);
    connection = std::exchange(connection_, nullptr);
    declared_.clear();
  }
  if (connection) co_await connection->close();
}

RabbitMqBroker::RabbitMqBroker(db::Database& database, const TaskRegistry& registry,
                               amqp::ConnectionConfig connection, RabbitMqBrokerOptions options,
                               spdlog::logger& logger, asio::any_io_executor executor)
    : RelayingBroker(database, registry, std::move(options.relay), logger, std::move(executor)),
      connection_config_(std::move(connection)),
      prefix_(std::move(options.prefix)),
      prefetch_(options.prefetch) {}

RabbitMqBroker::~RabbitMqBroker() = default;

std::vector<std::string> RabbitMqBroker::queues_of(std::span<const std::string> queues) const {
  std::vector<std::string> names = queues.empty() ? registry_.queues() : std::vector<std::string>(queues.begin(), queues.end());
  for (auto& name : names) name = queue_name(name);
  return names;
}

// --- The relay --------------------------------------------------------------------------------

awaitable<int> RabbitMqBroker::relay_once() {
  auto jobs = co_await claim_batch();
  if (jobs.empty()) co_return 0;
  std::vector<std::int64_t> published;
  std::string failure;
  try {
    std::vector<std::string> queues;
    for (const auto& job : jobs) {
      auto name = queue_name(job.queue);
      if (std::find(queues.begin(), queues.end(), name) == queues.end()) queues.push_back(std::move(name));
    }
    auto connection = co_await publisher_.get_declared(std::move(queues));
    const auto now_ms = epoch_ms();
    std::vector<amqp::Message> messages;
    messages.reserve(jobs.size());
    for (const auto& job : jobs) messages.push_back(message_of(job, queue_name(job.queue), now_ms));
    auto outcome = co_await publish_all(std::move(connection), std::move(messages));
    for (std::size_t i = 0; i < jobs.size(); ++i) {
      if (outcome.confirmed[i]) published.push_back(jobs[i].id);
    }
    failure = std::move(outcome.failure);
  } catch (const std::exception& e) {
    failure = e.what();
  }
  co_await settle_batch(published, jobs.size(), failure);
  co_return static_cast<int>(jobs.size());
}

// --- The worker's side (its strand) -----------------------------------------------------------

awaitable<void> RabbitMqBroker::ensure_consuming(const std::vector<std::string>& queues) {
  const bool usable = consuming_on_ && consuming_on_->is_open() && consumer_failure_.empty();
  if (!usable) {
    if (!consumer_failure_.empty()) logger_.warn("jobs: RabbitMQ consumers restarted after: {}", consumer_failure_);
    co_await stop_consuming();
  }
  std::vector<std::string> missing;
  for (const auto& queue : queues) {
    if (!consumers_.contains(queue)) missing.push_back(queue);
  }
  if (!consumers_.contains(dead_name())) missing.push_back(dead_name());
  if (missing.empty()) co_return;
  auto connection = co_await consumer_link_.get_declared(queues);
  if (connection != consuming_on_) {
    co_await stop_consuming();  // every consumer belongs to the connection of its generation
    consuming_on_ = connection;
    missing = queues;
    missing.push_back(dead_name());
  }
  const auto executor = co_await asio::this_coro::executor;
  for (const auto& queue : missing) {
    amqp::ConsumeOptions options;
    options.prefetch = queue == dead_name() ? kDeadPrefetch : prefetch_;
    auto consumer = co_await connection->consume(queue, options);
    consumers_[queue] = consumer;
    ++pumps_;
    asio::co_spawn(executor, pump(std::move(consumer), queue, generation_), asio::detached);
  }
}

awaitable<void> RabbitMqBroker::stop_consuming() {
  // Deliveries buffered, running or on the wire from the old consumers are not acknowledged:
  // RabbitMQ delivers them again once their channel closes.
  ++generation_;
  buffer_.clear();
  consumer_failure_.clear();
  auto consumers = std::exchange(consumers_, {});
  for (auto& [queue, consumer] : consumers) {
    try {
      co_await consumer->cancel();
    } catch (const std::exception& e) {
      logger_.debug("jobs: cancelling the RabbitMQ consumer of {}: {}", queue, e.what());
    }
  }
  consuming_on_.reset();
}

awaitable<void> RabbitMqBroker::pump(std::shared_ptr<amqp::Consumer> consumer, std::string queue,
                                     std::uint64_t generation) {
  try {
    while (auto delivery = co_await consumer->next()) {
      if (generation != generation_) break;
      buffer_.push_back(Buffered{.generation = generation, .queue = queue, .delivery = std::move(*delivery)});
      arrived_->cancel();
    }
  } catch (const std::exception& e) {
    if (generation == generation_ && consumer_failure_.empty()) consumer_failure_ = e.what();
  }
  --pumps_;
  arrived_->cancel();
}

awaitable<std::vector<ClaimedJob>> RabbitMqBroker::claim(const std::string&, std::span<const std::string> queues,
                                                         int limit, std::chrono::milliseconds,
                                                         std::chrono::milliseconds wait) {
  std::vector<ClaimedJob> jobs;
  const auto names = queues_of(queues);
  if (names.empty() || limit <= 0) co_return jobs;
  if (!arrived_) arrived_.emplace(co_await asio::this_coro::executor);
  co_await ensure_consuming(names);
  if (buffer_.empty() && consumer_failure_.empty()) {
    arrived_->expires_after(wait);
    co_await arrived_->async_wait(asio::as_tuple(asio::use_awaitable));
  }
  while (!buffer_.empty() && std::ssize(jobs) < limit) {
    Buffered next = std::move(buffer_.front());
    buffer_.pop_front();
    if (next.generation != generation_) continue;
    const std::string receipt = receipt_of(next.generation, next.delivery.delivery_tag, next.queue);
    auto job = job_of(next.delivery);
    if (next.queue == dead_name()) {
      if (!job) {
        logger_.error("jobs: dropped a message of {} that is not a job (message id '{}', {} bytes)", next.queue,
                      next.delivery.properties.message_id, next.delivery.body.size());
        co_await settle(receipt);
        continue;
      }
      job->receipt = receipt;
      const ReturnedJob returned{
          .job = *job,
          .dead = true,
          .attempts = job->attempts,
          .delay_seconds = 0,
          .error = "RabbitMQ dead-lettered it after " + std::to_string(kDeliveryLimit) +
                   " deliveries: the workers running it kept stopping before it ended"};
      if (co_await give_back(returned)) dead_lettered_.dead_tasks.push_back(job->task);
      continue;
    }
    if (!job) {
      logger_.error("jobs: a message of {} is not a job (message id '{}'); rejected to {}", next.queue,
                    next.delivery.properties.message_id, dead_name());
      co_await settle(receipt, /*reject=*/true);
      continue;
    }
    job->receipt = receipt;
    if (next.delivery.redelivered && job->attempts > job->max_attempts) {
      // Its workers died on its last attempt: a dead letter, as the database broker's reaper makes it.
      const ReturnedJob returned{.job = *job,
                                 .dead = true,
                                 .attempts = job->max_attempts,
                                 .delay_seconds = 0,
                                 .error = "the workers running it stopped before it ended"};
      if (co_await give_back(returned)) dead_lettered_.dead_tasks.push_back(job->task);
      continue;
    }
    if (next.delivery.redelivered) ++dead_lettered_.requeued;  // taken back from a worker that went away
    jobs.push_back(std::move(*job));
  }
  co_return jobs;
}

awaitable<bool> RabbitMqBroker::settle(const std::string& receipt, bool reject) {
  const auto parsed = parse_receipt(receipt);
  if (!parsed || parsed->generation != generation_) co_return false;
  const auto it = consumers_.find(parsed->queue);
  if (it == consumers_.end()) co_return false;
  const std::shared_ptr<amqp::Consumer> consumer = it->second;  // consumers_ may change while this awaits
  if (reject) {
    co_await consumer->reject(parsed->delivery_tag, /*requeue=*/false);
  } else {
    co_await consumer->ack(parsed->delivery_tag);
  }
  co_return true;
}

awaitable<bool> RabbitMqBroker::complete(const std::string&, const ClaimedJob& job) {
  co_return co_await settle(job.receipt);
}

awaitable<bool> RabbitMqBroker::give_back(const ReturnedJob& returned) {
  const auto parsed = parse_receipt(returned.job.receipt);
  // A delivery of a connection that is gone comes again: returning it as well would run it twice.
  if (!parsed || parsed->generation != generation_) co_return false;
  // The table first: should the acknowledgement fail, RabbitMQ delivers the job again, which the
  // table then refuses to take twice (the same id is there): nothing is lost or doubled.
  const bool written = co_await repository_.return_job(database_, returned);
  co_await settle(returned.job.receipt);
  co_return written;
}

awaitable<JobRepository::Reaped> RabbitMqBroker::reap_expired(const std::string&, std::span<const std::string>,
                                                              std::chrono::milliseconds) {
  co_return std::exchange(dead_lettered_, {});
}

awaitable<void> RabbitMqBroker::stop() {
  co_await RelayingBroker::stop();
  if (arrived_) {
    // Jobs received and not started go back to the table uncounted; left to RabbitMQ, they would
    // come back as deliveries of a dead connection and count towards the delivery limit.
    auto buffered = std::exchange(buffer_, {});
    for (auto& entry : buffered) {
      if (entry.generation != generation_ || entry.queue == dead_name()) continue;
      auto job = job_of(entry.delivery);
      if (!job) continue;
      job->receipt = receipt_of(entry.generation, entry.delivery.delivery_tag, entry.queue);
      const ReturnedJob returned{.job = *job, .dead = false, .attempts = job->attempts - 1, .delay_seconds = 0};
      try {
        co_await give_back(returned);
      } catch (const std::exception& e) {
        logger_.warn("jobs: job {} not returned to the table at shutdown (RabbitMQ delivers it again): {}", job->id,
                     e.what());
      }
    }
    co_await stop_consuming();
    co_await consumer_link_.close();
    while (pumps_ > 0) {  // each ends once its consumer has (cancelled, or its connection closed)
      arrived_->expires_after(std::chrono::seconds(1));
      co_await arrived_->async_wait(asio::as_tuple(asio::use_awaitable));
    }
  }
  co_await publisher_.close();
  co_await inspector_.close();
}

awaitable<std::vector<QueueCounts>> RabbitMqBroker::counts() {
  auto counts = co_await repository_.counts(database_);
  // The queues of this build's tasks and of the table's jobs (`parley jobs stats` has no tasks).
  std::vector<std::string> queues = registry_.queues();
  for (const auto& c : counts) {
    if (std::find(queues.begin(), queues.end(), c.queue) == queues.end()) queues.push_back(c.queue);
  }
  if (queues.empty()) co_return counts;
  auto connection = co_await inspector_.get();
  for (const auto& queue : queues) {
    amqp::QueueInfo info;
    try {
      info = co_await connection->inspect_queue(queue_name(queue));
    } catch (const amqp::Error& e) {
      if (e.kind() == amqp::ErrorKind::channel_error && e.reply_code() == 404) continue;  // nothing relayed yet
      throw;
    }
    add_counts(counts, queue, info.messages, 0);
  }
  std::sort(counts.begin(), counts.end(), [](const QueueCounts& a, const QueueCounts& b) { return a.queue < b.queue; });
  co_return counts;
}

}  // namespace parley::jobs
