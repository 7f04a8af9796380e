#pragma once
// Runs blocking work on a thread pool and resumes the awaiting coroutine on its own executor.
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <type_traits>
#include <utility>

namespace parley::db::sqlite {

// Returns f()'s result (or rethrows its exception) in the caller's coroutine, after running f on
// `pool`. The caller's executor is kept busy (work guard) while f runs, so an io_context does not
// run out of work in between. f may capture the caller's locals by reference: the coroutine stays
// suspended until f has finished. R must be default-constructible (or void).
template <typename PoolExecutor, typename F>
auto offload(PoolExecutor pool, F f) -> boost::asio::awaitable<std::invoke_result_t<F&>> {
  using R = std::invoke_result_t<F&>;
  if constexpr (std::is_void_v<R>) {
    co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr)>(
        [pool](auto handler, F fn) {
          auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
          boost::asio::post(pool, [handler = std::move(handler), fn = std::move(fn), work = std::move(work)]() mutable {
            std::exception_ptr error;
            try {
              fn();
            } catch (...) {
              error = std::current_exception();
            }
            auto target = work.get_executor();
            boost::asio::post(target, [handler = std::move(handler), error]() mutable { std::move(handler)(error); });
            work.reset();
          });
        },
        boost::asio::use_awaitable, std::move(f));
  } else {
    co_return co_await boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, void(std::exception_ptr, R)>(
        [pool](auto handler, F fn) {
          auto work = boost::asio::make_work_guard(boost::asio::get_associated_executor(handler));
          boost::asio::post(pool, [handler = std::move(handler), fn = std::move(fn), work = std::move(work)]() mutable {
            std::exception_ptr error;
            R result{};
            try {
              result = fn();
            } catch (...) {
              error = std::current_exception();
            }
            auto target = work.get_executor();
            boost::asio::post(target, [handler = std::move(handler), error, result = std::move(result)]() mutable {
              std::move(handler)(error, std::move(result));
            });
            work.reset();
          });
        },
        boost::asio::use_awaitable, std::move(f));
  }
}

}  // namespace parley::db::sqlite
