#pragma once
// Where a worker takes its jobs from (PARLEY_BROKER_URL; docs/jobs.md, "Brokers").
//
// Every broker shares one contract, so the worker (jobs/worker.hpp) is the same over each:
// - jobs are enqueued in the jobs table, in the caller's transaction (the outbox, jobs/jobs.hpp);
// - claim() hands a job to one worker at a time, at least once: a worker that dies loses its jobs
//   to the others (reap_expired, or the broker's redelivery);
// - complete() ends a job; fail() queues it again after the given delay, or keeps it as dead in
//   the jobs table when that was its last attempt; requeue() gives a job back without counting
//   the attempt;
// - a job keeps its id through every delivery, so JobContext::claim_effect holds across brokers.
//
// A broker is used from one strand (the worker's); its own loops run where it says.
#include <boost/asio/awaitable.hpp>

#include <chrono>
#include <cstdint>
#include <span>
#include <string>
#include <string_view>
#include <vector>

#include "db/repositories/job_repository.hpp"

namespace parley::jobs {

class Broker {
 public:
  virtual ~Broker() = default;

  // "database", "redis", ...: for logs and GET /admin/jobs.
  virtual std::string_view name() const noexcept = 0;

  // Starts what the broker runs beside the worker (a relay from the jobs table); returns at once.
  virtual void start() {}
  // A transaction that enqueued has committed (any thread).
  virtual void wake() {}
  // Stops what start() started; returns once it has stopped.
  virtual boost::asio::awaitable<void> stop() { co_return; }

  // Takes up to `limit` due jobs of `queues` (every queue when empty) for `worker`, leased for
  // `lease` where the broker keeps leases. A broker that
  // can wait for jobs (waits_for_jobs()) waits up to `wait` when there are none; others return at
  // once and the worker polls.
  virtual boost::asio::awaitable<std::vector<db::repositories::ClaimedJob>> claim(
      const std::string& worker, std::span<const std::string> queues, int limit, std::chrono::milliseconds lease,
      std::chrono::milliseconds wait) = 0;
  virtual bool waits_for_jobs() const noexcept { return false; }

  // False when the job was no longer `worker`'s (its lease ran out and another worker has it).
  virtual boost::asio::awaitable<bool> complete(const std::string& worker, const db::repositories::ClaimedJob& job) = 0;
  virtual boost::asio::awaitable<db::repositories::FailOutcome> fail(const std::string& worker,
                                                                     const db::repositories::ClaimedJob& job,
                                                                     std::string_view error,
                                                                     std::chrono::milliseconds retry_delay) = 0;
  // Keeps the jobs `worker` runs (`running`) its own for another `lease`.
  virtual boost::asio::awaitable<void> heartbeat(const std::string& worker,
                                                 std::span<const db::repositories::ClaimedJob> running,
                                                 std::chrono::milliseconds lease) = 0;
  // Takes back the jobs of workers whose lease ran out (they died or hung): queued again at once,
  // or dead after their last attempt. `worker` is the caller.
  virtual boost::asio::awaitable<db::repositories::JobRepository::Reaped> reap_expired(
      const std::string& worker, std::span<const std::string> queues, std::chrono::milliseconds lease) = 0;
  // Gives back the jobs `worker` still runs (a stop that could not wait for them); returns how many.
  virtual boost::asio::awaitable<std::int64_t> requeue(const std::string& worker,
                                                       std::span<const db::repositories::ClaimedJob> running) = 0;

  // Jobs by queue and state, wherever they are (the jobs table and the broker).
  virtual boost::asio::awaitable<std::vector<db::repositories::QueueCounts>> counts() = 0;
};

}  // namespace parley::jobs
