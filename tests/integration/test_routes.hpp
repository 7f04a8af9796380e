#pragma once
// Endpoints mounted only by the integration tests, to exercise the server core with typed
// parameters, validated bodies, a handler that waits for the test, and a WebSocket echo.
#include "http/router.hpp"

#include <boost/asio/steady_timer.hpp>

#include <atomic>
#include <memory>
#include <mutex>

namespace parley::testing {

// Lets a test hold a request inside its handler and release it later.
struct Gate {
  std::atomic<int> entered{0};
  std::mutex mutex;
  std::vector<std::shared_ptr<boost::asio::steady_timer>> waiting;
  void release_all();
};

void add_test_routes(http::Router& router, std::shared_ptr<Gate> gate);

}  // namespace parley::testing
