#pragma once
// A one-shot outcome that a coroutine on a strand waits for, with a deadline: complete() (from the
// same strand) wakes it with success or an error; the deadline wakes it with a timeout. Used for
// "wait until the connect attempt in progress ends", "wait until Redis confirms SUBSCRIBE" and
// "wait until the batch this send joined has committed" (messaging/send_batcher.hpp).
//
// Not thread-safe: create, complete and wait on one strand.
#include <boost/asio/awaitable.hpp>
#include <boost/asio/redirect_error.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <chrono>
#include <exception>
#include <memory>
#include <optional>

namespace parley::core {

class OneShot {
 public:
  OneShot(const boost::asio::any_io_executor& strand, std::chrono::steady_clock::time_point deadline)
      : timer_(strand, deadline) {}

  // The first call decides the outcome; later calls do nothing.
  void complete(std::exception_ptr error = nullptr) {
    if (outcome_) return;
    outcome_ = error;
    timer_.cancel();
  }
  bool done() const noexcept { return outcome_.has_value(); }

  // Returns true when completed without error, throws the error it was completed with, and
  // returns false when the deadline passed first. The caller keeps the OneShot alive meanwhile
  // (a shared_ptr in its frame; whoever completes it holds another).
  boost::asio::awaitable<bool> wait() {
    // No suspension between the check and starting the wait, so a completion cannot slip between.
    if (!outcome_) {
      boost::system::error_code ignored;
      co_await timer_.async_wait(boost::asio::redirect_error(boost::asio::use_awaitable, ignored));
    }
    if (!outcome_) co_return false;
    if (*outcome_) std::rethrow_exception(*outcome_);
    co_return true;
  }

 private:
  boost::asio::steady_timer timer_;
  std::optional<std::exception_ptr> outcome_;
};

}  // namespace parley::core
