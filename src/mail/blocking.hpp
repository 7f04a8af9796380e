#pragma once
// Awaiting blocking work (file and network I/O of the mail transports) on a thread pool.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/thread_pool.hpp>
#include <boost/asio/use_awaitable.hpp>

#include <type_traits>
#include <utility>

namespace parley::mail {

// Runs f() on `pool` and returns its result (or rethrows its exception) in the awaiting coroutine,
// resumed on that coroutine's executor, whose work count is held meanwhile (as
// auth::PasswordHasher::run_on_pool does). f is moved onto the pool and must not reference anything
// that could die before it returns; the pool must outlive the call.
// Callers build f as a named local before co_await-ing this: GCC 12 destroys a lambda temporary
// that holds a moved-in coroutine parameter twice when the coroutine suspends in that
// full-expression.
template <class F>
boost::asio::awaitable<std::invoke_result_t<F&>> run_blocking(boost::asio::thread_pool& pool, F f) {
  using R = std::invoke_result_t<F&>;
  auto on_pool = [f = std::move(f)]() mutable -> boost::asio::awaitable<R> { co_return f(); };
  co_return co_await boost::asio::co_spawn(pool.get_executor(), std::move(on_pool), boost::asio::use_awaitable);
}

}  // namespace parley::mail
