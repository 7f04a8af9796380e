#pragma once
// Internal: the thread a connection runs on. rabbitmq-c is blocking and a connection of it must
// not be used from two threads, so each Connection gets one thread that owns its Session and does
// everything on it: runs the jobs callers submit, in order, reads what the server sends
// (deliveries, confirms, closes), expires overdue confirms, and sleeps in poll() on the socket and
// an eventfd that submit() rings.
//
// Thread-safe: submit(), close(), is_open() and failure() may be called from any thread.
#include <atomic>
#include <chrono>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <thread>
#include <vector>

#include "amqp/completion.hpp"
#include "amqp/config.hpp"

namespace parley::amqp::detail {

class Session;

// Work for the connection's thread: run() there, or fail() (from any thread) when the connection
// has ended or ends before it ran. Exactly one of them is called. An exception run() throws goes to
// fail().
struct Job {
  std::function<void(Session&)> run;
  std::function<void(std::exception_ptr)> fail;
  bool is_close = false;  // close() itself: still runs after an earlier close()
};

class Engine : public std::enable_shared_from_this<Engine> {
 public:
  explicit Engine(ConnectionConfig config);
  ~Engine();
  Engine(const Engine&) = delete;
  Engine& operator=(const Engine&) = delete;

  const ConnectionConfig& config() const noexcept { return config_; }

  // Starts the thread, which connects and then calls opened(nullptr), or opened(error) and ends.
  void start(std::function<void(std::exception_ptr)> opened);
  void submit(Job job);
  // A clean close once the jobs submitted before it ran and the publishes awaiting a confirm got
  // it (operation_timeout at most): consumers end (next() gives nullopt), then connection.close.
  // `done` completes when the connection has ended, however it ended.
  void close(std::shared_ptr<Completion<void>> done);
  // Waits for the thread to end; call close() first. Does nothing on the thread itself.
  void join();

  bool is_open() const noexcept { return state_.load() == State::open; }
  // Why the connection ended when it was not closed by us ("" otherwise).
  std::string failure() const;

 private:
  enum class State { connecting, open, closing, ended };
  using Clock = std::chrono::steady_clock;

  void run(const std::function<void(std::exception_ptr)>& opened);
  std::deque<Job> take_jobs();
  void wait_for_input(int socket_fd, std::optional<Clock::time_point> deadline);
  void finish(Session& session, std::exception_ptr failure);
  void wake();

  const ConnectionConfig config_;
  const int wake_fd_;
  std::thread thread_;
  std::atomic<State> state_{State::connecting};
  mutable std::mutex mutex_;
  std::deque<Job> jobs_;      // guarded
  std::exception_ptr ended_;  // guarded: set when the thread takes no more jobs
  std::string failure_;       // guarded
  // The connection's thread only.
  bool closing_ = false;
  std::vector<std::shared_ptr<Completion<void>>> close_waiters_;
};

}  // namespace parley::amqp::detail
