#include "jobs/redis_broker.hpp"

#include <spdlog/logger.h>

#include <charconv>
#include <map>

#include "redis/client.hpp"
#include "redis/reply.hpp"

namespace parley::jobs {

namespace asio = boost::asio;
using asio::awaitable;
using db::repositories::ClaimedJob;
using db::repositories::JobRepository;
using db::repositories::QueueCounts;
using db::repositories::ReturnedJob;

namespace {

constexpr std::string_view kGroup = "workers";
// Stream keys are <prefix>:jobs:<queue>.
constexpr std::string_view kJobsInfix = ":jobs:";

std::optional<std::int64_t> to_int(std::string_view text) {
  std::int64_t value = 0;
  auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec != std::errc{} || end != text.data() + text.size()) return std::nullopt;
  return value;
}

// An entry's fields as the relay wrote them; nullopt for an entry that is not a job (deleted
// while pending, or written by something else).
std::optional<ClaimedJob> job_of_entry(std::string_view queue, const redis::Reply& entry) {
  if (!entry.is_array() || entry.elements.size() != 2 || !entry.elements[1].is_array()) return std::nullopt;
  std::map<std::string_view, std::string_view> fields;
  const auto& values = entry.elements[1].elements;
  for (std::size_t i = 0; i + 1 < values.size(); i += 2) fields[values[i].text] = values[i + 1].text;
  auto field_int = [&](std::string_view name) -> std::optional<std::int64_t> {
    auto it = fields.find(name);
    return it == fields.end() ? std::nullopt : to_int(it->second);
  };
  auto id = field_int("id");
  auto attempts = field_int("attempts");
  auto max_attempts = field_int("max_attempts");
  auto backoff = field_int("backoff_ms");
  auto timeout = field_int("timeout_ms");
  auto priority = field_int("priority");
  auto waited_ms = field_int("waited_ms");
  if (!id || !attempts || !max_attempts || !backoff || !timeout || !priority || !waited_ms ||
      !fields.contains("task") || !fields.contains("payload")) {
    return std::nullopt;
  }
  // Time spent in the stream: now minus the entry id's milliseconds (the Redis clock when it was
  // added; clocks agree within their NTP skew).
  const std::string_view entry_id = entry.elements[0].text;
  const auto added_ms = to_int(entry_id.substr(0, entry_id.find('-'))).value_or(0);
  const auto now_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                          std::chrono::system_clock::now().time_since_epoch())
                          .count();
  const double in_stream = added_ms > 0 ? std::max<double>(0, static_cast<double>(now_ms - added_ms)) / 1000.0 : 0;
  return ClaimedJob{.id = *id,
                    .queue = std::string(queue),
                    .task = std::string(fields["task"]),
                    .payload_json = std::string(fields["payload"]),
                    .attempts = static_cast<int>(*attempts),
                    .max_attempts = static_cast<int>(*max_attempts),
                    .backoff_ms = *backoff,
                    .timeout_ms = *timeout,
                    .waited_seconds = static_cast<double>(*waited_ms) / 1000.0 + in_stream,
                    .priority = static_cast<int>(*priority),
                    .traceparent = fields.contains("traceparent")
                                       ? std::optional<std::string>(std::string(fields["traceparent"]))
                                       : std::nullopt,
                    .receipt = std::string(entry_id)};
}

}  // namespace

RedisBroker::RedisBroker(db::Database& database, const TaskRegistry& registry, std::shared_ptr<redis::Client> client,
                         std::shared_ptr<redis::Client> blocking, RedisBrokerOptions options, spdlog::logger& logger,
                         asio::any_io_executor executor)
    : RelayingBroker(database, registry, std::move(options.relay), logger, std::move(executor)),
      client_(std::move(client)),
      blocking_(std::move(blocking)),
      prefix_(std::move(options.prefix)) {}

RedisBroker::~RedisBroker() = default;

std::vector<std::string> RedisBroker::streams_of(std::span<const std::string> queues) const {
  return queues.empty() ? registry_.queues() : std::vector<std::string>(queues.begin(), queues.end());
}

awaitable<void> RedisBroker::ensure_groups(const std::vector<std::string>& queues) {
  std::vector<std::vector<std::string>> commands;
  std::vector<std::string> missing;
  {
    std::lock_guard lock(groups_mutex_);
    for (const auto& queue : queues) {
      if (groups_.contains(queue)) continue;
      missing.push_back(queue);
      // From the start of the stream ("0"): entries relayed before the group existed are jobs too.
      commands.push_back({"XGROUP", "CREATE", stream(queue), std::string(kGroup), "0", "MKSTREAM"});
    }
  }
  if (commands.empty()) co_return;
  auto replies = co_await client_->pipeline(commands);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    if (replies[i].is_error() && replies[i].error_code() != "BUSYGROUP") replies[i].throw_if_error();
  }
  std::lock_guard lock(groups_mutex_);
  groups_.insert(missing.begin(), missing.end());
}

// --- The relay --------------------------------------------------------------------------------

awaitable<int> RedisBroker::relay_once() {
  auto jobs = co_await claim_batch();
  if (jobs.empty()) co_return 0;
  std::vector<std::string> queues;
  for (const auto& job : jobs) {
    if (std::find(queues.begin(), queues.end(), job.queue) == queues.end()) queues.push_back(job.queue);
  }
  std::vector<std::vector<std::string>> commands;
  std::vector<std::int64_t> ids;
  commands.reserve(jobs.size());
  for (const auto& job : jobs) {
    commands.push_back({"XADD", stream(job.queue), "*", "id", std::to_string(job.id), "task", job.task, "payload",
                        job.payload_json, "attempts", std::to_string(job.attempts), "max_attempts",
                        std::to_string(job.max_attempts), "backoff_ms", std::to_string(job.backoff_ms), "timeout_ms",
                        std::to_string(job.timeout_ms), "priority", std::to_string(job.priority), "waited_ms",
                        std::to_string(static_cast<std::int64_t>(job.waited_seconds * 1000))});
    if (job.traceparent) {
      commands.back().push_back("traceparent");
      commands.back().push_back(*job.traceparent);
    }
    ids.push_back(job.id);
  }
  // The entries Redis appended are handed over; the rest go back to their queue.
  std::vector<std::int64_t> appended;
  std::string failure;
  try {
    co_await ensure_groups(queues);
    auto replies = co_await client_->pipeline(commands);
    for (std::size_t i = 0; i < replies.size() && i < ids.size(); ++i) {
      if (!replies[i].is_error()) {
        appended.push_back(ids[i]);
      } else if (failure.empty()) {
        failure = replies[i].text;
      }
    }
  } catch (const std::exception& e) {
    failure = e.what();
  }
  co_await settle_batch(appended, jobs.size(), failure);
  co_return static_cast<int>(jobs.size());
}

// --- The worker's side ------------------------------------------------------------------------

awaitable<std::vector<ClaimedJob>> RedisBroker::claim(const std::string& worker, std::span<const std::string> queues,
                                                      int limit, std::chrono::milliseconds,
                                                      std::chrono::milliseconds wait) {
  const auto names = streams_of(queues);
  std::vector<ClaimedJob> jobs;
  if (names.empty() || limit <= 0) co_return jobs;
  co_await ensure_groups(names);
  std::vector<std::string> command{"XREADGROUP", "GROUP", std::string(kGroup), worker, "COUNT",
                                   std::to_string(limit), "BLOCK", std::to_string(std::max<std::int64_t>(wait.count(), 1)),
                                   "STREAMS"};
  for (const auto& queue : names) command.push_back(stream(queue));
  for (std::size_t i = 0; i < names.size(); ++i) command.push_back(">");
  auto reply = co_await blocking_->command(command);
  if (reply.is_error() && reply.error_code() == "NOGROUP") {
    // The streams went away (a flushed Redis): create them again at the next claim.
    std::lock_guard lock(groups_mutex_);
    groups_.clear();
    co_return jobs;
  }
  reply.throw_if_error();
  if (!reply.is_array()) co_return jobs;  // nil: nothing arrived within `wait`
  std::vector<std::vector<std::string>> discard;
  for (const auto& per_stream : reply.elements) {
    if (!per_stream.is_array() || per_stream.elements.size() != 2) continue;
    const std::string& key = per_stream.elements[0].text;
    const std::string_view queue = std::string_view(key).substr(prefix_.size() + kJobsInfix.size());
    for (const auto& entry : per_stream.elements[1].elements) {
      if (auto job = job_of_entry(queue, entry)) {
        jobs.push_back(std::move(*job));
      } else if (entry.is_array() && !entry.elements.empty()) {
        logger_.error("jobs: stream {} entry {} is not a job; dropped", key, entry.elements[0].text);
        discard.push_back({"XACK", key, std::string(kGroup), entry.elements[0].text});
        discard.push_back({"XDEL", key, entry.elements[0].text});
      }
    }
  }
  if (!discard.empty()) co_await client_->pipeline(discard);
  co_return jobs;
}

awaitable<bool> RedisBroker::acknowledge(const ClaimedJob& job) {
  const std::vector<std::vector<std::string>> commands{{"XACK", stream(job.queue), std::string(kGroup), job.receipt},
                                                       {"XDEL", stream(job.queue), job.receipt}};
  auto replies = co_await client_->pipeline(commands);
  replies[0].throw_if_error();
  co_return replies[0].integer == 1;
}

awaitable<bool> RedisBroker::complete(const std::string&, const ClaimedJob& job) {
  co_return co_await acknowledge(job);
}

awaitable<bool> RedisBroker::give_back(const ReturnedJob& returned) {
  // The table first: should the acknowledgement fail, the entry is taken back after a lease and
  // returned once more, which the table refuses (the same id is there): nothing is lost or doubled.
  const bool written = co_await repository_.return_job(database_, returned);
  co_await acknowledge(returned.job);
  co_return written;
}

awaitable<void> RedisBroker::heartbeat(const std::string& worker, std::span<const ClaimedJob> running,
                                       std::chrono::milliseconds) {
  // XCLAIM with a minimum idle time of 0 and JUSTID resets the idle time of the entries: they do
  // not look abandoned to the other workers' XAUTOCLAIM.
  std::map<std::string, std::vector<std::string>> by_stream;
  for (const auto& job : running) by_stream[stream(job.queue)].push_back(job.receipt);
  std::vector<std::vector<std::string>> commands;
  for (auto& [key, ids] : by_stream) {
    std::vector<std::string> command{"XCLAIM", key, std::string(kGroup), worker, "0"};
    command.insert(command.end(), ids.begin(), ids.end());
    command.push_back("JUSTID");
    commands.push_back(std::move(command));
  }
  if (commands.empty()) co_return;
  auto replies = co_await client_->pipeline(commands);
  for (const auto& reply : replies) reply.throw_if_error();
}

awaitable<JobRepository::Reaped> RedisBroker::reap_expired(const std::string& worker,
                                                           std::span<const std::string> queues,
                                                           std::chrono::milliseconds lease) {
  JobRepository::Reaped reaped;
  const auto names = streams_of(queues);
  if (names.empty()) co_return reaped;
  co_await ensure_groups(names);
  std::vector<std::vector<std::string>> commands;
  for (const auto& queue : names) {
    commands.push_back({"XAUTOCLAIM", stream(queue), std::string(kGroup), worker, std::to_string(lease.count()), "0-0",
                        "COUNT", "100"});
  }
  auto replies = co_await client_->pipeline(commands);
  for (std::size_t i = 0; i < replies.size(); ++i) {
    const auto& reply = replies[i];
    if (reply.is_error() && reply.error_code() == "NOGROUP") continue;
    reply.throw_if_error();
    if (!reply.is_array() || reply.elements.size() < 2) continue;
    for (const auto& entry : reply.elements[1].elements) {
      auto job = job_of_entry(names[i], entry);
      if (!job) continue;
      const bool dead = job->attempts >= job->max_attempts;
      const ReturnedJob returned{
          .job = *job,
          .dead = dead,
          .attempts = job->attempts,
          .delay_seconds = 0,
          .error = "the worker running it stopped renewing its lease (it stopped or hung)"};
      if (!co_await give_back(returned)) continue;
      if (dead) {
        reaped.dead_tasks.push_back(job->task);
      } else {
        ++reaped.requeued;
      }
    }
    // Entries deleted while pending (Redis 7 lists their ids third): nothing to run, acknowledge.
    if (reply.elements.size() >= 3) {
      for (const auto& id : reply.elements[2].elements) {
        const std::vector<std::string> ack{"XACK", stream(names[i]), std::string(kGroup), id.text};
        co_await client_->command(ack);
      }
    }
  }
  co_return reaped;
}

awaitable<std::vector<QueueCounts>> RedisBroker::counts() {
  auto counts = co_await repository_.counts(database_);
  // Every job stream, also of queues this process has no task for (`parley jobs stats`).
  std::vector<std::string> keys;
  std::string cursor = "0";
  do {
    const std::vector<std::string> scan{"SCAN", cursor, "MATCH", prefix_ + ":jobs:*", "TYPE", "stream",
                                        "COUNT", "1000"};
    auto page = co_await client_->command(scan);
    page.throw_if_error();
    if (!page.is_array() || page.elements.size() != 2) break;
    cursor = page.elements[0].text;
    for (const auto& key : page.elements[1].elements) keys.push_back(key.text);
  } while (cursor != "0");
  std::vector<std::vector<std::string>> commands;
  for (const auto& key : keys) {
    commands.push_back({"XLEN", key});
    commands.push_back({"XPENDING", key, std::string(kGroup)});
  }
  if (commands.empty()) co_return counts;
  auto replies = co_await client_->pipeline(commands);
  for (std::size_t i = 0; i < keys.size(); ++i) {
    const auto& length = replies[2 * i];
    const auto& pending = replies[2 * i + 1];
    length.throw_if_error();
    const std::int64_t in_stream = length.integer;
    const std::int64_t running =
        pending.is_array() && !pending.elements.empty() ? pending.elements[0].integer : 0;  // NOGROUP: none
    add_counts(counts, keys[i].substr(prefix_.size() + kJobsInfix.size()), std::max<std::int64_t>(in_stream - running, 0),
               running);
  }
  std::sort(counts.begin(), counts.end(), [](const QueueCounts& a, const QueueCounts& b) { return a.queue < b.queue; });
  co_return counts;
}

}  // namespace parley::jobs
