#include "jobs/worker.hpp"
#include "core/trace_executor.hpp"

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/gauge.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>
#include <spdlog/logger.h>
#include <unistd.h>
#include <boost/asio/as_tuple.hpp>
#include <boost/asio/bind_cancellation_slot.hpp>
#include <boost/asio/cancellation_signal.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/this_coro.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/json/parse.hpp>

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <map>
#include <mutex>

#include "auth/tokens.hpp"
#include "core/error.hpp"

namespace parley::jobs {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;
using db::repositories::ClaimedJob;
using db::repositories::FailOutcome;
using Clock = std::chrono::steady_clock;

std::string default_worker_name() {
  std::array<char, 256> host{};
  if (gethostname(host.data(), host.size() - 1) != 0) host[0] = '\0';
  return std::string(host.data()) + ":" + std::to_string(getpid()) + ":" + auth::random_token(4);
}

// Counters and histograms by task or queue: both are bounded (the registry's tasks, their queues).
struct Worker::Metrics {
  prometheus::Family<prometheus::Counter>& finished;
  prometheus::Family<prometheus::Histogram>& duration;
  prometheus::Family<prometheus::Histogram>& wait;
  prometheus::Family<prometheus::Gauge>& depth;
  prometheus::Gauge& running;
  prometheus::Counter& reaped;
  std::mutex mutex;  // the families create children lazily; the gauges are set from one loop

  explicit Metrics(prometheus::Registry& registry)
      : finished(prometheus::BuildCounter()
                     .Name("parley_jobs_finished_total")
                     .Help("Job attempts by task and outcome (succeeded, retried, dead, lost)")
                     .Register(registry)),
        duration(prometheus::BuildHistogram()
                     .Name("parley_job_run_seconds")
                     .Help("How long one attempt of a task ran")
                     .Register(registry)),
        wait(prometheus::BuildHistogram()
                 .Name("parley_job_wait_seconds")
                 .Help("From a job being due to a worker claiming it, by queue")
                 .Register(registry)),
        depth(prometheus::BuildGauge()
                  .Name("parley_jobs")
                  .Help("Jobs in the broker by queue and state (due, scheduled, retrying, running, dead), "
                        "as last counted by this worker")
                  .Register(registry)),
        running(prometheus::BuildGauge()
                    .Name("parley_worker_jobs_running")
                    .Help("Jobs this worker runs now")
                    .Register(registry)
                    .Add({})),
        reaped(prometheus::BuildCounter()
                   .Name("parley_jobs_reaped_total")
                   .Help("Jobs taken back from a worker whose lease ran out")
                   .Register(registry)
                   .Add({})) {}

  void count(const std::string& task, const char* outcome) {
    std::lock_guard lock(mutex);
    finished.Add({{"task", task}, {"outcome", outcome}}).Increment();
  }
  void observe_run(const std::string& task, double seconds) {
    static const prometheus::Histogram::BucketBoundaries kBuckets{0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 15, 60, 300};
    std::lock_guard lock(mutex);
    duration.Add({{"task", task}}, kBuckets).Observe(seconds);
  }
  void observe_wait(const std::string& queue, double seconds) {
    static const prometheus::Histogram::BucketBoundaries kBuckets{0.01, 0.05, 0.1, 0.5, 1, 5, 30, 60, 300, 1800};
    std::lock_guard lock(mutex);
    wait.Add({{"queue", queue}}, kBuckets).Observe(seconds < 0 ? 0 : seconds);
  }
  void set_depth(const std::string& queue, const char* state, std::int64_t n) {
    std::lock_guard lock(mutex);
    depth.Add({{"queue", queue}, {"state", state}}).Set(static_cast<double>(n));
  }
};

// One attempt in progress: the task's coroutine runs apart from run(), which waits for it or for
// the timeout, whichever comes first. Shared by both; touched only on the strand.
struct Worker::Run {
  explicit Run(asio::any_io_executor executor, JobContext context)
      : timer(std::move(executor)), context(std::move(context)) {}
  asio::steady_timer timer;
  JobContext context;
  asio::cancellation_signal cancel;
  bool done = false;
  std::exception_ptr error;
};

Worker::Worker(db::Database& database, Broker& broker, const TaskRegistry& registry, WorkerOptions options,
               prometheus::Registry& metrics, spdlog::logger& logger, asio::any_io_executor executor)
    : database_(database),
      registry_(registry),
      options_(std::move(options)),
      logger_(logger),
      metrics_(std::make_unique<Metrics>(metrics)),
      broker_(broker),
      strand_(asio::make_strand(std::move(executor))),
      wake_timer_(strand_),
      heartbeat_timer_(strand_),
      gauge_timer_(strand_),
      drained_timer_(strand_),
      jitter_(std::random_device{}()) {
  if (options_.name.empty()) options_.name = default_worker_name();
  options_.concurrency = std::max(options_.concurrency, 1);
}

Worker::~Worker() = default;

void Worker::start() {
  broker_.start();
  loops_running_ = 3;
  asio::co_spawn(strand_, claim_loop(), asio::detached);
  asio::co_spawn(strand_, heartbeat_loop(), asio::detached);
  asio::co_spawn(strand_, gauge_loop(), asio::detached);
  logger_.info("worker {} started: broker {}, queues {}, concurrency {}", options_.name, broker_.name(),
               options_.queues.empty() ? std::string("(all)") : fmt::format("{}", fmt::join(options_.queues, ",")),
               options_.concurrency);
}

void Worker::wake() {
  broker_.wake();
  asio::post(strand_, [this] {
    wake_pending_ = true;
    wake_timer_.cancel();
  });
}

awaitable<void> Worker::claim_loop() {
  const auto reap_every = std::max<Clock::duration>(options_.lease / 2, std::chrono::milliseconds(500));
  auto next_reap = Clock::now();
  int failures = 0;
  while (!stopping_) {
    // Cleared before looking, so a wake-up that arrives while this pass awaits is not lost, and
    // one that this pass serves does not spin the loop.
    wake_pending_ = false;
    auto wait_for = options_.poll_interval;
    try {
      if (Clock::now() >= next_reap) {
        next_reap = Clock::now() + reap_every;
        auto reaped = co_await broker_.reap_expired(options_.name, options_.queues, options_.lease);
        // Counted as reaped whether requeued or dead; the dead ones also by task.
        metrics_->reaped.Increment(static_cast<double>(reaped.requeued + std::ssize(reaped.dead_tasks)));
        for (const auto& task : reaped.dead_tasks) metrics_->count(task, "dead");
        if (reaped.requeued > 0) {
          logger_.warn("jobs: {} job(s) taken back from a worker whose lease ran out", reaped.requeued);
        }
        if (!reaped.dead_tasks.empty()) {
          logger_.error("jobs: {} job(s) went dead when their worker's lease ran out on the last attempt",
                        reaped.dead_tasks.size());
        }
      }
      const int free = options_.concurrency - in_flight_;
      // Claim in batches: with jobs running, wait until half the slots are free, so a busy worker
      // spends one claim statement on many jobs instead of one per finished job.
      if (free > 0 && (in_flight_ == 0 || free * 2 >= options_.concurrency)) {
        // A broker that waits for jobs does so here, for at most a second, so a stop is not held up.
        const auto wait = std::min<std::chrono::milliseconds>(options_.poll_interval, std::chrono::seconds(1));
        auto claimed = co_await broker_.claim(options_.name, options_.queues, free, options_.lease, wait);
        failures = 0;
        const auto count = static_cast<int>(claimed.size());
        for (auto& job : claimed) {
          ++in_flight_;
          metrics_->observe_wait(job.queue, job.waited_seconds);
          running_.push_back(job);
          asio::co_spawn(trace::SlotExecutor(strand_, std::make_shared<trace::Slot>()), run(std::move(job)),
                         asio::detached);
        }
        metrics_->running.Set(in_flight_);
        if (count == free || broker_.waits_for_jobs()) continue;  // perhaps more are due
      }
    } catch (const std::exception& e) {
      // The database is down or failing: back off (up to 30 s) instead of spinning.
      ++failures;
      wait_for = failure_backoff(options_.poll_interval, failures);
      if (failures == 1 || failures % 10 == 0)
        logger_.warn("worker {}: cannot claim jobs: {}", options_.name, e.what());
    }
    if (wake_pending_ || stopping_) continue;
    wake_timer_.expires_after(wait_for);
    co_await wake_timer_.async_wait(asio::as_tuple(use_awaitable));
  }
  if (--loops_running_ == 0) drained_timer_.cancel();
}

awaitable<void> Worker::heartbeat_loop() {
  // Running jobs keep their lease through a graceful stop, until they end or are requeued.
  while (!stopping_ || (in_flight_ > 0 && !requeued_)) {
    heartbeat_timer_.expires_after(options_.lease / 3);
    co_await heartbeat_timer_.async_wait(asio::as_tuple(use_awaitable));
    if (stopping_ && in_flight_ == 0) break;
    if (in_flight_ == 0) continue;
    try {
      // A copy: jobs may end while the heartbeat awaits.
      const std::vector<ClaimedJob> running = running_;
      co_await broker_.heartbeat(options_.name, running, options_.lease);
    } catch (const std::exception& e) {
      logger_.warn("worker {}: heartbeat failed (leases run out in {} ms): {}", options_.name, options_.lease.count(),
                   e.what());
    }
  }
  if (--loops_running_ == 0) drained_timer_.cancel();
}

awaitable<void> Worker::gauge_loop() {
  // Counting is a whole-table aggregate: every 15 s is enough for dashboards and alerts.
  std::map<std::string, bool> seen;
  while (!stopping_) {
    try {
      auto counts = co_await broker_.counts();
      for (auto& [queue, present] : seen) present = false;
      for (const auto& c : counts) {
        metrics_->set_depth(c.queue, "due", c.due);
        metrics_->set_depth(c.queue, "scheduled", c.queued - c.due);
        metrics_->set_depth(c.queue, "retrying", c.retrying);
        metrics_->set_depth(c.queue, "running", c.running);
        metrics_->set_depth(c.queue, "dead", c.dead);
        seen[c.queue] = true;
      }
      for (const auto& [queue, present] : seen) {
        if (present) continue;
        for (const char* state : {"due", "scheduled", "retrying", "running", "dead"})
          metrics_->set_depth(queue, state, 0);
      }
    } catch (const std::exception& e) {
      logger_.debug("worker {}: cannot count jobs: {}", options_.name, e.what());
    }
    // A stop that came while counting cancelled the timer before this wait: look again.
    if (stopping_) break;
    gauge_timer_.expires_after(std::chrono::seconds(15));
    co_await gauge_timer_.async_wait(asio::as_tuple(use_awaitable));
  }
  if (--loops_running_ == 0) drained_timer_.cancel();
}

awaitable<void> Worker::run(ClaimedJob job) {
  const auto start = trace::now_unix_nanos();
  auto parent = job.traceparent ? trace::parse_traceparent(*job.traceparent) : std::nullopt;
  trace::Slot* slot = trace::current_slot();  // this run's own (see the spawn in claim_loop)
  slot->span = trace::SpanContext{parent ? parent->trace_id : trace::random_trace_id(), trace::random_span_id(),
                                  parent ? parent->sampled : trace::sample(options_.trace_sample_ratio)};
  slot->active = true;
  const bool succeeded = co_await attempt(job);
  slot->active = false;
  if (options_.spans == nullptr || !slot->span.sampled) co_return;
  trace::FinishedSpan span{.trace_id = slot->span.trace_id,
                           .span_id = slot->span.span_id,
                           .parent_span_id = parent ? std::optional<trace::SpanId>(parent->span_id) : std::nullopt,
                           .name = "job " + job.task,
                           .kind = trace::SpanKind::consumer,
                           .start_unix_nano = start,
                           .end_unix_nano = trace::now_unix_nanos(),
                           .error = !succeeded,
                           .status_message = succeeded ? "" : "the attempt failed",
                           .attributes = {}};
  span.attributes.emplace_back("messaging.operation.type", std::string("process"));
  span.attributes.emplace_back("messaging.destination.name", job.queue);
  span.attributes.emplace_back("parley.job.id", job.id);
  span.attributes.emplace_back("parley.job.task", job.task);
  span.attributes.emplace_back("parley.job.attempt", static_cast<std::int64_t>(job.attempts));
  options_.spans->submit(std::move(span));
}

awaitable<bool> Worker::attempt(ClaimedJob& job) {
  const auto started = Clock::now();
  const Task* task = registry_.find(job.task);
  boost::system::error_code parse_error;
  auto payload = boost::json::parse(job.payload_json, parse_error);
  std::string error;
  if (task == nullptr) {
    error = "this worker does not know task " + job.task + " (an older or newer version enqueued it?)";
  } else if (parse_error || !payload.is_object()) {
    error = "the payload is not a JSON object";
  } else {
    auto state = std::make_shared<Run>(strand_, JobContext(database_, job, std::move(payload.as_object())));
    const TaskHandler& handler = task->handler;
    // On this run's executor, so the task's work is inside the run's span.
    auto executor = co_await asio::this_coro::executor;
    asio::co_spawn(executor, handler(state->context),
                   asio::bind_cancellation_slot(state->cancel.slot(), [state](std::exception_ptr e) {
                     state->done = true;
                     state->error = e;
                     state->timer.cancel();
                   }));
    state->timer.expires_after(std::chrono::milliseconds(job.timeout_ms));
    co_await state->timer.async_wait(asio::as_tuple(use_awaitable));
    if (!state->done) {
      // Ask the task to stop (operations that support cancellation end now), record the attempt
      // as failed, and hold the concurrency slot until the task really ends.
      state->cancel.emit(asio::cancellation_type::terminal);
      error = "timed out after " + std::to_string(job.timeout_ms) + " ms";
      co_await record_failure(job, error);
      while (!state->done) {
        state->timer.expires_after(std::chrono::hours(24));
        co_await state->timer.async_wait(asio::as_tuple(use_awaitable));
      }
      metrics_->observe_run(job.task, std::chrono::duration<double>(Clock::now() - started).count());
      job_finished(job);
      co_return false;
    }
    metrics_->observe_run(job.task, std::chrono::duration<double>(Clock::now() - started).count());
    if (state->error) {
      try {
        std::rethrow_exception(state->error);
      } catch (const AppError& e) {
        error = e.public_message() + (e.internal_detail().empty() ? "" : " (" + e.internal_detail() + ")");
      } catch (const std::exception& e) {
        error = e.what();
      } catch (...) {
        error = "unknown exception";
      }
    }
  }
  if (error.empty()) {
    try {
      const bool recorded = co_await broker_.complete(options_.name, job);
      metrics_->count(job.task, recorded ? "succeeded" : "lost");
      if (!recorded) logger_.warn("job {} ({}) succeeded after its lease ran out; it may run again", job.id, job.task);
    } catch (const std::exception& e) {
      // Not recorded: the lease runs out and the job runs again (at least once).
      logger_.error("job {} ({}) succeeded but could not be recorded: {}", job.id, job.task, e.what());
    }
  } else {
    co_await record_failure(job, error);
  }
  job_finished(job);
  co_return error.empty();
}

awaitable<void> Worker::record_failure(const ClaimedJob& job, const std::string& error) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const auto delay = retry_delay(job.attempts, std::chrono::milliseconds(job.backoff_ms), unit(jitter_));
  const std::string bounded = error.size() > 2000 ? error.substr(0, 2000) : error;
  try {
    auto outcome = co_await broker_.fail(options_.name, job, bounded, delay);
    switch (outcome) {
      case FailOutcome::retried:
        metrics_->count(job.task, "retried");
        logger_.warn("job {} ({}) attempt {}/{} failed, retry in {} ms: {}", job.id, job.task, job.attempts,
                     job.max_attempts, delay.count(), bounded);
        break;
      case FailOutcome::dead:
        metrics_->count(job.task, "dead");
        logger_.error("job {} ({}) is dead after {} attempt(s): {}", job.id, job.task, job.attempts, bounded);
        break;
      case FailOutcome::lost:
        metrics_->count(job.task, "lost");
        break;
    }
  } catch (const std::exception& e) {
    logger_.error("job {} ({}) failed and the failure could not be recorded: {}", job.id, job.task, e.what());
  }
}

void Worker::job_finished(const ClaimedJob& job) {
  --in_flight_;
  // The first entry of this delivery (a job delivered twice at once has two).
  auto it = std::find_if(running_.begin(), running_.end(),
                         [&](const ClaimedJob& r) { return r.id == job.id && r.receipt == job.receipt; });
  if (it != running_.end()) running_.erase(it);
  metrics_->running.Set(in_flight_);
  wake_pending_ = true;  // a slot is free
  wake_timer_.cancel();
  if (stopping_ && in_flight_ == 0) {
    heartbeat_timer_.cancel();  // its loop ends now
    drained_timer_.cancel();
  }
}

awaitable<void> Worker::stop() {
  // The state belongs to the strand: the shutdown runs there.
  co_await asio::co_spawn(strand_, shut_down(), use_awaitable);
}

awaitable<void> Worker::shut_down() {
  if (stopping_) co_return;
  stopping_ = true;
  wake_timer_.cancel();
  heartbeat_timer_.cancel();
  gauge_timer_.cancel();
  const auto deadline = Clock::now() + options_.shutdown_grace;
  while ((in_flight_ > 0 || loops_running_ > 0) && Clock::now() < deadline) {
    drained_timer_.expires_at(deadline);
    co_await drained_timer_.async_wait(asio::as_tuple(use_awaitable));
  }
  if (in_flight_ > 0) {
    requeued_ = true;
    try {
      const std::vector<ClaimedJob> running = running_;
      auto requeued = co_await broker_.requeue(options_.name, running);
      logger_.warn("worker {}: {} job(s) still running after the grace period were put back in their queue",
                   options_.name, requeued);
    } catch (const std::exception& e) {
      logger_.error("worker {}: could not requeue its running jobs (they return when their lease runs out): {}",
                    options_.name, e.what());
    }
  }
  co_await broker_.stop();
  logger_.info("worker {} stopped", options_.name);
}

}  // namespace parley::jobs
