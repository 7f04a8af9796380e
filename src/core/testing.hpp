#pragma once
// Test-only: runs coroutine test bodies to completion. Header-only; included by tests only.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/io_context.hpp>

#include <exception>
#include <optional>

namespace parley::testing {

// Runs `task` on `io` until it finishes and returns its result (or rethrows its exception).
// The io_context is stopped when the task completes, so background loops (pool health checks)
// do not keep it running; work they left queued resumes at the next run.
template <typename T>
T run_awaitable(boost::asio::io_context& io, boost::asio::awaitable<T> task) {
  std::exception_ptr error;
  std::optional<T> result;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e, T value) {
    error = e;
    if (!e) result.emplace(std::move(value));
    io.stop();
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
  return std::move(*result);
}

inline void run_awaitable(boost::asio::io_context& io, boost::asio::awaitable<void> task) {
  std::exception_ptr error;
  boost::asio::co_spawn(io, std::move(task), [&](std::exception_ptr e) {
    error = e;
    io.stop();
  });
  io.restart();
  io.run();
  if (error) std::rethrow_exception(error);
}

// Runs `task` on a fresh io_context. Before the context goes, it runs once more until no work is
// outstanding: work offloaded to another pool (hashing, mail) may still hold an executor of this
// context for a moment after it resumed the task, and destroying the context under it is a
// use-after-free.
template <typename T>
T run_awaitable(boost::asio::awaitable<T> task) {
  boost::asio::io_context io;
  struct Drain {
    boost::asio::io_context& io;
    ~Drain() {
      io.restart();
      io.run();
    }
  } drain{io};
  return run_awaitable(io, std::move(task));
}

}  // namespace parley::testing
