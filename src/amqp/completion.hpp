#pragma once
// Internal: hands an operation's outcome from a connection's own thread back to the coroutine
// that awaits it, on that coroutine's executor (the way Asio completes its own operations).
//
//   return detail::async_op<QueueInfo>([engine, ...](std::shared_ptr<detail::Completion<QueueInfo>> done) {
//     engine->submit(...);   // later, on any thread: done->succeed(info) or done->fail(error)
//   });
//
// The awaiting coroutine's executor is kept busy (outstanding work) until the outcome is posted to
// it, so its io_context does not run out of work while the AMQP thread works. A Completion that is
// destroyed without an outcome fails the operation (ErrorKind::closed): an operation can be
// dropped, never forgotten. The executor must outlive the operation (destroy or close the
// connection before the io_contexts that await it).
#include <atomic>
#include <boost/asio/any_io_executor.hpp>
#include <boost/asio/associated_executor.hpp>
#include <boost/asio/async_result.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/execution/outstanding_work.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/prefer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <exception>
#include <memory>
#include <type_traits>
#include <utility>

#include "amqp/error.hpp"

namespace parley::amqp::detail {

// Thread-safe: the first of succeed()/fail() decides; later calls do nothing.
template <class T>
class Completion {
 public:
  virtual ~Completion() = default;
  virtual void succeed(T value) = 0;
  virtual void fail(std::exception_ptr error) = 0;
};

template <>
class Completion<void> {
 public:
  virtual ~Completion() = default;
  virtual void succeed() = 0;
  virtual void fail(std::exception_ptr error) = 0;
};

// Each awaiting caller gets an Error of its own: a connection keeps one exception object for the
// reason it ended and hands it to every caller after, on many threads.
inline std::exception_ptr own_copy(std::exception_ptr error) {
  try {
    std::rethrow_exception(error);
  } catch (const Error& e) {
    return std::make_exception_ptr(e);
  } catch (...) {
    return error;
  }
}

inline std::exception_ptr dropped_error() {
  return std::make_exception_ptr(Error(ErrorKind::closed, "the connection ended before the operation ran"));
}

template <class T, class Handler>
class HandlerCompletion final : public Completion<T> {
 public:
  explicit HandlerCompletion(Handler handler)
      : handler_(std::move(handler)),
        work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_),
                                  boost::asio::execution::outstanding_work.tracked)) {}
  ~HandlerCompletion() override { fail(dropped_error()); }

  void succeed(T value) override {
    if (done_.exchange(true)) return;
    boost::asio::post(work_, [handler = std::move(handler_), value = std::move(value)]() mutable {
      std::move(handler)(nullptr, std::move(value));
    });
    work_ = {};
  }
  void fail(std::exception_ptr error) override {
    if (done_.exchange(true)) return;
    boost::asio::post(
        work_, [handler = std::move(handler_), error = own_copy(error)]() mutable { std::move(handler)(error, T{}); });
    work_ = {};
  }

 private:
  std::atomic<bool> done_{false};
  Handler handler_;
  boost::asio::any_io_executor work_;
};

template <class Handler>
class HandlerCompletion<void, Handler> final : public Completion<void> {
 public:
  explicit HandlerCompletion(Handler handler)
      : handler_(std::move(handler)),
        work_(boost::asio::prefer(boost::asio::get_associated_executor(handler_),
                                  boost::asio::execution::outstanding_work.tracked)) {}
  ~HandlerCompletion() override { fail(dropped_error()); }

  void succeed() override {
    if (done_.exchange(true)) return;
    boost::asio::post(work_, [handler = std::move(handler_)]() mutable { std::move(handler)(nullptr); });
    work_ = {};
  }
  void fail(std::exception_ptr error) override {
    if (done_.exchange(true)) return;
    boost::asio::post(
        work_, [handler = std::move(handler_), error = own_copy(error)]() mutable { std::move(handler)(error); });
    work_ = {};
  }

 private:
  std::atomic<bool> done_{false};
  Handler handler_;
  boost::asio::any_io_executor work_;
};

template <class T>
struct CompletionSignature {
  using type = void(std::exception_ptr, T);
};
template <>
struct CompletionSignature<void> {
  using type = void(std::exception_ptr);
};

// An awaitable that, when awaited, calls start(completion) and resumes with the completion's outcome.
// `start` is stored in the awaitable until then, so it owns copies of everything it needs.
template <class T, class Start>
boost::asio::awaitable<T> async_op(Start start) {
  using Signature = typename CompletionSignature<T>::type;
  return boost::asio::async_initiate<const boost::asio::use_awaitable_t<>&, Signature>(
      [](auto handler, Start start) {
        using Handler = decltype(handler);
        std::shared_ptr<Completion<T>> done = std::make_shared<HandlerCompletion<T, Handler>>(std::move(handler));
        start(std::move(done));
      },
      boost::asio::use_awaitable, std::move(start));
}

}  // namespace parley::amqp::detail
