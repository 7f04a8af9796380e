#pragma once
// Test-only: the Redis test server's URL, an I/O thread to run clients on, and waiting for
// outcomes with a deadline. Header-only; included by tests only.
//
//   auto url = redis::testing::url_from_env();     // PARLEY_TEST_REDIS_URL, or nullopt
//   if (!url) GTEST_SKIP() << "PARLEY_TEST_REDIS_URL is unset";
#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <boost/asio/co_spawn.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/use_future.hpp>
#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <functional>
#include <future>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <ostream>

#include "core/error.hpp"
#include "core/redis_url.hpp"
#include "redis/reply.hpp"

namespace parley::redis {

// GoogleTest prints replies readably in failure messages.
inline void PrintTo(const Reply& reply, std::ostream* out) { *out << reply.debug_string(); }

}  // namespace parley::redis

namespace parley::redis::testing {

inline constexpr std::chrono::seconds kDeadline{20};

// $PARLEY_TEST_REDIS_URL parsed, nullopt when unset or empty (scripts/test-servers sets it).
inline std::optional<RedisUrl> url_from_env() {
  const char* url = std::getenv("PARLEY_TEST_REDIS_URL");
  if (url == nullptr || *url == '\0') return std::nullopt;
  return parse_redis_url(url);
}

// An io_context run by `threads` threads until destroyed.
class IoThreads {
 public:
  explicit IoThreads(int threads = 1) {
    for (int i = 0; i < threads; ++i) threads_.emplace_back([this] { io_.run(); });
  }
  ~IoThreads() {
    work_.reset();
    io_.stop();
    for (auto& thread : threads_) thread.join();
  }
  boost::asio::io_context& io() { return io_; }

  // Runs `task` on the context and waits (bounded) for its result.
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

// Calls `attempt` until it returns without a 503 AppError or the deadline passes (then the last
// error propagates). For the first command after a connection was killed: it fails with 503 when
// it went out before the client saw the drop, and succeeds on a new connection afterwards.
template <typename Attempt>
auto eventually(Attempt attempt) {
  const auto deadline = std::chrono::steady_clock::now() + kDeadline;
  for (;;) {
    try {
      return attempt();
    } catch (const AppError& e) {
      if (e.status() != 503 || std::chrono::steady_clock::now() > deadline) throw;
    }
  }
}

// Things that happen on I/O threads (messages, callbacks), which the test thread waits for.
template <typename T>
class Inbox {
 public:
  void push(T value) {
    {
      std::lock_guard lock(mutex_);
      items_.push_back(std::move(value));
    }
    changed_.notify_all();
  }
  // Waits until at least `count` items arrived or the deadline passed; returns what arrived.
  std::vector<T> wait_for(std::size_t count, std::chrono::milliseconds deadline = kDeadline) {
    std::unique_lock lock(mutex_);
    changed_.wait_for(lock, deadline, [&] { return items_.size() >= count; });
    return items_;
  }
  std::size_t size() const {
    std::lock_guard lock(mutex_);
    return items_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<T> items_;
};

// A redis-server of the test's own on a free loopback port, for tests that stop and restart Redis
// mid-test (the shared test server must stay up for the suites running beside them). SIGKILL
// stops it, as a crash would; start() again serves on the same port, empty.
//
//   OwnServer server;   // not running yet
//   server.start();     // returns once it accepts connections
//   server.url();       // redis://127.0.0.1:<port>
class OwnServer {
 public:
  OwnServer() {
    int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    port_ = ntohs(addr.sin_port);
    ::close(fd);
  }
  ~OwnServer() { stop(); }
  OwnServer(const OwnServer&) = delete;
  OwnServer& operator=(const OwnServer&) = delete;

  // Whether redis-server is on the PATH (scripts/bootstrap installs it).
  static bool installed() { return ::system("command -v redis-server >/dev/null 2>&1") == 0; }

  std::uint16_t port() const noexcept { return port_; }
  std::string url() const { return "redis://127.0.0.1:" + std::to_string(port_); }

  void start() {
    const std::string port = std::to_string(port_);
    std::vector<std::string> args{"redis-server", "--port", port, "--bind", "127.0.0.1", "--save", "",
                                  "--appendonly", "no", "--loglevel", "warning"};
    std::vector<char*> argv;
    for (auto& arg : args) argv.push_back(arg.data());
    argv.push_back(nullptr);
    // posix_spawnp, not fork: the test process has threads.
    if (::posix_spawnp(&pid_, "redis-server", nullptr, nullptr, argv.data(), environ) != 0) {
      pid_ = -1;
      throw std::runtime_error("could not start redis-server");
    }
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int fd = ::socket(AF_INET, SOCK_STREAM, 0);
      sockaddr_in addr{};
      addr.sin_family = AF_INET;
      addr.sin_port = htons(port_);
      addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
      const bool up = ::connect(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0;
      ::close(fd);
      if (up) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));  // a process starting: nothing to wait on
    }
    throw std::runtime_error("redis-server did not start on port " + port);
  }
  void stop() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
    pid_ = -1;
  }

 private:
  std::uint16_t port_ = 0;
  pid_t pid_ = -1;
};

}  // namespace parley::redis::testing
