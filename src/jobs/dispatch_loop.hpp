#pragma once
// A loop that runs a dispatcher's pass over the event log (webhooks, notifications) in `parley
// worker`: a pass whenever wake() is called (the app wakes it for every batch of events on its
// bus, which carries every replica's events) and at least every `poll_interval`, repeated until a
// pass reads nothing (caught up). A pass that throws is logged (every 30th failure in a row) and
// retried after a growing pause, up to 30 s.
//
// The pass must be safe to run from several processes at once (a locked cursor row) and returns
// how many events it read (0: caught up).
//
// Threading: runs on its own strand; wake() may be called from any thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>
#include <cstdint>
#include <functional>
#include <string>

#include <spdlog/logger.h>

namespace parley::jobs {

class DispatchLoop {
 public:
  using Pass = std::function<boost::asio::awaitable<std::int64_t>()>;

  // `name` prefixes its log lines ("webhook dispatcher").
  DispatchLoop(std::string name, Pass pass, boost::asio::any_io_executor executor, spdlog::logger& logger,
               std::chrono::milliseconds poll_interval = std::chrono::seconds(1));

  void start();
  void wake();
  // Returns once the loop has ended (a pass in flight finishes first).
  boost::asio::awaitable<void> stop();

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> shut_down();

  std::string name_;
  Pass pass_;
  spdlog::logger& logger_;
  std::chrono::milliseconds poll_interval_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer stopped_timer_;
  bool wake_pending_ = false;
  bool stopping_ = false;
  bool running_ = false;
};

}  // namespace parley::jobs
