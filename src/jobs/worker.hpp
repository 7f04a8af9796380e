#pragma once
// `parley worker`: runs the jobs of some queues, at most `concurrency` at a time (docs/jobs.md).
//
// It claims due jobs under a lease, renews the lease while they run (heartbeat), and records the
// outcome: success deletes the job, a failure (an exception, or the task's timeout) queues it
// again after an exponential backoff with jitter, and the last failure leaves it dead. It also
// takes back jobs whose lease ran out, wherever they ran: a worker killed with SIGKILL loses its
// jobs to the others after at most one lease. It wakes at once for jobs committed on PostgreSQL
// (NOTIFY parley_jobs), for jobs this process committed (wake()), and otherwise polls.
//
// stop() stops claiming, lets running jobs finish within the grace period and puts the rest back
// in their queue without counting the attempt.
//
// Threading: everything runs on one strand (tasks too: they await I/O, they do not compute);
// wake() may be called from any thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "db/database.hpp"
#include "jobs/broker.hpp"
#include "jobs/jobs.hpp"

namespace prometheus {
class Registry;
}  // namespace prometheus
namespace spdlog {
class logger;
}  // namespace spdlog

namespace parley::jobs {

struct WorkerOptions {
  std::string name;                 // unique among running workers (host:pid:random by default)
  std::vector<std::string> queues;  // empty: every queue
  int concurrency = 4;
  std::chrono::milliseconds lease{30000};
  std::chrono::milliseconds poll_interval{1000};
  std::chrono::milliseconds shutdown_grace{10000};
  // Each attempt is a span (a child of the enqueuer's, from the job's traceparent), exported here
  // when sampled (null: not exported); jobs without a traceparent start a trace sampled at the ratio.
  trace::SpanSink* spans = nullptr;
  double trace_sample_ratio = 1.0;
};

// host:pid:random, for WorkerOptions::name and the scheduler's lease holder.
std::string default_worker_name();

class Worker {
 public:
  // Runs jobs from `broker` (started and stopped with the worker); tasks see `database`.
  Worker(db::Database& database, Broker& broker, const TaskRegistry& registry, WorkerOptions options,
         prometheus::Registry& metrics, spdlog::logger& logger, boost::asio::any_io_executor executor);
  ~Worker();
  Worker(const Worker&) = delete;
  Worker& operator=(const Worker&) = delete;

  // Starts the broker and the claim and heartbeat loops; returns at once.
  void start();
  // Looks for due jobs now (a job was just committed), and tells the broker. Any thread.
  void wake();
  // See the header comment; returns once every job is finished or requeued.
  boost::asio::awaitable<void> stop();

  const WorkerOptions& options() const noexcept { return options_; }

 private:
  struct Metrics;
  struct Run;
  boost::asio::awaitable<void> shut_down();
  boost::asio::awaitable<void> claim_loop();
  boost::asio::awaitable<void> heartbeat_loop();
  boost::asio::awaitable<void> gauge_loop();
  // One attempt inside its span (run on a trace::SlotExecutor: statements, logs, jobs it enqueues
  // and webhooks it sends carry the span); attempt() is the attempt itself, true when it succeeded.
  boost::asio::awaitable<void> run(db::repositories::ClaimedJob job);
  boost::asio::awaitable<bool> attempt(db::repositories::ClaimedJob& job);
  boost::asio::awaitable<void> record_failure(const db::repositories::ClaimedJob& job, const std::string& error);
  void job_finished(const db::repositories::ClaimedJob& job);

  db::Database& database_;
  const TaskRegistry& registry_;
  WorkerOptions options_;
  spdlog::logger& logger_;
  std::unique_ptr<Metrics> metrics_;
  Broker& broker_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  // Touched only on strand_.
  boost::asio::steady_timer wake_timer_;
  boost::asio::steady_timer heartbeat_timer_;
  boost::asio::steady_timer gauge_timer_;
  boost::asio::steady_timer drained_timer_;
  int in_flight_ = 0;
  std::vector<db::repositories::ClaimedJob> running_;  // for heartbeats and requeues
  bool wake_pending_ = false;
  bool stopping_ = false;
  bool requeued_ = false;  // stop() gave the jobs still running back to their queue
  int loops_running_ = 0;
  std::minstd_rand jitter_;
};

}  // namespace parley::jobs
