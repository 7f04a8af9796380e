#pragma once
// Test-only: the RabbitMQ test server (scripts/test-servers), an I/O thread pool that coroutines
// run on, unique names, and closing a connection from the server side. Header-only; included by
// tests only.
//
// The suites need the server: PARLEY_TEST_AMQP_URL unset is a failure, not a skip (run them with
// scripts/run-tests, which `make test` does).
#include <gtest/gtest.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <future>
#include <memory>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "amqp/config.hpp"
#include "amqp/connection.hpp"
#include "core/amqp_url.hpp"

namespace parley::amqp::testing {

// How long a test waits for any one outcome before it fails.
inline constexpr std::chrono::seconds kDeadline{30};

// $PARLEY_TEST_AMQP_URL parsed; throws when it is unset.
inline Url url_from_env() {
  const char* url = std::getenv("PARLEY_TEST_AMQP_URL");
  if (url == nullptr || *url == '\0') {
    throw std::runtime_error(
        "PARLEY_TEST_AMQP_URL is unset: run the suite through scripts/run-tests (make test), which starts RabbitMQ");
  }
  return parse_url(url);
}

// "<what>-<test name>-<random>": queues, exchanges and connection names no other test (or run) uses.
inline std::string unique_name(const std::string& what) {
  static thread_local std::mt19937_64 random{std::random_device{}()};
  std::string name = "parley-test-" + what;
  if (const auto* info = ::testing::UnitTest::GetInstance()->current_test_info())
    name += "-" + std::string(info->name());
  char suffix[17];
  std::snprintf(suffix, sizeof suffix, "%016llx", static_cast<unsigned long long>(random()));
  return name + "-" + suffix;
}

// An io_context run by `threads` threads until destroyed; callers of the connection resume there.
class IoThreads {
 public:
  explicit IoThreads(int threads = 2) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~IoThreads() {
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
  }
  IoThreads(const IoThreads&) = delete;
  IoThreads& operator=(const IoThreads&) = delete;

  boost::asio::io_context& io() { return io_; }

  // Runs `task` on the pool and waits for its outcome, kDeadline at most (then throws).
  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    auto future = boost::asio::co_spawn(io_, std::move(task), boost::asio::use_future);
    if (future.wait_for(kDeadline) != std::future_status::ready) throw std::runtime_error("test task timed out");
    return future.get();
  }

 private:
  boost::asio::io_context io_;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> work_{io_.get_executor()};
  std::vector<std::thread> threads_;
};

// Runs a shell command and returns its standard output; throws when it fails.
inline std::string run_command(const std::string& command) {
  std::unique_ptr<FILE, int (*)(FILE*)> pipe(::popen(command.c_str(), "r"), ::pclose);
  if (!pipe) throw std::runtime_error("could not run: " + command);
  std::string out;
  char buffer[4096];
  while (const std::size_t n = std::fread(buffer, 1, sizeof buffer, pipe.get())) out.append(buffer, n);
  const int status = ::pclose(pipe.release());
  if (status != 0) throw std::runtime_error("failed (" + std::to_string(status) + "): " + command + "\n" + out);
  return out;
}

// Closes from the server side (rabbitmqctl close_connection: 320 CONNECTION_FORCED) every
// connection whose connection_name is `name`; returns how many it closed (throws when none). Uses the test server's
// rabbitmqctl wrapper, $PARLEY_TEST_AMQP_CTL. Other connections, other suites' included, are left alone.
inline int close_connections_named(const std::string& name, const std::string& reason = "closed by a test") {
  const char* ctl = std::getenv("PARLEY_TEST_AMQP_CTL");
  if (ctl == nullptr || *ctl == '\0')
    throw std::runtime_error("PARLEY_TEST_AMQP_CTL is unset (scripts/test-servers sets it)");
  // One line per connection: <pid>\t[{"product","rabbitmq-c"},...,{"connection_name","<name>"}]; the JSON formatter
  // writes pids in a form close_connection does not take. Names are unique: a substring match is exact enough.
  const std::string listing = run_command(std::string(ctl) + " -q list_connections pid client_properties 2>&1");
  int closed = 0;
  std::size_t start = 0;
  while (start < listing.size()) {
    std::size_t end = listing.find('\n', start);
    if (end == std::string::npos) end = listing.size();
    const std::string line = listing.substr(start, end - start);
    start = end + 1;
    if (line.find("{\"connection_name\",\"" + name + "\"}") == std::string::npos) continue;
    const std::string pid = line.substr(0, line.find('\t'));
    run_command(std::string(ctl) + " -q close_connection '" + pid + "' '" + reason + "' 2>&1");
    ++closed;
  }
  if (closed == 0) throw std::runtime_error("no connection named " + name + " in:\n" + listing);
  return closed;
}

// A test against the RabbitMQ test server: an I/O pool, a config with a unique connection name,
// and open(). Connections opened by the test body are destroyed before the pool (declared first).
class ServerTest : public ::testing::Test {
 protected:
  void SetUp() override {
    ASSERT_NO_THROW(config_.url = url_from_env());
    config_.connection_name = unique_name("connection");
  }

  template <typename T>
  T run(boost::asio::awaitable<T> task) {
    return io_.run(std::move(task));
  }
  std::shared_ptr<Connection> open() { return run(Connection::open(config_)); }

  IoThreads io_{2};
  ConnectionConfig config_;
};

}  // namespace parley::amqp::testing
