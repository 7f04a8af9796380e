#include "jobs/dispatch_loop.hpp"

#include "jobs/jobs.hpp"

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <algorithm>

namespace parley::jobs {

namespace asio = boost::asio;
using asio::awaitable;
using asio::use_awaitable;

DispatchLoop::DispatchLoop(std::string name, Pass pass, asio::any_io_executor executor, spdlog::logger& logger,
                           std::chrono::milliseconds poll_interval)
    : name_(std::move(name)),
      pass_(std::move(pass)),
      logger_(logger),
      poll_interval_(poll_interval),
      strand_(asio::make_strand(executor)),
      timer_(strand_),
      stopped_timer_(strand_) {}

void DispatchLoop::start() {
  running_ = true;
  asio::co_spawn(strand_, loop(), asio::detached);
}

void DispatchLoop::wake() {
  asio::post(strand_, [this] {
    wake_pending_ = true;
    timer_.cancel();
  });
}

awaitable<void> DispatchLoop::loop() {
  int failures = 0;
  while (!stopping_) {
    wake_pending_ = false;
    auto wait_for = poll_interval_;
    try {
      // Until caught up: a pass reads a bounded span of the log.
      while (!stopping_) {
        const auto read = co_await pass_();
        if (read == 0) break;
      }
      failures = 0;
    } catch (const std::exception& e) {
      if (failures++ % 30 == 0) logger_.warn("{}: {}", name_, e.what());
      wait_for = failure_backoff(poll_interval_, failures);
    }
    if (wake_pending_ || stopping_) continue;
    timer_.expires_after(wait_for);
    co_await timer_.async_wait(asio::as_tuple(use_awaitable));
  }
  running_ = false;
  stopped_timer_.cancel();
}

awaitable<void> DispatchLoop::stop() { co_await asio::co_spawn(strand_, shut_down(), use_awaitable); }

awaitable<void> DispatchLoop::shut_down() {
  stopping_ = true;
  timer_.cancel();
  while (running_) {
    stopped_timer_.expires_after(std::chrono::seconds(30));
    co_await stopped_timer_.async_wait(asio::as_tuple(use_awaitable));
  }
}

}  // namespace parley::jobs
