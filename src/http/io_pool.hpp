#pragma once
// One io_context per thread, each run by exactly one thread: handlers of a connection never run
// concurrently, so sessions need no strands, and the contexts share no scheduler lock.
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>

#include <atomic>
#include <memory>
#include <thread>
#include <vector>

namespace parley::http {

class IoPool {
 public:
  explicit IoPool(unsigned threads);
  ~IoPool();
  IoPool(const IoPool&) = delete;
  IoPool& operator=(const IoPool&) = delete;

  // The context new connections go to, round-robin. Thread-safe.
  boost::asio::io_context& next();
  boost::asio::io_context& primary() { return *contexts_.front(); }
  std::size_t size() const noexcept { return contexts_.size(); }

  // Starts one thread per context; returns immediately.
  void start();
  // Stops every context (pending handlers are dropped) and joins the threads.
  void stop();
  // Blocks until every thread has finished.
  void join();

 private:
  // An io_context whose services can be shut down (abandoned handlers destroyed) before any
  // context of the pool is destroyed; see ~IoPool.
  class Context : public boost::asio::io_context {
   public:
    using io_context::io_context;
    void shut_down_services() { shutdown(); }
  };
  using Guard = boost::asio::executor_work_guard<boost::asio::io_context::executor_type>;
  std::vector<std::unique_ptr<Context>> contexts_;
  std::vector<Guard> guards_;
  std::vector<std::thread> threads_;
  std::atomic<std::size_t> next_{0};
};

}  // namespace parley::http
