#pragma once
// The loop that turns committed events into webhook deliveries (webhooks/webhooks.hpp), run by
// `parley worker`: a pass whenever events are published in this process (the event bus carries
// every replica's events here) and at least every `poll_interval`, until it has caught up. Passes
// in several workers take turns on the cursor row, so each event is dispatched once.
//
// Threading: runs on its own strand; wake() may be called from any thread.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/strand.hpp>

#include <chrono>

#include "webhooks/webhooks.hpp"

namespace parley::webhooks {

class Dispatcher {
 public:
  Dispatcher(Webhooks& webhooks, boost::asio::any_io_executor executor, spdlog::logger& logger,
             std::chrono::milliseconds poll_interval = std::chrono::seconds(1));

  void start();
  void wake();
  boost::asio::awaitable<void> stop();

 private:
  boost::asio::awaitable<void> loop();
  boost::asio::awaitable<void> shut_down();

  Webhooks& webhooks_;
  spdlog::logger& logger_;
  std::chrono::milliseconds poll_interval_;
  boost::asio::strand<boost::asio::any_io_executor> strand_;
  boost::asio::steady_timer timer_;
  boost::asio::steady_timer stopped_timer_;
  bool wake_pending_ = false;
  bool stopping_ = false;
  bool running_ = false;
};

}  // namespace parley::webhooks
